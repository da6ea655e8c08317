//! The sweep ranks as the full judgement did: on seeded random pictures
//! (freezes, other releases, overlapping and recurring busy time, people in
//! zones with and without daylight saving, odd offsets and changes at
//! midnight, load patterns, steps and lengths that do not divide an hour),
//! [`super::suggest`] and [`super::reference::suggest`] give the same top
//! ten, with the same scores to the bit and the same reasons.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{reference, suggest, Blocked, OtherRelease, PersonTime, Picture, Suggestion};
use crate::planning::load::WeeklyPattern;
use crate::planning::recurrence::{Occurrence, Recurrence};

/// splitmix64: small, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Zones with daylight saving north and south, half- and quarter-hour
/// offsets, a half-hour change (Lord Howe) and changes at midnight
/// (Santiago, Havana).
const ZONES: [&str; 10] = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "UTC",
];

fn zone(rng: &mut Rng) -> Tz {
    rng.pick(&ZONES).parse().unwrap()
}

fn time(rng: &mut Rng, from_hour: i64, to_hour: i64) -> NaiveTime {
    NaiveTime::from_hms_opt(rng.range(from_hour, to_hour) as u32, *rng.pick(&[0, 0, 15, 30, 45, 10]), 0).unwrap()
}

/// A random picture over `[from, to)`, with `people` people.
fn picture(rng: &mut Rng, from: DateTime<Utc>, to: DateTime<Utc>, people: usize) -> Picture {
    let minutes = (to - from).num_minutes();
    let anywhere = |rng: &mut Rng| from + Duration::minutes(rng.range(-24 * 60, minutes + 24 * 60));
    let span = |rng: &mut Rng, longest: i64| {
        let start = anywhere(rng);
        Occurrence { start, end: start + Duration::minutes(rng.range(0, longest)) }
    };
    let mut freezes = Vec::new();
    if rng.chance(50) {
        let tz = zone(rng);
        let weekend = Recurrence {
            start: tz.from_utc_datetime(&from.naive_utc()).naive_local().date().and_hms_opt(rng.range(12, 20) as u32, 0, 0).unwrap(),
            minutes: rng.range(40, 66) * 60,
            time_zone: tz.name().into(),
            rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
            exdates: Vec::new(),
            extra: Default::default(),
        };
        freezes.push(Blocked { name: "Weekend".into(), occurrences: weekend.expand(from - Duration::days(7), to + Duration::days(7)).unwrap().occurrences });
    }
    for i in 0..rng.range(0, 2) {
        let occurrences = (0..rng.range(1, 3)).map(|_| span(rng, 12 * 60)).collect();
        freezes.push(Blocked { name: format!("Freeze {i}"), occurrences });
    }
    let releases = (0..rng.range(0, 4)).map(|i| OtherRelease { name: format!("2.{i}.0 Other"), window: span(rng, 3 * 60) }).collect();
    let load = match rng.below(4) {
        0 => None,
        // All quiet: no peak to scale against.
        1 if rng.chance(30) => Some((WeeklyPattern { hours: [[0.0; 24]; 7] }, zone(rng))),
        kind => {
            let mut hours = [[0.0; 24]; 7];
            for h in hours.iter_mut().flatten() {
                // Whole numbers, or means of samples that do not add up exactly.
                *h = if kind == 1 { rng.range(0, 100) as f64 } else { rng.next() as f64 / u64::MAX as f64 * 1234.567 };
            }
            Some((WeeklyPattern { hours }, zone(rng)))
        }
    };
    // Most of a team works in one zone.
    let home = zone(rng);
    let people = (0..people)
        .map(|i| {
            let tz = if rng.chance(70) { home } else { zone(rng) };
            let mut busy: Vec<(Occurrence, String)> = (0..rng.range(0, 25)).map(|j| (span(rng, 3 * 60), format!("Meeting {j}"))).collect();
            for _ in 0..rng.range(0, 3) {
                let local = tz.from_utc_datetime(&from.naive_utc()).naive_local();
                let r = Recurrence {
                    start: local.date().and_time(time(rng, 0, 23)),
                    minutes: *rng.pick(&[15, 30, 60, 90, 5, 24 * 60]),
                    time_zone: tz.name().into(),
                    rule: Some((*rng.pick(&["FREQ=DAILY", "FREQ=DAILY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;BYDAY=TU,SA"])).into()),
                    exdates: Vec::new(),
                    extra: Default::default(),
                };
                busy.extend(r.expand(from - Duration::days(2), to + Duration::days(2)).unwrap().occurrences.into_iter().map(|o| (o, "Stand-up".to_owned())));
            }
            if rng.chance(80) {
                busy.sort_by_key(|(o, _)| o.start);
            }
            let (work_start, work_end) = match rng.below(10) {
                // Unset hours read as midnight to midnight: never at work.
                0 => (NaiveTime::MIN, NaiveTime::MIN),
                // A night shift, ending before it starts.
                1 => (time(rng, 20, 23), time(rng, 4, 7)),
                _ => (time(rng, 6, 10), time(rng, 15, 20)),
            };
            let mut work_days = [true, true, true, true, true, false, false];
            if rng.chance(30) {
                work_days = std::array::from_fn(|_| rng.chance(70));
            }
            PersonTime { name: format!("Person {i}"), role: (*rng.pick(&["owner", "reviewer", "on call"])).into(), tz, work_start, work_end, work_days, busy }
        })
        .collect();
    Picture {
        freezes,
        load,
        peak_share: *rng.pick(&[0.5, 0.75, 0.9, 1.0]),
        people,
        releases,
        rollback: Duration::minutes(*rng.pick(&[0, 30, 120, 180])),
    }
}

