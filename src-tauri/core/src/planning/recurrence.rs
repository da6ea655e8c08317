//! Windows that repeat: a local start time in a named time zone, a length,
//! and an optional RFC 5545 rule with exception dates.
//!
//! Occurrences keep their local wall-clock times across daylight-saving
//! changes: "every Friday 15:00 to Monday 09:00" in Europe/Berlin starts at
//! 15:00 and ends at 09:00 Berlin time on both sides of a change, so its
//! length in real time is 65, 66 or 67 hours. A local time that does not
//! exist (the hour skipped in spring) moves forward by the gap; one that
//! happens twice (autumn) is taken the first time.
//!
//! Expansion is bounded: at most [`MAX_OCCURRENCES`] per query, and a rule
//! that never matches stops after a bounded search, so no rule can hang the
//! app.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::RRuleSet;

/// The most occurrences one query returns; the rest are reported as cut off.
pub const MAX_OCCURRENCES: u16 = 5000;

/// The most rule steps one query walks, from the window's first start.
pub const MAX_STEPS: usize = 200_000;

/// The longest a single window may be: 366 days.
pub const MAX_MINUTES: i64 = 366 * 24 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// Local to `time_zone`.
    pub start: NaiveDateTime,
    pub minutes: i64,
    pub time_zone: String,
    /// The RRULE value, such as `FREQ=WEEKLY;BYDAY=FR`; `None` for a one-off window.
    pub rule: Option<String>,
    /// Local start times of occurrences to leave out.
    pub exdates: Vec<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub occurrences: Vec<Occurrence>,
    /// More occurrences exist in the range than were returned.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("“{0}” is not a time zone Liftoff knows. Pick one from the list, such as Europe/Berlin.")]
    TimeZone(String),
    #[error("A window must last between 1 minute and 366 days.")]
    Length,
    #[error("The repeat rule is not valid: {0}. Write it as in a calendar, such as FREQ=WEEKLY;BYDAY=FR.")]
    Rule(String),
}

impl Recurrence {
    /// Checks the zone, the length and the rule without expanding anything.
    pub fn validate(&self) -> Result<(), RecurrenceError> {
        self.rule_set().map(|_| ())
    }

