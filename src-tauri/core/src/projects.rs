//! Projects: the products a lead ships.
//!
//! Every write validates its input here, whatever the UI already checked,
//! and reports problems per field so the UI can show them beside the input.
//! Nothing invalid is stored.

pub use crate::rules::FieldErrors;
use crate::rules::{ErrorKind, Kind};
use crate::rules::{escape_like, summarize};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::secrets::Keychain;
use crate::{clock, time_zones, Store, StoreError};

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;
pub const REPOSITORY_MAX: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    /// A local folder or a repository URL; empty when not set.
    pub repository: String,
    /// An IANA time zone name, such as `Europe/Berlin`.
    pub time_zone: String,
    /// When the project was archived (RFC 3339, UTC); archived projects are
    /// hidden from the default list but keep all their data.
    pub archived_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What the user types to create or edit a project.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectDraft {
    pub name: String,
    pub description: String,
    pub repository: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProjectQuery {
    /// Matches name, description and repository, ignoring case.
    pub text: String,
    pub include_archived: bool,
}

/// Problems with a draft, keyed by field name (`name`, `description`,
/// `repository`, `timeZone`).

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{}", summarize(.0))]
    Invalid(FieldErrors),
    #[error("That project no longer exists. It may have been deleted; the list has been refreshed.")]
    NotFound,
    #[error("A credential was added to this project while it was being deleted. Nothing more was deleted; delete the project again if you still want to.")]
    ChangedMeanwhile,
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialError),
    /// A fault while filling in the sample project; nothing of it is kept.
    #[error("Liftoff could not make the sample project. Nothing was kept; try again.")]
    Sample(#[source] crate::rules::Cause),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ProjectError {
    fn from(e: rusqlite::Error) -> Self {
        ProjectError::Store(StoreError::from(e))
    }
}

