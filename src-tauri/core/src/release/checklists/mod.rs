//! A release's readiness checklist: items in sections, each with an owner,
//! a reviewer, a due date and a state, made from a template or copied from
//! another release.
//!
//! An item is *complete* when it is done or not applicable and, if it has a
//! reviewer, the reviewer has signed it off. Until then an owner's "done"
//! leaves it awaiting review. Every change is written to the audit log in
//! the same transaction.

pub mod builtin;
pub mod progress;
pub mod templates;
pub mod transfer;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, AuditCategory, Change};
use crate::rules::FieldErrors;
use crate::release::{self as releases, Release, ReleaseError};
use crate::{clock, Store};
use crate::store::column::{self, stored_text};

pub use progress::{Progress, SectionProgress, Tally};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ItemState {
    Open,
    Done,
    NotApplicable,
    Blocked,
}

stored_text!(ItemState { Open => "open", Done => "done", NotApplicable => "notApplicable", Blocked => "blocked" });

impl ItemState {
    pub const ALL: [ItemState; 4] = [ItemState::Open, ItemState::Done, ItemState::NotApplicable, ItemState::Blocked];

    pub fn label(self) -> &'static str {
        match self {
            ItemState::Open => "open",
            ItemState::Done => "done",
            ItemState::NotApplicable => "not applicable",
            ItemState::Blocked => "blocked",
        }
    }

    /// Whether this state needs a reason (not applicable, blocked).
    pub fn needs_reason(self) -> bool {
        matches!(self, ItemState::NotApplicable | ItemState::Blocked)
    }
}

/// What an item amounts to, taking the reviewer's sign-off into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ItemStatus {
    Open,
    Blocked,
    /// Done or not applicable, waiting for the reviewer's sign-off.
    AwaitingReview,
    Done,
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistItem {
    pub id: String,
    pub release_id: String,
    pub position: i32,
    pub section: String,
    pub title: String,
    pub detail: String,
    pub required: bool,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    pub reviewer_id: Option<String>,
    pub reviewer_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub state: ItemState,
    /// Why it is not applicable or blocked.
    pub state_reason: String,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<String>,
    pub evidence: String,
    pub notes: String,
    pub updated_at: String,
    pub status: ItemStatus,
    /// Counts towards progress and the gate.
    pub complete: bool,
    /// Not complete and its due date has passed.
    pub overdue: bool,
}

/// The editable fields of an item (its state changes separately).
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ItemDraft {
    pub section: String,
    pub title: String,
    pub detail: String,
    pub required: bool,
    pub owner_id: Option<String>,
    pub reviewer_id: Option<String>,
    pub due_date: Option<String>,
    pub evidence: String,
    pub notes: String,
}

/// Where a new checklist comes from.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
pub enum ChecklistSource {
    Template(String),
    Release(String),
}

