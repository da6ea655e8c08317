//! Deploy history and the release evidence file in the window: a page of
//! runs, the release paths, the CSV and the evidence file (both saved
//! where the Save dialog said).

use std::path::{Path, PathBuf};

use liftoff_core::files;
use liftoff_core::monitor::evidence::{self, EvidenceOptions};
use liftoff_core::monitor::history::{self, HistoryCursor, HistoryFilter, HistoryPage, ReleasePath};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};

use crate::error::{from_core, AppError, ErrorCode, Result};
use crate::state::{AppState, Within};

#[tauri::command]
#[specta::specta]
pub async fn history_page(state: State<'_, AppState>, project_id: String, filter: HistoryFilter, after: Option<HistoryCursor>, limit: i32) -> Result<HistoryPage> {
    state.with_ctx(move |cx| history::page(cx.store, &project_id, &filter, after.as_ref(), limit).map_err(|e| from_core(&e))).await
}

/// Everyone who started a run of the project, for the filter.
#[tauri::command]
#[specta::specta]
pub async fn history_starters(state: State<'_, AppState>, project_id: String) -> Result<Vec<String>> {
    state.with_ctx(move |cx| history::starters(cx.store, &project_id).map_err(|e| from_core(&e))).await
}

/// The paths of the project's recent releases (or of one).
#[tauri::command]
#[specta::specta]
pub async fn release_paths(state: State<'_, AppState>, project_id: String, release_id: Option<String>) -> Result<Vec<ReleasePath>> {
    state.with_ctx(move |cx| history::paths(cx.store, &project_id, release_id.as_deref(), 20).map_err(|e| from_core(&e))).await
}

fn downloads(app: &AppHandle) -> PathBuf {
    app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."))
}

/// Where to suggest saving the history CSV: the Downloads folder (else home).
#[tauri::command]
#[specta::specta]
pub async fn suggested_history_csv_path(app: AppHandle, state: State<'_, AppState>, project_id: String) -> Result<String> {
    let dir = downloads(&app);
    state
        .with_ctx(move |cx| {
            let project = liftoff_core::projects::get(cx.store, &project_id)?;
            Ok(dir.join(history::csv_file_name(&project.name)).display().to_string())
        })
        .await
}

/// Saves the filtered runs as CSV at `path` (from the Save dialog, which
/// has asked before replacing a file); returns the path.
#[tauri::command]
#[specta::specta]
pub async fn save_history_csv(state: State<'_, AppState>, project_id: String, filter: HistoryFilter, path: String) -> Result<String> {
    let path = state
        .with_ctx(move |cx| {
            let text = history::csv(cx.store, &project_id, &filter).map_err(|e| from_core(&e))?;
            files::write_replacing(Path::new(&path), text.as_bytes()).map_err(|m| AppError::new(ErrorCode::Validation, m))?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

/// Where to suggest saving a release's evidence file.
#[tauri::command]
#[specta::specta]
pub async fn suggested_evidence_path(app: AppHandle, state: State<'_, AppState>, release_id: String) -> Result<String> {
    let dir = downloads(&app);
    state
        .with_ctx(move |cx| {
            let release = liftoff_core::release::get(cx.store, &release_id)?;
            Ok(dir.join(evidence::file_name(&release.version)).display().to_string())
        })
        .await
}

/// An evidence file written: where, and the head hash to paste into the
/// change ticket.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceSaved {
    pub path: String,
    pub head: String,
    pub entries: i32,
}

/// Exports the release's evidence file to `path` (from the Save dialog)
/// and records its head hash in the release's audit log.
#[tauri::command]
#[specta::specta]
pub async fn export_evidence(state: State<'_, AppState>, release_id: String, options: EvidenceOptions, path: String, actor: Option<String>) -> Result<EvidenceSaved> {
    let saved = state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            let exported = evidence::export(cx.store, &release_id, options, &cx.who, cx.now, |text| files::write_replacing(Path::new(&path), text.as_bytes()))
                .map_err(|e| from_core(&e))?;
            Ok(EvidenceSaved { path, head: exported.head, entries: exported.entries })
        })
        .await?;
    let path = state.saved(saved.path);
    Ok(EvidenceSaved { path, ..saved })
}
