//! Thin `#[tauri::command]` adapters: take input, call the core, map errors.
//! No business logic lives here. Each goes through the one door
//! ([`crate::state::AppState::with_ctx`], or `acting` when it records who
//! acts), which hands it the store, who acts and the time.

pub mod announce;
pub mod app;
pub mod connection;
pub mod credentials;
pub mod deploys;
pub mod environments;
pub mod monitor_maturity;
pub mod files;
pub mod monitor_board;
pub mod monitor_evidence;
pub mod monitor_metrics;
pub mod people;
pub mod planning;
pub mod projects;
pub mod releases;
pub mod schedules;
pub mod sharing;
pub mod templates;
