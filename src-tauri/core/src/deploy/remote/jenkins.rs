//! Jenkins (2.x) through its remote access API: check a job, start a
//! build with parameters, follow it from the queue to its end, answer a
//! pipeline's `input` step, cancel it.
//!
//! - Login: an API token needs no crumb; a password needs a crumb from
//!   `/crumbIssuer/api/json`, valid only with the session cookie that
//!   answer sets, so both go with every later POST.
//! - Start: `POST /job/a/job/b/buildWithParameters` (form fields) → 201
//!   with `Location: .../queue/item/N/`. Jenkins drops undeclared
//!   parameters and merges identical queued requests, so the job declares
//!   `LIFTOFF_RUN_ID` and Liftoff always sends it.
//! - Follow ([`Jenkins::poll`] with a [`Cursor`]): the queue item until it
//!   names `executable.number`; Jenkins forgets items minutes after they
//!   start, so a forgotten one is found among the job's last 20 builds by
//!   its `LIFTOFF_RUN_ID`. The build's state, a pipeline's stages
//!   (`wfapi/describe`) and the console log read on from a byte offset
//!   (`logText/progressiveText?start=B`: `X-Text-Size` is the next offset,
//!   `X-More-Data: true` while it is written).
//! - Input: a pipeline paused at an `input` step lists it in
//!   `wfapi/pendingInputActions`; `input/{id}/proceedEmpty` or `abort`
//!   answers it.
//! - Cancel: `queue/cancelItem` while queued; else `stop`, then `term`,
//!   then `kill` while the build goes on; the build's `ABORTED` is awaited.
//! - Rerun: a new build with the same parameters (Jenkins' own rebuild is
//!   a plugin), started as any other.
//!
//! Results: SUCCESS goes on, UNSTABLE only if the target accepts warnings,
//! ABORTED is cancelled, FAILURE, NOT_BUILT and any other failed.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use super::github::Checked;
use super::github::{names, patiently, pause, segment, Pace};
use super::{Approval, RemoteError, RemoteLine, RemotePoll, RemoteStatus, RemoteStep, Verdict};
use crate::deploy::lines::Stream;
use crate::http::{Call, Client, Error, ErrorKind, Response};

/// The parameter that carries Liftoff's run id.
pub const RUN_PARAMETER: &str = "LIFTOFF_RUN_ID";

/// The builds looked through for a forgotten queue item.
const RECENT_BUILDS: u32 = 20;

/// How Liftoff logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// An API token (the user's Security page): no crumb needed.
    ApiToken,
    /// The account's password: a crumb and its session cookie.
    Password,
}

/// A connection to one job.
#[derive(Debug, Clone)]
pub struct Jenkins {
    client: Client,
    /// The server's address, without a trailing slash.
    base: String,
    /// "ci.example.com:8080", for messages.
    host: String,
    user: String,
    /// "folder/deploy", as written.
    job: String,
    /// "/job/folder/job/deploy".
    job_path: String,
    /// The crumb header, with a password.
    crumb: Option<Crumb>,
    pace: Pace,
}

/// A crumb: the header's name, and its value (a session credential,
/// never shown).
#[derive(Clone)]
struct Crumb {
    field: String,
    value: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for Crumb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: <redacted>", self.field)
    }
}

/// A started build, stored with the Liftoff run (`remote_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handle {
    pub liftoff_run_id: String,
    /// The queue item, while it is one.
    pub queue_item: Option<u64>,
    /// The build's number, once it has one.
    pub build: Option<u64>,
}

/// How far a follow has read (stored as `log_cursor`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub liftoff_run_id: String,
    pub queue_item: Option<u64>,
    pub build: Option<u64>,
    /// The console log's next byte offset.
    pub offset: u64,
}

impl Cursor {
    pub fn new(handle: &Handle) -> Cursor {
        Cursor { liftoff_run_id: handle.liftoff_run_id.clone(), queue_item: handle.queue_item, build: handle.build, offset: 0 }
    }

    pub fn handle(&self) -> Handle {
        Handle { liftoff_run_id: self.liftoff_run_id.clone(), queue_item: self.queue_item, build: self.build }
    }
}

#[derive(Debug, Deserialize)]
struct QueueItem {
    #[serde(default)]
    cancelled: bool,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    executable: Option<Executable>,
}

#[derive(Debug, Deserialize)]
struct Executable {
    number: u64,
}

