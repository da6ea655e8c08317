//! Liftoff's freezes written as an engine's cron freeze periods: GitLab's
//! deploy freeze periods are a `freeze_start` and a `freeze_end` cron in a
//! `cron_timezone`, and the project is frozen from each start to the end
//! that follows it.
//!
//! A freeze becomes one of two things:
//! - **repeating**: a daily or weekly rule (plain weekdays, every day or
//!   week, no end, no exceptions, already begun) whose occurrences do not
//!   overlap is exactly one cron pair in the freeze's own zone. Both
//!   Liftoff and GitLab keep wall-clock times across daylight-saving
//!   changes, so "Friday 15:00 to Monday 09:00 Europe/Berlin" means the
//!   same on both sides;
//! - **dated**: everything else (one-offs, exceptions, month-end and
//!   other positional rules, COUNT/UNTIL, intervals, series not yet begun)
//!   is written out as its occurrences over the next [`HORIZON_DAYS`], each
//!   as a pair of dated crons (`M H D Mon *`). Such a cron repeats yearly,
//!   so each sync removes the dated pairs whose occurrence has ended and
//!   adds the ones newly in range.
//!
//! [`convert`] is pure: the freeze and the time in, the pairs and the
//! reason for the way taken (in words) out.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Timelike, Utc};
use serde::Serialize;

use super::windows::{self, CalendarWindow};

/// How far ahead dated pairs are written.
pub const HORIZON_DAYS: i64 = 60;

/// The most dated pairs one freeze gets (an hourly freeze would make
/// hundreds).
pub const MAX_DATED: usize = 100;

/// One engine freeze period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CronPeriod {
    pub freeze_start: String,
    pub freeze_end: String,
    pub cron_timezone: String,
    /// A dated pair's occurrence, its local start (`2026-12-24T18:00`);
    /// `None` for a repeating pair.
    pub occurrence: Option<String>,
    /// When a dated pair's occurrence ends (RFC 3339, UTC): after that the
    /// pair is stale and is removed.
    pub ends_at: Option<String>,
}

/// Which way a freeze went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum CronWay {
    /// One repeating cron pair says exactly the same.
    Repeating,
    /// Its occurrences over the next days, one dated pair each.
    Dated,
}

/// A freeze as cron pairs, with why it went that way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FreezeCron {
    pub window_id: String,
    pub name: String,
    pub way: CronWay,
    /// One sentence: why this way.
    pub why: String,
    pub periods: Vec<CronPeriod>,
}

/// The freeze `w` as cron pairs at `now`.
pub fn convert(w: &CalendarWindow, now: DateTime<Utc>) -> FreezeCron {
    let done = |way, why: String, periods| FreezeCron { window_id: w.id.clone(), name: w.name.clone(), way, why, periods };
    match repeating(w, now) {
        Ok(pair) => done(CronWay::Repeating, format!("“{}” repeats {} at a fixed local time: one repeating cron pair in {} says the same.", w.name, pair.1, w.time_zone), vec![pair.0]),
        Err(why) => {
            let (periods, more) = dated(w, now);
            let why = match more {
                Some(more) => format!("{why} {more}"),
                None => format!("{why} Its occurrences in the next {HORIZON_DAYS} days are written as dated pairs, renewed at each sync."),
            };
            done(CronWay::Dated, format!("“{}”: {why}", w.name), periods)
        }
    }
}

/// The parts of a rule, keys in upper case.
fn parts(rule: &str) -> Vec<(String, String)> {
    let rule = rule.trim();
    let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
    rule.split(';').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.trim().to_uppercase(), v.trim().to_uppercase())).collect()
}

