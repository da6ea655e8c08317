//! What the shell holds while the app runs: the store (if it opened) and
//! what happened at startup, for the UI to show.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use liftoff_core::secrets::Keychain;
use liftoff_core::{Recovery, Store};
use serde::Serialize;

use crate::error::{AppError, ErrorCode, Result};

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupReport {
    pub data_dir: String,
    /// Set when the database was damaged and Liftoff recovered.
    pub recovery: Option<Recovery>,
    /// Problems that did not stop Liftoff.
    pub warnings: Vec<String>,
    /// Set when Liftoff cannot work at all (for example a database from a
    /// newer Liftoff); every other command then fails with this error.
    pub fatal: Option<AppError>,
}

pub struct AppState {
    store: Option<Arc<Mutex<Store>>>,
    /// The OS keychain: the only place credential values live.
    pub keychain: Keychain,
    pub startup: StartupReport,
}

impl AppState {
    pub fn new(store: Option<Store>, startup: StartupReport) -> Self {
        AppState { store: store.map(|s| Arc::new(Mutex::new(s))), keychain: Keychain::os(), startup }
    }

    /// Runs `f` with the store on a blocking thread, off the async runtime.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let Some(store) = self.store.clone() else {
            return Err(self.startup.fatal.clone().unwrap_or_else(|| {
                AppError::new(ErrorCode::Startup, "Liftoff's database is not open. Restart Liftoff.")
            }));
        };
        tauri::async_runtime::spawn_blocking(move || {
            let mut guard = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal, format!("A background task failed: {e}. Try again.")))?
    }

    /// Checks every `every` whether the daily backup is due, for as long as
    /// the app runs.
    pub fn keep_daily_backups(&self, every: Duration) {
        let Some(store) = self.store.clone() else { return };
        let spawned = std::thread::Builder::new().name("daily-backup".into()).spawn(move || loop {
            std::thread::sleep(every);
            let guard = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match guard.daily_maintenance(Utc::now()) {
                Ok(Some(path)) => log::info!("daily backup written to {}", path.display()),
                Ok(None) => {}
                Err(e) => log::warn!("daily backup failed: {e}"),
            }
        });
        if let Err(e) = spawned {
            log::warn!("could not start the daily backup thread: {e}");
        }
    }
}

/// The computer's account name, recorded as "who" when the user has not
/// picked which person of the project they are.
pub fn local_user() -> String {
    let from_vars = ["USER", "USERNAME", "LOGNAME"].iter().filter_map(|v| std::env::var(v).ok());
    // Without those (a service, a container), the home folder's name.
    let from_home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .and_then(|h| std::path::Path::new(&h).file_name().map(|n| n.to_string_lossy().into_owned()));
    from_vars
        .chain(from_home)
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "this computer's user".to_owned())
}
