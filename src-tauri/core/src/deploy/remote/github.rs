//! GitHub Actions (github.com, and GitHub Enterprise Server under
//! `/api/v3`) through its REST API: check a target, dispatch a workflow,
//! follow its run, approve or reject a deployment that waits, cancel and
//! rerun it.
//!
//! - Dispatch: `POST /repos/{o}/{r}/actions/workflows/{file}/dispatches`
//!   `{ref, inputs, return_run_details: true}`. A server that knows the
//!   field answers 200 with `workflow_run_id`; an older one answers 204, or
//!   400/422 naming the field, and is asked again without it. Without a run
//!   id, the run is found by its input `liftoff_run_id`, which the
//!   workflow's `run-name` shows (`display_title`), among
//!   `.../runs?event=workflow_dispatch&created=>=T`. Inputs must be declared
//!   in the workflow (422 "Unexpected inputs provided" otherwise). A
//!   dispatch whose answer was lost (network, timeout, 5xx) is not sent
//!   again before the run has been looked for.
//! - Follow ([`Github::poll`] with a [`Cursor`]): `.../actions/runs/{id}`
//!   and `.../jobs?filter=latest&per_page=100` (`Link` pages), each with
//!   `If-None-Match` (a 304 costs no rate limit). There is no live log:
//!   each finished job's log (`.../actions/jobs/{id}/logs`, a 302 to a
//!   storage host, signed for a minute) is read once, without the token,
//!   its timestamps and `##[group]` markers stripped.
//! - Approval: a run `waiting` for an environment's reviewers; its
//!   `pending_deployments` name the environment, the reviewers and whether
//!   the token's user may approve; a POST there approves or rejects.
//!   Unapproved runs fail after 30 days.
//! - Cancel: `.../cancel` answers 202 and works asynchronously (jobs with
//!   `if: always()` go on: `force-cancel` stops them); 409 once the run is
//!   done. The run's own `cancelled` end is awaited.
//! - Rerun: `.../rerun-failed-jobs` (a new attempt of the same run).
//!
//! Rate limits (429, or 403 with `Retry-After` or no request left) are
//! waited out and the request sent again, within [`Pace::max_wait`]. The
//! helpers here for that and for lists ([`patiently`], [`Pace`]) serve the
//! GitLab and Jenkins clients too.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::{Approval, RemoteError, RemoteLine, RemotePoll, RemoteStatus, RemoteStep, Verdict};
use crate::deploy::lines::Stream;
use crate::http::{Call, Client, Error, ErrorKind, Response};

/// The input that carries Liftoff's run id; the workflow's `run-name`
/// shows it, so that a dispatched run can be found.
pub const RUN_INPUT: &str = "liftoff_run_id";

/// The most of one job's log read (the rest stays on GitHub).
const LOG_LIMIT: usize = 16 * 1024 * 1024;

/// Rate-limit waits for one request before its error stands.
const RATE_RETRIES: usize = 3;

/// The waits of a client: between looks, and the longest ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Between two looks for a dispatched run, and two looks at a run
    /// being cancelled.
    pub every: Duration,
    /// The longest look for a dispatched run.
    pub find_for: Duration,
    /// The longest wait a rate limit may ask for; a longer one is an error.
    pub max_wait: Duration,
    /// The longest wait for the engine to confirm a cancel.
    pub confirm_for: Duration,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace { every: Duration::from_secs(5), find_for: Duration::from_secs(120), max_wait: Duration::from_secs(15 * 60), confirm_for: Duration::from_secs(120) }
    }
}

/// A connection to one repository's workflow.
#[derive(Debug, Clone)]
pub struct Github {
    client: Client,
    /// "https://api.github.com", or "https://ghe.example.com/api/v3".
    api: String,
    /// "api.github.com", for messages.
    host: String,
    owner: String,
    repo: String,
    /// The workflow's file name ("deploy.yml") or id.
    workflow: String,
    pace: Pace,
}

/// What Check target found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// One sentence per problem; none means the target can deploy.
    pub problems: Vec<String>,
}

/// A dispatched run, stored with the Liftoff run (`remote_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handle {
    pub run_id: u64,
    pub liftoff_run_id: String,
    /// The run's page on GitHub.
    pub url: Option<String>,
}

/// How far a follow has read (stored as `log_cursor`): the run and the
/// jobs whose log was read. The last answers and their `ETag`s are kept in
/// memory only, for conditional requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cursor {
    pub run_id: u64,
    /// Jobs whose log was read, by id.
    pub logs_read: BTreeSet<u64>,
    #[serde(skip)]
    run: Option<(String, Run)>,
    /// The jobs' pages by URL: `ETag`, jobs and the next page.
    #[serde(skip)]
    jobs: BTreeMap<String, (String, Vec<Job>, Option<String>)>,
}

