//! The SQLite store: one file in the data folder, opened safely.
//!
//! Guarantees:
//! - the database is opened with WAL, `foreign_keys=ON`, `synchronous=FULL`
//!   and a busy timeout;
//! - a database written by a newer Liftoff is refused before anything is
//!   written to it;
//! - a damaged or unreadable database is never overwritten: it is renamed to
//!   `liftoff.db.corrupt-<stamp>` (with its `-wal`/`-shm`), and Liftoff goes
//!   on from the newest intact backup, or from a fresh database;
//! - pending migrations run in one transaction, after a backup.

pub mod backup;
mod changes;
pub mod column;
pub mod migrations;
pub mod owner;

pub use changes::{Change, ChangeKind, ChangeSet};

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::hooks::Action;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use serde::Serialize;

use crate::clock;
use crate::rules::{Cause, ErrorKind, Kind};

pub const DB_FILE: &str = "liftoff.db";
const BACKUP_DIR: &str = "backups";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Liftoff could not use its data folder {path}. Make sure the folder is writable, or choose another one with LIFTOFF_DATA_DIR.")]
    DataDir { path: String, source: std::io::Error },

    #[error("This database was written by a newer version of Liftoff (schema {found}; this version understands up to {supported}). Install the newer Liftoff, or start with another data folder (LIFTOFF_DATA_DIR). The file was left unchanged.")]
    NewerSchema { found: i64, supported: i64 },

    #[error("Another Liftoff is using the database at {path}. Close it and try again.")]
    InUse { path: String },

    #[error("The database at {path} is damaged ({problem}) and could not be moved aside. Move it away by hand and start Liftoff again.")]
    Quarantine { path: String, problem: String, source: std::io::Error },

    #[error("Liftoff moved a damaged database aside but could not start a new one at {path} ({problem}). Check the data folder's permissions and disk space, then start Liftoff again.")]
    RecoveryFailed { path: String, problem: String },

    #[error("Liftoff could not back up the database before upgrading it. Nothing was changed. Free some disk space and start Liftoff again.")]
    BackupBeforeMigration(#[source] Cause),

    #[error("Liftoff's database is busy: another Liftoff or the command-line tool is writing to it. Nothing was changed; try again in a moment.")]
    Busy,

    #[error("Liftoff's database is damaged. Nothing was changed. Restart Liftoff: it will set the damaged file aside and continue from the newest intact backup.")]
    Damaged(#[source] Cause),

    #[error("The database could not be read or written. Nothing was changed; try again, and if it keeps happening restart Liftoff.")]
    Sqlite(#[source] rusqlite::Error),

    /// One stored value does not read back (see [`column`]).
    #[error("Liftoff cannot read the {column} stored for {thing} {id}: the value is damaged (table {table}). Nothing was changed. Restore the database from a backup; Liftoff keeps them in the backups folder of its data folder.", thing = column::thing(table))]
    DamagedValue { table: &'static str, id: String, column: &'static str, source: Cause },
}

/// Set when SQLite reported damage while running. One database is open per
/// process, so a process-wide flag is enough: the store then keeps its
/// "open" marker at exit, and the next start checks and recovers the file.
static DAMAGE_SEEN: AtomicBool = AtomicBool::new(false);

impl From<rusqlite::Error> for StoreError {
    /// Keeps the kind of failure: busy is worth retrying, damage needs a
    /// restart, anything else is an I/O or SQL fault.
    fn from(e: rusqlite::Error) -> Self {
        if let Some(d) = column::damaged(&e) {
            return StoreError::DamagedValue { table: d.table, id: d.id.clone(), column: d.column, source: Cause(d.problem.clone()) };
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                DAMAGE_SEEN.store(true, Ordering::SeqCst);
                StoreError::Damaged(Cause::of(&e))
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl Kind for StoreError {
    fn kind(&self) -> ErrorKind {
        match self {
            StoreError::InUse { .. } | StoreError::Busy => ErrorKind::Conflict,
            StoreError::DamagedValue { .. } => ErrorKind::Damaged,
            _ => ErrorKind::Database,
        }
    }
}

/// What Liftoff did at startup about a damaged database, to tell the user.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Recovery {
    /// What was wrong with the file, in words.
    pub problem: String,
    /// Where the damaged file now is (it is kept, never overwritten).
    pub moved_to: String,
    /// The backup Liftoff continued from, if there was an intact one.
    pub restored_from: Option<String>,
    /// When that backup was taken (RFC 3339, UTC).
    pub restored_backup_taken_at: Option<String>,
}

pub struct Opened {
    pub store: Store,
    pub recovery: Option<Recovery>,
    /// Problems that did not stop Liftoff.
    pub warnings: Vec<String>,
    /// A process that had the database open ended without closing it, so
    /// the whole file was checked (and found sound, or recovered).
    pub checked_after_crash: bool,
}

/// The database handle: one writer connection, and read-only connections
/// beside it (WAL lets them read while a write is under way).
///
/// Invariants:
/// - every write goes through [`Store::write`]: one IMMEDIATE transaction,
///   committed only if the closure succeeds; the writable connection is never
///   handed out;
/// - reads run on read-only connections, so they never wait for a write;
/// - each committed write is reported to the listeners as a [`ChangeSet`],
///   after the commit and outside the writer's lock.
pub struct Store {
    writer: Mutex<Connection>,
    /// Tables the writer touched in the open transaction (the update hook).
    touched: Arc<Mutex<BTreeSet<String>>>,
    readers: Mutex<Vec<Connection>>,
    listeners: RwLock<Vec<Listener>>,
    /// The writer's `PRAGMA data_version` when last looked at: it changes
    /// only when another process commits.
    seen_data_version: Mutex<i64>,
    /// Set when damage was found while running: the next start checks the
    /// whole file and recovers.
    suspect: AtomicBool,
    /// Counts commits, ours and (once noticed) other processes'.
    generation: AtomicU64,
    data_dir: PathBuf,
    /// When a connection was last used (ms after `opened_at`), and whether
    /// the caches were given back since: see [`Store::release_memory_when_idle`].
    opened_at: Instant,
    last_used_ms: AtomicU64,
    released: AtomicBool,
    /// This process's "open" marker (see [`owner`]).
    mark: Mutex<owner::Mark>,
}

type Listener = Arc<dyn Fn(&ChangeSet) + Send + Sync>;

/// Idle read connections kept open; more are opened when needed.
const IDLE_READERS: usize = 4;

enum Problem {
    /// The file is not a usable database; recover from it.
    Damaged(String),
    /// Stop; the file must not be touched.
    Fatal(StoreError),
}

impl Store {
    /// Opens the store in `data_dir`, creating, migrating or recovering it.
    ///
    /// Start-up work only: SQLite's full integrity check runs here just
    /// after an unclean shutdown, and the daily backup is left to
    /// [`Store::daily_maintenance`], which callers run in the background.
    pub fn open_or_recover(data_dir: &Path, now: DateTime<Utc>) -> Result<Opened, StoreError> {
        let backups = data_dir.join(BACKUP_DIR);
        for dir in [data_dir, backups.as_path()] {
            fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let db_path = data_dir.join(DB_FILE);
        // Each process marks its own opening (see `owner`): a marker whose
        // process died means the file may be damaged, whoever else has it
        // open now.
        let legacy = data_dir.join(owner::LEGACY_MARKER);
        let (dead_marks, _) = owner::survey(data_dir, None);
        let unclean = !dead_marks.is_empty() || legacy.exists();
        if unclean {
            log::warn!("a process ended without closing the database; checking it");
        }

        let (mut conn, recovery) = match open_checked(&db_path, unclean) {
            Ok(conn) => (conn, None),
            Err(Problem::Fatal(e)) => return Err(e),
            Err(Problem::Damaged(problem)) => {
                let moved_to = quarantine(&db_path, now).map_err(|source| StoreError::Quarantine {
                    path: db_path.display().to_string(),
                    problem: problem.clone(),
                    source,
                })?;
                let restored = restore_newest_backup(&backups, &db_path);
                let conn = match open_checked(&db_path, true) {
                    Ok(conn) => conn,
                    Err(Problem::Fatal(e)) => return Err(e),
                    Err(Problem::Damaged(problem)) => {
                        return Err(StoreError::RecoveryFailed {
                            path: db_path.display().to_string(),
                            problem,
                        })
                    }
                };
                let recovery = Recovery {
                    problem,
                    moved_to: moved_to.display().to_string(),
                    restored_from: restored.as_ref().map(|b| b.path.display().to_string()),
                    restored_backup_taken_at: restored.as_ref().map(|b| clock::to_text(b.taken_at)),
                };
                log::warn!("recovered from a damaged database: {recovery:?}");
                (conn, Some(recovery))
            }
        };

        let version = migrations::current_version(&conn)?;
        if version < migrations::LATEST {
            if version > 0 {
                let reason = format!("before-v{}", migrations::LATEST);
                backup::write(&conn, &backups, &reason, now)
                    .map_err(|e| StoreError::BackupBeforeMigration(Cause::of(&e)))?;
            }
            migrations::migrate_to(&mut conn, migrations::LATEST)?;
        }
        let mark = owner::Mark::take(data_dir).map_err(|source| StoreError::DataDir { path: data_dir.join(owner::OPEN_DIR).display().to_string(), source })?;
        // Checked: the crashed processes' markers have done their work.
        for dead in &dead_marks {
            let _ = fs::remove_file(dead);
        }
        let _ = fs::remove_file(&legacy);

        let touched = Arc::new(Mutex::new(BTreeSet::new()));
        let hook_touched = touched.clone();
        conn.update_hook(Some(move |_: Action, _: &str, table: &str, _: i64| {
            lock(&hook_touched).insert(table.to_owned());
        }));
        let data_version = data_version(&conn)?;
        let store = Store {
            writer: Mutex::new(conn),
            touched,
            readers: Mutex::new(Vec::new()),
            listeners: RwLock::new(Vec::new()),
            seen_data_version: Mutex::new(data_version),
            suspect: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            data_dir: data_dir.to_owned(),
            mark: Mutex::new(mark),
            opened_at: Instant::now(),
            last_used_ms: AtomicU64::new(0),
            released: AtomicBool::new(false),
        };
        Ok(Opened { store, recovery, warnings: Vec::new(), checked_after_crash: unclean })
    }

    /// A read-only connection, for as long as the guard lives. Reads never
    /// wait for the writer.
    pub fn reader(&self) -> Result<Reader<'_>, StoreError> {
        let idle = lock(&self.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.db_path())?,
        };
        Ok(Reader { store: self, conn: Some(conn) })
    }

    /// Runs `f` on a read-only connection.
    pub fn read<T, E: From<StoreError>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let reader = self.reader()?;
        f(&reader)
    }

    /// Runs `f` in one IMMEDIATE transaction, committed only if `f`
    /// succeeds, and reports what changed once it is committed.
    ///
    /// Nothing slow belongs in `f`: no keychain, network, child process or
    /// dialog. Other writers wait for it.
    pub fn write<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.write_with(true, f)
    }

    /// As [`Store::write`], but the commit is not reported as a data
    /// change: for writes that a live stream already tells the window about
    /// (a running deploy's log and steps), so open pages do not reload
    /// several times a second. Other processes still notice the commit.
    pub fn write_unreported<T, E: From<rusqlite::Error>>(&self, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        self.write_with(false, f)
    }

    fn write_with<T, E: From<rusqlite::Error>>(&self, report: bool, f: impl FnOnce(&Tx) -> Result<T, E>) -> Result<T, E> {
        let (out, changes) = {
            let mut conn = lock(&self.writer);
            lock(&self.touched).clear();
            let tx = Tx { tx: conn.transaction_with_behavior(TransactionBehavior::Immediate)?, changes: RefCell::new(BTreeSet::new()) };
            // On an error, dropping the transaction rolls it back; what it
            // touched is cleared at the start of the next write.
            let out = f(&tx)?;
            let Tx { tx, changes } = tx;
            tx.commit()?;
            self.generation.fetch_add(1, Ordering::SeqCst);
            let mut changes = changes.into_inner();
            for table in std::mem::take(&mut *lock(&self.touched)) {
                if let Some(kind) = ChangeKind::of_table(&table) {
                    if !changes.iter().any(|c| c.kind == kind) {
                        changes.insert(Change { kind, project_id: None, id: None });
                    }
                }
            }
            (out, changes)
        };
        self.used();
        if report && !changes.is_empty() {
            self.notify(&ChangeSet { changes: changes.into_iter().collect(), external: false });
        }
        Ok(out)
    }

    /// A number that changes with every commit, ours or (once noticed by
    /// [`Store::poll_external_changes`]) another process's: what was read
    /// at one generation is current while it stays the same.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Calls `listener` after every committed write, with what changed.
    pub fn subscribe(&self, listener: impl Fn(&ChangeSet) + Send + Sync + 'static) {
        self.listeners.write().unwrap_or_else(|p| p.into_inner()).push(Arc::new(listener));
    }

    fn notify(&self, set: &ChangeSet) {
        let listeners: Vec<Listener> = self.listeners.read().unwrap_or_else(|p| p.into_inner()).clone();
        for listener in listeners {
            listener(set);
        }
    }

    /// Looks whether another process (the command-line tool, a second
    /// Liftoff) committed since the last look, and if so tells the
    /// listeners. Cheap: call it a few times a second.
    pub fn poll_external_changes(&self) -> Result<bool, StoreError> {
        let now = data_version(&lock(&self.writer))?;
        let mut seen = lock(&self.seen_data_version);
        if *seen == now {
            return Ok(false);
        }
        *seen = now;
        drop(seen);
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.notify(&ChangeSet { changes: vec![Change { kind: ChangeKind::Any, project_id: None, id: None }], external: true });
        Ok(true)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join(BACKUP_DIR)
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(migrations::current_version(&*self.reader()?)?)
    }

    /// Takes the daily backup if one is due and prunes old ones. Returns the
    /// new backup's path, if one was taken. Reads through its own connection,
    /// so writes go on meanwhile.
    ///
    /// Before and after, it removes what interrupted and pruned backups left
    /// ([`backup::clean`]): before, so that a database-sized `.partial` from
    /// a crash does not take the room the new backup needs. The upkeep runs
    /// this a minute after start and then hourly, so start-up stays quick.
    pub fn daily_maintenance(&self, now: DateTime<Utc>) -> Result<Option<PathBuf>, StoreError> {
        let dir = self.backups_dir();
        backup::clean(&dir);
        let taken = if backup::daily_due(&dir, now) {
            let reader = self.reader()?;
            let written = backup::write(&reader, &dir, "daily", now);
            // The copy read every page through this reader's cache.
            let _ = reader.release_memory();
            Some(written?)
        } else {
            None
        };
        backup::prune(&dir, now);
        backup::clean(&dir);
        Ok(taken)
    }

    /// SQLite's integrity check, for idle time. `None` when the file is sound.
    pub fn integrity_problem(&self) -> Result<Option<String>, StoreError> {
        let reader = self.reader()?;
        let checked = reader.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)).map_err(StoreError::from);
        // The check read every page through this reader's cache.
        let _ = reader.release_memory();
        match checked {
            Ok(check) => Ok((check != "ok").then_some(check)),
            // The check itself ran into damage.
            Err(StoreError::Damaged(problem)) => Ok(Some(problem.0)),
            Err(other) => Err(other),
        }
    }

    /// Gives back what the connections' page caches hold and what the
    /// process's heap has free. Each connection keeps up to 2 MB of the
    /// pages it read for as long as the app runs: the upkeep's backup and
    /// integrity check read the whole file (2.4 MB more after the first
    /// minute with the sample project), and a timeline of 50,000 items
    /// fills the caches of the readers that read it. The next reads fetch
    /// their pages again, from the OS's file cache. A write under way
    /// keeps the writer's cache (it is in use).
    pub fn release_memory(&self) {
        if let Ok(writer) = self.writer.try_lock() {
            let _ = writer.release_memory();
        }
        for conn in lock(&self.readers).iter() {
            let _ = conn.release_memory();
        }
        trim_heap();
    }

    /// [`Store::release_memory`], once no connection has been used for
    /// `idle_for`, and once only until one is used again. Cheap when there
    /// is nothing to do: the window's poller calls it a few times a second.
    /// True when it gave memory back.
    pub fn release_memory_when_idle(&self, idle_for: Duration) -> bool {
        if self.released.load(Ordering::SeqCst) {
            return false;
        }
        let last = self.last_used_ms.load(Ordering::SeqCst);
        if self.opened_at.elapsed().saturating_sub(Duration::from_millis(last)) < idle_for {
            return false;
        }
        self.release_memory();
        // A read or write that came meanwhile filled a cache again: the next
        // call gives that back too.
        if self.last_used_ms.load(Ordering::SeqCst) == last {
            self.released.store(true, Ordering::SeqCst);
        }
        true
    }

    fn used(&self) {
        self.last_used_ms.store(self.opened_at.elapsed().as_millis() as u64, Ordering::SeqCst);
        self.released.store(false, Ordering::SeqCst);
    }

    /// The bytes the writer's and the idle readers' page caches hold now
    /// (SQLite's `SQLITE_DBSTATUS_CACHE_USED`): what [`Store::release_memory`]
    /// gives back.
    pub fn cache_bytes(&self) -> usize {
        let used = |conn: &Connection| {
            let (mut current, mut high) = (0, 0);
            // SAFETY: the handle is valid while `conn` is borrowed; the call
            // only reads the connection's counters.
            let rc = unsafe { rusqlite::ffi::sqlite3_db_status(conn.handle(), rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED, &mut current, &mut high, 0) };
            if rc == rusqlite::ffi::SQLITE_OK { current.max(0) as usize } else { 0 }
        };
        used(&lock(&self.writer)) + lock(&self.readers).iter().map(used).sum::<usize>()
    }

    /// Asks the next start to check the whole file (and recover from a
    /// backup if it is damaged), however this run ends.
    pub fn mark_suspect(&self) {
        self.suspect.store(true, Ordering::SeqCst);
    }

    /// This process's owner token: names it as the owner of runs and
    /// locks (see [`owner`]).
    pub fn owner_token(&self) -> String {
        lock(&self.mark).token().to_owned()
    }

    /// Marks the database as closed cleanly by this process, so that the
    /// next start skips the integrity check. Call it when the app exits.
    /// Only the last process to close it folds the WAL back into the file.
    pub fn close_cleanly(&self) {
        let mut mark = lock(&self.mark);
        if self.suspect.load(Ordering::SeqCst) || DAMAGE_SEEN.load(Ordering::SeqCst) {
            // Left behind unlocked: the next start checks the file.
            mark.abandon();
            return;
        }
        let (_, others) = owner::survey(&self.data_dir, Some(mark.token()));
        if !others {
            if let Ok(conn) = self.writer.lock() {
                // Folds the WAL back into the file, as a last close would.
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            }
        }
        mark.remove();
    }

    /// Ends as a crash would (the marker left, its lock given up), for
    /// tests of what the next start does.
    #[doc(hidden)]
    pub fn abandon_for_tests(self) {
        lock(&self.mark).abandon();
        std::mem::forget(self);
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close_cleanly();
    }
}

