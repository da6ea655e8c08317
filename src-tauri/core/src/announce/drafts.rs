//! Drafts: one per release, channel and audience, each from a template (the
//! project's own, or the built-in one), reviewed and approved with the
//! checklists' sign-off model. An approval holds a digest of what it saw:
//! any later change to what the draft renders withdraws it. Nothing goes
//! out before the release is verified on production, unless someone
//! decided otherwise and said why.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::render::{self, Channel, Rendered};
use super::settings::{self, AnnounceSettings};
use super::{items, record, AnnounceError, Audience};
use crate::audit::Actor;
use crate::release::{self as releases, Release, ReleaseState};
use crate::rules::FieldErrors;
use crate::{clock, Store};

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

/// Whether anything may go out for the release yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendGate {
    pub allowed: bool,
    /// Verified on production (the last environment of the pipeline).
    pub verified: bool,
    /// In words: why it may or may not go out.
    pub reason: String,
    pub override_by: Option<String>,
    pub override_reason: Option<String>,
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
}

const COLUMNS: &str = "a.id, a.release_id, a.channel, a.audience, a.correction, a.parts, a.reviewer_id, p.name, a.approved_by, a.approved_at,
                       a.created_at, a.updated_at, a.approved_digest";

fn from_row(r: &rusqlite::Row) -> rusqlite::Result<(Draft, Option<String>)> {
    let parts: String = r.get(5)?;
    Ok((
        Draft {
            id: r.get(0)?,
            release_id: r.get(1)?,
            channel: Channel::parse(&r.get::<_, String>(2)?).unwrap_or(Channel::Email),
            audience: Audience::parse(&r.get::<_, String>(3)?).unwrap_or(Audience::EndUsers),
            correction: r.get(4)?,
            parts: serde_json::from_str(&parts).unwrap_or_default(),
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

fn approval_of(conn: &Connection, draft: &Draft, digest: Option<&str>) -> Result<Approval, AnnounceError> {
    // Rendering is needed only to compare with an approval.
    let rendered = match (&draft.approved_at, digest) {
        (Some(_), Some(_)) => render_in(conn, draft).ok().map(|(_, r)| r),
        _ => None,
    };
    Ok(approval(draft, digest, rendered.as_ref()))
}

/// Where the draft's approval stands, given what it renders now (`None`
/// when it does not render).
fn approval(draft: &Draft, digest: Option<&str>, rendered: Option<&Rendered>) -> Approval {
    match (&draft.approved_at, digest, rendered) {
        (Some(_), Some(d), Some(r)) if digest_of(r) == d => Approval::Approved,
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
        if let Some(parts) = own.and_then(|p| serde_json::from_str(&p).ok()) {
            return Ok(parts);
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

/// Saves the draft's templates. An approved draft loses its approval.
pub fn update_parts(store: &Store, id: &str, parts: &BTreeMap<String, String>, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        let clean = check_parts(current.channel, parts)?;
        if clean == current.parts {
            return Ok(current);
        }
        let release = release_in(tx, &current.release_id)?;
        let at = clock::to_text(now);
        tx.execute(
            "UPDATE announcements SET parts = ?2, approved_by = NULL, approved_at = NULL, approved_digest = NULL, updated_at = ?3 WHERE id = ?1",
            params![id, serde_json::to_string(&clean).expect("parts serialize"), at],
        )?;
        let label = draft_label(&current);
        record(tx, actor, &at, &release.project_id, &release.id, "announcement.edited", format!("Edited the {label}"), "")?;
        if let Some(by) = &current.approved_by {
            record(
                tx,
                actor,
                &at,
                &release.project_id,
                &release.id,
                "announcement.approvalWithdrawn",
                format!("{by}'s approval of the {label} was withdrawn: the draft changed after it"),
                "",
            )?;
        }
        Ok(draft_in(tx, id)?.0)
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
                tx.query_row("SELECT name FROM people WHERE id = ?1 AND project_id = ?2", params![p, release.project_id], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| {
                        AnnounceError::Invalid(FieldErrors::from([(
                            "reviewerId".to_owned(),
                            "That person is no longer in this project. Pick someone from the list.".to_owned(),
                        )]))
                    })?,
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

/// The reviewer approves what the draft renders now.
pub fn approve(store: &Store, id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Draft, AnnounceError> {
    store.write(|tx| {
        let (current, _) = draft_in(tx, id)?;
        let Some(reviewer_id) = current.reviewer_id.as_deref() else {
            return Err(AnnounceError::NoReviewer);
        };
        if actor.person_id.as_deref() != Some(reviewer_id) {
            return Err(AnnounceError::NotReviewer { reviewer: current.reviewer_name.clone().unwrap_or_default() });
        }
        let (release, rendered) = render_in(tx, &current)?;
        let at = clock::to_text(now);
        tx.execute(
            "UPDATE announcements SET approved_by = ?2, approved_at = ?3, approved_digest = ?4 WHERE id = ?1",
            params![id, actor.name, at, digest_of(&rendered)],
        )?;
        record(tx, actor, &at, &release.project_id, &release.id, "announcement.approved", format!("Approved the {}", draft_label(&current)), "")?;
        Ok(draft_in(tx, id)?.0)
    })
}

fn digest_of(rendered: &Rendered) -> String {
    let json = serde_json::to_vec(rendered).expect("rendered serialize");
    Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
}

/// The template context of a draft: its release, the included items for
/// its audience, the project's support links.
fn context_in(conn: &Connection, release: &Release, draft: &Draft, settings: &AnnounceSettings) -> Result<render::Context, AnnounceError> {
    let project: String = conn.query_row("SELECT name FROM projects WHERE id = ?1", params![release.project_id], |r| r.get(0))?;
    let items: Vec<items::ChangeItem> =
        items::items_in(conn, &release.id)?.into_iter().filter(|i| i.included && i.audiences.contains(&draft.audience)).collect();
    let mut ctx = render::Context::new(
        &project,
        render::ReleaseInfo {
            version: release.version.clone(),
            name: release.name.clone(),
            date: release.target_date.clone().unwrap_or_default(),
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
    ctx.sender = render::Sender { name: settings.smtp.as_ref().map(|m| m.from_name.clone()).unwrap_or_else(|| project.clone()) };
    if draft.correction {
        ctx.rolled_back_to = live_version_in(conn, release)?.unwrap_or_default();
    }
    Ok(ctx)
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
    let approval = approval(&draft, digest.as_deref(), rendered.as_ref());
    if approval == Approval::Withdrawn {
        warnings.push("What this draft says changed after it was approved (its template, the items or the settings). Ask the reviewer to approve it again.".into());
    }
    let gate = gate_for(&conn, &release, &draft)?;
    Ok(DraftView { draft, rendered, error, warnings, social, approval, gate, item_count })
}

/// The version production runs now, from its last successful run.
fn live_version_in(conn: &Connection, release: &Release) -> Result<Option<String>, AnnounceError> {
    Ok(conn
        .query_row(
            "SELECT r.version FROM deploy_runs r WHERE r.environment_id = (SELECT id FROM environments WHERE project_id = ?1 ORDER BY position DESC LIMIT 1)
               AND r.state = 'succeeded' ORDER BY r.ended_at DESC LIMIT 1",
            params![release.project_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether the release may be announced: verified on production (the last
/// environment of the pipeline: a deploy of this release there succeeded,
/// smoke checks included, and it was not rolled back since), or an
/// override recorded with who decided and why.
pub(crate) fn gate_in(conn: &Connection, release: &Release) -> Result<SendGate, AnnounceError> {
    let production: Option<(String, String)> = conn
        .query_row(
            "SELECT id, name FROM environments WHERE project_id = ?1 ORDER BY position DESC LIMIT 1",
            params![release.project_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // Verified means running verified now: what production runs (its last
    // run that changed it) is this release's deploy, and its smoke checks
    // passed. A later deploy of another version, a rollback or a failed
    // verification closes the gate again.
    // (What production runs now is its last run that changed it, as
    // `deploy::runs::current_in` reads it; read here without importing
    // the deploy engine, which imports this module.)
    let running_now: Option<(Option<String>, String, String)> = match &production {
        None => None,
        Some((env, _)) => conn
            .query_row(
                "SELECT release_id, state, kind FROM deploy_runs WHERE environment_id = ?1 AND state IN ('succeeded', 'failedVerification')
                 ORDER BY started_at DESC, id DESC LIMIT 1",
                params![env],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?,
    };
    let verified = running_now
        .as_ref()
        .is_some_and(|(release_id, state, kind)| release_id.as_deref() == Some(release.id.as_str()) && state == "succeeded" && kind == "deploy")
        && !matches!(release.state, ReleaseState::RolledBack | ReleaseState::Cancelled);
    // An override stands for the release as it was when it was decided: a
    // rollback or a cancellation voids it (and a rollback removes it).
    let over: Option<(String, String)> = if matches!(release.state, ReleaseState::RolledBack | ReleaseState::Cancelled) {
        None
    } else {
        conn.query_row("SELECT decided_by, reason FROM announce_overrides WHERE release_id = ?1", params![release.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
    };
    let env_name = production.as_ref().map(|p| p.1.as_str()).unwrap_or("production");
    let reason = if verified {
        format!("{} is verified on {env_name}.", release.version)
    } else if let Some((by, why)) = &over {
        format!("{} is not verified on {env_name}, but {by} decided to announce it anyway: {why}", release.version)
    } else if release.state == ReleaseState::RolledBack {
        format!("{} was rolled back. Send the correction instead, or deploy it again.", release.version)
    } else {
        format!(
            "{} is not verified on {env_name} yet (the release is {}). Deploy it there and let its smoke checks pass; or record who decided to announce it anyway, and why.",
            release.version,
            release.state.label()
        )
    };
    Ok(SendGate {
        allowed: verified || over.is_some(),
        verified,
        reason,
        override_by: over.as_ref().map(|o| o.0.clone()),
        override_reason: over.map(|o| o.1),
    })
}

/// The gate of one draft: a correction may go out once the release was
/// rolled back (that is what it tells); any other draft needs [`gate_in`].
fn gate_for(conn: &Connection, release: &Release, draft: &Draft) -> Result<SendGate, AnnounceError> {
    if !draft.correction {
        return gate_in(conn, release);
    }
    let rolled_back = release.state == ReleaseState::RolledBack;
    Ok(SendGate {
        allowed: rolled_back,
        verified: rolled_back,
        reason: if rolled_back {
            format!("{} was rolled back: the correction may go out.", release.version)
        } else {
            format!("{} is {} now, not rolled back: this correction is no longer needed.", release.version, release.state.label())
        },
        override_by: None,
        override_reason: None,
    })
}

/// Records that the release may be announced before it is verified on
/// production: who decided, and why (in the audit log too).
pub fn override_gate(store: &Store, release_id: &str, decided_by: &str, reason: &str, actor: &Actor, now: DateTime<Utc>) -> Result<SendGate, AnnounceError> {
    // The same rule as the deploy gate's override: who, and a sentence of why.
    let (decided_by, reason) = crate::rules::decision(decided_by, reason).map_err(AnnounceError::Invalid)?;
    store.write(|tx| {
        let release = release_in(tx, release_id)?;
        let at = clock::to_text(now);
        tx.execute(
            "INSERT INTO announce_overrides (release_id, decided_by, reason, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (release_id) DO UPDATE SET decided_by = excluded.decided_by, reason = excluded.reason, at = excluded.at",
            params![release_id, decided_by, reason, at],
        )?;
        record(
            tx,
            actor,
            &at,
            &release.project_id,
            release_id,
            "announcement.overridden",
            format!("{decided_by} decided to announce {} before it is verified on production", release.version),
            reason,
        )?;
        gate_in(tx, &release)
    })
}

/// The draft as it may go out now: approved, unchanged since, and the
/// release verified on production (or overridden).
pub(crate) fn ready_in(conn: &Connection, id: &str) -> Result<(Draft, Release, Rendered), AnnounceError> {
    let (draft, digest) = draft_in(conn, id)?;
    let (release, rendered) = render_in(conn, &draft)?;
    match approval(&draft, digest.as_deref(), Some(&rendered)) {
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

/// Moves a release to `to` (see [`releases::set_state`]); a move to rolled
/// back drafts the corrections in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn set_release_state(
    store: &Store,
    id: &str,
    to: ReleaseState,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Result<Release, AnnounceError> {
    store.write(|tx| {
        let release = releases::set_state_in(tx, id, to, reason, actor, now, today)?;
        if to == ReleaseState::RolledBack {
            release_pulled_in(tx, id, actor, now)?;
        }
        Ok(release)
    })
}

/// The release stopped running on production (a rollback, a switch back, a
/// deploy of an older version): an "announce anyway" decided for it no
/// longer stands, and whoever heard of it gets a correction draft. The
/// deploy engine calls it in the write that records the run's end.
pub fn release_pulled_in(tx: &Connection, release_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    let removed = tx.execute("DELETE FROM announce_overrides WHERE release_id = ?1", params![release_id])?;
    if removed > 0 {
        let release = release_in(tx, release_id)?;
        let at = clock::to_text(now);
        record(
            tx,
            actor,
            &at,
            &release.project_id,
            release_id,
            "announcement.overrideVoided",
            format!("The decision to announce {} before it was verified no longer stands: it stopped running on production", release.version),
            "",
        )?;
    }
    draft_corrections_in(tx, release_id, actor, now)
}

/// After a rollback: a correction draft for every channel and audience that
/// already heard about the release (sent or exported), unless one exists.
pub fn draft_corrections_in(tx: &Connection, release_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
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

/// [`gate_in`] for a release, by id.
pub fn gate(store: &Store, release_id: &str) -> Result<SendGate, AnnounceError> {
    let conn = store.reader()?;
    let release = release_in(&conn, release_id)?;
    gate_in(&conn, &release)
}

/// The preview document of a draft (light or dark); a draft whose template
/// fails shows the error instead.
pub fn preview(store: &Store, id: &str, dark: bool) -> Result<String, AnnounceError> {
    let conn = store.reader()?;
    let (draft, _) = draft_in(&conn, id)?;
    render_in(&conn, &draft).map(|(_, rendered)| rendered.preview(dark))
}

/// After a change to the release's items: every approved draft whose text
/// changed with it loses its approval, in the audit log too.
pub(crate) fn withdraw_changed_in(tx: &Connection, release_id: &str, actor: &Actor, at: &str) -> Result<(), AnnounceError> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {COLUMNS} FROM announcements a LEFT JOIN people p ON p.id = a.reviewer_id WHERE a.release_id = ?1 AND a.approved_digest IS NOT NULL"
    ))?;
    let approved = stmt.query_map(params![release_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    for (draft, digest) in approved {
        let still = matches!(render_in(tx, &draft), Ok((_, r)) if Some(digest_of(&r)) == digest);
        if still {
            continue;
        }
        let release = release_in(tx, release_id)?;
        tx.execute("UPDATE announcements SET approved_digest = NULL WHERE id = ?1", params![draft.id])?;
        let by = draft.approved_by.as_deref().unwrap_or("the reviewer");
        let summary = format!("{by}'s approval of the {} was withdrawn: its change items changed", draft_label(&draft));
        record(tx, actor, at, &release.project_id, release_id, "announcement.approvalWithdrawn", summary, "")?;
    }
    Ok(())
}
