//! Environments: the ordered stages of a project's pipeline (by default
//! development -> staging -> production), each with its URLs, colour and
//! protection flag. Production is protected by default; later the readiness
//! gate and approvals guard protected environments.

use crate::rules::{ErrorKind, Kind};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::credentials;
use crate::rules::FieldErrors;
use crate::secrets::Keychain;
use crate::{clock, Store, StoreError};

pub const NAME_MAX: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// 0 for the first stage of the pipeline.
    pub position: i32,
    pub url: String,
    pub health_url: String,
    /// `#rrggbb`.
    pub colour: String,
    pub protected: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentDraft {
    pub name: String,
    pub url: String,
    pub health_url: String,
    pub colour: String,
    pub protected: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    #[error("{}", crate::rules::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That environment no longer exists. It may have been deleted; the list has been refreshed.")]
    NotFound,
    #[error("That project no longer exists. It may have been deleted; the list has been refreshed.")]
    ProjectNotFound,
    #[error("The new order must list each of the project's environments exactly once. Reload and try again.")]
    BadOrder,
    #[error("A credential was added to this environment while it was being deleted. Nothing was deleted; delete it again if you still want to.")]
    ChangedMeanwhile,
    #[error(transparent)]
    Credentials(#[from] credentials::CredentialError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for EnvironmentError {
    fn from(e: rusqlite::Error) -> Self {
        EnvironmentError::Store(StoreError::from(e))
    }
}

impl Kind for EnvironmentError {
    fn kind(&self) -> ErrorKind {
        match self {
            EnvironmentError::Invalid(_) | EnvironmentError::BadOrder => ErrorKind::Invalid,
            EnvironmentError::ChangedMeanwhile => ErrorKind::Conflict,
            EnvironmentError::NotFound | EnvironmentError::ProjectNotFound => ErrorKind::NotFound,
            EnvironmentError::Credentials(e) => e.kind(),
            EnvironmentError::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            EnvironmentError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

/// The pipeline a new project starts with.
pub const DEFAULTS: [(&str, &str, bool); 3] =
    [("development", "#2f9e6e", false), ("staging", "#d08a12", false), ("production", "#c62f3b", true)];

/// Adds the default pipeline to a project, inside the caller's transaction.
pub fn insert_defaults(conn: &Connection, project_id: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let at = clock::to_text(now);
    for (position, (name, colour, protected)) in DEFAULTS.iter().enumerate() {
        conn.execute(
            "INSERT INTO environments (id, project_id, name, position, colour, protected, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![uuid::Uuid::now_v7().to_string(), project_id, name, position as i64, colour, protected, at],
        )?;
    }
    Ok(())
}

pub fn list(store: &Store, project_id: &str) -> Result<Vec<Environment>, EnvironmentError> {
    Ok(list_in(&*store.reader()?, project_id)?)
}

/// The project's environments in pipeline order: the first stage first,
/// production (the last) last.
pub fn list_in(conn: &Connection, project_id: &str) -> rusqlite::Result<Vec<Environment>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE project_id = ?1 ORDER BY position"))?;
    let rows = stmt.query_map(params![project_id], from_row)?;
    rows.collect()
}

/// The environment `id` if it belongs to `project_id`.
pub fn in_project(conn: &Connection, id: &str, project_id: &str) -> rusqlite::Result<Option<Environment>> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1 AND project_id = ?2"), params![id, project_id], from_row).optional()
}

/// The project an environment belongs to, or `None` when it is gone.
pub fn project_of(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT project_id FROM environments WHERE id = ?1", params![id], |r| r.get(0)).optional()
}

/// The project's first protected environment (where freezes and windows
/// apply when none is named).
pub fn first_protected(conn: &Connection, project_id: &str) -> rusqlite::Result<Option<Environment>> {
    Ok(list_in(conn, project_id)?.into_iter().find(|e| e.protected))
}

pub fn get(store: &Store, id: &str) -> Result<Environment, EnvironmentError> {
    get_in(&*store.reader()?, id)?.ok_or(EnvironmentError::NotFound)
}

/// Adds an environment at the end of the pipeline.
pub fn create(store: &Store, project_id: &str, draft: &EnvironmentDraft, now: DateTime<Utc>) -> Result<Environment, EnvironmentError> {
    let clean = validate(draft)?;
    store.write(|tx| {
        let project_exists: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM projects WHERE id = ?1)", params![project_id], |r| r.get(0))?;
        if !project_exists {
            return Err(EnvironmentError::ProjectNotFound);
        }
        ensure_name_free(tx, project_id, &clean.name, None)?;
        let position: i64 =
            tx.query_row("SELECT coalesce(max(position) + 1, 0) FROM environments WHERE project_id = ?1", params![project_id], |r| r.get(0))?;
        let id = insert(tx, project_id, &clean, position, &clock::to_text(now))?;
        let env = get_in(tx, &id)?.ok_or(EnvironmentError::NotFound)?;
        Ok(env)
    })
}

/// Inserts a validated draft inside the caller's transaction; returns the id.
pub(crate) fn insert(conn: &Connection, project_id: &str, clean: &EnvironmentDraft, position: i64, at: &str) -> rusqlite::Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO environments (id, project_id, name, position, url, health_url, colour, protected, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        params![id, project_id, clean.name, position, clean.url, clean.health_url, clean.colour, clean.protected, at],
    )?;
    Ok(id)
}

