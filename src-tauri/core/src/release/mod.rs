//! Releases, and what decides whether one may ship: its readiness
//! checklist (`checklists`, with the templates it starts from), reviewer
//! sign-off and the production gate (`gate`). They live in one folder
//! because they refer to each other; nothing outside it is needed here but
//! the audit log, the store and the shared rules.
//!
//! A release is a version of a project with its scope, target date and state.
//!
//! States follow the release's life: draft -> planned -> ready (the gate
//! passed) -> deploying -> verified -> released, or rolled back / cancelled.
//! Only the moves in [`ReleaseState::next`] are allowed, and "ready" needs
//! the readiness gate of every protected environment to be open.

pub mod checklists;
pub mod gate;

use crate::rules::{ErrorKind, Kind};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, AuditCategory, Change};
use crate::rules::FieldErrors;
use crate::{clock, Store, StoreError};
use crate::store::column::{self, stored_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ReleaseState {
    Draft,
    Planned,
    Ready,
    Deploying,
    Verified,
    Released,
    RolledBack,
    Cancelled,
}

stored_text!(ReleaseState {
    Draft => "draft",
    Planned => "planned",
    Ready => "ready",
    Deploying => "deploying",
    Verified => "verified",
    Released => "released",
    RolledBack => "rolledBack",
    Cancelled => "cancelled",
});

impl ReleaseState {
    pub const ALL: [ReleaseState; 8] = [
        ReleaseState::Draft,
        ReleaseState::Planned,
        ReleaseState::Ready,
        ReleaseState::Deploying,
        ReleaseState::Verified,
        ReleaseState::Released,
        ReleaseState::RolledBack,
        ReleaseState::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ReleaseState::RolledBack => "rolled back",
            other => other.as_str(),
        }
    }

    /// The states a release may move to from this one.
    pub fn next(self) -> &'static [ReleaseState] {
        use ReleaseState::*;
        match self {
            Draft => &[Planned, Cancelled],
            Planned => &[Draft, Ready, Cancelled],
            Ready => &[Planned, Deploying, Cancelled],
            Deploying => &[Verified, RolledBack],
            Verified => &[Released, RolledBack],
            Released => &[RolledBack],
            RolledBack => &[Planned, Cancelled],
            Cancelled => &[Draft],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub id: String,
    pub project_id: String,
    pub version: String,
    pub name: String,
    /// What the release contains, in the lead's words.
    pub scope: String,
    /// `YYYY-MM-DD`.
    pub target_date: Option<String>,
    pub state: ReleaseState,
    /// States the release may move to next.
    pub next_states: Vec<ReleaseState>,
    /// The planned window (RFC 3339, UTC), when one is set.
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    /// The environment the window is for; the first protected one if unset.
    pub window_environment_id: Option<String>,
    /// Who is on call during the window.
    pub on_call_id: Option<String>,
    /// An emergency decision to release inside a freeze, for this window.
    pub freeze_override_reason: Option<String>,
    pub freeze_override_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseDraft {
    pub version: String,
    pub name: String,
    pub scope: String,
    pub target_date: Option<String>,
}

/// A release in a list, with its checklist progress and its gate.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseSummary {
    pub release: Release,
    pub items: i32,
    pub complete: i32,
    /// The gate of the project's first protected environment (production);
    /// `None` when no environment is protected.
    pub gate: Option<GateBrief>,
}

/// Where a release stands at a gate, in short: what [`gate::evaluate`] says,
/// without the items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GateBrief {
    pub environment_name: String,
    pub state: GateState,
    /// Required items not complete (0 with no checklist at all).
    pub missing: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum GateState {
    /// Every required item is complete.
    Open,
    /// Something required is missing (or there is no checklist).
    Closed,
    /// Something is missing, but an override lets the release through.
    Overridden,
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{}", crate::rules::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That release no longer exists. The list has been refreshed.")]
    NotFound,
    #[error("That checklist item no longer exists. The checklist has been refreshed.")]
    ItemNotFound,
    #[error("That override was already withdrawn or no longer exists. The release has been refreshed.")]
    OverrideNotFound,
    #[error("That template no longer exists. The list has been refreshed.")]
    TemplateNotFound,
    #[error("That environment no longer exists. It may have been deleted; the list has been refreshed.")]
    EnvironmentNotFound,
    #[error("That project no longer exists. It may have been deleted; the list has been refreshed.")]
    ProjectNotFound,
    #[error("The person you are acting as is no longer in this project. Pick who you are again at the top of the release.")]
    UnknownActor,
    #[error("A release can go from {} to {}, not to {}.", .from.label(), list_states(.allowed), .to.label())]
    BadTransition { from: ReleaseState, to: ReleaseState, allowed: Vec<ReleaseState> },
    #[error("Only {reviewer}, the item's reviewer, can sign it off. Choose {reviewer} under “Acting as” if that is you.")]
    NotReviewer { reviewer: String },
    #[error("This item has no reviewer to sign it off. Assign a reviewer first.")]
    NoReviewer,
    #[error("Only an item marked done or not applicable can be signed off; this one is {0}.")]
    NotFinished(&'static str),
    #[error("This release already has a checklist. Add items to it, or import them, instead of starting a new one.")]
    ChecklistExists,
    #[error("{}", gate::closed_message(.0))]
    GateClosed(Vec<gate::GateReport>),
    #[error("{message}")]
    File {
        message: String,
        #[source]
        cause: Option<crate::rules::Cause>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list_states(states: &[ReleaseState]) -> String {
    let labels: Vec<&str> = states.iter().map(|s| s.label()).collect();
    match labels.as_slice() {
        [] => "nowhere".into(),
        [one] => (*one).into(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl From<rusqlite::Error> for ReleaseError {
    fn from(e: rusqlite::Error) -> Self {
        ReleaseError::Store(StoreError::from(e))
    }
}

/// An actor that cannot be named, or a log that cannot be read, is a
/// release's problem to the caller.
impl From<crate::audit::AuditError> for ReleaseError {
    fn from(e: crate::audit::AuditError) -> Self {
        use crate::audit::AuditError as E;
        match e {
            E::UnknownActor => ReleaseError::UnknownActor,
            E::ReleaseNotFound => ReleaseError::NotFound,
            E::ItemNotFound => ReleaseError::ItemNotFound,
            E::OverrideNotFound => ReleaseError::OverrideNotFound,
            E::Store(e) => ReleaseError::Store(e),
        }
    }
}

impl Kind for ReleaseError {
    fn kind(&self) -> ErrorKind {
        match self {
            ReleaseError::Invalid(_) => ErrorKind::Invalid,
            ReleaseError::NotFound
            | ReleaseError::OverrideNotFound
            | ReleaseError::ItemNotFound
            | ReleaseError::TemplateNotFound
            | ReleaseError::EnvironmentNotFound
            | ReleaseError::ProjectNotFound => ErrorKind::NotFound,
            ReleaseError::Store(e) => e.kind(),
            // Refusals the user can act on: the message says how.
            ReleaseError::UnknownActor
            | ReleaseError::BadTransition { .. }
            | ReleaseError::NotReviewer { .. }
            | ReleaseError::NoReviewer
            | ReleaseError::NotFinished(_)
            | ReleaseError::ChecklistExists
            | ReleaseError::GateClosed(_)
            | ReleaseError::File { .. } => ErrorKind::Invalid,
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            ReleaseError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

/// Two columns for a release `r`: its checklist items, and those complete
/// (done or not applicable, and signed off where they have a reviewer: the
/// rule of [`checklists::ChecklistItem::complete`]).
pub(crate) const PROGRESS_COLUMNS: &str = "(SELECT count(*) FROM checklist_items i WHERE i.release_id = r.id),
       (SELECT count(*) FROM checklist_items i WHERE i.release_id = r.id
          AND i.state IN ('done', 'notApplicable')
          AND (i.reviewer_id IS NULL OR i.signed_off_at IS NOT NULL))";

/// Three columns for the gate of a release `r` at its project's first
/// protected environment: that environment's name (NULL when none is
/// protected), the required items not complete, and whether an override
/// of that gate is in force.
const GATE_COLUMNS: &str = "(SELECT e.name FROM environments e WHERE e.project_id = r.project_id AND e.protected = 1 ORDER BY e.position LIMIT 1),
       (SELECT count(*) FROM checklist_items i WHERE i.release_id = r.id AND i.required = 1
          AND NOT (i.state IN ('done', 'notApplicable') AND (i.reviewer_id IS NULL OR i.signed_off_at IS NOT NULL))),
       EXISTS (SELECT 1 FROM gate_overrides o WHERE o.release_id = r.id AND o.withdrawn_at IS NULL
          AND o.environment_id = (SELECT e.id FROM environments e WHERE e.project_id = r.project_id AND e.protected = 1
                                  ORDER BY e.position LIMIT 1))";

/// Everything the release screen shows, read in one go.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseView {
    pub release: Release,
    pub items: Vec<checklists::ChecklistItem>,
    pub progress: checklists::Progress,
    /// One report per protected environment, in pipeline order.
    pub gates: Vec<gate::GateReport>,
}

/// The release screen: the release, its checklist and its progress, and the
/// gate of each protected environment (the parent reads its children).
pub fn view(store: &Store, release_id: &str, today: NaiveDate) -> Result<ReleaseView, ReleaseError> {
    let release = get(store, release_id)?;
    let conn = store.reader()?;
    let items = checklists::load_items(&conn, release_id, today)?;
    let progress = checklists::progress::of(&items);
    let gates = gate::evaluate_protected(&conn, release_id, today)?;
    Ok(ReleaseView { release, items, progress, gates })
}

/// The project's releases (in one state, or all), newest target first, each
/// with its progress and production gate.
pub fn list(store: &Store, project_id: &str, state: Option<ReleaseState>) -> Result<Vec<ReleaseSummary>, ReleaseError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT}, {PROGRESS_COLUMNS}, {GATE_COLUMNS}
         FROM releases r
         WHERE r.project_id = ?1 AND (?2 IS NULL OR r.state = ?2)
         ORDER BY r.target_date IS NULL, r.target_date DESC, r.created_at DESC"
    ))?;
    let rows = stmt.query_map(params![project_id, state.map(ReleaseState::as_str)], |row| {
        let items: i32 = row.get(15)?;
        let gate = row.get::<_, Option<String>>(17)?.map(|environment_name| {
            let missing: i32 = row.get(18)?;
            let overridden: bool = row.get(19)?;
            // As the gate decides: no checklist at all is missing everything.
            let state = match (items > 0 && missing == 0, overridden) {
                (true, _) => GateState::Open,
                (false, true) => GateState::Overridden,
                (false, false) => GateState::Closed,
            };
            Ok::<_, rusqlite::Error>(GateBrief { environment_name, state, missing })
        });
        Ok(ReleaseSummary { release: from_row(row)?, items, complete: row.get(16)?, gate: gate.transpose()? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(store: &Store, id: &str) -> Result<Release, ReleaseError> {
    get_in(&*store.reader()?, id)?.ok_or(ReleaseError::NotFound)
}

pub fn create(store: &Store, project_id: &str, draft: &ReleaseDraft, actor: &Actor, now: DateTime<Utc>) -> Result<Release, ReleaseError> {
    store.write(|tx| create_in(tx, project_id, draft, actor, now))
}

/// [`create`] inside the caller's transaction.
pub(crate) fn create_in(tx: &Connection, project_id: &str, draft: &ReleaseDraft, actor: &Actor, now: DateTime<Utc>) -> Result<Release, ReleaseError> {
    let clean = validate(draft)?;
    let exists: bool = crate::projects::find_in(tx, project_id)?.is_some();
    if !exists {
        return Err(ReleaseError::ProjectNotFound);
    }
    ensure_version_free(tx, project_id, &clean.version, None)?;
    let id = uuid::Uuid::now_v7().to_string();
    let at = clock::to_text(now);
    tx.execute(
        "INSERT INTO releases (id, project_id, version, name, scope, target_date, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'draft', ?7, ?7)",
        params![id, project_id, clean.version, clean.name, clean.scope, clean.target_date, at],
    )?;
    let summary = format!("Created release {} “{}”", clean.version, clean.name);
    log(tx, actor, &at, (project_id, &id), "release.created", summary, "")?;
    let release = get_in(tx, &id)?.ok_or(ReleaseError::NotFound)?;
    Ok(release)
}

/// Edits a release inside the caller's transaction, of a validated draft.
/// What its announcements say follows it: edit through
/// [`crate::announce::update_release`], which applies the approval rule.
pub(crate) fn update_in(tx: &Connection, id: &str, clean: &ReleaseDraft, actor: &Actor, now: DateTime<Utc>) -> Result<Release, ReleaseError> {
    let current = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
    ensure_version_free(tx, &current.project_id, &clean.version, Some(id))?;
    let mut changes = Vec::new();
    if current.version != clean.version {
        changes.push(format!("version {} → {}", current.version, clean.version));
    }
    if current.name != clean.name {
        changes.push(format!("name “{}” → “{}”", current.name, clean.name));
    }
    if current.scope != clean.scope {
        changes.push("scope".to_owned());
    }
    if current.target_date != clean.target_date {
        changes.push(format!(
            "target date {} → {}",
            current.target_date.as_deref().unwrap_or("none"),
            clean.target_date.as_deref().unwrap_or("none")
        ));
    }
    if changes.is_empty() {
        return Ok(current);
    }
    let at = clock::to_text(now);
    tx.execute(
        "UPDATE releases SET version = ?2, name = ?3, scope = ?4, target_date = ?5, updated_at = ?6 WHERE id = ?1",
        params![id, clean.version, clean.name, clean.scope, clean.target_date, at],
    )?;
    log(tx, actor, &at, (&current.project_id, id), "release.edited", format!("Edited {}", changes.join("; ")), "")?;
    let release = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
    Ok(release)
}

/// Moves a release to `to`. Moving to "ready" or "deploying" asks the gate
/// of every protected environment (the checklist may have changed since the
/// release became ready); a closed gate refuses with what is missing.
pub fn set_state(
    store: &Store,
    id: &str,
    to: ReleaseState,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Release, ReleaseError> {
    store.write(|tx| set_state_in(tx, id, to, reason, actor, now, today))
}

/// [`set_state`] inside the caller's transaction.
pub(crate) fn set_state_in(tx: &Connection, id: &str, to: ReleaseState, reason: &str, actor: &Actor, now: DateTime<Utc>, today: NaiveDate) -> Result<Release, ReleaseError> {
    let current = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
    if current.state == to {
        return Ok(current);
    }
    if !current.state.next().contains(&to) {
        return Err(ReleaseError::BadTransition { from: current.state, to, allowed: current.state.next().to_vec() });
    }
    if matches!(to, ReleaseState::Ready | ReleaseState::Deploying) {
        let closed: Vec<gate::GateReport> =
            gate::evaluate_protected(tx, id, today)?.into_iter().filter(|g| !g.allowed).collect();
        if !closed.is_empty() {
            return Err(ReleaseError::GateClosed(closed));
        }
    }
    let at = clock::to_text(now);
    tx.execute("UPDATE releases SET state = ?2, updated_at = ?3 WHERE id = ?1", params![id, to.as_str(), at])?;
    log(tx, actor, &at, (&current.project_id, id), "release.state", format!("Moved the release from {} to {}", current.state.label(), to.label()), reason.trim())?;
    let release = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
    Ok(release)
}

/// Sets a state the release had in the past, without the rules and the
/// audit entry of a move (the sample project's history).
pub(crate) fn set_past_state_in(tx: &Connection, id: &str, state: ReleaseState) -> rusqlite::Result<()> {
    tx.execute("UPDATE releases SET state = ?2 WHERE id = ?1", params![id, state.as_str()])?;
    Ok(())
}

/// Marks the release as a hotfix for an incident in production (or not),
/// with an audit entry; `None` when there is no such release. The metrics
/// count its production deploys as rework (`monitor::metrics`).
pub(crate) fn set_hotfix_in(tx: &Connection, id: &str, hotfix: bool, actor: &Actor, now: DateTime<Utc>) -> rusqlite::Result<Option<String>> {
    let Some((project_id, version, was)) = tx
        .query_row("SELECT project_id, version, hotfix FROM releases WHERE id = ?1", [id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))
        .optional()?
    else {
        return Ok(None);
    };
    if was != hotfix {
        tx.execute("UPDATE releases SET hotfix = ?2 WHERE id = ?1", params![id, hotfix])?;
        let summary = if hotfix {
            format!("Release {version} marked as a hotfix for an incident in production")
        } else {
            format!("Release {version} no longer marked as a hotfix")
        };
        audit::record(
            tx,
            actor,
            &clock::to_text(now),
            Change { project_id: &project_id, release_id: Some(id), item_id: None, category: AuditCategory::Release, action: "release.hotfix", summary, reason: "" },
        )?;
    }
    Ok(Some(project_id))
}

/// Moves a release as a deploy found it: deploying when a run to a
/// protected environment starts, verified when its smoke checks pass,
/// rolled back when a rollback replaces it. The deploy's preflight already
/// asked the gate (or recorded its override), so the transition table is
/// not asked again; the move is logged with the run that caused it.
pub(crate) fn move_by_deploy(tx: &Connection, id: &str, to: ReleaseState, why: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), ReleaseError> {
    let Some(current) = get_in(tx, id)? else { return Ok(()) };
    if current.state == to || current.state == ReleaseState::Cancelled {
        return Ok(());
    }
    // A release already announced stays released when it verifies again.
    if current.state == ReleaseState::Released && to == ReleaseState::Verified {
        return Ok(());
    }
    let at = clock::to_text(now);
    tx.execute("UPDATE releases SET state = ?2, updated_at = ?3 WHERE id = ?1", params![id, to.as_str(), at])?;
    log(tx, actor, &at, (&current.project_id, id), "release.state", format!("Moved the release from {} to {}", current.state.label(), to.label()), why)?;
    Ok(())
}

/// The longest a release window may be.
pub const MAX_WINDOW: chrono::Duration = chrono::Duration::days(7);

/// Plans (or clears, with `None`) the release's window, and logs the change.
/// `environment_id` names the environment it is for; `None` keeps the one set.
pub fn set_window(
    store: &Store,
    id: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    environment_id: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Release, ReleaseError> {
    store.write(|tx| set_window_in(tx, id, window, environment_id, actor, now))
}

/// [`set_window`] inside the caller's transaction.
pub(crate) fn set_window_in(
    tx: &Connection,
    id: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    environment_id: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Release, ReleaseError> {
    let current = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
    let environment_id = environment_id.or(current.window_environment_id.as_deref());
    if let Some((start, end)) = window {
        if end <= start || end - start > MAX_WINDOW {
            return Err(ReleaseError::Invalid(FieldErrors::from([(
                "windowEnd".to_owned(),
                "The window must end after it starts, and last at most 7 days.".to_owned(),
            )])));
        }
    }
    if let Some(env) = environment_id {
        if crate::environments::in_project(tx, env, &current.project_id)?.is_none() {
            return Err(ReleaseError::EnvironmentNotFound);
        }
    }
    let (start, end) = match window {
        Some((s, e)) => (Some(clock::to_text(s)), Some(clock::to_text(e))),
        None => (None, None),
    };
    if current.window_start == start && current.window_end == end && current.window_environment_id.as_deref() == environment_id {
        return Ok(current);
    }
    let at = clock::to_text(now);
    // A freeze override was given for the old window only.
    tx.execute(
        "UPDATE releases SET window_start = ?2, window_end = ?3, window_environment_id = ?4, updated_at = ?5,
                freeze_override_reason = NULL, freeze_override_by = NULL WHERE id = ?1",
        params![id, start, end, environment_id, at],
    )?;
    let mut summary = match window {
        Some((s, e)) => format!("Planned the window {}", window_words(tx, &current.project_id, s, e)?),
        None => "Cleared the planned window".to_owned(),
    };
    if current.freeze_override_reason.is_some() {
        summary.push_str("; the freeze override for the old window ended");
    }
    log(tx, actor, &at, (&current.project_id, id), "release.window", summary, "")?;
    get_in(tx, id)?.ok_or(ReleaseError::NotFound)
}

/// Names who is on call during the window (or nobody), and logs it.
pub fn set_on_call(store: &Store, id: &str, person_id: Option<&str>, actor: &Actor, now: DateTime<Utc>) -> Result<Release, ReleaseError> {
    store.write(|tx| {
        let current = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
        let name: Option<String> = match person_id {
            None => None,
            Some(p) => Some(
                crate::people::name_in_project(tx, p, &current.project_id)?
                    .ok_or_else(|| ReleaseError::Invalid(FieldErrors::from([("personId".to_owned(), crate::people::NOT_IN_PROJECT.to_owned())])))?,
            ),
        };
        if current.on_call_id.as_deref() == person_id {
            return Ok(current);
        }
        let at = clock::to_text(now);
        tx.execute("UPDATE releases SET on_call_id = ?2, updated_at = ?3 WHERE id = ?1", params![id, person_id, at])?;
        let summary = match &name {
            Some(n) => format!("{n} is on call for the window"),
            None => "Nobody is on call for the window".to_owned(),
        };
        log(tx, actor, &at, (&current.project_id, id), "release.onCall", summary, "")?;
        get_in(tx, id)?.ok_or(ReleaseError::NotFound)
    })
}

/// A window as the audit log keeps it: in the project's zone, as the window
/// writes times, with the year (the entry is read later, maybe in another).
fn window_words(conn: &Connection, project_id: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> rusqlite::Result<String> {
    Ok(clock::span_words(start, end, crate::projects::time_zone_in(conn, project_id)?, None))
}

/// Records an emergency decision to release inside a freeze, for the
/// release's current window: who decided and why, in the audit log.
pub fn override_freeze(store: &Store, id: &str, decided_by: &str, reason: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Release, ReleaseError> {
    let (decided_by, reason) = crate::rules::decision(decided_by, reason).map_err(ReleaseError::Invalid)?;
    store.write(|tx| {
        let current = get_in(tx, id)?.ok_or(ReleaseError::NotFound)?;
        let (Some(s), Some(e)) = (&current.window_start, &current.window_end) else {
            return Err(ReleaseError::Invalid(FieldErrors::from([(
                "reason".to_owned(),
                "Plan the release's window first; an override holds for one window.".to_owned(),
            )])));
        };
        let at = clock::to_text(now);
        tx.execute(
            "UPDATE releases SET freeze_override_reason = ?2, freeze_override_by = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, reason, decided_by, at],
        )?;
        let change = Change {
            project_id: &current.project_id,
            release_id: Some(id),
            item_id: None,
            category: AuditCategory::Gate,
            action: "freeze.overridden",
            summary: match (DateTime::parse_from_rfc3339(s), DateTime::parse_from_rfc3339(e)) {
                (Ok(s), Ok(e)) => format!(
                    "Overrode the freeze for the window {}, decided by {decided_by}",
                    window_words(tx, &current.project_id, s.with_timezone(&Utc), e.with_timezone(&Utc))?
                ),
                _ => format!("Overrode the freeze for the window {s} to {e}, decided by {decided_by}"),
            },
            reason,
        };
        audit::record(tx, actor, &at, change)?;
        get_in(tx, id)?.ok_or(ReleaseError::NotFound)
    })
}

pub fn validate(draft: &ReleaseDraft) -> Result<ReleaseDraft, ReleaseError> {
    let clean = ReleaseDraft {
        version: draft.version.trim().to_owned(),
        name: draft.name.trim().to_owned(),
        scope: draft.scope.trim().to_owned(),
        target_date: draft.target_date.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned),
    };
    let mut errors = FieldErrors::new();
    let version_len = clean.version.chars().count();
    if version_len == 0 {
        errors.insert("version".into(), "Enter the version, such as 2.4.0.".into());
    } else if version_len > 40 || clean.version.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.insert("version".into(), "Write the version without spaces, in 40 characters or fewer (such as 2.4.0-rc1).".into());
    }
    let name_len = clean.name.chars().count();
    if name_len == 0 {
        errors.insert("name".into(), "Give the release a name, such as “Tax engine switch”.".into());
    } else if name_len > 120 || clean.name.chars().any(char::is_control) {
        errors.insert("name".into(), "Keep the name to one line of 120 characters or fewer.".into());
    }
    if clean.scope.chars().count() > 10_000 {
        errors.insert("scope".into(), "Keep the scope under 10,000 characters; link to a longer document instead.".into());
    }
    if let Some(date) = &clean.target_date {
        if parse_date(date).is_none() {
            errors.insert("targetDate".into(), "Enter the target date as YYYY-MM-DD, such as 2026-12-03.".into());
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(ReleaseError::Invalid(errors))
    }
}

/// Appends a change of a release to the audit log.
fn log(conn: &Connection, actor: &Actor, at: &str, (project_id, release_id): (&str, &str), action: &str, summary: String, reason: &str) -> rusqlite::Result<()> {
    let change = Change { project_id, release_id: Some(release_id), item_id: None, category: AuditCategory::Release, action, summary, reason };
    audit::record(conn, actor, at, change)
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn ensure_version_free(conn: &Connection, project_id: &str, version: &str, except: Option<&str>) -> Result<(), ReleaseError> {
    let taken: Option<String> = conn
        .query_row(
            "SELECT name FROM releases WHERE project_id = ?1 AND version = ?2 AND id IS NOT ?3",
            params![project_id, version, except],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(name) => Err(ReleaseError::Invalid(FieldErrors::from([(
            "version".to_owned(),
            format!("Release “{name}” already has version {version} in this project."),
        )]))),
        None => Ok(()),
    }
}

const SELECT: &str = "SELECT r.id, r.project_id, r.version, r.name, r.scope, r.target_date, r.state, r.created_at, r.updated_at,
        r.window_start, r.window_end, r.window_environment_id, r.on_call_id, r.freeze_override_reason, r.freeze_override_by";

pub(crate) fn get_in(conn: &Connection, id: &str) -> Result<Option<Release>, ReleaseError> {
    Ok(conn.query_row(&format!("{SELECT} FROM releases r WHERE r.id = ?1"), params![id], from_row).optional()?)
}

fn from_row(row: &Row) -> rusqlite::Result<Release> {
    let state = column::text("releases", &row.get::<_, String>(0)?, "state", &row.get::<_, String>(6)?)?;
    Ok(Release {
        id: row.get(0)?,
        project_id: row.get(1)?,
        version: row.get(2)?,
        name: row.get(3)?,
        scope: row.get(4)?,
        target_date: row.get(5)?,
        state,
        next_states: state.next().to_vec(),
        window_start: row.get(9)?,
        window_end: row.get(10)?,
        window_environment_id: row.get(11)?,
        on_call_id: row.get(12)?,
        freeze_override_reason: row.get(13)?,
        freeze_override_by: row.get(14)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_checked() {
        let bad = ReleaseDraft { version: "2 4".into(), name: "".into(), scope: "".into(), target_date: Some("03/12/2026".into()) };
        match validate(&bad) {
            Err(ReleaseError::Invalid(f)) => {
                assert!(f.contains_key("version") && f.contains_key("name") && f.contains_key("targetDate"), "{f:?}");
            }
            other => panic!("expected errors, got {other:?}"),
        }
        let good = ReleaseDraft { version: " 2.4.0 ".into(), name: "Tax".into(), scope: "".into(), target_date: Some("".into()) };
        let clean = validate(&good).unwrap();
        assert_eq!(clean.version, "2.4.0");
        assert_eq!(clean.target_date, None);
    }

    #[test]
    fn every_state_can_be_left_and_messages_read_well() {
        for s in ReleaseState::ALL {
            assert!(!s.next().is_empty(), "{s:?} is a dead end");
            assert!(!s.next().contains(&s));
        }
        let e = ReleaseError::BadTransition {
            from: ReleaseState::Draft,
            to: ReleaseState::Released,
            allowed: ReleaseState::Draft.next().to_vec(),
        };
        assert_eq!(e.to_string(), "A release can go from draft to planned or cancelled, not to released.");
    }
}
