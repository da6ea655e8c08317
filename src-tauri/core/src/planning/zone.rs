//! Time zones a recurrence is placed in: an IANA zone Liftoff knows, or a
//! zone a calendar file defines itself in a `VTIMEZONE` (RFC 5545 3.6.5),
//! such as Outlook's "(UTC+07:00) Bangkok, Hanoi, Jakarta".
//!
//! Local times are placed as RFC 5545 3.3.5 says: a time in a
//! spring-forward gap uses the offset from before the gap (02:30 becomes
//! 03:30), and a time that happens twice is taken the first time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The years a calendar date may fall in. Dates outside are refused with
/// their line, so that no date arithmetic can overflow.
pub const YEARS: std::ops::RangeInclusive<i32> = 1800..=2200;

/// Whether a date is in [`YEARS`].
pub fn in_range(t: NaiveDateTime) -> bool {
    YEARS.contains(&chrono::Datelike::year(&t))
}

/// A zone defined by a calendar file: its observances (STANDARD and
/// DAYLIGHT), each from its onset with its rule or dates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomZone {
    pub observances: Vec<Observance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observance {
    /// Local onset, in the offset in effect before it.
    pub start: NaiveDateTime,
    /// Seconds east of UTC before and after the onset.
    pub offset_from: i32,
    pub offset_to: i32,
    /// A yearly rule such as `FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rdates: Vec<NaiveDateTime>,
}

/// Offset changes of a custom zone, computed once: (instant, offset after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transitions {
    /// The offset before the first change.
    initial: i32,
    changes: Vec<(NaiveDateTime, i32)>,
}

/// The most onsets one observance contributes (a yearly rule to 2200).
const MAX_ONSETS: usize = 1000;

impl CustomZone {
    pub fn transitions(&self) -> Transitions {
        let mut changes: Vec<(NaiveDateTime, i32)> = Vec::new();
        for o in &self.observances {
            let mut onsets = vec![o.start];
            onsets.extend(o.rdates.iter().copied());
            if let Some(rule) = o.rule.as_deref() {
                onsets.extend(yearly_onsets(o.start, rule));
            }
            for local in onsets {
                if let Some(utc) = local.checked_sub_signed(Duration::seconds(i64::from(o.offset_from))) {
                    changes.push((utc, o.offset_to));
                }
            }
        }
        changes.sort();
        changes.dedup_by_key(|c| c.0);
        // Before the first onset, the zone is at that onset's "from" offset.
        let initial = self
            .observances
            .iter()
            .min_by_key(|o| o.start)
            .map_or(0, |o| o.offset_from);
        Transitions { initial, changes }
    }
}

/// The onsets of an observance's rule, in local time, up to [`YEARS`]' end.
fn yearly_onsets(start: NaiveDateTime, rule: &str) -> Vec<NaiveDateTime> {
    if !rule.is_ascii() {
        return Vec::new();
    }
    let stamp = start.format("%Y%m%dT%H%M%SZ");
    let until_end = format!("DTSTART:{stamp}\nRRULE:{rule}");
    let Ok(set) = until_end.parse::<rrule::RRuleSet>() else { return Vec::new() };
    let end = NaiveDate::from_ymd_opt(*YEARS.end(), 12, 31).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or(start);
    set.limit().into_iter().take(MAX_ONSETS).map(|d| d.naive_utc()).take_while(|d| *d <= end).collect()
}

impl Transitions {
    fn offset_at(&self, utc: NaiveDateTime) -> i32 {
        match self.changes.partition_point(|(t, _)| *t <= utc) {
            0 => self.initial,
            i => self.changes[i - 1].1,
        }
    }
}

/// Where a recurrence's local times are.
#[derive(Debug, Clone)]
pub enum Zone {
    Iana(Tz),
    Custom(Arc<Transitions>),
}

/// The most custom zones whose changes are kept between reads.
const CACHED_ZONES: usize = 64;

