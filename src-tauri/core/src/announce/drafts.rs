//! Drafts: one per release, channel and audience, each from a template (the
//! project's own, or the built-in one), reviewed and approved with the
//! checklists' sign-off model. The lead edits a draft's words, not its
//! template code (see [`super::words`]); the words are written into the
//! draft's templates, so what a draft says is always what they render.
//!
//! An approval holds a digest of what recipients read (see [`digest_in`]):
//! any later change to it withdraws the approval ([`settle_in`]), and
//! nothing else does. Whether anything may go out yet is [`super::gate`].
//!
//! One file over 800 lines: a draft's life (create, words, review,
//! approval, rendering) shares one row reader and one digest; split by
//! stage it would pass both around.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::render::{self, Channel, Rendered, Renderer};
use super::settings::{self, AnnounceSettings};
use super::words::{self, PartWords, PieceKind, WordsEdit, Written, WrittenMap};
use super::gate::{self, GateStage, SendGate};
use super::{items, record, AnnounceError, Audience};
use crate::audit::Actor;
use crate::release::{self as releases, Release, ReleaseState};
use crate::rules::FieldErrors;
use crate::{clock, Store};
use crate::store::column;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    pub id: String,
    pub release_id: String,
    pub channel: Channel,
    pub audience: Audience,
    /// Drafted because the release was rolled back after it was announced.
    pub correction: bool,
    /// Part name (`subject`, `body`, ...) to template source.
    pub parts: BTreeMap<String, String>,
    pub reviewer_id: Option<String>,
    pub reviewer_name: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Approval {
    /// Not approved yet.
    Waiting,
    Approved,
    /// Approved, then what it renders changed: approve again.
    Withdrawn,
}

/// Everything the draft editor shows, read and rendered in one go.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DraftView {
    pub draft: Draft,
    pub rendered: Option<Rendered>,
    /// The template error, naming its part and line.
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub social: Vec<render::SocialLength>,
    pub approval: Approval,
    pub gate: SendGate,
    /// How many included items the draft's audience gets.
    pub item_count: u32,
    /// The draft in pieces for the words editor, part by part (empty when
    /// a template does not render).
    pub words: Vec<PartWords>,
    /// The change items the draft lists (included, for its audience), to
    /// edit in place, by category as the built-in templates group them.
    pub items: Vec<items::ChangeItem>,
    /// The email's From line as recipients see it, once a sender is set.
    pub from: Option<String>,
    /// What each way out still needs (each kind once).
    pub needs: Vec<Need>,
    /// When the wording follows whether the release is out yet: what the
    /// reviewer approves, in words.
    pub timing: Option<String>,
}

/// Something a way out of the draft (an approval, an export, a send) waits
/// for, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Need {
    pub kind: NeedKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum NeedKind {
    /// The template does not render.
    Template,
    /// The reviewer's approval.
    Approval,
    /// The release verified on production (or a decision to announce anyway).
    Release,
    /// A From address (an email's approval, export and sends).
    Sender,
    /// A mail server (sends).
    Server,
    /// The lead's own address (test sends).
    TestAddress,
    /// Addresses of the draft's audience (sends to it).
    Recipients,
}

const COLUMNS: &str = "a.id, a.release_id, a.channel, a.audience, a.correction, a.parts, a.reviewer_id, p.name, a.approved_by, a.approved_at,
                       a.created_at, a.updated_at, a.approved_digest";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<(Draft, Option<String>)> {
    let (id, parts): (String, String) = (r.get(0)?, r.get(5)?);
    Ok((
        Draft {
            id: r.get(0)?,
            release_id: r.get(1)?,
            channel: column::text("announcements", &id, "channel", &r.get::<_, String>(2)?)?,
            audience: column::text("announcements", &id, "audience", &r.get::<_, String>(3)?)?,
            correction: r.get(4)?,
            parts: column::json("announcements", &id, "parts", &parts)?,
            reviewer_id: r.get(6)?,
            reviewer_name: r.get(7)?,
            approved_by: r.get(8)?,
            approved_at: r.get(9)?,
            created_at: r.get(10)?,
            updated_at: r.get(11)?,
        },
        r.get(12)?,
    ))
}

fn draft_in(conn: &Connection, id: &str) -> Result<(Draft, Option<String>), AnnounceError> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM announcements a LEFT JOIN people p ON p.id = a.reviewer_id WHERE a.id = ?1"), params![id], from_row)
        .optional()?
        .ok_or(AnnounceError::DraftNotFound)
}