/// The write transaction handed to [`Store::write`]. It derefs to the
/// connection, so `*_in(&Connection, …)` functions take it as it is.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    changes: RefCell<BTreeSet<Change>>,
}

impl Tx<'_> {
    /// Records what this write changed, for the change event. Tables the
    /// write touched are reported by kind even when nobody records them.
    pub fn changed(&self, kind: ChangeKind, project_id: Option<&str>, id: Option<&str>) {
        self.changes.borrow_mut().insert(Change {
            kind,
            project_id: project_id.map(str::to_owned),
            id: id.map(str::to_owned),
        });
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

/// A pooled read-only connection; it goes back to the pool when dropped.
pub struct Reader<'a> {
    store: &'a Store,
    conn: Option<Connection>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        self.store.used();
        if let Some(conn) = self.conn.take() {
            let mut idle = lock(&self.store.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
    }
}

/// A poisoned lock only means another thread panicked while holding it; the
/// data behind these locks (connections, sets) stays usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Returns the heap's free pages to the system (glibc keeps what was freed
/// in the middle of its heaps; `malloc_trim` gives whole free pages back).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own heaps; it takes their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "data_version", |r| r.get(0))
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Looks at the file's first bytes without SQLite: a file that is not a
/// database must be moved aside before SQLite opens it, because SQLite may
/// delete or rewrite the `-wal` beside it when it closes.
fn header_problem(path: &Path) -> Option<String> {
    use std::io::Read;
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    let mut file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(format!("the file cannot be read: {e}")),
    };
    let mut header = Vec::with_capacity(16);
    if let Err(e) = file.by_ref().take(16).read_to_end(&mut header) {
        return Some(format!("the file cannot be read: {e}"));
    }
    // An empty file is an empty database to SQLite.
    if header.is_empty() || header.as_slice() == MAGIC {
        None
    } else {
        Some("the file is not a SQLite database".into())
    }
}

