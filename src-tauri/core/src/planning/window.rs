//! Judging a release window: what is wrong with it (conflicts, each with its
//! reason), and which windows over a horizon are best (suggestions, each
//! saying why it ranks where it does).
//!
//! Everything here is a pure function over an already expanded picture of
//! the horizon ([`Picture`]), so that dragging a bar on the timeline and
//! ranking a fortnight of candidates are both cheap. Times in messages are
//! written in the zone the caller shows (`shown_in`), and name it.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use super::load::WeeklyPattern;
use super::recurrence::{localize, Occurrence};

mod rank;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod rank_tests;

/// A person whose time the window needs (owner, reviewer, on call).
#[derive(Debug, Clone)]
pub struct PersonTime {
    pub name: String,
    /// Why they are needed, such as "owner" or "on call".
    pub role: String,
    pub tz: Tz,
    pub work_start: NaiveTime,
    pub work_end: NaiveTime,
    /// Monday first.
    pub work_days: [bool; 7],
    /// Busy time (calendar events, leave), in time order.
    pub busy: Vec<(Occurrence, String)>,
}

#[derive(Debug, Clone)]
pub struct Blocked {
    pub name: String,
    pub occurrences: Vec<Occurrence>,
}

#[derive(Debug, Clone)]
pub struct OtherRelease {
    pub name: String,
    pub window: Occurrence,
}

