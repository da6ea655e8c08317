//! Runs, their log, the per-environment lock, and what runs where now.
//!
//! The lock is a row in `deploy_locks`, taken in the same write transaction
//! that records the run: SQLite's single writer makes that atomic across
//! processes (the window, the command-line tool, a second Liftoff). A run
//! belongs to the process that executes it, named by its owner token (see
//! `store::owner`: a file the process holds locked, which the kernel lets go
//! when it dies), so a pid reused by an unrelated process never passes for
//! it. A lock whose run's process has died is taken back by whoever needs
//! it (the run becomes "interrupted", with a note in the audit log), and
//! every entry point runs [`recover_interrupted`] before it acts.

mod log;

pub use log::{log, log_text, LogLine, LogPage, LogStream, HEAD_LINES, TAIL_LINES};
pub(crate) use log::LogWriter;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::PreflightCheck;
use super::smoke::CheckResult;
use super::DeployError;
use crate::audit::{self, Actor, AuditCategory, Change};
use crate::environments::Environment;
use crate::store::ChangeKind;
use crate::{clock, Store};
use crate::store::column::{self, stored_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum RunKind {
    Deploy,
    Rollback,
    SwitchBack,
}

stored_text!(RunKind { Deploy => "deploy", Rollback => "rollback", SwitchBack => "switchBack" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    Running,
    Succeeded,
    Failed,
    FailedVerification,
    Cancelled,
    TimedOut,
    Interrupted,
}

stored_text!(RunState {
    Running => "running",
    Succeeded => "succeeded",
    Failed => "failed",
    FailedVerification => "failedVerification",
    Cancelled => "cancelled",
    TimedOut => "timedOut",
    Interrupted => "interrupted",
});

impl RunState {
    pub const ALL: [RunState; 7] = [
        RunState::Running,
        RunState::Succeeded,
        RunState::Failed,
        RunState::FailedVerification,
        RunState::Cancelled,
        RunState::TimedOut,
        RunState::Interrupted,
    ];
    pub fn label(self) -> &'static str {
        match self {
            RunState::FailedVerification => "failed verification",
            RunState::TimedOut => "timed out",
            other => other.as_str(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum StepState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

/// One step of a run: a command before, the deploy, after, a smoke check
/// or the blue-green switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub name: String,
    pub state: StepState,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub duration_ms: Option<i32>,
    /// How it ended, in words ("exit code 0", "timed out after 30 s").
    pub detail: String,
    /// The step or smoke check was marked an automated acceptance test when
    /// the run started (see `TargetSettings::acceptance_tests`).
    #[serde(default)]
    pub acceptance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    pub project_id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub release_id: Option<String>,
    pub version: String,
    pub build_ref: String,
    pub kind: RunKind,
    pub previous_version: Option<String>,
    pub slot: Option<String>,
    pub started_by: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub state: RunState,
    pub outcome: String,
    pub preflight: Vec<PreflightCheck>,
    pub steps: Vec<StepRecord>,
    pub checks: Vec<CheckResult>,
    pub owner_pid: Option<i32>,
    /// The owner token of the process that executes it (see `store::owner`).
    pub owner: Option<String>,
    pub log_lines: i32,
    pub log_cut: i32,
    /// A deploy on a CI/CD engine: the engine's handle for its job (JSON),
    /// set once the engine took it.
    pub remote_ref: Option<String>,
    /// The job's page on the engine.
    pub remote_url: Option<String>,
    /// The engine's state in its own words, as last read.
    pub remote_status: Option<String>,
}

impl Run {
    /// A run whose deploy step runs on a CI/CD engine that has taken it and
    /// not yet ended: the engine goes on without Liftoff, so a dead owner
    /// leaves it to be followed again (see [`detached`]), not interrupted.
    pub fn awaits_engine(&self) -> bool {
        self.state == RunState::Running
            && self.remote_ref.is_some()
            && self.steps.iter().any(|s| s.name == REMOTE_STEP && matches!(s.state, StepState::Running | StepState::Pending))
    }
}

/// The name of the step a remote deploy runs as.
pub const REMOTE_STEP: &str = "Deploy";

/// A lock on an environment: a run's, or one set by hand with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    pub environment_id: String,
    pub run_id: Option<String>,
    pub held_by: String,
    pub reason: String,
    pub since: String,
}

/// One environment on the Deploys page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentStatus {
    pub environment: Environment,
    pub has_target: bool,
    /// What runs there now: the last run that succeeded.
    pub current: Option<Run>,
    /// The latest run, whatever its outcome.
    pub latest: Option<Run>,
    pub lock: Option<Lock>,
    /// Blue-green: the slot users are on.
    pub live_slot: Option<String>,
    /// The version a rollback would deploy, if there is one.
    pub rollback_to: Option<String>,
}

const COLUMNS: &str = "r.id, r.project_id, r.environment_id, e.name, r.release_id, r.version, r.build_ref, r.kind, r.previous_version,
     r.slot, r.started_by, r.started_at, r.ended_at, r.state, r.outcome, r.preflight, r.steps, r.checks, r.owner_pid,
     r.owner, r.log_lines, r.log_cut, r.remote_ref, r.remote_url, r.remote_status";
const FROM: &str = "FROM deploy_runs r JOIN environments e ON e.id = r.environment_id";

fn from_row(r: &Row) -> rusqlite::Result<Run> {
    let id: String = r.get(0)?;
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(Run {
        id: r.get(0)?,
        project_id: r.get(1)?,
        environment_id: r.get(2)?,
        environment_name: r.get(3)?,
        release_id: r.get(4)?,
        version: r.get(5)?,
        build_ref: r.get(6)?,
        kind: column::text("deploy_runs", &id, "kind", &r.get::<_, String>(7)?)?,
        previous_version: r.get(8)?,
        slot: r.get(9)?,
        started_by: r.get(10)?,
        started_at: r.get(11)?,
        ended_at: r.get(12)?,
        state: column::text("deploy_runs", &id, "state", &r.get::<_, String>(13)?)?,
        outcome: r.get(14)?,
        preflight: column::json("deploy_runs", &id, "preflight", &json(15)?)?,
        steps: column::json("deploy_runs", &id, "steps", &json(16)?)?,
        checks: column::json("deploy_runs", &id, "checks", &json(17)?)?,
        owner_pid: r.get(18)?,
        owner: r.get(19)?,
        log_lines: r.get(20)?,
        log_cut: r.get(21)?,
        remote_ref: r.get(22)?,
        remote_url: r.get(23)?,
        remote_status: r.get(24)?,
    })
}

pub fn get(store: &Store, id: &str) -> Result<Run, DeployError> {
    get_in(&*store.reader()?, id)?.ok_or(DeployError::RunNotFound)
}

pub(crate) fn get_in(conn: &Connection, id: &str) -> rusqlite::Result<Option<Run>> {
    conn.query_row(&format!("SELECT {COLUMNS} {FROM} WHERE r.id = ?1"), params![id], from_row).optional()
}

/// Runs filtered by project and optionally environment and release, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RunQuery {
    pub environment_id: Option<String>,
    pub release_id: Option<String>,
    /// Only runs that overlap this range (RFC 3339), for the timeline.
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i32>,
}

pub fn list(store: &Store, project_id: &str, q: &RunQuery) -> Result<Vec<Run>, DeployError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {FROM} WHERE r.project_id = ?1
           AND (?2 IS NULL OR r.environment_id = ?2) AND (?3 IS NULL OR r.release_id = ?3)
           AND (?4 IS NULL OR coalesce(r.ended_at, '9999') >= ?4) AND (?5 IS NULL OR r.started_at < ?5)
         ORDER BY r.started_at DESC, r.id DESC LIMIT ?6"
    ))?;
    let rows = stmt.query_map(
        params![project_id, q.environment_id, q.release_id, q.from, q.to, q.limit.unwrap_or(200).clamp(1, 5000)],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The last run on the environment that verified (succeeded), other than
/// `excluding_version` and other than a release that was rolled back (going
/// back to it would be rolling forward into what was taken off): what a
/// rollback deploys.
pub(crate) fn last_verified(conn: &Connection, environment_id: &str, excluding_version: Option<&str>) -> rusqlite::Result<Option<Run>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} {FROM} WHERE r.environment_id = ?1 AND r.state = 'succeeded' AND (?2 IS NULL OR r.version <> ?2)
               AND NOT EXISTS (SELECT 1 FROM releases x WHERE x.id = r.release_id AND x.state = 'rolledBack')
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
        ),
        params![environment_id, excluding_version],
        from_row,
    )
    .optional()
}

