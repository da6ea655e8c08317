//! Files the user picked in a Save or Open dialog: written whole or not at
//! all, and read within a size limit.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Checks that `path` can take a file: absolute, in an existing folder, and
/// not a folder itself. On failure the message says what to do.
pub fn check_target(path: &Path) -> Result<(), String> {
    if !path.is_absolute() {
        return Err("Give the full path of the file, such as /home/me/Downloads/release.md.".into());
    }
    match path.parent() {
        Some(dir) if dir.is_dir() => {}
        _ => return Err("That folder does not exist. Choose an existing folder.".into()),
    }
    if path.is_dir() {
        return Err("That is a folder. Choose a file name.".into());
    }
    Ok(())
}

/// Writes `content` to `path` whole: into a new file beside it first, which
/// is then renamed over it, so that the file is either as it was or
/// completely new, never half written. An existing file is replaced (keeping
/// its permissions): the paths come from the Save dialog, which has asked
/// the user before choosing an existing file.
pub fn write_replacing(path: &Path, content: &[u8]) -> Result<(), String> {
    check_target(path)?;
    let write_failed = |e: std::io::Error| format!("Liftoff could not write the file ({e}). Check that the folder is writable and has space.");
    let (partial, mut file) = new_partial(path).map_err(write_failed)?;
    let written = (|| {
        file.write_all(content)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&partial, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(write_failed(e));
    }
    Ok(())
}

/// A new, empty file in `path`'s folder, named after it, that nothing else
/// is using.
fn new_partial(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let partial = path.with_file_name(format!(".{name}.{}-{n}.partial", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&partial) {
            Ok(file) => return Ok((partial, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Why a picked file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Larger than the limit: the importer says what its limit is, in its
    /// own words. The size in bytes.
    TooLarge(u64),
    /// Missing, unreadable or not text; the message says what to do.
    Unreadable(String),
}

impl ReadError {
    /// The message for the user, with `too_large` giving the importer's own
    /// words for a file over its limit.
    pub fn message(self, too_large: impl FnOnce(u64) -> String) -> String {
        match self {
            ReadError::TooLarge(bytes) => too_large(bytes),
            ReadError::Unreadable(message) => message,
        }
    }
}

/// Reads the text file at `path`, reading no more than `max_bytes` (and one
/// byte more, to know it is too large) whatever its size.
pub fn read_text(path: &Path, max_bytes: usize) -> Result<String, ReadError> {
    let unreadable = |m: &str| ReadError::Unreadable(m.to_owned());
    if !path.is_absolute() {
        return Err(unreadable("Give the full path of the file."));
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => unreadable("That file no longer exists. Pick it again."),
        std::io::ErrorKind::PermissionDenied => unreadable("Liftoff may not read that file (permission denied). Check its permissions, or copy it somewhere you can read."),
        _ => ReadError::Unreadable(format!("Liftoff could not read the file ({e}).")),
    })?;
    let meta = file.metadata().map_err(|e| ReadError::Unreadable(format!("Liftoff could not read the file ({e}).")))?;
    if meta.is_dir() {
        return Err(unreadable("That is a folder. Pick a file."));
    }
    if meta.len() > max_bytes as u64 {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Unreadable(format!("Liftoff could not read the file ({e}).")))?;
    // It may have grown since.
    if bytes.len() > max_bytes {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|_| {
        unreadable("The file is not UTF-8 text. Save it as UTF-8 (spreadsheets call it “CSV UTF-8”) and pick it again.")
    })
}

/// The last part of `path`, such as `team.ics`, to name what was imported.
pub fn name_of(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// A name fit for a file: lower case, words joined by dashes.
pub fn slug(name: &str, fallback: &str) -> String {
    let slug = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        fallback.to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        write_replacing(&path, b"one").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_replacing(&path, b"two, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two, longer");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "only the file itself");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_replacing(&path, b"new").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn refuses_what_is_not_a_file_in_an_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_replacing(&dir.path().join("missing/a.md"), b"x").unwrap_err().contains("folder does not exist"));
        assert!(write_replacing(Path::new("relative.md"), b"x").unwrap_err().contains("full path"));
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(write_replacing(&dir.path().join("sub"), b"x").unwrap_err().contains("is a folder"));
        assert!(dir.path().join("sub").is_dir());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing written beside it");
    }

    #[test]
    fn reads_text_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "été,1\n").unwrap();
        assert_eq!(read_text(&path, 100).unwrap(), "été,1\n");
        assert_eq!(read_text(&path, 3), Err(ReadError::TooLarge(8)));
        assert_eq!(read_text(&path, 3).unwrap_err().message(|b| format!("{b} bytes is too much")), "8 bytes is too much");
    }

    #[test]
    fn says_why_a_file_cannot_be_read() {
        let dir = tempfile::tempdir().unwrap();
        let message = |p: &Path| read_text(p, 100).unwrap_err().message(|_| unreachable!());
        assert!(message(&dir.path().join("gone.csv")).contains("no longer exists"));
        assert!(message(dir.path()).contains("is a folder"));
        assert!(message(Path::new("relative.csv")).contains("full path"));
        let latin1 = dir.path().join("latin1.csv");
        std::fs::write(&latin1, b"caf\xe9,1\n").unwrap();
        assert!(message(&latin1).contains("not UTF-8"));
    }

    #[test]
    fn names_and_slugs() {
        assert_eq!(name_of(Path::new("/home/me/team.ics")), "team.ics");
        assert_eq!(slug("Northwind Billing (sample)", "x"), "northwind-billing-sample");
        assert_eq!(slug("!!!", "project"), "project");
    }
}
