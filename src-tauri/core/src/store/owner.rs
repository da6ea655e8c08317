//! Which processes have the database open: each one holds a file of its
//! own in `liftoff.db.open.d/`, locked for as long as it runs.
//!
//! The lock is an OS file lock (`flock` on Unix, `LockFileEx` on Windows,
//! through `std::fs::File::try_lock`): the kernel releases it when its
//! process dies, however it dies, so a marker whose lock can be taken
//! belongs to a process that ended without closing the database. A process
//! id alone cannot say that: after a crash the number may be reused by an
//! unrelated process. The file's name, the **owner token**, names the
//! process in the database too (a run's owner), so a lock or a run is never
//! held by a reused pid.
//!
//! - a marker left unlocked means its process crashed: the next process to
//!   open the database runs the integrity check, then removes the marker;
//! - a process that closes cleanly removes only its own marker, and folds
//!   the WAL back into the file only when no other process has it open.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The folder of markers, beside the database.
pub const OPEN_DIR: &str = "liftoff.db.open.d";
/// The single marker older versions wrote (shared by every process).
pub const LEGACY_MARKER: &str = "liftoff.db.open";

/// This process's marker, locked while it lives.
#[derive(Debug)]
pub struct Mark {
    token: String,
    path: PathBuf,
    file: Option<File>,
}

impl Mark {
    /// Creates and locks this process's marker.
    pub fn take(data_dir: &Path) -> std::io::Result<Mark> {
        let dir = data_dir.join(OPEN_DIR);
        fs::create_dir_all(&dir)?;
        let token = format!("{}-{}", std::process::id(), &uuid::Uuid::now_v7().simple().to_string()[20..]);
        let path = dir.join(&token);
        let file = OpenOptions::new().create(true).truncate(true).write(true).open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(std::io::Error::other("the new marker is locked by another process")),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        Ok(Mark { token, path, file: Some(file) })
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Removes the marker (a clean close).
    pub fn remove(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }

    /// Gives the lock up and leaves the marker, as a crash would: the next
    /// process to open the database checks it.
    pub fn abandon(&mut self) {
        self.file.take();
    }
}

/// Whether the process with this token still has the database open.
pub fn alive(data_dir: &Path, token: &str) -> bool {
    if token.is_empty() || token.contains(['/', '\\']) || token.starts_with('.') {
        return false;
    }
    held(&data_dir.join(OPEN_DIR).join(token))
}

/// A marker whose lock cannot be taken is held by a live process. One that
/// cannot be opened is gone (its process closed cleanly).
fn held(path: &Path) -> bool {
    let Ok(file) = OpenOptions::new().read(true).open(path) else { return false };
    match file.try_lock() {
        Ok(()) => false,
        Err(TryLockError::WouldBlock) => true,
        // Locks not supported here: count it as live rather than steal it.
        Err(TryLockError::Error(_)) => true,
    }
}

/// The markers of processes that ended without closing the database, and
/// whether another process has it open now (besides `except`).
pub fn survey(data_dir: &Path, except: Option<&str>) -> (Vec<PathBuf>, bool) {
    let mut dead = Vec::new();
    let mut others = false;
    let Ok(entries) = fs::read_dir(data_dir.join(OPEN_DIR)) else { return (dead, others) };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if except.is_some_and(|e| name.to_str() == Some(e)) {
            continue;
        }
        if held(&entry.path()) {
            others = true;
        } else {
            dead.push(entry.path());
        }
    }
    (dead, others)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_is_alive_while_held_and_dead_once_abandoned() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Mark::take(dir.path()).unwrap();
        let mut b = Mark::take(dir.path()).unwrap();
        assert_ne!(a.token(), b.token());
        assert!(alive(dir.path(), a.token()));
        assert_eq!(survey(dir.path(), Some(b.token())), (vec![], true));
        a.abandon();
        assert!(!alive(dir.path(), a.token()), "an unlocked marker is a crashed process's");
        let (dead, others) = survey(dir.path(), Some(b.token()));
        assert_eq!(dead.len(), 1);
        assert!(!others);
        b.remove();
        assert!(!alive(dir.path(), b.token()));
        assert!(!alive(dir.path(), "../x") && !alive(dir.path(), ""));
    }
}
