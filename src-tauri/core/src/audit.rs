//! The audit log: every change to releases, checklists and the gate, with
//! who, when, what and why. Rows are only ever appended (a trigger refuses
//! updates); they go in the same transaction as the change they describe.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::rules::{ErrorKind, Kind};
use crate::{Store, StoreError};
use crate::store::column::{self, stored_text};

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

pub use crate::people::local_user;

impl Actor {
    /// Resolves the person the UI says is acting. `local_user` names the
    /// computer's account and is used when no person is chosen.
    pub fn resolve(conn: &Connection, project_id: &str, person_id: Option<&str>, local_user: &str) -> Result<Actor, AuditError> {
        match person_id {
            None => Ok(Actor { person_id: None, name: local_user.to_owned() }),
            Some(id) => {
                match crate::people::name_in_project(conn, id, project_id)? {
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
    Schedule,
}

stored_text!(AuditCategory {
    Release => "release",
    Checklist => "checklist",
    Item => "item",
    Gate => "gate",
    Deploy => "deploy",
    Announcement => "announcement",
    Schedule => "schedule",
});

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
    /// What changed, in words: one line.
    pub summary: String,
    /// The things the change names one by one (the items missing when a
    /// gate was overridden), to show as a list under the summary.
    pub details: Vec<String>,
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

/// A summary with a list under it: the headline, then one line per detail
/// (line breaks inside a detail become spaces). [`AuditEntry`] gives them
/// back apart.
pub fn with_details(headline: String, details: &[String]) -> String {
    let mut out = headline;
    for d in details {
        out.push('\n');
        out.push_str(&d.replace(['\r', '\n'], " "));
    }
    out
}

/// A stored summary as its headline and details: the lines written by
/// [`with_details`]; and for gate overrides logged before those, the
/// missing items that were run together after “missing: ”.
fn split_summary(action: &str, stored: &str) -> (String, Vec<String>) {
    if let Some((head, rest)) = stored.split_once('\n') {
        return (head.to_owned(), rest.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect());
    }
    if action == "gate.overridden" {
        if let Some(at) = stored.find(" missing: “") {
            let (head, rest) = stored.split_at(at + " missing:".len());
            // “A” (why), “B” (why): split between a closing bracket and an opening quote.
            let parts: Vec<&str> = rest.trim_start().split("), “").collect();
            let last = parts.len() - 1;
            let items = parts
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{}{p}{}", if i > 0 { "“" } else { "" }, if i < last { ")" } else { "" }))
                .collect();
            return (head.to_owned(), items);
        }
    }
    (stored.to_owned(), Vec::new())
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
    let id: i64 = row.get(0)?;
    let category: String = row.get(5)?;
    let action: String = row.get(6)?;
    let (summary, details) = split_summary(&action, &row.get::<_, String>(7)?);
    Ok(AuditEntry {
        id: row.get(0)?,
        release_id: row.get(1)?,
        item_id: row.get(2)?,
        at: row.get(3)?,
        actor: row.get(4)?,
        category: column::text("audit_log", &id.to_string(), "category", &category)?,
        action: action.clone(),
        summary,
        details,
        reason: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_written_as_lines_and_read_back_apart() {
        let stored = with_details("Overrode the production gate, decided by Lena, with 2 required items missing:".into(), &[
            "“Backups taken” (open, no owner)".into(),
            "“Smoke tests” (blocked: waits\nfor staging)".into(),
        ]);
        let (head, details) = split_summary("gate.overridden", &stored);
        assert_eq!(head, "Overrode the production gate, decided by Lena, with 2 required items missing:");
        assert_eq!(details, ["“Backups taken” (open, no owner)", "“Smoke tests” (blocked: waits for staging)"]);
        assert_eq!(split_summary("item.edited", "Edited “X”: owner none → Omar"), ("Edited “X”: owner none → Omar".to_owned(), vec![]));
    }

    #[test]
    fn overrides_logged_on_one_line_are_listed_too() {
        let old = "Overrode the production gate, decided by Lena, with 3 required item(s) missing: “Backups taken” (open, owner nobody yet), “Smoke (UI) tests” (awaiting sign-off by Priya), “Docs” (blocked: see (ticket 12))";
        let (head, details) = split_summary("gate.overridden", old);
        assert_eq!(head, "Overrode the production gate, decided by Lena, with 3 required item(s) missing:");
        assert_eq!(
            details,
            ["“Backups taken” (open, owner nobody yet)", "“Smoke (UI) tests” (awaiting sign-off by Priya)", "“Docs” (blocked: see (ticket 12))"]
        );
        // Another action's text is left as it is.
        assert_eq!(split_summary("release.edited", old).1.len(), 0);
    }
}
