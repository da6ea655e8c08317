//! Deploy history: every run of a project, filtered and paged newest first,
//! each release's path through the environments, and a CSV of the runs.
//!
//! Pages are cut by the key `(started_at, id)`, never by OFFSET: the next
//! page starts strictly after the last run shown, so a run recorded while
//! the lead reads is neither shown twice nor skipped, and a page costs the
//! same however deep it is. Runs that started in the same second are told
//! apart by their id, in the same order the Deploys page uses.

use chrono::DateTime;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::deploy::runs::{RunKind, RunState};
use crate::release::checklists::transfer::neutralize;
use crate::release::ReleaseState;
use crate::rules::{ErrorKind, Kind};
use crate::store::column;
use crate::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("That project no longer exists. The list has been refreshed.")]
    ProjectNotFound,
    #[error("“{0}” is not a time Liftoff can read; give it as 2026-12-01T00:00:00Z.")]
    BadTime(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for HistoryError {
    fn from(e: rusqlite::Error) -> Self {
        HistoryError::Store(StoreError::from(e))
    }
}

impl Kind for HistoryError {
    fn kind(&self) -> ErrorKind {
        match self {
            HistoryError::ProjectNotFound => ErrorKind::NotFound,
            HistoryError::BadTime(_) => ErrorKind::Invalid,
            HistoryError::Store(e) => e.kind(),
        }
    }
}

/// What the History page filters by; every field left empty lets all runs through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryFilter {
    pub environment_id: Option<String>,
    pub release_id: Option<String>,
    pub state: Option<RunState>,
    pub kind: Option<RunKind>,
    /// Who started the run, as recorded (exact, ignoring case).
    pub who: Option<String>,
    /// Runs that started at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Runs that started before this instant (RFC 3339).
    pub to: Option<String>,
}

/// Where a page ends: the last run shown. The next page starts after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryCursor {
    pub started_at: String,
    pub id: String,
}

/// One run in the history: what the table shows, without the JSON columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRun {
    pub id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub release_id: Option<String>,
    pub version: String,
    pub kind: RunKind,
    pub state: RunState,
    pub started_by: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// Whole seconds from start to end; `None` while it runs.
    pub duration_secs: Option<i32>,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub runs: Vec<HistoryRun>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<HistoryCursor>,
}

/// The most runs one page holds.
pub const MAX_PAGE: i32 = 500;

const COLUMNS: &str = "r.id, r.environment_id, e.name, r.release_id, r.version, r.kind, r.state, r.started_by, r.started_at, r.ended_at, r.outcome";

// ?1 project, ?2 environment, ?3 release, ?4 state, ?5 kind, ?6 who, ?7 from, ?8 to.
const WHERE: &str = "FROM deploy_runs r JOIN environments e ON e.id = r.environment_id
    WHERE r.project_id = ?1
      AND (?2 IS NULL OR r.environment_id = ?2)
      AND (?3 IS NULL OR r.release_id = ?3)
      AND (?4 IS NULL OR r.state = ?4)
      AND (?5 IS NULL OR r.kind = ?5)
      AND (?6 IS NULL OR r.started_by = ?6 COLLATE NOCASE)
      AND (?7 IS NULL OR r.started_at >= ?7)
      AND (?8 IS NULL OR r.started_at < ?8)";

fn from_row(r: &Row) -> rusqlite::Result<HistoryRun> {
    let id: String = r.get(0)?;
    let started_at: String = r.get(8)?;
    let ended_at: Option<String> = r.get(9)?;
    Ok(HistoryRun {
        environment_id: r.get(1)?,
        environment_name: r.get(2)?,
        release_id: r.get(3)?,
        version: r.get(4)?,
        kind: column::text("deploy_runs", &id, "kind", &r.get::<_, String>(5)?)?,
        state: column::text("deploy_runs", &id, "state", &r.get::<_, String>(6)?)?,
        started_by: r.get(7)?,
        duration_secs: ended_at.as_deref().and_then(|end| seconds_between(&started_at, end)),
        started_at,
        ended_at,
        outcome: r.get(10)?,
        id,
    })
}

fn seconds_between(start: &str, end: &str) -> Option<i32> {
    let (s, e) = (DateTime::parse_from_rfc3339(start).ok()?, DateTime::parse_from_rfc3339(end).ok()?);
    i32::try_from((e - s).num_seconds().max(0)).ok()
}