impl Cursor {
    pub fn new(handle: &Handle) -> Cursor {
        Cursor { run_id: handle.run_id, ..Cursor::default() }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Run {
    id: u64,
    status: Option<String>,
    conclusion: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    display_title: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Job {
    id: u64,
    name: String,
    status: Option<String>,
    conclusion: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Pending {
    environment: Environment,
    #[serde(default)]
    current_user_can_approve: bool,
    #[serde(default)]
    reviewers: Vec<Reviewer>,
}

#[derive(Debug, Clone, Deserialize)]
struct Environment {
    id: u64,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Reviewer {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    reviewer: Value,
}

/// A run's state as Liftoff's verdict: `success` goes on, `cancelled` is
/// cancelled, `timed_out` timed out; every other end (failure, neutral,
/// skipped, stale, action_required, startup_failure, one not known yet)
/// failed.
pub fn verdict(status: Option<&str>, conclusion: Option<&str>) -> Verdict {
    if status != Some("completed") {
        return Verdict::Running;
    }
    match conclusion {
        Some("success") => Verdict::Succeeded,
        Some("cancelled") => Verdict::Cancelled,
        Some("timed_out") => Verdict::TimedOut,
        _ => Verdict::Failed,
    }
}

/// GitHub's words for a state: "in progress", "waiting for approval",
/// "completed: failure".
fn words(status: Option<&str>, conclusion: Option<&str>) -> String {
    match (status, conclusion) {
        (Some("completed"), Some(c)) => format!("completed: {}", c.replace('_', " ")),
        (Some("waiting"), _) => "waiting for approval".into(),
        (Some(s), _) => s.replace('_', " "),
        (None, _) => "no status yet".into(),
    }
}

impl Github {
    /// A connection to `repository` ("owner/name") on the GitHub at
    /// `base_url` ("https://github.com", the API's address, or an
    /// Enterprise Server's address, whose API is under `/api/v3`), for the
    /// workflow `workflow` (its file name, "deploy.yml"). The token is never
    /// in a message.
    pub fn new(base_url: &str, token: &str, repository: &str, workflow: &str) -> Result<Github, RemoteError> {
        let api = api_base(base_url).ok_or_else(|| RemoteError::new("The GitHub address cannot be read. Leave it empty for github.com, or set your Enterprise Server's address, such as https://github.example.com."))?;
        let host = url::Url::parse(&api).ok().and_then(|u| u.host_str().map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))).unwrap_or_default();
        let Some((owner, repo)) = repository.trim().trim_matches('/').split_once('/').filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/')) else {
            return Err(RemoteError::new(format!("“{}” is not a GitHub repository. Write it as owner/name, such as acme/shop.", repository.trim())));
        };
        let workflow = workflow.trim().trim_start_matches(".github/workflows/").to_owned();
        if workflow.is_empty() {
            return Err(RemoteError::new("Name the workflow to run: its file name in .github/workflows, such as deploy.yml."));
        }
        let client = Client::builder()
            .bearer(token.trim())
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .mask(&[token.trim()])
            .build()?;
        Ok(Github { client, api, host, owner: owner.to_owned(), repo: repo.to_owned(), workflow, pace: Pace::default() })
    }

    /// The same connection with other waits.
    pub fn with_pace(mut self, pace: Pace) -> Github {
        self.pace = pace;
        self
    }

    /// The API's address ("https://api.github.com").
    pub fn api(&self) -> &str {
        &self.api
    }

    /// Whether the repository and the workflow exist, the token may start
    /// it, and the workflow declares `liftoff_run_id` (shown in its
    /// `run-name`) and each of `inputs`; starts nothing.
    pub async fn check(&self, inputs: &[&str], cancel: &CancellationToken) -> Result<Checked, RemoteError> {
        let mut problems = Vec::new();
        let repo = match patiently(|| self.client.get(&self.repo_url("")), self.pace.max_wait, cancel).await? {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::NotFound | ErrorKind::Forbidden) => {
                problems.push(self.named(e, "read the repository", "read access to the repository").message);
                return Ok(Checked { problems });
            }
            Err(e) => return Err(self.named(e, "read the repository", "read access to the repository")),
        };
        let scopes = repo.header("x-oauth-scopes").map(str::to_owned);
        let data: Value = repo.json().await?;
        if let Some(scopes) = scopes {
            // A classic token says its scopes; a fine-grained one does not.
            let have: Vec<&str> = scopes.split(',').map(str::trim).collect();
            let enough = have.contains(&"repo") || (have.contains(&"public_repo") && data["private"] == json!(false));
            if !enough {
                problems.push(format!("The token lacks the repo scope, which starting a workflow in {}/{} needs (it has: {}).", self.owner, self.repo, if scopes.trim().is_empty() { "none" } else { scopes.trim() }));
            }
        }
        if data["permissions"]["push"] == json!(false) {
            problems.push(format!(
                "The token's account may not write to {}/{}, and starting a workflow needs write access (Actions: write for a fine-grained token). Ask an admin of the repository for it.",
                self.owner, self.repo
            ));
        }
        let path = format!("actions/workflows/{}", segment(&self.workflow));
        let workflow: Value = match patiently(|| self.client.get(&self.repo_url(&path)), self.pace.max_wait, cancel).await? {
            Ok(r) => r.json().await?,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let all: Vec<Value> = self.pages(&self.repo_url("actions/workflows?per_page=100"), "workflows", cancel).await?;
                let files = names(all.iter().filter_map(|w| w["path"].as_str()).map(|p| p.rsplit('/').next().unwrap_or(p)));
                problems.push(format!("{}/{} has no workflow “{}” in .github/workflows; it has {files}.", self.owner, self.repo, self.workflow));
                return Ok(Checked { problems });
            }
            Err(e) => return Err(self.named(e, "read the workflow", "Actions: read")),
        };
        if let Some(state) = workflow["state"].as_str().filter(|s| *s != "active") {
            problems.push(format!("The workflow “{}” is {} on GitHub; enable it in the repository's Actions tab.", self.workflow, state.replace('_', " ")));
        }
        let file = workflow["path"].as_str().unwrap_or("").to_owned();
        if !file.is_empty() {
            let contents = format!("contents/{}", file.split('/').map(segment).collect::<Vec<_>>().join("/"));
            match patiently(|| self.client.get(&self.repo_url(&contents)), self.pace.max_wait, cancel).await? {
                Ok(r) => {
                    let data: Value = r.json().await?;
                    let text = data["content"].as_str().map(|c| c.chars().filter(|c| !c.is_whitespace()).collect::<String>()).and_then(|c| {
                        use base64::Engine;
                        base64::engine::general_purpose::STANDARD.decode(c).ok()
                    });
                    match text {
                        Some(bytes) => problems.extend(workflow_problems(&String::from_utf8_lossy(&bytes), &file, inputs)),
                        None => problems.push(format!("GitHub's copy of {file} cannot be read, so its inputs were not checked.")),
                    }
                }
                Err(e) => return Err(self.named(e, "read the workflow file", "Contents: read")),
            }
        }
        Ok(Checked { problems })
    }

