//! Executes a run: preflight, then one write that takes the lock and
//! records the run, then the steps as child processes, the smoke checks,
//! the blue-green switch, and one write that records the end, frees the
//! lock and moves the release. Nothing slow runs inside a write.
//!
//! One file over 800 lines: a run's life reads in the order it happens,
//! and its start, steps, checks and end share the one `Runner`. A deploy
//! step on a CI/CD engine is [`remote`]'s `Runner::remote`, beside
//! `Runner::command`; a run whose Liftoff process died while the engine
//! deployed is followed again by [`reattach`].

mod remote;

pub use remote::{answer_approval, check_target, reattach, start_rerun, take_over_detached, TargetCheck};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension};
use tokio_util::sync::CancellationToken;

use super::exec::{self, StepCommand, StepEnd};
use super::mask::Masker;
use super::preflight::{self, Plan};
use super::runs::{self, LogStream, LogWriter, Run, RunKind, RunState, StepRecord, StepState};
use super::smoke::{self, CheckResult, SmokeCheck};
use super::target::{CommandSpec, TargetSettings};
use super::{CheckOutcome, Decision, DeployError, DeployRequest, PreflightCheck};
use crate::audit::{self, Actor, AuditCategory, Change};
use crate::release::{self as releases, gate, ReleaseState};
use crate::secrets::{Keychain, SecretValue};
use crate::store::ChangeKind;
use crate::{clock, Store};

/// How the engine stops and drains children; tests shorten these.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Between TERM and KILL.
    pub grace: Duration,
    /// Reading pipes still held open after a step's process exited.
    pub drain: Duration,
    /// How often the log is written to the database.
    pub flush_every: Duration,
    /// How often a CI/CD engine is asked how its job goes.
    pub remote_poll: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { grace: Duration::from_secs(5), drain: Duration::from_millis(300), flush_every: Duration::from_millis(200), remote_poll: Duration::from_secs(2) }
    }
}

fn lock(log: &Mutex<LogWriter>) -> std::sync::MutexGuard<'_, LogWriter> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

/// A run that has started (recorded, lock taken), ready to execute.
pub struct Job {
    pub run: Run,
    settings: TargetSettings,
    working_dir: PathBuf,
    env: Vec<(String, String)>,
    secrets: Vec<(String, SecretValue)>,
    smoke_auth: Vec<(String, SecretValue)>,
    protected: bool,
    /// The release a rollback replaces (it becomes "rolled back").
    replaces_release: Option<String>,
    /// Blue-green: the slot this run deploys to, and its URL.
    slot: Option<(String, String)>,
    /// A switch back: only the switch command runs.
    switch_only: bool,
    base_url: String,
    /// The deploy step runs on a CI/CD engine.
    remote: Option<remote::RemoteJob>,
}

/// Checks preflight for `req` and shows the result; changes nothing.
pub fn preflight(store: &Store, keychain: &Keychain, req: &DeployRequest, now: DateTime<Utc>, today: NaiveDate) -> Result<Vec<PreflightCheck>, DeployError> {
    Ok(preflight::check(store, keychain, req, RunKind::Deploy, now, today)?.checks)
}