fn release_in(conn: &Connection, id: &str) -> Result<Release, AnnounceError> {
    releases::get_in(conn, id)?.ok_or(AnnounceError::ReleaseNotFound)
}

/// A release's drafts with their approval (rendered to check it).
pub fn list(store: &Store, release_id: &str) -> Result<Vec<(Draft, Approval)>, AnnounceError> {
    let conn = store.reader()?;
    release_in(&conn, release_id)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM announcements a LEFT JOIN people p ON p.id = a.reviewer_id WHERE a.release_id = ?1
         ORDER BY a.correction DESC, a.channel, a.audience"
    ))?;
    let rows = stmt.query_map(params![release_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (draft, digest) in rows {
        let approval = approval_of(&conn, &draft, digest.as_deref())?;
        out.push((draft, approval));
    }
    Ok(out)
}

/// The one decision whether an approval stands, from the rendered digest
/// only: approved while what the draft says now has the digest approved.
/// A draft whose template no longer renders says nothing approvable; any
/// other error (a damaged row, the database) is an error, not a change.
fn approval_of(conn: &Connection, draft: &Draft, digest: Option<&str>) -> Result<Approval, AnnounceError> {
    // The digest is worked out only to compare with an approval.
    let now = match (&draft.approved_at, digest) {
        (Some(_), Some(_)) => match digest_in(conn, draft) {
            Ok(d) => Some(d),
            Err(AnnounceError::Template(_)) => None,
            Err(e) => return Err(e),
        },
        _ => None,
    };
    Ok(approval(draft, digest, now.as_deref()))
}

/// Where the draft's approval stands, given the digest of what it says now
/// (`None` when it does not render).
fn approval(draft: &Draft, approved: Option<&str>, now: Option<&str>) -> Approval {
    match (&draft.approved_at, approved, now) {
        (Some(_), Some(a), Some(n)) if a == n => Approval::Approved,
        (Some(_), _, _) => Approval::Withdrawn,
        _ => Approval::Waiting,
    }
}

/// The template parts a new draft of `channel` starts from: the project's
/// own when it has one, else the built-in ones.
fn starting_parts(conn: &Connection, project_id: &str, channel: Channel, correction: bool) -> Result<BTreeMap<String, String>, AnnounceError> {
    if !correction {
        let own: Option<String> = conn
            .query_row(
                "SELECT parts FROM announce_templates WHERE project_id = ?1 AND channel = ?2",
                params![project_id, channel.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(parts) = own {
            return Ok(column::json("announce_templates", &format!("{project_id}/{}", channel.as_str()), "parts", &parts)?);
        }
    }
    Ok(render::builtin(channel, correction).0)
}

/// Creates the draft for a channel and audience (or returns the one there is).
pub fn create(store: &Store, release_id: &str, channel: Channel, audience: Audience, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let id = create_in(tx, release_id, channel, audience, false, actor, now)?;
        Ok(draft_in(tx, &id)?.0)
    })
}

fn create_in(tx: &Connection, release_id: &str, channel: Channel, audience: Audience, correction: bool, actor: &Actor, now: DateTime<Utc>) -> Result<String, AnnounceError> {
    let release = release_in(tx, release_id)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT id FROM announcements WHERE release_id = ?1 AND channel = ?2 AND audience = ?3 AND correction = ?4",
            params![release_id, channel.as_str(), audience.as_str(), correction],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let parts = starting_parts(tx, &release.project_id, channel, correction)?;
    let at = clock::to_text(now);
    let id = uuid::Uuid::now_v7().to_string();
    tx.execute(
        "INSERT INTO announcements (id, release_id, channel, audience, correction, parts, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![id, release_id, channel.as_str(), audience.as_str(), correction, serde_json::to_string(&parts).expect("parts serialize"), at],
    )?;
    let what = if correction { "a correction" } else { "an announcement" };
    record(
        tx,
        actor,
        &at,
        &release.project_id,
        release_id,
        "announcement.drafted",
        format!("Drafted {what}: {} for {}", channel.label(), audience.label().to_lowercase()),
        "",
    )?;
    Ok(id)
}

/// The largest template part kept.
const PART_MAX: usize = 100_000;

/// Saves the draft's templates (the "Customize template" editor). An
/// approved draft whose templates change loses its approval.
pub fn update_parts(store: &Store, id: &str, parts: &BTreeMap<String, String>, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        let written = written_in(tx, id)?;
        save_in(tx, &current, parts.clone(), &written, "Edited the template of", actor, now)
    })
}