    /// Dispatches the workflow on `git_ref` with `inputs` (declared in the
    /// workflow) and `liftoff_run_id`, and finds the run it started.
    pub async fn trigger(&self, liftoff_run_id: &str, git_ref: &str, inputs: &BTreeMap<String, String>, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        // Runs created from a little before now (clocks differ).
        let since = Utc::now() - chrono::Duration::minutes(2);
        let mut values: serde_json::Map<String, Value> = inputs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        values.insert(RUN_INPUT.into(), Value::String(liftoff_run_id.to_owned()));
        let mut body = json!({ "ref": git_ref, "inputs": values, "return_run_details": true });
        let url = self.repo_url(&format!("actions/workflows/{}/dispatches", segment(&self.workflow)));
        let mut answer = patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await?;
        if let Err(e) = &answer {
            if matches!(e.status(), Some(400 | 422)) && e.words().is_some_and(|w| w.contains("return_run_details")) {
                // A server before the run details: the plain dispatch.
                body.as_object_mut().map(|b| b.remove("return_run_details"));
                answer = patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await?;
            }
        }
        match answer {
            Ok(r) if r.status() == 200 => {
                let details: Value = r.json().await?;
                if let Some(run_id) = details["workflow_run_id"].as_u64() {
                    return Ok(Handle { run_id, liftoff_run_id: liftoff_run_id.to_owned(), url: details["html_url"].as_str().map(str::to_owned) });
                }
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Server) => {
                // It may have gone through: look for the run before asking again.
                if let Some(found) = self.find_run(liftoff_run_id, since, self.pace.find_for, cancel).await? {
                    return Ok(found);
                }
                if let Err(e) = patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await? {
                    return Err(self.named(e, "start the workflow", "Actions: write (a classic token: the repo scope)"));
                }
            }
            Err(e) => return Err(self.named(e, "start the workflow", "Actions: write (a classic token: the repo scope)")),
        }
        self.find_run(liftoff_run_id, since, self.pace.find_for, cancel).await?.ok_or_else(|| {
            RemoteError::new(format!(
                "GitHub accepted the dispatch of “{}”, but no run naming {liftoff_run_id} appeared within {} seconds. Make the workflow's run-name show ${{{{ inputs.{RUN_INPUT} }}}}, and look for the run on GitHub.",
                self.workflow,
                self.pace.find_for.as_secs()
            ))
        })
    }

