//! Announcements: settings, change items from git, drafts per channel and
//! audience with their preview and approval, exports and sends (their
//! progress streams to the window over a `Channel`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use liftoff_core::announce::drafts::{self, Approval, Draft, DraftView};
use liftoff_core::announce::gate::SendGate;
use liftoff_core::announce::items::{self, ChangeItem, ChangeList, ItemEdit, ReadReport};
use liftoff_core::announce::render::{self, Variable};
use liftoff_core::announce::sends::{self, AnnouncementSend, Delivery, ExportFormat, SendKind, SendProgress};
use liftoff_core::announce::settings::{self, AnnounceSettings, CaCertificate};
use liftoff_core::announce::words::WordsEdit;
use liftoff_core::announce::{self, Audience, Channel as Medium};
use liftoff_core::files;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tokio_util::sync::CancellationToken;

use crate::error::{AppError, ErrorCode, Result};
use crate::state::{AppState, Within};

#[tauri::command]
#[specta::specta]
pub async fn announce_settings(state: State<'_, AppState>, project_id: String) -> Result<AnnounceSettings> {
    state.with_ctx(move |cx| Ok(settings::get(cx.store, &project_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_announce_settings(state: State<'_, AppState>, project_id: String, settings: AnnounceSettings, actor: Option<String>) -> Result<AnnounceSettings> {
    state.acting(actor, Within::Project(project_id.clone()), move |cx| Ok(announce::set_settings(cx.store, &project_id, &settings, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn change_items(state: State<'_, AppState>, release_id: String) -> Result<ChangeList> {
    state.with_ctx(move |cx| Ok(items::list(cx.store, &release_id)?)).await
}

/// Reads the release's commits from its git repository into its items.
#[tauri::command]
#[specta::specta]
pub async fn read_changes(state: State<'_, AppState>, release_id: String, from: Option<String>, to: Option<String>, actor: Option<String>) -> Result<ReadReport> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(announce::read_changes(cx.store, &release_id, from.as_deref(), to.as_deref(), &cx.who, cx.now)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn add_change_item(state: State<'_, AppState>, release_id: String, edit: ItemEdit, actor: Option<String>) -> Result<ChangeItem> {
    state.acting(actor, Within::Release(release_id.clone()), move |cx| Ok(announce::add_item(cx.store, &release_id, &edit, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_change_item(state: State<'_, AppState>, item_id: String, edit: ItemEdit, actor: Option<String>) -> Result<ChangeItem> {
    state.acting(actor, Within::ChangeItem(item_id.clone()), move |cx| Ok(announce::update_item(cx.store, &item_id, &edit, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_change_item(state: State<'_, AppState>, item_id: String, actor: Option<String>) -> Result<()> {
    state.acting(actor, Within::ChangeItem(item_id.clone()), move |cx| Ok(announce::delete_item(cx.store, &item_id, &cx.who, cx.now)?)).await
}

/// A draft in the release's list, with its approval.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftEntry {
    pub draft: Draft,
    pub approval: Approval,
}

/// The release's drafts, its sends and whether it may be announced.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AnnouncementsOverview {
    pub drafts: Vec<DraftEntry>,
    pub sends: Vec<AnnouncementSend>,
    pub gate: SendGate,
}

#[tauri::command]
#[specta::specta]
pub async fn announcements_overview(state: State<'_, AppState>, release_id: String) -> Result<AnnouncementsOverview> {
    state
        .with_ctx(move |cx| {
            let drafts = drafts::list(cx.store, &release_id)?.into_iter().map(|(draft, approval)| DraftEntry { draft, approval }).collect();
            Ok(AnnouncementsOverview { drafts, sends: sends::list(cx.store, &release_id)?, gate: announce::gate::gate(cx.store, &release_id)? })
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn create_draft(state: State<'_, AppState>, release_id: String, channel: Medium, audience: Audience, actor: Option<String>) -> Result<Draft> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| Ok(drafts::create(cx.store, &release_id, channel, audience, &cx.who, cx.now)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn draft_view(state: State<'_, AppState>, draft_id: String) -> Result<DraftView> {
    state.with_ctx(move |cx| Ok(drafts::view(cx.store, &draft_id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_draft(state: State<'_, AppState>, draft_id: String, parts: BTreeMap<String, String>, actor: Option<String>) -> Result<Draft> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::update_parts(cx.store, &draft_id, &parts, &cx.who, cx.now)?)).await
}

/// Saves the lead's words: each edit rewrites one piece of a part.
#[tauri::command]
#[specta::specta]
pub async fn set_draft_words(state: State<'_, AppState>, draft_id: String, edits: Vec<WordsEdit>, actor: Option<String>) -> Result<Draft> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::set_words(cx.store, &draft_id, &edits, &cx.who, cx.now)?)).await
}

/// Keeps the lead's words of a piece that its template would now write otherwise.
#[tauri::command]
#[specta::specta]
pub async fn keep_draft_words(state: State<'_, AppState>, draft_id: String, part: String, piece: u32, actor: Option<String>) -> Result<Draft> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::keep_words(cx.store, &draft_id, &part, piece, &cx.who, cx.now)?)).await
}

/// Puts the template's words back in place of the lead's, in one piece.
#[tauri::command]
#[specta::specta]
pub async fn use_template_words(state: State<'_, AppState>, draft_id: String, part: String, piece: u32, actor: Option<String>) -> Result<Draft> {
    state
        .acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::use_template_words(cx.store, &draft_id, &part, piece, &cx.who, cx.now)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn reset_draft(state: State<'_, AppState>, draft_id: String, actor: Option<String>) -> Result<Draft> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::reset(cx.store, &draft_id, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_project_template(state: State<'_, AppState>, draft_id: String, actor: Option<String>) -> Result<()> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::save_as_project_template(cx.store, &draft_id, &cx.who, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_draft_reviewer(state: State<'_, AppState>, draft_id: String, person_id: Option<String>, actor: Option<String>) -> Result<Draft> {
    state
        .acting(actor, Within::Draft(draft_id.clone()), move |cx| {
            Ok(drafts::set_reviewer(cx.store, &draft_id, person_id.as_deref(), &cx.who, cx.now)?)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn approve_draft(state: State<'_, AppState>, draft_id: String, actor: Option<String>) -> Result<Draft> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(drafts::approve(cx.store, &draft_id, &cx.who, cx.now)?)).await
}

/// The variables templates may use, for the editor's sidebar.
#[tauri::command]
#[specta::specta]
pub fn template_variables() -> Vec<Variable> {
    render::variables()
}

/// Records who decided to announce before production is verified, and why.
#[tauri::command]
#[specta::specta]
pub async fn override_announce_gate(state: State<'_, AppState>, release_id: String, decided_by: String, reason: String, actor: Option<String>) -> Result<SendGate> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(announce::gate::override_gate(cx.store, &release_id, &decided_by, &reason, &cx.who, cx.now)?)
        })
        .await
}

/// Where an export is suggested to go: the downloads folder, under the
/// file's own name. Asked before the Save dialog opens, it first checks
/// that the export would go through (approved, the release verified, an
/// email's sender), so that nobody picks a file for a refused export.
#[tauri::command]
#[specta::specta]
pub async fn suggested_announcement_path(app: AppHandle, state: State<'_, AppState>, draft_id: String, format: ExportFormat) -> Result<String> {
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."));
    state
        .with_ctx(move |cx| {
            sends::check_export(cx.store, &draft_id, format)?;
            Ok(dir.join(sends::export_name(cx.store, &draft_id, format)?).display().to_string())
        })
        .await
}

/// Exports the draft to `path` (from the Save dialog, which has asked
/// before replacing a file); returns the path written. The path is checked
/// first, so that an export refused for its path records nothing.
#[tauri::command]
#[specta::specta]
pub async fn export_draft(state: State<'_, AppState>, draft_id: String, format: ExportFormat, path: String, actor: Option<String>) -> Result<String> {
    let path = state
        .acting(actor, Within::Draft(draft_id.clone()), move |cx| {
            let target = Path::new(&path);
            files::check_target(target).map_err(|m| AppError::new(ErrorCode::Validation, m))?;
            let export = sends::export(cx.store, &draft_id, format, &cx.who, cx.now)?;
            files::write_replacing(target, &export.bytes).map_err(|m| AppError::new(ErrorCode::Validation, m))?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

/// The text of a recipients file (picked in the Open dialog), to edit
/// before saving the settings.
#[tauri::command]
#[specta::specta]
pub async fn read_recipients_file(state: State<'_, AppState>, path: String) -> Result<String> {
    state.with_ctx(move |_| Ok(settings::read_recipients_file(Path::new(&path))?)).await
}

/// A CA certificate file (picked in the Open dialog) for the mail
/// settings, checked, with its fingerprint.
#[tauri::command]
#[specta::specta]
pub async fn read_ca_certificate(state: State<'_, AppState>, path: String) -> Result<CaCertificate> {
    state.with_ctx(move |_| Ok(settings::read_ca_certificate(Path::new(&path))?)).await
}

/// The draft rendered for copying: Markdown, HTML or plain text.
#[tauri::command]
#[specta::specta]
pub async fn copy_text(state: State<'_, AppState>, draft_id: String, format: String, actor: Option<String>) -> Result<String> {
    state.acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(sends::copy_text(cx.store, &draft_id, &format, &cx.who, cx.now)?)).await
}

/// Starts a test send or a send to the draft's audience; progress streams
/// over `progress`, and the sends list follows through change events.
#[tauri::command]
#[specta::specta]
pub async fn start_send(
    state: State<'_, AppState>,
    draft_id: String,
    kind: SendKind,
    retry_failed: bool,
    actor: Option<String>,
    progress: Channel<SendProgress>,
) -> Result<AnnouncementSend> {
    let send = state
        .acting(actor, Within::Draft(draft_id.clone()), move |cx| Ok(sends::start(cx.store, &draft_id, kind, retry_failed, &cx.who, cx.now)?))
        .await?;
    let token = CancellationToken::new();
    state.running_insert(&send.id, token.clone());
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let watch = token.clone();
    tauri::async_runtime::spawn(async move {
        watch.cancelled().await;
        flag.store(true, Ordering::SeqCst);
    });
    let id = send.id.clone();
    let send_id = send.id.clone();
    let app_state = state.inner().clone();
    tauri::async_runtime::spawn(async move {
        let done = app_state
            .with_ctx(move |cx| {
                let mut on_progress = |p: SendProgress| {
                    let _ = progress.send(p);
                };
                Ok(sends::run(cx.store, cx.keychain, &id, &cancel, None, &mut on_progress, cx.clock)?)
            })
            .await;
        if let Err(e) = done {
            log::warn!("A send stopped: {}", e.message);
        }
        app_state.running_remove(&send_id);
        token.cancel();
    });
    Ok(send)
}

#[tauri::command]
#[specta::specta]
pub fn cancel_send(state: State<'_, AppState>, send_id: String) -> bool {
    state.running_cancel(&send_id)
}

#[tauri::command]
#[specta::specta]
pub async fn send_deliveries(state: State<'_, AppState>, send_id: String) -> Result<Vec<Delivery>> {
    state.with_ctx(move |cx| Ok(sends::deliveries(cx.store, &send_id)?)).await
}

/// What went out in the project (not test sends), for the timeline's
/// Announcements lane.
#[tauri::command]
#[specta::specta]
pub async fn announcement_sends(state: State<'_, AppState>, project_id: String) -> Result<Vec<AnnouncementSend>> {
    state.with_ctx(move |cx| Ok(sends::list_for_project(&*cx.store.reader()?, &project_id)?)).await
}
