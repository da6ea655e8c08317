//! Exported and imported files: writing them whole or not at all, never
//! over an existing file; and what is wrong with a JSON file, in words.

use std::path::Path;

/// Writes `content` to `path`, which must be absolute, in an existing folder,
/// and not an existing file. On failure the message says what to do.
pub fn write_new(path: &Path, content: &[u8]) -> Result<(), String> {
    if !path.is_absolute() {
        return Err("Give the full path of the file, such as /home/me/Downloads/release.md.".into());
    }
    match path.parent() {
        Some(dir) if dir.is_dir() => {}
        _ => return Err("That folder does not exist. Choose an existing folder.".into()),
    }
    // Claim the name first: this fails if the file exists, even if it
    // appeared a moment ago. The content then replaces the empty claim whole.
    let exists = || "A file with that name already exists. Choose another name; Liftoff does not overwrite files.".to_owned();
    let write_failed = |e: std::io::Error| {
        log::warn!("writing {} failed: {e}", path.display());
        write_problem(&e)
    };
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists()),
        Err(e) => return Err(write_failed(e)),
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = std::fs::write(&partial, content).and_then(|_| std::fs::rename(&partial, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        let _ = std::fs::remove_file(path);
        return Err(write_failed(e));
    }
    Ok(())
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
    fn never_overwrites_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        write_new(&path, b"one").unwrap();
        assert!(write_new(&path, b"two").unwrap_err().contains("already exists"));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert!(write_new(&dir.path().join("missing/a.md"), b"x").unwrap_err().contains("folder does not exist"));
        assert!(write_new(Path::new("relative.md"), b"x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
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
