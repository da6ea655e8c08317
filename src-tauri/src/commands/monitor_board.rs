//! The status board in the window: every project's environments as chips,
//! one project's board, its release × environment matrix, and "check
//! health now" (also the board's 60-second poll while it is open).

use liftoff_core::monitor::board::{self, Matrix, ProjectBoard, ProjectSummary};
use liftoff_core::monitor::health::{self, EnvironmentHealth};
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::state::AppState;

/// Every project that is not archived, one row each, its environments as chips.
#[tauri::command]
#[specta::specta]
pub async fn status_board(state: State<'_, AppState>) -> Result<Vec<ProjectSummary>> {
    state.with_ctx(move |cx| Ok(board::all_projects(cx.store, cx.now)?)).await
}

/// One project's environments in pipeline order, with everything the board shows.
#[tauri::command]
#[specta::specta]
pub async fn project_board(state: State<'_, AppState>, project_id: String) -> Result<ProjectBoard> {
    state.with_ctx(move |cx| Ok(board::project_board(cx.store, &project_id, cx.now)?)).await
}

/// The project's latest releases (10 unless `limit` says) against its environments.
#[tauri::command]
#[specta::specta]
pub async fn release_matrix(state: State<'_, AppState>, project_id: String, limit: Option<u32>) -> Result<Matrix> {
    state.with_ctx(move |cx| Ok(board::matrix(cx.store, &project_id, limit.unwrap_or(board::MATRIX_RELEASES))?)).await
}

/// Checks the health URL of every environment of `project_ids` now (at most
/// four at once, 10 s each, on the async runtime; the store is not held
/// during the requests), stores the samples and returns their health.
#[tauri::command]
#[specta::specta]
pub async fn check_health(state: State<'_, AppState>, project_ids: Vec<String>) -> Result<Vec<EnvironmentHealth>> {
    let ids = project_ids.clone();
    let targets = state.with_ctx(move |cx| Ok(health::targets_of(cx.store, &ids)?)).await?;
    let samples = health::check_all(targets, &CancellationToken::new()).await;
    state
        .with_ctx(move |cx| {
            health::record(cx.store, &samples, cx.now)?;
            Ok(health::read(cx.store, &project_ids, cx.now)?)
        })
        .await
}
