//! The change items of a release as the lead edits them: read from git
//! ([`super::changes`]), then included or left out, rewritten for users,
//! given a category and audiences; or added by hand. A new read keeps every
//! item the lead edited.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::changes::{self, SuggestedItem};
use super::{record, AnnounceError, Audience, Category};
use crate::audit::Actor;
use crate::release::{self as releases, Release};
use crate::rules::{is_one_line, FieldErrors};
use crate::{clock, Store};
use crate::store::column;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChangeItem {
    pub id: String,
    pub release_id: String,
    pub position: i32,
    /// `None` for an item added by hand.
    pub commit_sha: Option<String>,
    /// The commit's subject as git has it.
    pub subject: String,
    /// The conventional-commit type (`feat`, `fix`, ...), when it has one.
    pub kind: Option<String>,
    pub scope: Option<String>,
    pub breaking: bool,
    pub pr: Option<u32>,
    pub author: String,
    /// What users are told.
    pub text: String,
    pub category: Category,
    pub audiences: Vec<Audience>,
    pub included: bool,
    /// The lead changed it; a new read from git keeps it as it is.
    pub edited: bool,
}

/// What the lead edits of an item.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ItemEdit {
    pub text: String,
    pub category: Category,
    pub audiences: Vec<Audience>,
    pub included: bool,
}

/// Where the items were last read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChangeSource {
    pub from_ref: Option<String>,
    pub to_ref: String,
    pub read_at: String,
    pub read_by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChangeList {
    pub items: Vec<ChangeItem>,
    pub source: Option<ChangeSource>,
    /// The project's repository folder, empty when none is set.
    pub repository: String,
}

/// What a read from git did.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReadReport {
    pub from_ref: Option<String>,
    pub to_ref: String,
    pub commits: u32,
    pub added: u32,
    /// Items the lead had edited, kept as they were.
    pub kept: u32,
    /// Items of commits no longer in the range, removed.
    pub removed: u32,
    pub list: ChangeList,
}

pub fn list(store: &Store, release_id: &str) -> Result<ChangeList, AnnounceError> {
    list_in(&*store.reader()?, release_id)
}

pub(crate) fn list_in(conn: &Connection, release_id: &str) -> Result<ChangeList, AnnounceError> {
    let release = release_in(conn, release_id)?;
    let repository = crate::projects::find_in(conn, &release.project_id)?.map(|p| p.repository).unwrap_or_default();
    let source = conn
        .query_row("SELECT from_ref, to_ref, read_at, read_by FROM change_sources WHERE release_id = ?1", params![release_id], |r| {
            Ok(ChangeSource { from_ref: r.get(0)?, to_ref: r.get(1)?, read_at: r.get(2)?, read_by: r.get(3)? })
        })
        .optional()?;
    Ok(ChangeList { items: items_in(conn, release_id)?, source, repository })
}

const COLUMNS: &str = "id, release_id, position, commit_sha, subject, kind, scope, breaking, pr, author, text, category, audiences, included, edited";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<ChangeItem> {
    let (id, category, audiences): (String, String, String) = (r.get(0)?, r.get(11)?, r.get(12)?);
    Ok(ChangeItem {
        id: r.get(0)?,
        release_id: r.get(1)?,
        position: r.get(2)?,
        commit_sha: r.get(3)?,
        subject: r.get(4)?,
        kind: r.get(5)?,
        scope: r.get(6)?,
        breaking: r.get(7)?,
        pr: r.get(8)?,
        author: r.get(9)?,
        text: r.get(10)?,
        category: column::text("change_items", &id, "category", &category)?,
        audiences: column::json("change_items", &id, "audiences", &audiences)?,
        included: r.get(13)?,
        edited: r.get(14)?,
    })
}

