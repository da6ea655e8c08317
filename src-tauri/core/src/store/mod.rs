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
pub mod migrations;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use serde::Serialize;

use crate::clock;

pub const DB_FILE: &str = "liftoff.db";
const BACKUP_DIR: &str = "backups";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Liftoff could not use its data folder {path}: {source}. Make sure the folder is writable, or choose another one with LIFTOFF_DATA_DIR.")]
    DataDir { path: String, source: std::io::Error },

    #[error("This database was written by a newer version of Liftoff (schema {found}; this version understands up to {supported}). Install the newer Liftoff, or start with another data folder (LIFTOFF_DATA_DIR). The file was left unchanged.")]
    NewerSchema { found: i64, supported: i64 },

    #[error("Another Liftoff is using the database at {path}. Close it and try again.")]
    InUse { path: String },

    #[error("The database at {path} is damaged ({problem}) and could not be moved aside: {source}. Move it away by hand and start Liftoff again.")]
    Quarantine { path: String, problem: String, source: std::io::Error },

    #[error("Liftoff moved a damaged database aside but could not start a new one at {path} ({problem}). Check the data folder's permissions and disk space, then start Liftoff again.")]
    RecoveryFailed { path: String, problem: String },

    #[error("Liftoff could not back up the database before upgrading it ({0}). Nothing was changed. Free some disk space and start Liftoff again.")]
    BackupBeforeMigration(String),

    #[error("The database could not be read or written: {0}. Nothing was changed; try again, and if it keeps happening restart Liftoff.")]
    Sqlite(#[from] rusqlite::Error),
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
    /// Problems that did not stop Liftoff (a daily backup that failed).
    pub warnings: Vec<String>,
}

pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
}

enum Problem {
    /// The file is not a usable database; recover from it.
    Damaged(String),
    /// Stop; the file must not be touched.
    Fatal(StoreError),
}

impl Store {
    /// Opens the store in `data_dir`, creating, migrating or recovering it.
    pub fn open_or_recover(data_dir: &Path, now: DateTime<Utc>) -> Result<Opened, StoreError> {
        let backups = data_dir.join(BACKUP_DIR);
        for dir in [data_dir, backups.as_path()] {
            fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let db_path = data_dir.join(DB_FILE);
        let existed = db_path.exists();

        let (conn, recovery, fresh) = match open_checked(&db_path) {
            Ok(conn) => (conn, None, !existed),
            Err(Problem::Fatal(e)) => return Err(e),
            Err(Problem::Damaged(problem)) => {
                let moved_to = quarantine(&db_path, now).map_err(|source| StoreError::Quarantine {
                    path: db_path.display().to_string(),
                    problem: problem.clone(),
                    source,
                })?;
                let restored = restore_newest_backup(&backups, &db_path);
                let conn = match open_checked(&db_path) {
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
                (conn, Some(recovery), restored.is_none())
            }
        };

        let mut store = Store { conn, data_dir: data_dir.to_owned() };
        let version = migrations::current_version(&store.conn)?;
        if version < migrations::LATEST {
            if version > 0 {
                let reason = format!("before-v{}", migrations::LATEST);
                backup::write(&store.conn, &backups, &reason, now)
                    .map_err(|e| StoreError::BackupBeforeMigration(e.to_string()))?;
            }
            migrations::migrate_to(&mut store.conn, migrations::LATEST)?;
        }

        let mut warnings = Vec::new();
        if !fresh {
            if let Err(e) = store.daily_maintenance(now) {
                warnings.push(format!("The daily backup could not be written: {e}."));
            }
        }
        Ok(Opened { store, recovery, warnings })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one IMMEDIATE transaction, committed only if `f` succeeds.
    pub fn write<T, E: From<rusqlite::Error>>(&mut self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
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
        Ok(migrations::current_version(&self.conn)?)
    }

    /// Takes the daily backup if one is due and prunes old ones. Returns the
    /// new backup's path, if one was taken.
    pub fn daily_maintenance(&self, now: DateTime<Utc>) -> Result<Option<PathBuf>, StoreError> {
        let dir = self.backups_dir();
        let taken = if backup::daily_due(&dir, now) {
            Some(backup::write(&self.conn, &dir, "daily", now)?)
        } else {
            None
        };
        backup::prune(&dir, now);
        Ok(taken)
    }
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
fn open_checked(path: &Path) -> Result<Connection, Problem> {
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
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| classify(e, path))?;
    if check != "ok" {
        return Err(Problem::Damaged(format!("SQLite's integrity check failed: {check}")));
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
        _ => Problem::Fatal(StoreError::Sqlite(e)),
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