#[derive(Debug, Deserialize)]
struct Build {
    number: u64,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    building: bool,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    actions: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct Stage {
    name: String,
    #[serde(default)]
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PendingInput {
    id: String,
    #[serde(default)]
    message: String,
}

/// A build's result as Liftoff's verdict.
pub fn verdict(building: bool, result: Option<&str>, accept_warnings: bool) -> Verdict {
    if building {
        return Verdict::Running;
    }
    match result {
        None => Verdict::Running,
        Some("SUCCESS") => Verdict::Succeeded,
        Some("UNSTABLE") if accept_warnings => Verdict::Succeeded,
        Some("ABORTED") => Verdict::Cancelled,
        Some(_) => Verdict::Failed,
    }
}

impl Jenkins {
    /// Connects to the Jenkins at `base_url` as `user` for the job `job`
    /// ("folder/deploy"). With a password, a crumb and its session are
    /// fetched first. The secret is never in a message.
    pub async fn connect(base_url: &str, user: &str, secret: &str, kind: Secret, job: &str, cancel: &CancellationToken) -> Result<Jenkins, RemoteError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let host = url::Url::parse(&base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .and_then(|u| u.host_str().map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}"))))
            .ok_or_else(|| RemoteError::new("The Jenkins address cannot be read. Set it to the server's web address, such as https://ci.example.com."))?;
        let parts: Vec<&str> = job.split('/').map(str::trim).filter(|p| !p.is_empty() && *p != "job").collect();
        if parts.is_empty() {
            return Err(RemoteError::new("Name the Jenkins job to build, with its folders: folder/deploy."));
        }
        let job_path: String = parts.iter().map(|p| format!("/job/{}", segment(p))).collect();
        let mut builder = Client::builder().basic(user, secret).mask(&[secret]);
        if kind == Secret::Password {
            builder = builder.session_cookies();
        }
        let client = builder.build()?;
        let mut jenkins = Jenkins { client, base, host, user: user.to_owned(), job: parts.join("/"), job_path, crumb: None, pace: Pace::default() };
        if kind == Secret::Password {
            let url = format!("{}/crumbIssuer/api/json", jenkins.base);
            match patiently(|| jenkins.client.get(&url), jenkins.pace.max_wait, cancel).await? {
                Ok(answer) => {
                    let crumb: Value = answer.json().await?;
                    if let (Some(field), Some(value)) = (crumb["crumbRequestField"].as_str(), crumb["crumb"].as_str()) {
                        jenkins.crumb = Some(Crumb { field: field.to_owned(), value: zeroize::Zeroizing::new(value.to_owned()) });
                    }
                }
                // No crumb issuer: CSRF protection is off.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(jenkins.named(e, "fetch a crumb", "Overall/Read")),
            }
        }
        Ok(jenkins)
    }

    /// The same connection with other waits.
    pub fn with_pace(mut self, pace: Pace) -> Jenkins {
        self.pace = pace;
        self
    }

    /// Whether the job exists, can be built, and declares `LIFTOFF_RUN_ID`
    /// and each of `parameters`; starts nothing.
    pub async fn check(&self, parameters: &[&str], cancel: &CancellationToken) -> Result<Checked, RemoteError> {
        let mut problems = Vec::new();
        let url = self.job_url("api/json?tree=name,fullName,buildable,property[parameterDefinitions[name]]");
        let job: Value = match patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await? {
            Ok(r) => r.json().await?,
            Err(e) if matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::Forbidden | ErrorKind::NotFound) => {
                problems.push(self.named(e, "read the job", "Job/Read").message);
                return Ok(Checked { problems });
            }
            Err(e) => return Err(self.named(e, "read the job", "Job/Read")),
        };
        if job["buildable"] == Value::Bool(false) {
            problems.push(format!("The Jenkins job {} is disabled; enable it on Jenkins.", self.job));
        }
        let declared: Vec<&str> = job["property"].as_array().into_iter().flatten().flat_map(|p| p["parameterDefinitions"].as_array().into_iter().flatten()).filter_map(|d| d["name"].as_str()).collect();
        let missing: Vec<&str> = std::iter::once(RUN_PARAMETER).chain(parameters.iter().copied()).filter(|p| !declared.contains(p)).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "The Jenkins job {} does not declare the parameter{} {}: Jenkins drops undeclared parameters (and merges identical queued builds). Add {} under “This project is parameterized”.",
                self.job,
                if missing.len() == 1 { "" } else { "s" },
                names(missing.iter().copied()),
                if missing.len() == 1 { "it" } else { "them" },
            ));
        }
        Ok(Checked { problems })
    }

    /// Queues a build with `parameters` and `LIFTOFF_RUN_ID`.
    pub async fn trigger(&self, liftoff_run_id: &str, parameters: &BTreeMap<String, String>, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        let mut fields: Vec<(&str, &str)> = parameters.iter().filter(|(k, _)| k.as_str() != RUN_PARAMETER).map(|(k, v)| (k.as_str(), v.as_str())).collect();
        fields.push((RUN_PARAMETER, liftoff_run_id));
        let url = self.job_url("buildWithParameters");
        let send = || self.post(&url).form(&fields);
        let answer = match patiently(send, self.pace.max_wait, cancel).await? {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Server) => {
                // It may have gone through: look for it before asking again.
                if let Some(found) = self.find_build(liftoff_run_id, cancel).await? {
                    return Ok(found);
                }
                patiently(send, self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "start a build", "Job/Build"))?
            }
            Err(e) => return Err(self.named(e, "start a build", "Job/Build")),
        };
        let queue_item = answer.headers().location.as_deref().and_then(queue_number);
        if queue_item.is_none() {
            if let Some(found) = self.find_build(liftoff_run_id, cancel).await? {
                return Ok(found);
            }
            return Err(RemoteError::new(format!(
                "Jenkins ({}) accepted the build of {} but did not say where it is queued (no queue item in its answer). Look for it on Jenkins.",
                self.host, self.job
            )));
        }
        Ok(Handle { liftoff_run_id: liftoff_run_id.to_owned(), queue_item, build: None })
    }

    /// Starts the job again with the same parameters, for a new Liftoff
    /// run.
    pub async fn rerun(&self, liftoff_run_id: &str, parameters: &BTreeMap<String, String>, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        self.trigger(liftoff_run_id, parameters, cancel).await
    }

    /// What happened since `cursor`: the state, the stages, the log read
    /// on, and an `input` step waiting.
    pub async fn poll(&self, cursor: &mut Cursor, accept_warnings: bool, cancel: &CancellationToken) -> Result<RemotePoll, RemoteError> {
        if cursor.build.is_none() {
            if let Some(waiting) = self.follow_queue(cursor, cancel).await? {
                return Ok(RemotePoll { status: waiting, steps: Vec::new(), lines: Vec::new(), approval: None });
            }
        }
        let number = cursor.build.unwrap_or_default();
        let build: Build = self.get(&self.job_url(&format!("{number}/api/json?tree=number,url,building,result")), "read the build", cancel).await?;
        let stages = self.stages(number, cancel).await?;
        let mut lines = Vec::new();
        self.read_log(number, cursor, &mut lines, cancel).await?;
        let approval = if stages.iter().any(|s| s.status == "PAUSED_PENDING_INPUT") {
            self.inputs(number, cancel).await?.first().map(|i| Approval { environment: i.message.clone(), reviewers: Vec::new(), can_approve: true })
        } else {
            None
        };
        let steps = match stages.is_empty() {
            true => vec![RemoteStep { name: self.job.clone(), verdict: verdict(build.building, build.result.as_deref(), accept_warnings), words: build_words(&build) }],
            false => stages.iter().map(|s| RemoteStep { name: s.name.clone(), verdict: stage_verdict(&s.status), words: s.status.to_lowercase().replace('_', " ") }).collect(),
        };
        let mut status = self.build_status(&build, accept_warnings);
        if status.verdict == Verdict::Failed {
            status.failed_step = stages.iter().find(|s| s.status == "FAILED").map(|s| s.name.clone());
        }
        Ok(RemotePoll { status, steps, lines, approval })
    }

    /// Cancels: the queue item while queued; else stops the build, then
    /// terminates, then kills it while it goes on. Its end is awaited.
    pub async fn cancel(&self, handle: &Handle, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let mut cursor = Cursor::new(handle);
        if cursor.build.is_none() {
            if let Some(item) = cursor.queue_item {
                let url = format!("{}/queue/cancelItem?id={item}", self.base);
                match patiently(|| self.post(&url).follow_redirects(false), self.pace.max_wait, cancel).await? {
                    // 404: no longer in the queue (started meanwhile).
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(self.named(e, "cancel the queued build", "Job/Cancel")),
                }
            }
            if let Some(waiting) = self.follow_queue(&mut cursor, cancel).await? {
                if waiting.verdict.is_done() {
                    return Ok(waiting);
                }
            }
        }
        let started = Instant::now();
        let mut asks = ["stop", "term", "kill"].into_iter();
        let mut last_ask = None::<Instant>;
        loop {
            let status = match cursor.build {
                Some(n) => {
                    let build: Build = self.get(&self.job_url(&format!("{n}/api/json?tree=number,url,building,result")), "read the build", cancel).await?;
                    self.build_status(&build, false)
                }
                None => match self.follow_queue(&mut cursor, cancel).await? {
                    Some(s) => s,
                    None => continue,
                },
            };
            if status.verdict.is_done() {
                return Ok(status);
            }
            // Each harder ask after a third of the wait.
            let due = last_ask.is_none_or(|at| at.elapsed() >= self.pace.confirm_for / 3);
            if let (true, Some(n)) = (due, cursor.build) {
                if let Some(ask) = asks.next() {
                    let url = self.job_url(&format!("{n}/{ask}"));
                    match patiently(|| self.post(&url).follow_redirects(false), self.pace.max_wait, cancel).await? {
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::NotFound && ask != "stop" => {}
                        Err(e) => return Err(self.named(e, "stop the build", "Job/Cancel")),
                    }
                    last_ask = Some(Instant::now());
                }
            }
            if started.elapsed() >= self.pace.confirm_for {
                let at = status.url.map(|u| format!(" ({u})")).unwrap_or_default();
                return Err(RemoteError::new(format!("Jenkins has not confirmed the cancel after {} seconds; the build may still run{at}.", self.pace.confirm_for.as_secs())));
            }
            pause(self.pace.every, "Jenkins confirmed the cancel", cancel).await?;
        }
    }

    /// Answers the `input` step the build waits at: proceeds, or aborts
    /// (which ends the build aborted). Jenkins keeps no comment.
    pub async fn approve(&self, handle: &Handle, approve: bool, cancel: &CancellationToken) -> Result<(), RemoteError> {
        let Some(number) = handle.build else {
            return Err(RemoteError::new("The Jenkins build has not started yet, so it waits for no input."));
        };
        let inputs = self.inputs(number, cancel).await?;
        let Some(input) = inputs.first() else {
            return Err(RemoteError::new(format!("Jenkins build #{number} of {} no longer waits for an input.", self.job)));
        };
        let how = if approve { "proceedEmpty" } else { "abort" };
        let url = self.job_url(&format!("{number}/input/{}/{how}", segment(&input.id)));
        match patiently(|| self.post(&url).follow_redirects(false), self.pace.max_wait, cancel).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(self.named(e, if approve { "proceed past the input" } else { "abort at the input" }, "Job/Build (and to be among the input's submitters)")),
        }
    }

    // --- Requests -------------------------------------------------------

    fn job_url(&self, rest: &str) -> String {
        format!("{}{}/{rest}", self.base, self.job_path)
    }

    /// A POST with the crumb, when there is one.
    fn post(&self, url: &str) -> Call<'_> {
        match &self.crumb {
            Some(crumb) => self.client.post(url).sensitive_header(&crumb.field, &crumb.value),
            None => self.client.post(url),
        }
    }

    async fn get<T: DeserializeOwned>(&self, url: &str, doing: &str, cancel: &CancellationToken) -> Result<T, RemoteError> {
        let answer: Response = patiently(|| self.client.get(url), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, doing, "Job/Read"))?;
        Ok(answer.json().await?)
    }

    /// Follows the queue item; `Some` state while there is no build (or
    /// the item was cancelled), `None` once `cursor.build` is known.
    async fn follow_queue(&self, cursor: &mut Cursor, cancel: &CancellationToken) -> Result<Option<RemoteStatus>, RemoteError> {
        let item = match cursor.queue_item {
            Some(n) => {
                let url = format!("{}/queue/item/{n}/api/json", self.base);
                match patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await? {
                    Ok(r) => Some(r.json::<QueueItem>().await?),
                    Err(e) if e.kind() == ErrorKind::NotFound => None,
                    Err(e) => return Err(self.named(e, "read the queue", "Overall/Read")),
                }
            }
            None => None,
        };
        match item {
            Some(QueueItem { executable: Some(x), .. }) => {
                cursor.build = Some(x.number);
                Ok(None)
            }
            Some(QueueItem { cancelled: true, .. }) => Ok(Some(RemoteStatus { verdict: Verdict::Cancelled, words: "cancelled in the queue".into(), url: None, failed_step: None })),
            Some(QueueItem { why, .. }) => Ok(Some(RemoteStatus { verdict: Verdict::Running, words: why.unwrap_or_else(|| "queued".into()), url: None, failed_step: None })),
            None => match self.find_build(&cursor.liftoff_run_id, cancel).await? {
                Some(found) => {
                    cursor.build = found.build;
                    Ok(None)
                }
                None => Err(RemoteError::new(format!(
                    "Jenkins no longer knows queue item {} and none of the last {RECENT_BUILDS} builds of {} has {RUN_PARAMETER}={}. Look for the build on Jenkins.",
                    cursor.queue_item.map(|n| n.to_string()).unwrap_or_default(),
                    self.job,
                    cursor.liftoff_run_id
                ))),
            },
        }
    }

    /// The build among the job's last ones whose `LIFTOFF_RUN_ID` is ours.
    async fn find_build(&self, liftoff_run_id: &str, cancel: &CancellationToken) -> Result<Option<Handle>, RemoteError> {
        let url = self.job_url(&format!("api/json?tree=builds[number,url,actions[parameters[name,value]]]{{0,{RECENT_BUILDS}}}"));
        let job: Value = self.get(&url, "list the job's builds", cancel).await?;
        let builds: Vec<Build> = serde_json::from_value(job["builds"].clone()).unwrap_or_default();
        let ours = builds.iter().find(|b| {
            b.actions.iter().flat_map(|a| a["parameters"].as_array().into_iter().flatten()).any(|p| p["name"] == RUN_PARAMETER && p["value"] == liftoff_run_id)
        });
        Ok(ours.map(|b| Handle { liftoff_run_id: liftoff_run_id.to_owned(), queue_item: None, build: Some(b.number) }))
    }

    /// A pipeline's stages (`wfapi/describe`); none for other jobs.
    async fn stages(&self, number: u64, cancel: &CancellationToken) -> Result<Vec<Stage>, RemoteError> {
        let url = self.job_url(&format!("{number}/wfapi/describe"));
        match patiently(|| self.client.get(&url), self.pace.max_wait, cancel).await? {
            Ok(r) => {
                let mut run: Value = r.json().await?;
                Ok(serde_json::from_value(run.get_mut("stages").map(Value::take).unwrap_or(Value::Array(Vec::new()))).unwrap_or_default())
            }
            // Not a pipeline, or no stage view plugin.
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.named(e, "read the pipeline's stages", "Job/Read")),
        }
    }

    async fn inputs(&self, number: u64, cancel: &CancellationToken) -> Result<Vec<PendingInput>, RemoteError> {
        self.get(&self.job_url(&format!("{number}/wfapi/pendingInputActions")), "read the input the build waits for", cancel).await
    }

    /// The console log from the cursor's offset: whole lines while it is
    /// written, the rest once it is done.
    async fn read_log(&self, number: u64, cursor: &mut Cursor, lines: &mut Vec<RemoteLine>, cancel: &CancellationToken) -> Result<(), RemoteError> {
        let url = self.job_url(&format!("{number}/logText/progressiveText?start={}", cursor.offset));
        let answer = patiently(|| self.client.get(&url).body_limit(64 * 1024 * 1024), self.pace.max_wait, cancel).await?.map_err(|e| self.named(e, "read the build's log", "Job/Read"))?;
        let (next, more) = (answer.headers().text_size, answer.headers().more_data);
        let text = answer.bytes().await?;
        // While written, a last line without its newline waits for the rest.
        let whole = if more { text.iter().rposition(|b| *b == b'\n').map_or(0, |at| at + 1) } else { text.len() };
        let read = String::from_utf8_lossy(&text[..whole]);
        lines.extend(read.lines().map(|l| RemoteLine { step: self.job.clone(), stream: Stream::Out, text: without_notes(l) }));
        cursor.offset = if whole == text.len() { next.unwrap_or(cursor.offset + text.len() as u64) } else { cursor.offset + whole as u64 };
        Ok(())
    }

    fn build_status(&self, build: &Build, accept_warnings: bool) -> RemoteStatus {
        let mut verdict = verdict(build.building, build.result.as_deref(), accept_warnings);
        let mut words = build_words(build);
        if build.result.as_deref() == Some("UNSTABLE") && !accept_warnings && !build.building {
            words = format!("{words} (unstable, which this target does not accept)");
            verdict = Verdict::Failed;
        }
        RemoteStatus { verdict, words, url: build.url.clone(), failed_step: None }
    }

    /// An HTTP failure named for a Jenkins user.
    fn named(&self, e: Error, doing: &str, right: &str) -> RemoteError {
        let status = e.status().map(|s| s.to_string()).unwrap_or_default();
        let said = e.words().map(|w| format!(": {}", w.trim_end_matches('.'))).unwrap_or_default();
        let (host, user, job) = (&self.host, &self.user, &self.job);
        let message = match e.kind() {
            ErrorKind::Unauthorized => format!("Jenkins ({host}) refused the login of {user} ({status}{said}). Check the API token or password saved for this target."),
            ErrorKind::Forbidden if said.to_lowercase().contains("crumb") => {
                format!("Jenkins ({host}) refused the request without a valid crumb ({status}{said}). Use an API token, which needs none, or check the password.")
            }
            ErrorKind::Forbidden => format!("Jenkins ({host}) does not let {user} {doing} for {job} ({status}{said}). Give {user} the {right} permission."),
            ErrorKind::NotFound => format!("Jenkins ({host}) has no job {job}, or {user} may not see it ({status}). Check the job's name with its folders (folder/deploy) and {user}'s Job/Read permission."),
            _ => return e.into(),
        };
        RemoteError { message, kind: Some(e.kind()) }
    }
}