pub(crate) fn items_in(conn: &Connection, release_id: &str) -> Result<Vec<ChangeItem>, AnnounceError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM change_items WHERE release_id = ?1 ORDER BY position, id"))?;
    let items = stmt.query_map(params![release_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

fn item_in(conn: &Connection, id: &str) -> Result<ChangeItem, AnnounceError> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM change_items WHERE id = ?1"), params![id], from_row)
        .optional()?
        .ok_or(AnnounceError::ItemNotFound)
}

fn release_in(conn: &Connection, release_id: &str) -> Result<Release, AnnounceError> {
    releases::get_in(conn, release_id)?.ok_or(AnnounceError::ReleaseNotFound)
}

fn audiences_text(a: &[Audience]) -> String {
    serde_json::to_string(a).expect("audiences serialize")
}

/// The project's repository as a local folder, or why it cannot be read.
fn repository_folder(conn: &Connection, project_id: &str) -> Result<std::path::PathBuf, AnnounceError> {
    let repo = crate::projects::find_in(conn, project_id)?.map(|p| p.repository).unwrap_or_default();
    let repo = repo.trim();
    if repo.is_empty() || repo.contains("://") || repo.starts_with("git@") {
        return Err(AnnounceError::NoRepository);
    }
    Ok(Path::new(repo).to_path_buf())
}

/// What a read of the release's commits from git found, before it is
/// merged into the items (see [`merge_in`]).
pub(crate) struct GitRead {
    pub release: Release,
    pub from: Option<String>,
    pub to: String,
    pub suggested: Vec<SuggestedItem>,
}

/// Reads the release's commits from git (`from..to`; an empty `to` is the
/// release's version tag, an empty `from` the tag before it). Nothing is
/// written: [`super::read_changes`] merges what it found.
pub(crate) fn read_git(store: &Store, release_id: &str, from: Option<&str>, to: Option<&str>) -> Result<GitRead, AnnounceError> {
    let (release, folder) = {
        let conn = store.reader()?;
        let release = release_in(&conn, release_id)?;
        let folder = repository_folder(&conn, &release.project_id)?;
        (release, folder)
    };
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_owned(),
        None => release.version.clone(),
    };
    let (from, to) = changes::resolve_range(&folder, from.map(str::trim).filter(|f| !f.is_empty()), &to)?;
    let from = match from {
        Some(f) => Some(f),
        None => changes::previous_tag(&folder, &to)?,
    };
    let suggested = changes::read(&folder, from.as_deref(), &to)?;
    Ok(GitRead { release, from, to, suggested })
}

/// Merges what git gave into the release's items: new commits are added,
/// items the lead edited are kept, others are refreshed, and commits no
/// longer in the range are removed. Items added by hand stay.
pub(crate) fn merge_in(tx: &Connection, read: &GitRead, actor: &Actor, now: DateTime<Utc>) -> Result<ReadReport, AnnounceError> {
    merge_suggested_in(tx, &read.release, read.from.as_deref(), &read.to, &read.suggested, actor, now)
}

fn merge_suggested_in(
    tx: &Connection,
    release: &Release,
    from: Option<&str>,
    to: &str,
    suggested: &[SuggestedItem],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ReadReport, AnnounceError> {
    let at = clock::to_text(now);
    let existing = items_in(tx, &release.id)?;
    let (mut added, mut kept) = (0, 0);
    for (position, s) in suggested.iter().enumerate() {
        let c = &s.commit;
        match existing.iter().find(|e| e.commit_sha.as_deref() == Some(c.sha.as_str())) {
            Some(e) if e.edited => {
                kept += 1;
                tx.execute("UPDATE change_items SET position = ?2 WHERE id = ?1", params![e.id, position as i64])?;
            }
            Some(e) => {
                tx.execute(
                    "UPDATE change_items SET position = ?2, subject = ?3, kind = ?4, scope = ?5, breaking = ?6, pr = ?7, author = ?8,
                            text = ?9, category = ?10, audiences = ?11, included = ?12, updated_at = ?13 WHERE id = ?1",
                    params![
                        e.id,
                        position as i64,
                        c.subject,
                        c.kind,
                        c.scope,
                        c.breaking,
                        c.pr,
                        c.author,
                        s.text,
                        s.category.as_str(),
                        audiences_text(&s.audiences),
                        s.include,
                        at
                    ],
                )?;
            }
            None => {
                added += 1;
                tx.execute(
                    "INSERT INTO change_items (id, release_id, position, commit_sha, subject, kind, scope, breaking, pr, author, text,
                                               category, audiences, included, edited, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0, ?15)",
                    params![
                        uuid::Uuid::now_v7().to_string(),
                        release.id,
                        position as i64,
                        c.sha,
                        c.subject,
                        c.kind,
                        c.scope,
                        c.breaking,
                        c.pr,
                        c.author,
                        s.text,
                        s.category.as_str(),
                        audiences_text(&s.audiences),
                        s.include,
                        at
                    ],
                )?;
            }
        }
    }
    let gone: Vec<&ChangeItem> = existing
        .iter()
        .filter(|e| e.commit_sha.as_ref().is_some_and(|sha| !suggested.iter().any(|s| &s.commit.sha == sha)))
        .collect();
    for e in &gone {
        tx.execute("DELETE FROM change_items WHERE id = ?1", params![e.id])?;
    }
    // Items added by hand follow the commits, in their order.
    let base = suggested.len() as i64;
    for (i, e) in existing.iter().filter(|e| e.commit_sha.is_none()).enumerate() {
        tx.execute("UPDATE change_items SET position = ?2 WHERE id = ?1", params![e.id, base + i as i64])?;
    }
    tx.execute(
        "INSERT INTO change_sources (release_id, from_ref, to_ref, read_at, read_by) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (release_id) DO UPDATE SET from_ref = excluded.from_ref, to_ref = excluded.to_ref,
             read_at = excluded.read_at, read_by = excluded.read_by",
        params![release.id, from, to, at, actor.name],
    )?;
    let range = format!("{}..{}", from.unwrap_or("the first commit"), to);
    record(
        tx,
        actor,
        &at,
        &release.project_id,
        &release.id,
        "announcement.changesRead",
        format!("Read {} commits ({range}): {added} new, {kept} edited kept, {} removed", suggested.len(), gone.len()),
        "",
    )?;
    Ok(ReadReport {
        from_ref: from.map(str::to_owned),
        to_ref: to.to_owned(),
        commits: suggested.len() as u32,
        added,
        kept,
        removed: gone.len() as u32,
        list: list_in(tx, &release.id)?,
    })
}

