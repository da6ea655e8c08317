//! Scheduled deploys in the window: list, add (the Deploy dialog's request
//! and a time), cancel; the per-user OS timer that starts them while no
//! window is open (the command line's own timer code: the app depends on
//! `liftoff-cli`, so the unit files are written in one place); and the
//! window's own scheduler, which starts them while it is open.

use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use liftoff_cli::timer;
use liftoff_core::deploy::schedules::{self, FreezeClash, Schedule, ScheduleDraft};
use liftoff_core::deploy::DeployRequest;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::error::{AppError, ErrorCode, Result};
use crate::live::BackgroundProblem;
use crate::state::{AppState, Within};

/// The project's scheduled deploys (those still to come, and the last 30
/// days' others), soonest first.
#[tauri::command]
#[specta::specta]
pub async fn list_schedules(state: State<'_, AppState>, project_id: String) -> Result<Vec<Schedule>> {
    state.with_ctx(move |cx| Ok(schedules::list(cx.store, Some(&project_id), cx.now)?)).await
}

/// Missed scheduled deploys nobody has acted on yet (of every project with
/// `None`): shown at start and on the Deploys page with Run now and
/// Reschedule.
#[tauri::command]
#[specta::specta]
pub async fn missed_schedules(state: State<'_, AppState>, project_id: Option<String>) -> Result<Vec<Schedule>> {
    state.with_ctx(move |cx| Ok(schedules::open_missed(cx.store, project_id.as_deref(), cx.now)?)).await
}

/// The freeze of the environment at `at` (RFC 3339) and the first time
/// after it, or `None` when no freeze covers it.
#[tauri::command]
#[specta::specta]
pub async fn schedule_freeze_at(state: State<'_, AppState>, environment_id: String, at: String) -> Result<Option<FreezeClash>> {
    let at = instant("notBefore", &at)?;
    state.with_ctx(move |cx| Ok(schedules::freeze_at(cx.store, &environment_id, at)?)).await
}

