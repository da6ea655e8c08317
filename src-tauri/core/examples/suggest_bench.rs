//! Benchmark: rank release windows over 14 days at 15-minute steps with 20
//! people, each with a working week and calendar events, weekend freezes and
//! an office-hours load profile. Prints the time per ranking.
//!
//! cargo run --release -p liftoff-core --example suggest_bench

use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use liftoff_core::planning::load::WeeklyPattern;
use liftoff_core::planning::recurrence::{Occurrence, Recurrence};
use liftoff_core::planning::window::{suggest, Blocked, Picture, PersonTime};

fn main() {
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let from = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
    let to = from + Duration::days(14);
    let zones = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata"];
    let people: Vec<PersonTime> = (0..20)
        .map(|i| {
            let tz: chrono_tz::Tz = zones[i % zones.len()].parse().unwrap();
            // A 30-minute meeting every weekday plus an hour-long one every other day.
            let daily = Recurrence {
                start: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap().and_hms_opt(9 + (i % 6) as u32, 30, 0).unwrap(),
                minutes: 30,
                time_zone: tz.name().into(),
                rule: Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".into()),
                exdates: Vec::new(),
                extra: Default::default(),
            };
            let other = Recurrence { minutes: 60, rule: Some("FREQ=DAILY;INTERVAL=2".into()), ..daily.clone() };
            let mut busy: Vec<(Occurrence, String)> = [daily, other]
                .iter()
                .flat_map(|r| r.expand(from, to).unwrap().occurrences)
                .map(|o| (o, "Meeting".to_owned()))
                .collect();
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
        })
        .collect();
    let events: usize = people.iter().map(|p| p.busy.len()).sum();
    let weekend = Recurrence {
        start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap().and_hms_opt(15, 0, 0).unwrap(),
        minutes: 66 * 60,
        time_zone: "Europe/Berlin".into(),
        rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
        exdates: Vec::new(),
        extra: Default::default(),
    };
    let mut hours = [[20.0; 24]; 7];
    for day in hours.iter_mut().take(5) {
        for h in day.iter_mut().take(17).skip(9) {
            *h = 100.0;
        }
    }
    let picture = Picture {
        freezes: vec![Blocked { name: "Weekend".into(), occurrences: weekend.expand(from, to).unwrap().occurrences }],
        load: Some((WeeklyPattern { hours }, berlin)),
        peak_share: 0.75,
        people,
        releases: Vec::new(),
        rollback: Duration::hours(2),
    };
    let candidates = 14 * 24 * 4;
    let mut times = Vec::new();
    let mut best = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        best = suggest(&picture, Duration::hours(1), from, to, Duration::minutes(15), 5, chrono_tz::Europe::Berlin);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!("window suggestion: {candidates} candidates (14 days, 15-minute steps), 20 people with {events} calendar events");
    println!("  median {:.2} ms, worst {:.2} ms over {} runs", times[times.len() / 2], times[times.len() - 1], times.len());
    for s in best.iter().take(3) {
        println!("  {} score {:.1}: {}", s.window.start.format("%a %d %b %H:%M UTC"), s.score, s.reasons.join("; "));
    }
}