fn latest(conn: &Connection, environment_id: &str, state: Option<&str>) -> rusqlite::Result<Option<Run>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} {FROM} WHERE r.environment_id = ?1 AND (?2 IS NULL OR r.state = ?2)
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
        ),
        params![environment_id, state],
        from_row,
    )
    .optional()
}

/// When `version` last verified on the environment (its run's end), if it
/// ever did.
pub(crate) fn verified_at(conn: &Connection, environment_id: &str, version: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT coalesce(ended_at, started_at) FROM deploy_runs WHERE environment_id = ?1 AND version = ?2 AND state = 'succeeded'
         ORDER BY started_at DESC LIMIT 1",
        params![environment_id, version],
        |r| r.get(0),
    )
    .optional()
}

pub(crate) fn lock_in(conn: &Connection, environment_id: &str) -> rusqlite::Result<Option<Lock>> {
    conn.query_row(
        "SELECT environment_id, run_id, held_by, reason, since FROM deploy_locks WHERE environment_id = ?1",
        params![environment_id],
        |r| Ok(Lock { environment_id: r.get(0)?, run_id: r.get(1)?, held_by: r.get(2)?, reason: r.get(3)?, since: r.get(4)? }),
    )
    .optional()
}

/// The project's environments in pipeline order with what runs there now.
pub fn status(store: &Store, project_id: &str) -> Result<Vec<EnvironmentStatus>, DeployError> {
    let envs = crate::environments::list(store, project_id).map_err(|e| DeployError::Refused(e.to_string()))?;
    let conn = store.reader()?;
    let mut out = Vec::with_capacity(envs.len());
    for environment in envs {
        let target: Option<Option<String>> = conn
            .query_row("SELECT live_slot FROM deploy_targets WHERE environment_id = ?1", params![environment.id], |r| r.get(0))
            .optional()?;
        let current = current_in(&conn, &environment.id)?;
        let latest = latest(&conn, &environment.id, None)?;
        let rollback_to = last_verified(&conn, &environment.id, current.as_ref().map(|r| r.version.as_str()))?.map(|r| r.version);
        let lock = lock_in(&conn, &environment.id)?;
        out.push(EnvironmentStatus {
            has_target: target.is_some(),
            live_slot: target.flatten(),
            current,
            latest,
            lock,
            rollback_to,
            environment,
        });
    }
    Ok(out)
}

