//! Writing a calendar (`.ics`) that Google Calendar, Outlook and Thunderbird
//! import: release windows as events, freezes as (recurring) events in their
//! own time zone.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

use super::recurrence::Recurrence;

/// One event to write.
#[derive(Debug, Clone)]
pub enum CalendarEntry {
    /// A fixed span, such as a release window.
    Fixed { uid: String, summary: String, description: String, start: DateTime<Utc>, end: DateTime<Utc> },
    /// A possibly recurring window in a named zone, such as a freeze.
    Repeating { uid: String, summary: String, description: String, when: Recurrence },
}

/// The project's calendar: every release with a planned window, and every
/// freeze and maintenance window with its recurrence.
pub fn project_calendar(store: &crate::Store, project_id: &str, now: DateTime<Utc>) -> Result<String, super::PlanningError> {
    use super::windows::{self, WindowKind};
    let project = crate::projects::get(store, project_id)?;
    let mut entries = Vec::new();
    for r in crate::release::list(store, project_id, None)? {
        let r = r.release;
        let (Some(s), Some(e)) = (&r.window_start, &r.window_end) else { continue };
        let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|x| x.with_timezone(&Utc)).ok();
        let (Some(start), Some(end)) = (parse(s), parse(e)) else { continue };
        entries.push(CalendarEntry::Fixed {
            uid: format!("release-{}@liftoff", r.id),
            summary: format!("Release {} – {} ({})", r.version, r.name, r.state.label()),
            description: r.scope.clone(),
            start,
            end,
        });
    }
    for w in windows::list(store, project_id)? {
        let what = if w.kind == WindowKind::Freeze { "Freeze" } else { "Maintenance" };
        entries.push(CalendarEntry::Repeating {
            uid: format!("window-{}@liftoff", w.id),
            summary: format!("{what}: {}", w.name),
            description: w.reason.clone(),
            when: windows::recurrence_of(&w)?,
        });
    }
    Ok(write(&format!("{} releases", project.name), &entries, now))
}

