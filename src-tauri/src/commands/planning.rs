//! The timeline: what it shows, planning a release's window, freezes, load,
//! busy time, suggestions and the calendar file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use liftoff_core::files;
use liftoff_core::planning::busy::{self, BusyImport, ManualBusy};
use liftoff_core::planning::picture::{self, SuggestedWindow};
use liftoff_core::planning::profile::{self, LoadSummary};
use liftoff_core::planning::timeline::{self, TimelineData};
use liftoff_core::planning::window::Conflict;
use liftoff_core::planning::windows::{self, CalendarWindow, CalendarWindowDraft, WindowKind};
use liftoff_core::planning::{self, ics_export, PlanningError};
use liftoff_core::projects;
use liftoff_core::rules::FieldErrors;
use liftoff_core::release::{self as releases, Release};
use tauri::{AppHandle, Manager, State};

use crate::error::Result;
use crate::state::{AppState, Within};

fn instant(field: &str, value: &str) -> std::result::Result<DateTime<Utc>, PlanningError> {
    DateTime::parse_from_rfc3339(value).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        PlanningError::Invalid(FieldErrors::from([(field.to_owned(), format!("“{value}” is not a date and time such as 2026-12-01T09:00:00Z."))]))
    })
}

/// What the timeline shows between `from` and `to` (RFC 3339), with the
/// load in `buckets` slices.
#[tauri::command]
#[specta::specta]
pub async fn timeline(state: State<'_, AppState>, project_id: String, from: String, to: String, buckets: i32) -> Result<TimelineData> {
    state
        .with_ctx(move |cx| {
            let (from, to) = (instant("from", &from)?, instant("to", &to)?);
            Ok(timeline::read(cx.store, &project_id, from, to, buckets.max(1) as usize)?)
        })
        .await
}

/// Plans a release's window (both ends, RFC 3339) or clears it (neither).
#[tauri::command]
#[specta::specta]
pub async fn set_release_window(
    state: State<'_, AppState>,
    release_id: String,
    start: Option<String>,
    end: Option<String>,
    environment_id: Option<String>,
    actor: Option<String>,
) -> Result<Release> {
    // The fields are checked first, then who acts (in the door).
    let window = match (start, end) {
        (Some(a), Some(b)) => Some((instant("windowStart", &a)?, instant("windowEnd", &b)?)),
        (None, None) => None,
        _ => {
            return Err(PlanningError::Invalid(FieldErrors::from([(
                "windowStart".to_owned(),
                "Give both the start and the end of the window, or neither to clear it.".to_owned(),
            )]))
            .into())
        }
    };
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(releases::set_window(cx.store, &release_id, window, environment_id.as_deref(), &cx.who, cx.now)?)
        })
        .await
}

/// What is wrong with planning the release at `[start, end)`. While a bar
/// is dragged this is asked at every snap: the picture gathered for the
/// first is reused until the data changes. Times in the reasons are in
/// `time_zone`, the zone the timeline shows.
#[tauri::command]
#[specta::specta]
pub async fn window_conflicts(state: State<'_, AppState>, release_id: String, start: String, end: String, time_zone: String) -> Result<Vec<Conflict>> {
    let checks = state.drag_checks.clone();
    state
        .with_ctx(move |cx| Ok(checks.check(cx.store, &release_id, instant("start", &start)?, instant("end", &end)?, planning::shown_zone(&time_zone)?)?))
        .await
}

