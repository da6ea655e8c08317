//! The status board: what runs where, for one project or all of them, and
//! the release × environment matrix with the next promotion.
//!
//! A project's board is read in a fixed number of queries whatever its
//! number of environments: one for the environments with their runs, lock,
//! next schedule and awaiting approval ([`BOARD`]), two for health
//! ([`super::health::project_health`]), two for the freezes in force
//! ([`windows::occurrences`]). Each run looked up per environment is the
//! first row of a backwards walk of `deploy_runs_by_environment
//! (environment_id, started_at)`, never a scan of the environment's runs
//! (see the test `the_board_query_walks_the_indexes`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::health::{self, EnvironmentHealth, HealthState};
use crate::deploy::runs::{RunKind, RunState, StepRecord, StepState};
use crate::deploy::DeployError;
use crate::planning::windows;
use crate::release::ReleaseState;
use crate::store::column;
use crate::Store;

/// How many releases the matrix shows by default.
pub const MATRIX_RELEASES: u32 = 10;

/// A run, as much of it as the board shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RunBrief {
    pub id: String,
    pub version: String,
    pub release_id: Option<String>,
    pub kind: RunKind,
    pub state: RunState,
    pub started_by: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// Why it ended as it did, in words.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LockBrief {
    /// The run that holds it, or none for a lock set by hand.
    pub run_id: Option<String>,
    pub held_by: String,
    pub reason: String,
    pub since: String,
}

/// The freeze in force on the environment now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FreezeNow {
    pub window_id: String,
    pub name: String,
    pub reason: String,
    pub start: String,
    pub end: String,
}

/// The next deploy scheduled on the environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleBrief {
    pub id: String,
    pub version: String,
    pub release_id: Option<String>,
    pub not_before: String,
    pub created_by: String,
}

/// A run whose deploy waits for an approval on its CI/CD engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AwaitingApproval {
    pub run_id: String,
    pub version: String,
    pub started_by: String,
    pub started_at: String,
    /// The engine's state in Liftoff's words ("waiting for approval on GitHub (production; reviewers: …)").
    pub words: String,
    /// The job's page on the engine, where it is approved.
    pub url: Option<String>,
}

/// One environment on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BoardEnvironment {
    pub id: String,
    pub name: String,
    pub position: i32,
    pub colour: String,
    pub protected: bool,
    pub has_target: bool,
    /// The version running there: the last run that changed it (succeeded,
    /// or failed verification: deployed but not verified).
    pub running: Option<RunBrief>,
    /// The latest run, whatever its outcome.
    pub latest: Option<RunBrief>,
    /// The latest run's step going on now, when it is running ("Deploy: on GitHub: in progress").
    pub live_step: Option<String>,
    pub lock: Option<LockBrief>,
    pub freeze: Option<FreezeNow>,
    pub next_schedule: Option<ScheduleBrief>,
    pub awaiting_approval: Option<AwaitingApproval>,
    pub health: EnvironmentHealth,
    /// The version a rollback would deploy (as the Deploys page's Roll back).
    pub rollback_to: Option<String>,
}

/// A project's board: its environments in pipeline order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectBoard {
    pub project_id: String,
    pub project_name: String,
    pub time_zone: String,
    pub environments: Vec<BoardEnvironment>,
}

/// One environment of a project on the all-projects board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BoardChip {
    pub environment_id: String,
    pub name: String,
    pub colour: String,
    pub protected: bool,
    pub version: Option<String>,
    pub latest_state: Option<RunState>,
    pub latest_run_id: Option<String>,
    pub health: HealthState,
    pub health_words: String,
    pub locked: bool,
    pub frozen: bool,
    pub awaiting_approval: bool,
}

/// One project on the all-projects board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSummary {
    pub project_id: String,
    pub name: String,
    pub time_zone: String,
    pub chips: Vec<BoardChip>,
}

/// An environment as a matrix column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MatrixColumn {
    pub environment_id: String,
    pub name: String,
    pub protected: bool,
}

