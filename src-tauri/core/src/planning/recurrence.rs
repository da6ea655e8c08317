//! Windows that repeat: a local start time in a named time zone, a length,
//! and RFC 5545 rules with extra and exception dates (the recurrence set of
//! RFC 5545 3.8.5: DTSTART, the RRULEs and RDATEs, minus the EXDATEs).
//!
//! Occurrences keep their local wall-clock times across daylight-saving
//! changes: "every Friday 15:00 to Monday 09:00" in Europe/Berlin starts at
//! 15:00 and ends at 09:00 Berlin time on both sides of a change, so its
//! length in real time is 65, 66 or 67 hours. Local times are placed as
//! RFC 5545 3.3.5 says (see [`super::zone`]). A start the clock skips (in a
//! spring-forward gap) takes the offset before the gap and the occurrence
//! lasts its full length from there, as the `DURATION` an export writes for
//! it means (3.3.6): 02:30 for an hour on the night Berlin's clocks go
//! forward is 01:30Z to 02:30Z in the timeline, the checks and the file.
//!
//! Expansion is bounded: at most [`MAX_OCCURRENCES`] per query and
//! [`MAX_STEPS`] rule steps, every rule search gives up after the `rrule`
//! crate's loop limit, and a [`Budget`] bounds the work of a whole import or
//! timeline read, so no file can hang the app.

use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rrule::RRuleSet;
use serde::{Deserialize, Serialize};

pub use super::zone::localize;
use super::zone::{self, CustomZone, Zone};

/// The most occurrences one query returns; the rest are reported as cut off.
pub const MAX_OCCURRENCES: u16 = 5000;

/// The most rule steps one query walks, from the window's first start.
pub const MAX_STEPS: usize = 200_000;

/// The longest a single window may be: 366 days.
pub const MAX_MINUTES: i64 = 366 * 24 * 60;

/// The rule steps [`Recurrence::span`] walks to find a series' end.
pub const SPAN_STEPS: usize = 1000;

/// The most rules, extra dates and exceptions one recurrence may have.
pub const MAX_DATES: usize = 5000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recurrence {
    /// Local to `time_zone`.
    pub start: NaiveDateTime,
    pub minutes: i64,
    /// An IANA name, or the name a calendar file gave the zone in `extra.zone`.
    pub time_zone: String,
    /// The RRULE value, such as `FREQ=WEEKLY;BYDAY=FR`; `None` for a one-off window.
    pub rule: Option<String>,
    /// Local start times of occurrences to leave out.
    pub exdates: Vec<NaiveDateTime>,
    /// What calendar files add; empty for windows made in Liftoff.
    pub extra: Extra,
}

/// The parts of a recurrence only imported calendars have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Extra {
    /// More RRULEs: the set is their union (RFC 5545 3.8.5.3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// RDATEs (RFC 5545 3.8.5.2), local to the zone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rdates: Vec<RDate>,
    /// The zone the file defined in a VTIMEZONE, when its name is not an
    /// IANA one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<CustomZone>,
    /// Only the occurrences whose original start is at or after `from` and
    /// before `before` (the parts of a series split by THISANDFUTURE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<NaiveDateTime>,
    /// Minutes each occurrence moves from its original start (RANGE=THISANDFUTURE).
    #[serde(skip_serializing_if = "is_zero")]
    pub shift: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Extra {
    pub fn is_empty(&self) -> bool {
        *self == Extra::default()
    }
}

/// An extra occurrence: its local start and, for a period, its own length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RDate {
    pub start: NaiveDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
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
    #[error("A date is outside the years 1800 to 2200 Liftoff plans in.")]
    OutOfRange,
    #[error("Reading the repeat rules took longer than Liftoff allows for one import or view ({0} seconds).")]
    Budget(u64),
}

/// The time a whole import or timeline read may spend expanding rules.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    deadline: Option<Instant>,
    seconds: u64,
}

impl Budget {
    pub fn unlimited() -> Budget {
        Budget { deadline: None, seconds: 0 }
    }

    pub fn seconds(seconds: u64) -> Budget {
        Budget { deadline: Some(Instant::now() + Elapsed::from_secs(seconds)), seconds }
    }