/// Starts an empty release's checklist from a template or another release
/// of the same project. Copies keep owners and reviewers but start open.
pub fn start(
    store: &Store,
    release_id: &str,
    source: &ChecklistSource,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<usize, ReleaseError> {
    store.write(|tx| start_in(tx, release_id, source, actor, now))
}

/// [`start`] inside the caller's transaction.
pub(crate) fn start_in(tx: &Connection, release_id: &str, source: &ChecklistSource, actor: &Actor, now: DateTime<Utc>) -> Result<usize, ReleaseError> {
    let release = releases::get_in(tx, release_id)?.ok_or(ReleaseError::NotFound)?;
    let count: i64 = tx.query_row("SELECT count(*) FROM checklist_items WHERE release_id = ?1", params![release_id], |r| r.get(0))?;
    if count > 0 {
        return Err(ReleaseError::ChecklistExists);
    }
    let at = clock::to_text(now);
    let (drafts, from) = match source {
        ChecklistSource::Template(id) => {
            let template = templates::get_in(tx, id)?.ok_or(ReleaseError::TemplateNotFound)?;
            let drafts: Vec<ItemDraft> = template
                .items
                .iter()
                .map(|t| ItemDraft {
                    section: t.section.clone(),
                    title: t.title.clone(),
                    detail: t.detail.clone(),
                    required: t.required,
                    ..ItemDraft::default()
                })
                .collect();
            (drafts, format!("template “{}”", template.name))
        }
        ChecklistSource::Release(other_id) => {
            let other = releases::get_in(tx, other_id)?.ok_or(ReleaseError::NotFound)?;
            if other.project_id != release.project_id {
                return Err(ReleaseError::NotFound);
            }
            let drafts: Vec<ItemDraft> = load_items(tx, other_id, NaiveDate::MIN)?
                .into_iter()
                .map(|i| ItemDraft {
                    section: i.section,
                    title: i.title,
                    detail: i.detail,
                    required: i.required,
                    owner_id: i.owner_id,
                    reviewer_id: i.reviewer_id,
                    ..ItemDraft::default()
                })
                .collect();
            (drafts, format!("release {} “{}”", other.version, other.name))
        }
    };
    if drafts.is_empty() {
        return Err(ReleaseError::Invalid(FieldErrors::from([(
            "source".to_owned(),
            format!("The {from} has no items to start from. Pick another source."),
        )])));
    }
    for (position, draft) in drafts.iter().enumerate() {
        insert(tx, release_id, draft, ItemState::Open, "", position as i64, &at)?;
    }
    audit::record(
        tx,
        actor,
        &at,
        Change {
            project_id: &release.project_id,
            release_id: Some(release_id),
            item_id: None,
            category: AuditCategory::Checklist,
            action: "checklist.started",
            summary: format!("Started the checklist from {from} ({} items)", drafts.len()),
            reason: "",
        },
    )?;
    Ok(drafts.len())
}

pub fn add_item(store: &Store, release_id: &str, draft: &ItemDraft, actor: &Actor, now: DateTime<Utc>) -> Result<ChecklistItem, ReleaseError> {
    store.write(|tx| {
        let release = releases::get_in(tx, release_id)?.ok_or(ReleaseError::NotFound)?;
        let clean = validate(tx, &release.project_id, draft)?;
        let at = clock::to_text(now);
        let position: i64 =
            tx.query_row("SELECT coalesce(max(position) + 1, 0) FROM checklist_items WHERE release_id = ?1", params![release_id], |r| r.get(0))?;
        let id = insert(tx, release_id, &clean, ItemState::Open, "", position, &at)?;
        audit::record(
            tx,
            actor,
            &at,
            item_change(&release, &id, "item.added", format!("Added “{}” to {}", clean.title, clean.section), ""),
        )?;
        let item = get_item_in(tx, &id, NaiveDate::MIN)?;
        Ok(item)
    })
}

/// Inserts a validated item inside the caller's transaction; returns its id.
pub(crate) fn insert(
    conn: &Connection,
    release_id: &str,
    d: &ItemDraft,
    state: ItemState,
    reason: &str,
    position: i64,
    at: &str,
) -> rusqlite::Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO checklist_items (id, release_id, position, section, title, detail, required, owner_id, reviewer_id,
                                      due_date, state, state_reason, evidence, notes, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            id,
            release_id,
            position,
            d.section,
            d.title,
            d.detail,
            d.required,
            d.owner_id,
            d.reviewer_id,
            d.due_date,
            state.as_str(),
            reason,
            d.evidence,
            d.notes,
            at
        ],
    )?;
    Ok(id)
}

pub fn update_item(store: &Store, item_id: &str, draft: &ItemDraft, actor: &Actor, now: DateTime<Utc>) -> Result<ChecklistItem, ReleaseError> {
    store.write(|tx| update_item_in(tx, item_id, draft, actor, now))
}