    /// What happened since `cursor`: the run's state, its jobs, the logs of
    /// jobs that finished since, and the approval it waits for.
    pub async fn poll(&self, cursor: &mut Cursor, cancel: &CancellationToken) -> Result<RemotePoll, RemoteError> {
        let run = self.run(cursor, cancel).await?;
        let jobs = self.jobs(cursor, cancel).await?;
        let mut lines = Vec::new();
        for job in &jobs {
            if job.status.as_deref() == Some("completed") && !cursor.logs_read.contains(&job.id) && self.job_log(job, &mut lines, cancel).await? {
                cursor.logs_read.insert(job.id);
            }
        }
        let approval = if run.status.as_deref() == Some("waiting") { self.pending(run.id, cancel).await?.first().map(approval) } else { None };
        let steps = jobs
            .iter()
            .map(|j| RemoteStep { name: j.name.clone(), verdict: verdict(j.status.as_deref(), j.conclusion.as_deref()), words: words(j.status.as_deref(), j.conclusion.as_deref()) })
            .collect();
        Ok(RemotePoll { status: self.status_of(&run, &jobs), steps, lines, approval })
    }

    /// The run's state now (no jobs, no log).
    pub async fn status(&self, handle: &Handle, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let run: Run = self.get(&self.repo_url(&format!("actions/runs/{}", handle.run_id)), "read the run", cancel).await?;
        Ok(self.status_of(&run, &[]))
    }

    /// Cancels the run (`force`: also the jobs that run `if: always()`),
    /// then waits for GitHub to say it ended; its final state.
    pub async fn cancel(&self, handle: &Handle, force: bool, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let how = if force { "force-cancel" } else { "cancel" };
        let url = self.repo_url(&format!("actions/runs/{}/{how}", handle.run_id));
        match patiently(|| self.client.post(&url), self.pace.max_wait, cancel).await? {
            Ok(_) => {}
            // 409: the run is already done.
            Err(e) if e.kind() == ErrorKind::Conflict => {}
            Err(e) => return Err(self.named(e, "cancel the run", "Actions: write (a classic token: the repo scope)")),
        }
        let more = if force { "" } else { " Jobs that run if: always() go on after a cancel: force-cancel stops them." };
        confirmed(&self.pace, "GitHub", more, || self.status(handle, cancel), cancel).await
    }