/// The commits a deploy of `req` would bring to its environment (see
/// [`super::shipping`]); changes nothing.
pub fn shipping(store: &Store, req: &DeployRequest) -> Result<super::shipping::Shipping, DeployError> {
    let conn = store.reader()?;
    let env = crate::environments::get_in(&conn, &req.environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
    let running = runs::current_in(&conn, &env.id)?.map(|r| r.version);
    let version = match (req.version.trim(), &req.release_id) {
        ("", Some(id)) => releases::get_in(&conn, id)?.map(|r| r.version).unwrap_or_default(),
        (v, _) => v.to_owned(),
    };
    drop(conn);
    let repository = crate::projects::get(store, &env.project_id).map(|p| p.repository).unwrap_or_default();
    Ok(super::shipping::between(&repository, running.as_deref(), preflight::shipping_to(req, &version)))
}

/// Starts a deploy: preflight again (it may have changed since the lead
/// looked), the decisions recorded, then the run and its lock in one write.
pub fn start(store: &Store, keychain: &Keychain, req: &DeployRequest, actor: &Actor, now: DateTime<Utc>, today: NaiveDate) -> Result<Job, DeployError> {
    start_kind(store, keychain, req, RunKind::Deploy, None, actor, now, today)
}

/// What a rollback of the environment would deploy: the last version that
/// verified there, other than the one there now.
pub fn rollback_request(store: &Store, environment_id: &str) -> Result<(DeployRequest, Option<String>, bool), DeployError> {
    let conn = store.reader()?;
    let env = crate::environments::get_in(&conn, environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
    let current = runs::current_in(&conn, environment_id)?;
    let Some(back_to) = runs::last_verified(&conn, environment_id, current.as_ref().map(|r| r.version.as_str()))? else {
        return Err(DeployError::NothingToRollBack(format!(
            "Nothing to roll back to: no other version has verified on {} yet.",
            env.name
        )));
    };
    // Blue-green: when the other slot still holds that version, switching
    // back is enough.
    let live: Option<String> = conn
        .query_row("SELECT live_slot FROM deploy_targets WHERE environment_id = ?1", params![environment_id], |r| r.get(0))
        .optional()?
        .flatten();
    let switch_back = matches!((&live, &back_to.slot, &current), (Some(l), Some(s), Some(c)) if l != s && c.slot.as_deref() == Some(l.as_str()));
    let req = DeployRequest {
        environment_id: environment_id.to_owned(),
        release_id: back_to.release_id.clone(),
        version: back_to.version.clone(),
        build_ref: back_to.build_ref.clone(),
        decisions: Vec::new(),
        accept_warnings: true,
    };
    Ok((req, current.and_then(|c| c.release_id), switch_back))
}

/// What a rollback of the environment would do, with its preflight.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RollbackPlan {
    pub version: String,
    /// Blue-green: users are switched back to the other slot, no redeploy.
    pub switch_back: bool,
    pub checks: Vec<PreflightCheck>,
}

/// The preflight of a rollback (the promotion rule skipped); changes nothing.
pub fn rollback_preflight(
    store: &Store,
    keychain: &Keychain,
    environment_id: &str,
    decisions: &[Decision],
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<RollbackPlan, DeployError> {
    let (mut req, _, switch_back) = rollback_request(store, environment_id)?;
    req.decisions = decisions.to_vec();
    let plan = preflight::check(store, keychain, &req, RunKind::Rollback, now, today)?;
    Ok(RollbackPlan { version: plan.version, switch_back, checks: plan.checks })
}

/// Starts a rollback of the environment (see [`rollback_request`]); the
/// same preflight as a deploy, without the promotion rule.
pub fn start_rollback(
    store: &Store,
    keychain: &Keychain,
    environment_id: &str,
    decisions: &[Decision],
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Job, DeployError> {
    let (mut req, replaces, switch_back) = rollback_request(store, environment_id)?;
    req.decisions = decisions.to_vec();
    let kind = if switch_back { RunKind::SwitchBack } else { RunKind::Rollback };
    start_kind(store, keychain, &req, kind, replaces, actor, now, today)
}

#[allow(clippy::too_many_arguments)]
fn start_kind(
    store: &Store,
    keychain: &Keychain,
    req: &DeployRequest,
    kind: RunKind,
    replaces_release: Option<String>,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Job, DeployError> {
    let check_kind = if kind == RunKind::Deploy { RunKind::Deploy } else { RunKind::Rollback };
    for d in &req.decisions {
        crate::rules::decision(&d.decided_by, &d.reason).map_err(DeployError::Invalid)?;
    }
    let mut plan = preflight::check(store, keychain, req, check_kind, now, today)?;
    // Refused for another reason: record no gate override for a run that
    // would not start anyway.
    let others_block = plan.checks.iter().any(|c| c.key != "gate" && c.blocks());
    let unconfirmed = !req.accept_warnings && plan.checks.iter().any(|c| c.outcome == CheckOutcome::Warn);
    if others_block || unconfirmed {
        return Err(DeployError::PreflightFailed(plan.checks));
    }
    // The gate's override is the gate's own record (shown on the release).
    if let (Some(gate_check), Some(release)) = (plan.checks.iter().find(|c| c.key == "gate"), &plan.release) {
        // Failed, with the lead's decision in the request: record it on the gate.
        if gate_check.outcome == CheckOutcome::Fail {
            if let Some(d) = req.decisions.iter().find(|d| d.check == "gate") {
                gate::override_gate(store, &release.id, &plan.environment.id, &d.decided_by, &d.reason, actor, now, today)?;
                plan = preflight::check(store, keychain, req, check_kind, now, today)?;
            }
        }
    }
    if !plan.may_start(req.accept_warnings) {
        return Err(DeployError::PreflightFailed(plan.checks));
    }
    let target = plan.target.clone().ok_or_else(|| DeployError::NoTarget(plan.environment.name.clone()))?;
    let working_dir = super::target::working_dir(&target.settings, &plan.project.repository).map_err(DeployError::Refused)?;
    // Credential values, read from the keychain before the write.
    let (secrets, smoke_auth) = reveal_credentials(store, keychain, &plan.environment, &target.settings, now)?;
    let remote = remote::RemoteJob::of(store, keychain, &plan.environment, &target.settings, now)?;
    let slot = target.settings.blue_green.as_ref().map(|bg| {
        // The slot users are not on (a switch back returns to it).
        let idle = if target.live_slot.as_deref() == Some("blue") { "green" } else { "blue" };
        let url = if idle == "blue" { bg.blue_url.clone() } else { bg.green_url.clone() };
        (idle.to_owned(), url)
    });
    let base_url = slot.as_ref().map(|(_, u)| u.clone()).unwrap_or_else(|| plan.environment.url.clone());
    let run_id = uuid::Uuid::now_v7().to_string();
    let steps = planned_steps(&target.settings, kind == RunKind::SwitchBack);
    let release_label = plan.release.as_ref().map(|r| r.name.clone()).filter(|n| !n.is_empty()).or(plan.release.as_ref().map(|r| r.version.clone())).unwrap_or_default();
    let env = job_env(
        [&plan.version, &plan.environment.name, &plan.project.name, &release_label, &run_id, plan.previous_version.as_deref().unwrap_or_default(), req.build_ref.trim()],
        slot.as_ref(),
        &target.settings,
    );

    let run = store.write(|tx| {
        // `now` was read before the preflight; a run on this environment
        // may have ended since. This one starts as it takes the lock.
        let at = runs::start_time_in(tx, &plan.environment.id, now)?;
        let why = match kind {
            RunKind::Deploy => format!("deploying {}", plan.version),
            RunKind::Rollback => format!("rolling back to {}", plan.version),
            RunKind::SwitchBack => format!("switching back to {}", plan.version),
        };
        runs::insert_started_in(
            tx,
            &runs::Started {
                id: &run_id,
                project_id: &plan.project.id,
                environment_id: &plan.environment.id,
                release_id: plan.release.as_ref().map(|r| r.id.as_str()),
                version: &plan.version,
                build_ref: req.build_ref.trim(),
                kind,
                previous_version: plan.previous_version.as_deref(),
                slot: slot.as_ref().map(|(s, _)| s.as_str()),
                started_by: &actor.name,
                at: &at,
                preflight: &plan.checks,
                steps: &steps,
                owner: &store.owner_token(),
            },
        )?;
        // The lock, in the same transaction: a refusal takes the run back.
        runs::take_lock(tx, &plan.environment, &run_id, &actor.name, &why, now)?;
        let release_id = plan.release.as_ref().map(|r| r.id.as_str());
        let verb = match kind {
            RunKind::Deploy => "Started deploying",
            RunKind::Rollback => "Started rolling back to",
            RunKind::SwitchBack => "Started switching back to",
        };
        let mut summary = format!("{verb} {} on {}", plan.version, plan.environment.name);
        if let Some((s, _)) = &slot {
            summary.push_str(&format!(" ({s} slot)"));
        }
        let warned: Vec<&str> = plan.checks.iter().filter(|c| c.outcome == CheckOutcome::Warn).map(|c| c.reason.as_str()).collect();
        if !warned.is_empty() {
            summary.push_str(&format!("; confirmed despite: {}", warned.join(" ")));
        }
        let action = if kind == RunKind::Deploy { "deploy.started" } else { "deploy.rollbackStarted" };
        record(tx, &plan.project.id, release_id, actor, &at, action, summary, "")?;
        for c in plan.checks.iter().filter(|c| c.outcome == CheckOutcome::Fail && c.key != "gate") {
            if let Some(d) = &c.decision {
                let summary = format!("Overrode the {} check for {} on {}, decided by {}: {}", c.label.to_lowercase(), plan.version, plan.environment.name, d.decided_by, c.reason);
                record(tx, &plan.project.id, release_id, actor, &at, "deploy.overridden", summary, &d.reason)?;
            }
        }
        if plan.environment.protected && kind == RunKind::Deploy {
            if let Some(r) = &plan.release {
                releases::move_by_deploy(tx, &r.id, ReleaseState::Deploying, &format!("deploy to {}", plan.environment.name), actor, now)?;
            }
        }
        tx.changed(ChangeKind::Deploy, Some(&plan.project.id), Some(&run_id));
        Ok::<_, DeployError>(runs::get_in(tx, &run_id)?.expect("just inserted"))
    })?;
    Ok(Job {
        run,
        settings: target.settings,
        working_dir,
        env,
        secrets,
        smoke_auth,
        protected: plan.environment.protected,
        replaces_release: if kind == RunKind::Deploy { downgraded_release(store, &plan)? } else { replaces_release },
        slot,
        switch_only: kind == RunKind::SwitchBack,
        base_url,
        remote: if kind == RunKind::SwitchBack { None } else { remote },
    })
}

/// On production, a deploy of an older version than the release running
/// there takes that release off it, as a rollback would: the release it
/// replaces, if so.
fn downgraded_release(store: &Store, plan: &Plan) -> Result<Option<String>, DeployError> {
    if !plan.environment.protected {
        return Ok(None);
    }
    let conn = store.reader()?;
    let Some(current) = runs::current_in(&conn, &plan.environment.id)? else { return Ok(None) };
    let Some(current_release) = current.release_id.clone() else { return Ok(None) };
    if plan.release.as_ref().is_some_and(|r| r.id == current_release) || !version_older(&plan.version, &current.version) {
        return Ok(None);
    }
    Ok(Some(current_release))
}

/// Whether version `a` is older than `b`, comparing their numbers in turn
/// (2.3.10 < 2.4.0; a pre-release such as 2.4.0-rc.1 before 2.4.0).
pub fn version_older(a: &str, b: &str) -> bool {
    fn parts(v: &str) -> (Vec<u64>, bool) {
        let v = v.trim().trim_start_matches(['v', 'V']);
        let (main, pre) = match v.split_once(['-', '+']) {
            Some((m, _)) => (m, v.contains('-')),
            None => (v, false),
        };
        (main.split('.').map(|p| p.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)).collect(), pre)
    }
    let ((mut na, pa), (mut nb, pb)) = (parts(a), parts(b));
    let len = na.len().max(nb.len());
    na.resize(len, 0);
    nb.resize(len, 0);
    match na.cmp(&nb) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => pa && !pb,
    }
}

/// The variables every step gets: Liftoff's, in the order of
/// `values` (version, environment, project, release, run id, previous
/// version, build ref), the slot's, then the target's own.
fn job_env(values: [&str; 7], slot: Option<&(String, String)>, settings: &TargetSettings) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = super::target::INPUT_VARIABLES.iter().zip(values).map(|(n, v)| ((*n).to_owned(), v.to_owned())).collect();
    if let Some((name, url)) = slot {
        env.push(("LIFTOFF_SLOT".into(), name.clone()));
        env.push(("LIFTOFF_SLOT_URL".into(), url.clone()));
    }
    env.extend(settings.env.iter().map(|v| (v.name.clone(), v.value.clone())));
    env
}

type Revealed = (Vec<(String, SecretValue)>, Vec<(String, SecretValue)>);

fn reveal_credentials(store: &Store, keychain: &Keychain, environment: &crate::environments::Environment, settings: &TargetSettings, now: DateTime<Utc>) -> Result<Revealed, DeployError> {
    let list = crate::credentials::list(store, &environment.id)?;
    let mut secrets = Vec::new();
    for c in &settings.credentials {
        secrets.push((c.variable.clone(), reveal_named(store, keychain, environment, &list, &c.name, now)?.0));
    }
    let mut smoke_auth = Vec::new();
    for s in &settings.smoke {
        if let SmokeCheck::Http(h) = s {
            if let Some(name) = &h.credential {
                if !smoke_auth.iter().any(|(n, _): &(String, SecretValue)| n == name) {
                    smoke_auth.push((name.clone(), reveal_named(store, keychain, environment, &list, name, now)?.0));
                }
            }
        }
    }
    Ok((secrets, smoke_auth))
}

/// The value of the environment's credential called `name` (any case)
/// among `list`, read from the keychain now, with its kind.
fn reveal_named(
    store: &Store,
    keychain: &Keychain,
    environment: &crate::environments::Environment,
    list: &[crate::credentials::Credential],
    name: &str,
    now: DateTime<Utc>,
) -> Result<(SecretValue, crate::credentials::CredentialKind), DeployError> {
    let found = list
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| DeployError::Refused(format!("“{name}” is not a credential of {}; add it under Environments.", environment.name)))?;
    Ok((crate::credentials::reveal(store, keychain, &found.id, now)?, found.kind))
}

