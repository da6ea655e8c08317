//! Credential values cross IPC only inwards (add, replace) and, on the
//! user's explicit request, outwards (reveal). They are wrapped in
//! `SecretValue` as soon as they arrive.

use chrono::Utc;
use liftoff_core::credentials::{self, Credential, CredentialKind};
use liftoff_core::secrets::SecretValue;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn list_credentials(state: State<'_, AppState>, environment_id: String) -> Result<Vec<Credential>> {
    state.with_store(move |s| Ok(credentials::list(s, &environment_id)?)).await
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
    let keychain = state.keychain.clone();
    state
        .with_store(move |s| Ok(credentials::add(s, &keychain, &environment_id, &name, kind, &value, Utc::now())?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn replace_credential(state: State<'_, AppState>, id: String, value: String) -> Result<Credential> {
    let value = SecretValue::new(value);
    let keychain = state.keychain.clone();
    state.with_store(move |s| Ok(credentials::replace(s, &keychain, &id, &value, Utc::now())?)).await
}

/// The value, for the user who asked to see or copy it.
#[tauri::command]
#[specta::specta]
pub async fn reveal_credential(state: State<'_, AppState>, id: String) -> Result<String> {
    let keychain = state.keychain.clone();
    state
        .with_store(move |s| Ok(credentials::reveal(s, &keychain, &id, Utc::now())?.expose().to_owned()))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_credential(state: State<'_, AppState>, id: String) -> Result<()> {
    let keychain = state.keychain.clone();
    state.with_store(move |s| Ok(credentials::delete(s, &keychain, &id)?)).await
}
