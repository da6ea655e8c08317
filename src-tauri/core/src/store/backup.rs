//! Automatic backups with SQLite's online backup API.
//!
//! Backups are complete databases in `<data>/backups/`, named
//! `liftoff-<UTC stamp>-<reason>.db`. One is written before every migration
//! and one a day; those older than the retention period are pruned, but the
//! newest few always stay. A backup is written to a temporary name and
//! renamed when complete, so a crash never leaves a half backup that looks
//! whole; what a crash or a power cut does leave (the database-sized
//! `.partial` and its journal) and what pruned backups leave beside them
//! (`-wal`, `-shm`) is removed by [`clean`], which the daily upkeep runs
//! before and after each backup.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};

use crate::clock;

/// How long backups are kept.
pub const KEEP_DAYS: i64 = 14;
/// Backups that are never pruned, however old.
pub const KEEP_AT_LEAST: usize = 3;

/// How long a `.partial` must have been left alone before [`clean`] takes
/// it for the remains of an interrupted backup. A backup in progress writes
/// to it all the time, and another process on the same data folder (the
/// command-line tool, before a migration) may be writing one right now.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60 * 60);

/// The files SQLite keeps beside a database while it is open or was not
/// closed cleanly.
const SIDECARS: [&str; 3] = ["-journal", "-wal", "-shm"];

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
    remove_with_sidecars(&partial);
    if let Err(e) = copy_into(conn, &partial) {
        // Nothing half-written stays behind.
        remove_with_sidecars(&partial);
        return Err(e);
    }
    fs::rename(&partial, &path).map_err(|e| {
        remove_with_sidecars(&partial);
        io_as_sqlite(&e)
    })?;
    Ok(path)
}

/// Copies the database behind `conn` into a new database at `to`.
fn copy_into(conn: &Connection, to: &Path) -> rusqlite::Result<()> {
    let mut dest = Connection::open(to)?;
    let backup = rusqlite::backup::Backup::new(conn, &mut dest)?;
    // All pages in one step: from a read connection in WAL mode that
    // copies one snapshot while writes go on (in small steps, every
    // commit of the writer would restart the copy).
    let mut waits = 0;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
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

/// Removes a database file and its SQLite side files; returns those removed.
fn remove_with_sidecars(path: &Path) -> Vec<PathBuf> {
    let sidecars = SIDECARS.iter().map(|s| PathBuf::from(format!("{}{s}", path.display())));
    std::iter::once(path.to_owned()).chain(sidecars).filter(|p| fs::remove_file(p).is_ok()).collect()
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
            let taken_at = taken_at(path.file_name()?.to_str()?)?;
            Some(BackupFile { path, taken_at })
        })
        .collect();
    found.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.path.cmp(&a.path)));
    found
}

/// When the backup named `name` was taken; `None` for a name that is not a
/// backup's.
fn taken_at(name: &str) -> Option<DateTime<Utc>> {
    let rest = name.strip_prefix("liftoff-")?.strip_suffix(".db")?;
    clock::from_file_stamp(rest.get(..16)?)
}

/// Whether a daily backup is due: none yet, or the newest is a day old.
pub fn daily_due(dir: &Path, now: DateTime<Utc>) -> bool {
    match list(dir).first() {
        Some(newest) => now - newest.taken_at >= chrono::Duration::hours(24),
        None => true,
    }
}

/// Deletes backups older than `KEEP_DAYS`, keeping the newest `KEEP_AT_LEAST`,
/// each with its SQLite side files. Returns the backups it removed.
pub fn prune(dir: &Path, now: DateTime<Utc>) -> Vec<PathBuf> {
    let cutoff = now - chrono::Duration::days(KEEP_DAYS);
    list(dir)
        .into_iter()
        .skip(KEEP_AT_LEAST)
        .filter(|b| b.taken_at < cutoff)
        .filter(|b| remove_with_sidecars(&b.path).contains(&b.path))
        .map(|b| b.path)
        .collect()
}

