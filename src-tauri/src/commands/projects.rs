use chrono::Utc;
use liftoff_core::projects::{self, Project, ProjectDraft, ProjectQuery};
use liftoff_core::sample;
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn list_projects(state: State<'_, AppState>, query: ProjectQuery) -> Result<Vec<Project>> {
    state.with_store(move |s| Ok(projects::list(s, &query)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_project(state: State<'_, AppState>, draft: ProjectDraft) -> Result<Project> {
    state.with_store(move |s| Ok(projects::create(s, &draft, Utc::now())?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_project(state: State<'_, AppState>, id: String, draft: ProjectDraft) -> Result<Project> {
    state
        .with_store(move |s| {
            let who = liftoff_core::audit::Actor { person_id: None, name: crate::state::local_user() };
            Ok(liftoff_core::announce::update_project(s, &id, &draft, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_project_archived(state: State<'_, AppState>, id: String, archived: bool) -> Result<Project> {
    state.with_store(move |s| Ok(projects::set_archived(s, &id, archived, Utc::now())?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_project(state: State<'_, AppState>, id: String) -> Result<()> {
    let keychain = state.keychain.clone();
    state.with_store(move |s| Ok(projects::delete(s, &keychain, &id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn open_sample_project(state: State<'_, AppState>) -> Result<Project> {
    state.with_store(|s| Ok(sample::open_sample_project(s, Utc::now())?)).await
}