    /// Approves (or rejects) every deployment of the run that waits for
    /// the token's user, with `comment`.
    pub async fn approve(&self, handle: &Handle, approve: bool, comment: &str, cancel: &CancellationToken) -> Result<(), RemoteError> {
        let pending = self.pending(handle.run_id, cancel).await?;
        if pending.is_empty() {
            return Err(RemoteError::new("The run no longer waits for an approval on GitHub."));
        }
        let ids: Vec<u64> = pending.iter().filter(|p| p.current_user_can_approve).map(|p| p.environment.id).collect();
        if ids.is_empty() {
            let a = approval(&pending[0]);
            return Err(RemoteError::new(format!(
                "The token's account may not review the deployment to {} (reviewers: {}); the environment may also bar reviewing one's own run. Ask a reviewer to approve it on GitHub.",
                a.environment,
                names(a.reviewers.iter().map(String::as_str))
            )));
        }
        let body = json!({ "environment_ids": ids, "state": if approve { "approved" } else { "rejected" }, "comment": comment });
        let url = self.repo_url(&format!("actions/runs/{}/pending_deployments", handle.run_id));
        match patiently(|| self.client.post(&url).json(&body), self.pace.max_wait, cancel).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(self.named(e, if approve { "approve the deployment" } else { "reject the deployment" }, "to be one of the environment's reviewers")),
        }
    }

    /// Runs the failed jobs again: a new attempt of the same run, followed
    /// from a new cursor.
    pub async fn rerun(&self, handle: &Handle, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        let url = self.repo_url(&format!("actions/runs/{}/rerun-failed-jobs", handle.run_id));
        match patiently(|| self.client.post(&url), self.pace.max_wait, cancel).await? {
            Ok(_) => Ok(handle.clone()),
            Err(e) => Err(self.named(e, "rerun the failed jobs", "Actions: write (a classic token: the repo scope)")),
        }
    }

    // --- Requests -------------------------------------------------------

    fn repo_url(&self, path: &str) -> String {
        let base = format!("{}/repos/{}/{}", self.api, segment(&self.owner), segment(&self.repo));
        if path.is_empty() {
            base
        } else {
            format!("{base}/{path}")
        }
    }

    async fn get<T: DeserializeOwned>(&self, url: &str, doing: &str, cancel: &CancellationToken) -> Result<T, RemoteError> {
        match patiently(|| self.client.get(url), self.pace.max_wait, cancel).await? {
            Ok(r) => Ok(r.json().await?),
            Err(e) => Err(self.named(e, doing, "Actions: read")),
        }
    }

    /// Every page of a list (`Link: rel="next"`), its `field` entries.
    async fn pages<T: DeserializeOwned>(&self, first: &str, field: &str, cancel: &CancellationToken) -> Result<Vec<T>, RemoteError> {
        let mut all = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(url) = next.take() {
            let answer = match patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await? {
                Ok(r) => r,
                Err(e) => return Err(self.named(e, &format!("list the {}", field.replace('_', " ")), "Actions: read")),
            };
            next = answer.headers().link("next").map(str::to_owned);
            let mut body: Value = answer.json().await?;
            let list = body.get_mut(field).map(Value::take).unwrap_or(Value::Array(Vec::new()));
            let page: Vec<T> = serde_json::from_value(list).map_err(|e| RemoteError::new(format!("GitHub's list of {field} ({}) cannot be read: {e}.", self.host)))?;
            all.extend(page);
        }
        Ok(all)
    }

    /// Looks for the run whose title names `liftoff_run_id`, for up to `for_`.
    async fn find_run(&self, liftoff_run_id: &str, since: DateTime<Utc>, for_: Duration, cancel: &CancellationToken) -> Result<Option<Handle>, RemoteError> {
        let created = format!(">={}", since.format("%Y-%m-%dT%H:%M:%SZ"));
        let query: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("event", "workflow_dispatch").append_pair("created", &created).append_pair("per_page", "100").finish();
        let url = self.repo_url(&format!("actions/workflows/{}/runs?{query}", segment(&self.workflow)));
        let started = Instant::now();
        loop {
            let runs: Vec<Run> = self.pages(&url, "workflow_runs", cancel).await?;
            if let Some(run) = runs.iter().find(|r| names_run(&r.display_title, liftoff_run_id)) {
                return Ok(Some(Handle { run_id: run.id, liftoff_run_id: liftoff_run_id.to_owned(), url: run.html_url.clone() }));
            }
            if started.elapsed() >= for_ {
                return Ok(None);
            }
            pause(self.pace.every, "the run was found", cancel).await?;
        }
    }

    /// The run, asked for only if it changed since the last answer.
    async fn run(&self, cursor: &mut Cursor, cancel: &CancellationToken) -> Result<Run, RemoteError> {
        let url = self.repo_url(&format!("actions/runs/{}", cursor.run_id));
        let etag = cursor.run.as_ref().map(|(e, _)| e.clone());
        let answer = patiently(|| conditional(self.client.get(&url), etag.as_deref()), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "read the run", "Actions: read"))?;
        if let (true, Some((_, run))) = (answer.not_modified(), &cursor.run) {
            return Ok(run.clone());
        }
        let etag = answer.headers().etag.clone();
        let run: Run = answer.json().await?;
        cursor.run = etag.map(|e| (e, run.clone()));
        Ok(run)
    }

    /// The latest attempt's jobs, every page asked for only if it changed.
    async fn jobs(&self, cursor: &mut Cursor, cancel: &CancellationToken) -> Result<Vec<Job>, RemoteError> {
        let mut all = Vec::new();
        let mut next = Some(self.repo_url(&format!("actions/runs/{}/jobs?filter=latest&per_page=100", cursor.run_id)));
        while let Some(url) = next.take() {
            let etag = cursor.jobs.get(&url).map(|(e, _, _)| e.clone());
            let answer = patiently(|| conditional(self.client.get(&url), etag.as_deref()), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "list the run's jobs", "Actions: read"))?;
            if answer.not_modified() {
                if let Some((_, jobs, later)) = cursor.jobs.get(&url) {
                    all.extend(jobs.iter().cloned());
                    next = later.clone();
                    continue;
                }
            }
            next = answer.headers().link("next").map(str::to_owned);
            let etag = answer.headers().etag.clone();
            let mut body: Value = answer.json().await?;
            let list = body.get_mut("jobs").map(Value::take).unwrap_or(Value::Array(Vec::new()));
            let jobs: Vec<Job> = serde_json::from_value(list).map_err(|e| RemoteError::new(format!("GitHub's list of jobs ({}) cannot be read: {e}.", self.host)))?;
            match etag {
                Some(e) => cursor.jobs.insert(url, (e, jobs.clone(), next.clone())),
                None => cursor.jobs.remove(&url),
            };
            all.extend(jobs);
        }
        Ok(all)
    }

    /// The log of a finished job into `lines`; whether it is read for good
    /// (a log that is gone counts as read, with a line saying so).
    async fn job_log(&self, job: &Job, lines: &mut Vec<RemoteLine>, cancel: &CancellationToken) -> Result<bool, RemoteError> {
        let url = self.repo_url(&format!("actions/jobs/{}/logs", job.id));
        let answer = patiently(|| self.client.get(&url).follow_to_other_origin(), self.pace.max_wait, cancel).await?;
        let mut answer = match answer {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::Refusal) => {
                let said = e.words().map(|w| format!(": {w}")).unwrap_or_default();
                lines.push(RemoteLine { step: job.name.clone(), stream: Stream::Err, text: format!("(GitHub has no log for this job{said})") });
                return Ok(true);
            }
            Err(e) if e.is_transient() => return Ok(false),
            Err(e) => return Err(self.named(e, "read the job's log", "Actions: read")),
        };
        let mut text = Vec::new();
        let mut cut = false;
        loop {
            match answer.chunk().await {
                Ok(Some(piece)) if text.len() + piece.len() > LOG_LIMIT => {
                    text.extend_from_slice(&piece[..LOG_LIMIT - text.len()]);
                    cut = true;
                    break;
                }
                Ok(Some(piece)) => text.extend_from_slice(&piece),
                Ok(None) => break,
                Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e.into()),
                // Broken off: read it whole at the next poll.
                Err(_) => return Ok(false),
            }
        }
        let text = String::from_utf8_lossy(&text);
        lines.extend(text.lines().filter_map(|l| log_line(l, &job.name)));
        if cut {
            lines.push(RemoteLine { step: job.name.clone(), stream: Stream::Err, text: format!("(the log goes on past {} MiB; read the rest on GitHub)", LOG_LIMIT / 1024 / 1024) });
        }
        Ok(true)
    }

    async fn pending(&self, run_id: u64, cancel: &CancellationToken) -> Result<Vec<Pending>, RemoteError> {
        self.get(&self.repo_url(&format!("actions/runs/{run_id}/pending_deployments")), "read the run's pending deployments", cancel).await
    }

    fn status_of(&self, run: &Run, jobs: &[Job]) -> RemoteStatus {
        let verdict = verdict(run.status.as_deref(), run.conclusion.as_deref());
        let failed_step = (verdict == Verdict::Failed).then(|| jobs.iter().find(|j| j.conclusion.as_deref() == Some("failure")).map(|j| j.name.clone())).flatten();
        RemoteStatus { verdict, words: words(run.status.as_deref(), run.conclusion.as_deref()), url: run.html_url.clone(), failed_step }
    }

    /// An HTTP failure named for a GitHub user: `doing` what ("start the
    /// workflow"), needing which `right`.
    fn named(&self, e: Error, doing: &str, right: &str) -> RemoteError {
        let status = e.status().map(|s| format!("{s}")).unwrap_or_default();
        let said = e.words().map(|w| format!(": {}", w.trim_end_matches('.'))).unwrap_or_default();
        let (host, repo) = (&self.host, format!("{}/{}", self.owner, self.repo));
        let message = match e.kind() {
            ErrorKind::Unauthorized => format!("GitHub ({host}) refused the token ({status}{said}). Check that it is current (not expired or revoked) and saved for this target."),
            ErrorKind::Forbidden => format!("GitHub ({host}) does not let the token {doing} in {repo} ({status}{said}). It needs {right}."),
            ErrorKind::NotFound => format!("GitHub ({host}) found nothing to {doing} in {repo} ({status}{said}): it does not exist, or the token may not see it. Check the repository, the workflow and the token's access."),
            ErrorKind::Unprocessable => format!("GitHub did not {doing} in {repo} ({status}{said})."),
            _ => return e.into(),
        };
        RemoteError { message, kind: Some(e.kind()) }
    }
}

