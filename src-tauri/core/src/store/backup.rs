//! Automatic backups with SQLite's online backup API.
//!
//! Backups are complete databases in `<data>/backups/`, named
//! `liftoff-<UTC stamp>-<reason>.db`. One is written before every migration
//! and one a day; those older than the retention period are pruned, but the
//! newest few always stay. A backup is written to a temporary name and
//! renamed when complete, so a crash never leaves a half backup that looks
//! whole.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};

use crate::clock;

/// How long backups are kept.
pub const KEEP_DAYS: i64 = 14;
/// Backups that are never pruned, however old.
pub const KEEP_AT_LEAST: usize = 3;

#[derive(Debug, Clone)]
pub struct BackupFile {
    pub path: PathBuf,
    pub taken_at: DateTime<Utc>,
}

pub fn write(
    conn: &Connection,
    dir: &Path,
    reason: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<PathBuf> {
    let stamp = clock::to_file_stamp(now);
    let mut path = dir.join(format!("liftoff-{stamp}-{reason}.db"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("liftoff-{stamp}-{reason}-{n}.db"));
    }
    let partial = path.with_extension("db.partial");
    let _ = fs::remove_file(&partial);
    {
        let mut dest = Connection::open(&partial)?;
        let backup = rusqlite::backup::Backup::new(conn, &mut dest)?;
        // All pages in one step: from a read connection in WAL mode that
        // copies one snapshot while writes go on (in small steps, every
        // commit of the writer would restart the copy).
        let mut waits = 0;
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                // Something holds a lock; give it up to ten seconds.
                StepResult::Busy | StepResult::Locked if waits < 2000 => {
                    waits += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                StepResult::Busy | StepResult::Locked => {
                    return Err(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None))
                }
                _ => {}
            }
        }
    }
    fs::rename(&partial, &path).map_err(|e| io_as_sqlite(&e))?;
    Ok(path)
}

/// The backups in `dir`, newest first. Files that do not follow the naming
/// scheme are not Liftoff's and are ignored.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<BackupFile> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let name = path.file_name()?.to_str()?;
            let rest = name.strip_prefix("liftoff-")?.strip_suffix(".db")?;
            let taken_at = clock::from_file_stamp(rest.get(..16)?)?;
            Some(BackupFile { path, taken_at })
        })
        .collect();
    found.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.path.cmp(&a.path)));
    found
}

/// Whether a daily backup is due: none yet, or the newest is a day old.
pub fn daily_due(dir: &Path, now: DateTime<Utc>) -> bool {
    match list(dir).first() {
        Some(newest) => now - newest.taken_at >= chrono::Duration::hours(24),
        None => true,
    }
}

/// Deletes backups older than `KEEP_DAYS`, keeping the newest `KEEP_AT_LEAST`.
/// Returns the files it removed.
pub fn prune(dir: &Path, now: DateTime<Utc>) -> Vec<PathBuf> {
    let cutoff = now - chrono::Duration::days(KEEP_DAYS);
    list(dir)
        .into_iter()
        .skip(KEEP_AT_LEAST)
        .filter(|b| b.taken_at < cutoff)
        .filter_map(|b| fs::remove_file(&b.path).ok().map(|_| b.path))
        .collect()
}

/// Whether the file at `path` is a readable, intact SQLite database.
pub fn is_intact(path: &Path) -> bool {
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
        .map(|s| s == "ok")
        .unwrap_or(false)
}

fn io_as_sqlite(e: &std::io::Error) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
        Some(e.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn db_with_row() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);").unwrap();
        conn
    }

    #[test]
    fn backup_is_a_complete_database() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        let path = write(&db_with_row(), dir.path(), "daily", now).unwrap();
        assert!(path.ends_with("liftoff-20261122T080000Z-daily.db"));
        let copy = Connection::open(&path).unwrap();
        let x: i64 = copy.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 42);
        assert!(is_intact(&path));
    }

    #[test]
    fn daily_is_due_after_24_hours() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        assert!(daily_due(dir.path(), t0));
        write(&db_with_row(), dir.path(), "daily", t0).unwrap();
        assert!(!daily_due(dir.path(), t0 + chrono::Duration::hours(23)));
        assert!(daily_due(dir.path(), t0 + chrono::Duration::hours(24)));
    }

    #[test]
    fn prune_keeps_recent_and_the_newest_few() {
        let dir = tempfile::tempdir().unwrap();
        let conn = db_with_row();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for day in 0..5 {
            write(&conn, dir.path(), "daily", start + chrono::Duration::days(day)).unwrap();
        }
        // A year later all five are old, but the newest three stay.
        let removed = prune(dir.path(), start + chrono::Duration::days(365));
        assert_eq!(removed.len(), 2);
        let left: Vec<_> = list(dir.path()).into_iter().map(|b| b.taken_at).collect();
        assert_eq!(left.len(), 3);
        assert_eq!(left[0], start + chrono::Duration::days(4));
        // Within the retention period nothing goes.
        write(&conn, dir.path(), "daily", start + chrono::Duration::days(6)).unwrap();
        assert!(prune(dir.path(), start + chrono::Duration::days(7)).is_empty());
    }

    #[test]
    fn foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "hi").unwrap();
        fs::write(dir.path().join("liftoff-garbage.db"), "x").unwrap();
        assert!(list(dir.path()).is_empty());
    }
}