/// Saves new templates for a draft with the record of the lead's words
/// (kept where the words are still in them). When the templates change,
/// the approval is withdrawn and audited; when only the record does,
/// nothing the draft says changed, and the approval stands.
fn save_in(
    tx: &Connection,
    current: &Draft,
    parts: BTreeMap<String, String>,
    written: &WrittenMap,
    what: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Draft, AnnounceError> {
    let clean = check_parts(current.channel, &parts)?;
    let kept: WrittenMap = clean
        .iter()
        .map(|(name, source)| (name.clone(), words::holding(written, name, source)))
        .filter(|(_, pieces)| !pieces.is_empty())
        .collect();
    let words_json = serde_json::to_string(&kept).expect("words serialize");
    if clean == current.parts {
        tx.execute("UPDATE announcements SET words = ?2 WHERE id = ?1", params![current.id, words_json])?;
        return Ok(draft_in(tx, &current.id)?.0);
    }
    let release = release_in(tx, &current.release_id)?;
    let at = clock::to_text(now);
    tx.execute(
        "UPDATE announcements SET parts = ?2, words = ?3, updated_at = ?4 WHERE id = ?1",
        params![current.id, serde_json::to_string(&clean).expect("parts serialize"), words_json, at],
    )?;
    let label = draft_label(current);
    record(tx, actor, &at, &release.project_id, &release.id, "announcement.edited", format!("{what} the {label}"), "")?;
    settle_in(tx, &release.id, actor, &at, "the draft changed after it")?;
    Ok(draft_in(tx, &current.id)?.0)
}

/// The record of the lead's words in a draft.
fn written_in(conn: &Connection, id: &str) -> Result<WrittenMap, AnnounceError> {
    let json: String = conn.query_row("SELECT words FROM announcements WHERE id = ?1", params![id], |r| r.get(0)).optional()?.ok_or(AnnounceError::DraftNotFound)?;
    Ok(column::json("announcements", id, "words", &json)?)
}

fn no_part(channel: Channel, part: &str) -> AnnounceError {
    AnnounceError::Invalid(FieldErrors::from([(format!("parts.{part}"), format!("A {} has no part called “{part}”.", channel.label()))]))
}

/// Saves the lead's words: each edit rewrites one piece of words of a part
/// (see [`words`]). A piece rewritten to what its template writes follows
/// the template again. The approval is withdrawn when what the draft says
/// changed.
pub fn set_words(store: &Store, id: &str, edits: &[WordsEdit], actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        let release = release_in(tx, &current.release_id)?;
        let settings = settings::get_in(tx, &release.project_id)?;
        let ctx = context_in(tx, &release, &current, &settings)?;
        let renderer = Renderer::new(&ctx);
        let mut parts = current.parts.clone();
        let mut written = written_in(tx, id)?;
        for edit in edits {
            let spec = current.channel.spec(&edit.part).ok_or_else(|| no_part(current.channel, &edit.part))?;
            if edit.text.len() > PART_MAX {
                return Err(AnnounceError::Invalid(FieldErrors::from([(
                    format!("parts.{}", edit.part),
                    "This part is longer than 100,000 characters.".to_owned(),
                )])));
            }
            let source = parts.get(&edit.part).cloned().unwrap_or_default();
            let spans = words::pieces_of(&source);
            let index = edit.piece as usize;
            let Some(span) = spans.get(index).filter(|s| s.kind == PieceKind::Words) else {
                return Err(AnnounceError::Refused(
                    "This part of the draft changed while you were writing (its template was edited). Copy your text, reload the draft and write it again.".into(),
                ));
            };
            let text = render::tidy(&spec, &edit.text);
            let piece = &source[span.range.clone()];
            if renderer.output(&spec, piece).map_err(AnnounceError::Template)? == text {
                continue;
            }
            let held = words::holding(&written, &edit.part, &source);
            let template = held.get(&edit.piece).map(|w| w.template.clone()).unwrap_or_else(|| piece.to_owned());
            let template_says = renderer.output(&spec, &template).ok();
            let mut pieces = held;
            if template_says.as_deref() == Some(text.as_str()) {
                // Back to what the template writes: it follows the template again.
                parts.insert(edit.part.clone(), words::replace(&source, span, &template));
                pieces.remove(&edit.piece);
            } else {
                let mine = words::words_source(&spec, &text, &spans, index);
                parts.insert(edit.part.clone(), words::replace(&source, span, &mine));
                pieces.insert(edit.piece, Written { template, wrote: template_says.unwrap_or_default(), source: mine });
            }
            written.insert(edit.part.clone(), pieces);
        }
        save_in(tx, &current, parts, &written, "Edited the words of", actor, now)
    })
}

