//! What the shell holds while the app runs: the store once it has opened,
//! and what happened at startup, for the UI to show.
//!
//! The window paints before the database is touched: the store opens on a
//! background thread, and commands that need it wait for it there, off the
//! UI thread and off the async runtime.
//!
//! Every command goes through one door ([`AppState::with_ctx`], or
//! [`AppState::acting`] when it records who acts), which hands it a [`Ctx`]:
//! the store, the keychain, who acts and the time, resolved once here.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use tokio_util::sync::CancellationToken;

use chrono::{DateTime, Local, NaiveDate, Utc};
use liftoff_core::announce::{self, Owner};
use liftoff_core::audit::Actor;
use liftoff_core::deploy::runs;
use liftoff_core::environments;
use liftoff_core::planning::picture::DragChecks;
use liftoff_core::secrets::Keychain;
use liftoff_core::{Recovery, Store};
use serde::Serialize;

use crate::error::{AppError, ErrorCode, Result};

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StartupReport {
    pub data_dir: String,
    /// This computer's account, recorded as who acted when the user has not
    /// picked a person of the project ([`local_user`]).
    pub account: String,
    /// Set when the database was damaged and Liftoff recovered.
    pub recovery: Option<Recovery>,
    /// Problems that did not stop Liftoff.
    pub warnings: Vec<String>,
    /// Set when Liftoff cannot work at all (for example a database from a
    /// newer Liftoff); every other command then fails with this error.
    pub fatal: Option<AppError>,
}

/// The outcome of opening the store, once known.
pub struct Opening {
    pub store: Option<Arc<Store>>,
    pub report: StartupReport,
}

#[derive(Clone)]
pub struct AppState {
    opening: Arc<(Mutex<Option<Arc<Opening>>>, Condvar)>,
    /// The OS keychain: the only place credential values live.
    pub keychain: Keychain,
    /// The picture a dragged release window is judged against.
    pub drag_checks: Arc<DragChecks>,
    /// Deploy runs this window is executing, to cancel them.
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
    /// Files this window saved (exports), whose folders it may open.
    saved: Arc<Mutex<HashSet<PathBuf>>>,
}

impl AppState {
    /// A state whose store is still opening; [`AppState::opened`] completes it.
    pub fn opening(keychain: Keychain) -> Self {
        AppState { opening: Arc::new((Mutex::new(None), Condvar::new())), keychain, drag_checks: Arc::default(), running: Arc::default(), saved: Arc::default() }
    }

    /// Hands over the opened store (or why it did not open) and wakes every
    /// command waiting for it.
    pub fn opened(&self, opening: Opening) {
        let (slot, ready) = &*self.opening;
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(opening));
        ready.notify_all();
    }

    /// Blocks until the store has opened (or failed to). Call it off the
    /// async runtime.
    fn wait(&self) -> Arc<Opening> {
        let (slot, ready) = &*self.opening;
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(opening) = guard.as_ref() {
                return opening.clone();
            }
            guard = ready.wait(guard).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub fn running_insert(&self, run_id: &str, token: CancellationToken) {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).insert(run_id.to_owned(), token);
    }

    pub fn running_remove(&self, run_id: &str) {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(run_id);
    }

    /// Cancels a run this window executes; `false` if it is not one.
    pub fn running_cancel(&self, run_id: &str) -> bool {
        match self.running.lock().unwrap_or_else(|p| p.into_inner()).get(run_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Notes that Liftoff saved a file at `path`; returns it.
    pub fn saved(&self, path: String) -> String {
        self.saved.lock().unwrap_or_else(|p| p.into_inner()).insert(PathBuf::from(&path));
        path
    }

    /// Whether this window saved a file at `path`.
    pub fn did_save(&self, path: &std::path::Path) -> bool {
        self.saved.lock().unwrap_or_else(|p| p.into_inner()).contains(path)
    }

    /// The store, if it has opened by now (for shutdown, which must not wait).
    pub fn store_if_open(&self) -> Option<Arc<Store>> {
        let (slot, _) = &*self.opening;
        slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref().and_then(|o| o.store.clone())
    }

    /// The store once it has opened, for a command that works with it
    /// outside [`AppState::with_ctx`] (an async call to an engine); the
    /// startup's own error when it did not open.
    pub async fn opened_store(&self) -> Result<Arc<Store>> {
        let state = self.clone();
        let opening = tauri::async_runtime::spawn_blocking(move || state.wait()).await.map_err(background_failed)?;
        opening.store.clone().ok_or_else(|| opening.report.fatal.clone().unwrap_or_else(|| AppError::new(ErrorCode::Startup, "Liftoff's database is not open. Restart Liftoff.")))
    }

    /// What happened at startup, once the store has opened.
    pub async fn startup_report(&self) -> Result<StartupReport> {
        let state = self.clone();
        tauri::async_runtime::spawn_blocking(move || state.wait().report.clone()).await.map_err(background_failed)
    }

    /// The one door of the commands: runs `f` on a blocking thread, off the
    /// async runtime, once the store has opened, with a [`Ctx`] whose `who`
    /// is this computer's user (for commands that record no one, or that
    /// the window asks without naming a person).
    pub async fn with_ctx<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx) -> Result<T> + Send + 'static,
    {
        self.door(None, f).await
    }

    /// [`AppState::with_ctx`] for a command that records who acts: `person`
    /// is the project person the window says the user is (`None` for this
    /// computer's user), checked against the project of `within` before
    /// `f` runs.
    pub async fn acting<T, F>(&self, person: Option<String>, within: Within, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx) -> Result<T> + Send + 'static,
    {
        self.door(Some((person, within)), f).await
    }

    async fn door<T, F>(&self, acting: Option<(Option<String>, Within)>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx) -> Result<T> + Send + 'static,
    {
        let state = self.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let opening = state.wait();
            let Some(store) = &opening.store else {
                return Err(opening.report.fatal.clone().unwrap_or_else(|| {
                    AppError::new(ErrorCode::Startup, "Liftoff's database is not open. Restart Liftoff.")
                }));
            };
            let who = match acting {
                Some((person, within)) => within.actor(store, person.as_deref())?,
                None => Actor { person_id: None, name: local_user() },
            };
            let clock: fn() -> DateTime<Utc> = Utc::now;
            let now = clock();
            let cx = Ctx { store, keychain: &state.keychain, who, now, today: now.with_timezone(&Local).date_naive(), clock };
            f(&cx)
        })
        .await
        .map_err(background_failed)?
    }
}