    /// The occurrences that overlap `[from, to)`, in order.
    ///
    /// The rule is expanded in wall-clock time (as if the zone were UTC, so
    /// that no local time is missing or doubled), then each start and end is
    /// placed in the real zone.
    pub fn expand(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Expansion, RecurrenceError> {
        let tz = self.tz()?;
        let Some(set) = self.rule_set()? else {
            let one = self.occurrence_at(tz, self.start);
            let occurrences = if one.start < to && one.end > from { vec![one] } else { Vec::new() };
            return Ok(Expansion { occurrences, truncated: false });
        };
        // A window that starts before `from` may still reach into it; local
        // times differ from UTC by at most a day.
        let earliest = (from.with_timezone(&tz).naive_local() - Duration::minutes(self.minutes) - Duration::days(1)).and_utc();
        let latest = (to.with_timezone(&tz).naive_local() + Duration::days(1)).and_utc();
        let mut occurrences = Vec::new();
        let mut truncated = false;
        for (step, d) in set.into_iter().enumerate() {
            if step >= MAX_STEPS || occurrences.len() >= usize::from(MAX_OCCURRENCES) {
                truncated = true;
                break;
            }
            let local = d.naive_utc();
            if local >= latest.naive_utc() {
                break;
            }
            if local < earliest.naive_utc() {
                continue;
            }
            let o = self.occurrence_at(tz, local);
            if o.start < to && o.end > from {
                occurrences.push(o);
            }
        }
        Ok(Expansion { occurrences, truncated })
    }

    fn tz(&self) -> Result<Tz, RecurrenceError> {
        crate::time_zones::parse(&self.time_zone).ok_or_else(|| RecurrenceError::TimeZone(self.time_zone.clone()))
    }

    /// The rule set in wall-clock time: DTSTART, EXDATEs and UNTIL as local
    /// times written as UTC.
    fn rule_set(&self) -> Result<Option<RRuleSet>, RecurrenceError> {
        let tz = self.tz()?;
        if self.minutes < 1 || self.minutes > MAX_MINUTES {
            return Err(RecurrenceError::Length);
        }
        let Some(rule) = self.rule.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
        if rule.contains(['\n', '\r']) || rule.to_uppercase().contains("DTSTART") {
            return Err(RecurrenceError::Rule("give only the rule itself, on one line".into()));
        }
        let upper = rule.to_uppercase();
        if upper.contains("FREQ=SECONDLY") || upper.contains("FREQ=MINUTELY") {
            return Err(RecurrenceError::Rule("a window can repeat at most hourly".into()));
        }
        let rule = wall_clock_until(rule, tz)?;
        let stamp = |t: &NaiveDateTime| t.format("%Y%m%dT%H%M%SZ").to_string();
        let mut text = format!("DTSTART:{}\nRRULE:{rule}", stamp(&self.start));
        if !self.exdates.is_empty() {
            let list: Vec<String> = self.exdates.iter().map(stamp).collect();
            text.push_str(&format!("\nEXDATE:{}", list.join(",")));
        }
        text.parse::<RRuleSet>().map(Some).map_err(|e| RecurrenceError::Rule(e.to_string()))
    }

    fn occurrence_at(&self, tz: Tz, local_start: NaiveDateTime) -> Occurrence {
        let end = local_start + Duration::minutes(self.minutes);
        Occurrence { start: localize(tz, local_start), end: localize(tz, end) }
    }
}

/// Rewrites a rule's UNTIL as a wall-clock time written as UTC: a UTC
/// instant becomes its local time in `tz`; a date means the end of that day;
/// a floating time stays as it is.
fn wall_clock_until(rule: &str, tz: Tz) -> Result<String, RecurrenceError> {
    let parts: Vec<String> = rule
        .split(';')
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else { return Ok(part.to_owned()) };
            if !key.trim().eq_ignore_ascii_case("UNTIL") {
                return Ok(part.to_owned());
            }
            let v = value.trim();
            let bad = || RecurrenceError::Rule(format!("UNTIL={v} is not a date such as 20271231 or 20271231T170000Z"));
            let local = if let Some(utc) = v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
                let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
                t.and_utc().with_timezone(&tz).naive_local()
            } else if v.len() == 8 {
                chrono::NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| bad())?.and_hms_opt(23, 59, 59).ok_or_else(bad)?
            } else {
                NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad())?
            };
            Ok(format!("UNTIL={}", local.format("%Y%m%dT%H%M%SZ")))
        })
        .collect::<Result<_, _>>()?;
    Ok(parts.join(";"))
}

