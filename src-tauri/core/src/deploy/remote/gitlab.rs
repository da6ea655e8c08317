//! GitLab CI (GitLab.com or self-managed) through its REST API (`/api/v4`):
//! check a project, create a pipeline, follow it, run a manual job or
//! approve a blocked deployment, cancel and retry it.
//!
//! - Create: `POST /projects/:id/pipeline?ref=` with JSON `variables`
//!   (`LIFTOFF_RUN_ID` among them), with the API token; or, with a
//!   pipeline trigger token, `POST /projects/:id/trigger/pipeline` with form
//!   fields (`token`, `ref`, `variables[K]`) and no API token (never
//!   mixed). Either answers 201 with the pipeline. Projects may restrict
//!   who sets variables (`ci_pipeline_variables_minimum_override_role`):
//!   Check target says so. A create whose answer was lost is not sent again
//!   before the project's latest pipelines have been looked through for
//!   its `LIFTOFF_RUN_ID`.
//! - Follow ([`Gitlab::poll`] with a [`Cursor`]): `/pipelines/:id` and its
//!   `/jobs` (`X-Next-Page` pages). `/jobs/:id/trace` is the whole log
//!   each time: a byte count per job keeps what was read, only new text is
//!   handed out, only running jobs are read (and each finished job once
//!   more, for its end); `section_start:`/`section_end:` markers are
//!   stripped.
//! - Approval: a job waiting as `manual` is either a blocked deployment
//!   (`/deployments?status=blocked`, approved or rejected at
//!   `/deployments/:id/approval`) or a manual job (`/jobs/:id/play`).
//! - Cancel: `/pipelines/:id/cancel` answers 200 in any state; `canceled`
//!   is awaited. Retry: `/pipelines/:id/retry`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

pub use super::github::Checked;
use super::github::{confirmed, patiently, segment, Pace};
use super::{Approval, RemoteError, RemoteLine, RemotePoll, RemoteStatus, RemoteStep, Verdict};
use crate::deploy::lines::Stream;
use crate::http::{Client, Error, ErrorKind};

#[path = "gitlab_freezes.rs"]
pub mod freezes;

/// The variable that carries Liftoff's run id.
pub const RUN_VARIABLE: &str = "LIFTOFF_RUN_ID";

/// The pipelines looked through for one whose answer was lost.
const RECENT_PIPELINES: usize = 20;

/// A connection to one project.
#[derive(Debug, Clone)]
pub struct Gitlab {
    /// With the API token (`PRIVATE-TOKEN`).
    client: Client,
    /// Without it, masking the trigger token: for `/trigger/pipeline`.
    trigger: Option<(Client, zeroize::Zeroizing<String>)>,
    /// "https://gitlab.example.com/api/v4".
    api: String,
    host: String,
    /// "group/shop" or a numeric id, as written.
    project: String,
    pace: Pace,
}

/// A created pipeline, stored with the Liftoff run (`remote_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handle {
    pub pipeline_id: u64,
    pub liftoff_run_id: String,
    pub url: Option<String>,
}

/// How far a follow has read (stored as `log_cursor`): bytes of each job's
/// trace, and the jobs read to their end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub pipeline_id: u64,
    /// Bytes handed out, by job id.
    pub read: BTreeMap<u64, u64>,
    /// Jobs whose trace was read after they finished.
    pub done: BTreeSet<u64>,
}

