//! The send gate: nothing about a release reaches users before production
//! runs it verified (or someone decided, with a reason, to announce it
//! anyway); a rollback voids that decision. Owns `announce_overrides`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{record, AnnounceError};
use crate::audit::Actor;
use crate::release::{Release, ReleaseState};
use crate::{clock, Store};

/// Where a release (or a correction) stands for going out: each stage has
/// its own sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum GateStage {
    /// It runs verified on production.
    Verified,
    /// Not verified, but someone decided to announce it anyway.
    Overridden,
    /// Not verified on production yet.
    NotVerified,
    /// Rolled back before anything about it reached anyone: nothing to correct.
    RolledBack,
    /// Rolled back after users may have heard of it: its corrections go out instead.
    RolledBackAfterAnnouncing,
    Cancelled,
    /// A correction of a release that was rolled back: it may go out.
    CorrectionDue,
    /// A correction of a release that is no longer rolled back.
    CorrectionNotNeeded,
}

/// Whether anything may go out for the release yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendGate {
    pub allowed: bool,
    /// Verified on production (the last environment of the pipeline).
    pub verified: bool,
    pub stage: GateStage,
    /// In words: where the release stands and what to do (the page's
    /// gate panel shows it).
    pub reason: String,
    /// Beside the buttons that reach users while they wait: what they wait
    /// for, in a sentence of its own. Empty when they do not wait.
    pub waiting: String,
    pub override_by: Option<String>,
    pub override_reason: Option<String>,
}

/// The version production runs now, from its last successful run.
pub(crate) fn live_version_in(conn: &Connection, release: &Release) -> Result<Option<String>, AnnounceError> {
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
    let production: Option<(String, String)> = crate::environments::list_in(conn, &release.project_id)?.pop().map(|e| (e.id, e.name));
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
    let v = &release.version;
    // A correction is drafted only for those who may have heard of the
    // release (see `draft_corrections_in`): it is offered only then.
    let corrected: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM announcements WHERE release_id = ?1 AND correction = 1)", params![release.id], |r| r.get(0))?;
    let (stage, reason, waiting) = if verified {
        (GateStage::Verified, format!("{v} is verified on {env_name}: its announcements may go out."), String::new())
    } else if let Some((by, why)) = &over {
        (GateStage::Overridden, format!("{v} is not verified on {env_name}, but {by} decided to announce it anyway: {why}"), String::new())
    } else if release.state == ReleaseState::RolledBack && corrected {
        (
            GateStage::RolledBackAfterAnnouncing,
            format!(
                "{v} was rolled back after people heard of it. Send its correction (the drafts marked “Correction”) to those who did; {v} itself is announced again only once it runs verified on {env_name}."
            ),
            format!("Exports for users and sending are closed: {v} was rolled back. Its correction goes out instead."),
        )
    } else if release.state == ReleaseState::RolledBack {
        (
            GateStage::RolledBack,
            format!("{v} was rolled back before anything about it went out, so there is nothing to correct. Deploy it (or a fixed version) to {env_name} again and let its smoke checks pass to announce it."),
            format!("Exports for users and sending are closed while {v} is rolled back."),
        )
    } else if release.state == ReleaseState::Cancelled {
        (GateStage::Cancelled, format!("{v} was cancelled: it is not announced."), format!("Exports for users and sending are closed: {v} was cancelled."))
    } else {
        (
            GateStage::NotVerified,
            format!(
                "{v} is not verified on {env_name} yet (the release is {}). Deploy it there and let its smoke checks pass; or record who decided to announce it anyway, and why.",
                release.state.label()
            ),
            format!("Exports for users and sending wait until {v} runs verified on {env_name}, or someone decides to announce it anyway."),
        )
    };
    Ok(SendGate {
        allowed: verified || over.is_some(),
        verified,
        stage,
        reason,
        waiting,
        override_by: over.as_ref().map(|o| o.0.clone()),
        override_reason: over.map(|o| o.1),
    })
}

/// Records that the release may be announced before it is verified on
/// production: who decided, and why (in the audit log too).
pub fn override_gate(store: &Store, release_id: &str, decided_by: &str, reason: &str, actor: &Actor, now: DateTime<Utc>) -> Result<SendGate, AnnounceError> {
    // The same rule as the deploy gate's override: who, and a sentence of why.
    let (decided_by, reason) = crate::rules::decision(decided_by, reason).map_err(AnnounceError::Invalid)?;
    store.write(|tx| {
        let release = crate::release::get_in(tx, release_id)?.ok_or(AnnounceError::ReleaseNotFound)?;
        // A rollback or a cancellation voids a decision: one made after it
        // would allow nothing, so it is not recorded.
        match release.state {
            ReleaseState::RolledBack => {
                return Err(AnnounceError::Refused(format!(
                    "{} was rolled back: announcing it anyway is not possible. Deploy it again and let it be verified on production to announce it.",
                    release.version
                )))
            }
            ReleaseState::Cancelled => return Err(AnnounceError::Refused(format!("{} was cancelled: it is not announced.", release.version))),
            _ => {}
        }
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

/// An "announce anyway" decided for a release that stopped running on
/// production no longer stands (see [`super::release_pulled_in`]).
pub(crate) fn void_override_in(tx: &Connection, release_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    let removed = tx.execute("DELETE FROM announce_overrides WHERE release_id = ?1", params![release_id])?;
    if removed > 0 {
        let release = crate::release::get_in(tx, release_id)?.ok_or(AnnounceError::ReleaseNotFound)?;
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
    Ok(())
}

/// [`gate_in`] for a release, by id.
pub fn gate(store: &Store, release_id: &str) -> Result<SendGate, AnnounceError> {
    let conn = store.reader()?;
    let release = crate::release::get_in(&conn, release_id)?.ok_or(AnnounceError::ReleaseNotFound)?;
    gate_in(&conn, &release)
}