/// What bears on a window, expanded over the horizon.
#[derive(Debug, Clone)]
pub struct Picture {
    pub freezes: Vec<Blocked>,
    pub load: Option<(WeeklyPattern, Tz)>,
    /// A window whose mean load is at least this share of the weekly peak
    /// falls in a peak-load period.
    pub peak_share: f64,
    pub people: Vec<PersonTime>,
    /// Releases on the same environment.
    pub releases: Vec<OtherRelease>,
    /// Time needed after the window to roll back while people still work.
    pub rollback: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ConflictKind {
    Freeze,
    /// A freeze the release may break by an emergency decision.
    FreezeOverridden,
    PeakLoad,
    PersonBusy,
    OutsideHours,
    ReleaseOverlap,
    NoRollbackTime,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub kind: ConflictKind,
    pub message: String,
}

/// Everything wrong with `[start, end)`, with times in `shown_in`.
pub fn conflicts(p: &Picture, start: DateTime<Utc>, end: DateTime<Utc>, shown_in: Tz) -> Vec<Conflict> {
    let window = Occurrence { start, end };
    let mut out = Vec::new();
    for f in &p.freezes {
        if let Some(o) = f.occurrences.iter().find(|o| overlaps(o, &window)) {
            out.push(Conflict { kind: ConflictKind::Freeze, message: format!("overlaps the freeze “{}” ({})", f.name, span(o, shown_in, start)) });
        }
    }
    if let Some(share) = load_share(p, &window) {
        if share >= p.peak_share {
            out.push(Conflict {
                kind: ConflictKind::PeakLoad,
                message: format!("falls in a peak-load period ({:.0}% of the weekly peak)", share * 100.0),
            });
        }
    }
    for person in &p.people {
        if let Some((o, what)) = person.busy.iter().find(|(o, _)| overlaps(o, &window)) {
            out.push(Conflict {
                kind: ConflictKind::PersonBusy,
                message: format!("{} ({}) is busy: {} ({})", person.name, person.role, what, span(o, shown_in, start)),
            });
        }
        match working_day_end(person, start, end) {
            None => out.push(Conflict {
                kind: ConflictKind::OutsideHours,
                message: format!("{} ({}) is outside working hours", person.name, person.role),
            }),
            Some(day_end) if day_end - end < p.rollback => out.push(Conflict {
                kind: ConflictKind::NoRollbackTime,
                message: format!(
                    "only {} after it before {}'s working day ends; a rollback needs {}",
                    minutes_text(day_end - end),
                    person.name,
                    minutes_text(p.rollback)
                ),
            }),
            Some(_) => {}
        }
    }
    for r in &p.releases {
        if overlaps(&r.window, &window) {
            out.push(Conflict {
                kind: ConflictKind::ReleaseOverlap,
                message: format!("overlaps release {} on the same environment", r.name),
            });
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub window: Occurrence,
    /// Higher is better; 100 is a quiet window with nothing wrong.
    pub score: f64,
    /// Why it ranks where it does, in words.
    pub reasons: Vec<String>,
}

/// The best `count` windows of `length` starting in `[from, to)` at `step`
/// intervals, best first, none overlapping another.
///
/// Consecutive starts on the same day (in `shown_in`) with the same kinds of
/// conflict are one slot: 09:00, 09:15 and 10:30 on a quiet morning are the
/// same choice, so a slot offers only its best start (the earliest among
/// equals), and the next suggestion is a different slot, not the same
/// morning an hour later.
pub fn suggest(p: &Picture, length: Duration, from: DateTime<Utc>, to: DateTime<Utc>, step: Duration, count: usize, shown_in: Tz) -> Vec<Suggestion> {
    rank::suggest(p, length, from, to, step, count, shown_in)
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

/// "Fri 11 Dec 15:00 to Mon 14 Dec 09:00 Europe/Berlin", or within one day
/// "Tue 8 Dec 10:00 to 11:30 Europe/Berlin", as the window writes spans;
/// the year is written when it is not that of `window` (the window judged,
/// which is what the reader has in mind).
fn span(o: &Occurrence, tz: Tz, window: DateTime<Utc>) -> String {
    crate::clock::span_words(o.start, o.end, tz, Some(window))
}

fn minutes_text(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::recurrence::Recurrence;
    use crate::planning::testing::*;

    fn person(name: &str, role: &str) -> PersonTime {
        PersonTime {
            name: name.into(),
            role: role.into(),
            tz: berlin(),
            work_start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            work_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            work_days: [true, true, true, true, true, false, false],
            busy: Vec::new(),
        }
    }

    /// Busy office hours 10:00-16:00 every weekday, quiet otherwise.
    fn office_load() -> WeeklyPattern {
        let mut hours = [[10.0; 24]; 7];
        for day in hours.iter_mut().take(5) {
            for h in day.iter_mut().take(16).skip(10) {
                *h = 100.0;
            }
        }
        WeeklyPattern { hours }
    }

    fn picture() -> Picture {
        let freeze = Recurrence {
            start: local(2027, 1, 8, 15, 0),
            minutes: 66 * 60,
            time_zone: "Europe/Berlin".into(),
            rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
            exdates: Vec::new(),
            extra: Default::default(),
        };
        let horizon = (utc(2027, 3, 1, 0, 0), utc(2027, 3, 15, 0, 0));
        Picture {
            freezes: vec![Blocked { name: "Weekend".into(), occurrences: freeze.expand(horizon.0, horizon.1).unwrap().occurrences }],
            load: Some((office_load(), berlin())),
            peak_share: 0.75,
            people: vec![person("Omar", "owner"), person("Priya", "reviewer")],
            releases: Vec::new(),
            rollback: Duration::hours(2),
        }
    }

    #[test]
    fn each_kind_of_conflict_is_found_with_its_reason() {
        let mut p = picture();
        // Friday 5 March 2027, 16:00-17:00 Berlin (15:00Z): in the freeze, and
        // no time to roll back before 17:00.
        let found = conflicts(&p, utc(2027, 3, 5, 15, 0), utc(2027, 3, 5, 16, 0), berlin());
        let kinds: Vec<ConflictKind> = found.iter().map(|c| c.kind).collect();
        assert!(kinds.contains(&ConflictKind::Freeze) && kinds.contains(&ConflictKind::NoRollbackTime), "{found:?}");
        // Said in the zone shown, which it names: the freeze is Friday 15:00
        // to Monday 09:00 Berlin time, 14:00 to 08:00 UTC.
        assert_eq!(found[0].message, "overlaps the freeze “Weekend” (Fri 5 Mar 15:00 to Mon 8 Mar 09:00 Europe/Berlin)");
        let in_utc = conflicts(&p, utc(2027, 3, 5, 15, 0), utc(2027, 3, 5, 16, 0), chrono_tz::UTC);
        assert_eq!(in_utc[0].message, "overlaps the freeze “Weekend” (Fri 5 Mar 14:00 to Mon 8 Mar 08:00 UTC)");

        // Tuesday 11:00-12:00 Berlin: peak load.
        let found = conflicts(&p, utc(2027, 3, 2, 10, 0), utc(2027, 3, 2, 11, 0), berlin());
        assert_eq!(found.iter().map(|c| c.kind).collect::<Vec<_>>(), [ConflictKind::PeakLoad]);
        assert_eq!(found[0].message, "falls in a peak-load period (100% of the weekly peak)");

        // Tuesday 07:00 Berlin: before work.
        let found = conflicts(&p, utc(2027, 3, 2, 6, 0), utc(2027, 3, 2, 7, 0), berlin());
        assert_eq!(found.iter().filter(|c| c.kind == ConflictKind::OutsideHours).count(), 2);

        // A meeting and another release.
        p.people[1].busy.push((Occurrence { start: utc(2027, 3, 2, 8, 0), end: utc(2027, 3, 2, 9, 0) }, "Steering committee".into()));
        p.releases.push(OtherRelease { name: "2.3.1".into(), window: Occurrence { start: utc(2027, 3, 2, 8, 30), end: utc(2027, 3, 2, 9, 30) } });
        let found = conflicts(&p, utc(2027, 3, 2, 8, 0), utc(2027, 3, 2, 9, 0), berlin());
        let messages: Vec<&str> = found.iter().map(|c| c.message.as_str()).collect();
        assert!(messages.contains(&"Priya (reviewer) is busy: Steering committee (Tue 2 Mar 09:00 to 10:00 Europe/Berlin)"), "{messages:?}");
        assert!(messages.contains(&"overlaps release 2.3.1 on the same environment"), "{messages:?}");
    }

    #[test]
    fn suggestions_prefer_quiet_working_hours_outside_freezes() {
        let p = picture();
        let s = suggest(&p, Duration::hours(1), utc(2027, 3, 1, 0, 0), utc(2027, 3, 15, 0, 0), Duration::minutes(15), 3, berlin());
        assert_eq!(s.len(), 3);
        for x in &s {
            assert!(conflicts(&p, x.window.start, x.window.end, berlin()).is_empty(), "{x:?}");
            let local = x.window.start.with_timezone(&berlin());
            assert!(local.weekday().num_days_from_monday() < 5);
            // 09:00-10:00 is the only quiet hour with a rollback buffer.
            assert_eq!(local.format("%H:%M").to_string(), "09:00", "{x:?}");
        }
        assert!(s.windows(2).all(|w| w[0].score >= w[1].score));
        assert_eq!(s[0].window.start, utc(2027, 3, 1, 8, 0), "the earliest of equals first");
        let why = s[0].reasons.join("; ");
        assert_eq!(why, "no freeze; load 10% of the weekly peak; Omar, Priya at work and free; 7 h left to roll back before the working day ends");
    }

    #[test]
    fn a_quiet_stretch_is_one_suggestion_not_one_per_hour() {
        // No load profile and no meetings: every start from 09:00 to 14:00
        // on a weekday leaves the same two hours to roll back, and scores
        // the same. Each day's stretch is one suggestion.
        let mut p = picture();
        p.load = None;
        let s = suggest(&p, Duration::hours(1), utc(2027, 3, 1, 0, 0), utc(2027, 3, 6, 0, 0), Duration::minutes(15), 5, berlin());
        let starts: Vec<String> = s.iter().map(|x| x.window.start.with_timezone(&berlin()).format("%a %H:%M").to_string()).collect();
        assert_eq!(starts, ["Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00"]);

        // A meeting splits Tuesday's morning: the stretch after it is
        // another kind of slot (Priya is busy before it, not after), and the
        // best of it is offered beside the others.
        p.people[1].busy.push((Occurrence { start: utc(2027, 3, 2, 9, 30), end: utc(2027, 3, 2, 10, 0) }, "Steering committee".into()));
        let s = suggest(&p, Duration::hours(1), utc(2027, 3, 2, 0, 0), utc(2027, 3, 3, 0, 0), Duration::minutes(15), 5, berlin());
        let starts: Vec<String> = s.iter().map(|x| x.window.start.with_timezone(&berlin()).format("%a %H:%M").to_string()).collect();
        let working: Vec<&str> = starts.iter().map(String::as_str).filter(|t| ("Tue 09:00".."Tue 14:01").contains(t)).collect();
        assert_eq!(working, ["Tue 09:00", "Tue 11:00"], "the stretch after the meeting, once: {starts:?}");
    }
}
