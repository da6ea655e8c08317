//! Benchmark: rank release windows, the ranking before the sweep (issue 25,
//! `src/planning/window/reference.rs`) beside the one the app uses, on
//! - 14 days at 15-minute steps with 20 people, each with a working week
//!   and calendar events, weekend freezes and an office-hours load profile;
//! - a department planning a quarter: 90 days at 5-minute steps with 100
//!   people in four zones and 11,000 calendar events (recurring and one-off,
//!   overlapping, days of leave), weekend freezes and a quarter-close freeze,
//!   load, and a dozen other releases.
//!
//! Both rankings must give the same windows, scores and reasons. Then the
//! drag check: the conflicts of one snap of a dragged window (the timeline
//! judges each 15-minute snap in memory) in the quarter's picture.
//!
//! cargo run --release -p liftoff-core --example suggest_bench

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use liftoff_core::planning::load::WeeklyPattern;
use liftoff_core::planning::recurrence::{localize, Occurrence, Recurrence};
use liftoff_core::planning::window::{conflicts, suggest, Blocked, Conflict, ConflictKind, OtherRelease, PersonTime, Picture, Suggestion};

/// The ranking before the sweep, as the tests keep it.
#[path = "../src/planning/window/reference.rs"]
mod reference;

const ZONES: [&str; 4] = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata"];

/// Person `i`: a 30-minute meeting every weekday and an hour-long one every
/// other day, plus `extra` one-off events (some a whole day of leave, some
/// on top of the meetings).
fn person(i: usize, from: DateTime<Utc>, to: DateTime<Utc>, extra: usize) -> PersonTime {
    let tz: chrono_tz::Tz = ZONES[i % ZONES.len()].parse().unwrap();
    let daily = Recurrence {
        start: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap().and_hms_opt(9 + (i % 6) as u32, 30, 0).unwrap(),
        minutes: 30,
        time_zone: tz.name().into(),
        rule: Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".into()),
        exdates: Vec::new(),
        extra: Default::default(),
    };
    let other = Recurrence { minutes: 60, rule: Some("FREQ=DAILY;INTERVAL=2".into()), ..daily.clone() };
    let mut busy: Vec<(Occurrence, String)> =
        [daily, other].iter().flat_map(|r| r.expand(from, to).unwrap().occurrences).map(|o| (o, "Meeting".to_owned())).collect();
    let days = (to - from).num_days();
    for k in 0..extra {
        // Spread over the horizon by a fixed stride, at varied hours.
        let day = (i * 7 + k * 13) as i64 % days;
        let date = (from + Duration::days(day)).date_naive();
        let (start, minutes, what) = match k % 5 {
            0 => (NaiveTime::MIN, 24 * 60, "Leave"),
            n => (NaiveTime::from_hms_opt(8 + 2 * n as u32, 15 * (k % 4) as u32, 0).unwrap(), 45 + 30 * n as i64, "Workshop"),
        };
        let start = localize(tz, date.and_time(start));
        busy.push((Occurrence { start, end: start + Duration::minutes(minutes) }, what.to_owned()));
    }
    busy.sort_by_key(|(o, _)| o.start);
    PersonTime {
        name: format!("Person {i}"),
        role: "reviewer".into(),
        tz,
        work_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        work_end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        work_days: [true, true, true, true, true, false, false],
        busy,
    }
}

fn weekend_freeze(from: DateTime<Utc>, to: DateTime<Utc>) -> Blocked {
    let weekend = Recurrence {
        start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap().and_hms_opt(15, 0, 0).unwrap(),
        minutes: 66 * 60,
        time_zone: "Europe/Berlin".into(),
        rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
        exdates: Vec::new(),
        extra: Default::default(),
    };
    Blocked { name: "Weekend".into(), occurrences: weekend.expand(from, to).unwrap().occurrences }
}

/// Office hours busy, the rest quiet; `uneven` makes each hour a mean that
/// is not a whole number, as a pattern from samples is.
fn office_load(uneven: bool) -> WeeklyPattern {
    let mut hours = [[20.0; 24]; 7];
    for (d, day) in hours.iter_mut().enumerate() {
        for (h, v) in day.iter_mut().enumerate() {
            if d < 5 && (9..17).contains(&h) {
                *v = 100.0;
            }
            if uneven {
                *v *= 1.0 + ((d * 24 + h) as f64 * 0.618).fract() / 3.0;
            }
        }
    }
    WeeklyPattern { hours }
}

/// A picture and the horizon ranked over.
type Horizon = (Picture, DateTime<Utc>, DateTime<Utc>);

fn fortnight() -> Horizon {
    let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let to = from + Duration::days(14);
    let picture = Picture {
        freezes: vec![weekend_freeze(from, to)],
        load: Some((office_load(false), chrono_tz::Europe::Berlin)),
        peak_share: 0.75,
        people: (0..20).map(|i| person(i, from, to, 0)).collect(),
        releases: Vec::new(),
        rollback: Duration::hours(2),
    };
    (picture, from, to)
}