/// Removes what interrupted and pruned backups leave in `dir`: a
/// `.partial` with its side files once none of them has been written to
/// for [`ABANDONED_AFTER`], and the `-journal`, `-wal` and `-shm` of a
/// backup that is gone. Backups, the side files of backups that are still
/// there, and files that are not Liftoff's stay. Returns the files removed.
pub fn clean(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.starts_with("liftoff-")).collect();
    let mut removed = Vec::new();
    // Interrupted backups: each `.partial` with its side files, by the last
    // write to any of them.
    let mut partials: Vec<&str> = names.iter().filter_map(|n| n.find(".db.partial").map(|i| &n[..i + ".db.partial".len()])).collect();
    partials.sort_unstable();
    partials.dedup();
    for partial in partials {
        let group: Vec<&String> = names.iter().filter(|n| n.strip_prefix(partial).is_some_and(|rest| rest.is_empty() || SIDECARS.contains(&rest))).collect();
        let last_write = group.iter().filter_map(|n| fs::metadata(dir.join(n)).and_then(|m| m.modified()).ok()).max();
        let abandoned = last_write.is_some_and(|t| SystemTime::now().duration_since(t).is_ok_and(|age| age >= ABANDONED_AFTER));
        if abandoned {
            removed.extend(group.iter().map(|n| dir.join(n)).filter(|p| fs::remove_file(p).is_ok()));
        }
    }
    // Side files whose backup is gone.
    for name in &names {
        let Some(db) = SIDECARS.iter().find_map(|s| name.strip_suffix(s)) else { continue };
        if taken_at(db).is_some() && !dir.join(db).exists() && fs::remove_file(dir.join(name)).is_ok() {
            removed.push(dir.join(name));
        }
    }
    removed
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

    /// Sets when `path` was last written.
    fn written_ago(path: &Path, ago: Duration) {
        fs::File::options().write(true).open(path).unwrap().set_modified(SystemTime::now() - ago).unwrap();
    }

    #[test]
    fn pruning_takes_a_backups_side_files_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let old = write(&db_with_row(), dir.path(), "daily", start).unwrap();
        for day in 1..=3 {
            write(&db_with_row(), dir.path(), "daily", start + chrono::Duration::days(day)).unwrap();
        }
        for side in ["-wal", "-shm"] {
            fs::write(format!("{}{side}", old.display()), b"x").unwrap();
        }
        assert_eq!(prune(dir.path(), start + chrono::Duration::days(365)), std::slice::from_ref(&old));
        let mut left: Vec<String> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["liftoff-20260102T000000Z-daily.db", "liftoff-20260103T000000Z-daily.db", "liftoff-20260104T000000Z-daily.db"]);
    }

    #[test]
    fn clean_removes_abandoned_partials_and_orphaned_side_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        let backup = write(&db_with_row(), dir.path(), "daily", now).unwrap();
        let file = |name: &str| {
            let path = dir.path().join(name);
            fs::write(&path, b"x").unwrap();
            path
        };
        // A backup cut short two hours ago, with its journal.
        let cut = [file("liftoff-20261121T080000Z-daily.db.partial"), file("liftoff-20261121T080000Z-daily.db.partial-journal")];
        // Only the journal left of another: the last write counts.
        let journal_only = file("liftoff-20261120T080000Z-daily.db.partial-journal");
        for path in cut.iter().chain([&journal_only]) {
            written_ago(path, ABANDONED_AFTER + Duration::from_secs(3600));
        }
        // One being written now (its journal untouched for a while).
        let running = [file("liftoff-20261122T080000Z-before-v13.db.partial"), file("liftoff-20261122T080000Z-before-v13.db.partial-journal")];
        written_ago(&running[1], ABANDONED_AFTER * 2);
        // What a pruned backup left, and what a kept one has beside it.
        let orphans = [file("liftoff-20261101T080000Z-daily.db-wal"), file("liftoff-20261101T080000Z-daily.db-shm")];
        let beside = file(&format!("{}-wal", backup.file_name().unwrap().to_str().unwrap()));
        let foreign = [file("notes.db-wal"), file("liftoff-notes.db.partial.txt"), file("liftoff-notes.db-wal")];
        for path in &foreign {
            written_ago(path, ABANDONED_AFTER * 2);
        }

        let mut removed = clean(dir.path());
        removed.sort();
        let mut expected: Vec<PathBuf> = cut.iter().chain(orphans.iter()).chain([&journal_only]).cloned().collect();
        expected.sort();
        assert_eq!(removed, expected);
        for kept in running.iter().chain(foreign.iter()).chain([&backup, &beside]) {
            assert!(kept.exists(), "{} was removed", kept.display());
        }
        assert_eq!(list(dir.path()).len(), 1);
    }

    #[test]
    fn foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "hi").unwrap();
        fs::write(dir.path().join("liftoff-garbage.db"), "x").unwrap();
        assert!(list(dir.path()).is_empty());
    }
}