/// The best windows of `minutes` over the next `days`, best first, with
/// times in `time_zone`.
#[tauri::command]
#[specta::specta]
pub async fn suggest_windows(state: State<'_, AppState>, release_id: String, minutes: i32, days: i32, time_zone: String) -> Result<Vec<SuggestedWindow>> {
    state
        .with_ctx(move |cx| {
            // Start at the next quarter hour.
            let quarter = 15 * 60;
            let from = DateTime::from_timestamp((cx.now.timestamp() / quarter + 1) * quarter, 0).unwrap_or(cx.now);
            Ok(picture::suggest(cx.store, &release_id, i64::from(minutes), from, i64::from(days), 5, planning::shown_zone(&time_zone)?)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn list_calendar_windows(state: State<'_, AppState>, project_id: String) -> Result<Vec<CalendarWindow>> {
    state.with_ctx(move |cx| Ok(windows::list(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_calendar_window(app: AppHandle, state: State<'_, AppState>, project_id: String, draft: CalendarWindowDraft) -> Result<CalendarWindow> {
    let w = state.with_ctx(move |cx| Ok(windows::create(cx.store, &project_id, &draft, cx.now)?)).await?;
    freezes_edited(app, &state, &w);
    Ok(w)
}

#[tauri::command]
#[specta::specta]
pub async fn update_calendar_window(app: AppHandle, state: State<'_, AppState>, id: String, draft: CalendarWindowDraft) -> Result<CalendarWindow> {
    let (w, was_freeze) = state
        .with_ctx(move |cx| {
            let was_freeze = windows::get(cx.store, &id)?.kind == WindowKind::Freeze;
            Ok((windows::update(cx.store, &id, &draft, cx.now)?, was_freeze))
        })
        .await?;
    // A freeze that became a maintenance window leaves GitLab too.
    if was_freeze || w.kind == WindowKind::Freeze {
        super::deploys::sync_freezes_in_background(app, &state, w.project_id.clone());
    }
    Ok(w)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_calendar_window(app: AppHandle, state: State<'_, AppState>, id: String) -> Result<()> {
    let w = state
        .with_ctx(move |cx| {
            let w = windows::get(cx.store, &id)?;
            windows::delete(cx.store, &id)?;
            Ok(w)
        })
        .await?;
    freezes_edited(app, &state, &w);
    Ok(())
}

/// After a freeze edit, the engines' own freeze periods follow (in the
/// background: a failure becomes a notice, the edit stays).
fn freezes_edited(app: AppHandle, state: &AppState, w: &CalendarWindow) {
    if w.kind == WindowKind::Freeze {
        super::deploys::sync_freezes_in_background(app, state, w.project_id.clone());
    }
}

/// Replaces the project's load profile with the monitoring export at `path`.
#[tauri::command]
#[specta::specta]
pub async fn import_load_csv(state: State<'_, AppState>, project_id: String, path: String) -> Result<LoadSummary> {
    state.with_ctx(move |cx| Ok(profile::import_csv_file(cx.store, &project_id, Path::new(&path))?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn load_summary(state: State<'_, AppState>, project_id: String) -> Result<LoadSummary> {
    state.with_ctx(move |cx| Ok(profile::summary(cx.store, &project_id)?)).await
}

/// Replaces a person's busy time from the calendar file at `path`.
#[tauri::command]
#[specta::specta]
pub async fn import_busy_ics(state: State<'_, AppState>, person_id: String, path: String) -> Result<BusyImport> {
    state.with_ctx(move |cx| Ok(busy::import_ics_file(cx.store, &person_id, Path::new(&path), cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn suggested_calendar_path(app: AppHandle, state: State<'_, AppState>, project_id: String) -> Result<String> {
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."));
    state
        .with_ctx(move |cx| {
            let project = projects::get(cx.store, &project_id)?;
            Ok(dir.join(format!("{}-releases.ics", files::slug(&project.name, "project"))).display().to_string())
        })
        .await
}

/// Writes the project's releases and freezes as an .ics file at `path`
/// (from the Save dialog, which has asked before replacing a file); returns
/// the path.
#[tauri::command]
#[specta::specta]
pub async fn export_calendar(state: State<'_, AppState>, project_id: String, path: String) -> Result<String> {
    let path = state
        .with_ctx(move |cx| {
            let text = ics_export::project_calendar(cx.store, &project_id, cx.now)?;
            files::write_replacing(Path::new(&path), text.as_bytes()).map_err(PlanningError::Export)?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

/// Names who is on call during the release's window (or nobody).
#[tauri::command]
#[specta::specta]
pub async fn set_release_on_call(state: State<'_, AppState>, release_id: String, person_id: Option<String>, actor: Option<String>) -> Result<Release> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(releases::set_on_call(cx.store, &release_id, person_id.as_deref(), &cx.who, cx.now)?)
        })
        .await
}

/// Records an emergency decision to release inside a freeze.
#[tauri::command]
#[specta::specta]
pub async fn override_freeze(state: State<'_, AppState>, release_id: String, decided_by: String, reason: String, actor: Option<String>) -> Result<Release> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(releases::override_freeze(cx.store, &release_id, &decided_by, &reason, &cx.who, cx.now)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn add_busy_time(state: State<'_, AppState>, person_id: String, summary: String, start: String, end: String) -> Result<ManualBusy> {
    state
        .with_ctx(move |cx| Ok(busy::add_manual(cx.store, &person_id, &summary, instant("start", &start)?, instant("end", &end)?, cx.now)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn list_busy_times(state: State<'_, AppState>, project_id: String) -> Result<Vec<ManualBusy>> {
    state.with_ctx(move |cx| Ok(busy::list_manual(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_busy_time(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(busy::delete_manual(cx.store, &id)?)).await
}

#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LoadPattern {
    /// 168 hourly values, Monday 00:00 first, in the project's zone.
    pub hours: Vec<f64>,
    /// Entered by hand (else made from the samples, or all zero).
    pub manual: bool,
}

#[tauri::command]
#[specta::specta]
pub async fn load_pattern(state: State<'_, AppState>, project_id: String) -> Result<LoadPattern> {
    state
        .with_ctx(move |cx| {
            if let Some(hours) = profile::manual_pattern(cx.store, &project_id)? {
                return Ok(LoadPattern { hours, manual: true });
            }
            let hours = match profile::weekly_pattern(cx.store, &project_id)? {
                Some((p, _)) => p.hours.iter().flatten().map(|v| v.round()).collect(),
                None => vec![0.0; 168],
            };
            Ok(LoadPattern { hours, manual: false })
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_load_pattern(state: State<'_, AppState>, project_id: String, hours: Vec<f64>) -> Result<()> {
    state.with_ctx(move |cx| Ok(profile::set_pattern(cx.store, &project_id, &hours, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn clear_load_pattern(state: State<'_, AppState>, project_id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(profile::clear_pattern(cx.store, &project_id)?)).await
}
