//! Timestamps as Liftoff stores them: RFC 3339 in UTC, second precision,
//! and as it writes them for people.
//!
//! Text sorts in time order in the stored form, so SQLite can compare and
//! index it. For people a time is written one way, here and in the window
//! (`ui/src/lib/format.ts`): "Fri 11 Dec 15:00" on the wall clock of a named
//! zone, the year after the month when it is not the current year there,
//! and the zone by its IANA name where the text has to say it
//! ("Fri 11 Dec 15:00 to 16:30 Europe/Berlin").

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

pub fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The compact form used in file names: `20261122T143000Z`.
pub fn to_file_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn from_file_stamp(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| n.and_utc())
}

/// The day part of a time in words: "Fri 11 Dec", with " 2027" when the
/// year is not `this_year` (`None`: always, for text that is kept).
fn day_words(d: NaiveDate, this_year: Option<i32>) -> String {
    let day = d.format("%a %-d %b").to_string();
    if this_year == Some(d.year()) {
        day
    } else {
        format!("{day} {}", d.year())
    }
}

/// "Fri 11 Dec 15:00" on the wall clock of `tz`, the year written when it
/// is not `now`'s year there. With `now` `None` the year is always written:
/// for text that is kept (the audit log) and read in another year.
pub fn words(t: DateTime<Utc>, tz: Tz, now: Option<DateTime<Utc>>) -> String {
    let local = t.with_timezone(&tz);
    let this_year = now.map(|n| n.with_timezone(&tz).year());
    format!("{} {}", day_words(local.date_naive(), this_year), local.format("%H:%M"))
}

/// A span naming its zone once: "Fri 11 Dec 15:00 to 16:30 Europe/Berlin",
/// or across days "Fri 11 Dec 15:00 to Mon 14 Dec 09:00 Europe/Berlin".
pub fn span_words(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, now: Option<DateTime<Utc>>) -> String {
    let (a, b) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let to = if a.date_naive() == b.date_naive() { b.format("%H:%M").to_string() } else { words(end, tz, now) };
    format!("{} to {to} {}", words(start, tz, now), tz.name())
}

/// A calendar day (a due date): "Fri 4 Dec", with the year when it is not
/// `today`'s (`None`: always).
pub fn date_words(d: NaiveDate, today: Option<NaiveDate>) -> String {
    day_words(d, today.map(|t| t.year()))
}

/// The zone a project's times are written in: its own, or UTC if the name is unknown.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn words_are_the_windows_words() {
        // The same cases as ui/src/lib/format.test.ts.
        let now = Some(Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap());
        let berlin = chrono_tz::Europe::Berlin;
        let t = Utc.with_ymd_and_hms(2026, 12, 11, 14, 0, 0).unwrap();
        assert_eq!(words(t, berlin, now), "Fri 11 Dec 15:00");
        assert_eq!(words(t, chrono_tz::America::New_York, now), "Fri 11 Dec 09:00");
        assert_eq!(words(t, berlin, None), "Fri 11 Dec 2026 15:00");
        // New Year's Eve 23:30 UTC is next year in Berlin, this year in London.
        let eve = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(words(eve, berlin, now), "Fri 1 Jan 2027 00:30");
        assert_eq!(words(eve, chrono_tz::Europe::London, now), "Thu 31 Dec 23:30");
        // Across the spring change, the wall clock.
        let (a, b) = (Utc.with_ymd_and_hms(2027, 3, 28, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2027, 3, 28, 2, 0, 0).unwrap());
        assert_eq!(span_words(a, b, berlin, now), "Sun 28 Mar 2027 01:00 to 04:00 Europe/Berlin");
        let friday = Utc.with_ymd_and_hms(2026, 12, 14, 8, 0, 0).unwrap();
        assert_eq!(span_words(t, friday, berlin, now), "Fri 11 Dec 15:00 to Mon 14 Dec 09:00 Europe/Berlin");
        let due = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(date_words(due, Some(NaiveDate::from_ymd_opt(2026, 12, 6).unwrap())), "Fri 4 Dec");
        assert_eq!(date_words(due, Some(NaiveDate::from_ymd_opt(2027, 1, 6).unwrap())), "Fri 4 Dec 2026");
        assert_eq!(date_words(NaiveDate::from_ymd_opt(2025, 9, 15).unwrap(), None), "Mon 15 Sep 2025");
    }

    #[test]
    fn file_stamp_round_trips() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 5).unwrap();
        assert_eq!(to_file_stamp(t), "20261122T143005Z");
        assert_eq!(from_file_stamp("20261122T143005Z"), Some(t));
        assert_eq!(from_file_stamp("2026-11-22"), None);
    }

    #[test]
    fn text_is_utc_seconds() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assert_eq!(to_text(t), "2026-03-01T00:00:00Z");
    }
}