/// The calendar text, with CRLF line ends and lines folded at 75 octets as
/// RFC 5545 asks.
pub fn write(name: &str, entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Liftoff//Release calendar//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    // Every zone a recurring entry uses gets its VTIMEZONE, as Outlook needs.
    let mut zones: Vec<(&str, i32)> = Vec::new();
    for e in entries {
        if let CalendarEntry::Repeating { when, .. } = e {
            let year = when.start.year();
            match zones.iter_mut().find(|(z, _)| *z == when.time_zone) {
                Some((_, first)) => *first = (*first).min(year),
                None => zones.push((&when.time_zone, year)),
            }
        }
    }
    for (zone, first_year) in zones {
        if let Some(tz) = crate::time_zones::parse(zone) {
            lines.extend(vtimezone(tz, first_year - 1, first_year.max(now.year()) + 1));
        }
    }
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for e in entries {
        lines.push("BEGIN:VEVENT".into());
        match e {
            CalendarEntry::Fixed { uid, summary, description, start, end } => {
                lines.push(format!("UID:{}", escape(uid)));
                lines.push(format!("DTSTAMP:{stamp}"));
                lines.push(format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ")));
                lines.push(format!("DTEND:{}", end.format("%Y%m%dT%H%M%SZ")));
                lines.push(format!("SUMMARY:{}", escape(summary)));
                if !description.is_empty() {
                    lines.push(format!("DESCRIPTION:{}", escape(description)));
                }
            }
            CalendarEntry::Repeating { uid, summary, description, when } => {
                let local = |t: &NaiveDateTime| t.format("%Y%m%dT%H%M%S").to_string();
                lines.push(format!("UID:{}", escape(uid)));
                lines.push(format!("DTSTAMP:{stamp}"));
                lines.push(format!("DTSTART;TZID={}:{}", when.time_zone, local(&when.start)));
                // A nominal duration: each occurrence ends at the same wall-clock
                // time, across daylight-saving changes too (RFC 5545 3.3.6).
                lines.push(format!("DURATION:{}", nominal_duration(when.minutes)));
                if let Some(rule) = when.rule.as_deref().filter(|r| !r.trim().is_empty()) {
                    let rule = when.rule_for_export(rule).unwrap_or_else(|_| rule.trim().trim_start_matches("RRULE:").to_owned());
                    lines.push(format!("RRULE:{rule}"));
                }
                if !when.exdates.is_empty() {
                    let list: Vec<String> = when.exdates.iter().map(local).collect();
                    lines.push(format!("EXDATE;TZID={}:{}", when.time_zone, list.join(",")));
                }
                lines.push(format!("SUMMARY:{}", escape(summary)));
                if !description.is_empty() {
                    lines.push(format!("DESCRIPTION:{}", escape(description)));
                }
                lines.push("TRANSP:OPAQUE".into());
            }
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// `P2DT18H`: whole days, then hours and minutes.
fn nominal_duration(minutes: i64) -> String {
    let (days, rest) = (minutes / 1440, minutes % 1440);
    let mut out = format!("P{}", if days > 0 || rest == 0 { format!("{days}D") } else { String::new() });
    if rest > 0 {
        out.push('T');
        if rest >= 60 {
            out.push_str(&format!("{}H", rest / 60));
        }
        if rest % 60 > 0 {
            out.push_str(&format!("{}M", rest % 60));
        }
    }
    out
}

/// A VTIMEZONE with one observance per offset change from `from_year`
/// through `to_year`, the last two of which carry the zone's current rule as
/// an open-ended yearly RRULE, as calendar apps write it, so that the zone
/// is right for every occurrence a rule without end produces. A zone
/// without changes has a single observance.
fn vtimezone(tz: chrono_tz::Tz, from_year: i32, to_year: i32) -> Vec<String> {
    use chrono::TimeZone;
    let hhmm = |secs: i32| {
        let sign = if secs < 0 { '-' } else { '+' };
        let m = secs.abs() / 60;
        format!("{sign}{:02}{:02}", m / 60, m % 60)
    };
    let mut out = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{}", tz.name()), format!("X-LIC-LOCATION:{}", tz.name())];
    let Some(start) = Utc.with_ymd_and_hms(from_year, 1, 1, 0, 0, 0).single() else { return Vec::new() };
    let mut observances = changes(tz, from_year, to_year);
    if observances.is_empty() {
        let (o, dst, name) = offset_at(tz, start);
        observances.push((dst, chrono::NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default(), o, o, name));
    }
    // The current rule: the last change into summer time and the last out
    // of it, as "the nth (or last) weekday of the month" if that gives the
    // zone's changes for the next thirty years; else explicit changes to 2200.
    let n = observances.len();
    let mut rules: Vec<Option<String>> = vec![None; n];
    if n >= 2 && observances[n - 1].0 != observances[n - 2].0 {
        let derived = [n - 2, n - 1].map(|i| yearly_rule(observances[i].1));
        let later = changes(tz, to_year + 1, to_year + 30);
        let onsets = [observances[n - 2].1, observances[n - 1].1];
        let mut predicted: Vec<NaiveDateTime> = (to_year + 1..=to_year + 30).flat_map(|y| onsets.into_iter().filter_map(move |o| on_rule(o, y))).collect();
        predicted.sort();
        if later.iter().map(|c| c.1).collect::<Vec<_>>() == predicted {
            rules[n - 2] = Some(derived[0].clone());
            rules[n - 1] = Some(derived[1].clone());
        } else {
            observances.extend(changes(tz, to_year + 1, *super::zone::YEARS.end()));
            rules.resize(observances.len(), None);
        }
    }
    for ((dst, local, from, to, name), rule) in observances.into_iter().zip(rules) {
        let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
        out.push(format!("BEGIN:{kind}"));
        out.push(format!("DTSTART:{}", local.format("%Y%m%dT%H%M%S")));
        if let Some(rule) = rule {
            out.push(format!("RRULE:{rule}"));
        }
        out.push(format!("TZOFFSETFROM:{}", hhmm(from)));
        out.push(format!("TZOFFSETTO:{}", hhmm(to)));
        if !name.is_empty() {
            out.push(format!("TZNAME:{name}"));
        }
        out.push(format!("END:{kind}"));
    }
    out.push("END:VTIMEZONE".to_owned());
    out
}

/// A change of offset: into summer time or not, its local time (in the
/// offset before it), the offsets before and after, and its abbreviation.
type Change = (bool, NaiveDateTime, i32, i32, String);

fn offset_at(tz: chrono_tz::Tz, t: DateTime<Utc>) -> (i32, bool, String) {
    use chrono::{Offset, TimeZone};
    use chrono_tz::{OffsetComponents, OffsetName};
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    (o.fix().local_minus_utc(), o.dst_offset().num_seconds() != 0, o.abbreviation().unwrap_or("").to_owned())
}

/// Every change of the zone's offset from `from_year` through `to_year`.
fn changes(tz: chrono_tz::Tz, from_year: i32, to_year: i32) -> Vec<Change> {
    use chrono::TimeZone;
    let (Some(start), Some(end)) = (Utc.with_ymd_and_hms(from_year, 1, 1, 0, 0, 0).single(), Utc.with_ymd_and_hms(to_year + 1, 1, 1, 0, 0, 0).single()) else {
        return Vec::new();
    };
    let mut observances = Vec::new();
    let mut t = start;
    let mut before = offset_at(tz, t);
    while t < end {
        let next = t + chrono::Duration::hours(1);
        let after = offset_at(tz, next);
        if after.0 != before.0 || after.1 != before.1 {
            // Narrow the change down to the minute.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > chrono::Duration::minutes(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(tz, mid) == before { lo = mid } else { hi = mid }
            }
            let local = hi.naive_utc() + chrono::Duration::seconds(i64::from(before.0));
            observances.push((after.1, local, before.0, after.0, after.2.clone()));
        }
        before = after;
        t = next;
    }
    observances
}

/// The yearly rule a change date follows: its month and its weekday as the
/// nth of the month, or the last when it is in the month's last seven days.
fn yearly_rule(local: NaiveDateTime) -> String {
    let day = local.day();
    let days_in_month = days_in_month(local.year(), local.month());
    let weekday = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][local.weekday().num_days_from_monday() as usize];
    let nth = if day + 7 > days_in_month { "-1".to_owned() } else { ((day - 1) / 7 + 1).to_string() };
    format!("FREQ=YEARLY;BYMONTH={};BYDAY={nth}{weekday}", local.month())
}

/// Where [`yearly_rule`] of `local` falls in `year`, at the same time of day.
fn on_rule(local: NaiveDateTime, year: i32) -> Option<NaiveDateTime> {
    let (month, weekday) = (local.month(), local.weekday());
    let last = days_in_month(local.year(), month);
    let candidates: Vec<u32> = (1..=days_in_month(year, month)).filter(|d| chrono::NaiveDate::from_ymd_opt(year, month, *d).is_some_and(|x| x.weekday() == weekday)).collect();
    let day = if local.day() + 7 > last { *candidates.last()? } else { *candidates.get(((local.day() - 1) / 7) as usize)? };
    chrono::NaiveDate::from_ymd_opt(year, month, day).map(|d| d.and_time(local.time()))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 { chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { chrono::NaiveDate::from_ymd_opt(year, month + 1, 1) };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace('\n', "\\n")
}

/// Folds a content line at 75 octets, never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::ics;
    use crate::planning::testing::*;

    #[test]
    fn a_written_calendar_reads_back_the_same() {
        let freeze = Recurrence {
            start: local(2027, 1, 8, 15, 0),
            minutes: 66 * 60,
            time_zone: "Europe/Berlin".into(),
            rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
            exdates: vec![local(2027, 4, 2, 15, 0)],
            extra: Default::default(),
        };
        let entries = [
            CalendarEntry::Fixed {
                uid: "release-1@liftoff".into(),
                summary: "Release 2.4.0: Tax engine switch, with a very long name that has to be folded over lines".into(),
                description: "Scope: invoices; PDFs\nOwner: Lena".into(),
                start: utc(2027, 3, 2, 8, 0),
                end: utc(2027, 3, 2, 9, 30),
            },
            CalendarEntry::Repeating { uid: "freeze-1@liftoff".into(), summary: "Freeze: weekend".into(), description: String::new(), when: freeze.clone() },
        ];
        let text = write("Northwind Billing", &entries, utc(2026, 11, 22, 12, 0));
        assert!(text.lines().all(|l| l.len() <= 76), "folded");
        assert!(text.contains("\r\n "), "long lines are folded");
        assert!(text.contains("SUMMARY:Release 2.4.0: Tax engine switch\\, with"));
        let back = ics::parse(&text, berlin()).unwrap().events;
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].summary, "Release 2.4.0: Tax engine switch, with a very long name that has to be folded over lines");
        assert_eq!(back[0].when.expand(utc(2027, 3, 1, 0, 0), utc(2027, 3, 3, 0, 0)).unwrap().occurrences[0].start, utc(2027, 3, 2, 8, 0));
        assert_eq!(back[1].when, freeze);
        // Berlin's zone is described for Outlook: the spring 2027 change at 02:00 CET.
        assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"), "{text}");
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270328T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT"), "{text}");
        assert!(text.contains("BEGIN:STANDARD\r\nDTSTART:20271031T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"), "{text}");
    }
}
