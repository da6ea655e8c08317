//! Credential values cross IPC only inwards (add, replace) and, on the
//! user's explicit request, outwards (reveal). They are wrapped in
//! `SecretValue` as soon as they arrive.

use liftoff_core::credentials::{self, Credential, CredentialKind};
use liftoff_core::secrets::SecretValue;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn list_credentials(state: State<'_, AppState>, environment_id: String) -> Result<Vec<Credential>> {
    state.with_ctx(move |cx| Ok(credentials::list(cx.store, &environment_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_credential(
    state: State<'_, AppState>,
    environment_id: String,
    name: String,
    kind: CredentialKind,
    value: String,
) -> Result<Credential> {
    let value = SecretValue::new(value);
    state
        .with_ctx(move |cx| Ok(credentials::add(cx.store, cx.keychain, &environment_id, &name, kind, &value, cx.now)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn replace_credential(state: State<'_, AppState>, id: String, value: String) -> Result<Credential> {
    let value = SecretValue::new(value);
    state.with_ctx(move |cx| Ok(credentials::replace(cx.store, cx.keychain, &id, &value, cx.now)?)).await
}

/// The value, for the user who asked to see or copy it.
#[tauri::command]
#[specta::specta]
pub async fn reveal_credential(state: State<'_, AppState>, id: String) -> Result<String> {
    state
        .with_ctx(move |cx| Ok(credentials::reveal(cx.store, cx.keychain, &id, cx.now)?.expose().to_owned()))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_credential(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(credentials::delete(cx.store, cx.keychain, &id)?)).await
}