impl Cursor {
    pub fn new(handle: &Handle) -> Cursor {
        Cursor { pipeline_id: handle.pipeline_id, ..Cursor::default() }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Pipeline {
    id: u64,
    status: String,
    #[serde(default)]
    web_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Job {
    id: u64,
    name: String,
    status: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Deployment {
    id: u64,
    #[serde(default)]
    environment: Value,
    #[serde(default)]
    deployable: Value,
    #[serde(default)]
    approval_summary: Value,
}

/// A pipeline's or job's status as Liftoff's verdict: success goes on,
/// canceled is cancelled, the states before an end are followed on,
/// everything else (failed, skipped, one not known) failed.
pub fn verdict(status: &str) -> Verdict {
    match status {
        "success" => Verdict::Succeeded,
        "canceled" => Verdict::Cancelled,
        "created" | "waiting_for_resource" | "preparing" | "pending" | "running" | "canceling" | "manual" | "scheduled" => Verdict::Running,
        _ => Verdict::Failed,
    }
}

impl Gitlab {
    /// A connection to `project` ("group/shop", or its number) on the
    /// GitLab at `base_url`, reading with `api_token`; with
    /// `trigger_token`, pipelines are created through the trigger API. No
    /// token is ever in a message.
    pub fn new(base_url: &str, api_token: &str, project: &str, trigger_token: Option<&str>) -> Result<Gitlab, RemoteError> {
        let base = base_url.trim().trim_end_matches('/');
        let base = if base.is_empty() { "https://gitlab.com" } else { base };
        let url = url::Url::parse(base).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let Some(url) = url else {
            return Err(RemoteError::new("The GitLab address cannot be read. Set it to the server's address, such as https://gitlab.example.com (empty for gitlab.com)."));
        };
        let host = url.host_str().map(|h| url.port().map_or(h.to_owned(), |p| format!("{h}:{p}"))).unwrap_or_default();
        let api = if base.ends_with("/api/v4") { base.to_owned() } else { format!("{base}/api/v4") };
        let project = project.trim().trim_matches('/').to_owned();
        if project.is_empty() {
            return Err(RemoteError::new("Name the GitLab project: its path (group/shop) or its number."));
        }
        let mut secrets = vec![api_token.trim()];
        secrets.extend(trigger_token.map(str::trim));
        let client = Client::builder().sensitive_header("PRIVATE-TOKEN", api_token.trim()).mask(&secrets).build()?;
        let trigger = match trigger_token.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some((Client::builder().mask(&secrets).build()?, zeroize::Zeroizing::new(t.to_owned()))),
            None => None,
        };
        Ok(Gitlab { client, trigger, api, host, project, pace: Pace::default() })
    }

    /// The same connection with other waits.
    pub fn with_pace(mut self, pace: Pace) -> Gitlab {
        self.pace = pace;
        self
    }

    /// Whether the project exists, the token's account may run pipelines
    /// and set variables, and the project has a CI configuration; starts
    /// nothing.
    pub async fn check(&self, sets_variables: bool, cancel: &CancellationToken) -> Result<Checked, RemoteError> {
        let mut problems = Vec::new();
        let url = self.project_url("");
        let project: Value = match patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await? {
            Ok(r) => r.json().await?,
            Err(e) if matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::Forbidden | ErrorKind::NotFound) => {
                problems.push(self.named(e, "read the project", "the Reporter role").message);
                return Ok(Checked { problems });
            }
            Err(e) => return Err(self.named(e, "read the project", "the Reporter role")),
        };
        let access = ["project_access", "group_access"].iter().filter_map(|k| project["permissions"][k]["access_level"].as_u64()).max().unwrap_or(0);
        if access < 30 && self.trigger.is_none() {
            problems.push(format!(
                "The token's account is {} in {}, and running pipelines needs at least Developer (protected branches may need Maintainer).",
                role(access),
                self.project
            ));
        }
        if sets_variables && self.trigger.is_none() {
            let needed = project["ci_pipeline_variables_minimum_override_role"].as_str().unwrap_or("");
            let level = match needed {
                "developer" => 30,
                "maintainer" => 40,
                "owner" => 50,
                "no_one_allowed" => u64::MAX,
                _ => 0,
            };
            if level > access {
                let who = if level == u64::MAX { "no one".to_owned() } else { format!("at least {}", role(level)) };
                problems.push(format!(
                    "{} lets {who} set pipeline variables, so GitLab would refuse Liftoff's {RUN_VARIABLE}. Change it under Settings › CI/CD › Variables, or use a pipeline trigger token.",
                    self.project
                ));
            }
        }
        let file = project["ci_config_path"].as_str().filter(|p| !p.is_empty()).unwrap_or(".gitlab-ci.yml").to_owned();
        if let (false, Some(branch)) = (file.contains('@') || file.contains("://"), project["default_branch"].as_str()) {
            let url = self.project_url(&format!("repository/files/{}?ref={}", segment(&file), segment(branch)));
            match patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await? {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => problems.push(format!("{} has no {file} on {branch}, so it has no pipeline to run.", self.project)),
                Err(e) => return Err(self.named(e, "read the CI configuration", "the Reporter role")),
            }
        }
        Ok(Checked { problems })
    }

    /// Creates a pipeline on `git_ref` with `variables` and
    /// `LIFTOFF_RUN_ID`.
    pub async fn trigger(&self, liftoff_run_id: &str, git_ref: &str, variables: &BTreeMap<String, String>, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        let since = Utc::now() - chrono::Duration::minutes(2);
        let mut all: Vec<(&str, &str)> = variables.iter().filter(|(k, _)| k.as_str() != RUN_VARIABLE).map(|(k, v)| (k.as_str(), v.as_str())).collect();
        all.push((RUN_VARIABLE, liftoff_run_id));
        let answer = match self.create(git_ref, &all, cancel).await? {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Server) => {
                // It may have gone through: look for it before asking again.
                if let Some(found) = self.find_pipeline(liftoff_run_id, git_ref, since, cancel).await? {
                    return Ok(found);
                }
                self.create(git_ref, &all, cancel).await?.map_err(|e| self.named(e, "create a pipeline", "the Developer role"))?
            }
            Err(e) => return Err(self.named(e, "create a pipeline", "the Developer role")),
        };
        let pipeline: Pipeline = answer.json().await?;
        Ok(Handle { pipeline_id: pipeline.id, liftoff_run_id: liftoff_run_id.to_owned(), url: pipeline.web_url })
    }

    /// What happened since `cursor`: the pipeline's state, its jobs, the
    /// new text of running (and just finished) jobs' traces, and what
    /// waits to be played or approved.
    pub async fn poll(&self, cursor: &mut Cursor, cancel: &CancellationToken) -> Result<RemotePoll, RemoteError> {
        let pipeline: Pipeline = self.get(&self.project_url(&format!("pipelines/{}", cursor.pipeline_id)), "read the pipeline", cancel).await?;
        let jobs: Vec<Job> = self.pages(&self.project_url(&format!("pipelines/{}/jobs?per_page=100", cursor.pipeline_id)), "list the pipeline's jobs", cancel).await?;
        let mut lines = Vec::new();
        for job in &jobs {
            // Running jobs, and each finished one once more for its end.
            let finished = verdict(&job.status).is_done();
            if (job.status == "running" || (finished && job.status != "skipped")) && !cursor.done.contains(&job.id) {
                self.read_trace(job, finished, cursor, &mut lines, cancel).await?;
            }
        }
        let approval = match jobs.iter().find(|j| j.status == "manual") {
            Some(job) => Some(match self.blocked(job.id, cancel).await? {
                Some(d) => deployment_approval(&d),
                None => Approval { environment: job.name.clone(), reviewers: Vec::new(), can_approve: true },
            }),
            None => None,
        };
        let ended = verdict(&pipeline.status);
        let failed_step = (ended == Verdict::Failed).then(|| jobs.iter().find(|j| j.status == "failed").map(|j| j.name.clone())).flatten();
        let steps = jobs.iter().map(|j| RemoteStep { name: j.name.clone(), verdict: verdict(&j.status), words: j.status.replace('_', " ") }).collect();
        let status = RemoteStatus { verdict: ended, words: pipeline.status.replace('_', " "), url: pipeline.web_url.clone(), failed_step };
        Ok(RemotePoll { status, steps, lines, approval })
    }

    /// The pipeline's state now.
    pub async fn status(&self, handle: &Handle, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let pipeline: Pipeline = self.get(&self.project_url(&format!("pipelines/{}", handle.pipeline_id)), "read the pipeline", cancel).await?;
        Ok(RemoteStatus { verdict: verdict(&pipeline.status), words: pipeline.status.replace('_', " "), url: pipeline.web_url, failed_step: None })
    }

    /// Cancels the pipeline (GitLab answers 200 whatever its state), then
    /// waits for it to end; its final state.
    pub async fn cancel(&self, handle: &Handle, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let url = self.project_url(&format!("pipelines/{}/cancel", handle.pipeline_id));
        patiently(|| self.client.post(&url), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "cancel the pipeline", "the Developer role"))?;
        confirmed(&self.pace, "GitLab", "", || self.status(handle, cancel), cancel).await
    }

