//! Keeps an open window current: what the store reports after each commit,
//! and what other processes commit to the same file, reaches the window as
//! one batched `DataChanged` event; the UI's caches refresh from it.
//!
//! Also the background upkeep that used to hold up start-up: the daily
//! backup and SQLite's integrity check run here, after the window is up.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use liftoff_core::rules::Kind;
use liftoff_core::store::ChangeSet;
use liftoff_core::Store;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime};
use tauri_specta::Event;

/// What changed in the database since the last event.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct DataChanged {
    pub changes: Vec<liftoff_core::store::Change>,
    /// Another process wrote: refresh whatever is shown.
    pub external: bool,
}

/// Changes closer together than this go out as one event.
const BATCH: Duration = Duration::from_millis(50);
/// How often to look for other processes' commits.
const POLL: Duration = Duration::from_millis(250);
/// How long the store must go unused before its caches are given back.
const RELEASE_AFTER: Duration = Duration::from_secs(5);

/// Forwards the store's change reports to the window, in batches, and looks
/// for other processes' commits a few times a second.
pub fn forward_changes<R: Runtime>(app: AppHandle<R>, store: &Arc<Store>) {
    let (tx, rx) = mpsc::channel::<ChangeSet>();
    store.subscribe(move |set| {
        // The receiver goes only when the app does.
        let _ = tx.send(set.clone());
    });
    let emitter = std::thread::Builder::new().name("data-changed".into()).spawn(move || {
        let mut pending: Option<ChangeSet> = None;
        let mut since = Instant::now();
        loop {
            let wait = match pending {
                Some(_) => BATCH.saturating_sub(since.elapsed()),
                None => Duration::from_secs(3600),
            };
            match rx.recv_timeout(wait) {
                Ok(set) => match pending.as_mut() {
                    Some(p) => p.merge(&set),
                    None => {
                        pending = Some(set);
                        since = Instant::now();
                    }
                },
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if pending.is_some() && since.elapsed() >= BATCH {
                let set = pending.take().unwrap_or_default();
                let event = DataChanged { changes: set.changes, external: set.external };
                if let Err(e) = event.emit(&app) {
                    log::warn!("could not tell the window what changed: {e}");
                }
            }
        }
    });
    if let Err(e) = emitter {
        log::warn!("could not start forwarding changes to the window: {e}");
    }

    let store = Arc::downgrade(store);
    let poller = std::thread::Builder::new().name("external-changes".into()).spawn(move || loop {
        std::thread::sleep(POLL);
        let Some(store) = store.upgrade() else { return };
        if let Err(e) = store.poll_external_changes() {
            log::warn!("could not look for other processes' changes: {e}");
        }
        // A few seconds after the last read or write, the pages SQLite
        // cached for it and the heap's free pages go back to the system.
        if store.release_memory_when_idle(RELEASE_AFTER) {
            log::debug!("idle: SQLite's page caches and the heap's free pages given back");
        }
    });
    if let Err(e) = poller {
        log::warn!("could not start looking for other processes' changes: {e}");
    }
}

/// The daily backup and the integrity check, away from start-up: first a
/// little after the window is up, then every `every`.
pub fn keep_up<F: Fn(BackgroundProblem) + Send + 'static>(store: &Arc<Store>, first: Duration, every: Duration, warn: F) {
    let store = Arc::downgrade(store);
    let spawned = std::thread::Builder::new().name("upkeep".into()).spawn(move || {
        std::thread::sleep(first);
        loop {
            let Some(store) = store.upgrade() else { return };
            match store.daily_maintenance(Utc::now()) {
                Ok(Some(path)) => log::info!("daily backup written to {}", path.display()),
                Ok(None) => {}
                Err(e) => warn(BackgroundProblem { message: format!("The daily backup could not be written: {e}"), detail: e.detail() }),
            }
            match store.integrity_problem() {
                Ok(None) => {}
                Ok(Some(problem)) => {
                    log::error!("integrity check: {problem}");
                    store.mark_suspect();
                    warn(BackgroundProblem {
                        message: "SQLite found damage in Liftoff's database. Restart Liftoff: it will set the damaged file aside and continue from the newest intact backup.".to_owned(),
                        detail: Some(problem),
                    });
                }
                Err(e) => log::warn!("integrity check could not run: {e}"),
            }
            drop(store);
            std::thread::sleep(every);
        }
    });
    if let Err(e) = spawned {
        log::warn!("could not start the daily backup: {e}");
    }
}

/// A problem found by background upkeep, for the window to show.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundProblem {
    pub message: String,
    /// The technical text behind the message, for "Details".
    pub detail: Option<String>,
}
