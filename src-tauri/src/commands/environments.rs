use liftoff_core::environments::{self, Environment, EnvironmentDraft};
use liftoff_core::rules::{self, UrlSecrets};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn list_environments(state: State<'_, AppState>, project_id: String) -> Result<Vec<Environment>> {
    state.with_ctx(move |cx| Ok(environments::list(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_environment(state: State<'_, AppState>, project_id: String, draft: EnvironmentDraft) -> Result<Environment> {
    state.with_ctx(move |cx| Ok(environments::create(cx.store, &project_id, &draft, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_environment(state: State<'_, AppState>, id: String, draft: EnvironmentDraft) -> Result<Environment> {
    state.with_ctx(move |cx| Ok(environments::update(cx.store, &id, &draft, cx.now)?)).await
}

/// Puts the project's environments in the given order, first stage first.
#[tauri::command]
#[specta::specta]
pub async fn reorder_environments(state: State<'_, AppState>, project_id: String, ordered_ids: Vec<String>) -> Result<Vec<Environment>> {
    state.with_ctx(move |cx| Ok(environments::reorder(cx.store, &project_id, &ordered_ids, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_environment(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(environments::delete(cx.store, cx.keychain, &id)?)).await
}

/// The secrets a link carries in its query (`?token=…`), and the link
/// without them: the window warns while a URL or evidence link is typed.
#[tauri::command]
#[specta::specta]
pub fn find_url_secrets(link: String) -> UrlSecrets {
    rules::secrets_in_url(&link)
}