    /// Approves (or rejects) the blocked deployment the pipeline waits
    /// for, with `comment`, then runs its job if it stays manual; or plays
    /// a manual job.
    pub async fn approve(&self, handle: &Handle, approve: bool, comment: &str, cancel: &CancellationToken) -> Result<(), RemoteError> {
        let jobs: Vec<Job> = self.pages(&self.project_url(&format!("pipelines/{}/jobs?per_page=100", handle.pipeline_id)), "list the pipeline's jobs", cancel).await?;
        let Some(job) = jobs.iter().find(|j| j.status == "manual") else {
            return Err(RemoteError::new("The GitLab pipeline no longer waits for a manual job or an approval."));
        };
        if let Some(deployment) = self.blocked(job.id, cancel).await? {
            let url = self.project_url(&format!("deployments/{}/approval", deployment.id));
            let body = json!({ "status": if approve { "approved" } else { "rejected" }, "comment": comment });
            let doing = if approve { "approve the deployment" } else { "reject the deployment" };
            patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, doing, "to be an approver of the protected environment"))?;
            if !approve {
                return Ok(());
            }
        } else if !approve {
            return Err(RemoteError::new(format!("“{}” is a manual job, which cannot be rejected; cancel the run instead.", job.name)));
        }
        let url = self.project_url(&format!("jobs/{}/play", job.id));
        match patiently(|| self.client.post(&url), self.pace.max_wait, cancel).await? {
            Ok(_) => Ok(()),
            // Approved deployments that start on their own are no longer playable.
            Err(e) if e.status() == Some(400) => Ok(()),
            Err(e) => Err(self.named(e, "run the manual job", "the Developer role (Maintainer on a protected branch)")),
        }
    }

    /// Retries the pipeline's failed and cancelled jobs.
    pub async fn rerun(&self, handle: &Handle, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        let url = self.project_url(&format!("pipelines/{}/retry", handle.pipeline_id));
        patiently(|| self.client.post(&url), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "retry the pipeline", "the Developer role"))?;
        Ok(handle.clone())
    }

    // --- Requests -------------------------------------------------------

    fn project_url(&self, rest: &str) -> String {
        let base = format!("{}/projects/{}", self.api, segment(&self.project));
        if rest.is_empty() {
            base
        } else {
            format!("{base}/{rest}")
        }
    }

    /// One create request: the trigger API with form fields, or the
    /// pipeline API with JSON variables.
    async fn create(&self, git_ref: &str, variables: &[(&str, &str)], cancel: &CancellationToken) -> Result<Result<crate::http::Response, Error>, RemoteError> {
        match &self.trigger {
            Some((client, token)) => {
                let keys: Vec<String> = variables.iter().map(|(k, _)| format!("variables[{k}]")).collect();
                let mut fields: Vec<(&str, &str)> = vec![("token", token.as_str()), ("ref", git_ref)];
                fields.extend(keys.iter().zip(variables).map(|(k, (_, v))| (k.as_str(), *v)));
                let url = self.project_url("trigger/pipeline");
                patiently(|| client.post(&url).form(&fields), self.pace.max_wait, cancel).await
            }
            None => {
                let body = json!({ "variables": variables.iter().map(|(k, v)| json!({ "key": k, "value": v, "variable_type": "env_var" })).collect::<Vec<_>>() });
                let url = self.project_url(&format!("pipeline?ref={}", segment(git_ref)));
                patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, url: &str, doing: &str, cancel: &CancellationToken) -> Result<T, RemoteError> {
        let answer = patiently(|| self.client.get(url), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, doing, "the Reporter role"))?;
        Ok(answer.json().await?)
    }

    /// Every page of a list (`X-Next-Page`).
    async fn pages<T: DeserializeOwned>(&self, first: &str, doing: &str, cancel: &CancellationToken) -> Result<Vec<T>, RemoteError> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let joiner = if first.contains('?') { '&' } else { '?' };
            let url = format!("{first}{joiner}page={page}");
            let answer = patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, doing, "the Reporter role"))?;
            let next = answer.headers().next_page.filter(|n| *n > page);
            let items: Vec<T> = answer.json().await?;
            all.extend(items);
            match next {
                Some(n) => page = n,
                None => return Ok(all),
            }
        }
    }

    /// The new text of a job's trace; `finished` jobs are read to their end
    /// (and not again), running ones to their last whole line.
    async fn read_trace(&self, job: &Job, finished: bool, cursor: &mut Cursor, lines: &mut Vec<RemoteLine>, cancel: &CancellationToken) -> Result<(), RemoteError> {
        let url = self.project_url(&format!("jobs/{}/trace", job.id));
        let answer = patiently(|| self.client.get(&url).body_limit(64 * 1024 * 1024), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "read the job's log", "the Reporter role"))?;
        let trace = answer.bytes().await?;
        let read = cursor.read.get(&job.id).copied().unwrap_or(0).min(trace.len() as u64) as usize;
        let new = &trace[read..];
        let take = if finished { new.len() } else { new.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1) };
        lines.extend(String::from_utf8_lossy(&new[..take]).lines().filter_map(|l| trace_line(l, &job.name)));
        cursor.read.insert(job.id, (read + take) as u64);
        if finished {
            cursor.done.insert(job.id);
        }
        Ok(())
    }

    /// The blocked deployment whose job is `job_id`, if any.
    async fn blocked(&self, job_id: u64, cancel: &CancellationToken) -> Result<Option<Deployment>, RemoteError> {
        let url = self.project_url("deployments?status=blocked&order_by=id&sort=desc&per_page=20");
        let answer = patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "list blocked deployments", "the Reporter role"))?;
        let deployments: Vec<Deployment> = answer.json().await?;
        Ok(deployments.into_iter().find(|d| d.deployable["id"].as_u64() == Some(job_id)))
    }

    /// The pipeline among the latest on `git_ref` whose `LIFTOFF_RUN_ID`
    /// is ours.
    async fn find_pipeline(&self, liftoff_run_id: &str, git_ref: &str, since: chrono::DateTime<Utc>, cancel: &CancellationToken) -> Result<Option<Handle>, RemoteError> {
        let after = since.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let url = self.project_url(&format!("pipelines?ref={}&updated_after={}&order_by=id&sort=desc&per_page={RECENT_PIPELINES}", segment(git_ref), segment(&after)));
        let pipelines: Vec<Pipeline> = self.get(&url, "list pipelines", cancel).await?;
        for p in pipelines.iter().take(RECENT_PIPELINES) {
            let variables: Vec<Value> = self.get(&self.project_url(&format!("pipelines/{}/variables", p.id)), "read a pipeline's variables", cancel).await?;
            if variables.iter().any(|v| v["key"] == RUN_VARIABLE && v["value"] == liftoff_run_id) {
                return Ok(Some(Handle { pipeline_id: p.id, liftoff_run_id: liftoff_run_id.to_owned(), url: p.web_url.clone() }));
            }
        }
        Ok(None)
    }

    /// An HTTP failure named for a GitLab user.
    fn named(&self, e: Error, doing: &str, right: &str) -> RemoteError {
        let status = e.status().map(|s| s.to_string()).unwrap_or_default();
        let said = e.words().map(|w| format!(": {}", w.trim_end_matches('.'))).unwrap_or_default();
        let (host, project) = (&self.host, &self.project);
        let message = match e.kind() {
            ErrorKind::Unauthorized => format!("GitLab ({host}) refused the token ({status}{said}). Check that it is current (not expired or revoked) and has the api scope."),
            ErrorKind::Forbidden => format!("GitLab ({host}) does not let the token {doing} in {project} ({status}{said}). It needs {right}."),
            ErrorKind::NotFound => format!("GitLab ({host}) found nothing to {doing} in {project} ({status}{said}): it does not exist, or the token may not see it. Check the project's path and the token's access."),
            ErrorKind::Unprocessable | ErrorKind::Refusal if e.status() == Some(400) || e.status() == Some(422) => format!("GitLab did not {doing} in {project} ({status}{said})."),
            _ => return e.into(),
        };
        RemoteError { message, kind: Some(e.kind()) }
    }
}

