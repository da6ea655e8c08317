//! Files the user picked in a Save or Open dialog: written whole or not at
//! all, and read within a size limit; and what is wrong with a JSON file,
//! in words.

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
    let write_failed = |e: std::io::Error| {
        log::warn!("writing {} failed: {e}", path.display());
        write_problem(&e)
    };
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


/// Why a file could not be written, in words, without the OS's error text.
fn write_problem(e: &std::io::Error) -> String {
    const NO_SPACE: i32 = 28; // ENOSPC
    const READ_ONLY: i32 = 30; // EROFS
    match (e.kind(), e.raw_os_error()) {
        (std::io::ErrorKind::PermissionDenied, _) => "Liftoff may not write in that folder. Choose a folder of yours, such as Documents or Downloads.".into(),
        (_, Some(NO_SPACE)) => "The disk is full. Free some space, or choose a folder on another disk.".into(),
        (_, Some(READ_ONLY)) => "That folder is on a read-only disk. Choose another folder.".into(),
        _ => "Liftoff could not write the file. Check that the folder is writable and has space, then try again.".into(),
    }
}

/// What is wrong with text that is not JSON at all, in words, with its line:
/// "it ends in the middle of a text on line 47". For a message; the parser's
/// own words belong in the detail.
pub fn json_syntax_problem(e: &serde_json::Error) -> String {
    let line = e.line();
    let text = e.to_string();
    if e.is_eof() {
        if text.contains("parsing a string") {
            format!("it ends in the middle of a text on line {line}")
        } else {
            format!("it ends too early, on line {line}: the rest is missing")
        }
    } else if text.contains("trailing comma") {
        format!("there is a comma too many on line {line}")
    } else if text.contains("control character") {
        format!("a text on line {line} has a line break or tab in it, which JSON writes as \\n or \\t")
    } else if text.contains("trailing characters") {
        format!("there is more after its end, on line {line}")
    } else {
        format!("there is a mistake on line {line}, column {}, such as a missing comma or quote", e.column())
    }
}

/// What is wrong with a value in JSON that is otherwise fine, in words:
/// "the field “title” is missing". For a message; the detail keeps the
/// parser's words.
pub fn json_value_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or_default();
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    if let Some(field) = text.strip_prefix("missing field ").and_then(quoted) {
        format!("the field “{field}” is missing")
    } else if let Some(field) = text.strip_prefix("unknown field ").and_then(quoted) {
        format!("the field “{field}” is not one Liftoff knows")
    } else if let Some(value) = text.strip_prefix("unknown variant ").and_then(quoted) {
        format!("“{value}” is not one of the values Liftoff knows there")
    } else if let Some(rest) = text.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "something else"));
        format!("a value is {found} where Liftoff expects {expected}")
    } else if text.starts_with("duplicate field ") {
        match text.strip_prefix("duplicate field ").and_then(quoted) {
            Some(field) => format!("the field “{field}” appears twice"),
            None => "a field appears twice".into(),
        }
    } else {
        "a value is not what Liftoff expects there".into()
    }
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
    fn names() {
        assert_eq!(name_of(Path::new("/home/me/team.ics")), "team.ics");
    }

    #[test]
    fn json_problems_in_words() {
        let err = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        assert_eq!(json_syntax_problem(&err("{\n  \"title\": \"Backups")), "it ends in the middle of a text on line 2");
        assert_eq!(json_syntax_problem(&err("{\"a\": [1,")), "it ends too early, on line 1: the rest is missing");
        assert_eq!(json_syntax_problem(&err("{\"a\": 1,}")), "there is a comma too many on line 1");
        assert!(json_syntax_problem(&err("{\"a\" 1}")).starts_with("there is a mistake on line 1, column"));

        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Item {
            title: String,
            required: bool,
        }
        let value = |text: &str| json_value_problem(&serde_json::from_str::<Item>(text).unwrap_err());
        assert_eq!(value(r#"{"required": true}"#), "the field “title” is missing");
        assert_eq!(value(r#"{"title": "x", "required": "yes"}"#), "a value is string \"yes\" where Liftoff expects a boolean");
        assert_eq!(value(r#"{"title": "x", "required": true, "colour": 1}"#), "the field “colour” is not one Liftoff knows");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Northwind Billing (sample)", "x"), "northwind-billing-sample");
        assert_eq!(slug("!!!", "project"), "project");
    }
}