pub fn update(store: &Store, id: &str, draft: &EnvironmentDraft, now: DateTime<Utc>) -> Result<Environment, EnvironmentError> {
    let clean = validate(draft)?;
    store.write(|tx| {
        let current = get_in(tx, id)?.ok_or(EnvironmentError::NotFound)?;
        ensure_name_free(tx, &current.project_id, &clean.name, Some(id))?;
        tx.execute(
            "UPDATE environments SET name = ?2, url = ?3, health_url = ?4, colour = ?5, protected = ?6, updated_at = ?7 WHERE id = ?1",
            params![id, clean.name, clean.url, clean.health_url, clean.colour, clean.protected, clock::to_text(now)],
        )?;
        let env = get_in(tx, id)?.ok_or(EnvironmentError::NotFound)?;
        Ok(env)
    })
}

/// Puts the project's environments in the order given (first = earliest
/// stage). `ordered_ids` must name each of them exactly once.
pub fn reorder(store: &Store, project_id: &str, ordered_ids: &[String], now: DateTime<Utc>) -> Result<Vec<Environment>, EnvironmentError> {
    store.write(|tx| -> Result<(), EnvironmentError> {
        let mut current: Vec<String> = {
            let mut stmt = tx.prepare("SELECT id FROM environments WHERE project_id = ?1")?;
            let ids = stmt.query_map(params![project_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            ids
        };
        let mut wanted = ordered_ids.to_vec();
        current.sort();
        wanted.sort();
        if current != wanted {
            return Err(EnvironmentError::BadOrder);
        }
        let at = clock::to_text(now);
        for (position, id) in ordered_ids.iter().enumerate() {
            tx.execute("UPDATE environments SET position = ?2, updated_at = ?3 WHERE id = ?1", params![id, position as i64, at])?;
        }
        Ok(())
    })?;
    list(store, project_id)
}

/// Deletes an environment with its credentials' keychain entries. When the
/// keychain refuses some, those credentials and the environment stay (so no
/// row loses its entry and no entry loses its row) and the error says why.
pub fn delete(store: &Store, keychain: &Keychain, id: &str) -> Result<(), EnvironmentError> {
    let env = get(store, id)?;
    credentials::delete_all_in_environment(store, keychain, &env.id)?;
    store.write(|tx| {
        // Read again inside the write: another window may have deleted or
        // moved it, or added a credential, since.
        let position: i64 = tx
            .query_row("SELECT position FROM environments WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?
            .ok_or(EnvironmentError::NotFound)?;
        let credentials: i64 = tx.query_row("SELECT count(*) FROM credentials WHERE environment_id = ?1", params![id], |r| r.get(0))?;
        if credentials > 0 {
            return Err(EnvironmentError::ChangedMeanwhile);
        }
        tx.execute("DELETE FROM environments WHERE id = ?1", params![id])?;
        // Keep positions dense.
        tx.execute(
            "UPDATE environments SET position = position - 1 WHERE project_id = ?1 AND position > ?2",
            params![env.project_id, position],
        )?;
        Ok(())
    })
}

pub fn validate(draft: &EnvironmentDraft) -> Result<EnvironmentDraft, EnvironmentError> {
    let clean = EnvironmentDraft {
        name: draft.name.trim().to_owned(),
        url: draft.url.trim().to_owned(),
        health_url: draft.health_url.trim().to_owned(),
        colour: draft.colour.trim().to_ascii_lowercase(),
        protected: draft.protected,
    };
    let mut errors = FieldErrors::new();
    let len = clean.name.chars().count();
    if len == 0 {
        errors.insert("name".into(), "Give the environment a name, such as staging.".into());
    } else if len > NAME_MAX {
        errors.insert("name".into(), format!("Keep the name to {NAME_MAX} characters or fewer."));
    } else if clean.name.chars().any(char::is_control) {
        errors.insert("name".into(), "The name cannot contain line breaks or control characters.".into());
    }
    for (field, value, what) in [("url", &clean.url, "The URL"), ("healthUrl", &clean.health_url, "The health-check URL")] {
        if let Err(message) = check_http_url(value, what) {
            errors.insert(field.into(), message);
        }
    }
    // A token in a query is kept as typed (the window warns and offers to
    // keep it as a credential instead); a login in the URL is refused above.
    for (value, what) in [(&clean.url, "URL"), (&clean.health_url, "health-check URL")] {
        crate::rules::warn_of_secrets(value, &format!("an environment's {what}"));
    }
    let hex = clean.colour.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        errors.insert("colour".into(), "Pick a colour as #rrggbb, such as #2f9e6e.".into());
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(EnvironmentError::Invalid(errors))
    }
}

/// Empty, or an http(s) URL with a host.
pub fn check_http_url(value: &str, what: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    let hint = format!("{what} must start with https:// or http:// and name a host, such as https://staging.example.com/health.");
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(hint);
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(hint);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(hint);
    }
    if authority.contains('@') {
        return Err(format!("{what} must not contain a user name or password: store those as credentials instead."));
    }
    Ok(())
}

fn ensure_name_free(conn: &Connection, project_id: &str, name: &str, except: Option<&str>) -> Result<(), EnvironmentError> {
    let taken: Option<String> = conn
        .query_row(
            "SELECT name FROM environments WHERE project_id = ?1 AND name = ?2 COLLATE NOCASE AND id IS NOT ?3",
            params![project_id, name, except],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(existing) => Err(EnvironmentError::Invalid(FieldErrors::from([(
            "name".to_owned(),
            format!("This project already has an environment called “{existing}”."),
        )]))),
        None => Ok(()),
    }
}

const SELECT: &str = "SELECT id, project_id, name, position, url, health_url, colour, protected, created_at, updated_at FROM environments";

/// Points every environment of a project at a service on this computer,
/// one path per environment (the sample's demo service).
pub(crate) fn use_local_service_in(tx: &Connection, project_id: &str, port: u16) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE environments SET url = 'http://127.0.0.1:' || ?2 || '/' || name, health_url = 'http://127.0.0.1:' || ?2 || '/' || name || '/health'
         WHERE project_id = ?1",
        params![project_id, port],
    )?;
    Ok(())
}