/// Opens `path` and checks it before writing anything to it.
fn open_checked(path: &Path, full_check: bool) -> Result<Connection, Problem> {
    if let Some(problem) = header_problem(path) {
        return Err(Problem::Damaged(problem));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(|e| classify(e, path))?;

    // Reading the header finds a file that is not a database at all; the
    // version check must come before the first write.
    let found = migrations::current_version(&conn).map_err(|e| classify(e, path))?;
    if found > migrations::LATEST {
        return Err(Problem::Fatal(StoreError::NewerSchema {
            found,
            supported: migrations::LATEST,
        }));
    }
    // Reading the schema catches a damaged first page at once; the full
    // check reads every page, so it runs only after an unclean shutdown
    // (and at idle, through `integrity_problem`).
    let _: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| classify(e, path))?;
    if full_check {
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| classify(e, path))?;
        if check != "ok" {
            return Err(Problem::Damaged(format!("SQLite's integrity check failed: {check}")));
        }
        // The check read every page into this connection's cache (up to
        // SQLite's 2 MB), which would stay for as long as the app runs.
        let _ = conn.release_memory();
        trim_heap();
    }
    conn.pragma_update(None, "journal_mode", "WAL").map_err(|e| classify(e, path))?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(|e| classify(e, path))?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(|e| classify(e, path))?;
    Ok(conn)
}