/// What runs on the environment now: the version of the last run that
/// changed it (succeeded, or failed verification: it is deployed, but not
/// verified).
pub(crate) fn current_in(conn: &Connection, environment_id: &str) -> rusqlite::Result<Option<Run>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} {FROM} WHERE r.environment_id = ?1 AND r.state IN ('succeeded', 'failedVerification')
             ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
        ),
        params![environment_id],
        from_row,
    )
    .optional()
}

// ---- Locks -------------------------------------------------------------

/// Is the process that executes the run still alive? Its owner token's
/// marker is locked while it lives (see `store::owner`); a run recorded
/// before tokens existed falls back to its pid.
pub(crate) fn owner_alive(conn: &Connection, run: &Run) -> bool {
    match (&run.owner, run.owner_pid) {
        (Some(token), _) => data_dir_of(conn).is_some_and(|dir| crate::store::owner::alive(&dir, token)),
        (None, Some(pid)) if pid > 0 => pid as u32 == std::process::id() || super::procs::start_time(pid as u32).is_some(),
        _ => false,
    }
}

/// The data folder of the database `conn` is open on.
fn data_dir_of(conn: &Connection) -> Option<std::path::PathBuf> {
    conn.path().filter(|p| !p.is_empty()).and_then(|p| std::path::Path::new(p).parent().map(|d| d.to_path_buf()))
}

