//! The maturity review: where the project stands on the deployment maturity
//! ladder, judged from the last 90 days of what Liftoff recorded.

use liftoff_core::monitor::maturity::{self, Maturity};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// The project's maturity level with each indication, what it rests on and
/// the next steps.
#[tauri::command]
#[specta::specta]
pub async fn maturity(state: State<'_, AppState>, project_id: String) -> Result<Maturity> {
    state.with_ctx(move |cx| Ok(maturity::assess(cx.store, &project_id, cx.now)?)).await
}