impl Zone {
    /// The zone a file defined. Its changes are worked out once and kept:
    /// a timeline read places every occurrence of every event in it.
    pub fn custom(zone: &CustomZone) -> Zone {
        static CACHE: OnceLock<Mutex<HashMap<CustomZone, Arc<Transitions>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        if let Some(t) = cache.lock().ok().and_then(|c| c.get(zone).cloned()) {
            return Zone::Custom(t);
        }
        let transitions = Arc::new(zone.transitions());
        if let Ok(mut c) = cache.lock() {
            if c.len() >= CACHED_ZONES {
                c.clear();
            }
            c.insert(zone.clone(), transitions.clone());
        }
        Zone::Custom(transitions)
    }

    /// A local wall-clock time as an instant (RFC 5545 3.3.5).
    pub fn localize(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Iana(tz) => localize(*tz, local),
            Zone::Custom(t) => {
                // The offsets in effect around the time: the earliest
                // instant that reads as this local time wins (the first of
                // a repeated hour). In a gap none does: the offset from
                // before it applies (changes are days apart).
                let near = |hours: i64| local.checked_add_signed(Duration::hours(hours)).unwrap_or(local);
                let mut offsets = vec![t.offset_at(near(-48))];
                offsets.extend(t.changes.iter().filter(|(c, _)| *c > near(-48) && *c < near(48)).map(|(_, o)| *o));
                let at = |offset: i32| local - Duration::seconds(i64::from(offset));
                offsets.iter().map(|o| (at(*o), *o)).filter(|(u, o)| t.offset_at(*u) == *o).map(|(u, _)| u).min().unwrap_or_else(|| at(offsets[0])).and_utc()
            }
        }
    }

    /// An instant as local wall-clock time in this zone.
    pub fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Iana(tz) => t.with_timezone(tz).naive_local(),
            Zone::Custom(tr) => t.naive_utc() + Duration::seconds(i64::from(tr.offset_at(t.naive_utc()))),
        }
    }
}

/// A local wall-clock time in an IANA zone as an instant. A time in a
/// spring-forward gap uses the offset from before the gap (RFC 5545 3.3.5:
/// 02:30 becomes 03:30); a time that happens twice is taken the first time.
pub fn localize(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset a few hours before the gap (gaps last at most a day).
            let probe = local.checked_sub_signed(Duration::hours(26)).unwrap_or(local);
            let offset = match tz.from_local_datetime(&probe) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.offset().fix().local_minus_utc(),
                LocalResult::None => 0,
            };
            local.checked_sub_signed(Duration::seconds(i64::from(offset))).unwrap_or(local).and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::testing::*;

    /// Central Europe as Outlook writes it under a display name.
    fn w_europe() -> CustomZone {
        CustomZone {
            observances: vec![
                Observance { start: local(1601, 1, 1, 3, 0), offset_from: 7200, offset_to: 3600, rule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10".into()), rdates: vec![] },
                Observance { start: local(1601, 1, 1, 2, 0), offset_from: 3600, offset_to: 7200, rule: Some("FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3".into()), rdates: vec![] },
            ],
        }
    }

    #[test]
    fn gap_and_repeated_local_times_follow_rfc_5545() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let custom = Zone::custom(&w_europe());
        for zone in [Zone::Iana(berlin), custom] {
            // 02:30 does not exist on 28 March 2027: the offset before the gap (+01:00) makes it 03:30 CEST.
            assert_eq!(zone.localize(local(2027, 3, 28, 2, 30)), utc(2027, 3, 28, 1, 30));
            // 02:30 happens twice on 31 October 2027: the first is 00:30Z.
            assert_eq!(zone.localize(local(2027, 10, 31, 2, 30)), utc(2027, 10, 31, 0, 30));
            assert_eq!(zone.localize(local(2027, 7, 1, 12, 0)), utc(2027, 7, 1, 10, 0));
            assert_eq!(zone.localize(local(2027, 1, 1, 12, 0)), utc(2027, 1, 1, 11, 0));
            assert_eq!(zone.local(utc(2027, 7, 1, 10, 0)), local(2027, 7, 1, 12, 0));
        }
    }
}