/// The message that refuses a second deploy or a lock, its times in `tz`
/// as the window writes them.
pub(crate) fn held_message(conn: &Connection, env_name: &str, lock: &Lock, tz: chrono_tz::Tz, now: DateTime<Utc>) -> rusqlite::Result<String> {
    if let Some(run_id) = &lock.run_id {
        if let Some(run) = get_in(conn, run_id)? {
            return Ok(format!(
                "{env_name} is busy: {} is deploying {} there since {} ({}). Wait for it to end, or cancel it on the Deploys page or with `liftoff cancel --run {}`.",
                run.started_by,
                run.version,
                short_time(&run.started_at, tz, Some(now)),
                if run.kind == RunKind::Rollback { "a rollback" } else { "a deploy" },
                run.id
            ));
        }
    }
    Ok(format!(
        "{env_name} is locked by {} since {}: “{}”. Unlock it on the Deploys page when it may be deployed again.",
        lock.held_by,
        short_time(&lock.since, tz, Some(now)),
        lock.reason
    ))
}

/// "Sun 6 Dec 22:16 Europe/Berlin"; with `now` `None` (text that is kept) with its year.
fn short_time(rfc3339: &str, tz: chrono_tz::Tz, now: Option<DateTime<Utc>>) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| format!("{} {}", clock::words(t.with_timezone(&Utc), tz, now), tz.name()))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// Takes back the lock of a run whose process has died, inside `tx`:
/// the run becomes interrupted. Returns whether the lock is now free.
fn release_if_dead(tx: &Connection, lock: &Lock, now: DateTime<Utc>) -> Result<bool, DeployError> {
    let Some(run_id) = &lock.run_id else { return Ok(false) };
    let Some(run) = get_in(tx, run_id)? else { return Ok(true) };
    if run.state == RunState::Running && (owner_alive(tx, &run) || run.awaits_engine()) {
        return Ok(false);
    }
    if run.state == RunState::Running {
        mark_interrupted(tx, &run, now)?;
    }
    tx.execute("DELETE FROM deploy_locks WHERE environment_id = ?1", params![lock.environment_id])?;
    Ok(true)
}

fn mark_interrupted(tx: &Connection, run: &Run, now: DateTime<Utc>) -> Result<(), DeployError> {
    let at = clock::to_text(now);
    let mut steps = run.steps.clone();
    for s in steps.iter_mut().filter(|s| s.state == StepState::Running) {
        s.state = StepState::Failed;
        s.ended_at = Some(at.clone());
        s.detail = "interrupted: Liftoff stopped during this step".into();
    }
    let outcome = "Interrupted: the Liftoff process running it ended (closed or killed) before the run did. \
                   Its log is kept up to the last line it saved, and the environment's lock was released.";
    tx.execute(
        "UPDATE deploy_runs SET state = 'interrupted', ended_at = ?2, outcome = ?3, steps = ?4 WHERE id = ?1 AND state = 'running'",
        params![run.id, at, outcome, serde_json::to_string(&steps).expect("steps serialize")],
    )?;
    audit::record(
        tx,
        &Actor { person_id: None, name: "Liftoff".into() },
        &at,
        Change {
            project_id: &run.project_id,
            release_id: run.release_id.as_deref(),
            item_id: None,
            category: AuditCategory::Deploy,
            action: "deploy.interrupted",
            summary: format!("The {} of {} to {} was interrupted; the lock was released", run.kind.as_str(), run.version, run.environment_name),
            reason: "",
        },
    )?;
    Ok(())
}

/// A run found "running" whose process is gone, from [`recover_interrupted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Interrupted {
    pub run: Run,
    /// Its processes still running (found by the run's cookie).
    pub leftovers: Vec<super::procs::Proc>,
}

