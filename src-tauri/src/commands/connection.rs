use std::time::Duration;

use liftoff_core::connection::{self, ConnectionReport, ConnectionTest};
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::state::AppState;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Requests the environment's health-check URL, with a credential if one
/// is chosen. The store is not held during the request.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(state: State<'_, AppState>, test: ConnectionTest) -> Result<ConnectionReport> {
    let (url, auth) = state.with_ctx(move |cx| Ok(connection::prepare(cx.store, cx.keychain, &test, cx.now)?)).await?;
    Ok(connection::check(&url, auth.as_ref(), TIMEOUT, &CancellationToken::new()).await)
}