#[allow(clippy::too_many_arguments)]
fn record(tx: &rusqlite::Connection, project_id: &str, release_id: Option<&str>, actor: &Actor, at: &str, action: &str, summary: String, reason: &str) -> rusqlite::Result<()> {
    audit::record(tx, actor, at, Change { project_id, release_id, item_id: None, category: AuditCategory::Deploy, action, summary, reason })
}

fn planned_steps(s: &TargetSettings, switch_only: bool) -> Vec<StepRecord> {
    let step = |name: String| StepRecord { acceptance: s.is_acceptance_test(&name), name, state: StepState::Pending, started_at: None, ended_at: None, duration_ms: None, detail: String::new() };
    if switch_only {
        return vec![step("Switch users back".into())];
    }
    let mut out: Vec<StepRecord> = s.before.iter().map(|b| step(b.name.clone())).collect();
    out.push(step("Deploy".into()));
    out.extend(s.after.iter().map(|a| step(a.name.clone())));
    out.extend(s.smoke.iter().map(|c| {
        step(match c {
            SmokeCheck::Http(h) => format!("Smoke: {}", h.name),
            SmokeCheck::Command(c) => format!("Smoke: {}", c.name),
        })
    }));
    if s.blue_green.is_some() {
        out.push(step("Switch users to the new slot".into()));
    }
    out
}