pub(crate) fn get_in(conn: &Connection, id: &str) -> Result<Option<Environment>, EnvironmentError> {
    Ok(conn.query_row(&format!("{SELECT} WHERE id = ?1"), params![id], from_row).optional()?)
}

fn from_row(row: &Row) -> rusqlite::Result<Environment> {
    Ok(Environment {
        id: row.get(0)?,
        project_id: row.get(1)?,
        name: row.get(2)?,
        position: row.get(3)?,
        url: row.get(4)?,
        health_url: row.get(5)?,
        colour: row.get(6)?,
        protected: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str) -> EnvironmentDraft {
        EnvironmentDraft { name: name.into(), colour: "#AABBCC".into(), ..Default::default() }
    }

    #[test]
    fn urls_must_be_http_with_a_host_and_no_userinfo() {
        assert!(check_http_url("", "URL").is_ok());
        assert!(check_http_url("https://staging.example.com/health", "URL").is_ok());
        assert!(check_http_url("http://127.0.0.1:8080", "URL").is_ok());
        assert!(check_http_url("ftp://x", "URL").is_err());
        assert!(check_http_url("https://", "URL").is_err());
        assert!(check_http_url("staging.example.com", "URL").is_err());
        assert!(check_http_url("https://user:pw@host/", "URL").unwrap_err().contains("credentials"));
    }

    #[test]
    fn colours_are_normalized_and_checked() {
        assert_eq!(validate(&draft("qa")).unwrap().colour, "#aabbcc");
        let mut d = draft("qa");
        d.colour = "red".into();
        assert!(matches!(validate(&d), Err(EnvironmentError::Invalid(f)) if f.contains_key("colour")));
    }
}