const DAYS: [(&str, u32); 7] = [("SU", 0), ("MO", 1), ("TU", 2), ("WE", 3), ("TH", 4), ("FR", 5), ("SA", 6)];
const DAY_NAMES: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// The one repeating pair that says exactly what `w` says, with its
/// repeat in words ("every Friday"); else why not, in words.
fn repeating(w: &CalendarWindow, now: DateTime<Utc>) -> Result<(CronPeriod, String), String> {
    let Some(rule) = w.rule.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Err("a one-off freeze, and GitLab's crons repeat.".into());
    };
    let start = windows::parse_local(&w.start_local).ok_or("its start cannot be read.")?;
    if !w.exdates.is_empty() {
        let n = w.exdates.len();
        return Err(format!("it leaves out {n} occurrence{} (exceptions), which a cron cannot skip.", if n == 1 { "" } else { "s" }));
    }
    let tz = crate::time_zones::parse(&w.time_zone).ok_or_else(|| format!("its zone “{}” is not one GitLab knows.", w.time_zone))?;
    if super::zone::localize(tz, start) > now {
        return Err(format!("it begins on {}, and a repeating cron would freeze the weeks before too.", start.format("%Y-%m-%d")));
    }
    let parts = parts(rule);
    let get = |k: &str| parts.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    if get("COUNT").is_some() || get("UNTIL").is_some() {
        return Err("it ends (COUNT or UNTIL), and a cron never does.".into());
    }
    if get("INTERVAL").is_some_and(|i| i != "1") {
        return Err(format!("it repeats only every {} periods, and a cron cannot skip any.", get("INTERVAL").unwrap_or_default()));
    }
    if let Some((k, v)) = parts.iter().find(|(k, _)| matches!(k.as_str(), "BYSETPOS" | "BYMONTHDAY" | "BYYEARDAY" | "BYWEEKNO" | "BYMONTH")) {
        return Err(format!("its rule picks days by their place in the month or year ({k}={v}, such as month-end), which a cron pair cannot say."));
    }
    if let Some((k, _)) = parts.iter().find(|(k, _)| matches!(k.as_str(), "BYHOUR" | "BYMINUTE" | "BYSECOND")) {
        return Err(format!("its rule starts it several times a day ({k}), and one cron pair starts once."));
    }
    let freq = get("FREQ").unwrap_or_default();
    let mut days: Vec<u32> = Vec::new();
    if let Some(list) = get("BYDAY") {
        for d in list.split(',') {
            match DAYS.iter().find(|(name, _)| *name == d.trim()) {
                Some((_, n)) => days.push(*n),
                None => return Err(format!("its rule picks a weekday by its place in the month (BYDAY={d}), which a cron pair cannot say.")),
            }
        }
    }
    days.sort_unstable();
    days.dedup();
    let every_day = match freq {
        "DAILY" => days.is_empty() || days.len() == 7,
        "WEEKLY" => {
            if days.is_empty() {
                days.push(start.weekday().num_days_from_sunday());
            }
            days.len() == 7
        }
        other => return Err(format!("it repeats {}, and only daily and weekly rules are one cron pair.", other.to_lowercase())),
    };
    if every_day {
        days = (0..7).collect();
    }
    // Occurrences must not overlap: GitLab ends a freeze at the first end
    // after a start.
    let gap_days = days.windows(2).map(|p| p[1] - p[0]).chain(std::iter::once(days[0] + 7 - days[days.len() - 1])).min().unwrap_or(7);
    let minutes = i64::from(w.minutes);
    if minutes >= i64::from(gap_days) * 24 * 60 {
        return Err("each occurrence lasts until the next begins, and GitLab would end the first at the first end.".into());
    }
    let end = start + Duration::minutes(minutes);
    let shift = (end.date() - start.date()).num_days() as u32;
    let list = |days: &[u32]| if days.len() == 7 { "*".to_owned() } else { days.iter().map(u32::to_string).collect::<Vec<_>>().join(",") };
    let mut end_days: Vec<u32> = days.iter().map(|d| (d + shift) % 7).collect();
    end_days.sort_unstable();
    let period = CronPeriod {
        freeze_start: format!("{} {} * * {}", start.minute(), start.hour(), list(&days)),
        freeze_end: format!("{} {} * * {}", end.minute(), end.hour(), list(&end_days)),
        cron_timezone: w.time_zone.clone(),
        occurrence: None,
        ends_at: None,
    };
    let words = if days.len() == 7 { "every day".to_owned() } else { format!("every {}", days.iter().map(|d| DAY_NAMES[*d as usize]).collect::<Vec<_>>().join(", ")) };
    Ok((period, words))
}