    pub fn spent(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn check(&self) -> Result<(), RecurrenceError> {
        if self.spent() {
            Err(RecurrenceError::Budget(self.seconds))
        } else {
            Ok(())
        }
    }
}

impl Recurrence {
    /// Checks the zone, the length, the dates and the rules without
    /// expanding anything.
    pub fn validate(&self) -> Result<(), RecurrenceError> {
        self.rule_sets(&self.zone()?).map(|_| ())
    }

    /// Every rule: `rule` and the extra ones.
    fn rules(&self) -> impl Iterator<Item = &str> {
        self.rule.as_deref().into_iter().chain(self.extra.rules.iter().map(String::as_str)).map(str::trim).filter(|r| !r.is_empty())
    }

    pub fn repeats(&self) -> bool {
        self.rules().next().is_some() || !self.extra.rdates.is_empty()
    }

    /// The longest occurrence: the window's length or an RDATE period's.
    fn longest(&self) -> i64 {
        self.extra.rdates.iter().filter_map(|r| r.minutes).fold(self.minutes, i64::max)
    }

    /// The zone the local times are in.
    pub fn zone(&self) -> Result<Zone, RecurrenceError> {
        match &self.extra.zone {
            Some(custom) => Ok(Zone::custom(custom)),
            None => crate::time_zones::parse(&self.time_zone).map(Zone::Iana).ok_or_else(|| RecurrenceError::TimeZone(self.time_zone.clone())),
        }
    }

    /// The occurrences that overlap `[from, to)`, in order.
    pub fn expand(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Expansion, RecurrenceError> {
        self.expand_within(from, to, &Budget::unlimited())
    }

    /// [`Recurrence::expand`] within the time left in `budget`.
    ///
    /// Rules are expanded in wall-clock time (as if the zone were UTC, so
    /// that no local time is missing or doubled), then each occurrence is
    /// placed in the real zone ([`place`]).
    pub fn expand_within(&self, from: DateTime<Utc>, to: DateTime<Utc>, budget: &Budget) -> Result<Expansion, RecurrenceError> {
        let zone = self.zone()?;
        let sets = self.rule_sets(&zone)?;
        budget.check()?;
        let shift = Duration::minutes(self.extra.shift);
        let longest = self.longest();
        // A window that starts before `from` may still reach into it; local
        // times differ from UTC by at most a day.
        let earliest = zone.local(from) - Duration::minutes(longest) - Duration::days(1) - shift;
        let latest = zone.local(to) + Duration::days(1) - shift;
        let (starts, mut truncated) = self.starts(sets, earliest, latest, budget)?;
        let mut occurrences = Vec::new();
        for (t, minutes) in starts {
            let o = place(&zone, t + shift, minutes);
            if o.start < to && o.end > from && o.end > o.start {
                if occurrences.len() >= usize::from(MAX_OCCURRENCES) {
                    truncated = true;
                    break;
                }
                occurrences.push(o);
            }
        }
        Ok(Expansion { occurrences, truncated })
    }

    /// The wall-clock starts in `[earliest, latest)`, each with its length,
    /// in order: DTSTART, the RDATEs and the rules' starts, without the
    /// EXDATEs and those outside `extra.from`/`extra.before`. `true` when
    /// the step bound cut the walk short.
    fn starts(&self, sets: Vec<RRuleSet>, earliest: NaiveDateTime, latest: NaiveDateTime, budget: &Budget) -> Result<(Vec<(NaiveDateTime, i64)>, bool), RecurrenceError> {
        let mut starts: Vec<(NaiveDateTime, i64)> = Vec::new();
        let mut truncated = false;
        let within = |t: NaiveDateTime, minutes: i64, starts: &mut Vec<(NaiveDateTime, i64)>| {
            if t >= earliest && t < latest {
                starts.push((t, minutes));
            }
        };
        // DTSTART always counts as the first occurrence (RFC 5545 3.8.5.3).
        within(self.start, self.minutes, &mut starts);
        for r in &self.extra.rdates {
            within(r.start, r.minutes.unwrap_or(self.minutes), &mut starts);
        }
        for set in sets {
            for (step, d) in set.limit().into_iter().enumerate() {
                if step >= MAX_STEPS || starts.len() > usize::from(MAX_OCCURRENCES) * 2 {
                    truncated = true;
                    break;
                }
                if step % 4096 == 4095 {
                    budget.check()?;
                }
                let local = d.naive_utc();
                if local >= latest {
                    break;
                }
                within(local, self.minutes, &mut starts);
            }
            budget.check()?;
        }
        starts.sort_by_key(|(t, _)| *t);
        starts.dedup_by_key(|(t, _)| *t);
        let mut exdates = self.exdates.clone();
        exdates.sort();
        starts.retain(|(t, _)| {
            exdates.binary_search(t).is_err() && self.extra.from.is_none_or(|f| *t >= f) && self.extra.before.is_none_or(|b| *t < b)
        });
        Ok((starts, truncated))
    }

    /// Whether the recurrence has an occurrence whose original start (before
    /// any THISANDFUTURE shift) is the wall-clock time `t`: DTSTART, an RDATE
    /// or a rule's start that no EXDATE removes. What cannot be told within
    /// the step bound counts as an occurrence.
    pub fn starts_at(&self, t: NaiveDateTime, budget: &Budget) -> Result<bool, RecurrenceError> {
        let zone = self.zone()?;
        let sets = self.rule_sets(&zone)?;
        budget.check()?;
        let (starts, truncated) = self.starts(sets, t, t + Duration::seconds(1), budget)?;
        Ok(truncated || starts.iter().any(|(s, _)| *s == t))
    }

    /// When the recurrence first starts and, if it ends within
    /// [`SPAN_STEPS`] steps of each rule, last ends: what a range query
    /// needs to skip entries it cannot touch.
    pub fn span(&self, budget: &Budget) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), RecurrenceError> {
        let zone = self.zone()?;
        let sets = self.rule_sets(&zone)?;
        let shift = Duration::minutes(self.extra.shift);
        let longest = self.longest();
        let earliest = self.extra.rdates.iter().map(|r| r.start).fold(self.start, NaiveDateTime::min);
        let first = zone.localize(earliest + shift.min(Duration::zero()));
        let mut last = self.start + Duration::minutes(self.minutes);
        for r in &self.extra.rdates {
            last = last.max(r.start + Duration::minutes(r.minutes.unwrap_or(self.minutes)));
        }
        let mut ends = true;
        for set in sets {
            budget.check()?;
            let mut steps = set.limit().into_iter().take(SPAN_STEPS + 1).map(|d| d.naive_utc());
            let mut n = 0;
            for d in steps.by_ref() {
                n += 1;
                last = last.max(d + Duration::minutes(self.minutes));
            }
            ends &= n <= SPAN_STEPS;
        }
        let last = match (ends, self.extra.before) {
            (true, before) => Some(before.map_or(last, |b| last.min(b + Duration::minutes(longest)))),
            (false, Some(b)) => Some(b + Duration::minutes(longest)),
            (false, None) => None,
        };
        // An occurrence that starts in a spring-forward gap ends up to the
        // gap's length after its wall-clock end ([`place`]); gaps last at
        // most a day.
        Ok((first, last.map(|l| zone.localize(l + shift.max(Duration::zero())) + Duration::days(1))))
    }