/// What a running deploy tells whoever follows it live (the window's
/// channel, the command line's terminal): one stream per run, so the window
/// needs no database reads to follow it. The database keeps the record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, specta::Type)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RunEvent {
    /// A run began (the first, or the rollback that follows it).
    #[serde(rename_all = "camelCase")]
    Started { run: Run },
    /// Lines of the log, masked, in order.
    #[serde(rename_all = "camelCase")]
    Lines { run_id: String, lines: Vec<runs::LogLine> },
    /// A step started or ended: its record as it is now.
    #[serde(rename_all = "camelCase")]
    Step { run_id: String, index: u32, step: StepRecord },
    /// A smoke check's result.
    #[serde(rename_all = "camelCase")]
    Check { run_id: String, result: CheckResult },
    /// The CI/CD engine took the deploy or said more: its handle, page and
    /// words, as now stored.
    #[serde(rename_all = "camelCase")]
    Remote { run_id: String, remote_ref: String, remote_url: Option<String>, remote_status: String },
    /// The run ended: as recorded.
    #[serde(rename_all = "camelCase")]
    Ended { run: Run },
}

/// Where a run's events go besides the database.
pub type Sink<'a> = dyn FnMut(RunEvent) + Send + 'a;

struct Runner<'a, 's> {
    store: Arc<Store>,
    job: &'a Job,
    masker: Masker,
    /// Shared with the task that writes it to the database on a timer, so a
    /// quiet step's last lines are stored within `flush_every` too.
    log: Arc<Mutex<LogWriter>>,
    timing: Timing,
    steps: Vec<StepRecord>,
    checks: Vec<CheckResult>,
    /// Processes left running on purpose (the target allows it), by pid and
    /// start, so later steps do not list them again.
    left_running: Vec<(u32, u64)>,
    sink: &'a mut Sink<'s>,
}

/// Runs blocking work (a database write, a wait) off the async runtime's
/// threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Writes what the log has queued, off the runtime; the lines stay queued
/// if the write fails.
async fn flush_log(store: &Arc<Store>, log: &Arc<Mutex<LogWriter>>) {
    let batch = lock(log).take();
    let store = store.clone();
    let (batch, result) = blocking(move || {
        let r = batch.write(&store);
        (batch, r)
    })
    .await;
    if let Err(e) = &result {
        log::warn!("deploy log not saved yet, will retry: {e}");
    }
    lock(log).settle(batch, &result);
}

impl Runner<'_, '_> {
    fn say(&mut self, stream: LogStream, text: &str) {
        let text = self.masker.mask(text).into_owned();
        let seq = lock(&self.log).push(stream, text.clone());
        (self.sink)(RunEvent::Lines { run_id: self.job.run.id.clone(), lines: vec![runs::LogLine { seq: seq as i32, stream, text }] });
    }