/// Every run left "running" by a process that is gone becomes interrupted,
/// and its lock is released with a note in the audit log. Every entry point
/// calls it before it acts (the window at start, each command-line
/// command): a read over the index of running runs, and a write only when
/// one of them has lost its process.
pub fn recover_interrupted(store: &Store, now: DateTime<Utc>) -> Result<Vec<Interrupted>, DeployError> {
    let orphaned: bool = store.read(|conn| -> Result<bool, DeployError> {
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} {FROM} WHERE r.state = 'running'"))?;
        let running: Vec<Run> = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        Ok(running.iter().any(|r| !owner_alive(conn, r) && !r.awaits_engine()))
    })?;
    if !orphaned {
        return Ok(Vec::new());
    }
    let found = store.write(|tx| {
        let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} {FROM} WHERE r.state = 'running'"))?;
        let running: Vec<Run> = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for run in running {
            if owner_alive(tx, &run) || run.awaits_engine() {
                continue;
            }
            mark_interrupted(tx, &run, now)?;
            tx.execute("DELETE FROM deploy_locks WHERE run_id = ?1", params![run.id])?;
            tx.changed(ChangeKind::Deploy, Some(&run.project_id), Some(&run.id));
            out.push(get_in(tx, &run.id)?.unwrap_or(run));
        }
        Ok::<_, DeployError>(out)
    })?;
    let ids: Vec<String> = found.iter().map(|r| r.id.clone()).collect();
    let mut left = super::procs::of_runs(&ids);
    Ok(found
        .into_iter()
        .map(|run| {
            let leftovers = left.remove(&run.id).unwrap_or_default();
            Interrupted { run, leftovers }
        })
        .collect())
}

/// Interrupted runs (of the project, or all) whose processes still run.
pub fn leftovers(store: &Store, project_id: Option<&str>) -> Result<Vec<Interrupted>, DeployError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {FROM} WHERE (?1 IS NULL OR r.project_id = ?1) AND r.state = 'interrupted'
         ORDER BY r.started_at DESC LIMIT 20"
    ))?;
    let runs: Vec<Run> = stmt.query_map(params![project_id], from_row)?.collect::<Result<_, _>>()?;
    let ids: Vec<String> = runs.iter().map(|r| r.id.clone()).collect();
    let mut left = super::procs::of_runs(&ids);
    Ok(runs
        .into_iter()
        .filter_map(|run| {
            let leftovers = left.remove(&run.id)?;
            Some(Interrupted { run, leftovers })
        })
        .collect())
}

