//! What the timeline shows for a project over a range, read in one go:
//! release windows with their progress, freeze and maintenance occurrences,
//! the load summarized per bucket, people's working hours and busy time.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::busy::{self, BusyOccurrence};
use super::load::{buckets, hourly_buckets};
use super::recurrence::localize;
use super::windows::{self, WindowOccurrence};
use super::{profile, PlanningError};
use crate::people::{self, Role};
use rusqlite::params;

use crate::release::{ReleaseState, PROGRESS_COLUMNS};
use crate::{clock, projects, time_zones, Store};
use crate::store::column;

/// The widest range one read may cover.
pub const MAX_RANGE: Duration = Duration::days(800);

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TimelineRelease {
    pub id: String,
    pub version: String,
    pub name: String,
    pub state: ReleaseState,
    pub target_date: Option<String>,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub environment_id: Option<String>,
    pub items: i32,
    pub complete: i32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LoadBucket {
    pub max: f64,
    pub mean: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePerson {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub time_zone: String,
}

/// A span of someone's working hours.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct WorkSpan {
    pub person_id: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TimelineData {
    pub project_time_zone: String,
    pub releases: Vec<TimelineRelease>,
    pub windows: Vec<WindowOccurrence>,
    /// Some recurring window had more occurrences than were returned.
    pub truncated: bool,
    /// The load in equal slices of the range; `None` where there is no data.
    pub load: Vec<Option<LoadBucket>>,
    /// The highest load of all samples, to scale the band.
    pub load_peak: f64,
    pub people: Vec<TimelinePerson>,
    pub work: Vec<WorkSpan>,
    pub busy: Vec<BusyOccurrence>,
}

/// The releases whose window touches `[from, to)`, those not planned yet
/// (the page lists them to plan) and the next window to come, with their
/// checklist progress: one query over an index, whatever the number of
/// releases elsewhere.
fn releases_in(store: &Store, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<TimelineRelease>, PlanningError> {
    let conn = store.reader()?;
    // A window lasts at most a week, so one starting earlier cannot reach `from`.
    let earliest = clock::to_text(from - Duration::days(7));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, r.version, r.name, r.state, r.target_date, r.window_start, r.window_end, r.window_environment_id,
                {PROGRESS_COLUMNS}
         FROM releases r
         WHERE r.project_id = ?1
           AND (r.window_start IS NULL
                OR (r.window_start >= ?2 AND r.window_start < ?3 AND r.window_end > ?4)
                OR r.id = (SELECT n.id FROM releases n
                           WHERE n.project_id = ?1 AND n.window_start >= ?5 AND n.window_end > ?6 AND n.state <> 'cancelled'
                           ORDER BY n.window_start LIMIT 1))"
    ))?;
    // The next window to come is always included, wherever the view is, so
    // that the page can frame it.
    let now = Utc::now();
    let params = params![project_id, earliest, clock::to_text(to), clock::to_text(from), clock::to_text(now - Duration::days(7)), clock::to_text(now)];
    let rows = stmt.query_map(params, |r| {
        Ok(TimelineRelease {
            id: r.get(0)?,
            version: r.get(1)?,
            name: r.get(2)?,
            state: column::text("releases", &r.get::<_, String>(0)?, "state", &r.get::<_, String>(3)?)?,
            target_date: r.get(4)?,
            window_start: r.get(5)?,
            window_end: r.get(6)?,
            environment_id: r.get(7)?,
            items: r.get(8)?,
            complete: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn read(store: &Store, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>, load_buckets: usize) -> Result<TimelineData, PlanningError> {
    if to <= from || to - from > MAX_RANGE {
        return Err(PlanningError::Invalid(crate::rules::FieldErrors::from([(
            "range".to_owned(),
            "Show at most about two years at once.".to_owned(),
        )])));
    }
    let project = projects::get(store, project_id)?;
    let releases = releases_in(store, project_id, from, to)?;
    let (windows, truncated) = windows::occurrences(store, project_id, from, to)?;
    let n = load_buckets.clamp(1, 4000);
    // Wide views read the load aggregated per hour; only views finer than
    // an hour a bucket read the samples themselves.
    let slices = if (to - from) / n as i32 >= Duration::hours(1) {
        hourly_buckets(&profile::hours_between(store, project_id, from, to)?, from, to, n)
    } else {
        buckets(&profile::samples_between(store, project_id, from, to)?, from, to, n)
    };
    let mut load: Vec<Option<LoadBucket>> = slices.into_iter().map(|b| b.map(|(max, mean)| LoadBucket { max, mean })).collect();
    let summary = profile::summary(store, project_id)?;
    let mut load_peak = summary.peak;
    // Where there are no samples, show the expected load: the weekly pattern
    // entered by hand anywhere, else (after the last sample, such as the
    // future) the pattern of the last four weeks of samples.
    let tz = time_zones::parse(&project.time_zone).unwrap_or(chrono_tz::UTC);
    let (pattern, after) = match profile::manual_pattern(store, project_id)? {
        Some(p) => (Some(super::load::WeeklyPattern { hours: std::array::from_fn(|d| std::array::from_fn(|h| p[d * 24 + h])) }), None),
        None => match summary.last.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc)) {
            Some(last) => {
                let recent = profile::hours_between(store, project_id, last - Duration::days(28), last + Duration::seconds(1))?;
                (Some(super::load::WeeklyPattern::from_hours(&recent, tz)), Some(last))
            }
            None => (None, None),
        },
    };
    if let Some(weekly) = pattern {
        load_peak = load_peak.max(weekly.peak());
        let slice = (to - from) / n as i32;
        for (i, slot) in load.iter_mut().enumerate() {
            let mid = from + slice * i as i32 + slice / 2;
            if slot.is_none() && after.is_none_or(|last| mid > last) {
                let v = weekly.at(mid, tz);
                *slot = Some(LoadBucket { max: v, mean: v });
            }
        }
    }
    let all = people::list(store, project_id)?;
    let mut work = Vec::new();
    for p in &all {
        let tz = time_zones::parse(&p.time_zone).unwrap_or(chrono_tz::UTC);
        let (Ok(start), Ok(end)) = (NaiveTime::parse_from_str(&p.work_start, "%H:%M"), NaiveTime::parse_from_str(&p.work_end, "%H:%M")) else {
            continue;
        };
        let mut day = (from - Duration::days(1)).with_timezone(&tz).date_naive();
        let last = (to + Duration::days(1)).with_timezone(&tz).date_naive();
        while day <= last {
            if p.work_days[day.weekday().num_days_from_monday() as usize] {
                let (s, e) = (localize(tz, day.and_time(start)), localize(tz, day.and_time(end)));
                if s < to && e > from {
                    work.push(WorkSpan { person_id: p.id.clone(), start: clock::to_text(s), end: clock::to_text(e) });
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    let people = all
        .into_iter()
        .map(|p| TimelinePerson { id: p.id, name: p.name, role: p.role, time_zone: p.time_zone })
        .collect();
    Ok(TimelineData {
        project_time_zone: project.time_zone,
        releases,
        windows,
        truncated,
        load,
        load_peak,
        people,
        work,
        busy: busy::between(store, project_id, from, to)?,
    })
}
