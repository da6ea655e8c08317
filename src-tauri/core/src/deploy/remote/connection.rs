//! One connection to whichever engine a target names, so the deploy
//! engine drives them all the same way: connect, trigger, poll, cancel,
//! check. The handle and the cursor say which engine they belong to; both
//! are stored with the run (`remote_ref`, `log_cursor`) and read back by
//! the process that follows it again.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::buildbot::{self, Buildbot};
use super::github::{self, Github};
use super::gitlab::{self, Gitlab};
use super::jenkins::{self, Jenkins};
use super::webhook::{self, Webhook};
use super::{RemoteError, RemotePoll, RemoteStatus, RemoteStep};
use crate::deploy::target::{RemoteTarget, TargetKind};

/// How long a cancel waits for the engine to confirm.
pub const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// A logged-in connection to the target's engine.
pub enum Connection {
    Buildbot(Buildbot),
    Github(Github),
    Gitlab(Gitlab),
    Jenkins(Jenkins),
    Webhook(Webhook),
}

/// The engine's handle for the job Liftoff started (`remote_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "engine", rename_all = "camelCase")]
pub enum Handle {
    #[serde(rename_all = "camelCase")]
    Buildbot { buildsetid: u64, buildrequestid: u64 },
    Github(github::Handle),
    Gitlab(gitlab::Handle),
    Jenkins(jenkins::Handle),
    Webhook(webhook::Handle),
}

/// How far a follow has read (`log_cursor`), per engine.
#[derive(Debug, Clone)]
pub enum Cursor {
    Buildbot(buildbot::Cursor),
    Github(github::Cursor),
    Gitlab(gitlab::Cursor),
    Jenkins(jenkins::Cursor),
    Webhook(webhook::Cursor),
}

impl Handle {
    /// A short name of the job for the log ("build request 12").
    pub fn describe(&self) -> String {
        match self {
            Handle::Buildbot { buildrequestid, buildsetid } => format!("build request {buildrequestid} (buildset {buildsetid})"),
            Handle::Github(h) => format!("workflow run {}", h.run_id),
            Handle::Gitlab(h) => format!("pipeline {}", h.pipeline_id),
            Handle::Jenkins(h) => match (h.build, h.queue_item) {
                (Some(b), _) => format!("build #{b}"),
                (None, Some(q)) => format!("queue item {q}"),
                (None, None) => "a queued build".into(),
            },
            Handle::Webhook(h) => match &h.status_url {
                Some(u) => format!("the deploy, followed at {u}"),
                None => "the deploy (no status URL: the smoke checks decide)".into(),
            },
        }
    }

    /// A cursor at the start of the job's log.
    pub fn start(&self) -> Cursor {
        match self {
            Handle::Buildbot { buildrequestid, .. } => Cursor::Buildbot(buildbot::Cursor::new(*buildrequestid)),
            Handle::Github(h) => Cursor::Github(github::Cursor::new(h)),
            Handle::Gitlab(h) => Cursor::Gitlab(gitlab::Cursor::new(h)),
            Handle::Jenkins(h) => Cursor::Jenkins(jenkins::Cursor::new(h)),
            Handle::Webhook(h) => Cursor::Webhook(webhook::Cursor::new(h)),
        }
    }

    /// The cursor stored as JSON, read for this handle's engine; from the
    /// start when there is none or it cannot be read.
    pub fn cursor_from(&self, stored: Option<&str>) -> Cursor {
        let Some(text) = stored else { return self.start() };
        let read = match self {
            Handle::Buildbot { .. } => serde_json::from_str(text).ok().map(Cursor::Buildbot),
            Handle::Github(_) => serde_json::from_str(text).ok().map(Cursor::Github),
            Handle::Gitlab(_) => serde_json::from_str(text).ok().map(Cursor::Gitlab),
            Handle::Jenkins(_) => serde_json::from_str(text).ok().map(Cursor::Jenkins),
            Handle::Webhook(_) => serde_json::from_str(text).ok().map(Cursor::Webhook),
        };
        read.unwrap_or_else(|| self.start())
    }
}

impl Cursor {
    /// As stored (`log_cursor`).
    pub fn to_json(&self) -> String {
        match self {
            Cursor::Buildbot(c) => serde_json::to_string(c),
            Cursor::Github(c) => serde_json::to_string(c),
            Cursor::Gitlab(c) => serde_json::to_string(c),
            Cursor::Jenkins(c) => serde_json::to_string(c),
            Cursor::Webhook(c) => serde_json::to_string(c),
        }
        .expect("a cursor serializes")
    }
}

impl From<buildbot::Poll> for RemotePoll {
    fn from(p: buildbot::Poll) -> RemotePoll {
        let steps = p
            .steps
            .into_iter()
            .map(|s| RemoteStep { verdict: buildbot::verdict(s.complete, s.results, true), name: s.name, words: s.words })
            .collect();
        RemotePoll { status: p.status, steps, lines: p.lines, approval: None }
    }
}