/// A time from the filter in the stored form (RFC 3339 UTC, seconds), so
/// that it compares with the stored text.
fn bound(t: &Option<String>) -> Result<Option<String>, HistoryError> {
    match t.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|d| Some(crate::clock::to_text(d.with_timezone(&chrono::Utc))))
            .map_err(|_| HistoryError::BadTime(t.to_owned())),
    }
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// One page of the project's runs that pass `filter`, newest first, after
/// `after` (the previous page's `next`), at most `limit` (1 to [`MAX_PAGE`]).
pub fn page(store: &Store, project_id: &str, filter: &HistoryFilter, after: Option<&HistoryCursor>, limit: i32) -> Result<HistoryPage, HistoryError> {
    page_in(&*store.reader()?, project_id, filter, after, limit)
}

pub fn page_in(conn: &Connection, project_id: &str, filter: &HistoryFilter, after: Option<&HistoryCursor>, limit: i32) -> Result<HistoryPage, HistoryError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (from, to) = (bound(&filter.from)?, bound(&filter.to)?);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {WHERE}
           AND (?9 IS NULL OR r.started_at < ?9 OR (r.started_at = ?9 AND r.id < ?10))
         ORDER BY r.started_at DESC, r.id DESC LIMIT ?11"
    ))?;
    let rows = stmt.query_map(
        params![
            project_id,
            blank(&filter.environment_id),
            blank(&filter.release_id),
            filter.state.map(RunState::as_str),
            filter.kind.map(RunKind::as_str),
            blank(&filter.who),
            from,
            to,
            after.map(|c| c.started_at.as_str()),
            after.map(|c| c.id.as_str()),
            limit + 1
        ],
        from_row,
    )?;
    let mut runs: Vec<HistoryRun> = rows.collect::<Result<_, _>>()?;
    let next = if runs.len() > limit as usize {
        runs.truncate(limit as usize);
        runs.last().map(|r| HistoryCursor { started_at: r.started_at.clone(), id: r.id.clone() })
    } else {
        None
    };
    Ok(HistoryPage { runs, next })
}