    async fn flush(&mut self) {
        flush_log(&self.store, &self.log).await;
    }

    /// Saves the steps and checks (unreported: the stream tells the window).
    async fn save_steps(&mut self) {
        let steps = serde_json::to_string(&self.steps).expect("steps serialize");
        let checks = serde_json::to_string(&self.checks).expect("checks serialize");
        let (store, id) = (self.store.clone(), self.job.run.id.clone());
        let r = blocking(move || store.write_unreported(|tx| runs::save_progress_in(tx, &id, &steps, &checks))).await;
        if let Err(e) = r {
            log::warn!("deploy steps not saved: {e}");
        }
    }

    fn step_event(&mut self, i: usize) {
        (self.sink)(RunEvent::Step { run_id: self.job.run.id.clone(), index: i as u32, step: self.steps[i].clone() });
    }

    async fn begin_step(&mut self, i: usize) {
        self.steps[i].state = StepState::Running;
        self.steps[i].started_at = Some(clock::to_text(Utc::now()));
        self.step_event(i);
        self.save_steps().await;
    }

    fn end_step(&mut self, i: usize, ok: bool, detail: String, elapsed: Duration) {
        let s = &mut self.steps[i];
        s.state = if ok { StepState::Succeeded } else { StepState::Failed };
        s.ended_at = Some(clock::to_text(Utc::now()));
        s.duration_ms = Some(elapsed.as_millis().min(i32::MAX as u128) as i32);
        s.detail = detail;
        self.step_event(i);
    }

    fn check_event(&mut self, result: &CheckResult) {
        (self.sink)(RunEvent::Check { run_id: self.job.run.id.clone(), result: result.clone() });
    }

    /// Runs one command step; returns how it ended.
    async fn command(&mut self, i: usize, spec: &CommandSpec, cancel: &CancellationToken) -> (StepEnd, Duration) {
        self.begin_step(i).await;
        let name = self.steps[i].name.clone();
        self.say(LogStream::Liftoff, &format!("▶ {name}: {}", preflight::describe(spec)));
        let cmd = StepCommand {
            program: spec.program.clone(),
            args: spec.args.clone(),
            through_shell: spec.through_shell,
            working_dir: self.job.working_dir.clone(),
            env: self.job.env.clone(),
            secret_env: self.job.secrets.iter().map(|(k, v)| (k.clone(), SecretValue::new(v.expose()))).collect(),
            timeout: Duration::from_secs(spec.timeout_secs.max(1) as u64),
            grace: self.timing.grace,
            drain: self.timing.drain,
            cookie: Some(self.job.run.id.clone()),
        };
        let started = Instant::now();
        let outcome = {
            let writer = &self.log;
            let sink = &mut self.sink;
            let run_id = &self.job.run.id;
            exec::run_step(&cmd, &self.masker, cancel, |_| {}, |lines| {
                let mut batch = Vec::with_capacity(lines.len());
                {
                    // Queued only: the upkeep task writes them, off the
                    // runtime (a flood's middle is dropped as it goes).
                    let mut w = lock(writer);
                    for l in lines {
                        let stream = match l.stream {
                            exec::Stream::Out => LogStream::Out,
                            exec::Stream::Err => LogStream::Err,
                        };
                        let seq = w.push(stream, l.text.clone());
                        batch.push(runs::LogLine { seq: seq as i32, stream, text: l.text });
                    }
                }
                (sink)(RunEvent::Lines { run_id: run_id.clone(), lines: batch });
            })
            .await
        };
        let elapsed = started.elapsed();
        let detail = describe_end(&outcome.end, spec.timeout_secs, outcome.stopped_with_kill);
        self.say(LogStream::Liftoff, &format!("{} {name}: {detail} ({:.1} s)", if outcome.succeeded() { "✔" } else { "✖" }, elapsed.as_secs_f64()));
        if outcome.end != StepEnd::Cancelled && outcome.end != StepEnd::TimedOut {
            self.background(&name).await;
        }
        self.end_step(i, outcome.succeeded(), detail, elapsed);
        self.flush().await;
        self.save_steps().await;
        (outcome.end, elapsed)
    }

    /// After a step's process exited: what it left running in the
    /// background is stopped, or (when the target says so) listed and left.
    async fn background(&mut self, name: &str) {
        let run_id = self.job.run.id.clone();
        let found = {
            let id = run_id.clone();
            blocking(move || super::procs::of_run(Some(&id), None)).await
        };
        let found: Vec<_> = found.into_iter().filter(|p| !self.left_running.contains(&(p.pid, p.start))).collect();
        if found.is_empty() {
            return;
        }
        if self.job.settings.leave_background {
            self.left_running.extend(found.iter().map(|p| (p.pid, p.start)));
            self.say(
                LogStream::Liftoff,
                &format!("{name} left {} process{} running, as the target allows: {}", found.len(), plural(found.len()), super::procs::Proc::describe(&found)),
            );
            return;
        }
        let grace = self.timing.grace;
        let stopped = blocking(move || super::procs::stop(Some(&run_id), None, grace)).await;
        let mut said = format!(
            "Stopped {} background process{} that {name} left running: {}{}.",
            stopped.found.len(),
            plural(stopped.found.len()),
            super::procs::Proc::describe(&stopped.found),
            if stopped.killed { " (some ignored TERM and were killed)" } else { "" }
        );
        if !stopped.left.is_empty() {
            said.push_str(&format!(" Still running, could not be stopped: {}.", super::procs::Proc::describe(&stopped.left)));
        }
        said.push_str(" Tick “leave background processes running” on the target to keep them.");
        self.say(LogStream::Liftoff, &said);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "es"
    }
}