/// [`update_item`] inside the caller's transaction.
pub(crate) fn update_item_in(tx: &Connection, item_id: &str, draft: &ItemDraft, actor: &Actor, now: DateTime<Utc>) -> Result<ChecklistItem, ReleaseError> {
    let current = get_item_in(tx, item_id, NaiveDate::MIN)?;
    let release = releases::get_in(tx, &current.release_id)?.ok_or(ReleaseError::NotFound)?;
    let clean = validate(tx, &release.project_id, draft)?;
    let changes = describe_changes(tx, &current, &clean)?;
    if changes.is_empty() {
        return Ok(current);
    }
    let at = clock::to_text(now);
    // A sign-off covers what the reviewer saw: a new reviewer, or a changed
    // title, detail or evidence, needs a new one.
    let keep_sign_off = current.reviewer_id == clean.reviewer_id
        && current.title == clean.title
        && current.detail == clean.detail
        && current.evidence == clean.evidence;
    let mut changes = changes;
    if current.signed_off_at.is_some() && !keep_sign_off {
        changes.push("the sign-off was withdrawn".to_owned());
    }
    if current.status == ItemStatus::AwaitingReview && clean.reviewer_id.is_none() {
        changes.push("it now counts as complete without review".to_owned());
    }
    tx.execute(
        "UPDATE checklist_items SET section = ?2, title = ?3, detail = ?4, required = ?5, owner_id = ?6, reviewer_id = ?7,
                due_date = ?8, evidence = ?9, notes = ?10, updated_at = ?11,
                signed_off_by = CASE WHEN ?12 THEN signed_off_by END,
                signed_off_at = CASE WHEN ?12 THEN signed_off_at END
         WHERE id = ?1",
        params![
            item_id,
            clean.section,
            clean.title,
            clean.detail,
            clean.required,
            clean.owner_id,
            clean.reviewer_id,
            clean.due_date,
            clean.evidence,
            clean.notes,
            at,
            keep_sign_off
        ],
    )?;
    let summary = format!("Edited “{}”: {}", clean.title, changes.join("; "));
    audit::record(tx, actor, &at, item_change(&release, item_id, "item.edited", summary, ""))?;
    let item = get_item_in(tx, item_id, NaiveDate::MIN)?;
    Ok(item)
}

