use liftoff_core::time_zones;
use tauri::State;

use crate::error::Result;
use crate::state::{AppState, StartupReport};

/// What happened at startup: data folder, recovery, fatal problems. Answers
/// once the database has opened.
#[tauri::command]
#[specta::specta]
pub async fn startup_report(state: State<'_, AppState>) -> Result<StartupReport> {
    state.startup_report().await
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