/// GitLab's name for an access level.
fn role(level: u64) -> &'static str {
    match level {
        0 => "without a role",
        1..=9 => "Minimal Access",
        10..=19 => "Guest",
        20..=29 => "Reporter",
        30..=39 => "Developer",
        40..=49 => "Maintainer",
        _ => "Owner",
    }
}

fn deployment_approval(d: &Deployment) -> Approval {
    let rules = d.approval_summary["rules"].as_array().cloned().unwrap_or_default();
    let reviewers = rules.iter().filter_map(|r| r["access_level_description"].as_str().or(r["group_name"].as_str()).map(str::to_owned)).collect();
    Approval { environment: d.environment["name"].as_str().unwrap_or("an environment").to_owned(), reviewers, can_approve: true }
}

/// One trace line without its `section_start:`/`section_end:` markers
/// (`ESC[0Ksection_start:1741089600:name[collapsed=true]\rESC[0K`); a line
/// of markers only is dropped.
fn trace_line(line: &str, step: &str) -> Option<RemoteLine> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    loop {
        let at = ["section_start:", "section_end:"].iter().filter_map(|m| rest.find(m)).min();
        let Some(at) = at else { break };
        out.push_str(&rest[..at]);
        rest = match rest[at..].find('\r') {
            Some(end) => &rest[at + end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    let text = out.replace("\u{1b}[0K", "");
    if text.is_empty() && line.contains("section_") {
        return None;
    }
    Some(RemoteLine { step: step.to_owned(), stream: Stream::Out, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_into_verdicts() {
        for running in ["created", "waiting_for_resource", "preparing", "pending", "running", "canceling", "manual", "scheduled"] {
            assert_eq!(verdict(running), Verdict::Running, "{running}");
        }
        assert_eq!(verdict("success"), Verdict::Succeeded);
        assert_eq!(verdict("canceled"), Verdict::Cancelled);
        assert_eq!(verdict("failed"), Verdict::Failed);
        assert_eq!(verdict("skipped"), Verdict::Failed);
        assert_eq!(verdict("something_new"), Verdict::Failed);
    }

    #[test]
    fn section_markers_are_stripped() {
        let line = |raw: &str| trace_line(raw, "deploy").map(|l| l.text);
        assert_eq!(line("\u{1b}[0Ksection_start:1741089600:step_script\r\u{1b}[0KExecuting \"step_script\" stage"), Some("Executing \"step_script\" stage".into()));
        assert_eq!(line("\u{1b}[0Ksection_end:1741089601:step_script\r\u{1b}[0K"), None);
        assert_eq!(line("section_start:1741089600:prepare[collapsed=true]\r\u{1b}[0KPreparing"), Some("Preparing".into()));
        assert_eq!(line("$ ./deploy.sh 1.4.2"), Some("$ ./deploy.sh 1.4.2".into()));
        assert_eq!(line(""), Some(String::new()));
        assert_eq!(role(30), "Developer");
    }
}
