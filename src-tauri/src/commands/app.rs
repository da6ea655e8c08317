use liftoff_core::projects::{self, Project, ProjectQuery};
use liftoff_core::time_zones;
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, Result};
use crate::state::{AppState, StartupReport};

/// What the first screen needs, in one answer: at start-up each question
/// to the backend costs a round trip through the webview of 10 ms or more,
/// and the page waited for two in turn.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FirstScreen {
    pub report: StartupReport,
    /// Every project, archived ones included (empty when the store did not
    /// open, or the list could not be read: see `projects_error`).
    pub projects: Vec<Project>,
    /// Why the list could not be read, when the store opened but it failed.
    pub projects_error: Option<AppError>,
}

/// What happened at startup (data folder, recovery, fatal problems) and
/// the project list. Answers once the database has opened.
#[tauri::command]
#[specta::specta]
pub async fn startup_report(state: State<'_, AppState>) -> Result<FirstScreen> {
    let report = state.startup_report().await?;
    if report.fatal.is_some() {
        return Ok(FirstScreen { report, projects: Vec::new(), projects_error: None });
    }
    let every = ProjectQuery { text: String::new(), include_archived: true };
    let (projects, projects_error) = match state.with_ctx(move |cx| Ok(projects::list(cx.store, &every)?)).await {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    Ok(FirstScreen { report, projects, projects_error })
}

/// Every IANA time zone name, sorted.
#[tauri::command]
#[specta::specta]
pub fn list_time_zones() -> Vec<String> {
    time_zones::all()
}

/// The zone to suggest for a new project: this computer's.
#[tauri::command]
#[specta::specta]
pub fn suggested_time_zone() -> String {
    time_zones::suggested(iana_time_zone::get_timezone().ok().as_deref())
}
