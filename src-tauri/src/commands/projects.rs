use liftoff_core::projects::{self, Project, ProjectDraft, ProjectQuery};
use liftoff_core::sample;
use tauri::State;

use crate::error::Result;
use crate::state::{AppState, Within};

#[tauri::command]
#[specta::specta]
pub async fn list_projects(state: State<'_, AppState>, query: ProjectQuery) -> Result<Vec<Project>> {
    state.with_ctx(move |cx| Ok(projects::list(cx.store, &query)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_project(state: State<'_, AppState>, draft: ProjectDraft) -> Result<Project> {
    state.with_ctx(move |cx| Ok(projects::create(cx.store, &draft, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_project(state: State<'_, AppState>, id: String, draft: ProjectDraft, actor: Option<String>) -> Result<Project> {
    state.acting(actor, Within::Project(id.clone()), move |cx| Ok(liftoff_core::announce::update_project(cx.store, &id, &draft, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_project_archived(state: State<'_, AppState>, id: String, archived: bool) -> Result<Project> {
    state.with_ctx(move |cx| Ok(projects::set_archived(cx.store, &id, archived, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_project(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(projects::delete(cx.store, cx.keychain, &id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn open_sample_project(state: State<'_, AppState>) -> Result<Project> {
    state.with_ctx(move |cx| Ok(sample::open_sample_project(cx.store, cx.now)?)).await
}