impl Connection {
    /// Logs in to the engine `kind` of the target with `secret` (a password,
    /// or a token where `secret_is_token`).
    /// `trigger`: a GitLab pipeline trigger token, when the target names one.
    pub async fn connect(kind: TargetKind, t: &RemoteTarget, secret: &str, secret_is_token: bool, trigger: Option<&str>, cancel: &CancellationToken) -> Result<Connection, RemoteError> {
        Ok(match kind {
            TargetKind::Buildbot => Connection::Buildbot(Buildbot::login(&t.url, &t.user, secret, cancel).await?),
            TargetKind::GithubActions => Connection::Github(Github::new(&t.url, secret, &t.project, &t.job)?),
            TargetKind::GitlabCi => Connection::Gitlab(Gitlab::new(&t.url, secret, &t.project, trigger)?),
            TargetKind::Jenkins => {
                let how = if secret_is_token { jenkins::Secret::ApiToken } else { jenkins::Secret::Password };
                Connection::Jenkins(Jenkins::connect(&t.url, &t.user, secret, how, &t.job, cancel).await?)
            }
            TargetKind::Webhook => Connection::Webhook(Webhook::new(&t.url, secret)?),
            TargetKind::LocalCommand => return Err(RemoteError::new("A local command target runs on this computer, not on an engine.")),
        })
    }

    /// Starts the job with `inputs` and Liftoff's run id; `reason` and
    /// `owner` where the engine records them (Buildbot); `vars` (Liftoff's
    /// `LIFTOFF_*` variables) where the whole deploy is sent (the webhook).
    #[allow(clippy::too_many_arguments)]
    pub async fn trigger(
        &self,
        t: &RemoteTarget,
        run_id: &str,
        inputs: &BTreeMap<String, String>,
        vars: &[(String, String)],
        reason: &str,
        owner: &str,
        cancel: &CancellationToken,
    ) -> Result<Handle, RemoteError> {
        Ok(match self {
            Connection::Buildbot(bb) => {
                let builderid = bb.builder_id(&t.job, cancel).await?;
                let mut properties = inputs.clone();
                properties.insert(github::RUN_INPUT.into(), run_id.to_owned());
                let forced = bb.force(&t.scheduler, builderid, reason, owner, &properties, cancel).await?;
                Handle::Buildbot { buildsetid: forced.buildsetid, buildrequestid: forced.buildrequestid }
            }
            Connection::Github(gh) => Handle::Github(gh.trigger(run_id, git_ref(t), inputs, cancel).await?),
            Connection::Gitlab(gl) => Handle::Gitlab(gl.trigger(run_id, git_ref(t), inputs, cancel).await?),
            Connection::Jenkins(j) => Handle::Jenkins(j.trigger(run_id, inputs, cancel).await?),
            Connection::Webhook(w) => {
                let mut payload = serde_json::Map::new();
                for (name, value) in vars {
                    if let Some(key) = name.strip_prefix("LIFTOFF_").filter(|k| *k != "RUN_ID") {
                        payload.insert(key.to_lowercase(), serde_json::Value::String(value.clone()));
                    }
                }
                payload.insert("started_by".into(), owner.into());
                payload.insert("inputs".into(), serde_json::to_value(inputs).expect("inputs serialize"));
                Handle::Webhook(w.trigger(run_id, payload, cancel).await?)
            }
        })
    }

    /// Runs a failed job again for a new Liftoff run `run_id`: GitHub's
    /// failed jobs as a new attempt of the same run, GitLab's pipeline
    /// retried, Jenkins and Buildbot (which keep nothing to retry) and the
    /// webhook started anew with the same parameters.
    #[allow(clippy::too_many_arguments)]
    pub async fn rerun(
        &self,
        old: &Handle,
        t: &RemoteTarget,
        run_id: &str,
        inputs: &BTreeMap<String, String>,
        vars: &[(String, String)],
        reason: &str,
        owner: &str,
        cancel: &CancellationToken,
    ) -> Result<Handle, RemoteError> {
        match (self, old) {
            (Connection::Github(gh), Handle::Github(h)) => {
                let again = gh.rerun(h, cancel).await?;
                Ok(Handle::Github(github::Handle { liftoff_run_id: run_id.to_owned(), ..again }))
            }
            (Connection::Gitlab(gl), Handle::Gitlab(h)) => {
                let again = gl.rerun(h, cancel).await?;
                Ok(Handle::Gitlab(gitlab::Handle { liftoff_run_id: run_id.to_owned(), ..again }))
            }
            (Connection::Jenkins(j), Handle::Jenkins(_)) => Ok(Handle::Jenkins(j.rerun(run_id, inputs, cancel).await?)),
            (Connection::Buildbot(_) | Connection::Webhook(_), _) => self.trigger(t, run_id, inputs, vars, reason, owner, cancel).await,
            _ => Err(mismatch()),
        }
    }