/// The lead keeps their words of a piece although its template would now
/// write something else: the page stops pointing it out. Nothing the draft
/// says changes, so an approval stands.
pub fn keep_words(store: &Store, id: &str, part: &str, piece: u32, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        let spec = current.channel.spec(part).ok_or_else(|| no_part(current.channel, part))?;
        let release = release_in(tx, &current.release_id)?;
        let settings = settings::get_in(tx, &release.project_id)?;
        let renderer = Renderer::new(&context_in(tx, &release, &current, &settings)?);
        let source = current.parts.get(part).cloned().unwrap_or_default();
        let mut written = written_in(tx, id)?;
        let mut held = words::holding(&written, part, &source);
        let Some(w) = held.get_mut(&piece) else {
            return Ok(current);
        };
        w.wrote = renderer.output(&spec, &w.template).map_err(AnnounceError::Template)?;
        written.insert(part.to_owned(), held);
        let at = clock::to_text(now);
        record(
            tx,
            actor,
            &at,
            &release.project_id,
            &release.id,
            "announcement.wordsKept",
            format!("Kept the lead's words in the {} although its template now writes them otherwise", draft_label(&current)),
            "",
        )?;
        save_in(tx, &current, current.parts.clone(), &written, "Kept the words of", actor, now)
    })
}

/// Puts the template back where the lead wrote over a piece: it follows
/// the template (and the items, the release, the settings) again.
pub fn use_template_words(store: &Store, id: &str, part: &str, piece: u32, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        current.channel.spec(part).ok_or_else(|| no_part(current.channel, part))?;
        let source = current.parts.get(part).cloned().unwrap_or_default();
        let written = written_in(tx, id)?;
        let held = words::holding(&written, part, &source);
        let (Some(w), Some(span)) = (held.get(&piece), words::pieces_of(&source).get(piece as usize).cloned()) else {
            return Ok(current);
        };
        let mut parts = current.parts.clone();
        parts.insert(part.to_owned(), words::replace(&source, &span, &w.template));
        save_in(tx, &current, parts, &written, "Went back to the template's words in", actor, now)
    })
}

fn check_parts(channel: Channel, parts: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, AnnounceError> {
    let names: Vec<&str> = channel.parts().iter().map(|p| p.name).collect();
    let mut errors = FieldErrors::new();
    let mut clean = BTreeMap::new();
    for name in &names {
        let source = parts.get(*name).map(String::as_str).unwrap_or("");
        if source.len() > PART_MAX {
            errors.insert(format!("parts.{name}"), "This part is longer than 100,000 characters.".into());
        }
        clean.insert((*name).to_owned(), source.to_owned());
    }
    if let Some(other) = parts.keys().find(|k| !names.contains(&k.as_str())) {
        errors.insert(format!("parts.{other}"), format!("A {} has no part called “{other}”.", channel.label()));
    }
    if !errors.is_empty() {
        return Err(AnnounceError::Invalid(errors));
    }
    Ok(clean)
}

fn draft_label(d: &Draft) -> String {
    let kind = if d.correction { "correction " } else { "" };
    format!("{kind}{} for {}", d.channel.label(), d.audience.label().to_lowercase())
}

/// Goes back to the project's template (or the built-in one).
pub fn reset(store: &Store, id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    let parts = {
        let conn = store.reader()?;
        let (d, _) = draft_in(&conn, id)?;
        let release = release_in(&conn, &d.release_id)?;
        starting_parts(&conn, &release.project_id, d.channel, d.correction)?
    };
    update_parts(store, id, &parts, actor, now)
}

/// Keeps the draft's templates as the project's template for its channel.
pub fn save_as_project_template(store: &Store, id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    store.write(|tx| {
        let (d, _) = draft_in(tx, id)?;
        let release = release_in(tx, &d.release_id)?;
        let at = clock::to_text(now);
        tx.execute(
            "INSERT INTO announce_templates (project_id, channel, parts, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (project_id, channel) DO UPDATE SET parts = excluded.parts, updated_at = excluded.updated_at",
            params![release.project_id, d.channel.as_str(), serde_json::to_string(&d.parts).expect("parts serialize"), at],
        )?;
        record(
            tx,
            actor,
            &at,
            &release.project_id,
            &release.id,
            "announcement.templateSaved",
            format!("Saved the project's {} template", d.channel.label()),
            "",
        )?;
        Ok(())
    })
}

pub fn set_reviewer(store: &Store, id: &str, person_id: Option<&str>, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        if current.reviewer_id.as_deref() == person_id {
            return Ok(current);
        }
        let release = release_in(tx, &current.release_id)?;
        let name: Option<String> = match person_id {
            None => None,
            Some(p) => Some(
                crate::people::name_in_project(tx, p, &release.project_id)?
                    .ok_or_else(|| AnnounceError::Invalid(FieldErrors::from([("reviewerId".to_owned(), crate::people::NOT_IN_PROJECT.to_owned())])))?,
            ),
        };
        let at = clock::to_text(now);
        // A new reviewer reviews afresh.
        tx.execute(
            "UPDATE announcements SET reviewer_id = ?2, approved_by = NULL, approved_at = NULL, approved_digest = NULL, updated_at = ?3 WHERE id = ?1",
            params![id, person_id, at],
        )?;
        let who = name.as_deref().unwrap_or("nobody");
        record(tx, actor, &at, &release.project_id, &release.id, "announcement.reviewer", format!("{who} reviews the {}", draft_label(&current)), "")?;
        Ok(draft_in(tx, id)?.0)
    })
}