    /// One rule set per rule, in wall-clock time: DTSTART and UNTIL as local
    /// times written as UTC. Also checks the length and the dates.
    fn rule_sets(&self, zone: &Zone) -> Result<Vec<RRuleSet>, RecurrenceError> {
        if !(1..=MAX_MINUTES).contains(&self.minutes) || self.extra.rdates.iter().any(|r| r.minutes.is_some_and(|m| !(1..=MAX_MINUTES).contains(&m))) {
            return Err(RecurrenceError::Length);
        }
        let dates = std::iter::once(self.start).chain(self.exdates.iter().copied()).chain(self.extra.rdates.iter().map(|r| r.start));
        if self.exdates.len() + self.extra.rdates.len() + self.extra.rules.len() > MAX_DATES {
            return Err(RecurrenceError::Rule(format!("more than {MAX_DATES} rules and dates")));
        }
        if !dates.into_iter().chain(self.extra.from).chain(self.extra.before).all(zone::in_range) || self.extra.shift.abs() > MAX_MINUTES * 10 {
            return Err(RecurrenceError::OutOfRange);
        }
        let stamp = |t: &NaiveDateTime| t.format("%Y%m%dT%H%M%SZ").to_string();
        let mut sets = Vec::new();
        for rule in self.rules() {
            let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
            // A rule is letters, digits and ;=,-+ (RFC 5545 3.3.10). The
            // rrule crate slices rules as bytes: it gets nothing else.
            if let Some(c) = rule.chars().find(|c| !(c.is_ascii_alphanumeric() || ";=,-+".contains(*c))) {
                return Err(RecurrenceError::Rule(format!("“{c}” does not belong in a rule, which is letters, digits and ;=,-+")));
            }
            if rule.contains(['\n', '\r']) || rule.to_uppercase().contains("DTSTART") {
                return Err(RecurrenceError::Rule("give only the rule itself, on one line".into()));
            }
            let upper = rule.to_uppercase();
            if upper.contains("FREQ=SECONDLY") || upper.contains("FREQ=MINUTELY") {
                return Err(RecurrenceError::Rule("a window can repeat at most hourly".into()));
            }
            let rule = wall_clock_until(rule, zone)?;
            if until_of(&rule).is_some_and(|until| until < self.start) {
                // A rule that ends before DTSTART adds no occurrence, and
                // DTSTART is still the first one (RFC 5545 3.8.5.3), so the
                // recurrence is that one occurrence (and its RDATEs).
                continue;
            }
            let text = format!("DTSTART:{}\nRRULE:{rule}", stamp(&self.start));
            sets.push(text.parse::<RRuleSet>().map_err(|e| RecurrenceError::Rule(e.to_string()))?);
        }
        Ok(sets)
    }
}

impl Recurrence {
    /// A rule with both COUNT and UNTIL, which RFC 5545 3.3.10 does not
    /// allow, without the part that would end the series later, so that
    /// the occurrences are those both parts allow (where readers that honour
    /// both end it). A COUNT that is not a number of occurrences is the part
    /// left out. Returns the rule and the part left out as written; `None`
    /// when the rule has at most one of them.
    pub fn without_later_end(&self, rule: &str, budget: &Budget) -> Option<(String, String)> {
        let parts: Vec<&str> = rule.trim().trim_start_matches("RRULE:").split(';').collect();
        let named = |name: &str| parts.iter().position(|p| p.split_once('=').is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(name)));
        let (count_at, until_at) = (named("COUNT")?, named("UNTIL")?);
        let without = |i: usize| parts.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| *p).collect::<Vec<_>>().join(";");
        let count = parts[count_at].split_once('=').and_then(|(_, v)| v.trim().parse::<usize>().ok()).filter(|n| *n > 0);
        let drop = match count {
            None => count_at,
            Some(count) => {
                // COUNT ends the series first when UNTIL alone allows more
                // starts. The walk is bounded: past SPAN_STEPS starts, or
                // without time left, UNTIL is kept.
                let until_only = Recurrence { rule: Some(without(count_at)), exdates: Vec::new(), extra: Extra { zone: self.extra.zone.clone(), ..Extra::default() }, ..self.clone() };
                let more = !budget.spent()
                    && count < SPAN_STEPS
                    && until_only.zone().and_then(|z| until_only.rule_sets(&z)).is_ok_and(|sets| sets.into_iter().next().is_some_and(|set| set.limit().into_iter().nth(count).is_some()));
                if more { until_at } else { count_at }
            }
        };
        Some((without(drop), parts[drop].trim().to_owned()))
    }

    /// The rule as other calendar apps read it: UNTIL as the UTC instant
    /// Liftoff means (RFC 5545 3.3.10 requires UTC with a zoned DTSTART).
    pub fn rule_for_export(&self, rule: &str) -> Result<String, RecurrenceError> {
        let zone = self.zone()?;
        let wall = wall_clock_until(rule.trim().trim_start_matches("RRULE:"), &zone)?;
        let parts: Vec<String> = wall
            .split(';')
            .map(|part| match part.split_once('=') {
                Some((key, value)) if key.trim().eq_ignore_ascii_case("UNTIL") => {
                    let local = NaiveDateTime::parse_from_str(value.trim().trim_end_matches('Z'), "%Y%m%dT%H%M%S").unwrap_or(self.start);
                    format!("UNTIL={}", zone.localize(local).format("%Y%m%dT%H%M%SZ"))
                }
                _ => part.to_owned(),
            })
            .collect();
        Ok(parts.join(";"))
    }
}