/// Marks an item open, done, not applicable or blocked. Not applicable and
/// blocked need a reason. Any change withdraws an earlier sign-off.
pub fn set_item_state(
    store: &Store,
    item_id: &str,
    state: ItemState,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ChecklistItem, ReleaseError> {
    store.write(|tx| set_item_state_in(tx, item_id, state, reason, actor, now))
}

/// [`set_item_state`] inside the caller's transaction.
pub(crate) fn set_item_state_in(tx: &Connection, item_id: &str, state: ItemState, reason: &str, actor: &Actor, now: DateTime<Utc>) -> Result<ChecklistItem, ReleaseError> {
    let reason = reason.trim();
    if state.needs_reason() && reason.is_empty() {
        let msg = match state {
            ItemState::Blocked => "Say what blocks this item, so that someone can unblock it.",
            _ => "Say why this item does not apply to this release.",
        };
        return Err(ReleaseError::Invalid(FieldErrors::from([("reason".to_owned(), msg.to_owned())])));
    }
    if reason.chars().count() > 1000 {
        return Err(ReleaseError::Invalid(FieldErrors::from([("reason".to_owned(), "Keep the reason under 1,000 characters.".to_owned())])));
    }
    let current = get_item_in(tx, item_id, NaiveDate::MIN)?;
    let release = releases::get_in(tx, &current.release_id)?.ok_or(ReleaseError::NotFound)?;
    let stored_reason = if state.needs_reason() { reason } else { "" };
    if current.state == state && current.state_reason == stored_reason {
        return Ok(current);
    }
    let at = clock::to_text(now);
    tx.execute(
        "UPDATE checklist_items SET state = ?2, state_reason = ?3, signed_off_by = NULL, signed_off_at = NULL, updated_at = ?4 WHERE id = ?1",
        params![item_id, state.as_str(), stored_reason, at],
    )?;
    let mut summary = format!("Marked “{}” {} (was {})", current.title, state.label(), current.state.label());
    if current.signed_off_at.is_some() {
        summary.push_str("; the sign-off was withdrawn");
    }
    audit::record(tx, actor, &at, item_change(&release, item_id, "item.state", summary, reason))?;
    let item = get_item_in(tx, item_id, NaiveDate::MIN)?;
    Ok(item)
}

/// The reviewer's verdict on a finished item: sign it off, or send it back
/// (reopen it) with a note saying why.
pub fn review(
    store: &Store,
    item_id: &str,
    approve: bool,
    note: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ChecklistItem, ReleaseError> {
    store.write(|tx| review_in(tx, item_id, approve, note, actor, now))
}

/// [`review`] inside the caller's transaction.
pub(crate) fn review_in(tx: &Connection, item_id: &str, approve: bool, note: &str, actor: &Actor, now: DateTime<Utc>) -> Result<ChecklistItem, ReleaseError> {
    let note = note.trim();
    let current = get_item_in(tx, item_id, NaiveDate::MIN)?;
    let release = releases::get_in(tx, &current.release_id)?.ok_or(ReleaseError::NotFound)?;
    let Some(reviewer_id) = current.reviewer_id.as_deref() else {
        return Err(ReleaseError::NoReviewer);
    };
    if actor.person_id.as_deref() != Some(reviewer_id) {
        return Err(ReleaseError::NotReviewer { reviewer: current.reviewer_name.clone().unwrap_or_default() });
    }
    if !matches!(current.state, ItemState::Done | ItemState::NotApplicable) {
        return Err(ReleaseError::NotFinished(current.state.label()));
    }
    let at = clock::to_text(now);
    let summary = if approve {
        tx.execute(
            "UPDATE checklist_items SET signed_off_by = ?2, signed_off_at = ?3, updated_at = ?3 WHERE id = ?1",
            params![item_id, reviewer_id, at],
        )?;
        format!("Signed off “{}” ({})", current.title, current.state.label())
    } else {
        if note.is_empty() {
            return Err(ReleaseError::Invalid(FieldErrors::from([(
                "reason".to_owned(),
                "Say what is missing, so that the owner knows what to do.".to_owned(),
            )])));
        }
        tx.execute(
            "UPDATE checklist_items SET state = 'open', state_reason = '', signed_off_by = NULL, signed_off_at = NULL, updated_at = ?2
             WHERE id = ?1",
            params![item_id, at],
        )?;
        format!("Sent “{}” back to its owner (reopened)", current.title)
    };
    let action = if approve { "item.signedOff" } else { "item.sentBack" };
    audit::record(tx, actor, &at, item_change(&release, item_id, action, summary, note))?;
    let item = get_item_in(tx, item_id, NaiveDate::MIN)?;
    Ok(item)
}

pub fn delete_item(store: &Store, item_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), ReleaseError> {
    store.write(|tx| {
        let current = get_item_in(tx, item_id, NaiveDate::MIN)?;
        let release = releases::get_in(tx, &current.release_id)?.ok_or(ReleaseError::NotFound)?;
        tx.execute("DELETE FROM checklist_items WHERE id = ?1", params![item_id])?;
        let at = clock::to_text(now);
        let summary = format!("Removed “{}” from {}", current.title, current.section);
        audit::record(tx, actor, &at, item_change(&release, item_id, "item.removed", summary, ""))?;
        Ok(())
    })
}

fn item_change<'a>(release: &'a Release, item_id: &'a str, action: &'a str, summary: String, reason: &'a str) -> Change<'a> {
    Change {
        project_id: &release.project_id,
        release_id: Some(&release.id),
        item_id: Some(item_id),
        category: AuditCategory::Item,
        action,
        summary,
        reason,
    }
}

fn describe_changes(conn: &Connection, current: &ChecklistItem, clean: &ItemDraft) -> Result<Vec<String>, ReleaseError> {
    let mut changes = Vec::new();
    if current.title != clean.title {
        changes.push(format!("title was “{}”", current.title));
    }
    if current.section != clean.section {
        changes.push(format!("section {} → {}", current.section, clean.section));
    }
    if current.detail != clean.detail {
        changes.push("detail".to_owned());
    }
    if current.required != clean.required {
        changes.push(if clean.required { "now required" } else { "now optional" }.to_owned());
    }
    if current.owner_id != clean.owner_id {
        changes.push(format!("owner {} → {}", or_none(&current.owner_name), or_none(&person_name(conn, clean.owner_id.as_deref())?)));
    }
    if current.reviewer_id != clean.reviewer_id {
        changes.push(format!(
            "reviewer {} → {}",
            or_none(&current.reviewer_name),
            or_none(&person_name(conn, clean.reviewer_id.as_deref())?)
        ));
    }
    if current.due_date != clean.due_date {
        changes.push(format!("due {} → {}", due_words(&current.due_date), due_words(&clean.due_date)));
    }
    if current.evidence != clean.evidence {
        changes.push(format!("evidence {}", if clean.evidence.is_empty() { "removed".to_owned() } else { clean.evidence.clone() }));
    }
    if current.notes != clean.notes {
        changes.push("notes".to_owned());
    }
    Ok(changes)
}

/// A due date as the window writes days, with its year (history is read
/// later): "Fri 4 Dec 2026", or "none".
fn due_words(due: &Option<String>) -> String {
    match due.as_deref().map(|d| (d, chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))) {
        Some((_, Ok(day))) => crate::clock::date_words(day, None),
        Some((d, Err(_))) => d.to_owned(),
        None => "none".to_owned(),
    }
}

fn or_none(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("none")
}

fn person_name(conn: &Connection, id: Option<&str>) -> rusqlite::Result<Option<String>> {
    match id {
        None => Ok(None),
        Some(id) => crate::people::name_of(conn, id),
    }
}

/// Trims and checks a draft; owner and reviewer must be people of `project_id`.
pub fn validate(conn: &Connection, project_id: &str, draft: &ItemDraft) -> Result<ItemDraft, ReleaseError> {
    let blank_to_none = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let clean = ItemDraft {
        section: draft.section.trim().to_owned(),
        title: draft.title.trim().to_owned(),
        detail: draft.detail.trim().to_owned(),
        required: draft.required,
        owner_id: blank_to_none(&draft.owner_id),
        reviewer_id: blank_to_none(&draft.reviewer_id),
        due_date: blank_to_none(&draft.due_date),
        evidence: draft.evidence.trim().to_owned(),
        notes: draft.notes.trim().to_owned(),
    };
    let mut errors = check_text(&clean);
    for (field, id) in [("ownerId", &clean.owner_id), ("reviewerId", &clean.reviewer_id)] {
        if let Some(id) = id {
            if crate::people::name_in_project(conn, id, project_id)?.is_none() {
                errors.insert(field.into(), crate::people::NOT_IN_PROJECT.into());
            }
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(ReleaseError::Invalid(errors))
    }
}

/// The checks on an item's text fields, shared with templates and imports.
pub(crate) fn check_text(d: &ItemDraft) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let one_line = |s: &str, max: usize| s.chars().count() <= max && !s.chars().any(char::is_control);
    if d.section.is_empty() {
        errors.insert("section".into(), "Name the section the item belongs to, such as Infrastructure.".into());
    } else if !one_line(&d.section, 80) {
        errors.insert("section".into(), "Keep the section name to one line of 80 characters or fewer.".into());
    }
    if d.title.is_empty() {
        errors.insert("title".into(), "Say what has to be true, such as “Backups taken”.".into());
    } else if !one_line(&d.title, 200) {
        errors.insert("title".into(), "Keep the title to one line of 200 characters or fewer.".into());
    }
    if d.detail.chars().count() > 4000 {
        errors.insert("detail".into(), "Keep the detail under 4,000 characters.".into());
    }
    if d.notes.chars().count() > 4000 {
        errors.insert("notes".into(), "Keep the notes under 4,000 characters.".into());
    }
    if let Some(due) = &d.due_date {
        if releases::parse_date(due).is_none() {
            errors.insert("dueDate".into(), "Enter the due date as YYYY-MM-DD.".into());
        }
    }
    if !d.evidence.is_empty() {
        if let Err(message) = check_evidence(&d.evidence) {
            errors.insert("evidence".into(), message);
        }
    }
    errors
}

/// Evidence is a link someone can open: http(s), or a file or ticket URL.
/// A link with a login in it is refused: it would put a secret in the
/// database, the audit log and every export.
fn check_evidence(value: &str) -> Result<(), String> {
    let bad = || "Enter the evidence as a full link, such as https://ci.example.com/runs/812.".to_owned();
    if value.chars().count() > 2000 || value.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let url = url::Url::parse(value).map_err(|_| bad())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Remove the user name and password from the link; Liftoff keeps secrets only in the keychain.".to_owned());
    }
    // A token in the query is kept as typed; the window warns about it.
    crate::rules::warn_of_secrets(value, "an evidence link");
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(()),
        "file" => Ok(()),
        _ => Err(bad()),
    }
}