/// The occurrences of `w` that have not ended by `now` and begin within
/// [`HORIZON_DAYS`], as dated pairs in its zone; with a sentence when not
/// all could be written.
fn dated(w: &CalendarWindow, now: DateTime<Utc>) -> (Vec<CronPeriod>, Option<String>) {
    if i64::from(w.minutes) >= 365 * 24 * 60 {
        return (Vec::new(), Some("It lasts a year or more, and a dated cron repeats yearly: it is not written to GitLab; the pipeline can call `liftoff freeze-check` instead.".into()));
    }
    let Some(tz) = crate::time_zones::parse(&w.time_zone) else {
        return (Vec::new(), Some(format!("Its zone “{}” is not one GitLab knows: it is not written to GitLab.", w.time_zone)));
    };
    let expansion = match windows::recurrence_of(w).and_then(|r| r.expand(now, now + Duration::days(HORIZON_DAYS)).map_err(|e| super::PlanningError::Export(e.to_string()))) {
        Ok(e) => e,
        Err(e) => return (Vec::new(), Some(format!("Its occurrences cannot be worked out ({e}): it is not written to GitLab."))),
    };
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
    let cron = |t: NaiveDateTime| format!("{} {} {} {} *", t.minute(), t.hour(), t.day(), t.month());
    let all = expansion.occurrences.len();
    let periods: Vec<CronPeriod> = expansion
        .occurrences
        .into_iter()
        .take(MAX_DATED)
        .map(|o| CronPeriod {
            freeze_start: cron(local(o.start)),
            freeze_end: cron(local(o.end)),
            cron_timezone: w.time_zone.clone(),
            occurrence: Some(local(o.start).format("%Y-%m-%dT%H:%M").to_string()),
            ends_at: Some(crate::clock::to_text(o.end)),
        })
        .collect();
    let more = (all > MAX_DATED || expansion.truncated)
        .then(|| format!("It has more than {MAX_DATED} occurrences in the next {HORIZON_DAYS} days: the first {MAX_DATED} are written as dated pairs, the rest as they come within range."));
    (periods, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::testing::utc;
    use crate::planning::windows::WindowKind;

    fn freeze(start: &str, minutes: i32, tz: &str, rule: Option<&str>, exdates: &[&str]) -> CalendarWindow {
        CalendarWindow {
            id: "w1".into(),
            project_id: "p1".into(),
            kind: WindowKind::Freeze,
            name: "Weekend freeze".into(),
            reason: String::new(),
            start_local: start.into(),
            minutes,
            time_zone: tz.into(),
            rule: rule.map(str::to_owned),
            exdates: exdates.iter().map(|e| e.to_string()).collect(),
            environment_ids: Vec::new(),
            scoped: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn pairs(c: &FreezeCron) -> Vec<(&str, &str)> {
        c.periods.iter().map(|p| (p.freeze_start.as_str(), p.freeze_end.as_str())).collect()
    }

    #[test]
    fn a_weekly_weekend_freeze_is_one_repeating_pair_in_its_zone_across_daylight_saving() {
        // Friday 15:00 to Monday 09:00 Berlin, begun in January 2027; read
        // in March, the week the clocks go forward.
        let w = freeze("2027-01-08T15:00", 66 * 60, "Europe/Berlin", Some("FREQ=WEEKLY;BYDAY=FR"), &[]);
        let c = convert(&w, utc(2027, 3, 27, 12, 0));
        assert_eq!(c.way, CronWay::Repeating, "{}", c.why);
        assert_eq!(pairs(&c), [("0 15 * * 5", "0 9 * * 1")]);
        assert_eq!(c.periods[0].cron_timezone, "Europe/Berlin", "wall-clock times in the freeze's zone, as GitLab reads them");
        assert_eq!(c.why, "“Weekend freeze” repeats every Friday at a fixed local time: one repeating cron pair in Europe/Berlin says the same.");
        // Without BYDAY, the start's own weekday; a WEEKLY rule on two days.
        let w = freeze("2027-01-05T18:30", 90, "America/New_York", Some("FREQ=WEEKLY"), &[]);
        assert_eq!(pairs(&convert(&w, utc(2027, 2, 1, 0, 0))), [("30 18 * * 2", "0 20 * * 2")]);
        let w = freeze("2027-01-05T22:00", 4 * 60, "UTC", Some("FREQ=WEEKLY;BYDAY=TU,TH"), &[]);
        assert_eq!(pairs(&convert(&w, utc(2027, 2, 1, 0, 0))), [("0 22 * * 2,4", "0 2 * * 3,5")]);
    }

    #[test]
    fn a_daily_freeze_is_one_repeating_pair_and_a_daily_one_on_weekdays_too() {
        let w = freeze("2027-01-01T17:00", 15 * 60, "Europe/London", Some("FREQ=DAILY"), &[]);
        let c = convert(&w, utc(2027, 2, 1, 0, 0));
        assert_eq!((c.way, pairs(&c)), (CronWay::Repeating, vec![("0 17 * * *", "0 8 * * *")]));
        let w = freeze("2027-01-04T17:00", 60, "UTC", Some("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"), &[]);
        assert_eq!(pairs(&convert(&w, utc(2027, 2, 1, 0, 0))), [("0 17 * * 1,2,3,4,5", "0 18 * * 1,2,3,4,5")]);
        // A day-long daily freeze never ends: a cron pair cannot say it.
        let w = freeze("2027-01-01T00:00", 24 * 60, "UTC", Some("FREQ=DAILY"), &[]);
        assert_eq!(convert(&w, utc(2027, 2, 1, 0, 0)).way, CronWay::Dated);
    }

    #[test]
    fn a_one_off_freeze_is_one_dated_pair_and_gone_once_over() {
        let w = freeze("2027-12-23T18:00", 12 * 24 * 60 + 15 * 60, "Europe/Berlin", None, &[]);
        let c = convert(&w, utc(2027, 12, 1, 0, 0));
        assert_eq!(c.way, CronWay::Dated);
        assert_eq!(pairs(&c), [("0 18 23 12 *", "0 9 5 1 *")]);
        assert_eq!(c.periods[0].occurrence.as_deref(), Some("2027-12-23T18:00"));
        assert_eq!(c.periods[0].ends_at.as_deref(), Some("2028-01-05T08:00:00Z"));
        assert!(c.why.contains("a one-off freeze, and GitLab's crons repeat."), "{}", c.why);
        // In progress: still written; ended: none.
        assert_eq!(convert(&w, utc(2027, 12, 30, 0, 0)).periods.len(), 1);
        assert!(convert(&w, utc(2028, 1, 6, 0, 0)).periods.is_empty());
        // Beyond the horizon: not yet.
        assert!(convert(&w, utc(2027, 9, 1, 0, 0)).periods.is_empty());
    }

    #[test]
    fn a_weekly_freeze_with_an_exception_is_dated_without_the_left_out_week() {
        let w = freeze("2027-01-08T15:00", 66 * 60, "Europe/Berlin", Some("FREQ=WEEKLY;BYDAY=FR"), &["2027-04-02T15:00"]);
        let c = convert(&w, utc(2027, 3, 20, 0, 0));
        assert_eq!(c.way, CronWay::Dated);
        assert!(c.why.contains("leaves out 1 occurrence (exceptions), which a cron cannot skip"), "{}", c.why);
        let starts: Vec<&str> = c.periods.iter().map(|p| p.freeze_start.as_str()).collect();
        assert!(starts.contains(&"0 15 26 3 *") && starts.contains(&"0 15 9 4 *"), "{starts:?}");
        assert!(!starts.contains(&"0 15 2 4 *"), "Good Friday is left out: {starts:?}");
        // The weekend in progress (from 19 March) and the Fridays to 19 May
        // 2027, less Good Friday.
        assert_eq!(starts.first(), Some(&"0 15 19 3 *"));
        assert_eq!(c.periods.len(), 8, "{starts:?}");
    }

    #[test]
    fn a_month_end_freeze_is_dated_naming_the_rule() {
        let w = freeze("2027-01-30T00:00", 24 * 60, "Europe/Berlin", Some("FREQ=MONTHLY;BYMONTHDAY=-2,-1"), &[]);
        let c = convert(&w, utc(2027, 2, 1, 0, 0));
        assert_eq!(c.way, CronWay::Dated);
        assert!(c.why.contains("(BYMONTHDAY=-2,-1, such as month-end)"), "{}", c.why);
        assert_eq!(pairs(&c), [("0 0 27 2 *", "0 0 28 2 *"), ("0 0 28 2 *", "0 0 1 3 *"), ("0 0 30 3 *", "0 0 31 3 *"), ("0 0 31 3 *", "0 0 1 4 *")]);
        let last_friday = freeze("2027-01-29T12:00", 60, "UTC", Some("FREQ=MONTHLY;BYDAY=-1FR"), &[]);
        assert!(convert(&last_friday, utc(2027, 2, 1, 0, 0)).why.contains("(BYDAY=-1FR)"));
        let w = freeze("2027-01-29T12:00", 60, "UTC", Some("FREQ=WEEKLY;BYDAY=FR;BYSETPOS=-1"), &[]);
        assert!(convert(&w, utc(2027, 2, 1, 0, 0)).why.contains("BYSETPOS=-1"));
    }

    #[test]
    fn ends_intervals_and_series_not_yet_begun_are_dated() {
        let now = utc(2027, 2, 1, 0, 0);
        let why = |rule: &str, start: &str| convert(&freeze(start, 60, "UTC", Some(rule), &[]), now).why;
        assert!(why("FREQ=WEEKLY;BYDAY=FR;COUNT=5", "2027-01-01T12:00").contains("it ends (COUNT or UNTIL)"));
        assert!(why("FREQ=WEEKLY;BYDAY=FR;UNTIL=20270301", "2027-01-01T12:00").contains("it ends (COUNT or UNTIL)"));
        assert!(why("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "2027-01-01T12:00").contains("every 2 periods"));
        assert!(why("FREQ=WEEKLY;BYDAY=FR", "2027-03-05T12:00").contains("begins on 2027-03-05"));
        let fortnightly = convert(&freeze("2027-01-01T12:00", 60, "UTC", Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"), &[]), now);
        assert_eq!(fortnightly.periods.len(), 4, "12 and 26 February, 12 and 26 March: {:?}", pairs(&fortnightly));
        assert_eq!(fortnightly.periods[0].freeze_start, "0 12 12 2 *");
    }

    #[test]
    fn a_dated_pair_keeps_wall_clock_times_across_a_change_of_the_clocks() {
        // A one-off Saturday 22:00 to Sunday 06:00 in New York over the
        // night the clocks go forward (14 March 2027): 8 wall-clock hours.
        let w = freeze("2027-03-13T22:00", 8 * 60, "America/New_York", None, &[]);
        let c = convert(&w, utc(2027, 3, 1, 0, 0));
        assert_eq!(pairs(&c), [("0 22 13 3 *", "0 6 14 3 *")]);
        assert_eq!(c.periods[0].ends_at.as_deref(), Some("2027-03-14T10:00:00Z"), "06:00 EDT");
    }
}