/// A release's latest run on one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MatrixCell {
    pub run_id: String,
    pub kind: RunKind,
    pub state: RunState,
    /// When it ended, or started while it runs.
    pub at: String,
    /// The release verified there at some time (a succeeded run), whatever its latest run did.
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MatrixRow {
    pub release_id: String,
    pub version: String,
    pub name: String,
    pub state: ReleaseState,
    /// One per column, in the columns' order.
    pub cells: Vec<Option<MatrixCell>>,
    /// The next environment it may be promoted to: it verified on the
    /// environment before it, and not yet on this one (nor runs there now).
    pub promote_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Matrix {
    pub columns: Vec<MatrixColumn>,
    /// The project's latest releases, newest first.
    pub rows: Vec<MatrixRow>,
}

/// The environments of a project with everything the board shows of them
/// but health and freezes, in one statement. Each correlated lookup of a run
/// is `ORDER BY started_at DESC, rowid DESC LIMIT 1` on one environment:
/// the index `deploy_runs_by_environment` read backwards from its end
/// (its entries are ordered by rowid after the columns).
const BOARD: &str = "
SELECT e.id, e.name, e.position, e.colour, e.protected, t.environment_id IS NOT NULL,
       c.id, c.version, c.release_id, c.kind, c.state, c.started_by, c.started_at, c.ended_at, c.outcome,
       l.id, l.version, l.release_id, l.kind, l.state, l.started_by, l.started_at, l.ended_at, l.outcome,
       CASE WHEN l.state = 'running' THEN l.steps END,
       (SELECT b.version FROM deploy_runs b INDEXED BY deploy_runs_by_environment
         WHERE b.environment_id = e.id AND b.state = 'succeeded' AND (c.version IS NULL OR b.version <> c.version)
           AND NOT EXISTS (SELECT 1 FROM releases x WHERE x.id = b.release_id AND x.state = 'rolledBack')
         ORDER BY b.started_at DESC, b.rowid DESC LIMIT 1),
       k.run_id, k.held_by, k.reason, k.since,
       s.id, s.version, s.release_id, s.not_before, s.created_by,
       w.id, w.version, w.started_by, w.started_at, w.remote_status, w.remote_url
FROM environments e
LEFT JOIN deploy_targets t ON t.environment_id = e.id
LEFT JOIN deploy_runs c ON c.rowid =
    (SELECT r.rowid FROM deploy_runs r INDEXED BY deploy_runs_by_environment
      WHERE r.environment_id = e.id AND r.state IN ('succeeded', 'failedVerification')
      ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1)
LEFT JOIN deploy_runs l ON l.rowid =
    (SELECT r.rowid FROM deploy_runs r INDEXED BY deploy_runs_by_environment
      WHERE r.environment_id = e.id ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1)
LEFT JOIN deploy_locks k ON k.environment_id = e.id
LEFT JOIN deploy_schedules s ON s.rowid =
    (SELECT x.rowid FROM deploy_schedules x
      WHERE x.environment_id = e.id AND x.state IN ('scheduled', 'claimed') ORDER BY x.not_before, x.id LIMIT 1)
LEFT JOIN deploy_runs w ON w.rowid =
    (SELECT r.rowid FROM deploy_runs r INDEXED BY deploy_runs_running
      WHERE r.state = 'running' AND r.environment_id = e.id AND r.remote_status LIKE 'waiting for approval%'
      ORDER BY r.started_at DESC LIMIT 1)
WHERE e.project_id = ?1
ORDER BY e.position";

/// The SQL of the board's main query, for its plan to be checked.
pub fn board_sql() -> &'static str {
    BOARD
}

fn run_at(r: &Row, first: usize) -> rusqlite::Result<Option<RunBrief>> {
    let Some(id) = r.get::<_, Option<String>>(first)? else { return Ok(None) };
    Ok(Some(RunBrief {
        version: r.get(first + 1)?,
        release_id: r.get(first + 2)?,
        kind: column::text("deploy_runs", &id, "kind", &r.get::<_, String>(first + 3)?)?,
        state: column::text("deploy_runs", &id, "state", &r.get::<_, String>(first + 4)?)?,
        started_by: r.get(first + 5)?,
        started_at: r.get(first + 6)?,
        ended_at: r.get(first + 7)?,
        outcome: r.get(first + 8)?,
        id,
    }))
}

/// The step going on in a running run's steps, in words.
fn live_step(run_id: &str, steps: Option<String>) -> rusqlite::Result<Option<String>> {
    let Some(json) = steps else { return Ok(None) };
    let steps: Vec<StepRecord> = column::json("deploy_runs", run_id, "steps", &json)?;
    Ok(steps
        .iter()
        .find(|s| s.state == StepState::Running)
        .or_else(|| steps.iter().find(|s| s.state == StepState::Pending))
        .map(|s| if s.detail.is_empty() { s.name.clone() } else { format!("{}: {}", s.name, s.detail) }))
}

