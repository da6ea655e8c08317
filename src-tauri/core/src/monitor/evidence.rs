//! The release evidence file: what Liftoff recorded about one release, for
//! an auditor who was not there, in a form whose later changes show.
//!
//! The file is JSON: `"format": "liftoff.evidence", "version": 1`, a header
//! (project, release, when and by whom it was exported, what it includes),
//! then the entries in time order, each `{seq, kind, at, data, prev, hash}`.
//! `hash` is the SHA-256 (lowercase hex) of the entry without `hash`, written
//! as RFC 8785 canonical JSON (serde_jcs); `prev` is the hash of the entry
//! before it, the first entry's the header's (whose own `hash` is taken the
//! same way over the header without it). A changed, removed, added or moved
//! entry breaks the chain at or after it, and [`verify`] names the first.
//!
//! Anyone can rebuild a chain, so the head hash (the last entry's) is what
//! proves a file whole: [`export`] records it in the release's audit log and
//! hands it to the lead to paste into the change ticket, and `verify` with
//! that head also catches a file cut after any entry.
//!
//! Entries, by kind: `release` (as created, with its state at export),
//! `releaseState` (each move, from the audit log), `window` and
//! `freezeOverride`, `checklistItem` (owner, reviewer, state, sign-off,
//! evidence), `gateOverride`, `run` (preflight with the gate's evaluation
//! and any override decision, steps, checks, outcome, the log's SHA-256),
//! `announcement` (with its approved digest), `announcementOverride`,
//! `send` (SHA-256 of its text and HTML, delivery counts) and `audit` (every
//! other entry of the release's audit log). The header holds no count of
//! entries: a cut at the end is what the head hash is for.
//!
//! No secret value can be in the file: runs carry their masked log (its
//! SHA-256, and the text only on request), credentials appear by name only
//! (in preflight reasons), and announcement sends carry digests of their
//! text and HTML and counts of deliveries (addresses only on request).
//!
//! [`build`] reads and is deterministic: the same records and the same
//! `now` give the same file byte for byte.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor, AuditCategory, Change};
use crate::deploy::runs::{self, Run, RunQuery};
use crate::deploy::DeployError;
use crate::release::{self as releases, ReleaseError};
use crate::rules::{ErrorKind, Kind};
use crate::store::ChangeKind;
use crate::{clock, Store, StoreError};

pub const FORMAT: &str = "liftoff.evidence";
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("That release no longer exists. The list has been refreshed.")]
    ReleaseNotFound,
    /// The file could not be written; the words say why and what to do.
    #[error("{0}")]
    NotSaved(String),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for EvidenceError {
    fn from(e: rusqlite::Error) -> Self {
        EvidenceError::Store(StoreError::from(e))
    }
}


impl Kind for EvidenceError {
    fn kind(&self) -> ErrorKind {
        match self {
            EvidenceError::ReleaseNotFound => ErrorKind::NotFound,
            EvidenceError::NotSaved(_) => ErrorKind::Invalid,
            EvidenceError::Deploy(e) => e.kind(),
            EvidenceError::Release(e) => e.kind(),
            EvidenceError::Store(e) => e.kind(),
        }
    }
}

/// What goes into the file beyond the records every file has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceOptions {
    /// Each run's masked log as text (its SHA-256 is always there).
    pub with_logs: bool,
    /// Each send's recipients (their count by state is always there).
    pub with_addresses: bool,
}

/// One entry of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub kind: String,
    pub at: String,
    pub data: Value,
    pub prev: String,
    pub hash: String,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub format: String,
    pub version: u32,
    pub header: Value,
    pub entries: Vec<Entry>,
}

impl EvidenceFile {
    /// The hash the chain ends at: the last entry's (the header's when there is none).
    pub fn head(&self) -> String {
        self.entries.last().map(|e| e.hash.clone()).unwrap_or_else(|| self.header["hash"].as_str().unwrap_or_default().to_owned())
    }

    /// The file as written: indented JSON ending in a newline.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an evidence file always serializes");
        text.push('\n');
        text
    }
}

/// What [`export`] gives back: the file's text, its head hash and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub head: String,
    pub entries: i32,
    #[serde(skip)]
    pub text: String,
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The RFC 8785 canonical form of `value`.
pub fn canonical(value: &Value) -> String {
    // A serde_json::Value always serializes; JCS refuses only NaN and
    // infinities, which a Value cannot hold.
    serde_jcs::to_string(value).expect("a JSON value has a canonical form")
}