/// What approving an email waits for when it has no sender.
const APPROVE_NEEDS_SENDER: &str =
    "Set who the email comes from first (Settings, Sender): recipients read it, so the reviewer approves it with the rest.";

/// The reviewer approves what the draft says now.
pub fn approve(store: &Store, id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        let Some(reviewer_id) = current.reviewer_id.as_deref() else {
            return Err(AnnounceError::NoReviewer);
        };
        if actor.person_id.as_deref() != Some(reviewer_id) {
            return Err(AnnounceError::NotReviewer { reviewer: current.reviewer_name.clone().unwrap_or_default() });
        }
        let (release, _) = render_in(tx, &current)?;
        if current.channel == Channel::Email && !settings::get_in(tx, &release.project_id)?.sender.is_set() {
            return Err(AnnounceError::Refused(APPROVE_NEEDS_SENDER.into()));
        }
        let at = clock::to_text(now);
        tx.execute(
            "UPDATE announcements SET approved_by = ?2, approved_at = ?3, approved_digest = ?4 WHERE id = ?1",
            params![id, actor.name, at, digest_in(tx, &current)?],
        )?;
        record(tx, actor, &at, &release.project_id, &release.id, "announcement.approved", format!("Approved the {}", draft_label(&current)), "")?;
        Ok(draft_in(tx, id)?.0)
    })
}

/// What the reviewer approves, as a digest of what recipients read: every
/// part as it reads now and as it reads on the other side of the release
/// coming out ([`readings`]: "will be available on …", then "is now
/// available"), so that the day it comes out withdraws nothing; and for
/// an email, who it comes from. Not the mail server, its port, security,
/// user name or rate, nor the recipients and test address: they change how
/// the draft goes out, not what it says.
fn digest_in(conn: &Connection, draft: &Draft) -> Result<String, AnnounceError> {
    let release = release_in(conn, &draft.release_id)?;
    let settings = settings::get_in(conn, &release.project_id)?;
    let ctx = context_in(conn, &release, draft, &settings)?;
    let readings = readings(draft, &ctx)?;
    let from = (draft.channel == Channel::Email).then(|| settings.sender.from_line());
    let json = serde_json::to_vec(&(readings, from)).expect("rendered serialize");
    Ok(Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect())
}