/// Loads a release's items in order, with derived status. `today` decides
/// what is overdue.
pub fn load_items(conn: &Connection, release_id: &str, today: NaiveDate) -> Result<Vec<ChecklistItem>, ReleaseError> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE i.release_id = ?1 ORDER BY i.position, i.id"))?;
    let rows = stmt.query_map(params![release_id], |row| from_row(row, today))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn get_item_in(conn: &Connection, id: &str, today: NaiveDate) -> Result<ChecklistItem, ReleaseError> {
    conn.query_row(&format!("{SELECT} WHERE i.id = ?1"), params![id], |row| from_row(row, today))
        .optional()?
        .ok_or(ReleaseError::ItemNotFound)
}

/// Used by imports, which write many items in one transaction.
pub(crate) fn next_position(tx: &Connection, release_id: &str) -> rusqlite::Result<i64> {
    tx.query_row("SELECT coalesce(max(position) + 1, 0) FROM checklist_items WHERE release_id = ?1", params![release_id], |r| r.get(0))
}

const SELECT: &str = "SELECT i.id, i.release_id, i.position, i.section, i.title, i.detail, i.required,
        i.owner_id, o.name, i.reviewer_id, r.name, i.due_date, i.state, i.state_reason,
        s.name, i.signed_off_at, i.evidence, i.notes, i.updated_at
    FROM checklist_items i
    LEFT JOIN people o ON o.id = i.owner_id
    LEFT JOIN people r ON r.id = i.reviewer_id
    LEFT JOIN people s ON s.id = i.signed_off_by";