impl Kind for ProjectError {
    fn kind(&self) -> ErrorKind {
        match self {
            ProjectError::Invalid(_) => ErrorKind::Invalid,
            ProjectError::NotFound => ErrorKind::NotFound,
            ProjectError::ChangedMeanwhile => ErrorKind::Conflict,
            ProjectError::Credentials(e) => e.kind(),
            ProjectError::Sample(_) => ErrorKind::Internal,
            ProjectError::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            ProjectError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

pub fn list(store: &Store, query: &ProjectQuery) -> Result<Vec<Project>, ProjectError> {
    let pattern = format!("%{}%", escape_like(query.text.trim()));
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, description, repository, time_zone, archived_at, created_at, updated_at
         FROM projects
         WHERE (?1 OR archived_at IS NULL)
           AND (name LIKE ?2 ESCAPE '\\' OR description LIKE ?2 ESCAPE '\\'
                OR repository LIKE ?2 ESCAPE '\\')
         ORDER BY archived_at IS NOT NULL, name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map(params![query.include_archived, pattern], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(store: &Store, id: &str) -> Result<Project, ProjectError> {
    get_in(&*store.reader()?, id)?.ok_or(ProjectError::NotFound)
}

/// Every project's name (archived ones too): names are unique.
pub(crate) fn names_in(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM projects")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect();
    names
}

/// The zone a project's times are written in (UTC for a project that is
/// gone or names a zone Liftoff does not know).
pub(crate) fn time_zone_in(conn: &Connection, id: &str) -> rusqlite::Result<chrono_tz::Tz> {
    let name: Option<String> = conn.query_row("SELECT time_zone FROM projects WHERE id = ?1", params![id], |r| r.get(0)).optional()?;
    Ok(clock::zone(name.as_deref().unwrap_or("UTC")))
}

pub fn create(store: &Store, draft: &ProjectDraft, now: DateTime<Utc>) -> Result<Project, ProjectError> {
    store.write(|tx| create_in(tx, draft, now))
}

/// Writes a new project row of a checked draft (no environments).
pub(crate) fn insert_in(tx: &Connection, id: &str, clean: &ProjectDraft, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO projects (id, name, description, repository, time_zone, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![id, clean.name, clean.description, clean.repository, clean.time_zone, at],
    )?;
    Ok(())
}

/// [`create`] inside the caller's transaction.
pub(crate) fn create_in(tx: &Connection, draft: &ProjectDraft, now: DateTime<Utc>) -> Result<Project, ProjectError> {
    let clean = validate(draft)?;
    ensure_name_free(tx, &clean.name, None)?;
    let id = uuid::Uuid::now_v7().to_string();
    insert_in(tx, &id, &clean, &clock::to_text(now))?;
    crate::environments::insert_defaults(tx, &id, now)?;
    let project = get_in(tx, &id)?.ok_or(ProjectError::NotFound)?;
    Ok(project)
}

/// Edits a project inside the caller's transaction, of a validated draft.
/// Its name is in its announcements: edit through
/// [`crate::announce::update_project`], which applies the approval rule.
pub(crate) fn update_in(tx: &rusqlite::Connection, id: &str, clean: &ProjectDraft, now: DateTime<Utc>) -> Result<Project, ProjectError> {
    ensure_name_free(tx, &clean.name, Some(id))?;
    let changed = tx.execute(
        "UPDATE projects SET name = ?2, description = ?3, repository = ?4, time_zone = ?5, updated_at = ?6
         WHERE id = ?1",
        params![id, clean.name, clean.description, clean.repository, clean.time_zone, clock::to_text(now)],
    )?;
    if changed == 0 {
        return Err(ProjectError::NotFound);
    }
    let project = get_in(tx, id)?.ok_or(ProjectError::NotFound)?;
    Ok(project)
}

/// Archives (`true`) or restores (`false`) a project.
pub fn set_archived(store: &Store, id: &str, archived: bool, now: DateTime<Utc>) -> Result<Project, ProjectError> {
    let at = clock::to_text(now);
    let changed = store.write(|tx| tx.execute(
        "UPDATE projects SET archived_at = CASE WHEN ?2 THEN ?3 ELSE NULL END, updated_at = ?3 WHERE id = ?1",
        params![id, archived, at],
    ))?;
    if changed == 0 {
        return Err(ProjectError::NotFound);
    }
    get(store, id)
}

/// Deletes a project and everything that belongs to it, its credentials'
/// keychain entries first. If the keychain refuses some, the project and
/// what still holds them stay, and the error says why.
pub fn delete(store: &Store, keychain: &Keychain, id: &str) -> Result<(), ProjectError> {
    get(store, id)?;
    let environment_ids: Vec<String> = crate::environments::list_in(&*store.reader()?, id)?.into_iter().map(|e| e.id).collect();
    for environment_id in environment_ids {
        crate::credentials::delete_all_in_environment(store, keychain, &environment_id)?;
    }
    store.write(|tx| {
        // A credential added meanwhile would lose its keychain entry's row.
        let credentials: i64 = tx.query_row(
            "SELECT count(*) FROM credentials c JOIN environments e ON e.id = c.environment_id WHERE e.project_id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        if credentials > 0 {
            return Err(ProjectError::ChangedMeanwhile);
        }
        match tx.execute("DELETE FROM projects WHERE id = ?1", params![id])? {
            0 => Err(ProjectError::NotFound),
            _ => Ok(()),
        }
    })
}

/// A draft with surrounding white space removed and every rule checked.
pub fn validate(draft: &ProjectDraft) -> Result<ProjectDraft, ProjectError> {
    let clean = ProjectDraft {
        name: draft.name.trim().to_owned(),
        description: draft.description.trim().to_owned(),
        repository: draft.repository.trim().to_owned(),
        time_zone: draft.time_zone.trim().to_owned(),
    };
    let mut errors = FieldErrors::new();
    let name_len = clean.name.chars().count();
    if name_len == 0 {
        errors.insert("name".into(), "Give the project a name.".into());
    } else if name_len > NAME_MAX {
        errors.insert("name".into(), format!("Keep the name to {NAME_MAX} characters or fewer (it has {name_len})."));
    } else if clean.name.chars().any(char::is_control) {
        errors.insert("name".into(), "The name cannot contain line breaks or control characters.".into());
    }
    let description_len = clean.description.chars().count();
    if description_len > DESCRIPTION_MAX {
        errors.insert(
            "description".into(),
            format!("Keep the description to {DESCRIPTION_MAX} characters or fewer (it has {description_len})."),
        );
    }
    if let Err(message) = check_repository(&clean.repository) {
        errors.insert("repository".into(), message);
    }
    if clean.time_zone.is_empty() {
        errors.insert("timeZone".into(), "Choose the project's time zone, such as Europe/Berlin.".into());
    } else if time_zones::parse(&clean.time_zone).is_none() {
        errors.insert(
            "timeZone".into(),
            format!("“{}” is not a time zone Liftoff knows. Pick one from the list, such as America/New_York.", clean.time_zone),
        );
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(ProjectError::Invalid(errors))
    }
}

/// A repository is optional; when given it is an absolute local path, a URL
/// with a host (https, http, ssh, git, file), or scp-style `user@host:path`.
fn check_repository(repo: &str) -> Result<(), String> {
    const HINT: &str = "Enter a local folder (/home/me/app) or a repository URL (https://host/org/app.git or git@host:org/app.git).";
    if repo.is_empty() {
        return Ok(());
    }
    if repo.chars().count() > REPOSITORY_MAX {
        return Err(format!("Keep the repository to {REPOSITORY_MAX} characters or fewer."));
    }
    if repo.chars().any(char::is_control) {
        return Err(HINT.into());
    }
    if is_local_path(repo) {
        return Ok(());
    }
    if repo.contains(char::is_whitespace) {
        return Err(format!("A repository URL cannot contain spaces. {HINT}"));
    }
    if let Some((scheme, rest)) = repo.split_once("://") {
        let known = ["https", "http", "ssh", "git", "file"];
        if !known.contains(&scheme.to_ascii_lowercase().as_str()) {
            return Err(format!("Liftoff does not know the “{scheme}://” scheme. {HINT}"));
        }
        let host = rest.split('/').next().unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or("");
        if scheme != "file" && host.is_empty() {
            return Err(format!("The URL has no host. {HINT}"));
        }
        if scheme == "file" && !rest.starts_with('/') {
            return Err(format!("A file:// URL needs an absolute path. {HINT}"));
        }
        return Ok(());
    }
    // scp-like: user@host:path
    if let Some((user_host, path)) = repo.split_once(':') {
        if let Some((user, host)) = user_host.split_once('@') {
            if !user.is_empty() && !host.is_empty() && !path.is_empty() && !host.contains('/') {
                return Ok(());
            }
        }
    }
    Err(HINT.into())
}

fn is_local_path(repo: &str) -> bool {
    let bytes = repo.as_bytes();
    repo.starts_with('/')
        || repo.starts_with("~/")
        || repo.starts_with("\\\\")
        || (bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && (bytes[2] == b'\\' || bytes[2] == b'/'))
}

fn ensure_name_free(conn: &Connection, name: &str, except_id: Option<&str>) -> Result<(), ProjectError> {
    let taken: Option<String> = conn
        .query_row(
            "SELECT name FROM projects WHERE name = ?1 COLLATE NOCASE AND id IS NOT ?2",
            params![name, except_id],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(existing) => Err(ProjectError::Invalid(FieldErrors::from([(
            "name".to_owned(),
            format!("There is already a project called “{existing}”. Choose another name."),
        )]))),
        None => Ok(()),
    }
}

fn get_in(conn: &Connection, id: &str) -> Result<Option<Project>, ProjectError> {
    Ok(find_in(conn, id)?)
}

/// The project `id`, or `None` when it is gone.
pub(crate) fn find_in(conn: &Connection, id: &str) -> rusqlite::Result<Option<Project>> {
    conn.query_row(
        "SELECT id, name, description, repository, time_zone, archived_at, created_at, updated_at
         FROM projects WHERE id = ?1",
        params![id],
        from_row,
    )
    .optional()
}

fn from_row(row: &Row) -> rusqlite::Result<Project> {
    Ok(Project {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        repository: row.get(3)?,
        time_zone: row.get(4)?,
        archived_at: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str) -> ProjectDraft {
        ProjectDraft { name: name.into(), time_zone: "Europe/Berlin".into(), ..Default::default() }
    }

    fn field_error(result: Result<ProjectDraft, ProjectError>, field: &str) -> String {
        match result {
            Err(ProjectError::Invalid(errors)) => errors.get(field).cloned().unwrap_or_else(|| panic!("no error for {field}: {errors:?}")),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn trims_and_accepts_a_good_draft() {
        let clean = validate(&ProjectDraft {
            name: "  Billing  ".into(),
            description: " Invoices ".into(),
            repository: " git@git.example.com:acme/billing.git ".into(),
            time_zone: "Europe/Berlin".into(),
        })
        .unwrap();
        assert_eq!(clean.name, "Billing");
        assert_eq!(clean.description, "Invoices");
        assert_eq!(clean.repository, "git@git.example.com:acme/billing.git");
    }

    #[test]
    fn names_must_be_present_short_and_single_line() {
        assert_eq!(field_error(validate(&draft("   ")), "name"), "Give the project a name.");
        assert!(field_error(validate(&draft(&"x".repeat(101))), "name").contains("100 characters"));
        assert!(field_error(validate(&draft("a\nb")), "name").contains("line breaks"));
        assert!(validate(&draft(&"é".repeat(100))).is_ok(), "length counts characters, not bytes");
    }

    #[test]
    fn repositories_are_paths_or_urls() {
        for ok in [
            "",
            "/home/lead/src/app",
            "~/src/app",
            "C:\\src\\app",
            "https://git.example.com/acme/app.git",
            "ssh://git@git.example.com:2222/acme/app.git",
            "git@github.com:acme/app.git",
            "file:///srv/git/app.git",
        ] {
            let mut d = draft("A");
            d.repository = ok.into();
            assert!(validate(&d).is_ok(), "{ok} should be accepted");
        }
        for bad in ["app", "ftp://host/app", "https://", "relative/path", "git@host:", "file://relative"] {
            let mut d = draft("A");
            d.repository = bad.into();
            field_error(validate(&d), "repository");
        }
    }

    #[test]
    fn time_zone_must_be_known() {
        let mut d = draft("A");
        d.time_zone = "Europe/Atlantis".into();
        assert!(field_error(validate(&d), "timeZone").contains("Europe/Atlantis"));
        d.time_zone = String::new();
        field_error(validate(&d), "timeZone");
    }

    #[test]
    fn several_errors_are_summarized() {
        let d = ProjectDraft { name: "".into(), time_zone: "nope".into(), ..Default::default() };
        let err = validate(&d).unwrap_err();
        assert_eq!(err.to_string(), "2 fields need attention.");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