fn classify(e: rusqlite::Error, path: &Path) -> Problem {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Problem::Damaged("the file is not a SQLite database".into()),
        Some(ErrorCode::DatabaseCorrupt) => Problem::Damaged("the file is corrupt".into()),
        Some(ErrorCode::CannotOpen) => Problem::Damaged("the file cannot be opened or read".into()),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            Problem::Fatal(StoreError::InUse { path: path.display().to_string() })
        }
        _ => Problem::Fatal(StoreError::from(e)),
    }
}

/// Renames the database and its WAL/SHM files to `…corrupt-<stamp>`.
fn quarantine(db_path: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let stamp = clock::to_file_stamp(now);
    let mut target = PathBuf::from(format!("{}.corrupt-{stamp}", db_path.display()));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = PathBuf::from(format!("{}.corrupt-{stamp}-{n}", db_path.display()));
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db_path.display()));
        if side.exists() {
            fs::rename(&side, format!("{}{suffix}", target.display()))?;
        }
    }
    fs::rename(db_path, &target)?;
    Ok(target)
}

/// Copies the newest intact backup to `db_path`. Damaged backups are skipped.
fn restore_newest_backup(backups: &Path, db_path: &Path) -> Option<backup::BackupFile> {
    for candidate in backup::list(backups) {
        if !backup::is_intact(&candidate.path) {
            log::warn!("skipping damaged backup {}", candidate.path.display());
            continue;
        }
        if fs::copy(&candidate.path, db_path).is_ok() {
            return Some(candidate);
        }
        let _ = fs::remove_file(db_path);
    }
    None
}