/// The UNTIL of a rule [`wall_clock_until`] rewrote, as wall-clock time.
fn until_of(wall_clock_rule: &str) -> Option<NaiveDateTime> {
    wall_clock_rule.split(';').find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim().eq_ignore_ascii_case("UNTIL").then(|| NaiveDateTime::parse_from_str(value.trim(), "%Y%m%dT%H%M%SZ").ok())?
    })
}

/// Where an occurrence that starts at wall-clock time `start` and lasts
/// `minutes` lies. Its start is placed as RFC 5545 3.3.5 says and it ends
/// at its wall-clock end, except that a start the clock skips (in a
/// spring-forward gap) takes the offset before the gap and the occurrence
/// lasts its full length from there, as the `DURATION` Liftoff exports for
/// it means (3.3.6: whole days to the same wall-clock time, the rest as
/// exact time). Without that, 02:30 for an hour on the night the clocks go
/// forward would end at 03:30, the very instant it starts, and vanish from
/// the timeline and the checks while the exported file says 01:30Z to 02:30Z.
fn place(zone: &Zone, start: NaiveDateTime, minutes: i64) -> Occurrence {
    let at = zone.localize(start);
    let end = if zone.local(at) == start {
        zone.localize(start + Duration::minutes(minutes))
    } else {
        let days = minutes.div_euclid(24 * 60);
        zone.localize(start + Duration::days(days)) + Duration::minutes(minutes - days * 24 * 60)
    };
    Occurrence { start: at, end }
}

