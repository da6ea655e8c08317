//! The ranking as it was before the sweep (issue 25), kept word for word as
//! the reference the tests compare [`super::suggest`] with, and that the
//! benchmark (`examples/suggest_bench.rs`, which includes this file) times
//! beside it. It judges every candidate in full with [`conflicts`].
//!
//! Only the public planning API is used here, so that the file compiles both
//! inside the crate (tests) and in the benchmark.

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;

use super::{conflicts, localize, Conflict, ConflictKind, Occurrence, PersonTime, Picture, Suggestion};

/// The best `count` windows of `length` starting in `[from, to)` at `step`
/// intervals, best first, none overlapping another.
pub fn suggest(p: &Picture, length: Duration, from: DateTime<Utc>, to: DateTime<Utc>, step: Duration, count: usize, shown_in: Tz) -> Vec<Suggestion> {
    let mut slots: Vec<Suggestion> = Vec::new();
    // The slot being walked: its day and kinds of conflict, and its best start.
    let mut open: Option<((chrono::NaiveDate, Vec<ConflictKind>), Suggestion)> = None;
    let mut start = from;
    while start < to {
        let end = start + length;
        let found = conflicts(p, start, end, shown_in);
        // A window in a freeze or on top of another release is never offered.
        let hard = found.iter().any(|c| matches!(c.kind, ConflictKind::Freeze | ConflictKind::ReleaseOverlap));
        if hard {
            slots.extend(open.take().map(|(_, best)| best));
        } else {
            let mut kinds: Vec<ConflictKind> = found.iter().map(|c| c.kind).collect();
            kinds.sort_by_key(|k| *k as u8);
            let key = (start.with_timezone(&shown_in).date_naive(), kinds);
            let candidate = rate(p, start, end, found);
            match &mut open {
                Some((k, best)) if *k == key => {
                    if candidate.score > best.score {
                        *best = candidate;
                    }
                }
                _ => slots.extend(open.replace((key, candidate)).map(|(_, best)| best)),
            }
        }
        start += step;
    }
    slots.extend(open.map(|(_, best)| best));
    // Best score first; earlier first among equals.
    slots.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.window.start.cmp(&b.window.start)));
    let mut chosen: Vec<Suggestion> = Vec::new();
    for c in slots {
        if chosen.len() == count {
            break;
        }
        if !chosen.iter().any(|s| overlaps(&s.window, &c.window)) {
            chosen.push(c);
        }
    }
    chosen
}

fn rate(p: &Picture, start: DateTime<Utc>, end: DateTime<Utc>, found: Vec<Conflict>) -> Suggestion {
    let window = Occurrence { start, end };
    let mut score = 100.0;
    let mut reasons = Vec::new();
    for c in &found {
        score -= match c.kind {
            ConflictKind::Freeze => 1000.0,
            ConflictKind::FreezeOverridden => 0.0,
            ConflictKind::ReleaseOverlap => 500.0,
            ConflictKind::OutsideHours => 80.0,
            ConflictKind::PersonBusy => 60.0,
            ConflictKind::NoRollbackTime => 40.0,
            ConflictKind::PeakLoad => 30.0,
        };
        reasons.push(c.message.clone());
    }
    match load_share(p, &window) {
        Some(share) => {
            score -= share * 50.0;
            if !found.iter().any(|c| c.kind == ConflictKind::PeakLoad) {
                reasons.push(format!("load {:.0}% of the weekly peak", share * 100.0));
            }
        }
        None => reasons.push("no load profile yet".to_owned()),
    }
    if !found.iter().any(|c| c.kind == ConflictKind::Freeze) {
        reasons.insert(0, "no freeze".to_owned());
    }
    let people_ok = !found.iter().any(|c| matches!(c.kind, ConflictKind::PersonBusy | ConflictKind::OutsideHours));
    if people_ok && !p.people.is_empty() {
        let names: Vec<&str> = p.people.iter().map(|x| x.name.as_str()).collect();
        reasons.push(format!("{} at work and free", names.join(", ")));
    }
    if !p.people.is_empty() && !found.iter().any(|c| c.kind == ConflictKind::NoRollbackTime) {
        if let Some(spare) = p.people.iter().filter_map(|x| working_day_end(x, start, end)).map(|e| e - end).min() {
            reasons.push(format!("{} left to roll back before the working day ends", minutes_text(spare)));
        }
    }
    Suggestion { window, score, reasons }
}

/// The mean load over the window as a share of the weekly peak, sampled
/// every 15 minutes.
fn load_share(p: &Picture, w: &Occurrence) -> Option<f64> {
    let (pattern, tz) = p.load.as_ref()?;
    let peak = pattern.peak();
    if peak <= 0.0 {
        return None;
    }
    let mut t = w.start;
    let (mut sum, mut n) = (0.0, 0u32);
    while t < w.end {
        sum += pattern.at(t, *tz);
        n += 1;
        t += Duration::minutes(15);
    }
    (n > 0).then(|| sum / f64::from(n) / peak)
}

/// When the person's working day ends, if the whole window lies inside one
/// of their working days; `None` if any of it is outside.
fn working_day_end(person: &PersonTime, start: DateTime<Utc>, end: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = start.with_timezone(&person.tz);
    let day = local.date_naive();
    if !person.work_days[day.weekday().num_days_from_monday() as usize] {
        return None;
    }
    let opens = localize(person.tz, day.and_time(person.work_start));
    let closes = localize(person.tz, day.and_time(person.work_end));
    (start >= opens && end <= closes).then_some(closes)
}

fn overlaps(a: &Occurrence, b: &Occurrence) -> bool {
    a.start < b.end && b.start < a.end
}

fn minutes_text(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