/// A local wall-clock time as a real instant. A time in a spring-forward gap
/// moves forward by the gap; an autumn time that happens twice is taken the
/// first time.
pub fn localize(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most a few hours; find the first existing minute.
            (1..=240)
                .find_map(|m| tz.from_local_datetime(&(local + Duration::minutes(m))).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| local.and_utc())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::testing::*;



    /// Every Friday 15:00 to Monday 09:00 (66 hours of wall-clock time).
    fn weekend_freeze(tz: &str, first_friday: NaiveDateTime) -> Recurrence {
        Recurrence {
            start: first_friday,
            minutes: 66 * 60,
            time_zone: tz.into(),
            rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
            exdates: Vec::new(),
        }
    }

    fn only(r: &Recurrence, from: DateTime<Utc>, to: DateTime<Utc>) -> Occurrence {
        let e = r.expand(from, to).unwrap();
        assert_eq!(e.occurrences.len(), 1, "{:?}", e.occurrences);
        e.occurrences[0]
    }

    #[test]
    fn berlin_weekend_freezes_keep_their_wall_clock_times_across_both_changes() {
        let r = weekend_freeze("Europe/Berlin", local(2027, 1, 8, 15, 0));
        // Spring: clocks go forward on Sunday 28 March 2027.
        let spring = only(&r, utc(2027, 3, 27, 0, 0), utc(2027, 3, 28, 0, 0));
        assert_eq!(spring, Occurrence { start: utc(2027, 3, 26, 14, 0), end: utc(2027, 3, 29, 7, 0) });
        // Autumn: clocks go back on Sunday 31 October 2027.
        let autumn = only(&r, utc(2027, 10, 30, 0, 0), utc(2027, 10, 31, 0, 0));
        assert_eq!(autumn, Occurrence { start: utc(2027, 10, 29, 13, 0), end: utc(2027, 11, 1, 8, 0) });
    }

    #[test]
    fn new_york_weekend_freezes_keep_their_wall_clock_times_across_both_changes() {
        let r = weekend_freeze("America/New_York", local(2027, 1, 8, 15, 0));
        // Spring: Sunday 14 March 2027.
        let spring = only(&r, utc(2027, 3, 13, 12, 0), utc(2027, 3, 13, 13, 0));
        assert_eq!(spring, Occurrence { start: utc(2027, 3, 12, 20, 0), end: utc(2027, 3, 15, 13, 0) });
        // Autumn: Sunday 7 November 2027.
        let autumn = only(&r, utc(2027, 11, 6, 12, 0), utc(2027, 11, 6, 13, 0));
        assert_eq!(autumn, Occurrence { start: utc(2027, 11, 5, 19, 0), end: utc(2027, 11, 8, 14, 0) });
    }

    #[test]
    fn exdates_leave_out_occurrences() {
        let mut r = weekend_freeze("Europe/Berlin", local(2027, 1, 8, 15, 0));
        let april = |r: &Recurrence| r.expand(utc(2027, 4, 1, 0, 0), utc(2027, 5, 1, 0, 0)).unwrap().occurrences.len();
        assert_eq!(april(&r), 5, "Fridays 2, 9, 16, 23, 30 April 2027");
        r.exdates.push(local(2027, 4, 2, 15, 0)); // Good Friday
        assert_eq!(april(&r), 4);
        let first = r.expand(utc(2027, 4, 1, 0, 0), utc(2027, 5, 1, 0, 0)).unwrap().occurrences[0];
        assert_eq!(first.start, utc(2027, 4, 9, 13, 0));
    }

    #[test]
    fn the_last_two_days_of_each_month() {
        let r = Recurrence {
            start: local(2027, 1, 30, 0, 0),
            minutes: 24 * 60,
            time_zone: "Europe/Berlin".into(),
            rule: Some("FREQ=MONTHLY;BYMONTHDAY=-2,-1".into()),
            exdates: Vec::new(),
        };
        let feb = r.expand(utc(2027, 2, 1, 0, 0), utc(2027, 3, 1, 0, 0)).unwrap().occurrences;
        let days: Vec<DateTime<Utc>> = feb.iter().map(|o| o.start).collect();
        assert_eq!(days, [utc(2027, 2, 26, 23, 0), utc(2027, 2, 27, 23, 0)], "27 and 28 February, Berlin midnight");
    }

    #[test]
    fn a_window_in_progress_at_the_start_of_the_range_is_included() {
        let r = weekend_freeze("Europe/Berlin", local(2027, 1, 8, 15, 0));
        // Sunday noon: inside the freeze that began on Friday.
        let o = only(&r, utc(2027, 1, 10, 11, 0), utc(2027, 1, 10, 12, 0));
        assert_eq!(o.start, utc(2027, 1, 8, 14, 0));
    }

    #[test]
    fn expansion_is_bounded() {
        let every_minute = Recurrence {
            start: local(2027, 1, 1, 0, 0),
            minutes: 1,
            time_zone: "UTC".into(),
            rule: Some("FREQ=HOURLY".into()),
            exdates: Vec::new(),
        };
        let e = every_minute.expand(utc(2027, 1, 1, 0, 0), utc(2037, 1, 1, 0, 0)).unwrap();
        assert!(e.truncated);
        assert!(e.occurrences.len() <= MAX_OCCURRENCES as usize);
        // A rule that never matches ends its search (bounded by the rrule
        // crate's iteration limit) instead of hanging.
        let never = Recurrence { rule: Some("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".into()), minutes: 60, ..every_minute };
        let e = never.expand(utc(2027, 1, 1, 0, 0), utc(2100, 1, 1, 0, 0));
        assert!(matches!(&e, Ok(x) if x.occurrences.is_empty()) || e.is_err(), "{e:?}");
    }

    #[test]
    fn exceptions_and_starts_in_a_gap_or_twice_in_an_hour_work() {
        // 02:30 on 28 March 2027 does not exist in Berlin; 31 October has it twice.
        let mut r = Recurrence {
            start: local(2027, 3, 27, 2, 30),
            minutes: 60,
            time_zone: "Europe/Berlin".into(),
            rule: Some("FREQ=DAILY".into()),
            exdates: vec![local(2027, 3, 29, 2, 30)],
        };
        let e = r.expand(utc(2027, 3, 27, 0, 0), utc(2027, 3, 30, 12, 0)).unwrap().occurrences;
        let starts: Vec<DateTime<Utc>> = e.iter().map(|o| o.start).collect();
        assert_eq!(starts, [utc(2027, 3, 27, 1, 30), utc(2027, 3, 28, 1, 0), utc(2027, 3, 30, 0, 30)]);
        r.start = local(2027, 10, 30, 2, 30);
        r.exdates.clear();
        let e = r.expand(utc(2027, 10, 31, 0, 0), utc(2027, 10, 31, 2, 0)).unwrap().occurrences;
        assert_eq!(e[0].start, utc(2027, 10, 31, 0, 30));
    }

    #[test]
    fn until_may_be_a_date_a_local_time_or_utc() {
        for until in ["20270122", "20270122T170000", "20270122T160000Z"] {
            let r = weekend_freeze_until("Europe/Berlin", until);
            let n = r.expand(utc(2027, 1, 1, 0, 0), utc(2027, 3, 1, 0, 0)).unwrap().occurrences.len();
            assert_eq!(n, 3, "{until}: Fridays 8, 15 and 22 January");
        }
    }

    fn weekend_freeze_until(tz: &str, until: &str) -> Recurrence {
        let mut r = weekend_freeze(tz, local(2027, 1, 8, 15, 0));
        r.rule = Some(format!("FREQ=WEEKLY;BYDAY=FR;UNTIL={until}"));
        r
    }

    #[test]
    fn an_old_frequent_rule_is_walked_a_bounded_number_of_steps() {
        let hourly_since_2000 = Recurrence {
            start: local(2000, 1, 1, 0, 0),
            minutes: 30,
            time_zone: "UTC".into(),
            rule: Some("FREQ=HOURLY".into()),
            exdates: Vec::new(),
        };
        let e = hourly_since_2000.expand(utc(2027, 1, 1, 0, 0), utc(2027, 1, 2, 0, 0)).unwrap();
        assert!(e.truncated, "27 years of hours exceed the step bound");
        let minutely = Recurrence { rule: Some("FREQ=MINUTELY".into()), ..hourly_since_2000 };
        assert!(matches!(minutely.validate(), Err(RecurrenceError::Rule(_))));
    }

    #[test]
    fn bad_input_is_named() {
        let mut r = weekend_freeze("Europe/Berlin", local(2027, 1, 8, 15, 0));
        r.rule = Some("FREQ=SOMETIMES".into());
        assert!(matches!(r.validate(), Err(RecurrenceError::Rule(_))));
        r.rule = Some("FREQ=WEEKLY\nDTSTART:20200101T000000Z".into());
        assert!(matches!(r.validate(), Err(RecurrenceError::Rule(_))));
        r.rule = None;
        r.time_zone = "Mars/Olympus".into();
        assert!(matches!(r.validate(), Err(RecurrenceError::TimeZone(_))));
        r.time_zone = "UTC".into();
        r.minutes = 0;
        assert_eq!(r.validate(), Err(RecurrenceError::Length));
    }

    #[test]
    fn gap_and_repeated_local_times() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 does not exist on 28 March 2027: it becomes 03:00 CEST (01:00Z).
        assert_eq!(localize(berlin, local(2027, 3, 28, 2, 30)), utc(2027, 3, 28, 1, 0));
        // 02:30 happens twice on 31 October 2027: the first is 00:30Z.
        assert_eq!(localize(berlin, local(2027, 10, 31, 2, 30)), utc(2027, 10, 31, 0, 30));
    }
}