fn same(new: &[Suggestion], old: &[Suggestion], what: &str) {
    assert_eq!(new.len(), old.len(), "{what}: {new:#?}\n{old:#?}");
    for (a, b) in new.iter().zip(old) {
        assert_eq!(a.window, b.window, "{what}");
        assert_eq!(a.score.to_bits(), b.score.to_bits(), "{what}: {} against {}", a.score, b.score);
        assert_eq!(a.reasons, b.reasons, "{what}");
    }
}

#[test]
fn the_sweep_ranks_as_the_full_judgement_on_random_pictures() {
    // Horizons across the changes of daylight saving in March, April,
    // September and October/November, and a quiet one in June.
    let starts = [(2027, 3, 10), (2027, 3, 25), (2027, 4, 1), (2027, 6, 7), (2027, 9, 1), (2027, 10, 28)];
    let mut offered = 0;
    for seed in 0..64u64 {
        let mut rng = Rng(seed);
        let (y, m, d) = *rng.pick(&starts);
        // Not always on a round minute, nor a round second.
        let mut from = Utc.with_ymd_and_hms(y, m, d, rng.range(0, 23) as u32, rng.range(0, 59) as u32, 0).unwrap();
        if rng.chance(20) {
            from += Duration::milliseconds(rng.range(1, 59_999));
        }
        let days = rng.range(1, if seed % 8 == 0 { 14 } else { 6 });
        let to = from + Duration::days(days) + Duration::minutes(rng.range(0, 90));
        let step = Duration::minutes(*rng.pick(&[5, 15, 15, 7, 30, 60]));
        let length = Duration::minutes(*rng.pick(&[15, 60, 60, 60, 90, 100, 240, 36 * 60]));
        let people = *rng.pick(&[0, 1, 2, 3, 5, 8, 20]);
        let p = picture(&mut rng, from, to, people);
        let shown_in = zone(&mut rng);
        let count = *rng.pick(&[10, 10, 3]);
        let new = suggest(&p, length, from, to, step, count, shown_in);
        let old = reference::suggest(&p, length, from, to, step, count, shown_in);
        same(&new, &old, &format!("seed {seed}: {days} days from {from} at {step} for {length}, {people} people, shown in {shown_in}"));
        offered += new.len();
    }
    assert!(offered > 300, "the pictures leave room for suggestions: {offered}");
}

#[test]
fn the_sweep_ranks_as_the_full_judgement_at_the_edges() {
    let mut rng = Rng(7);
    let from = Utc.with_ymd_and_hms(2027, 3, 26, 22, 0, 0).unwrap();
    let p = picture(&mut rng, from, from + Duration::days(3), 5);
    for (to, step, length) in [
        // Nothing to rank.
        (from, Duration::minutes(15), Duration::hours(1)),
        (from - Duration::hours(1), Duration::minutes(15), Duration::hours(1)),
        // One start; a horizon that is not a whole number of steps.
        (from + Duration::minutes(1), Duration::minutes(15), Duration::hours(1)),
        (from + Duration::minutes(61), Duration::minutes(15), Duration::hours(1)),
        // Windows of no length, and longer than the horizon.
        (from + Duration::days(2), Duration::minutes(15), Duration::zero()),
        (from + Duration::days(2), Duration::minutes(45), Duration::days(3)),
        // Steps of seconds.
        (from + Duration::hours(12), Duration::seconds(97), Duration::minutes(20)),
    ] {
        for count in [0, 1, 10] {
            let new = suggest(&p, length, from, to, step, count, chrono_tz::Europe::Berlin);
            let old = reference::suggest(&p, length, from, to, step, count, chrono_tz::Europe::Berlin);
            same(&new, &old, &format!("to {to} at {step} for {length}, {count}"));
        }
    }
}
