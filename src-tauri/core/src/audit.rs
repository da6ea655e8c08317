//! The audit log: every change to releases, checklists and the gate, with
//! who, when, what and why. Rows are only ever appended (a trigger refuses
//! updates); they go in the same transaction as the change they describe.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::rules::{ErrorKind, Kind};
use crate::{Store, StoreError};

/// Why an actor could not be named or the log not read. The messages are
/// the ones a release page shows.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("The person you are acting as is no longer in this project. Pick who you are again at the top of the release.")]
    UnknownActor,
    #[error("That release no longer exists. The list has been refreshed.")]
    ReleaseNotFound,
    #[error("That checklist item no longer exists. The checklist has been refreshed.")]
    ItemNotFound,
    #[error("That override was already withdrawn or no longer exists. The release has been refreshed.")]
    OverrideNotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AuditError {
    fn from(e: rusqlite::Error) -> Self {
        AuditError::Store(StoreError::from(e))
    }
}

impl Kind for AuditError {
    fn kind(&self) -> ErrorKind {
        match self {
            AuditError::UnknownActor => ErrorKind::Invalid,
            AuditError::ReleaseNotFound | AuditError::ItemNotFound | AuditError::OverrideNotFound => ErrorKind::NotFound,
            AuditError::Store(e) => e.kind(),
        }
    }
}

/// Who is acting: a person of the project, or the computer's own user when
/// the lead has not said which person they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub person_id: Option<String>,
    pub name: String,
}

impl Actor {
    /// Resolves the person the UI says is acting. `local_user` names the
    /// computer's account and is used when no person is chosen.
    pub fn resolve(conn: &Connection, project_id: &str, person_id: Option<&str>, local_user: &str) -> Result<Actor, AuditError> {
        match person_id {
            None => Ok(Actor { person_id: None, name: local_user.to_owned() }),
            Some(id) => {
                let name: Option<String> = conn
                    .query_row("SELECT name FROM people WHERE id = ?1 AND project_id = ?2", params![id, project_id], |r| r.get(0))
                    .optional()?;
                match name {
                    Some(name) => Ok(Actor { person_id: Some(id.to_owned()), name }),
                    None => Err(AuditError::UnknownActor),
                }
            }
        }
    }

    /// [`Actor::resolve`] in the project of a release.
    pub fn for_release(conn: &Connection, release_id: &str, person_id: Option<&str>, local_user: &str) -> Result<Actor, AuditError> {
        let project = project_of(conn, "SELECT project_id FROM releases WHERE id = ?1", release_id)?.ok_or(AuditError::ReleaseNotFound)?;
        Actor::resolve(conn, &project, person_id, local_user)
    }

    /// [`Actor::resolve`] in the project of a checklist item.
    pub fn for_item(conn: &Connection, item_id: &str, person_id: Option<&str>, local_user: &str) -> Result<Actor, AuditError> {
        let sql = "SELECT r.project_id FROM checklist_items i JOIN releases r ON r.id = i.release_id WHERE i.id = ?1";
        let project = project_of(conn, sql, item_id)?.ok_or(AuditError::ItemNotFound)?;
        Actor::resolve(conn, &project, person_id, local_user)
    }

    /// [`Actor::resolve`] in the project of a gate override.
    pub fn for_override(conn: &Connection, override_id: &str, person_id: Option<&str>, local_user: &str) -> Result<Actor, AuditError> {
        let sql = "SELECT r.project_id FROM gate_overrides o JOIN releases r ON r.id = o.release_id WHERE o.id = ?1";
        let project = project_of(conn, sql, override_id)?.ok_or(AuditError::OverrideNotFound)?;
        Actor::resolve(conn, &project, person_id, local_user)
    }
}

fn project_of(conn: &Connection, sql: &str, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(sql, params![key], |r| r.get(0)).optional()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum AuditCategory {
    Release,
    Checklist,
    Item,
    Gate,
    Deploy,
    Announcement,
}

impl AuditCategory {
    fn as_str(self) -> &'static str {
        match self {
            AuditCategory::Release => "release",
            AuditCategory::Checklist => "checklist",
            AuditCategory::Item => "item",
            AuditCategory::Gate => "gate",
            AuditCategory::Deploy => "deploy",
            AuditCategory::Announcement => "announcement",
        }
    }

    fn parse(s: &str) -> AuditCategory {
        match s {
            "checklist" => AuditCategory::Checklist,
            "item" => AuditCategory::Item,
            "gate" => AuditCategory::Gate,
            "deploy" => AuditCategory::Deploy,
            "announcement" => AuditCategory::Announcement,
            _ => AuditCategory::Release,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i32,
    pub release_id: Option<String>,
    pub item_id: Option<String>,
    pub at: String,
    pub actor: String,
    pub category: AuditCategory,
    /// A short machine-readable verb such as `item.signedOff`.
    pub action: String,
    /// What changed, in words.
    pub summary: String,
    /// Why, when the user gave a reason.
    pub reason: String,
}

/// One change to record.
pub struct Change<'a> {
    pub project_id: &'a str,
    pub release_id: Option<&'a str>,
    pub item_id: Option<&'a str>,
    pub category: AuditCategory,
    pub action: &'a str,
    pub summary: String,
    pub reason: &'a str,
}

/// Appends `change` inside the caller's transaction.
pub fn record(conn: &Connection, actor: &Actor, at: &str, change: Change) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit_log (project_id, release_id, item_id, at, actor, category, action, summary, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            change.project_id,
            change.release_id,
            change.item_id,
            at,
            actor.name,
            change.category.as_str(),
            change.action,
            change.summary,
            change.reason
        ],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    pub category: Option<AuditCategory>,
    /// Exact actor name.
    pub actor: Option<String>,
    /// Only the history of this checklist item.
    pub item_id: Option<String>,
    /// Words to find in the summary or reason.
    pub text: String,
}

/// A release's log, newest first, filtered by `query`.
pub fn list(store: &Store, release_id: &str, query: &AuditQuery) -> Result<Vec<AuditEntry>, AuditError> {
    let pattern = format!("%{}%", crate::rules::escape_like(query.text.trim()));
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, release_id, item_id, at, actor, category, action, summary, reason FROM audit_log
         WHERE release_id = ?1
           AND (?2 IS NULL OR category = ?2)
           AND (?3 IS NULL OR actor = ?3)
           AND (?4 IS NULL OR item_id = ?4)
           AND (summary LIKE ?5 ESCAPE '\\' OR reason LIKE ?5 ESCAPE '\\')
         ORDER BY id DESC",
    )?;
    let rows = stmt.query_map(
        params![release_id, query.category.map(AuditCategory::as_str), query.actor, query.item_id, pattern],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The distinct people who appear in a release's log, for the filter.
pub fn actors(store: &Store, release_id: &str) -> Result<Vec<String>, AuditError> {
    let conn = store.reader()?;
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT actor FROM audit_log WHERE release_id = ?1 ORDER BY actor COLLATE NOCASE")?;
    let rows = stmt.query_map(params![release_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn from_row(row: &Row) -> rusqlite::Result<AuditEntry> {
    let category: String = row.get(5)?;
    Ok(AuditEntry {
        id: row.get(0)?,
        release_id: row.get(1)?,
        item_id: row.get(2)?,
        at: row.get(3)?,
        actor: row.get(4)?,
        category: AuditCategory::parse(&category),
        action: row.get(6)?,
        summary: row.get(7)?,
        reason: row.get(8)?,
    })
}
