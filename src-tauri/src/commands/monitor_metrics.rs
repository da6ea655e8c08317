//! DORA's metrics in the window: a project's five metrics for a period and
//! a production environment, their CSV (written where the Save dialog
//! said), the fail window setting, and a release's hotfix flag.

use std::path::{Path, PathBuf};

use liftoff_core::monitor::metrics::{self, Dora, MonitorSettings, Period};
use liftoff_core::{files, projects};
use tauri::{AppHandle, Manager, State};

use crate::error::{from_core, AppError, ErrorCode, Result};
use crate::state::{AppState, Within};

/// The project's DORA metrics over `period` (ending now), for one
/// production environment or, with `None`, all of them.
#[tauri::command]
#[specta::specta]
pub async fn dora_metrics(state: State<'_, AppState>, project_id: String, environment_id: Option<String>, period: Period) -> Result<Dora> {
    state.with_ctx(move |cx| metrics::dora_for(cx.store, &project_id, environment_id.as_deref(), period, cx.now).map_err(|e| from_core(&e))).await
}

/// Where the Save dialog proposes to write the metrics' CSV.
#[tauri::command]
#[specta::specta]
pub async fn suggested_metrics_path(app: AppHandle, state: State<'_, AppState>, project_id: String, period: Period) -> Result<String> {
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."));
    state
        .with_ctx(move |cx| {
            let project = projects::get(cx.store, &project_id)?;
            let since = metrics::period_start(period, cx.now).format("%Y-%m-%d");
            Ok(dir.join(format!("{}-dora-metrics-since-{since}.csv", files::slug(&project.name, "project"))).display().to_string())
        })
        .await
}

/// Writes the metrics as CSV at `path` (from the Save dialog, which has
/// asked before replacing a file); returns the path.
#[tauri::command]
#[specta::specta]
pub async fn export_metrics(state: State<'_, AppState>, project_id: String, environment_id: Option<String>, period: Period, path: String) -> Result<String> {
    let path = state
        .with_ctx(move |cx| {
            let dora = metrics::dora_for(cx.store, &project_id, environment_id.as_deref(), period, cx.now).map_err(|e| from_core(&e))?;
            files::write_replacing(Path::new(&path), metrics::to_csv(&dora).as_bytes())
                .map_err(|e| AppError::new(ErrorCode::Validation, "The metrics could not be written there. Choose a folder you can write to and try again.").with_detail(e))?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

#[tauri::command]
#[specta::specta]
pub async fn monitor_settings(state: State<'_, AppState>, project_id: String) -> Result<MonitorSettings> {
    state.with_ctx(move |cx| metrics::settings(cx.store, &project_id).map_err(|e| from_core(&e))).await
}

/// Sets the hours within which a rollback, a switch back or a hotfix makes
/// the production deployment before it count as failed.
#[tauri::command]
#[specta::specta]
pub async fn set_fail_window(state: State<'_, AppState>, project_id: String, hours: u32, actor: Option<String>) -> Result<MonitorSettings> {
    state
        .acting(actor, Within::Project(project_id.clone()), move |cx| metrics::set_fail_window(cx.store, &project_id, hours, &cx.who, cx.now).map_err(|e| from_core(&e)))
        .await
}

/// Whether the release is marked "hotfix for an incident".
#[tauri::command]
#[specta::specta]
pub async fn release_hotfix(state: State<'_, AppState>, release_id: String) -> Result<bool> {
    state.with_ctx(move |cx| metrics::hotfix(cx.store, &release_id).map_err(|e| from_core(&e))).await
}

/// Marks the release as a hotfix for an incident in production (or not).
#[tauri::command]
#[specta::specta]
pub async fn set_release_hotfix(state: State<'_, AppState>, release_id: String, hotfix: bool, actor: Option<String>) -> Result<bool> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| metrics::set_hotfix(cx.store, &release_id, hotfix, &cx.who, cx.now).map_err(|e| from_core(&e)))
        .await
}