/// Stops what an interrupted run left running (TERM, then KILL after the
/// grace period), and notes it in the audit log. Blocks for up to the grace
/// period: call it off the async runtime.
pub fn stop_leftover(store: &Store, run_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<super::procs::Proc>, DeployError> {
    let run = get(store, run_id)?;
    if run.state != RunState::Interrupted {
        return Err(DeployError::Refused("Only the processes of an interrupted run can be stopped here; cancel a running one instead.".into()));
    }
    let stopped = super::procs::stop(Some(run_id), None, std::time::Duration::from_secs(5));
    if stopped.found.is_empty() {
        return Ok(Vec::new());
    }
    store.write(|tx| {
        audit::record(
            tx,
            actor,
            &clock::to_text(now),
            Change {
                project_id: &run.project_id,
                release_id: run.release_id.as_deref(),
                item_id: None,
                category: AuditCategory::Deploy,
                action: "deploy.leftoverStopped",
                summary: format!(
                    "Stopped {} process{} left by the interrupted run of {} on {}: {}",
                    stopped.found.len(),
                    if stopped.found.len() == 1 { "" } else { "es" },
                    run.version,
                    run.environment_name,
                    super::procs::Proc::describe(&stopped.found)
                ),
                reason: "",
            },
        )?;
        tx.changed(ChangeKind::Deploy, Some(&run.project_id), Some(run_id));
        Ok::<_, DeployError>(())
    })?;
    Ok(stopped.found)
}

/// Asks the process that runs a run to cancel it (for a run started by
/// the command line or another window); it stops within a second.
pub fn request_cancel(store: &Store, run_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), DeployError> {
    store.write(|tx| {
        let run = get_in(tx, run_id)?.ok_or(DeployError::RunNotFound)?;
        if run.state != RunState::Running {
            return Err(DeployError::Refused(format!("That run already ended ({}).", run.state.label())));
        }
        let at = clock::to_text(now);
        tx.execute("UPDATE deploy_runs SET cancel_requested_by = ?2 WHERE id = ?1", params![run_id, actor.name])?;
        audit::record(
            tx,
            actor,
            &at,
            Change {
                project_id: &run.project_id,
                release_id: run.release_id.as_deref(),
                item_id: None,
                category: AuditCategory::Deploy,
                action: "deploy.cancelRequested",
                summary: format!("Asked to cancel the {} of {} on {}", run.kind.as_str(), run.version, run.environment_name),
                reason: "",
            },
        )?;
        Ok(())
    })
}

/// Whether someone asked to cancel the run from elsewhere.
pub fn cancel_requested(store: &Store, run_id: &str) -> Result<Option<String>, DeployError> {
    let conn = store.reader()?;
    Ok(conn
        .query_row("SELECT cancel_requested_by FROM deploy_runs WHERE id = ?1", params![run_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// Locks an environment by hand: no deploy starts there until it is unlocked.
pub fn lock(store: &Store, environment_id: &str, reason: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Lock, DeployError> {
    let reason = reason.trim();
    if reason.chars().count() < 3 || !crate::rules::is_one_line(reason, 300) {
        return Err(DeployError::Invalid([("reason".to_owned(), "Say why the environment is locked, in one line (3 to 300 characters).".to_owned())].into()));
    }
    store.write(|tx| {
        let env = crate::environments::get_in(tx, environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
        if let Some(held) = lock_in(tx, environment_id)? {
            if !release_if_dead(tx, &held, now)? {
                let tz = crate::projects::time_zone_in(tx, &env.project_id)?;
                return Err(DeployError::Locked(held_message(tx, &env.name, &held, tz, now)?));
            }
        }
        let at = clock::to_text(now);
        tx.execute(
            "INSERT INTO deploy_locks (environment_id, run_id, held_by, reason, since) VALUES (?1, NULL, ?2, ?3, ?4)",
            params![environment_id, actor.name, reason, at],
        )?;
        audit::record(
            tx,
            actor,
            &at,
            Change {
                project_id: &env.project_id,
                release_id: None,
                item_id: None,
                category: AuditCategory::Deploy,
                action: "deploy.locked",
                summary: format!("Locked {} against deploys", env.name),
                reason,
            },
        )?;
        Ok(lock_in(tx, environment_id)?.expect("just inserted"))
    })
}

/// Removes a lock set by hand. A run's lock goes with its run (cancel it).
pub fn unlock(store: &Store, environment_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), DeployError> {
    store.write(|tx| {
        let env = crate::environments::get_in(tx, environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
        let Some(held) = lock_in(tx, environment_id)? else { return Ok(()) };
        if held.run_id.is_some() && !release_if_dead(tx, &held, now)? {
            return Err(DeployError::Locked(format!(
                "{} is locked by a running deploy. Cancel the run to free it; it unlocks when the run ends.",
                env.name
            )));
        }
        tx.execute("DELETE FROM deploy_locks WHERE environment_id = ?1", params![environment_id])?;
        audit::record(
            tx,
            actor,
            &clock::to_text(now),
            Change {
                project_id: &env.project_id,
                release_id: None,
                item_id: None,
                category: AuditCategory::Deploy,
                action: "deploy.unlocked",
                summary: format!(
                    "Unlocked {} (locked by {} since {}: {})",
                    env.name,
                    held.held_by,
                    short_time(&held.since, crate::projects::time_zone_in(tx, &env.project_id)?, None),
                    held.reason
                ),
                reason: "",
            },
        )?;
        Ok(())
    })
}

/// A run as it starts (see [`insert_started_in`]).
pub(crate) struct Started<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub environment_id: &'a str,
    pub release_id: Option<&'a str>,
    pub version: &'a str,
    pub build_ref: &'a str,
    pub kind: RunKind,
    pub previous_version: Option<&'a str>,
    pub slot: Option<&'a str>,
    pub started_by: &'a str,
    pub at: &'a str,
    pub preflight: &'a [PreflightCheck],
    pub steps: &'a [StepRecord],
    /// This process's owner token ([`crate::Store::owner_token`]).
    pub owner: &'a str,
}

/// When a run that takes `environment_id`'s lock now starts: `now`, or
/// the end of the run before it if that came later. `now` is read before
/// the preflight, and a run that held the lock may end meanwhile: without
/// this the two would overlap in the history (seen as a flaky race test).
pub(crate) fn start_time_in(tx: &Connection, environment_id: &str, now: DateTime<Utc>) -> rusqlite::Result<String> {
    let last_end: Option<String> = tx.query_row(
        "SELECT max(ended_at) FROM deploy_runs
         WHERE environment_id = ?1 AND started_at >= (SELECT max(started_at) FROM deploy_runs WHERE environment_id = ?1)",
        params![environment_id],
        |r| r.get(0),
    )?;
    let last_end = last_end.and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.with_timezone(&Utc));
    Ok(clock::to_text(last_end.map_or(now, |end| end.max(now))))
}

/// Records a run that starts now, owned by this process.
pub(crate) fn insert_started_in(tx: &Connection, r: &Started) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, build_ref, kind, previous_version, slot,
             started_by, started_at, state, preflight, steps, owner_pid, owner)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'running', ?12, ?13, ?14, ?15)",
        params![
            r.id,
            r.project_id,
            r.environment_id,
            r.release_id,
            r.version,
            r.build_ref,
            r.kind.as_str(),
            r.previous_version,
            r.slot,
            r.started_by,
            r.at,
            serde_json::to_string(r.preflight).expect("checks serialize"),
            serde_json::to_string(r.steps).expect("steps serialize"),
            std::process::id() as i64,
            r.owner,
        ],
    )?;
    Ok(())
}

/// A run that ended before (the sample project's history): no preflight,
/// no checks, its log lines on stdout.
pub(crate) struct Past<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub environment_id: &'a str,
    pub release_id: Option<&'a str>,
    pub version: &'a str,
    pub build_ref: &'a str,
    pub started_by: &'a str,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub state: RunState,
    pub outcome: &'a str,
    /// The steps, as JSON.
    pub steps: &'a str,
    pub log: &'a [String],
}

/// Records a deploy that ran before, with its log.
pub(crate) fn insert_past_in(tx: &Connection, r: &Past) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, build_ref, kind, started_by, started_at, ended_at,
             state, outcome, preflight, steps, checks, log_lines)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'deploy', ?7, ?8, ?9, ?10, ?11, '[]', ?12, '[]', ?13)",
        params![
            r.id,
            r.project_id,
            r.environment_id,
            r.release_id,
            r.version,
            r.build_ref,
            r.started_by,
            clock::to_text(r.started_at),
            clock::to_text(r.ended_at),
            r.state.as_str(),
            r.outcome,
            r.steps,
            r.log.len() as i64
        ],
    )?;
    log::insert_lines_in(tx, r.id, r.log)
}