/// The hash of an object without its `hash` member.
fn hash_without_hash(object: &Map<String, Value>) -> String {
    let mut rest = object.clone();
    rest.remove("hash");
    sha256_hex(canonical(&Value::Object(rest)).as_bytes())
}

/// An entry before it is chained: its kind, time and content, and how it
/// sorts among entries of the same second.
struct Pending {
    at: String,
    rank: u8,
    key: String,
    kind: &'static str,
    data: Value,
}

fn pending(at: &str, rank: u8, key: impl Into<String>, kind: &'static str, data: Value) -> Pending {
    Pending { at: at.to_owned(), rank, key: key.into(), kind, data }
}

/// A stored time as an instant for ordering; text that is not RFC 3339 sorts as it is.
fn order_key(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map(|t| clock::to_text(t.with_timezone(&Utc))).unwrap_or_else(|_| at.to_owned())
}

/// Reads the release's records and chains them. Reads only; the same
/// records and `now` give the same file.
pub fn build(store: &Store, release_id: &str, options: EvidenceOptions, exported_by: &str, now: DateTime<Utc>) -> Result<EvidenceFile, EvidenceError> {
    let release = releases::get(store, release_id)?;
    let runs = runs::list(store, &release.project_id, &RunQuery { release_id: Some(release.id.clone()), limit: Some(i32::MAX), ..RunQuery::default() })?;
    let mut logs = HashMap::new();
    for run in &runs {
        logs.insert(run.id.clone(), runs::log_text(store, &run.id)?);
    }
    let conn = store.reader()?;
    let project_name: String = conn.query_row("SELECT name FROM projects WHERE id = ?1", params![release.project_id], |r| r.get(0))?;
    let mut entries = Vec::new();
    release_entries(&conn, &release, &mut entries)?;
    checklist_entries(&conn, &release.id, now.date_naive(), &mut entries)?;
    gate_override_entries(&conn, &release.id, &mut entries)?;
    for run in &runs {
        entries.push(run_entry(run, &logs[&run.id], options.with_logs));
    }
    announcement_entries(&conn, &release.id, options.with_addresses, &mut entries)?;
    audit_entries(&conn, &release.id, &mut entries)?;
    entries.sort_by(|a, b| (order_key(&a.at), a.rank, &a.key).cmp(&(order_key(&b.at), b.rank, &b.key)));

    let mut header = json!({
        "format": FORMAT,
        "version": VERSION,
        "project": { "id": release.project_id, "name": project_name },
        "release": { "id": release.id, "version": release.version, "name": release.name },
        "exportedAt": clock::to_text(now),
        "exportedBy": exported_by,
        "withLogs": options.with_logs,
        "withAddresses": options.with_addresses,
        "hashing": "Each entry's hash is the SHA-256 (hex) of the entry without its hash member in RFC 8785 canonical JSON; prev is the hash of the entry before it, the first entry's the header's (hashed the same way). Check with `liftoff evidence verify FILE --head HASH`.",
    });
    let header_hash = hash_without_hash(header.as_object().expect("the header is an object"));
    header["hash"] = Value::String(header_hash.clone());

    let mut prev = header_hash;
    let mut chained = Vec::with_capacity(entries.len());
    for (i, p) in entries.into_iter().enumerate() {
        let mut object = Map::new();
        object.insert("seq".into(), json!(i + 1));
        object.insert("kind".into(), json!(p.kind));
        object.insert("at".into(), json!(p.at));
        object.insert("data".into(), p.data);
        object.insert("prev".into(), json!(prev));
        let hash = hash_without_hash(&object);
        chained.push(Entry {
            seq: i as u64 + 1,
            kind: p.kind.to_owned(),
            at: p.at,
            data: object.remove("data").unwrap_or(Value::Null),
            prev: prev.clone(),
            hash: hash.clone(),
        });
        prev = hash;
    }
    Ok(EvidenceFile { format: FORMAT.into(), version: VERSION, header, entries: chained })
}

