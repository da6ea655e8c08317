//! Releases, their checklists, the gate and the audit log.
//!
//! `actor` is the id of the project person the user acts as, or `None` for
//! the computer's own user; the core checks it belongs to the project.

use chrono::{Local, Utc};
use liftoff_core::audit::{self, Actor, AuditEntry, AuditQuery};
use liftoff_core::release::checklists::{self, ChecklistItem, ChecklistSource, ItemDraft, ItemState};
use liftoff_core::release::gate::{self, GateReport};
use liftoff_core::release::{self as releases, Release, ReleaseDraft, ReleaseState, ReleaseSummary, ReleaseView};
use serde::Serialize;
use tauri::State;

use crate::error::Result;
use crate::state::{local_user, AppState};

#[tauri::command]
#[specta::specta]
pub async fn list_releases(state: State<'_, AppState>, project_id: String, filter: Option<ReleaseState>) -> Result<Vec<ReleaseSummary>> {
    state.with_store(move |s| Ok(releases::list(s, &project_id, filter)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_release(state: State<'_, AppState>, project_id: String, draft: ReleaseDraft, actor: Option<String>) -> Result<Release> {
    state
        .with_store(move |s| {
            let who = Actor::resolve(&*s.reader()?, &project_id, actor.as_deref(), &local_user())?;
            Ok(releases::create(s, &project_id, &draft, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn update_release(state: State<'_, AppState>, id: String, draft: ReleaseDraft, actor: Option<String>) -> Result<Release> {
    state
        .with_store(move |s| {
            let who = Actor::for_release(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(liftoff_core::announce::update_release(s, &id, &draft, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_release_state(
    state: State<'_, AppState>,
    id: String,
    to: ReleaseState,
    reason: String,
    actor: Option<String>,
) -> Result<Release> {
    state
        .with_store(move |s| {
            let who = Actor::for_release(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(liftoff_core::announce::set_release_state(s, &id, to, &reason, &who, Utc::now(), Local::now().date_naive())?)
        })
        .await
}

/// The release with its checklist, progress and gates.
#[tauri::command]
#[specta::specta]
pub async fn release_view(state: State<'_, AppState>, id: String) -> Result<ReleaseView> {
    state.with_store(move |s| Ok(releases::view(s, &id, Local::now().date_naive())?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn start_checklist(state: State<'_, AppState>, release_id: String, source: ChecklistSource, actor: Option<String>) -> Result<i32> {
    state
        .with_store(move |s| {
            let who = Actor::for_release(&*s.reader()?, &release_id, actor.as_deref(), &local_user())?;
            Ok(checklists::start(s, &release_id, &source, &who, Utc::now())? as i32)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn add_checklist_item(state: State<'_, AppState>, release_id: String, draft: ItemDraft, actor: Option<String>) -> Result<ChecklistItem> {
    state
        .with_store(move |s| {
            let who = Actor::for_release(&*s.reader()?, &release_id, actor.as_deref(), &local_user())?;
            Ok(checklists::add_item(s, &release_id, &draft, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn update_checklist_item(state: State<'_, AppState>, id: String, draft: ItemDraft, actor: Option<String>) -> Result<ChecklistItem> {
    state
        .with_store(move |s| {
            let who = Actor::for_item(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(checklists::update_item(s, &id, &draft, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn set_checklist_item_state(
    state: State<'_, AppState>,
    id: String,
    to: ItemState,
    reason: String,
    actor: Option<String>,
) -> Result<ChecklistItem> {
    state
        .with_store(move |s| {
            let who = Actor::for_item(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(checklists::set_item_state(s, &id, to, &reason, &who, Utc::now())?)
        })
        .await
}

/// The reviewer signs an item off (`approve`) or sends it back with a note.
#[tauri::command]
#[specta::specta]
pub async fn review_checklist_item(
    state: State<'_, AppState>,
    id: String,
    approve: bool,
    note: String,
    actor: Option<String>,
) -> Result<ChecklistItem> {
    state
        .with_store(move |s| {
            let who = Actor::for_item(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(checklists::review(s, &id, approve, &note, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_checklist_item(state: State<'_, AppState>, id: String, actor: Option<String>) -> Result<()> {
    state
        .with_store(move |s| {
            let who = Actor::for_item(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(checklists::delete_item(s, &id, &who, Utc::now())?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn override_gate(
    state: State<'_, AppState>,
    release_id: String,
    environment_id: String,
    decided_by: String,
    reason: String,
    actor: Option<String>,
) -> Result<GateReport> {
    state
        .with_store(move |s| {
            let who = Actor::for_release(&*s.reader()?, &release_id, actor.as_deref(), &local_user())?;
            let today = Local::now().date_naive();
            Ok(gate::override_gate(s, &release_id, &environment_id, &decided_by, &reason, &who, Utc::now(), today)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn withdraw_gate_override(state: State<'_, AppState>, id: String, reason: String, actor: Option<String>) -> Result<()> {
    state
        .with_store(move |s| {
            let who = Actor::for_override(&*s.reader()?, &id, actor.as_deref(), &local_user())?;
            Ok(gate::withdraw_override(s, &id, &reason, &who, Utc::now())?)
        })
        .await
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// Everyone who appears in the release's log, for the filter.
    pub actors: Vec<String>,
}

#[tauri::command]
#[specta::specta]
pub async fn list_audit_log(state: State<'_, AppState>, release_id: String, query: AuditQuery) -> Result<AuditLog> {
    state
        .with_store(move |s| Ok(AuditLog { entries: audit::list(s, &release_id, &query)?, actors: audit::actors(s, &release_id)? }))
        .await
}