/// Sends the request `make` builds; a rate limit's wait (up to `max_wait`,
/// at most a few times) is waited out and the request sent again. The
/// inner result is the request's; the outer error is a stop during a wait.
pub(super) async fn patiently<'c>(make: impl Fn() -> Call<'c>, max_wait: Duration, cancel: &CancellationToken) -> Result<Result<Response, Error>, RemoteError> {
    let mut tries = 0;
    loop {
        match make().send(cancel).await {
            Err(e) if e.kind() == ErrorKind::RateLimited && tries < RATE_RETRIES => {
                let wait = e.retry_after().unwrap_or(Duration::from_secs(60));
                if wait > max_wait {
                    return Ok(Err(e));
                }
                tries += 1;
                pause(wait, "the rate limit's wait ended", cancel).await?;
            }
            other => return Ok(other),
        }
    }
}

/// Asks `status` every [`Pace::every`] until the engine says the run
/// ended (its final state), for up to [`Pace::confirm_for`]; `more` ends
/// the message when it does not.
// A closure returning a future rather than an async closure: the future of
// an `AsyncFnMut` is not `Send` for every lifetime (a rustc limitation),
// and a run's future must be, to be spawned.
pub(super) async fn confirmed<F, Fut>(pace: &Pace, engine: &str, more: &str, mut status: F, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<RemoteStatus, RemoteError>>,
{
    let started = Instant::now();
    loop {
        let now = status().await?;
        if now.verdict.is_done() {
            return Ok(now);
        }
        if started.elapsed() >= pace.confirm_for {
            return Err(RemoteError::new(format!("{engine} has not confirmed the cancel after {} seconds; the run is {}.{more}", pace.confirm_for.as_secs(), now.words)));
        }
        pause(pace.every, &format!("{engine} confirmed the cancel"), cancel).await?;
    }
}

/// Waits `wait`, or until stopped (an error saying before what).
pub(super) async fn pause(wait: Duration, before: &str, cancel: &CancellationToken) -> Result<(), RemoteError> {
    tokio::select! {
        _ = tokio::time::sleep(wait) => Ok(()),
        _ = cancel.cancelled() => Err(RemoteError { message: format!("Stopped before {before}."), kind: Some(ErrorKind::Cancelled) }),
    }
}

fn conditional<'c>(call: Call<'c>, etag: Option<&str>) -> Call<'c> {
    match etag {
        Some(e) => call.if_none_match(e),
        None => call,
    }
}