    /// What happened since `cursor`; `cursor` moves past it.
    pub async fn poll(&self, cursor: &mut Cursor, accept_warnings: bool, cancel: &CancellationToken) -> Result<RemotePoll, RemoteError> {
        match (self, cursor) {
            (Connection::Buildbot(bb), Cursor::Buildbot(c)) => Ok(bb.poll(c, accept_warnings, cancel).await?.into()),
            (Connection::Github(gh), Cursor::Github(c)) => gh.poll(c, cancel).await,
            (Connection::Gitlab(gl), Cursor::Gitlab(c)) => gl.poll(c, cancel).await,
            (Connection::Jenkins(j), Cursor::Jenkins(c)) => j.poll(c, accept_warnings, cancel).await,
            (Connection::Webhook(w), Cursor::Webhook(c)) => w.poll(c, cancel).await,
            _ => Err(mismatch()),
        }
    }

    /// Cancels the job and waits for the engine to confirm; its final
    /// state. `cursor` holds what the handle may not yet (Jenkins's build
    /// number once the queue item became a build).
    pub async fn cancel(&self, handle: &Handle, cursor: &Cursor, why: &str, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        match (self, handle) {
            (Connection::Buildbot(bb), Handle::Buildbot { buildrequestid, .. }) => bb.cancel(*buildrequestid, why, CANCEL_WAIT, cancel).await,
            (Connection::Github(gh), Handle::Github(h)) => match gh.cancel(h, false, cancel).await {
                // Jobs that run `if: always()` outlive a cancel.
                Err(_) => gh.cancel(h, true, cancel).await,
                ok => ok,
            },
            (Connection::Gitlab(gl), Handle::Gitlab(h)) => gl.cancel(h, cancel).await,
            (Connection::Jenkins(j), Handle::Jenkins(h)) => {
                let h = match cursor {
                    Cursor::Jenkins(c) => c.handle(),
                    _ => h.clone(),
                };
                j.cancel(&h, cancel).await
            }
            (Connection::Webhook(w), Handle::Webhook(_)) => match cursor {
                Cursor::Webhook(c) => w.cancel(c, CANCEL_WAIT, cancel).await,
                _ => Err(mismatch()),
            },
            _ => Err(mismatch()),
        }
    }

    /// Approves (or rejects) what the job waits for: a GitHub environment's
    /// review, a GitLab blocked deployment, a Jenkins input step.
    pub async fn approve(&self, handle: &Handle, cursor: &Cursor, approve: bool, comment: &str, cancel: &CancellationToken) -> Result<(), RemoteError> {
        match (self, handle) {
            (Connection::Github(gh), Handle::Github(h)) => gh.approve(h, approve, comment, cancel).await,
            (Connection::Gitlab(gl), Handle::Gitlab(h)) => gl.approve(h, approve, comment, cancel).await,
            (Connection::Jenkins(j), Handle::Jenkins(h)) => {
                let h = match cursor {
                    Cursor::Jenkins(c) => c.handle(),
                    _ => h.clone(),
                };
                j.approve(&h, approve, cancel).await
            }
            (Connection::Buildbot(_) | Connection::Webhook(_), _) => Err(RemoteError::new("This engine has no approvals that Liftoff can answer.")),
            _ => Err(mismatch()),
        }
    }

    /// Check target: one sentence per problem; starts nothing. `inputs`
    /// are the parameter names the target sends besides Liftoff's run id.
    pub async fn check(&self, t: &RemoteTarget, inputs: &[&str], cancel: &CancellationToken) -> Result<Vec<String>, RemoteError> {
        Ok(match self {
            Connection::Buildbot(bb) => {
                let checked = bb.check(&t.job, &t.scheduler, cancel).await?;
                let mut problems = checked.problems;
                if problems.is_empty() {
                    for name in std::iter::once(github::RUN_INPUT).chain(inputs.iter().copied()) {
                        if !checked.declared.iter().any(|d| d == name) {
                            problems.push(format!(
                                "The force scheduler “{}” does not declare the parameter “{name}”, so Buildbot would drop it; add util.StringParameter(name=\"{name}\") to its properties.",
                                t.scheduler
                            ));
                        }
                    }
                }
                problems
            }
            Connection::Github(gh) => gh.check(inputs, cancel).await?.problems,
            Connection::Gitlab(gl) => gl.check(!inputs.is_empty(), cancel).await?.problems,
            Connection::Jenkins(j) => j.check(inputs, cancel).await?.problems,
            Connection::Webhook(w) => w.check(cancel).await?,
        })
    }
}

/// The branch or tag the workflow or pipeline runs from.
fn git_ref(t: &RemoteTarget) -> &str {
    if t.git_ref.trim().is_empty() {
        "main"
    } else {
        t.git_ref.trim()
    }
}

fn mismatch() -> RemoteError {
    RemoteError::new("The run's engine handle belongs to another kind of engine than its target now; look at the run on the engine.")
}