fn describe_end(end: &StepEnd, timeout_secs: i32, killed: bool) -> String {
    let how = if killed { " (it ignored TERM and was killed)" } else { "" };
    match end {
        StepEnd::Exited(0) => "exit code 0".into(),
        StepEnd::Exited(code) => format!("failed with exit code {code}"),
        StepEnd::Signalled(sig) => format!("ended by signal {sig}"),
        StepEnd::TimedOut => format!("timed out after {timeout_secs} s and was stopped{how}"),
        StepEnd::Cancelled => format!("cancelled and stopped{how}"),
        StepEnd::FailedToStart(m) => m.clone(),
    }
}

/// Executes a started run to its end and records it. Events go to `sink`
/// (lines masked). Returns the run as recorded.
pub async fn execute(store: Arc<Store>, job: Job, cancel: CancellationToken, timing: Timing, sink: &mut Sink<'_>) -> Run {
    let secrets: Vec<&str> =
        job.secrets.iter().chain(job.smoke_auth.iter()).map(|(_, v)| v.expose()).chain(job.remote.iter().flat_map(|r| std::iter::once(r.password.expose()).chain(r.trigger.as_ref().map(|t| t.expose())))).collect();
    let masker = Masker::new(&secrets);
    let resuming = job.remote.as_ref().is_some_and(|r| r.resume.is_some());
    let (steps, writer) = if resuming {
        (job.run.steps.clone(), LogWriter::resume(&job.run.id, job.run.log_lines.into(), job.run.log_cut.into()))
    } else {
        (planned_steps(&job.settings, job.switch_only), LogWriter::new(&job.run.id))
    };
    let log = Arc::new(Mutex::new(writer));
    sink(RunEvent::Started { run: job.run.clone() });
    // Upkeep on a timer while the run goes: the log is written (so a quiet
    // step's lines are stored too), and a cancel asked for from another
    // process (a window, the command line) is picked up from the database.
    let upkeep = {
        let (store, log, run_id, cancel) = (store.clone(), log.clone(), job.run.id.clone(), cancel.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(timing.flush_every).await;
                if lock(&log).pending() > 0 {
                    flush_log(&store, &log).await;
                }
                if !cancel.is_cancelled() {
                    let (store, id) = (store.clone(), run_id.clone());
                    if matches!(blocking(move || runs::cancel_requested(&store, &id)).await, Ok(Some(_))) {
                        cancel.cancel();
                    }
                }
            }
        })
    };
    let mut runner = Runner { store: store.clone(), job: &job, masker, log: log.clone(), timing, steps, checks: Vec::new(), left_running: Vec::new(), sink };
    let what = match job.run.kind {
        RunKind::Deploy => "Deploying",
        RunKind::Rollback => "Rolling back to",
        RunKind::SwitchBack => "Switching back to",
    };
    let what = if resuming { "Following again (Liftoff had stopped while the engine deployed):" } else { what };
    runner.say(
        LogStream::Liftoff,
        &format!(
            "{what} {} on {}{} (run {}, started by {})",
            job.run.version,
            job.run.environment_name,
            job.slot.as_ref().map(|(s, u)| format!(", {s} slot at {u}")).unwrap_or_default(),
            job.run.id,
            job.run.started_by
        ),
    );
    stop_interrupted_leftovers(&mut runner).await;
    let (state, mut outcome) = run_steps(&mut runner, &job, &cancel).await;
    upkeep.abort();
    if state == RunState::Cancelled {
        let (s, id) = (store.clone(), job.run.id.clone());
        if let Ok(Some(who)) = blocking(move || runs::cancel_requested(&s, &id)).await {
            outcome.push_str(&format!(" Cancelled by {who}."));
        }
    }
    runner.say(LogStream::Liftoff, &format!("Run {}: {outcome}", state.label()));
    let steps = std::mem::take(&mut runner.steps);
    let checks = std::mem::take(&mut runner.checks);
    let ending = Ending { run: job.run.clone(), protected: job.protected, slot: job.slot.clone(), replaces_release: job.replaces_release.clone() };
    let run = {
        let (store, log) = (store.clone(), log.clone());
        blocking(move || finish(&store, &ending, state, &outcome, &steps, &checks, &mut lock(&log))).await
    };
    (runner.sink)(RunEvent::Ended { run: run.clone() });
    // Lead time: the commits a verified production deploy brought, read
    // from git only now that the end is recorded and shown, so that a slow
    // or missing repository never delays or fails the run itself.
    if job.protected && run.kind == RunKind::Deploy && run.state == RunState::Succeeded {
        let (store, id) = (store.clone(), run.id.clone());
        blocking(move || super::commits::record_for_run(&store, &id, Utc::now())).await;
    }
    run
}

