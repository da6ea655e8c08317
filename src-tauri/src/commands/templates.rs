//! Checklist templates, and checklists and templates as files.

use std::path::{Path, PathBuf};

use liftoff_core::release::checklists::templates::{self, Template, TemplateDraft};
use liftoff_core::release::checklists::transfer::{self, FileFormat};
use liftoff_core::files;
use liftoff_core::release::{self as releases, ReleaseError};
use tauri::{AppHandle, Manager, State};

use crate::error::Result;
use crate::state::{AppState, Within};

#[tauri::command]
#[specta::specta]
pub async fn list_templates(state: State<'_, AppState>) -> Result<Vec<Template>> {
    state.with_ctx(move |cx| Ok(templates::list(cx.store)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_template(state: State<'_, AppState>, draft: TemplateDraft) -> Result<Template> {
    state.with_ctx(move |cx| Ok(templates::create(cx.store, &draft, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_template(state: State<'_, AppState>, id: String, draft: TemplateDraft) -> Result<Template> {
    state.with_ctx(move |cx| Ok(templates::update(cx.store, &id, &draft, cx.now)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_template(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_ctx(move |cx| Ok(templates::delete(cx.store, &id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn reset_template(state: State<'_, AppState>, id: String) -> Result<Template> {
    state.with_ctx(move |cx| Ok(templates::reset_builtin(cx.store, &id, cx.now)?)).await
}

/// The checklist or template as text, to copy or save.
#[tauri::command]
#[specta::specta]
pub async fn export_checklist_text(state: State<'_, AppState>, release_id: String, format: FileFormat) -> Result<String> {
    state
        .with_ctx(move |cx| Ok(transfer::export_checklist(cx.store, &release_id, format, cx.now, cx.today)?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn export_template_text(state: State<'_, AppState>, template_id: String, format: FileFormat) -> Result<String> {
    state.with_ctx(move |cx| Ok(transfer::export_template(cx.store, &template_id, format, cx.now)?)).await
}

/// Where to suggest saving: the Downloads folder (else home), named after
/// the release or template.
#[tauri::command]
#[specta::specta]
pub async fn suggested_checklist_path(
    app: AppHandle,
    state: State<'_, AppState>,
    release_id: Option<String>,
    template_id: Option<String>,
    format: FileFormat,
) -> Result<String> {
    let dir = app.path().download_dir().or_else(|_| app.path().home_dir()).unwrap_or_else(|_| PathBuf::from("."));
    state
        .with_ctx(move |cx| {
            let name = match (release_id, template_id) {
                (Some(id), _) => {
                    let r = releases::get(cx.store, &id)?;
                    format!("{} {}", r.version, r.name)
                }
                (None, Some(id)) => templates::get(cx.store, &id)?.name,
                (None, None) => "checklist".to_owned(),
            };
            Ok(dir.join(transfer::file_name(&name, format)).display().to_string())
        })
        .await
}

/// Saves a release's checklist, or a template, to `path` (from the Save
/// dialog, which has asked before replacing a file); returns the path.
#[tauri::command]
#[specta::specta]
pub async fn save_checklist_file(
    state: State<'_, AppState>,
    release_id: Option<String>,
    template_id: Option<String>,
    format: FileFormat,
    path: String,
) -> Result<String> {
    let path = state
        .with_ctx(move |cx| {
            let text = match (release_id, template_id) {
                (Some(id), _) => transfer::export_checklist(cx.store, &id, format, cx.now, cx.today)?,
                (None, Some(id)) => transfer::export_template(cx.store, &id, format, cx.now)?,
                (None, None) => return Err(ReleaseError::NotFound.into()),
            };
            files::write_replacing(Path::new(&path), text.as_bytes()).map_err(|message| ReleaseError::File { message, cause: None })?;
            Ok(path)
        })
        .await?;
    Ok(state.saved(path))
}

/// Makes a template from the file at `path`; returns it.
#[tauri::command]
#[specta::specta]
pub async fn import_template(state: State<'_, AppState>, path: String) -> Result<Template> {
    state.with_ctx(move |cx| Ok(transfer::import_template_file(cx.store, Path::new(&path), cx.now)?)).await
}

/// Adds the items of the file at `path` to a release's checklist; returns
/// how many.
#[tauri::command]
#[specta::specta]
pub async fn import_checklist(state: State<'_, AppState>, release_id: String, path: String, actor: Option<String>) -> Result<i32> {
    state
        .acting(actor, Within::Release(release_id.clone()), move |cx| {
            Ok(transfer::import_checklist_file(cx.store, &release_id, Path::new(&path), &cx.who, cx.now)? as i32)
        })
        .await
}
