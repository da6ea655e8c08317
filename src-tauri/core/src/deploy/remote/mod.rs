//! Deploys through the team's CI/CD engine: Liftoff starts the engine's
//! job, follows it (its steps, its log, its state in its own words) and
//! cancels it, and the engine's verdict becomes the run's.
//!
//! - this module: what every engine client shares: the engine's state read
//!   into a [`Verdict`] (the status mapping into [`RunState`]), a
//!   [`RemoteStatus`] with the engine's words, the [`RemoteLine`]s of its
//!   log, and [`RemoteError`], a failure in a sentence for a person;
//! - [`buildbot`]: a Buildbot master through its REST API (login, check,
//!   force, follow, cancel);
//! - [`github`]: GitHub Actions (and Enterprise Server) through its REST
//!   API (check, dispatch, follow, approve, cancel, rerun);
//! - [`jenkins`]: a Jenkins job through its remote access API (crumb,
//!   build with parameters, queue to build, progressive log, input step,
//!   cancel);
//! - [`gitlab`]: GitLab CI through its REST API (pipeline or trigger token,
//!   jobs and their traces, manual jobs and deployment approvals, cancel,
//!   retry);
//! - [`webhook`]: the team's own endpoint, sent the deploy as signed JSON
//!   (HMAC-SHA256, an idempotency key), followed through a status URL when
//!   it names one;
//! - [`connection`]: one connection to whichever of them a target names,
//!   with the handle and the cursor stored with the run: what the deploy
//!   engine's `Runner::remote` drives.
//!
//! The lines handed out are raw: the deploy engine passes them through
//! [`crate::deploy::lines::Lines`] and its masker like a command's output.

pub mod buildbot;
pub mod connection;
pub mod github;
pub mod gitlab;
pub mod jenkins;
pub mod webhook;

use crate::deploy::lines::Stream;
use crate::deploy::runs::RunState;
use crate::http;

/// Where the engine's job stands, for Liftoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Queued, running, or being retried: follow on.
    Running,
    /// Done well: the run goes on to its smoke checks.
    Succeeded,
    /// Cancelled, on the engine or from Liftoff.
    Cancelled,
    TimedOut,
    /// Failed, or a state Liftoff does not know.
    Failed,
}

impl Verdict {
    /// The deploy step's end as a run state (`None` while it runs). A
    /// success is the deploy step's: the smoke checks still follow.
    pub fn run_state(self) -> Option<RunState> {
        match self {
            Verdict::Running => None,
            Verdict::Succeeded => Some(RunState::Succeeded),
            Verdict::Cancelled => Some(RunState::Cancelled),
            Verdict::TimedOut => Some(RunState::TimedOut),
            Verdict::Failed => Some(RunState::Failed),
        }
    }

    pub fn is_done(self) -> bool {
        self != Verdict::Running
    }
}

/// The engine's state: the verdict, and the engine's own words for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStatus {
    pub verdict: Verdict,
    /// The engine's words ("build successful", "failed 'sh -c ...'").
    pub words: String,
    /// The job's page on the engine, once there is one.
    pub url: Option<String>,
    /// The step that failed, when the engine names one.
    pub failed_step: Option<String>,
}

/// One step (Buildbot) or job (GitHub, GitLab, Jenkins stage) of the
/// engine's run, as the engine has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStep {
    pub name: String,
    /// Running while it runs (or waits to); its end otherwise.
    pub verdict: Verdict,
    /// The engine's words for its state ("running", "'sh -c ...' (failure)").
    pub words: String,
}

/// A run that waits for someone to approve it on the engine (a GitHub
/// environment's reviewers, a GitLab protected environment, a Jenkins
/// `input` step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// What waits: the engine's environment or input name.
    pub environment: String,
    /// Who may approve, in the engine's words (people or teams).
    pub reviewers: Vec<String>,
    /// Whether Liftoff's login may approve or reject it.
    pub can_approve: bool,
}

/// What one poll of an engine found: its state, its steps as they are
/// now, the log lines new since the last poll, and an approval it waits for.
#[derive(Debug, Clone)]
pub struct RemotePoll {
    pub status: RemoteStatus,
    pub steps: Vec<RemoteStep>,
    pub lines: Vec<RemoteLine>,
    pub approval: Option<Approval>,
}

/// One line of the engine's log, raw (not yet masked or cleaned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteLine {
    /// The engine's step it belongs to.
    pub step: String,
    pub stream: Stream,
    pub text: String,
}

/// An engine request that failed, in a sentence for a person; never holds
/// the credential (the HTTP client masks it, and these messages are built
/// from masked text only).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    pub message: String,
    /// The HTTP failure's kind, when it came from one.
    pub kind: Option<http::ErrorKind>,
}

impl RemoteError {
    pub fn new(message: impl Into<String>) -> RemoteError {
        RemoteError { message: message.into(), kind: None }
    }
}

impl From<http::Error> for RemoteError {
    fn from(e: http::Error) -> RemoteError {
        RemoteError { message: e.message().to_owned(), kind: Some(e.kind()) }
    }
}
