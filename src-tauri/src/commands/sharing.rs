use std::path::{Path, PathBuf};

use liftoff_core::projects;
use liftoff_core::sharing::{self, ImportReport};
use tauri::{AppHandle, Manager, State};

use crate::error::Result;
use crate::state::AppState;

/// Where to suggest saving the export: the Downloads folder, else home.
#[tauri::command]
#[specta::specta]
pub async fn suggested_export_path(app: AppHandle, state: State<'_, AppState>, project_id: String) -> Result<String> {
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."));
    state
        .with_ctx(move |cx| {
            let project = projects::get(cx.store, &project_id)?;
            Ok(dir.join(sharing::file_name(&project.name, cx.now)).display().to_string())
        })
        .await
}

/// Writes the project file to `path`, a path from the Save dialog (which
/// has asked before replacing a file), and returns it.
#[tauri::command]
#[specta::specta]
pub async fn export_project(state: State<'_, AppState>, project_id: String, path: String) -> Result<String> {
    let path = state
        .with_ctx(move |cx| {
            sharing::export_to_file(cx.store, &project_id, Path::new(&path), cx.now)?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

/// Adds the project in the file at `path` (picked in the Open dialog).
#[tauri::command]
#[specta::specta]
pub async fn import_project(state: State<'_, AppState>, path: String) -> Result<ImportReport> {
    state.with_ctx(move |cx| Ok(sharing::import_file(cx.store, Path::new(&path), cx.now)?)).await
}