/// Records a run of any kind that ran before (the sample project's year of
/// production history), with the version it replaced and its log.
pub(crate) fn insert_past_kind_in(tx: &Connection, r: &Past, kind: RunKind, previous_version: Option<&str>) -> rusqlite::Result<()> {
    insert_past_in(tx, r)?;
    tx.execute("UPDATE deploy_runs SET kind = ?2, previous_version = ?3 WHERE id = ?1", params![r.id, kind.as_str(), previous_version])?;
    Ok(())
}

/// How many lines a run's log has had, and up to which line its middle
/// was cut (see [`log::LogWriter`]).
pub(crate) fn count_log_in(tx: &Connection, id: &str, lines: i64, cut: i64) -> rusqlite::Result<()> {
    tx.execute("UPDATE deploy_runs SET log_lines = max(log_lines, ?2), log_cut = max(log_cut, ?3) WHERE id = ?1", params![id, lines, cut])?;
    Ok(())
}

/// Saves a running run's steps and checks (JSON).
pub(crate) fn save_progress_in(tx: &Connection, id: &str, steps: &str, checks: &str) -> rusqlite::Result<usize> {
    tx.execute("UPDATE deploy_runs SET steps = ?2, checks = ?3 WHERE id = ?1", params![id, steps, checks])
}

