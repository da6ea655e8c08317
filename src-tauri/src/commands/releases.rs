//! Releases, their checklists, the gate and the audit log.
//!
//! `actor` is the id of the project person the user acts as, or `None` for
//! the computer's own user; the core checks it belongs to the project.

use liftoff_core::audit::{self, AuditEntry, AuditQuery};
use liftoff_core::release::checklists::{self, ChecklistItem, ChecklistSource, ItemDraft, ItemState};
use liftoff_core::release::gate::{self, GateReport};
use liftoff_core::release::{self as releases, Release, ReleaseDraft, ReleaseState, ReleaseSummary, ReleaseView};
use serde::Serialize;
use tauri::State;

use crate::error::Result;
use crate::state::{AppState, Within};

#[tauri::command]
#[specta::specta]
pub async fn list_releases(state: State<'_, AppState>, project_id: String, filter: Option<ReleaseState>) -> Result<Vec<ReleaseSummary>> {
    state.with_ctx(move |cx| Ok(releases::list(cx.store, &project_id, filter)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_release(state: State<'_, AppState>, project_id: String, draft: ReleaseDraft, actor: Option<String>) -> Result<Release> {
    state.acting(actor, Within::Project(project_id.clone()), move |cx| Ok(releases::create(cx.store, &project_id, &draft, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_release(state: State<'_, AppState>, id: String, draft: ReleaseDraft, actor: Option<String>) -> Result<Release> {
    state.acting(actor, Within::Release(id.clone()), move |cx| Ok(liftoff_core::announce::update_release(cx.store, &id, &draft, &cx.who, cx.now)?)).await
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
        .acting(actor, Within::Release(id.clone()), move |cx| {
            Ok(liftoff_core::announce::set_release_state(cx.store, &id, to, &reason, &cx.who, cx.now, cx.today)?)
        })
        .await
}

/// The release with its checklist, progress and gates.
#[tauri::command]
#[specta::specta]
pub async fn release_view(state: State<'_, AppState>, id: String) -> Result<ReleaseView> {
    state.with_ctx(move |cx| Ok(releases::view(cx.store, &id, cx.today)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn start_checklist(state: State<'_, AppState>, release_id: String, source: ChecklistSource, actor: Option<String>) -> Result<i32> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| Ok(checklists::start(cx.store, &release_id, &source, &cx.who, cx.now)? as i32))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn add_checklist_item(state: State<'_, AppState>, release_id: String, draft: ItemDraft, actor: Option<String>) -> Result<ChecklistItem> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| Ok(checklists::add_item(cx.store, &release_id, &draft, &cx.who, cx.now)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn update_checklist_item(state: State<'_, AppState>, id: String, draft: ItemDraft, actor: Option<String>) -> Result<ChecklistItem> {
    state.acting(actor, Within::ChecklistItem(id.clone()), move |cx| Ok(checklists::update_item(cx.store, &id, &draft, &cx.who, cx.now)?)).await
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
        .acting(actor, Within::ChecklistItem(id.clone()), move |cx| Ok(checklists::set_item_state(cx.store, &id, to, &reason, &cx.who, cx.now)?))
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
    state.acting(actor, Within::ChecklistItem(id.clone()), move |cx| Ok(checklists::review(cx.store, &id, approve, &note, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_checklist_item(state: State<'_, AppState>, id: String, actor: Option<String>) -> Result<()> {
    state.acting(actor, Within::ChecklistItem(id.clone()), move |cx| Ok(checklists::delete_item(cx.store, &id, &cx.who, cx.now)?)).await
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
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(gate::override_gate(cx.store, &release_id, &environment_id, &decided_by, &reason, &cx.who, cx.now, cx.today)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn withdraw_gate_override(state: State<'_, AppState>, id: String, reason: String, actor: Option<String>) -> Result<()> {
    state.acting(actor, Within::GateOverride(id.clone()), move |cx| Ok(gate::withdraw_override(cx.store, &id, &reason, &cx.who, cx.now)?)).await
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
        .with_ctx(move |cx| Ok(AuditLog { entries: audit::list(cx.store, &release_id, &query)?, actors: audit::actors(cx.store, &release_id)? }))
        .await
}
