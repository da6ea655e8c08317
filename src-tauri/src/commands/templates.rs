//! Checklist templates, and checklists and templates as files.

use std::path::{Path, PathBuf};

use chrono::{Local, Utc};
use liftoff_core::audit::Actor;
use liftoff_core::release::checklists::templates::{self, Template, TemplateDraft};
use liftoff_core::release::checklists::transfer::{self, FileFormat};
use liftoff_core::files;
use liftoff_core::release::{self as releases, ReleaseError};
use tauri::{AppHandle, Manager, State};

use crate::error::Result;
use crate::state::{local_user, AppState};

#[tauri::command]
#[specta::specta]
pub async fn list_templates(state: State<'_, AppState>) -> Result<Vec<Template>> {
    state.with_store(move |s| Ok(templates::list(s)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_template(state: State<'_, AppState>, draft: TemplateDraft) -> Result<Template> {
    state.with_store(move |s| Ok(templates::create(s, &draft, Utc::now())?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn update_template(state: State<'_, AppState>, id: String, draft: TemplateDraft) -> Result<Template> {
    state.with_store(move |s| Ok(templates::update(s, &id, &draft, Utc::now())?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_template(state: State<'_, AppState>, id: String) -> Result<()> {
    state.with_store(move |s| Ok(templates::delete(s, &id)?)).await
}

#[tauri::command]
#[specta::specta]
pub async fn reset_template(state: State<'_, AppState>, id: String) -> Result<Template> {
    state.with_store(move |s| Ok(templates::reset_builtin(s, &id, Utc::now())?)).await
}

/// The checklist or template as text, to copy or save.
#[tauri::command]
#[specta::specta]
pub async fn export_checklist_text(state: State<'_, AppState>, release_id: String, format: FileFormat) -> Result<String> {
    state
        .with_store(move |s| Ok(transfer::export_checklist(s, &release_id, format, Utc::now(), Local::now().date_naive())?))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn export_template_text(state: State<'_, AppState>, template_id: String, format: FileFormat) -> Result<String> {
    state.with_store(move |s| Ok(transfer::export_template(s, &template_id, format, Utc::now())?)).await
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
        .with_store(move |s| {
            let name = match (release_id, template_id) {
                (Some(id), _) => {
                    let r = releases::get(s, &id)?;
                    format!("{} {}", r.version, r.name)
                }
                (None, Some(id)) => templates::get(s, &id)?.name,
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
        .with_store(move |s| {
            let text = match (release_id, template_id) {
                (Some(id), _) => transfer::export_checklist(s, &id, format, Utc::now(), Local::now().date_naive())?,
                (None, Some(id)) => transfer::export_template(s, &id, format, Utc::now())?,
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
    state.with_store(move |s| Ok(transfer::import_template_file(s, Path::new(&path), Utc::now())?)).await
}

/// Adds the items of the file at `path` to a release's checklist; returns
/// how many.
#[tauri::command]
#[specta::specta]
pub async fn import_checklist(state: State<'_, AppState>, release_id: String, path: String, actor: Option<String>) -> Result<i32> {
    state
        .with_store(move |s| {
            let who = Actor::for_release(&*s.reader()?, &release_id, actor.as_deref(), &local_user())?;
            Ok(transfer::import_checklist_file(s, &release_id, Path::new(&path), &who, Utc::now())? as i32)
        })
        .await
}