/// The engine took the run's deploy: its handle, page, words and log
/// cursor (JSON), saved as soon as the engine answers so another process
/// can follow it.
pub(crate) fn set_remote_in(tx: &Connection, id: &str, remote_ref: &str, url: Option<&str>, status: &str, cursor: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE deploy_runs SET remote_ref = ?2, remote_url = ?3, remote_status = ?4, log_cursor = ?5 WHERE id = ?1",
        params![id, remote_ref, url, status, cursor],
    )?;
    Ok(())
}

/// How far the engine's job has come: its page, words and the log cursor.
pub(crate) fn save_remote_in(tx: &Connection, id: &str, url: Option<&str>, status: &str, cursor: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE deploy_runs SET remote_url = coalesce(?2, remote_url), remote_status = ?3, log_cursor = ?4 WHERE id = ?1",
        params![id, url, status, cursor],
    )?;
    Ok(())
}

/// The engine's log cursor saved for the run (JSON).
pub(crate) fn log_cursor_in(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT log_cursor FROM deploy_runs WHERE id = ?1", params![id], |r| r.get(0)).optional().map(Option::flatten)
}

/// Runs whose process is gone while their CI/CD engine still deploys (see
/// [`Run::awaits_engine`]): the next Liftoff process follows them again.
pub fn detached(store: &Store) -> Result<Vec<Run>, DeployError> {
    store.read(|conn| -> Result<Vec<Run>, DeployError> {
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} {FROM} WHERE r.state = 'running' AND r.remote_ref IS NOT NULL"))?;
        let running: Vec<Run> = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        Ok(running.into_iter().filter(|r| r.awaits_engine() && !owner_alive(conn, r)).collect())
    })
}

/// Makes this process the owner of a detached run, in one write: `None`
/// when another process took it first (or it ended meanwhile). The lock
/// stays the run's.
pub(crate) fn adopt_in(tx: &Connection, id: &str, owner: &str) -> rusqlite::Result<Option<Run>> {
    let Some(run) = get_in(tx, id)? else { return Ok(None) };
    if !run.awaits_engine() || owner_alive(tx, &run) {
        return Ok(None);
    }
    tx.execute("UPDATE deploy_runs SET owner = ?2, owner_pid = ?3 WHERE id = ?1", params![id, owner, std::process::id() as i64])?;
    get_in(tx, id)
}

/// Records how a run ended.
pub(crate) fn end_in(tx: &Connection, id: &str, state: RunState, at: &str, outcome: &str, steps: &str, checks: &str) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE deploy_runs SET state = ?2, ended_at = ?3, outcome = ?4, steps = ?5, checks = ?6 WHERE id = ?1",
        params![id, state.as_str(), at, outcome, steps, checks],
    )?;
    Ok(())
}

/// Frees the environment's lock if `run_id` holds it.
pub(crate) fn release_lock_in(tx: &Connection, environment_id: &str, run_id: &str) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM deploy_locks WHERE environment_id = ?1 AND run_id = ?2", params![environment_id, run_id])?;
    Ok(())
}

/// Takes the environment's lock for a new run, inside the transaction
/// that records the run. Refuses, naming who runs what since when, when
/// someone holds it.
pub(crate) fn take_lock(tx: &Connection, env: &Environment, run_id: &str, held_by: &str, reason: &str, now: DateTime<Utc>) -> Result<(), DeployError> {
    if let Some(held) = lock_in(tx, &env.id)? {
        if !release_if_dead(tx, &held, now)? {
            let tz = crate::projects::time_zone_in(tx, &env.project_id)?;
            return Err(DeployError::Locked(held_message(tx, &env.name, &held, tz, now)?));
        }
    }
    tx.execute(
        "INSERT INTO deploy_locks (environment_id, run_id, held_by, reason, since) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![env.id, run_id, held_by, reason, clock::to_text(now)],
    )?;
    Ok(())
}

/// The runs on the project's protected (production) environments started at
/// or after `from` (RFC 3339), oldest first: what the maturity review reads.
pub(crate) fn protected_since_in(conn: &Connection, project_id: &str, from: &str) -> rusqlite::Result<Vec<Run>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {FROM} WHERE r.project_id = ?1 AND e.protected = 1 AND r.started_at >= ?2 ORDER BY r.started_at, r.id"
    ))?;
    let rows = stmt.query_map(params![project_id, from], from_row)?;
    rows.collect()
}