/// Builds the file and records its head hash in the release's audit log
/// (`release.evidenceExported`). `save` writes the text where the lead
/// chose; the head is recorded only once it is saved, so the audit log
/// never names a file that was not written.
pub fn export(
    store: &Store,
    release_id: &str,
    options: EvidenceOptions,
    actor: &Actor,
    now: DateTime<Utc>,
    save: impl FnOnce(&str) -> Result<(), String>,
) -> Result<Exported, EvidenceError> {
    let file = build(store, release_id, options, &actor.name, now)?;
    let text = file.to_text();
    save(&text).map_err(EvidenceError::NotSaved)?;
    let head = file.head();
    let entries = file.entries.len() as i32;
    record_export(store, &file, options, actor, now)?;
    Ok(Exported { head, entries, text })
}

fn record_export(store: &Store, file: &EvidenceFile, options: EvidenceOptions, actor: &Actor, now: DateTime<Utc>) -> Result<(), EvidenceError> {
    let release = releases::get(store, file.header["release"]["id"].as_str().unwrap_or_default())?;
    let (head, entries) = (file.head(), file.entries.len());
    store.write(|tx| {
        audit::record(
            tx,
            actor,
            &clock::to_text(now),
            Change {
                project_id: &release.project_id,
                release_id: Some(&release.id),
                item_id: None,
                category: AuditCategory::Release,
                action: "release.evidenceExported",
                summary: format!(
                    "Exported the evidence file of {} ({entries} entries{}{}); head hash {head}",
                    release.version,
                    if options.with_logs { ", with logs" } else { "" },
                    if options.with_addresses { ", with addresses" } else { "" }
                ),
                reason: "",
            },
        )?;
        tx.changed(ChangeKind::Audit, Some(&release.project_id), Some(&release.id));
        Ok::<_, EvidenceError>(())
    })
}

/// The file name to suggest: `evidence-2-4-0.json`.
pub fn file_name(version: &str) -> String {
    format!("evidence-{}.json", crate::files::slug(version, "release"))
}

fn release_entries(conn: &Connection, release: &releases::Release, out: &mut Vec<Pending>) -> Result<(), EvidenceError> {
    let env_name = |id: &Option<String>| -> rusqlite::Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => conn.query_row("SELECT name FROM environments WHERE id = ?1", params![id], |r| r.get(0)).optional(),
        }
    };
    let person = |id: &Option<String>| -> rusqlite::Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => conn.query_row("SELECT name FROM people WHERE id = ?1", params![id], |r| r.get(0)).optional(),
        }
    };
    out.push(pending(
        &release.created_at,
        0,
        "",
        "release",
        json!({
            "id": release.id,
            "version": release.version,
            "name": release.name,
            "scope": release.scope,
            "targetDate": release.target_date,
            "createdAt": release.created_at,
            "stateAtExport": release.state.as_str(),
        }),
    ));
    let last_audit = |action: &str| -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT max(at) FROM audit_log WHERE release_id = ?1 AND action = ?2", params![release.id, action], |r| r.get(0))
    };
    if release.window_start.is_some() {
        let at = last_audit("release.window")?.unwrap_or_else(|| release.updated_at.clone());
        out.push(pending(
            &at,
            1,
            "",
            "window",
            json!({
                "start": release.window_start,
                "end": release.window_end,
                "environment": env_name(&release.window_environment_id)?,
                "onCall": person(&release.on_call_id)?,
            }),
        ));
    }
    if release.freeze_override_reason.is_some() {
        let at = last_audit("freeze.overridden")?.unwrap_or_else(|| release.updated_at.clone());
        out.push(pending(&at, 2, "", "freezeOverride", json!({ "decidedBy": release.freeze_override_by, "reason": release.freeze_override_reason })));
    }
    Ok(())
}

fn checklist_entries(conn: &Connection, release_id: &str, today: NaiveDate, out: &mut Vec<Pending>) -> Result<(), EvidenceError> {
    for item in crate::release::checklists::load_items(conn, release_id, today)? {
        out.push(pending(
            &item.updated_at,
            3,
            format!("{:08}{}", item.position, item.id),
            "checklistItem",
            json!({
                "id": item.id,
                "position": item.position,
                "section": item.section,
                "title": item.title,
                "required": item.required,
                "owner": item.owner_name,
                "reviewer": item.reviewer_name,
                "dueDate": item.due_date,
                "state": item.state,
                "stateReason": item.state_reason,
                "signedOffBy": item.signed_off_by,
                "signedOffAt": item.signed_off_at,
                "evidence": item.evidence,
                "notes": item.notes,
                "complete": item.complete,
                "updatedAt": item.updated_at,
            }),
        ));
    }
    Ok(())
}

