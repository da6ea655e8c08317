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
    pub fn expand(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Expansion, RecurrenceError> {
        let tz = self.tz()?;
        let Some(set) = self.rule_set()? else {
            let one = self.occurrence_at(tz, self.start);
            let occurrences = if one.start < to && one.end > from { vec![one] } else { Vec::new() };
            return Ok(Expansion { occurrences, truncated: false });
        };
        // A window that starts before `from` may still reach into it.
        let earliest = (from - Duration::minutes(self.minutes) - Duration::hours(2)).with_timezone(&rrule::Tz::Tz(tz));
        let latest = to.with_timezone(&rrule::Tz::Tz(tz));
        let result = set.after(earliest).before(latest).all(MAX_OCCURRENCES);
        let occurrences = result
            .dates
            .iter()
            .map(|d| self.occurrence_at(tz, d.naive_local()))
            .filter(|o| o.start < to && o.end > from)
            .collect();
        Ok(Expansion { occurrences, truncated: result.limited })
    }

    fn tz(&self) -> Result<Tz, RecurrenceError> {
        crate::time_zones::parse(&self.time_zone).ok_or_else(|| RecurrenceError::TimeZone(self.time_zone.clone()))
    }

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
        let stamp = |t: &NaiveDateTime| t.format("%Y%m%dT%H%M%S").to_string();
        let mut text = format!("DTSTART;TZID={}:{}\nRRULE:{rule}", tz.name(), stamp(&self.start));
        if !self.exdates.is_empty() {
            let list: Vec<String> = self.exdates.iter().map(stamp).collect();
            text.push_str(&format!("\nEXDATE;TZID={}:{}", tz.name(), list.join(",")));
        }
        text.parse::<RRuleSet>().map(Some).map_err(|e| RecurrenceError::Rule(e.to_string()))
    }

    fn occurrence_at(&self, tz: Tz, local_start: NaiveDateTime) -> Occurrence {
        let end = local_start + Duration::minutes(self.minutes);
        Occurrence { start: localize(tz, local_start), end: localize(tz, end) }
    }
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
            rule: Some("FREQ=MINUTELY".into()),
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