fn quarter() -> Horizon {
    let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let to = from + Duration::days(90);
    let mut people: Vec<PersonTime> = (0..100).map(|i| person(i, from, to, 0)).collect();
    // One-off events up to 11,000 in all.
    let recurring: usize = people.iter().map(|p| p.busy.len()).sum();
    let extra = 11_000usize.saturating_sub(recurring);
    for (i, p) in people.iter_mut().enumerate() {
        let mine = extra / 100 + usize::from(i < extra % 100);
        *p = person(i, from, to, mine);
    }
    let close = Utc.with_ymd_and_hms(2027, 3, 29, 6, 0, 0).unwrap();
    let releases = (0..12)
        .map(|k| {
            let start = from + Duration::days(3 + 7 * k) + Duration::hours(9 + k % 5);
            OtherRelease { name: format!("3.{k}.0 Other"), window: Occurrence { start, end: start + Duration::hours(2) } }
        })
        .collect();
    let picture = Picture {
        freezes: vec![weekend_freeze(from, to), Blocked { name: "Quarter close".into(), occurrences: vec![Occurrence { start: close, end: close + Duration::days(3) }] }],
        load: Some((office_load(true), chrono_tz::Europe::Berlin)),
        peak_share: 0.75,
        people,
        releases,
        rollback: Duration::hours(2),
    };
    (picture, from, to)
}

/// Median and worst of `runs` timings of `f`, in milliseconds, and its last result.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        out = Some(f());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1], out.expect("at least one run"))
}

fn main() {
    let berlin = chrono_tz::Europe::Berlin;
    println!("window suggestion: the ranking before the sweep (old) and now (new), release build, milliseconds");
    println!("  {:<34} {:>10} {:>7} {:>7} {:>5} | {:>10} {:>9} | {:>10} {:>9} | {:>7}", "case", "candidates", "people", "events", "runs", "old median", "old worst", "new median", "new worst", "speed-up");
    // Name, picture and horizon, step, suggestions wanted, runs of the old ranking.
    let cases: [(&str, Horizon, Duration, usize, usize); 2] = [
        ("14 days, 15-minute steps", fortnight(), Duration::minutes(15), 5, 30),
        ("90 days, 5-minute steps", quarter(), Duration::minutes(5), 10, 15),
    ];
    let mut shown: Vec<(&str, Vec<Suggestion>)> = Vec::new();
    for (name, (picture, from, to), step, count, runs) in &cases {
        let rank = |old: bool| {
            let f = if old { reference::suggest } else { suggest };
            f(picture, Duration::hours(1), *from, *to, *step, *count, berlin)
        };
        let (old_median, old_worst, old) = time(*runs, || rank(true));
        let (new_median, new_worst, new) = time(*runs * 2, || rank(false));
        assert_eq!(format!("{new:?}"), format!("{old:?}"), "{name}: the same windows, scores and reasons");
        let candidates = (*to - *from).num_minutes() / step.num_minutes();
        let events: usize = picture.people.iter().map(|p| p.busy.len()).sum();
        println!(
            "  {name:<34} {candidates:>10} {:>7} {events:>7} {:>5} | {old_median:>10.2} {old_worst:>9.2} | {new_median:>10.2} {new_worst:>9.2} | {:>6.0}x",
            picture.people.len(),
            format!("{runs}/{}", runs * 2),
            old_median / new_median
        );
        shown.push((name, new));
    }
    println!("  (runs: old/new; both give the same windows, scores and reasons)");
    for (name, best) in &shown {
        println!("  best of {name}:");
        for s in best.iter().take(3) {
            let why = s.reasons.join("; ");
            let cut = why.char_indices().nth(150).map_or(why.len(), |(i, _)| i);
            let more = if cut < why.len() { format!("… ({} reasons)", s.reasons.len()) } else { String::new() };
            println!("    {} score {:.1}: {}{more}", s.window.start.format("%a %d %b %H:%M UTC"), s.score, &why[..cut]);
        }
    }

    // The drag check: each snap of a one-hour window dragged across a
    // fortnight of the quarter, judged in memory as the timeline does.
    let (picture, from, _) = &cases[1].1;
    let snaps: Vec<DateTime<Utc>> = (0..14 * 24 * 4).map(|k| *from + Duration::days(20) + Duration::minutes(15 * k)).collect();
    let mut times = Vec::new();
    let mut found: Vec<Conflict> = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..5 {
        for &start in &snaps {
            let t = Instant::now();
            found = conflicts(picture, start, start + Duration::hours(1), berlin);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            kinds.extend(found.iter().map(|c| c.kind as u8));
        }
    }
    times.sort_by(f64::total_cmp);
    assert!(kinds.contains(&(ConflictKind::PersonBusy as u8)) && kinds.contains(&(ConflictKind::Freeze as u8)), "the drag meets conflicts");
    println!(
        "drag check, one snap in the 90-day picture (100 people, 11,000 events): median {:.3} ms, p99 {:.3} ms, worst {:.3} ms over {} snaps (a frame is 16 ms); the last found {} conflicts",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1],
        times.len(),
        found.len()
    );
}