fn validate(edit: &ItemEdit) -> Result<ItemEdit, AnnounceError> {
    let text = edit.text.trim().to_owned();
    let mut errors = FieldErrors::new();
    if text.is_empty() {
        errors.insert("text".into(), "Say what changed, in words users understand.".into());
    } else if !is_one_line(&text, 500) {
        errors.insert("text".into(), "Keep an item to one line of at most 500 characters.".into());
    }
    if edit.audiences.is_empty() {
        errors.insert("audiences".into(), "Pick at least one audience.".into());
    }
    if !errors.is_empty() {
        return Err(AnnounceError::Invalid(errors));
    }
    let mut audiences = edit.audiences.clone();
    audiences.sort();
    audiences.dedup();
    Ok(ItemEdit { text, category: edit.category, audiences, included: edit.included })
}

/// Adds an item by hand, after the others (see [`super::add_item`]).
pub(crate) fn add_in(tx: &Connection, release_id: &str, edit: &ItemEdit, actor: &Actor, now: DateTime<Utc>) -> Result<ChangeItem, AnnounceError> {
    let clean = validate(edit)?;
    let release = release_in(tx, release_id)?;
    let at = clock::to_text(now);
    let id = uuid::Uuid::now_v7().to_string();
    tx.execute(
        "INSERT INTO change_items (id, release_id, position, commit_sha, subject, author, text, category, audiences, included, edited, updated_at)
         VALUES (?1, ?2, (SELECT COALESCE(MAX(position) + 1, 0) FROM change_items WHERE release_id = ?2), NULL, '', ?3, ?4, ?5, ?6, ?7, 1, ?8)",
        params![id, release_id, actor.name, clean.text, clean.category.as_str(), audiences_text(&clean.audiences), clean.included, at],
    )?;
    record(tx, actor, &at, &release.project_id, release_id, "announcement.itemAdded", format!("Added the change item “{}”", clean.text), "")?;
    item_in(tx, &id)
}

/// Saves the lead's edit of an item (see [`super::update_item`]).
pub(crate) fn update_in(tx: &Connection, item_id: &str, edit: &ItemEdit, actor: &Actor, now: DateTime<Utc>) -> Result<ChangeItem, AnnounceError> {
    let clean = validate(edit)?;
    let current = item_in(tx, item_id)?;
    if current.text == clean.text && current.category == clean.category && current.audiences == clean.audiences && current.included == clean.included {
        return Ok(current);
    }
    let release = release_in(tx, &current.release_id)?;
    let at = clock::to_text(now);
    tx.execute(
        "UPDATE change_items SET text = ?2, category = ?3, audiences = ?4, included = ?5, edited = 1, updated_at = ?6 WHERE id = ?1",
        params![item_id, clean.text, clean.category.as_str(), audiences_text(&clean.audiences), clean.included, at],
    )?;
    let what = if current.included != clean.included && current.text == clean.text {
        format!("{} the change item “{}”", if clean.included { "Included" } else { "Left out" }, clean.text)
    } else {
        format!("Edited the change item “{}”", clean.text)
    };
    record(tx, actor, &at, &release.project_id, &release.id, "announcement.itemEdited", what, "")?;
    item_in(tx, item_id)
}

/// Deletes an item added by hand; a commit's item can only be left out.
/// Returns the item's release (see [`super::delete_item`]).
pub(crate) fn delete_in(tx: &Connection, item_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<String, AnnounceError> {
    let current = item_in(tx, item_id)?;
    if current.commit_sha.is_some() {
        return Err(AnnounceError::Refused(
            "An item read from a commit comes back with the next read. Leave it out (untick Include) instead.".into(),
        ));
    }
    let release = release_in(tx, &current.release_id)?;
    let at = clock::to_text(now);
    tx.execute("DELETE FROM change_items WHERE id = ?1", params![item_id])?;
    record(tx, actor, &at, &release.project_id, &release.id, "announcement.itemDeleted", format!("Deleted the change item “{}”", current.text), "")?;
    Ok(release.id)
}