/// The build number's words: "building #42", "#42: SUCCESS".
fn build_words(build: &Build) -> String {
    match (&build.result, build.building) {
        (Some(result), false) => format!("#{}: {result}", build.number),
        _ => format!("building #{}", build.number),
    }
}

/// A stage's status (the stage view's words) as a verdict.
fn stage_verdict(status: &str) -> Verdict {
    match status {
        "SUCCESS" => Verdict::Succeeded,
        "ABORTED" => Verdict::Cancelled,
        "FAILED" | "UNSTABLE" | "NOT_EXECUTED" => Verdict::Failed,
        _ => Verdict::Running,
    }
}

/// The queue item's number in a `Location` (".../queue/item/17/").
fn queue_number(location: &str) -> Option<u64> {
    let path = location.split('?').next()?.trim_end_matches('/');
    let (before, number) = path.rsplit_once('/')?;
    before.ends_with("/queue/item").then(|| number.parse().ok()).flatten()
}

/// A console line without Jenkins' hidden console notes
/// (`ESC[8mha:…ESC[0m`, serialized annotations).
fn without_notes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("\u{1b}[8mha:") {
        out.push_str(&rest[..at]);
        match rest[at..].find("\u{1b}[0m") {
            Some(end) => rest = &rest[at + end + 4..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_into_verdicts() {
        assert_eq!(verdict(true, None, false), Verdict::Running);
        assert_eq!(verdict(false, None, false), Verdict::Running);
        assert_eq!(verdict(false, Some("SUCCESS"), false), Verdict::Succeeded);
        assert_eq!(verdict(false, Some("UNSTABLE"), false), Verdict::Failed);
        assert_eq!(verdict(false, Some("UNSTABLE"), true), Verdict::Succeeded);
        assert_eq!(verdict(false, Some("ABORTED"), true), Verdict::Cancelled);
        assert_eq!(verdict(false, Some("FAILURE"), true), Verdict::Failed);
        assert_eq!(verdict(false, Some("NOT_BUILT"), true), Verdict::Failed);
        assert_eq!(verdict(false, Some("SOMETHING_NEW"), true), Verdict::Failed);
    }

    #[test]
    fn queue_items_and_console_notes_are_read() {
        assert_eq!(queue_number("https://ci.example.com/queue/item/17/"), Some(17));
        assert_eq!(queue_number("https://ci.example.com/jenkins/queue/item/9"), Some(9));
        assert_eq!(queue_number("https://ci.example.com/job/x/17/"), None);
        assert_eq!(without_notes("\u{1b}[8mha:////4LzAAAA==\u{1b}[0m[Pipeline] sh"), "[Pipeline] sh");
        assert_eq!(without_notes("plain + deploy.sh"), "plain + deploy.sh");
    }
}