/// Schedules the Deploy dialog's request for `not_before` (RFC 3339), to
/// start no later than `expires_at` (by default the release's window end,
/// else an hour after). Inside a freeze it is refused on `notBefore`,
/// naming the first time after it.
#[tauri::command]
#[specta::specta]
pub async fn add_schedule(
    state: State<'_, AppState>,
    request: DeployRequest,
    not_before: String,
    expires_at: Option<String>,
    why: String,
    actor: Option<String>,
) -> Result<Schedule> {
    let not_before = instant("notBefore", &not_before)?;
    let expires_at = expires_at.filter(|e| !e.trim().is_empty()).map(|e| instant("expiresAt", &e)).transpose()?;
    let within = Within::Environment(request.environment_id.clone());
    state
        .acting(actor, within, move |cx| {
            let draft = ScheduleDraft {
                environment_id: request.environment_id,
                release_id: request.release_id,
                version: request.version,
                build_ref: request.build_ref,
                decisions: request.decisions,
                accept_warnings: request.accept_warnings,
                not_before,
                expires_at,
                why,
            };
            Ok(schedules::add(cx.store, &draft, &cx.who, cx.now)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_schedule(state: State<'_, AppState>, schedule_id: String, actor: Option<String>) -> Result<Schedule> {
    let id = schedule_id.clone();
    let environment_id = state.with_ctx(move |cx| Ok(schedules::get(cx.store, &id)?.environment_id)).await?;
    let within = Within::Environment(environment_id);
    state.acting(actor, within, move |cx| Ok(schedules::cancel(cx.store, &schedule_id, &cx.who, cx.now)?)).await
}

/// The per-user OS timer that starts scheduled deploys while no window is
/// open, as Settings shows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleTimer {
    /// Its unit files are in place.
    pub installed: bool,
    /// systemd runs it now.
    pub active: bool,
    /// Where its timer unit is (or would be).
    pub unit_path: Option<String>,
    /// Why no timer can run on this computer (no user systemd, not Linux),
    /// in words; `None` when one can.
    pub unavailable: Option<String>,
}

fn timer_state() -> ScheduleTimer {
    ScheduleTimer {
        installed: timer::installed(),
        active: timer::active(),
        unit_path: timer::timer_path().map(|p| p.display().to_string()),
        unavailable: timer::user_systemd().err(),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn schedule_timer() -> Result<ScheduleTimer> {
    tauri::async_runtime::spawn_blocking(timer_state).await.map_err(|e| AppError::new(ErrorCode::Internal, "Liftoff could not look at the schedule timer.").with_detail(e.to_string()))
}

/// Installs the timer for this program and the data folder in use; its
/// error says what to do when the user's systemd cannot run it.
#[tauri::command]
#[specta::specta]
pub async fn install_schedule_timer(state: State<'_, AppState>) -> Result<ScheduleTimer> {
    state
        .with_ctx(|cx| {
            let exe = std::env::current_exe().map_err(|e| AppError::new(ErrorCode::Internal, format!("Liftoff could not find its own program file ({e}).")))?;
            timer::user_systemd().map_err(|why| AppError::new(ErrorCode::Validation, capitalized(&why)))?;
            timer::install(&exe, cx.store.data_dir()).map_err(|why| AppError::new(ErrorCode::Internal, capitalized(&why)))?;
            Ok(timer_state())
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn remove_schedule_timer(state: State<'_, AppState>) -> Result<ScheduleTimer> {
    state
        .with_ctx(|_| {
            timer::remove().map_err(|why| AppError::new(ErrorCode::Internal, capitalized(&why)))?;
            Ok(timer_state())
        })
        .await
}

/// The command line's messages start in lower case (after "liftoff: ").
fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn instant(field: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        let message = "Write the time as YYYY-MM-DD HH:MM.";
        AppError { fields: Some([(field.to_owned(), message.to_owned())].into()), ..AppError::new(ErrorCode::Validation, message) }
    })
}

/// How often the window looks for due schedules: on the wall clock's :00
/// and :30 (a second after), so one set for a whole minute starts within
/// a second or two of it.
const EVERY: Duration = Duration::from_secs(30);

/// The window's own scheduler: while it is open, due schedules are claimed
/// (one write each, so the OS timer's `run-due` and this never both start
/// one), started through the same path as a Deploy click, or marked missed
/// with why (and the window told).
pub fn start_due_while_open(app: AppHandle, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let mut first = true;
        loop {
            if !first {
                let now = Utc::now().timestamp_millis() as u64;
                let every = EVERY.as_millis() as u64;
                tokio::time::sleep(Duration::from_millis(every - now % every + 1000)).await;
            }
            let (app, state, recover) = (app.clone(), state.clone(), first);
            first = false;
            let ticked = tauri::async_runtime::spawn_blocking(move || start_due(&app, &state, recover)).await;
            if let Err(e) = ticked {
                log::warn!("the window's scheduler failed a round: {e}");
            }
        }
    });
}

fn start_due(app: &AppHandle, state: &AppState, recover: bool) {
    let Some(store) = state.store_if_open() else { return };
    let tell = |message: String| {
        if let Err(e) = (BackgroundProblem { message, detail: None }).emit(app) {
            log::warn!("could not tell the window about a scheduled deploy: {e}");
        }
    };
    if recover {
        if let Err(e) = schedules::recover_claims(&store, Utc::now()) {
            log::warn!("could not look for scheduled deploys left claimed: {e}");
        }
    }
    let claimed = match schedules::claim_due(&store, Utc::now()) {
        Ok(claimed) => claimed,
        Err(e) => return tell(format!("Liftoff could not look for scheduled deploys that are due: {e}")),
    };
    for c in claimed {
        let s = &c.schedule;
        match schedules::start_claimed(&store, &state.keychain, &c, Utc::now(), Local::now().date_naive()) {
            Ok(job) => {
                log::info!("the scheduled deploy of {} to {} started as run {}", s.version, s.environment_name, job.run.id);
                super::deploys::spawn(state, job, None);
            }
            Err(why) => tell(format!("The scheduled deploy of {} to {} did not start: {why}. See the Deploys page to run it now or reschedule it.", s.version, s.environment_name)),
        }
    }
}
