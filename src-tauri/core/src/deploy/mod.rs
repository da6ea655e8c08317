//! The deploy engine: pick the version and the environment, press Deploy.
//!
//! - [`target`]: how an environment deploys (a kind of target, its steps,
//!   smoke checks and blue-green slots), stored without secret values;
//! - [`preflight`]: the checks before anything starts (gate, freeze,
//!   window, promotion, lock, credentials), each pass, warn or fail;
//! - [`runs`]: runs, their log (head and tail kept), locks and history;
//! - [`engine`]: executes a run: steps as child processes ([`exec`]), every
//!   line through the [`mask`], smoke checks ([`smoke`]), blue-green switch,
//!   the release's state, rollback;
//! - [`lines`]: output bytes made log lines (escapes, UTF-8, pieces);
//!   [`procs`]: a run's processes found and stopped; `os`: what differs
//!   between operating systems, kept out of the rest;
//! - [`remote`]: deploys through the team's CI/CD engine (Buildbot so
//!   far; not yet wired into the engine);
//! - [`schedules`]: deploys asked for a later time, claimed by one process
//!   at their time (the window or `liftoff schedule run-due`).
//!
//! This module holds what its children share (the preflight check types
//! that [`preflight`] works out and [`runs`] stores) and the rules that
//! reach beyond it: a run that takes a release off its environment rolls it
//! back and drafts its corrections ([`release_replaced_in`]).

pub mod commits;
pub mod engine;
pub mod exec;
pub mod freeze_sync;
pub mod lines;
pub mod mask;
mod os;
pub mod preflight;
pub mod procs;
pub mod remote;
pub mod runs;
pub mod schedules;
pub mod shipping;
pub mod smoke;
pub mod target;

use serde::{Deserialize, Serialize};

use crate::credentials::CredentialError;
use crate::release::ReleaseError;
use crate::rules::{ErrorKind, FieldErrors, Kind};
use crate::secrets::KeychainError;
use crate::StoreError;

pub use runs::{Run, RunKind, RunState};

// The preflight check types: preflight works them out, runs stores them
// with the run, and both are children of this module.

/// How a preflight check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum CheckOutcome {
    Pass,
    Warn,
    Fail,
}

/// A decision that overrides a failed check: who decided, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// The check's key: `gate`, `freeze` or `promotion`.
    pub check: String,
    pub decided_by: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PreflightCheck {
    /// `target`, `gate`, `freeze`, `window`, `promotion`, `lock`, `credentials`.
    pub key: String,
    pub label: String,
    pub outcome: CheckOutcome,
    pub reason: String,
    /// A failure that a decision (who and why) may override.
    pub overridable: bool,
    /// The decision that overrode it, if one did.
    pub decision: Option<Decision>,
}

impl PreflightCheck {
    pub(crate) fn new(key: &str, label: &str, outcome: CheckOutcome, reason: String) -> PreflightCheck {
        PreflightCheck { key: key.into(), label: label.into(), outcome, reason, overridable: false, decision: None }
    }
    /// Failed, and not overridden.
    pub fn blocks(&self) -> bool {
        self.outcome == CheckOutcome::Fail && self.decision.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{}", crate::rules::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That environment no longer exists. It may have been deleted; the list has been refreshed.")]
    EnvironmentNotFound,
    #[error("That release no longer exists. The list has been refreshed.")]
    ReleaseNotFound,
    #[error("That run no longer exists. The list has been refreshed.")]
    RunNotFound,
    #[error("No project is called “{0}”. `liftoff projects` lists them.")]
    ProjectNotFound(String),
    #[error("No deploy target is set for {0}. Set one on the Deploys page (Deploy target) first.")]
    NoTarget(String),
    #[error("The deploy target of this environment cannot be read. Set it again on the Deploys page.")]
    TargetDamaged,
    #[error("{0}")]
    Refused(String),
    #[error("{}", preflight::refusal(.0))]
    PreflightFailed(Vec<PreflightCheck>),
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    NothingToRollBack(String),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    #[error(transparent)]
    Environment(#[from] crate::environments::EnvironmentError),
    #[error(transparent)]
    Announce(Box<crate::announce::AnnounceError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::announce::AnnounceError> for DeployError {
    fn from(e: crate::announce::AnnounceError) -> Self {
        DeployError::Announce(Box::new(e))
    }
}

impl From<rusqlite::Error> for DeployError {
    fn from(e: rusqlite::Error) -> Self {
        DeployError::Store(StoreError::from(e))
    }
}

impl Kind for DeployError {
    fn kind(&self) -> ErrorKind {
        match self {
            DeployError::Invalid(_) | DeployError::NoTarget(_) | DeployError::Refused(_) | DeployError::PreflightFailed(_) => ErrorKind::Invalid,
            DeployError::NothingToRollBack(_) => ErrorKind::Invalid,
            DeployError::EnvironmentNotFound | DeployError::ReleaseNotFound | DeployError::RunNotFound | DeployError::ProjectNotFound(_) => {
                ErrorKind::NotFound
            }
            DeployError::TargetDamaged => ErrorKind::Database,
            DeployError::Locked(_) => ErrorKind::Conflict,
            DeployError::Keychain(_) => ErrorKind::Keychain,
            DeployError::Release(e) => e.kind(),
            DeployError::Credentials(e) => e.kind(),
            DeployError::Environment(e) => e.kind(),
            DeployError::Announce(e) => e.kind(),
            DeployError::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            DeployError::Invalid(f) => Some(f),
            DeployError::Release(e) => e.fields(),
            _ => None,
        }
    }
}

/// What the lead asks for: this version (of this release, or a build
/// reference) on this environment, with the decisions that override
/// failed preflight checks.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct DeployRequest {
    pub environment_id: String,
    pub release_id: Option<String>,
    /// The version; when a release is picked, its version if left empty.
    pub version: String,
    /// A tag, commit or other build reference, optional.
    pub build_ref: String,
    /// Overrides of failed checks, by check key (`gate`, `freeze`, `promotion`).
    pub decisions: Vec<Decision>,
    /// The lead saw the warnings (outside the window) and goes ahead.
    pub accept_warnings: bool,
}

/// A run took `release_id` off its environment (a rollback's, or a newer
/// release an older version was deployed over): the release is rolled
/// back, and what announcements said of it follows
/// ([`crate::announce::release_pulled_in`]), in the write that records the
/// run's end.
pub(crate) fn release_replaced_in(
    tx: &rusqlite::Connection,
    release_id: &str,
    version: &str,
    environment: &str,
    actor: &crate::audit::Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DeployError> {
    let why = format!("rolled back to {version} on {environment}");
    crate::release::move_by_deploy(tx, release_id, crate::release::ReleaseState::RolledBack, &why, actor, now)?;
    Ok(crate::announce::release_pulled_in(tx, release_id, actor, now)?)
}

/// A run succeeded: what its environment runs changed, and a correction
/// draft names the version users are back on, so the approvals of
/// corrections follow ([`crate::announce::production_changed_in`]).
pub(crate) fn environment_changed_in(tx: &rusqlite::Connection, project_id: &str, actor: &crate::audit::Actor, now: chrono::DateTime<chrono::Utc>) -> Result<(), DeployError> {
    Ok(crate::announce::production_changed_in(tx, project_id, actor, now)?)
}