/// The board of one project at `now`: each environment in pipeline order.
/// A plain function over the store, for the window, the command line and
/// the benchmark alike.
pub fn project_board(store: &Store, project_id: &str, now: DateTime<Utc>) -> Result<ProjectBoard, DeployError> {
    let conn = store.reader()?;
    let (project_name, time_zone): (String, String) = conn
        .query_row("SELECT name, time_zone FROM projects WHERE id = ?1", params![project_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| DeployError::ProjectNotFound(project_id.to_owned()))?;
    let mut healths = health::project_health(&conn, project_id, now)?;
    // The freezes in force now: occurrences overlapping this very second.
    let (occurrences, _) =
        windows::occurrences(store, project_id, now, now + Duration::seconds(1)).map_err(|e| DeployError::Refused(e.to_string()))?;
    let mut stmt = conn.prepare_cached(BOARD)?;
    let rows = stmt.query_map(params![project_id], |r| {
        let id: String = r.get(0)?;
        let latest = run_at(r, 15)?;
        let live = match &latest {
            Some(l) if l.state == RunState::Running => live_step(&l.id, r.get(24)?)?,
            _ => None,
        };
        let lock = match r.get::<_, Option<String>>(27)? {
            Some(held_by) => Some(LockBrief { run_id: r.get(26)?, held_by, reason: r.get(28)?, since: r.get(29)? }),
            None => None,
        };
        let next_schedule = match r.get::<_, Option<String>>(30)? {
            Some(sid) => Some(ScheduleBrief { id: sid, version: r.get(31)?, release_id: r.get(32)?, not_before: r.get(33)?, created_by: r.get(34)? }),
            None => None,
        };
        let awaiting_approval = match r.get::<_, Option<String>>(35)? {
            Some(run_id) => Some(AwaitingApproval {
                run_id,
                version: r.get(36)?,
                started_by: r.get(37)?,
                started_at: r.get(38)?,
                words: r.get::<_, Option<String>>(39)?.unwrap_or_default(),
                url: r.get(40)?,
            }),
            None => None,
        };
        Ok(BoardEnvironment {
            name: r.get(1)?,
            position: r.get(2)?,
            colour: r.get(3)?,
            protected: r.get(4)?,
            has_target: r.get(5)?,
            running: run_at(r, 6)?,
            latest,
            live_step: live,
            rollback_to: r.get(25)?,
            lock,
            freeze: None,
            next_schedule,
            awaiting_approval,
            health: no_health(&id),
            id,
        })
    })?;
    let mut environments = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for env in &mut environments {
        if let Some(h) = healths.remove(&env.id) {
            env.health = h;
        }
        env.freeze = occurrences.iter().find(|o| o.freezes(&env.id)).map(|o| FreezeNow {
            window_id: o.window_id.clone(),
            name: o.name.clone(),
            reason: o.reason.clone(),
            start: o.start.clone(),
            end: o.end.clone(),
        });
    }
    Ok(ProjectBoard { project_id: project_id.to_owned(), project_name, time_zone, environments })
}

fn no_health(environment_id: &str) -> EnvironmentHealth {
    EnvironmentHealth {
        environment_id: environment_id.to_owned(),
        state: HealthState::Unchecked,
        words: "not checked yet".into(),
        checked_at: None,
        status: None,
        latency_ms: None,
        last_failure: None,
        sparkline: Vec::new(),
    }
}

/// Every project that is not archived, one row each with its environments
/// as chips, by name.
pub fn all_projects(store: &Store, now: DateTime<Utc>) -> Result<Vec<ProjectSummary>, DeployError> {
    let ids: Vec<String> = {
        let conn = store.reader()?;
        let mut stmt = conn.prepare_cached("SELECT id FROM projects WHERE archived_at IS NULL ORDER BY name COLLATE NOCASE")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        ids
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let board = match project_board(store, &id, now) {
            Ok(b) => b,
            // Deleted between the two reads.
            Err(DeployError::ProjectNotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        out.push(summary_of(board));
    }
    Ok(out)
}

/// A project's board as one row of chips.
pub fn summary_of(board: ProjectBoard) -> ProjectSummary {
    ProjectSummary {
        project_id: board.project_id,
        name: board.project_name,
        time_zone: board.time_zone,
        chips: board
            .environments
            .into_iter()
            .map(|e| BoardChip {
                environment_id: e.id,
                name: e.name,
                colour: e.colour,
                protected: e.protected,
                version: e.running.map(|r| r.version),
                latest_state: e.latest.as_ref().map(|r| r.state),
                latest_run_id: e.latest.map(|r| r.id),
                health: e.health.state,
                health_words: e.health.words,
                locked: e.lock.is_some(),
                frozen: e.freeze.is_some(),
                awaiting_approval: e.awaiting_approval.is_some(),
            })
            .collect(),
    }
}

/// The project's latest `limit` releases (by creation, newest first; not
/// cancelled ones) against its environments: each cell the release's latest
/// run there, found through `deploy_runs_by_release`. A run counts for a
/// release by its release id (a version typed without picking the release
/// is not matched to it).
pub fn matrix(store: &Store, project_id: &str, limit: u32) -> Result<Matrix, DeployError> {
    let conn = store.reader()?;
    if conn.query_row("SELECT 1 FROM projects WHERE id = ?1", params![project_id], |_| Ok(())).optional()?.is_none() {
        return Err(DeployError::ProjectNotFound(project_id.to_owned()));
    }
    let columns = columns_in(&conn, project_id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, version, name, state FROM releases WHERE project_id = ?1 AND state <> 'cancelled'
         ORDER BY created_at DESC, rowid DESC LIMIT ?2",
    )?;
    let releases = stmt
        .query_map(params![project_id, limit.clamp(1, 100)], |r| {
            let id: String = r.get(0)?;
            let state = column::text("releases", &id, "state", &r.get::<_, String>(3)?)?;
            Ok((id, r.get::<_, String>(1)?, r.get::<_, String>(2)?, state))
        })?
        .collect::<rusqlite::Result<Vec<(String, String, String, ReleaseState)>>>()?;
    // Every run of those releases, oldest first: the last one per cell wins.
    let mut stmt = conn.prepare_cached(
        "SELECT r.release_id, r.environment_id, r.id, r.kind, r.state, coalesce(r.ended_at, r.started_at)
         FROM deploy_runs r INDEXED BY deploy_runs_by_release
         WHERE r.release_id IN (SELECT value FROM json_each(?1))
         ORDER BY r.started_at, r.rowid",
    )?;
    let ids = serde_json::to_string(&releases.iter().map(|r| &r.0).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
    let mut latest: HashMap<(String, String), MatrixCell> = HashMap::new();
    let mut verified: HashSet<(String, String)> = HashSet::new();
    let rows = stmt.query_map(params![ids], |r| {
        let run_id: String = r.get(2)?;
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            column::text::<RunKind>("deploy_runs", &run_id, "kind", &r.get::<_, String>(3)?)?,
            column::text::<RunState>("deploy_runs", &run_id, "state", &r.get::<_, String>(4)?)?,
            r.get::<_, String>(5)?,
            run_id,
        ))
    })?;
    for row in rows {
        let (release_id, environment_id, kind, state, at, run_id) = row?;
        let key = (release_id, environment_id);
        if state == RunState::Succeeded {
            verified.insert(key.clone());
        }
        latest.insert(key, MatrixCell { run_id, kind, state, at, verified: false });
    }
    let rows = releases
        .into_iter()
        .map(|(release_id, version, name, state)| {
            let cells: Vec<Option<MatrixCell>> = columns
                .iter()
                .map(|c| {
                    let key = (release_id.clone(), c.environment_id.clone());
                    latest.get(&key).cloned().map(|cell| MatrixCell { verified: verified.contains(&key), ..cell })
                })
                .collect();
            let promote_to = promote_to(state, &columns, &cells);
            MatrixRow { release_id, version, name, state, cells, promote_to }
        })
        .collect();
    Ok(Matrix { columns, rows })
}

fn columns_in(conn: &Connection, project_id: &str) -> rusqlite::Result<Vec<MatrixColumn>> {
    let mut stmt = conn.prepare_cached("SELECT id, name, protected FROM environments WHERE project_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map(params![project_id], |r| Ok(MatrixColumn { environment_id: r.get(0)?, name: r.get(1)?, protected: r.get(2)? }))?;
    rows.collect()
}

/// The promotion the pipeline allows for a release: the first environment
/// it has not verified on, when it verified on the one before (the
/// preflight's promotion rule), it does not run there now, and the release
/// is not rolled back. A release that verified nowhere is deployed, not
/// promoted: none.
pub fn promote_to(state: ReleaseState, columns: &[MatrixColumn], cells: &[Option<MatrixCell>]) -> Option<String> {
    if matches!(state, ReleaseState::RolledBack | ReleaseState::Cancelled) {
        return None;
    }
    let verified = |i: usize| cells.get(i).and_then(|c| c.as_ref()).is_some_and(|c| c.verified);
    let next = (0..columns.len()).find(|&i| !verified(i))?;
    if next == 0 || !verified(next - 1) {
        return None;
    }
    if cells[next].as_ref().is_some_and(|c| c.state == RunState::Running) {
        return None;
    }
    Some(columns[next].environment_id.clone())
}