/// The API's address for what a lead writes: empty, github.com or
/// api.github.com → the public API; an Enterprise Server's address →
/// its `/api/v3`.
fn api_base(base_url: &str) -> Option<String> {
    let base = base_url.trim().trim_end_matches('/');
    if base.is_empty() {
        return Some("https://api.github.com".into());
    }
    let url = url::Url::parse(base).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())?;
    let host = url.host_str()?;
    if host == "github.com" || host == "www.github.com" || host == "api.github.com" {
        return Some("https://api.github.com".into());
    }
    if url.path().trim_end_matches('/').ends_with("/api/v3") {
        Some(base.to_owned())
    } else {
        Some(format!("{base}/api/v3"))
    }
}

/// Whether a run's title names `id` as a word of its own.
fn names_run(title: &str, id: &str) -> bool {
    !id.is_empty() && title.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).any(|w| w == id)
}

/// One line of a job's log: its timestamp stripped, `##[group]` markers
/// dropped (the group's title kept), `##[error]` lines on stderr.
fn log_line(raw: &str, step: &str) -> Option<RemoteLine> {
    let line = raw.trim_start_matches('\u{feff}').trim_end_matches('\r');
    let line = match line.split_once(' ') {
        Some((stamp, rest)) if stamp.len() >= 20 && stamp.ends_with('Z') && DateTime::parse_from_rfc3339(stamp).is_ok() => rest,
        _ if line.len() >= 20 && line.ends_with('Z') && DateTime::parse_from_rfc3339(line).is_ok() => "",
        _ => line,
    };
    if line.starts_with("##[endgroup]") {
        return None;
    }
    let (stream, text) = if let Some(rest) = line.strip_prefix("##[group]") {
        (Stream::Out, rest)
    } else if let Some(rest) = line.strip_prefix("##[error]") {
        (Stream::Err, rest)
    } else {
        (Stream::Out, line)
    };
    Some(RemoteLine { step: step.to_owned(), stream, text: text.to_owned() })
}

fn approval(p: &Pending) -> Approval {
    let reviewers = p
        .reviewers
        .iter()
        .filter_map(|r| {
            let who = &r.reviewer;
            match r.kind.as_str() {
                "Team" => who["slug"].as_str().or(who["name"].as_str()).map(|t| format!("team {t}")),
                _ => who["login"].as_str().map(str::to_owned),
            }
        })
        .collect();
    Approval { environment: p.environment.name.clone(), reviewers, can_approve: p.current_user_can_approve }
}

/// The problems of a workflow file's text (`file`) for Liftoff: no
/// `workflow_dispatch`, an input not declared, a `run-name` that does not
/// show `liftoff_run_id`. Read by indentation, not as full YAML.
fn workflow_problems(text: &str, file: &str, inputs: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()).collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key = |l: &str| l.trim().split(':').next().unwrap_or("").trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
    let Some(at) = lines.iter().position(|l| l.contains("workflow_dispatch")) else {
        problems.push(format!("{file} cannot be started from Liftoff: it has no workflow_dispatch trigger under on:."));
        return problems;
    };
    let mut declared = Vec::new();
    let base = indent(lines[at]);
    let mut i = at + 1;
    while i < lines.len() && indent(lines[i]) > base {
        if key(lines[i]) == "inputs" {
            let level = indent(lines[i]);
            let mut j = i + 1;
            let child = lines.get(j).map(|l| indent(l)).filter(|c| *c > level);
            while let (Some(child), Some(l)) = (child, lines.get(j)) {
                if indent(l) <= level {
                    break;
                }
                if indent(l) == child {
                    declared.push(key(l));
                }
                j += 1;
            }
            break;
        }
        i += 1;
    }
    let mut missing: Vec<&str> = std::iter::once(RUN_INPUT).chain(inputs.iter().copied()).filter(|n| !declared.iter().any(|d| d == n)).collect();
    missing.dedup();
    if !missing.is_empty() {
        problems.push(format!(
            "{file} does not declare the input{} {} under workflow_dispatch: inputs:, and GitHub refuses undeclared inputs.",
            if missing.len() == 1 { "" } else { "s" },
            names(missing.into_iter())
        ));
    }
    let run_name = lines.iter().find(|l| indent(l) == 0 && key(l) == "run-name");
    if !run_name.is_some_and(|l| l.contains(RUN_INPUT)) {
        problems.push(format!("{file}'s run-name does not show the input {RUN_INPUT}, so Liftoff cannot find the run it started on a server that does not return it; add run-name: \"Deploy ${{{{ inputs.{RUN_INPUT} }}}}\"."));
    }
    problems
}