/// Before the first step: processes that an interrupted run on the same
/// environment left running are stopped (they would deploy over this run),
/// and the log says so.
async fn stop_interrupted_leftovers(r: &mut Runner<'_, '_>) {
    let (store, env) = (r.store.clone(), r.job.run.environment_id.clone());
    let stopped = blocking(move || -> Vec<(Run, Vec<super::procs::Proc>)> {
        let Ok(left) = runs::leftovers(&store, None) else { return Vec::new() };
        let actor = Actor { person_id: None, name: "Liftoff".into() };
        left.into_iter()
            .filter(|i| i.run.environment_id == env)
            .filter_map(|i| runs::stop_leftover(&store, &i.run.id, &actor, Utc::now()).ok().map(|found| (i.run, found)))
            .filter(|(_, found)| !found.is_empty())
            .collect()
    })
    .await;
    for (run, found) in stopped {
        r.say(
            LogStream::Liftoff,
            &format!(
                "Stopped {} process{} left running by the interrupted run {} of {}: {}.",
                found.len(),
                plural(found.len()),
                run.id,
                run.version,
                super::procs::Proc::describe(&found)
            ),
        );
    }
}

async fn run_steps(r: &mut Runner<'_, '_>, job: &Job, cancel: &CancellationToken) -> (RunState, String) {
    let s = &job.settings;
    let stopped = |end: &StepEnd, name: &str| -> Option<(RunState, String)> {
        match end {
            StepEnd::Exited(0) => None,
            StepEnd::TimedOut => Some((RunState::TimedOut, format!("{name} timed out; the run stopped there."))),
            StepEnd::Cancelled => Some((RunState::Cancelled, format!("{name} was cancelled and stopped; the run ended there."))),
            StepEnd::FailedToStart(m) => Some((RunState::Failed, format!("{name} could not start: {m}"))),
            other => Some((RunState::Failed, format!("{name} {}.", describe_end(other, 0, false)))),
        }
    };
    if job.switch_only {
        let bg = s.blue_green.as_ref().expect("a switch back has slots");
        let (end, _) = r.command(0, &bg.switch, cancel).await;
        return match stopped(&end, "The switch") {
            Some(x) => x,
            None => (RunState::Succeeded, format!("Users are back on the {} slot with {}.", job.slot.as_ref().map(|(n, _)| n.as_str()).unwrap_or("other"), job.run.version)),
        };
    }
    let mut i = 0;
    // Followed again after Liftoff died: the steps before it have run.
    let resuming = job.remote.as_ref().is_some_and(|r| r.resume.is_some());
    for step in &s.before {
        if resuming {
            i += 1;
            continue;
        }
        let (end, _) = r.command(i, &step.command, cancel).await;
        if let Some(x) = stopped(&end, &format!("The step “{}”", step.name)) {
            return x;
        }
        i += 1;
    }
    if let Some(remote) = &job.remote {
        if let Some(x) = r.remote(i, remote, cancel).await {
            return x;
        }
    } else {
        let (end, _) = r.command(i, &s.command, cancel).await;
        if let Some(x) = stopped(&end, "The deploy") {
            return x;
        }
    }
    i += 1;
    for step in &s.after {
        let (end, _) = r.command(i, &step.command, cancel).await;
        if let Some(x) = stopped(&end, &format!("The step “{}”", step.name)) {
            return x;
        }
        i += 1;
    }
    let mut failed_checks = Vec::new();
    for check in &s.smoke {
        match check {
            SmokeCheck::Http(h) => {
                r.begin_step(i).await;
                let url = smoke::resolve_url(&h.url, &job.base_url);
                r.say(LogStream::Liftoff, &format!("▶ Smoke check “{}”: {} {url}, expecting {}", h.name, h.method, h.expect_status));
                let auth = h.credential.as_ref().and_then(|n| job.smoke_auth.iter().find(|(k, _)| k == n)).map(|(_, v)| format!("Bearer {}", v.expose()));
                let mut attempts = Vec::new();
                let result = smoke::run_http(h, &job.base_url, auth.as_deref(), cancel, |a| attempts.push(a.to_owned())).await;
                for a in attempts {
                    r.say(LogStream::Liftoff, &format!("  {a}"));
                }
                r.say(LogStream::Liftoff, &format!("{} Smoke check “{}”: {}", if result.passed { "✔" } else { "✖" }, h.name, result.detail));
                r.end_step(i, result.passed, result.detail.clone(), Duration::from_millis(result.elapsed_ms.max(0) as u64));
                if !result.passed {
                    failed_checks.push(h.name.clone());
                }
                r.check_event(&result);
                r.checks.push(result);
                r.save_steps().await;
            }
            SmokeCheck::Command(c) => {
                let spec = CommandSpec { program: c.command.clone(), args: Vec::new(), through_shell: true, timeout_secs: c.timeout_secs };
                let (end, elapsed) = r.command(i, &spec, cancel).await;
                let passed = matches!(end, StepEnd::Exited(0));
                let result = CheckResult {
                    name: c.name.clone(),
                    passed,
                    attempts: 1,
                    elapsed_ms: elapsed.as_millis().min(i32::MAX as u128) as i32,
                    status: None,
                    latency_ms: None,
                    detail: describe_end(&end, c.timeout_secs, false),
                };
                r.check_event(&result);
                r.checks.push(result);
                if !passed {
                    failed_checks.push(c.name.clone());
                }
                r.save_steps().await;
            }
        }
        if cancel.is_cancelled() {
            return (RunState::Cancelled, "Cancelled during the smoke checks.".into());
        }
        i += 1;
    }
    if !failed_checks.is_empty() {
        let names: Vec<String> = failed_checks.iter().map(|n| format!("“{n}”")).collect();
        let slot_note = if job.slot.is_some() { " Users stay on the live slot: nothing was switched." } else { " Roll back to return to the last version that verified." };
        return (RunState::FailedVerification, format!("{} deployed, but the smoke check {} failed.{slot_note}", job.run.version, names.join(", ")));
    }
    if let (Some(bg), Some((slot, _))) = (&s.blue_green, &job.slot) {
        let (end, _) = r.command(i, &bg.switch, cancel).await;
        if let Some(x) = stopped(&end, "The switch") {
            return x;
        }
        return (RunState::Succeeded, format!("{} verified on the {slot} slot; users are on it now.", job.run.version));
    }
    let what = if s.smoke.is_empty() { "deployed (no smoke checks are set, so it counts as verified when the deploy succeeds)" } else { "deployed and verified by its smoke checks" };
    (RunState::Succeeded, format!("{} {what}.", job.run.version))
}