/// The draft as it reads once the release is out and, when it has a date,
/// before (once when the two read the same).
fn readings(draft: &Draft, ctx: &render::Context) -> Result<Vec<Rendered>, AnnounceError> {
    let templates = render::Templates(draft.parts.clone());
    let mut out: Vec<Rendered> = Vec::with_capacity(2);
    for upcoming in [false, true] {
        if upcoming && ctx.release.iso_date.is_empty() {
            continue;
        }
        let mut c = ctx.clone();
        c.release.upcoming = upcoming;
        let r = render::render(draft.channel, &templates, &c).map_err(AnnounceError::Template)?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Today's date where the project is.
fn today_in(zone: &str) -> chrono::NaiveDate {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => Utc::now().with_timezone(&tz).date_naive(),
        Err(_) => Utc::now().date_naive(),
    }
}

/// The template context of a draft: its release (its date in words, and
/// whether it is still to come), the included items for its audience, the
/// project's support links and sender.
fn context_in(conn: &Connection, release: &Release, draft: &Draft, settings: &AnnounceSettings) -> Result<render::Context, AnnounceError> {
    let (project, zone) = crate::projects::find_in(conn, &release.project_id)?.map(|p| (p.name, p.time_zone)).ok_or(AnnounceError::ReleaseNotFound)?;
    let items: Vec<items::ChangeItem> = draft_items_in(conn, release, draft)?;
    let iso_date = release.target_date.clone().unwrap_or_default();
    let out = matches!(release.state, ReleaseState::Verified | ReleaseState::Released);
    let upcoming = !out && chrono::NaiveDate::parse_from_str(&iso_date, "%Y-%m-%d").is_ok_and(|d| d > today_in(&zone));
    let mut ctx = render::Context::new(
        &project,
        render::ReleaseInfo {
            version: release.version.clone(),
            name: release.name.clone(),
            date: render::date_in_words(&iso_date),
            iso_date,
            upcoming,
            scope: release.scope.clone(),
        },
        draft.audience,
        &[],
    );
    ctx.items = items
        .into_iter()
        .map(|i| render::Item {
            category_label: i.category.label().to_owned(),
            markdown: i.edited || i.commit_sha.is_none(),
            text: i.text,
            category: i.category,
            audiences: i.audiences,
            pr: i.pr,
            author: i.author,
            commit: i.commit_sha.map(|s| s.chars().take(7).collect()).unwrap_or_default(),
        })
        .collect();
    ctx.groups = render::group_items(&ctx.items);
    ctx.support = settings.support.clone();
    ctx.links = render::Links { release_notes: settings.release_notes_url.clone(), product: settings.product_url.clone() };
    ctx.sender = render::Sender { name: settings.sender.name.trim().to_owned() };
    if draft.correction {
        ctx.rolled_back_to = gate::live_version_in(conn, release)?.unwrap_or_default();
    }
    Ok(ctx)
}

/// The change items a draft lists: the included ones meant for its audience.
fn draft_items_in(conn: &Connection, release: &Release, draft: &Draft) -> Result<Vec<items::ChangeItem>, AnnounceError> {
    Ok(items::items_in(conn, &release.id)?.into_iter().filter(|i| i.included && i.audiences.contains(&draft.audience)).collect())
}

/// Renders the draft as it stands.
pub(crate) fn render_in(conn: &Connection, draft: &Draft) -> Result<(Release, Rendered), AnnounceError> {
    let release = release_in(conn, &draft.release_id)?;
    let settings = settings::get_in(conn, &release.project_id)?;
    let ctx = context_in(conn, &release, draft, &settings)?;
    let rendered = render::render(draft.channel, &render::Templates(draft.parts.clone()), &ctx).map_err(AnnounceError::Template)?;
    Ok((release, rendered))
}

pub fn view(store: &Store, id: &str) -> Result<DraftView, AnnounceError> {
    let conn = store.reader()?;
    let (draft, digest) = draft_in(&conn, id)?;
    let release = release_in(&conn, &draft.release_id)?;
    let settings = settings::get_in(&conn, &release.project_id)?;
    let ctx = context_in(&conn, &release, &draft, &settings)?;
    let item_count = ctx.items.len() as u32;
    let (rendered, error) = match render::render(draft.channel, &render::Templates(draft.parts.clone()), &ctx) {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let words = match &rendered {
        Some(_) => words_of(&draft, &ctx, &written_in(&conn, id)?).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut warnings = Vec::new();
    if draft.channel == Channel::Email && !settings.support.has_help_or_feedback() {
        warnings.push(
            "This email says nowhere where to get help or give feedback. Add a help desk, FAQ, contact or feedback link in Settings.".into(),
        );
    }
    if item_count == 0 && !draft.correction {
        warnings.push(format!(
            "No change item is included for {}. Read the changes from git, or include items for this audience.",
            draft.audience.label().to_lowercase()
        ));
    }
    let social = match (&rendered, draft.channel) {
        (Some(r), Channel::Social) => render::social_lengths(r.text_of("text")),
        _ => Vec::new(),
    };
    for s in social.iter().filter(|s| s.over) {
        warnings.push(format!("The post is {} characters as {} counts them; its limit is {}.", s.count, s.network, s.limit));
    }
    let approval = approval_of(&conn, &draft, digest.as_deref())?;
    if approval == Approval::Withdrawn {
        warnings.push(
            "What this draft says changed after it was approved (its words, its items, the release, the project's name, its sender or the links in Settings). Ask the reviewer to approve it again."
                .into(),
        );
    }
    let gate = gate_for(&conn, &release, &draft)?;
    let timing = match readings(&draft, &ctx) {
        Ok(r) if r.len() > 1 => Some(format!(
            "The wording follows the release: until {v} is out it reads as coming on {date}; once it is out (that day, or verified on production before), as available now. The approval covers both.",
            v = release.version,
            date = ctx.release.date
        )),
        _ => None,
    };
    let needs = needs_of(&draft, error.is_some(), approval, &settings);
    let from = if draft.channel == Channel::Email { settings.sender.from_line() } else { None };
    // In the order the built-in templates list them: by category.
    let mut items = draft_items_in(&conn, &release, &draft)?;
    items.sort_by_key(|i| super::Category::ALL.iter().position(|c| *c == i.category));
    Ok(DraftView { draft, rendered, error, warnings, social, approval, gate, item_count, words, items, from, needs, timing })
}

/// The draft's parts in pieces, for the words editor.
fn words_of(draft: &Draft, ctx: &render::Context, written: &WrittenMap) -> Result<Vec<PartWords>, render::RenderError> {
    let renderer = Renderer::new(ctx);
    draft
        .channel
        .parts()
        .iter()
        .map(|spec| {
            let source = draft.parts.get(spec.name).map(String::as_str).unwrap_or("");
            words::part_words(spec, &renderer, source, &words::holding(written, spec.name, source))
        })
        .collect()
}

/// What the draft's ways out still need, besides the release's gate (its
/// own sentence): each as a short phrase the page lists beside the buttons
/// that wait for it.
fn needs_of(draft: &Draft, broken: bool, approval: Approval, settings: &AnnounceSettings) -> Vec<Need> {
    let mut needs = Vec::new();
    let mut need = |kind: NeedKind, text: String| needs.push(Need { kind, text });
    if broken {
        need(NeedKind::Template, "a template that renders (see the error above)".into());
    }
    let reviewer = draft.reviewer_name.clone();
    match (approval, reviewer) {
        (Approval::Approved, _) => {}
        (Approval::Withdrawn, Some(r)) => need(NeedKind::Approval, format!("{r}'s approval again (what it says changed since)")),
        (Approval::Withdrawn, None) => need(NeedKind::Approval, "the reviewer's approval again (what it says changed since)".into()),
        (Approval::Waiting, Some(r)) => need(NeedKind::Approval, format!("{r}'s approval")),
        (Approval::Waiting, None) => need(NeedKind::Approval, "a reviewer's approval (choose the reviewer under Review)".into()),
    }
    if draft.channel == Channel::Email {
        if !settings.sender.is_set() {
            need(NeedKind::Sender, "a From address (Settings, Sender)".into());
        }
        if settings.smtp.is_none() {
            need(NeedKind::Server, "a mail server (Settings, Mail server)".into());
        }
        if settings.test_address.trim().is_empty() {
            need(NeedKind::TestAddress, "your address for test sends (Settings, Mail server)".into());
        }
        if !settings.recipients_of(draft.audience).is_ok_and(|r| !r.is_empty()) {
            need(NeedKind::Recipients, format!("addresses for {} (Settings, Recipients)", draft.audience.label().to_lowercase()));
        }
    }
    needs
}

/// The gate of one draft: a correction may go out once the release was
/// rolled back (that is what it tells); any other draft needs
/// [`gate::gate_in`].
fn gate_for(conn: &Connection, release: &Release, draft: &Draft) -> Result<SendGate, AnnounceError> {
    if !draft.correction {
        return gate::gate_in(conn, release);
    }
    let v = &release.version;
    let rolled_back = release.state == ReleaseState::RolledBack;
    let (stage, reason, waiting) = if rolled_back {
        (GateStage::CorrectionDue, format!("{v} was rolled back: this correction may go out to those who heard of it."), String::new())
    } else {
        (
            GateStage::CorrectionNotNeeded,
            format!("{v} is {} now, not rolled back: this correction is no longer needed.", release.state.label()),
            format!("This correction does not go out: {v} is no longer rolled back."),
        )
    };
    Ok(SendGate { allowed: rolled_back, verified: rolled_back, stage, reason, waiting, override_by: None, override_reason: None })
}

/// The draft as it may go out now: approved, unchanged since, and the
/// release verified on production (or overridden).
pub(crate) fn ready_in(conn: &Connection, id: &str) -> Result<(Draft, Release, Rendered), AnnounceError> {
    let (draft, digest) = draft_in(conn, id)?;
    let (release, rendered) = render_in(conn, &draft)?;
    match approval_of(conn, &draft, digest.as_deref())? {
        Approval::Approved => {}
        Approval::Withdrawn => {
            return Err(AnnounceError::NotApproved(
                "This draft changed after it was approved. Ask its reviewer to approve it again before it goes out.".into(),
            ))
        }
        Approval::Waiting => {
            let who = draft.reviewer_name.clone().map(|n| format!("its reviewer, {n},")).unwrap_or_else(|| "a reviewer".into());
            return Err(AnnounceError::NotApproved(format!("This draft is not approved yet. Ask {who} to approve it before it goes out.")));
        }
    }
    let gate = gate_for(conn, &release, &draft)?;
    if !gate.allowed {
        return Err(AnnounceError::NotVerified(gate.reason));
    }
    Ok((draft, release, rendered))
}

/// The draft for a test send: it renders (approval is not needed).
pub(crate) fn for_test_in(conn: &Connection, id: &str) -> Result<(Draft, Release, Rendered), AnnounceError> {
    let (draft, _) = draft_in(conn, id)?;
    let (release, rendered) = render_in(conn, &draft)?;
    Ok((draft, release, rendered))
}

/// After a rollback: a correction draft for every channel and audience that
/// already heard about the release (sent or exported), unless one exists.
pub(crate) fn draft_corrections_in(tx: &Connection, release_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    let mut stmt = tx.prepare(
        "SELECT DISTINCT a.channel, a.audience FROM announcements a JOIN announce_sends s ON s.announcement_id = a.id
         WHERE a.release_id = ?1 AND a.correction = 0 AND s.kind IN ('audience', 'export')
           AND (s.kind = 'export' OR EXISTS (SELECT 1 FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'sent'))",
    )?;
    let heard: Vec<(String, String)> = stmt.query_map(params![release_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    for (channel, audience) in heard {
        if let (Some(c), Some(a)) = (Channel::parse(&channel), Audience::parse(&audience)) {
            create_in(tx, release_id, c, a, true, actor, now)?;
        }
    }
    Ok(())
}

/// The preview document of a draft (light or dark); a draft whose template
/// fails shows the error instead.
pub fn preview(store: &Store, id: &str, dark: bool) -> Result<String, AnnounceError> {
    let conn = store.reader()?;
    let (draft, _) = draft_in(&conn, id)?;
    render_in(&conn, &draft).map(|(_, rendered)| rendered.preview(dark))
}

/// The one approval rule: an approval stands while what the draft says is
/// unchanged. After any write that may change what a release's drafts say
/// (their words, their items, the settings, the release or the project),
/// every approved draft whose digest ([`digest_in`]) no longer matches the
/// approved one loses its approval, recorded with `cause` in the audit
/// log; undoing the change later does not bring it back.
pub(crate) fn settle_in(tx: &Connection, release_id: &str, actor: &Actor, at: &str, cause: &str) -> Result<(), AnnounceError> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {COLUMNS} FROM announcements a LEFT JOIN people p ON p.id = a.reviewer_id WHERE a.release_id = ?1 AND a.approved_digest IS NOT NULL AND {STILL_OPEN}"
    ))?;
    let approved = stmt.query_map(params![release_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    for (draft, digest) in approved {
        if approval_of(tx, &draft, digest.as_deref())? == Approval::Approved {
            continue;
        }
        let release = release_in(tx, release_id)?;
        tx.execute("UPDATE announcements SET approved_digest = NULL WHERE id = ?1", params![draft.id])?;
        let by = draft.approved_by.as_deref().unwrap_or("the reviewer");
        let summary = format!("{by}'s approval of the {} was withdrawn: {cause}", draft_label(&draft));
        record(tx, actor, at, &release.project_id, release_id, "announcement.approvalWithdrawn", summary, "")?;
    }
    Ok(())
}

/// An approved draft the rule still watches: not yet sent to its whole
/// audience (a finished send with every delivery sent is history; what it
/// said then is in its send).
const STILL_OPEN: &str = "NOT EXISTS (SELECT 1 FROM announce_sends s WHERE s.announcement_id = a.id AND s.kind = 'audience' AND s.state = 'done'
                            AND NOT EXISTS (SELECT 1 FROM announce_deliveries d WHERE d.send_id = s.id AND d.state <> 'sent'))";

/// The releases of a project (not cancelled) with an approved draft not yet
/// sent: those whose approvals a change to the project or its settings may
/// withdraw.
/// With `corrections_only`, those with an approved correction draft.
pub(crate) fn approved_releases_in(tx: &Connection, project_id: &str, corrections_only: bool) -> Result<Vec<String>, AnnounceError> {
    let mut stmt = tx.prepare(
        &format!(
            "SELECT DISTINCT a.release_id FROM announcements a JOIN releases r ON r.id = a.release_id
             WHERE r.project_id = ?1 AND r.state <> 'cancelled' AND a.approved_digest IS NOT NULL AND {STILL_OPEN}
               AND (?2 = 0 OR a.correction = 1) ORDER BY a.release_id"
        ),
    )?;
    let ids = stmt.query_map(params![project_id, corrections_only], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}