fn from_row(row: &Row, today: NaiveDate) -> rusqlite::Result<ChecklistItem> {
    let state = column::text("checklist_items", &row.get::<_, String>(0)?, "state", &row.get::<_, String>(12)?)?;
    let reviewer_id: Option<String> = row.get(9)?;
    let signed_off_at: Option<String> = row.get(15)?;
    let due_date: Option<String> = row.get(11)?;
    let status = status_of(state, reviewer_id.is_some(), signed_off_at.is_some());
    let complete = matches!(status, ItemStatus::Done | ItemStatus::NotApplicable);
    let overdue = !complete && due_date.as_deref().and_then(releases::parse_date).is_some_and(|d| d < today);
    Ok(ChecklistItem {
        id: row.get(0)?,
        release_id: row.get(1)?,
        position: row.get(2)?,
        section: row.get(3)?,
        title: row.get(4)?,
        detail: row.get(5)?,
        required: row.get(6)?,
        owner_id: row.get(7)?,
        owner_name: row.get(8)?,
        reviewer_id,
        reviewer_name: row.get(10)?,
        due_date,
        state,
        state_reason: row.get(13)?,
        signed_off_by: row.get(14)?,
        signed_off_at,
        evidence: row.get(16)?,
        notes: row.get(17)?,
        updated_at: row.get(18)?,
        status,
        complete,
        overdue,
    })
}

/// An item with a reviewer is complete only once signed off.
pub fn status_of(state: ItemState, has_reviewer: bool, signed_off: bool) -> ItemStatus {
    match state {
        ItemState::Open => ItemStatus::Open,
        ItemState::Blocked => ItemStatus::Blocked,
        ItemState::Done | ItemState::NotApplicable if has_reviewer && !signed_off => ItemStatus::AwaitingReview,
        ItemState::Done => ItemStatus::Done,
        ItemState::NotApplicable => ItemStatus::NotApplicable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_off_decides_completeness() {
        assert_eq!(status_of(ItemState::Done, false, false), ItemStatus::Done);
        assert_eq!(status_of(ItemState::Done, true, false), ItemStatus::AwaitingReview);
        assert_eq!(status_of(ItemState::Done, true, true), ItemStatus::Done);
        assert_eq!(status_of(ItemState::NotApplicable, true, false), ItemStatus::AwaitingReview);
        assert_eq!(status_of(ItemState::NotApplicable, false, false), ItemStatus::NotApplicable);
        assert_eq!(status_of(ItemState::Blocked, true, true), ItemStatus::Blocked);
    }

    #[test]
    fn text_checks_name_their_fields() {
        let d = ItemDraft {
            section: "".into(),
            title: "x\ny".into(),
            due_date: Some("tomorrow".into()),
            evidence: "javascript:alert(1)".into(),
            ..ItemDraft::default()
        };
        let e = check_text(&d);
        for f in ["section", "title", "dueDate", "evidence"] {
            assert!(e.contains_key(f), "{f}: {e:?}");
        }
        assert!(check_evidence("https://ci.example.com/runs/812").is_ok());
        assert!(check_evidence("https://deploy:s3cret@ci.example.com/runs/812").unwrap_err().contains("keychain"));
        assert!(check_evidence("file:///srv/reports/smoke.html").is_ok());
    }
}
