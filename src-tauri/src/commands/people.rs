use liftoff_core::people::{self, Person, PersonDraft};
use tauri::State;

use crate::error::Result;
use crate::state::AppState;

/// The person this computer's user most likely is (git's user.email, else
/// the account name), to preselect "You are".
#[tauri::command]
#[specta::specta]
pub async fn suggested_person(state: State<'_, AppState>, project_id: String) -> Result<Option<String>> {
    state.with_ctx(move |cx| Ok(people::suggested_me(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_people(state: State<'_, AppState>, project_id: String) -> Result<Vec<Person>> {
    state.with_ctx(move |cx| Ok(people::list(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_person(state: State<'_, AppState>, project_id: String, draft: PersonDraft) -> Result<Person> {
    state.with_ctx(move |cx| Ok(people::create(cx.store, &project_id, &draft, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_person(state: State<'_, AppState>, id: String, draft: PersonDraft) -> Result<Person> {
    state.with_ctx(move |cx| Ok(people::update(cx.store, &id, &draft, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_person(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(people::delete(cx.store, &id)?)).await
}
