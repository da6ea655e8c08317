//! Deploys: targets, preflight, starting and cancelling runs (their log
//! streams to the window over a `Channel`), rollback, locks and history.

use liftoff_core::deploy::engine::{self, Job, RollbackPlan, RunEvent, TargetCheck, Timing};
use liftoff_core::deploy::freeze_sync::{self, FreezeSyncStatus, SyncReport};
use liftoff_core::deploy::runs::{self, EnvironmentStatus, Interrupted, Lock, LogPage, Run, RunQuery};
use liftoff_core::deploy::target::{self, Target, TargetSettings};
use liftoff_core::deploy::shipping::Shipping;
use liftoff_core::deploy::{Decision, DeployRequest, PreflightCheck};
use std::path::{Path, PathBuf};

use liftoff_core::files;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tokio_util::sync::CancellationToken;

use crate::error::{AppError, ErrorCode, Result};
use crate::live::BackgroundProblem;
use crate::state::{AppState, Within};
use crate::stream::{LineBatch, LineStream};

#[tauri::command]
#[specta::specta]
pub async fn deploy_status(state: State<'_, AppState>, project_id: String) -> Result<Vec<EnvironmentStatus>> {
    state.with_ctx(move |cx| Ok(runs::status(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_deploy_target(state: State<'_, AppState>, environment_id: String) -> Result<Option<Target>> {
    state.with_ctx(move |cx| Ok(target::get(cx.store, &environment_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_deploy_target(state: State<'_, AppState>, environment_id: String, settings: TargetSettings) -> Result<Target> {
    state.with_ctx(move |cx| Ok(target::set(cx.store, &environment_id, &settings, cx.now)?)).await
}

/// Checks a target as given (saved or not) against its CI/CD engine: the
/// address, the login with the credential from the keychain, the job, the
/// parameters it declares, the right to start it. Starts nothing.
#[tauri::command]
#[specta::specta]
pub async fn check_deploy_target(state: State<'_, AppState>, environment_id: String, settings: TargetSettings) -> Result<TargetCheck> {
    let store = state.opened_store().await?;
    Ok(engine::check_target(store, state.keychain.clone(), &environment_id, &settings).await?)
}

/// The GitLab target's line: whether GitLab's deploy freezes are in step
/// with Liftoff's, from the last sync (no network); `None` for other kinds.
#[tauri::command]
#[specta::specta]
pub async fn engine_freeze_status(state: State<'_, AppState>, environment_id: String) -> Result<Option<FreezeSyncStatus>> {
    state.with_ctx(move |cx| Ok(freeze_sync::status(cx.store, &environment_id)?)).await
}

/// "Sync freezes now": GitLab's deploy freeze periods of the project's
/// targets brought in step with Liftoff's freezes.
#[tauri::command]
#[specta::specta]
pub async fn sync_engine_freezes(state: State<'_, AppState>, project_id: String) -> Result<Vec<SyncReport>> {
    let store = state.opened_store().await?;
    Ok(freeze_sync::sync(store, state.keychain.clone(), &project_id, chrono::Utc::now(), &CancellationToken::new()).await?)
}

/// Syncs the project's GitLab freezes in the background (after a freeze
/// edit); what stops it is shown as a notice.
pub fn sync_freezes_in_background(app: AppHandle, state: &AppState, project_id: String) {
    let Some(store) = state.store_if_open() else { return };
    let keychain = state.keychain.clone();
    tauri::async_runtime::spawn(async move {
        let problems: Vec<String> = match freeze_sync::sync(store, keychain, &project_id, chrono::Utc::now(), &CancellationToken::new()).await {
            Ok(reports) => reports.into_iter().filter_map(|r| r.problem.map(|p| format!("{}: {p}", r.gitlab))).collect(),
            Err(e) => vec![e.to_string()],
        };
        for p in problems {
            let message = format!("The freeze is saved, but GitLab's deploy freezes are not in step ({p}). Use “Sync freezes now” on the GitLab target once it is fixed.");
            if let Err(e) = tauri_specta::Event::emit(&BackgroundProblem { message, detail: None }, &app) {
                log::warn!("could not tell the window about the freeze sync: {e}");
            }
        }
    });
}

#[tauri::command]
#[specta::specta]
pub async fn clear_deploy_target(state: State<'_, AppState>, environment_id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(target::clear(cx.store, &environment_id)?)).await
}

/// The checks a deploy would face now; starts nothing.
#[tauri::command]
#[specta::specta]
pub async fn deploy_preflight(state: State<'_, AppState>, request: DeployRequest) -> Result<Vec<PreflightCheck>> {
    state.with_ctx(move |cx| Ok(engine::preflight(cx.store, cx.keychain, &request, cx.now, cx.today)?)).await
}

/// The commits a deploy would bring to its environment; starts nothing.
#[tauri::command]
#[specta::specta]
pub async fn deploy_shipping(state: State<'_, AppState>, request: DeployRequest) -> Result<Shipping> {
    state.with_ctx(move |cx| Ok(engine::shipping(cx.store, &request)?)).await
}

/// Starts a deploy after preflight; the run's events (lines, steps, checks,
/// its end) stream over `events`.
#[tauri::command]
#[specta::specta]
pub async fn start_deploy(state: State<'_, AppState>, request: DeployRequest, actor: Option<String>, events: Channel<LineBatch<RunEvent>>) -> Result<Run> {
    let within = Within::Environment(request.environment_id.clone());
    let job = state.acting(actor, within, move |cx| Ok(engine::start(cx.store, cx.keychain, &request, &cx.who, cx.now, cx.today)?)).await?;
    Ok(spawn(&state, job, Some(events)))
}

/// What a rollback would deploy, and its preflight; starts nothing.
#[tauri::command]
#[specta::specta]
pub async fn rollback_preflight(state: State<'_, AppState>, environment_id: String, decisions: Vec<Decision>) -> Result<RollbackPlan> {
    state
        .with_ctx(move |cx| Ok(engine::rollback_preflight(cx.store, cx.keychain, &environment_id, &decisions, cx.now, cx.today)?))
        .await
}

/// Rolls the environment back to the last version that verified there.
#[tauri::command]
#[specta::specta]
pub async fn start_rollback(
    state: State<'_, AppState>,
    environment_id: String,
    decisions: Vec<Decision>,
    actor: Option<String>,
    events: Channel<LineBatch<RunEvent>>,
) -> Result<Run> {
    let job = state
        .acting(actor, Within::Environment(environment_id.clone()), move |cx| {
            Ok(engine::start_rollback(cx.store, cx.keychain, &environment_id, &decisions, &cx.who, cx.now, cx.today)?)
        })
        .await?;
    Ok(spawn(&state, job, Some(events)))
}

/// Runs a failed engine run again as a new run (its failed jobs, where the
/// engine can; preflight again).
#[tauri::command]
#[specta::specta]
pub async fn start_rerun(state: State<'_, AppState>, run_id: String, actor: Option<String>, events: Channel<LineBatch<RunEvent>>) -> Result<Run> {
    let job = state.acting(actor, Within::Run(run_id.clone()), move |cx| Ok(engine::start_rerun(cx.store, cx.keychain, &run_id, &cx.who, cx.now, cx.today)?)).await?;
    Ok(spawn(&state, job, Some(events)))
}

/// Lines per event on the window's stream.
const LINES_PER_EVENT: usize = 16;

/// Runs the job in the background; the window follows it over `events`
/// (its start and end are also data changes, for other pages), or, without
/// them, through the database as it grows.
pub(crate) fn spawn(state: &AppState, job: Job, events: Option<Channel<LineBatch<RunEvent>>>) -> Run {
    let run = job.run.clone();
    let token = CancellationToken::new();
    state.running_insert(&run.id, token.clone());
    let store = state.store_if_open().expect("a run started, so the store is open");
    let keychain = state.keychain.clone();
    let state = state.clone();
    tauri::async_runtime::spawn(async move {
        let stream = events.map(LineStream::start);
        let mut sink = |event: RunEvent| {
            let Some(stream) = &stream else { return };
            match event {
                // In small pieces, so that a batch of the stream stays within
                // its bytes (a step hands over up to 1,000 lines at once). A
                // window that falls behind misses lines here and reads them
                // from the database by number.
                RunEvent::Lines { run_id, lines } => {
                    for piece in lines.chunks(LINES_PER_EVENT) {
                        stream.offer(RunEvent::Lines { run_id: run_id.clone(), lines: piece.to_vec() });
                    }
                }
                other => stream.must(other),
            }
        };
        let first_id = job.run.id.clone();
        let mut next_ids = Vec::new();
        let mut on_next = |next: &Run| {
            state.running_insert(&next.id, token.clone());
            next_ids.push(next.id.clone());
        };
        engine::execute_with_rollback(store, &keychain, job, token.clone(), Timing::default(), &mut sink, &mut on_next).await;
        if let Some(stream) = stream {
            stream.finish().await;
        }
        state.running_remove(&first_id);
        for id in next_ids {
            state.running_remove(&id);
        }
    });
    run
}

/// Executes the runs `engine::take_over_detached` took over at start.
pub fn follow_detached(state: &AppState, jobs: Vec<Job>) {
    for job in jobs {
        spawn(state, job, None);
    }
}

/// Cancels a run: its process tree is stopped (TERM, then KILL after a
/// grace period), by this window or by the process that runs it.
#[tauri::command]
#[specta::specta]
pub async fn cancel_deploy(state: State<'_, AppState>, run_id: String, actor: Option<String>) -> Result<()> {
    // Recorded (who cancelled, in the audit log and the run's outcome);
    // the process that runs it stops it within a second.
    let id = run_id.clone();
    state.acting(actor, Within::Run(run_id.clone()), move |cx| Ok(runs::request_cancel(cx.store, &id, &cx.who, cx.now)?)).await?;
    // Run by this window: at once.
    state.running_cancel(&run_id);
    Ok(())
}

/// Approves (or rejects) what a running deploy waits for on its CI/CD
/// engine, as the person the window says the user is; audited.
#[tauri::command]
#[specta::specta]
pub async fn answer_deploy_approval(state: State<'_, AppState>, run_id: String, approve: bool, comment: String, actor: Option<String>) -> Result<()> {
    let who = state.acting(actor, Within::Run(run_id.clone()), |cx| Ok(cx.who.clone())).await?;
    let store = state.opened_store().await?;
    Ok(engine::answer_approval(store, state.keychain.clone(), &run_id, approve, comment.trim(), &who, chrono::Utc::now()).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_runs(state: State<'_, AppState>, project_id: String, query: RunQuery) -> Result<Vec<Run>> {
    state.with_ctx(move |cx| Ok(runs::list(cx.store, &project_id, &query)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_run(state: State<'_, AppState>, run_id: String) -> Result<Run> {
    state.with_ctx(move |cx| Ok(runs::get(cx.store, &run_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn run_log(state: State<'_, AppState>, run_id: String, after_seq: i32, limit: i32, search: Option<String>) -> Result<LogPage> {
    state.with_ctx(move |cx| Ok(runs::log(cx.store, &run_id, i64::from(after_seq), i64::from(limit), search.as_deref())?)).await
}

/// Where to suggest saving a run's log: the Downloads folder (else home).
#[tauri::command]
#[specta::specta]
pub async fn suggested_run_log_path(app: AppHandle, state: State<'_, AppState>, run_id: String) -> Result<String> {
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."));
    state
        .with_ctx(move |cx| {
            let run = runs::get(cx.store, &run_id)?;
            let name = files::slug(&format!("{} {} {}", run.environment_name, run.version, &run.id[run.id.len().saturating_sub(6)..]), "run");
            Ok(dir.join(format!("liftoff-{name}.log")).display().to_string())
        })
        .await
}

/// Saves the run's masked log as a text file at `path` (from the Save
/// dialog, which has asked before replacing a file); returns the path.
#[tauri::command]
#[specta::specta]
pub async fn save_run_log(state: State<'_, AppState>, run_id: String, path: String) -> Result<String> {
    let path = state
        .with_ctx(move |cx| {
            let text = runs::log_text(cx.store, &run_id)?;
            files::write_replacing(Path::new(&path), text.as_bytes()).map_err(|m| AppError::new(ErrorCode::Validation, m))?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

#[tauri::command]
#[specta::specta]
pub async fn lock_environment(state: State<'_, AppState>, environment_id: String, reason: String, actor: Option<String>) -> Result<Lock> {
    state
        .acting(actor, Within::Environment(environment_id.clone()), move |cx| Ok(runs::lock(cx.store, &environment_id, &reason, &cx.who, cx.now)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn unlock_environment(state: State<'_, AppState>, environment_id: String, actor: Option<String>) -> Result<()> {
    state.acting(actor, Within::Environment(environment_id.clone()), move |cx| Ok(runs::unlock(cx.store, &environment_id, &cx.who, cx.now)?)).await
}

/// Interrupted runs of the project whose processes are still alive.
#[tauri::command]
#[specta::specta]
pub async fn deploy_leftovers(state: State<'_, AppState>, project_id: String) -> Result<Vec<Interrupted>> {
    state.with_ctx(move |cx| Ok(runs::leftovers(cx.store, Some(&project_id))?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn stop_leftover(state: State<'_, AppState>, run_id: String, actor: Option<String>) -> Result<u32> {
    state.acting(actor, Within::Run(run_id.clone()), move |cx| Ok(runs::stop_leftover(cx.store, &run_id, &cx.who, cx.now)?.len() as u32)).await
}
