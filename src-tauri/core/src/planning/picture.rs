//! Gathering, from the store, everything that bears on one release's window
//! over a horizon: the freezes of its environment, the load pattern, the
//! people it needs with their hours and busy time, and the other releases
//! planned on the same environment.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use rusqlite::params;

use super::window::{self as judge, Blocked, Conflict, OtherRelease, PersonTime, Picture};
use super::windows::{self, WindowKind};
use super::{busy, profile, PlanningError};
use crate::people;
use crate::release::{self as releases, Release, ReleaseState};
use crate::{time_zones, Store};

/// How long a rollback is assumed to take unless the caller says otherwise.
pub const DEFAULT_ROLLBACK: Duration = Duration::hours(2);

/// The share of the weekly peak from which load counts as a peak period.
pub const PEAK_SHARE: f64 = 0.75;

/// The picture for `release_id` over `[from, to)`, needing `person_ids`
/// (for example its owner, reviewers and the person on call), each named
/// with why they are needed.
pub fn for_release(
    store: &Store,
    release_id: &str,
    needed: &[(String, String)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Picture, PlanningError> {
    let release = releases::get(store, release_id)?;
    let project_id = release.project_id.clone();
    let default_env: Option<String> = crate::environments::first_protected(&*store.reader()?, &project_id)?.map(|e| e.id);
    let environment = release.window_environment_id.clone().or_else(|| default_env.clone());
    // Windows that start before `to` may end well after it.
    let reach = to + Duration::days(7);
    let (occurrences, _) = windows::occurrences(store, &project_id, from - Duration::days(7), reach)?;
    let mut freezes: Vec<Blocked> = Vec::new();
    for o in occurrences.into_iter().filter(|o| o.kind == WindowKind::Freeze) {
        let applies = !o.scoped || environment.as_ref().is_some_and(|e| o.environment_ids.contains(e));
        if !applies {
            continue;
        }
        let occ = super::recurrence::Occurrence { start: parse(&o.start)?, end: parse(&o.end)? };
        match freezes.iter_mut().find(|f| f.name == o.name) {
            Some(f) => f.occurrences.push(occ),
            None => freezes.push(Blocked { name: o.name, occurrences: vec![occ] }),
        }
    }

    let all_people = people::list(store, &project_id)?;
    let busy = busy::between(store, &project_id, from - Duration::days(1), reach)?;
    let mut people_time = Vec::new();
    for (id, why) in needed {
        let Some(p) = all_people.iter().find(|p| &p.id == id) else {
            return Err(PlanningError::PersonNotFound);
        };
        let mut spans = Vec::new();
        for b in busy.iter().filter(|b| &b.person_id == id) {
            spans.push((super::recurrence::Occurrence { start: parse(&b.start)?, end: parse(&b.end)? }, b.summary.clone()));
        }
        people_time.push(PersonTime {
            name: p.name.clone(),
            role: if why.is_empty() { p.role.as_str().to_owned() } else { why.clone() },
            tz: time_zones::parse(&p.time_zone).unwrap_or(chrono_tz::UTC),
            work_start: NaiveTime::parse_from_str(&p.work_start, "%H:%M").unwrap_or(NaiveTime::MIN),
            work_end: NaiveTime::parse_from_str(&p.work_end, "%H:%M").unwrap_or(NaiveTime::MIN),
            work_days: p.work_days,
            busy: spans,
        });
    }

    let mut others = Vec::new();
    for r in releases::list(store, &project_id, None)? {
        let r = r.release;
        if r.id == release.id || matches!(r.state, ReleaseState::Cancelled | ReleaseState::RolledBack) {
            continue;
        }
        // A release without an environment of its own is for the first protected one.
        let same_env = r.window_environment_id.as_ref().or(default_env.as_ref()) == environment.as_ref();
        if let (Some(s), Some(e), true) = (&r.window_start, &r.window_end, same_env) {
            others.push(OtherRelease { name: format!("{} {}", r.version, r.name), window: super::recurrence::Occurrence { start: parse(s)?, end: parse(e)? } });
        }
    }

    Ok(Picture {
        freezes,
        load: profile::weekly_pattern(store, &project_id)?,
        peak_share: PEAK_SHARE,
        people: people_time,
        releases: others,
        rollback: DEFAULT_ROLLBACK,
    })
}

/// A suggested window, as the UI shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SuggestedWindow {
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// What is wrong with planning `release_id` at `[start, end)`, with times
/// in `shown_in`.
pub fn check_window(store: &Store, release_id: &str, start: DateTime<Utc>, end: DateTime<Utc>, shown_in: Tz) -> Result<Vec<Conflict>, PlanningError> {
    let needed = needed_people(store, release_id)?;
    let picture = for_release(store, release_id, &needed, start - Duration::days(1), end + Duration::days(1))?;
    let release = releases::get(store, release_id)?;
    Ok(judge_window(&picture, &release, start, end, shown_in))
}

/// The conflicts of `[start, end)` in `picture`, with the release's
/// emergency override applied where it was given for this very window.
fn judge_window(picture: &Picture, release: &Release, start: DateTime<Utc>, end: DateTime<Utc>, shown_in: Tz) -> Vec<Conflict> {
    let mut found = judge::conflicts(picture, start, end, shown_in);
    let same_window = release.window_start.as_deref() == Some(&crate::clock::to_text(start))
        && release.window_end.as_deref() == Some(&crate::clock::to_text(end));
    if let (true, Some(reason), Some(by)) = (same_window, &release.freeze_override_reason, &release.freeze_override_by) {
        for c in found.iter_mut().filter(|c| c.kind == judge::ConflictKind::Freeze) {
            c.kind = judge::ConflictKind::FreezeOverridden;
            c.message = format!("{}, overridden by decision of {by}: “{reason}”", c.message);
        }
    }
    found
}

/// How far around a dragged window the picture is gathered, so that the
/// drag can go on for a week either way before it is gathered again.
const DRAG_HORIZON: Duration = Duration::days(8);

/// Conflict checks while a window is dragged: the picture is gathered once
/// and each position (every 15-minute snap) is judged in memory, until the
/// window leaves the gathered horizon or the store changes (any commit, or
/// another process's). The stored window is judged afresh after the drop,
/// since storing it is a change.
#[derive(Default)]
pub struct DragChecks {
    cached: Mutex<Option<Gathered>>,
}

struct Gathered {
    release: Release,
    generation: u64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    picture: Picture,
}

impl DragChecks {
    pub fn check(&self, store: &Store, release_id: &str, start: DateTime<Utc>, end: DateTime<Utc>, shown_in: Tz) -> Result<Vec<Conflict>, PlanningError> {
        let generation = store.generation();
        let mut cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        let fits = cached.as_ref().is_some_and(|g| {
            g.release.id == release_id && g.generation == generation && g.from <= start - Duration::days(1) && end + Duration::days(1) <= g.to
        });
        if !fits {
            let release = releases::get(store, release_id)?;
            let needed = needed_people(store, release_id)?;
            let (from, to) = (start - DRAG_HORIZON, end + DRAG_HORIZON);
            let picture = for_release(store, release_id, &needed, from, to)?;
            *cached = Some(Gathered { release, generation, from, to, picture });
        }
        let gathered = cached.as_ref().expect("gathered just now if it was not there");
        Ok(judge_window(&gathered.picture, &gathered.release, start, end, shown_in))
    }

    /// The horizon of the picture in hand, if any.
    pub fn gathered_for(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|g| (g.from, g.to))
    }
}

/// The best `count` windows of `minutes` over the `days` from `from`, at
/// 15-minute steps, with times in `shown_in` (a day there is where one slot
/// of suggestions ends).
pub fn suggest(
    store: &Store,
    release_id: &str,
    minutes: i64,
    from: DateTime<Utc>,
    days: i64,
    count: usize,
    shown_in: Tz,
) -> Result<Vec<SuggestedWindow>, PlanningError> {
    if !(15..=7 * 24 * 60).contains(&minutes) || !(1..=60).contains(&days) {
        return Err(PlanningError::Invalid(crate::rules::FieldErrors::from([(
            "minutes".to_owned(),
            "Suggest windows of 15 minutes to 7 days over 1 to 60 days.".to_owned(),
        )])));
    }
    let to = from + Duration::days(days);
    let needed = needed_people(store, release_id)?;
    let picture = for_release(store, release_id, &needed, from, to)?;
    let best = judge::suggest(&picture, Duration::minutes(minutes), from, to, Duration::minutes(15), count, shown_in);
    Ok(best
        .into_iter()
        .map(|s| SuggestedWindow {
            start: crate::clock::to_text(s.window.start),
            end: crate::clock::to_text(s.window.end),
            score: (s.score * 10.0).round() / 10.0,
            reasons: s.reasons,
        })
        .collect())
}

/// The people a release's window needs: who is on call, then the owners
/// and reviewers of its checklist items, at most 20, each with why.
pub fn needed_people(store: &Store, release_id: &str) -> Result<Vec<(String, String)>, PlanningError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(
        "SELECT on_call_id, 'on call' FROM releases WHERE id = ?1 AND on_call_id IS NOT NULL
         UNION ALL
         SELECT owner_id, 'owner' FROM checklist_items WHERE release_id = ?1 AND owner_id IS NOT NULL
         UNION ALL
         SELECT reviewer_id, 'reviewer' FROM checklist_items WHERE release_id = ?1 AND reviewer_id IS NOT NULL",
    )?;
    let rows = stmt.query_map(params![release_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for row in rows {
        let (id, why) = row?;
        if out.len() < 20 && !out.iter().any(|(seen, _)| *seen == id) {
            out.push((id, why));
        }
    }
    Ok(out)
}

fn parse(s: &str) -> Result<DateTime<Utc>, PlanningError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| PlanningError::Export(format!("A stored time, “{s}”, cannot be read. Set the window or busy time again.")))
}