/// Everyone who started a run of the project, for the "who" filter.
pub fn starters(store: &Store, project_id: &str) -> Result<Vec<String>, HistoryError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached("SELECT DISTINCT started_by FROM deploy_runs WHERE project_id = ?1 ORDER BY started_by COLLATE NOCASE")?;
    let rows = stmt.query_map(params![project_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The columns of the CSV, in order.
pub const CSV_COLUMNS: [&str; 11] =
    ["run", "environment", "version", "kind", "state", "started by", "started at", "ended at", "duration (s)", "outcome", "release"];

/// Every run that passes `filter`, newest first, as CSV (CRLF lines, a
/// header row). Cells a spreadsheet would run as a formula are neutralised
/// as the checklist export does it.
pub fn csv(store: &Store, project_id: &str, filter: &HistoryFilter) -> Result<String, HistoryError> {
    let conn = store.reader()?;
    let versions: std::collections::HashMap<String, String> = {
        let mut stmt = conn.prepare_cached("SELECT id, version FROM releases WHERE project_id = ?1")?;
        let rows = stmt.query_map(params![project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    w.write_record(CSV_COLUMNS).expect("write to memory");
    let mut after: Option<HistoryCursor> = None;
    loop {
        let page = page_in(&conn, project_id, filter, after.as_ref(), MAX_PAGE)?;
        for r in &page.runs {
            let release = r.release_id.as_ref().and_then(|id| versions.get(id)).cloned().unwrap_or_default();
            let cells = [
                r.id.clone(),
                r.environment_name.clone(),
                r.version.clone(),
                r.kind.as_str().to_owned(),
                r.state.label().to_owned(),
                r.started_by.clone(),
                r.started_at.clone(),
                r.ended_at.clone().unwrap_or_default(),
                r.duration_secs.map(|d| d.to_string()).unwrap_or_default(),
                r.outcome.clone(),
                release,
            ];
            w.write_record(cells.iter().map(|c| neutralize(c))).expect("write to memory");
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of strings is UTF-8"))
}

/// The file name to suggest for the CSV.
pub fn csv_file_name(project_name: &str) -> String {
    format!("{}-deploy-history.csv", crate::files::slug(project_name, "project"))
}

/// A release on one environment of its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PathStop {
    pub environment_id: String,
    pub environment_name: String,
    pub protected: bool,
    /// When it first verified there (the end of its first succeeded run).
    pub first_verified_at: Option<String>,
    pub first_verified_run_id: Option<String>,
    /// Its runs there, and how many of them did not succeed.
    pub runs: i32,
    pub unsuccessful: i32,
    /// The outcome of its latest run there.
    pub latest_state: Option<RunState>,
}

/// A rollback or switch-back that took the release off an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PathRollback {
    pub run_id: String,
    pub kind: RunKind,
    pub environment_name: String,
    /// The version it went back to.
    pub to_version: String,
    pub state: RunState,
    pub started_by: String,
    pub started_at: String,
}

/// A release's way through the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePath {
    pub release_id: String,
    pub version: String,
    pub name: String,
    pub state: ReleaseState,
    /// Every environment of the project, in pipeline order.
    pub stops: Vec<PathStop>,
    pub rollbacks: Vec<PathRollback>,
    /// When its announcement first went out to an audience, if it did.
    pub announced_at: Option<String>,
    /// Sends to audiences (not tests or exports).
    pub announcement_sends: i32,
    /// How long its commits took to reach production.
    pub lead_time: ReleaseLeadTime,
}

/// A release's lead time: for each of its commits, from the commit's time to
/// the end of the first verified production deploy that brought it (what
/// the metrics count), read from `run_commits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseLeadTime {
    pub commits: i32,
    pub median_hours: Option<f64>,
    pub longest_hours: Option<f64>,
    /// In words: "median 27 h (5 commits), the longest 3 d 2 h", or why it
    /// is not measured.
    pub words: String,
}

fn lead_time_in(conn: &Connection, release_id: &str) -> rusqlite::Result<ReleaseLeadTime> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.committed_at, c.deployed_at FROM run_commits c JOIN deploy_runs r ON r.id = c.run_id WHERE r.release_id = ?1",
    )?;
    let hours: Vec<f64> = stmt
        .query_map(params![release_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .filter_map(|row| {
            let (committed, deployed) = row.ok()?;
            let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
            Some((at(&deployed)? - at(&committed)?).num_seconds().max(0) as f64 / 3600.0)
        })
        .collect();
    if hours.is_empty() {
        let problem: Option<String> = conn
            .query_row(
                "SELECT k.problem FROM run_commit_reads k JOIN deploy_runs r ON r.id = k.run_id WHERE r.release_id = ?1 AND k.problem IS NOT NULL ORDER BY k.read_at DESC LIMIT 1",
                params![release_id],
                |r| r.get(0),
            )
            .optional()?;
        let verified: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM deploy_runs r JOIN environments e ON e.id = r.environment_id WHERE r.release_id = ?1 AND e.protected = 1 AND r.kind = 'deploy' AND r.state = 'succeeded')",
            params![release_id],
            |r| r.get(0),
        )?;
        let words = match problem {
            Some(p) => format!("Lead time {}", p.trim_end_matches('.')),
            None if !verified => "Lead time: not measured yet: it has not verified on production.".into(),
            None => "Lead time: not measured: no commit of it was read when it verified on production.".into(),
        };
        return Ok(ReleaseLeadTime { commits: 0, median_hours: None, longest_hours: None, words: crate::rules::sentence(&words) });
    }
    let median = super::metrics::median(&hours);
    let longest = hours.iter().copied().fold(0.0, f64::max);
    let words = format!(
        "Lead time: median {} ({} commit{}), the longest {}.",
        median.map(super::metrics::duration_words).unwrap_or_default(),
        hours.len(),
        if hours.len() == 1 { "" } else { "s" },
        super::metrics::duration_words(longest)
    );
    Ok(ReleaseLeadTime { commits: hours.len() as i32, median_hours: median, longest_hours: Some(longest), words })
}

/// One environment's runs of a release: how many, how many did not
/// succeed, when and by which run it first verified, and the latest state.
type EnvRuns = (i32, i32, Option<String>, Option<String>, String);

/// The paths of the project's releases that have runs, newest release
/// first, at most `limit`; with `release_id`, that release's alone.
pub fn paths(store: &Store, project_id: &str, release_id: Option<&str>, limit: i32) -> Result<Vec<ReleasePath>, HistoryError> {
    let conn = store.reader()?;
    let envs = crate::environments::list_in(&conn, project_id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT x.id, x.version, x.name, x.state FROM releases x
         WHERE x.project_id = ?1 AND (?2 IS NULL OR x.id = ?2)
           AND (?2 IS NOT NULL OR EXISTS (SELECT 1 FROM deploy_runs r WHERE r.release_id = x.id))
         ORDER BY x.created_at DESC, x.id DESC LIMIT ?3",
    )?;
    let releases: Vec<(String, String, String, String)> = stmt
        .query_map(params![project_id, release_id, limit.clamp(1, 500)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(releases.len());
    for (id, version, name, state) in releases {
        // SQLite gives the bare columns of the row that holds the min() / max().
        let mut stmt = conn.prepare_cached(
            "SELECT environment_id, count(*), sum(state NOT IN ('succeeded', 'running')),
                    (SELECT min(coalesce(v.ended_at, v.started_at)) FROM deploy_runs v WHERE v.release_id = ?1 AND v.environment_id = r.environment_id AND v.state = 'succeeded'),
                    (SELECT v.id FROM deploy_runs v WHERE v.release_id = ?1 AND v.environment_id = r.environment_id AND v.state = 'succeeded'
                       ORDER BY coalesce(v.ended_at, v.started_at), v.id LIMIT 1),
                    max(started_at), state
             FROM deploy_runs r WHERE r.release_id = ?1 AND r.kind = 'deploy' GROUP BY environment_id",
        )?;
        let mut per_env: std::collections::HashMap<String, EnvRuns> = std::collections::HashMap::new();
        let mut rows = stmt.query(params![id])?;
        while let Some(r) = rows.next()? {
            let latest: String = r.get(6)?;
            per_env.insert(r.get(0)?, (r.get(1)?, r.get::<_, Option<i32>>(2)?.unwrap_or(0), r.get(3)?, r.get(4)?, latest));
        }
        let stops = envs
            .iter()
            .map(|e| {
                let found = per_env.get(&e.id);
                PathStop {
                    environment_id: e.id.clone(),
                    environment_name: e.name.clone(),
                    protected: e.protected,
                    first_verified_at: found.and_then(|f| f.2.clone()),
                    first_verified_run_id: found.and_then(|f| f.3.clone()),
                    runs: found.map_or(0, |f| f.0),
                    unsuccessful: found.map_or(0, |f| f.1),
                    latest_state: found.and_then(|f| RunState::parse(&f.4)),
                }
            })
            .collect();
        let mut stmt = conn.prepare_cached(
            "SELECT r.id, r.kind, e.name, r.version, r.state, r.started_by, r.started_at
             FROM deploy_runs r JOIN environments e ON e.id = r.environment_id
             WHERE r.project_id = ?1 AND r.kind IN ('rollback', 'switchBack') AND r.previous_version = ?2 COLLATE NOCASE
             ORDER BY r.started_at, r.id",
        )?;
        let rollbacks = stmt
            .query_map(params![project_id, version], |r| {
                let run_id: String = r.get(0)?;
                Ok(PathRollback {
                    kind: column::text("deploy_runs", &run_id, "kind", &r.get::<_, String>(1)?)?,
                    environment_name: r.get(2)?,
                    to_version: r.get(3)?,
                    state: column::text("deploy_runs", &run_id, "state", &r.get::<_, String>(4)?)?,
                    started_by: r.get(5)?,
                    started_at: r.get(6)?,
                    run_id,
                })
            })?
            .collect::<Result<_, _>>()?;
        let (announced_at, announcement_sends): (Option<String>, i32) = conn.query_row(
            "SELECT min(coalesce(finished_at, started_at)), count(*) FROM announce_sends WHERE release_id = ?1 AND kind = 'audience'",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let lead_time = lead_time_in(&conn, &id)?;
        out.push(ReleasePath {
            lead_time,
            state: column::text("releases", &id, "state", &state)?,
            release_id: id,
            version,
            name,
            stops,
            rollbacks,
            announced_at,
            announcement_sends,
        });
    }
    Ok(out)
}