/// What recording a run's end needs of its job.
struct Ending {
    run: Run,
    protected: bool,
    slot: Option<(String, String)>,
    replaces_release: Option<String>,
}

/// Records the run's end (retrying a busy database: it runs on a blocking
/// thread, never on the async runtime).
fn finish(store: &Store, job: &Ending, state: RunState, outcome: &str, steps: &[StepRecord], checks: &[CheckResult], log: &mut LogWriter) -> Run {
    let now = Utc::now();
    let at = clock::to_text(now);
    let run = &job.run;
    let actor = Actor { person_id: None, name: run.started_by.clone() };
    let mut steps = steps.to_vec();
    for s in steps.iter_mut().filter(|s| s.state == StepState::Pending) {
        s.state = StepState::Skipped;
    }
    let steps_json = serde_json::to_string(&steps).expect("steps serialize");
    let checks_json = serde_json::to_string(checks).expect("checks serialize");
    // The run's end must be recorded even if the log could not be; try the
    // log once more, then the end on its own.
    if log.pending() > 0 {
        let _ = log.flush(store);
    }
    let mut attempt = 0;
    loop {
        let r = store.write(|tx| {
            runs::end_in(tx, &run.id, state, &at, outcome, &steps_json, &checks_json)?;
            if state == RunState::Succeeded {
                if let Some((slot, _)) = &job.slot {
                    super::target::set_live_slot_in(tx, &run.environment_id, slot)?;
                }
            }
            runs::release_lock_in(tx, &run.environment_id, &run.id)?;
            let action = match state {
                RunState::Succeeded => "deploy.succeeded",
                RunState::FailedVerification => "deploy.failedVerification",
                RunState::Cancelled => "deploy.cancelled",
                RunState::TimedOut => "deploy.timedOut",
                _ => "deploy.failed",
            };
            let verb = match run.kind {
                RunKind::Deploy => "The deploy of",
                RunKind::Rollback => "The rollback to",
                RunKind::SwitchBack => "The switch back to",
            };
            record(tx, &run.project_id, run.release_id.as_deref(), &actor, &at, action, format!("{verb} {} on {} {}: {outcome}", run.version, run.environment_name, state.label()), "")?;
            if job.protected && state == RunState::Succeeded {
                if let Some(rel) = &run.release_id {
                    if run.kind == RunKind::Deploy {
                        releases::move_by_deploy(tx, rel, ReleaseState::Verified, &format!("smoke checks passed on {}", run.environment_name), &actor, now)?;
                    }
                }
            }
            // The release this run took off the environment: a rollback's,
            // or a newer one an older version was deployed over.
            if state == RunState::Succeeded {
                if let Some(rel) = &job.replaces_release {
                    if Some(rel) != run.release_id.as_ref() {
                        super::release_replaced_in(tx, rel, &run.version, &run.environment_name, &actor, now)?;
                    }
                }
            }
            if state == RunState::Succeeded {
                super::environment_changed_in(tx, &run.project_id, &actor, now)?;
            }
            tx.changed(ChangeKind::Deploy, Some(&run.project_id), Some(&run.id));
            Ok::<_, DeployError>(runs::get_in(tx, &run.id)?)
        });
        match r {
            Ok(Some(run)) => return run,
            Ok(None) => return run.clone(),
            Err(e) if attempt < 20 => {
                log::warn!("the end of run {} was not recorded yet, retrying: {e}", run.id);
                attempt += 1;
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => {
                log::error!("the end of run {} could not be recorded: {e}; it will show as interrupted at the next start", run.id);
                return run.clone();
            }
        }
    }
}

/// Executes the run and, when its smoke checks fail on an environment set
/// to roll back by itself, the rollback after it. Returns every run made.
pub async fn execute_with_rollback(
    store: Arc<Store>,
    keychain: &Keychain,
    job: Job,
    cancel: CancellationToken,
    timing: Timing,
    sink: &mut Sink<'_>,
    on_next: &mut (dyn FnMut(&Run) + Send),
) -> Vec<Run> {
    let auto = job.settings.rollback_on_failure;
    let env_id = job.run.environment_id.clone();
    let actor = Actor { person_id: None, name: job.run.started_by.clone() };
    let first = execute(store.clone(), job, cancel.clone(), timing, sink).await;
    let mut out = vec![first.clone()];
    if auto && first.state == RunState::FailedVerification && !cancel.is_cancelled() {
        let now = Utc::now();
        // Its preflight reads the keychain and writes: off the runtime.
        let (s, k) = (store.clone(), keychain.clone());
        match blocking(move || start_rollback(&s, &k, &env_id, &[], &actor, now, now.date_naive())).await {
            Ok(job) => {
                on_next(&job.run);
                out.push(execute(store, job, cancel, timing, sink).await);
            }
            Err(e) => log::warn!("automatic rollback after run {} did not start: {e}", first.id),
        }
    }
    out
}