/// What every command works with, resolved once by the door
/// ([`AppState::with_ctx`], [`AppState::acting`]).
pub struct Ctx<'a> {
    pub store: &'a Store,
    /// The OS keychain, where credential values live.
    pub keychain: &'a Keychain,
    /// Who acts, as the audit log records them.
    pub who: Actor,
    /// When the command was asked: the one time its changes are stamped with.
    pub now: DateTime<Utc>,
    /// This computer's date at `now`, for what is judged by the day (gates, freezes).
    pub today: NaiveDate,
    /// The clock, for work that stamps as it goes (a send's deliveries).
    pub clock: fn() -> DateTime<Utc>,
}

/// What a command acts on, naming the project whose person may act.
pub enum Within {
    Project(String),
    Release(String),
    ChecklistItem(String),
    GateOverride(String),
    Draft(String),
    ChangeItem(String),
    Environment(String),
    Run(String),
}

impl Within {
    /// The one place a command's actor is resolved: the project person
    /// `person` (who must be in the project) or this computer's user.
    fn actor(&self, store: &Store, person: Option<&str>) -> Result<Actor> {
        let local = local_user();
        let release_of = |owner, id| Ok::<_, AppError>(announce::release_of(store, owner, id)?);
        let project_of_environment = |id| Ok::<_, AppError>(environments::get(store, id)?.project_id);
        Ok(match self {
            Within::Project(id) => Actor::resolve(&*store.reader()?, id, person, &local)?,
            Within::Release(id) => Actor::for_release(&*store.reader()?, id, person, &local)?,
            Within::ChecklistItem(id) => Actor::for_item(&*store.reader()?, id, person, &local)?,
            Within::GateOverride(id) => Actor::for_override(&*store.reader()?, id, person, &local)?,
            Within::Draft(id) => Actor::for_release(&*store.reader()?, &release_of(Owner::Draft, id)?, person, &local)?,
            Within::ChangeItem(id) => Actor::for_release(&*store.reader()?, &release_of(Owner::Item, id)?, person, &local)?,
            Within::Environment(id) => Actor::resolve(&*store.reader()?, &project_of_environment(id)?, person, &local)?,
            Within::Run(id) => {
                let run = runs::get(store, id)?;
                Actor::resolve(&*store.reader()?, &project_of_environment(&run.environment_id)?, person, &local)?
            }
        })
    }
}

fn background_failed(e: tauri::Error) -> AppError {
    AppError::new(ErrorCode::Internal, "A background task of Liftoff failed. Try again; if it keeps happening, restart Liftoff.").with_detail(e.to_string())
}

/// The computer's account name, recorded as "who" when the user has not
/// picked which person of the project they are.
pub use liftoff_core::audit::local_user;
