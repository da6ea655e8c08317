//! Writing exported files: whole or not at all, never over an existing file.

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
    let write_failed = |e: std::io::Error| format!("Liftoff could not write the file ({e}). Check that the folder is writable and has space.");
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
    fn slugs() {
        assert_eq!(slug("Northwind Billing (sample)", "x"), "northwind-billing-sample");
        assert_eq!(slug("!!!", "project"), "project");
    }
}