fn gate_override_entries(conn: &Connection, release_id: &str, out: &mut Vec<Pending>) -> Result<(), EvidenceError> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, e.name, o.decided_by, o.reason, o.missing_items, o.recorded_by, o.created_at, o.withdrawn_at
         FROM gate_overrides o LEFT JOIN environments e ON e.id = o.environment_id WHERE o.release_id = ?1",
    )?;
    let rows = stmt.query_map(params![release_id], |r| {
        let at: String = r.get(6)?;
        let id: String = r.get(0)?;
        Ok(pending(
            &at,
            4,
            id.clone(),
            "gateOverride",
            json!({
                "id": id,
                "environment": r.get::<_, Option<String>>(1)?,
                "decidedBy": r.get::<_, String>(2)?,
                "reason": r.get::<_, String>(3)?,
                "missingItems": r.get::<_, i64>(4)?,
                "recordedBy": r.get::<_, String>(5)?,
                "createdAt": at,
                "withdrawnAt": r.get::<_, Option<String>>(7)?,
            }),
        ))
    })?;
    for p in rows {
        out.push(p?);
    }
    Ok(())
}

fn run_entry(run: &Run, log: &str, with_log: bool) -> Pending {
    let mut log_data = json!({ "lines": run.log_lines, "cut": run.log_cut, "sha256": sha256_hex(log.as_bytes()) });
    if with_log {
        log_data["text"] = Value::String(log.to_owned());
    }
    // Not the owner token, pid or the engine's handle: how a process found
    // the run, not what happened.
    pending(
        &run.started_at,
        5,
        run.id.clone(),
        "run",
        json!({
            "id": run.id,
            "environment": { "id": run.environment_id, "name": run.environment_name },
            "kind": run.kind,
            "version": run.version,
            "buildRef": run.build_ref,
            "previousVersion": run.previous_version,
            "slot": run.slot,
            "startedBy": run.started_by,
            "startedAt": run.started_at,
            "endedAt": run.ended_at,
            "state": run.state,
            "outcome": run.outcome,
            "preflight": run.preflight,
            "steps": run.steps,
            "checks": run.checks,
            "engineUrl": run.remote_url,
            "engineStatus": run.remote_status,
            "log": log_data,
        }),
    )
}