/// Rewrites a rule's UNTIL as a wall-clock time written as UTC: a UTC
/// instant becomes its local time in `zone`; a date means the end of that
/// day; a floating time stays as it is.
fn wall_clock_until(rule: &str, zone: &Zone) -> Result<String, RecurrenceError> {
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
                if !zone::in_range(t) {
                    return Err(RecurrenceError::OutOfRange);
                }
                zone.local(t.and_utc())
            } else if v.len() == 8 {
                chrono::NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| bad())?.and_hms_opt(23, 59, 59).ok_or_else(bad)?
            } else {
                NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad())?
            };
            if !zone::in_range(local) {
                return Err(RecurrenceError::OutOfRange);
            }
            Ok(format!("UNTIL={}", local.format("%Y%m%dT%H%M%SZ")))
        })
        .collect::<Result<_, _>>()?;
    Ok(parts.join(";"))
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
            extra: Default::default(),
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
            extra: Default::default(),
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
            extra: Default::default(),
        };
        let e = every_minute.expand(utc(2027, 1, 1, 0, 0), utc(2037, 1, 1, 0, 0)).unwrap();
        assert!(e.truncated);
        assert!(e.occurrences.len() <= MAX_OCCURRENCES as usize);
        let never = Recurrence { rule: Some("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".into()), minutes: 60, ..every_minute };
        // A rule that never matches ends its search (the rrule crate's loop
        // limit) instead of hanging; DTSTART still counts (RFC 5545 3.8.5.3).
        let e = never.expand(utc(2027, 1, 1, 0, 0), utc(2100, 1, 1, 0, 0)).unwrap();
        assert_eq!(e.occurrences, [Occurrence { start: utc(2027, 1, 1, 0, 0), end: utc(2027, 1, 1, 1, 0) }]);
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
            extra: Default::default(),
        };
        let e = r.expand(utc(2027, 3, 27, 0, 0), utc(2027, 3, 30, 12, 0)).unwrap().occurrences;
        let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = e.iter().map(|o| (o.start, o.end)).collect();
        // 02:30 in the gap takes the offset before it (RFC 5545 3.3.5),
        // 01:30Z (03:30 CEST), and lasts its full hour, as the exported
        // DURATION:PT1H means (3.3.6); the 29th is an exception.
        assert_eq!(
            spans,
            [
                (utc(2027, 3, 27, 1, 30), utc(2027, 3, 27, 2, 30)),
                (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30)),
                (utc(2027, 3, 30, 0, 30), utc(2027, 3, 30, 1, 30)),
            ]
        );
        r.minutes = 120;
        let e = r.expand(utc(2027, 3, 28, 0, 0), utc(2027, 3, 28, 12, 0)).unwrap().occurrences;
        assert_eq!((e[0].start, e[0].end), (utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 3, 30)), "03:30 to 05:30 CEST");
        // Longer than a day: the days to the same wall-clock time, then the rest.
        r.minutes = 25 * 60;
        let e = r.expand(utc(2027, 3, 28, 0, 0), utc(2027, 3, 28, 12, 0)).unwrap().occurrences;
        let night = e.iter().find(|o| o.start == utc(2027, 3, 28, 1, 30)).unwrap();
        assert_eq!(night.end, utc(2027, 3, 29, 1, 30), "to Monday 03:30 CEST, as P1DT1H");
        // The range read and the stored span reach the end of the longer hour.
        r.minutes = 60;
        let night = r.expand(utc(2027, 3, 28, 2, 0), utc(2027, 3, 28, 2, 10)).unwrap().occurrences;
        assert_eq!(night.len(), 1, "02:00Z is inside the hour that started at 01:30Z");
        let one_off = Recurrence { start: local(2027, 3, 28, 2, 30), rule: None, ..r.clone() };
        assert!(one_off.span(&Budget::unlimited()).unwrap().1.unwrap() >= utc(2027, 3, 28, 2, 30));
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

    #[test]
    fn a_rule_that_ends_before_it_starts_leaves_the_first_occurrence() {
        // DTSTART is the first occurrence whatever the rule says (RFC 5545
        // 3.8.5.3); the rule adds none.
        let r = weekend_freeze_until("Europe/Berlin", "20270101");
        assert_eq!(r.validate(), Ok(()));
        let e = r.expand(utc(2026, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0)).unwrap().occurrences;
        assert_eq!(e, [Occurrence { start: utc(2027, 1, 8, 14, 0), end: utc(2027, 1, 11, 8, 0) }]);
        let (first, last) = r.span(&Budget::unlimited()).unwrap();
        assert_eq!(first, utc(2027, 1, 8, 14, 0));
        assert!(last.is_some_and(|l| l >= utc(2027, 1, 11, 8, 0) && l <= utc(2027, 1, 12, 8, 0)), "{last:?}");
    }

    #[test]
    fn of_count_and_until_the_part_that_ends_the_series_later_is_left_out() {
        let r = weekend_freeze("Europe/Berlin", local(2027, 1, 8, 15, 0));
        let b = Budget::unlimited();
        let left_out = |rule: &str| r.without_later_end(rule, &b);
        let pair = |kept: &str, out: &str| Some((kept.to_owned(), out.to_owned()));
        // Three Fridays come before 1 March: COUNT ends the series first.
        assert_eq!(left_out("FREQ=WEEKLY;BYDAY=FR;COUNT=3;UNTIL=20270301"), pair("FREQ=WEEKLY;BYDAY=FR;COUNT=3", "UNTIL=20270301"));
        // 22 January comes before the tenth Friday: UNTIL ends it first.
        assert_eq!(left_out("FREQ=WEEKLY;BYDAY=FR;COUNT=10;UNTIL=20270122"), pair("FREQ=WEEKLY;BYDAY=FR;UNTIL=20270122", "COUNT=10"));
        // Both end it on the third Friday; a COUNT that is no count goes.
        assert_eq!(left_out("RRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20270122;COUNT=3"), pair("FREQ=WEEKLY;BYDAY=FR;UNTIL=20270122", "COUNT=3"));
        assert_eq!(left_out("FREQ=WEEKLY;UNTIL=20270122;COUNT=-1"), pair("FREQ=WEEKLY;UNTIL=20270122", "COUNT=-1"));
        assert_eq!(left_out("FREQ=WEEKLY;COUNT=3"), None);
        assert_eq!(left_out("FREQ=WEEKLY;UNTIL=20270122"), None);
    }

    #[test]
    fn whether_a_series_has_an_occurrence_at_a_time() {
        let mut r = weekend_freeze("Europe/Berlin", local(2027, 1, 8, 15, 0));
        r.exdates.push(local(2027, 4, 2, 15, 0));
        let b = Budget::unlimited();
        assert!(r.starts_at(local(2027, 1, 8, 15, 0), &b).unwrap(), "DTSTART");
        assert!(r.starts_at(local(2027, 3, 26, 15, 0), &b).unwrap());
        assert!(!r.starts_at(local(2027, 3, 26, 16, 0), &b).unwrap(), "not at 16:00");
        assert!(!r.starts_at(local(2027, 3, 25, 15, 0), &b).unwrap(), "not on a Thursday");
        assert!(!r.starts_at(local(2027, 4, 2, 15, 0), &b).unwrap(), "an exception");
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
            extra: Default::default(),
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

}
