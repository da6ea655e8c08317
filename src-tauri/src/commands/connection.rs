use std::time::Duration;

use chrono::Utc;
use liftoff_core::connection::{self, ConnectionReport, ConnectionTest};
use tauri::State;

use crate::error::{AppError, ErrorCode, Result};
use crate::state::AppState;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Requests the environment's health-check URL, with a credential if one
/// is chosen. The store is not held during the request.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(state: State<'_, AppState>, test: ConnectionTest) -> Result<ConnectionReport> {
    let keychain = state.keychain.clone();
    let (url, auth) = state.with_store(move |s| Ok(connection::prepare(s, &keychain, &test, Utc::now())?)).await?;
    tauri::async_runtime::spawn_blocking(move || connection::check(&url, auth.as_ref(), TIMEOUT))
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("The connection test stopped unexpectedly: {e}. Try again.")))
}