fn announcement_entries(conn: &Connection, release_id: &str, with_addresses: bool, out: &mut Vec<Pending>) -> Result<(), EvidenceError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.channel, a.audience, a.correction, p.name, a.approved_by, a.approved_at, a.approved_digest, a.created_at
         FROM announcements a LEFT JOIN people p ON p.id = a.reviewer_id WHERE a.release_id = ?1",
    )?;
    let rows = stmt.query_map(params![release_id], |r| {
        let id: String = r.get(0)?;
        let approved_at: Option<String> = r.get(6)?;
        let created_at: String = r.get(8)?;
        Ok(pending(
            approved_at.as_deref().unwrap_or(&created_at),
            6,
            id.clone(),
            "announcement",
            json!({
                "id": id,
                "channel": r.get::<_, String>(1)?,
                "audience": r.get::<_, String>(2)?,
                "correction": r.get::<_, bool>(3)?,
                "reviewer": r.get::<_, Option<String>>(4)?,
                "approvedBy": r.get::<_, Option<String>>(5)?,
                "approvedAt": approved_at,
                "approvedDigest": r.get::<_, Option<String>>(7)?,
                "createdAt": created_at,
            }),
        ))
    })?;
    for p in rows {
        out.push(p?);
    }
    if let Some((decided_by, reason, at)) = conn
        .query_row("SELECT decided_by, reason, at FROM announce_overrides WHERE release_id = ?1", params![release_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })
        .optional()?
    {
        out.push(pending(&at, 7, "", "announcementOverride", json!({ "decidedBy": decided_by, "reason": reason, "at": at })));
    }
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.announcement_id, s.kind, s.audience, s.started_by, s.started_at, s.finished_at, s.state, s.note, s.subject, s.text, s.html,
                (SELECT count(*) FROM announce_deliveries d WHERE d.send_id = s.id),
                (SELECT count(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'sent'),
                (SELECT count(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'failed'),
                (SELECT count(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'sending'),
                (SELECT count(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'pending')
         FROM announce_sends s WHERE s.release_id = ?1",
    )?;
    let sends: Vec<(String, Value, String)> = stmt
        .query_map(params![release_id], |r| {
            let id: String = r.get(0)?;
            let started_at: String = r.get(5)?;
            let text: String = r.get(10)?;
            let html: String = r.get(11)?;
            let data = json!({
                "id": id,
                "announcementId": r.get::<_, String>(1)?,
                "kind": r.get::<_, String>(2)?,
                "audience": r.get::<_, String>(3)?,
                "startedBy": r.get::<_, String>(4)?,
                "startedAt": started_at,
                "finishedAt": r.get::<_, Option<String>>(6)?,
                "state": r.get::<_, String>(7)?,
                "note": r.get::<_, String>(8)?,
                "subject": r.get::<_, String>(9)?,
                "textSha256": sha256_hex(text.as_bytes()),
                "htmlSha256": sha256_hex(html.as_bytes()),
                "deliveries": {
                    "total": r.get::<_, i64>(12)?,
                    "sent": r.get::<_, i64>(13)?,
                    "failed": r.get::<_, i64>(14)?,
                    "unconfirmed": r.get::<_, i64>(15)?,
                    "pending": r.get::<_, i64>(16)?,
                },
            });
            Ok((id, data, started_at))
        })?
        .collect::<Result<_, _>>()?;
    for (id, mut data, at) in sends {
        if with_addresses {
            let mut stmt = conn.prepare_cached("SELECT address, name, state, error, at FROM announce_deliveries WHERE send_id = ?1 ORDER BY line, address")?;
            let recipients: Vec<Value> = stmt
                .query_map(params![id], |r| {
                    Ok(json!({
                        "address": r.get::<_, String>(0)?,
                        "name": r.get::<_, Option<String>>(1)?,
                        "state": r.get::<_, String>(2)?,
                        "error": r.get::<_, String>(3)?,
                        "at": r.get::<_, Option<String>>(4)?,
                    }))
                })?
                .collect::<Result<_, _>>()?;
            data["recipients"] = Value::Array(recipients);
        }
        out.push(pending(&at, 8, id, "send", data));
    }
    Ok(())
}

fn audit_entries(conn: &Connection, release_id: &str, out: &mut Vec<Pending>) -> Result<(), EvidenceError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, category, action, summary, reason, item_id FROM audit_log WHERE release_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![release_id], |r| {
        let id: i64 = r.get(0)?;
        let at: String = r.get(1)?;
        let action: String = r.get(4)?;
        // A move of the release's state is its own kind of entry.
        let kind = if action == "release.state" { "releaseState" } else { "audit" };
        Ok(pending(
            &at,
            9,
            format!("{id:012}"),
            kind,
            json!({
                "auditId": id,
                "actor": r.get::<_, String>(2)?,
                "category": r.get::<_, String>(3)?,
                "action": action,
                "summary": r.get::<_, String>(5)?,
                "reason": r.get::<_, String>(6)?,
                "itemId": r.get::<_, Option<String>>(7)?,
            }),
        ))
    })?;
    for p in rows {
        out.push(p?);
    }
    Ok(())
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Break {
    /// The entry's seq (its place in the file, from 1), 0 for the header,
    /// `None` when the file itself cannot be read.
    pub seq: Option<i64>,
    pub kind: Option<String>,
    /// What is wrong, in words.
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub intact: bool,
    pub entries: i32,
    /// The hash the chain ends at (when the file could be read).
    pub head: Option<String>,
    /// Whether a head hash was given to check against.
    pub head_checked: bool,
    pub problem: Option<Break>,
}

impl Verification {
    /// One paragraph for a terminal or a dialog.
    pub fn words(&self) -> String {
        match &self.problem {
            None if self.head_checked => {
                format!("Intact: {} entries, chained from the header to the head hash given ({}).", self.entries, self.head.as_deref().unwrap_or(""))
            }
            None => format!(
                "Intact: {} entries, each matching its hash and chained from the header. Head hash {}. Without --head, entries removed from the end cannot be noticed: give the head hash recorded at export.",
                self.entries,
                self.head.as_deref().unwrap_or("")
            ),
            Some(Break { seq: None, what, .. }) => format!("Not intact: {what}"),
            Some(Break { seq: Some(0), what, .. }) => format!("Not intact: the header: {what}"),
            Some(Break { seq: Some(seq), kind, what }) => format!("Not intact: entry {seq} ({}): {what}", kind.as_deref().unwrap_or("?")),
        }
    }
}

/// Checks a file's chain; with `head`, also that it ends there (which
/// catches entries cut from the end, and a chain rebuilt after a change).
pub fn verify(text: &str, head: Option<&str>) -> Verification {
    let head_given = head.map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty());
    let mut v = Verification { intact: false, entries: 0, head: None, head_checked: head_given.is_some(), problem: None };
    let broken = |v: &mut Verification, seq: Option<i64>, kind: Option<String>, what: String| {
        v.problem = Some(Break { seq, kind, what });
    };
    let file: Value = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            broken(&mut v, None, None, format!("this is not a JSON file ({e})."));
            return v;
        }
    };
    if file.get("format").and_then(Value::as_str) != Some(FORMAT) {
        broken(&mut v, None, None, format!("this is not a Liftoff evidence file (its format is not “{FORMAT}”)."));
        return v;
    }
    if file.get("version").and_then(Value::as_u64) != Some(VERSION as u64) {
        broken(&mut v, None, None, format!("this file is of another version than {VERSION}; use the Liftoff that wrote it."));
        return v;
    }
    let Some(header) = file.get("header").and_then(Value::as_object) else {
        broken(&mut v, Some(0), Some("header".into()), "the file has no header.".into());
        return v;
    };
    let Some(header_hash) = header.get("hash").and_then(Value::as_str) else {
        broken(&mut v, Some(0), Some("header".into()), "the header has no hash.".into());
        return v;
    };
    if hash_without_hash(header) != header_hash {
        broken(&mut v, Some(0), Some("header".into()), "it was changed: it does not match its hash.".into());
        return v;
    }
    let Some(entries) = file.get("entries").and_then(Value::as_array) else {
        broken(&mut v, None, None, "the file has no entries list.".into());
        return v;
    };
    v.entries = entries.len() as i32;
    let mut prev = header_hash.to_owned();
    let mut seen: Vec<(String, i64, String)> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let place = i as i64 + 1;
        let Some(object) = entry.as_object() else {
            broken(&mut v, Some(place), None, "it is not an object.".into());
            return v;
        };
        let kind = object.get("kind").and_then(Value::as_str).map(str::to_owned);
        let seq = object.get("seq").and_then(Value::as_i64);
        let label = seq.unwrap_or(place);
        for field in ["seq", "kind", "at", "data", "prev", "hash"] {
            if !object.contains_key(field) {
                broken(&mut v, Some(label), kind, format!("it has no “{field}”."));
                return v;
            }
        }
        let hash = object.get("hash").and_then(Value::as_str).unwrap_or_default().to_owned();
        if hash_without_hash(object) != hash {
            broken(&mut v, Some(label), kind, "its content was changed: it does not match its hash.".into());
            return v;
        }
        if seq != Some(place) {
            let what = match seq {
                Some(s) => format!("it is out of place: entry {s} stands where entry {place} belongs (entries were moved, removed or added before it)."),
                None => "its seq is not a number.".into(),
            };
            broken(&mut v, Some(label), kind, what);
            return v;
        }
        if object.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            let before = if i == 0 { "the header".to_owned() } else { format!("entry {} ({})", seen[i - 1].1, seen[i - 1].2) };
            broken(
                &mut v,
                Some(label),
                kind,
                format!("its prev does not match the hash of {before}: that entry was changed and its hash written anew, or entries between them were removed or added."),
            );
            return v;
        }
        seen.push((hash.clone(), place, kind.unwrap_or_default()));
        prev = hash;
    }
    v.head = Some(prev.clone());
    if let Some(given) = head_given {
        if given != prev {
            if let Some(j) = seen.iter().position(|(h, _, _)| *h == given) {
                let (_, s, k) = &seen[j];
                broken(
                    &mut v,
                    Some(seen[j + 1].1),
                    Some(seen[j + 1].2.clone()),
                    format!("the head hash given is that of entry {s} ({k}): this entry and the ones after it were added since."),
                );
            } else {
                let (seq, kind) = seen.last().map(|(_, s, k)| (*s, k.clone())).unwrap_or((0, "header".into()));
                broken(
                    &mut v,
                    Some(seq),
                    Some(kind),
                    format!("the file ends here, but not at the head hash given ({given}): entries after it were removed, or the file was written anew."),
                );
            }
            return v;
        }
    }
    v.intact = true;
    v
}