/// "A, B and C", or "none".
pub(super) fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.as_slice() {
        [] => "none".into(),
        [one] => (*one).into(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A path segment, percent-encoded.
pub(super) fn segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_into_verdicts() {
        assert_eq!(verdict(Some("queued"), None), Verdict::Running);
        assert_eq!(verdict(Some("waiting"), None), Verdict::Running);
        assert_eq!(verdict(Some("completed"), Some("success")), Verdict::Succeeded);
        assert_eq!(verdict(Some("completed"), Some("cancelled")), Verdict::Cancelled);
        assert_eq!(verdict(Some("completed"), Some("timed_out")), Verdict::TimedOut);
        for other in ["failure", "neutral", "skipped", "stale", "action_required", "startup_failure", "something_new"] {
            assert_eq!(verdict(Some("completed"), Some(other)), Verdict::Failed, "{other}");
        }
        assert_eq!(verdict(Some("completed"), None), Verdict::Failed);
        assert_eq!(words(Some("completed"), Some("timed_out")), "completed: timed out");
        assert_eq!(words(Some("in_progress"), None), "in progress");
    }

    #[test]
    fn the_api_address_of_github_com_and_of_an_enterprise_server() {
        assert_eq!(api_base("").as_deref(), Some("https://api.github.com"));
        assert_eq!(api_base("https://github.com/").as_deref(), Some("https://api.github.com"));
        assert_eq!(api_base("https://ghe.example.com").as_deref(), Some("https://ghe.example.com/api/v3"));
        assert_eq!(api_base("https://ghe.example.com/api/v3/").as_deref(), Some("https://ghe.example.com/api/v3"));
        assert_eq!(api_base("ghe.example.com"), None);
    }

    #[test]
    fn log_lines_lose_timestamps_and_group_markers() {
        let line = |raw: &str| log_line(raw, "deploy").map(|l| (l.stream, l.text));
        assert_eq!(line("\u{feff}2025-03-04T12:00:00.1234567Z ##[group]Run ./deploy.sh"), Some((Stream::Out, "Run ./deploy.sh".into())));
        assert_eq!(line("2025-03-04T12:00:01.0000000Z ##[endgroup]"), None);
        assert_eq!(line("2025-03-04T12:00:02.0000000Z ##[error]Process completed with exit code 1."), Some((Stream::Err, "Process completed with exit code 1.".into())));
        assert_eq!(line("2025-03-04T12:00:03.0000000Z   indented output"), Some((Stream::Out, "  indented output".into())));
        assert_eq!(line("no stamp here"), Some((Stream::Out, "no stamp here".into())));
        assert_eq!(line("2025-03-04T12:00:03.0000000Z"), Some((Stream::Out, String::new())));
    }

    #[test]
    fn a_run_is_found_by_its_liftoff_id_as_a_word() {
        assert!(names_run("Deploy 1.4.2 (r-0193)", "r-0193"));
        assert!(!names_run("Deploy 1.4.2 (r-01934)", "r-0193"));
        assert!(!names_run("anything", ""));
    }

    #[test]
    fn a_workflow_file_is_checked_for_dispatch_inputs_and_run_name() {
        let good = "name: Deploy\nrun-name: Deploy ${{ inputs.version }} (${{ inputs.liftoff_run_id }})\non:\n  workflow_dispatch:\n    inputs:\n      # Liftoff's\n      liftoff_run_id:\n        required: true\n      version:\n        type: string\njobs: {}\n";
        assert_eq!(workflow_problems(good, "deploy.yml", &["version"]), Vec::<String>::new());
        let problems = workflow_problems(good, "deploy.yml", &["version", "region"]);
        assert_eq!(problems, ["deploy.yml does not declare the input region under workflow_dispatch: inputs:, and GitHub refuses undeclared inputs."]);
        let bare = "name: Deploy\non:\n  workflow_dispatch:\njobs: {}\n";
        let problems = workflow_problems(bare, "deploy.yml", &[]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("input liftoff_run_id"), "{problems:?}");
        assert!(problems[1].contains("run-name"), "{problems:?}");
        assert!(workflow_problems("on: push\n", "ci.yml", &[])[0].contains("no workflow_dispatch"));
    }
}
