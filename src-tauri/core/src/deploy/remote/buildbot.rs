//! A Buildbot master (4.x) through its REST API (`/api/v2`, which needs
//! `buildbot-www`): log in, check a target, force a build, follow it and
//! cancel it.
//!
//! - Login: `GET /auth/login` with Basic answers 302 and a session cookie
//!   (`TWISTED_SESSION`) that every later request carries; a wrong password
//!   answers 401.
//! - Check: the builder by name, the force scheduler and the builders it
//!   starts, and whether the login may use it: an unknown JSON-RPC method
//!   on the scheduler passes the master's authz first (403 with its words
//!   when the role is missing, else `null`), so nothing starts.
//! - Force: JSON-RPC `force` on `/forceschedulers/{name}` →
//!   `[buildsetid, {builderid: buildrequestid}]`.
//! - Follow ([`Buildbot::poll`] with a [`Cursor`]): the request's builds
//!   (a retry makes a new one), their steps, each step's logs, and only the
//!   lines not read yet (`/logs/{id}/contents?offset=&limit=`, in lines).
//!   Stdio lines start with `o` (stdout), `e` (stderr) or `h` (header);
//!   header lines are dropped: they print the worker's whole environment.
//! - Cancel: a request still waiting is cancelled; a running build is
//!   stopped; either way the master's own end (results 6) is awaited.
//!
//! Results: 0 success, 1 warnings, 2 failure, 3 skipped, 4 exception,
//! 5 retry, 6 cancelled ([`verdict`] maps them).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::{RemoteError, RemoteLine, RemoteStatus, Verdict};
use crate::deploy::lines::Stream;
use crate::http::{Client, Error, ErrorKind};

pub const SUCCESS: i64 = 0;
pub const WARNINGS: i64 = 1;
pub const FAILURE: i64 = 2;
pub const SKIPPED: i64 = 3;
pub const EXCEPTION: i64 = 4;
pub const RETRY: i64 = 5;
pub const CANCELLED: i64 = 6;

/// Log lines asked for at once.
const LOG_PAGE: u64 = 1000;

/// Buildbot's results as Liftoff's verdict: success goes on (warnings only
/// if the target accepts them), 6 is cancelled, 5 (retry) is followed on
/// (the master starts the build again), everything else failed.
pub fn verdict(complete: bool, results: Option<i64>, accept_warnings: bool) -> Verdict {
    if !complete {
        return Verdict::Running;
    }
    match results {
        Some(SUCCESS) => Verdict::Succeeded,
        Some(WARNINGS) if accept_warnings => Verdict::Succeeded,
        Some(CANCELLED) => Verdict::Cancelled,
        Some(RETRY) => Verdict::Running,
        _ => Verdict::Failed,
    }
}

/// Buildbot's name for a result.
pub fn results_words(results: Option<i64>) -> String {
    match results {
        None => "no result yet".into(),
        Some(SUCCESS) => "success".into(),
        Some(WARNINGS) => "warnings".into(),
        Some(FAILURE) => "failure".into(),
        Some(SKIPPED) => "skipped".into(),
        Some(EXCEPTION) => "exception".into(),
        Some(RETRY) => "retry".into(),
        Some(CANCELLED) => "cancelled".into(),
        Some(n) => format!("unknown result {n}"),
    }
}

/// A logged-in connection to one master.
#[derive(Debug, Clone)]
pub struct Buildbot {
    client: Client,
    /// The master's web address, without a trailing slash.
    base: String,
    /// "127.0.0.1:8010", for messages.
    host: String,
    user: String,
}

/// What Check target found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The builder's id, when the builder exists.
    pub builderid: Option<u64>,
    /// One sentence per problem; none means the target can deploy.
    pub problems: Vec<String>,
    /// The parameters the force scheduler declares (by the name a force
    /// sends them under); others would be dropped.
    pub declared: Vec<String>,
}

/// What `force` started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forced {
    pub buildsetid: u64,
    pub buildrequestid: u64,
}

/// How far a follow has read: the request, its latest build, and the lines
/// read of each log. Stored, it lets a follow go on where it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub buildrequestid: u64,
    /// The latest build seen (a retry starts a new one).
    pub buildid: Option<u64>,
    /// Lines read, by log id.
    pub logs: BTreeMap<u64, u64>,
}

impl Cursor {
    pub fn new(buildrequestid: u64) -> Cursor {
        Cursor { buildrequestid, ..Cursor::default() }
    }
}

/// One step of the build, as the master has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub number: u64,
    pub name: String,
    pub complete: bool,
    pub results: Option<i64>,
    /// The master's words ("'sh -c ...' (failure)").
    pub words: String,
}

/// What one poll found: the state, the latest build's steps, and the log
/// lines new since the last poll.
#[derive(Debug, Clone)]
pub struct Poll {
    pub status: RemoteStatus,
    pub steps: Vec<Step>,
    pub lines: Vec<RemoteLine>,
}

#[derive(Deserialize)]
struct Builder {
    builderid: u64,
    name: String,
}

#[derive(Deserialize)]
struct ForceScheduler {
    name: String,
    #[serde(default)]
    builder_names: Vec<String>,
    #[serde(default)]
    all_fields: Value,
}

/// The names of the fields a force scheduler declares, nested layouts
/// included (`fullName` is what a force sends them under).
fn field_names(fields: &Value, out: &mut Vec<String>) {
    match fields {
        Value::Array(list) => list.iter().for_each(|f| field_names(f, out)),
        Value::Object(field) => {
            if let Some(name) = field.get("fullName").or_else(|| field.get("name")).and_then(Value::as_str).filter(|n| !n.is_empty()) {
                out.push(name.to_owned());
            }
            if let Some(nested) = field.get("fields") {
                field_names(nested, out);
            }
        }
        _ => {}
    }
}

#[derive(Deserialize, Clone)]
struct Build {
    buildid: u64,
    builderid: u64,
    number: u64,
    complete: bool,
    results: Option<i64>,
    #[serde(default)]
    state_string: String,
}

#[derive(Deserialize)]
struct BuildRequest {
    complete: bool,
    results: Option<i64>,
}

#[derive(Deserialize)]
struct StepData {
    stepid: u64,
    number: u64,
    name: String,
    complete: bool,
    results: Option<i64>,
    #[serde(default)]
    state_string: String,
}

#[derive(Deserialize)]
struct Log {
    logid: u64,
    num_lines: u64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct LogChunk {
    content: String,
    firstline: u64,
}

impl Buildbot {
    /// Logs in to the master at `base_url` ("http://ci.example.com:8010")
    /// as `user`; the session cookie then goes with every request. The
    /// password is never in a message.
    pub async fn login(base_url: &str, user: &str, password: &str, cancel: &CancellationToken) -> Result<Buildbot, RemoteError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let host = url::Url::parse(&base)
            .ok()
            .and_then(|u| u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            }))
            .ok_or_else(|| RemoteError::new("The Buildbot address cannot be read. Set it to the master's web address, such as http://ci.example.com:8010."))?;
        let client = Client::builder().basic(user, password).session_cookies().mask(&[password]).build()?;
        let bb = Buildbot { client, base, host, user: user.to_owned() };
        match bb.client.get(&format!("{}/auth/login", bb.base)).follow_redirects(false).send(cancel).await {
            Ok(_) => Ok(bb),
            Err(e) if e.kind() == ErrorKind::Unauthorized => {
                Err(bb.error(&e, format!("Buildbot refused the password for {user} ({}). Check the password saved for this target.", bb.host)))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Err(bb.error(
                &e,
                format!("{} has no Buildbot login page (/auth/login). Check the address, and that the master's web UI (buildbot-www) has a login set up.", bb.host),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The master's web address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether `builder` exists, `scheduler` is a force scheduler that
    /// starts it, and the login may use it; starts nothing.
    pub async fn check(&self, builder: &str, scheduler: &str, cancel: &CancellationToken) -> Result<Checked, RemoteError> {
        let mut problems = Vec::new();
        let found: Vec<Builder> = self.list(&format!("builders?name={}", query(builder)), "builders", cancel).await?;
        let builderid = found.first().map(|b| b.builderid);
        if builderid.is_none() {
            let all: Vec<Builder> = self.list("builders", "builders", cancel).await?;
            problems.push(format!("Buildbot has no builder called “{builder}”; it has {}.", names(all.iter().map(|b| b.name.as_str()))));
        }
        let schedulers: Vec<ForceScheduler> = self.list("forceschedulers", "forceschedulers", cancel).await?;
        let mut declared = Vec::new();
        if let Some(s) = schedulers.iter().find(|s| s.name == scheduler) {
            field_names(&s.all_fields, &mut declared);
        }
        match schedulers.iter().find(|s| s.name == scheduler) {
            None => problems.push(format!("Buildbot has no force scheduler called “{scheduler}”; it has {}.", names(schedulers.iter().map(|s| s.name.as_str())))),
            Some(s) => {
                if builderid.is_some() && !s.builder_names.iter().any(|b| b == builder) {
                    problems.push(format!("The force scheduler “{scheduler}” cannot start “{builder}”; it starts {}.", names(s.builder_names.iter().map(String::as_str))));
                }
                // An unknown method passes the master's authz, then does nothing.
                let path = format!("forceschedulers/{}", segment(scheduler));
                if let Err(e) = self.control(&path, "liftoff-check", json!({}), "start builds", cancel).await {
                    if e.kind == Some(ErrorKind::Forbidden) || e.kind == Some(ErrorKind::Unauthorized) {
                        problems.push(e.message);
                    } else {
                        return Err(e);
                    }
                }
            }
        }
        Ok(Checked { builderid, problems, declared })
    }

    /// The id of the builder called `name`.
    pub async fn builder_id(&self, name: &str, cancel: &CancellationToken) -> Result<u64, RemoteError> {
        let found: Vec<Builder> = self.list(&format!("builders?name={}", query(name)), "builders", cancel).await?;
        found.first().map(|b| b.builderid).ok_or_else(|| RemoteError::new(format!("Buildbot has no builder called “{name}”.")))
    }

    /// Forces a build of `builderid` through the force scheduler
    /// `scheduler`, with `properties` (the scheduler's declared parameters).
    pub async fn force(
        &self,
        scheduler: &str,
        builderid: u64,
        reason: &str,
        owner: &str,
        properties: &BTreeMap<String, String>,
        cancel: &CancellationToken,
    ) -> Result<Forced, RemoteError> {
        let mut params = serde_json::Map::new();
        for (name, value) in properties {
            params.insert(name.clone(), Value::String(value.clone()));
        }
        params.insert("builderid".into(), json!(builderid));
        params.insert("reason".into(), json!(reason));
        params.insert("owner".into(), json!(owner));
        let path = format!("forceschedulers/{}", segment(scheduler));
        let result = self.control(&path, "force", Value::Object(params), "start builds", cancel).await?;
        let unreadable = || RemoteError::new(format!("Buildbot's answer to the force ({}) cannot be read: {result}.", self.host));
        let buildsetid = result.get(0).and_then(Value::as_u64).ok_or_else(unreadable)?;
        let requests = result.get(1).and_then(Value::as_object).ok_or_else(unreadable)?;
        let buildrequestid = requests.get(&builderid.to_string()).or_else(|| requests.values().next()).and_then(Value::as_u64).ok_or_else(unreadable)?;
        Ok(Forced { buildsetid, buildrequestid })
    }

    /// The request's state now, without reading logs.
    pub async fn status(&self, buildrequestid: u64, accept_warnings: bool, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let builds = self.builds(buildrequestid, cancel).await?;
        match builds.last() {
            Some(build) => {
                let failed_step = if verdict(build.complete, build.results, accept_warnings) == Verdict::Failed {
                    self.steps(build.buildid, cancel).await?.into_iter().find(|s| s.complete && matches!(s.results, Some(FAILURE | EXCEPTION))).map(|s| s.name)
                } else {
                    None
                };
                Ok(self.build_status(build, accept_warnings, failed_step))
            }
            None => self.request_status(buildrequestid, cancel).await,
        }
    }

    /// What happened since `cursor`: the state, the latest build's steps,
    /// and the log lines not read yet (header lines dropped); `cursor`
    /// moves past them.
    pub async fn poll(&self, cursor: &mut Cursor, accept_warnings: bool, cancel: &CancellationToken) -> Result<Poll, RemoteError> {
        let builds = self.builds(cursor.buildrequestid, cancel).await?;
        let Some(latest) = builds.last().cloned() else {
            let status = self.request_status(cursor.buildrequestid, cancel).await?;
            return Ok(Poll { status, steps: Vec::new(), lines: Vec::new() });
        };
        let mut lines = Vec::new();
        let mut steps = Vec::new();
        // The builds not finished reading: the one followed and any later
        // one (a retry).
        let followed = cursor.buildid;
        for build in builds.iter().filter(|b| followed.is_none_or(|id| b.buildid >= id)) {
            let data = self.step_data(build.buildid, cancel).await?;
            for step in &data {
                let logs: Vec<Log> = self.list(&format!("steps/{}/logs", step.stepid), "logs", cancel).await?;
                for log in logs.iter().filter(|l| l.kind == "s" || l.kind == "t") {
                    self.read_log(log, &step.name, cursor, &mut lines, cancel).await?;
                }
            }
            if build.buildid == latest.buildid {
                steps = data.into_iter().map(step).collect();
            }
        }
        cursor.buildid = Some(latest.buildid);
        let failed_step = match verdict(latest.complete, latest.results, accept_warnings) {
            Verdict::Failed => steps.iter().find(|s| s.complete && matches!(s.results, Some(FAILURE | EXCEPTION))).map(|s| s.name.clone()),
            _ => None,
        };
        Ok(Poll { status: self.build_status(&latest, accept_warnings, failed_step), steps, lines })
    }

    /// Cancels the request: cancelled while it waits, stopped once it
    /// runs; then waits up to `wait` for the master to say it ended, and
    /// returns its final state (cancelled, or how it ended first).
    pub async fn cancel(&self, buildrequestid: u64, reason: &str, wait: Duration, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let params = json!({ "reason": reason });
        let builds = self.builds(buildrequestid, cancel).await?;
        match builds.last() {
            None => {
                let asked = self.control(&format!("buildrequests/{buildrequestid}"), "cancel", params.clone(), "cancel builds", cancel).await;
                if let Err(e) = asked {
                    // Claimed meanwhile: stop its build instead.
                    let builds = self.builds(buildrequestid, cancel).await?;
                    let Some(build) = builds.last() else { return Err(e) };
                    if !build.complete {
                        self.control(&format!("builds/{}", build.buildid), "stop", params, "stop builds", cancel).await?;
                    }
                }
            }
            Some(build) if !build.complete => {
                self.control(&format!("builds/{}", build.buildid), "stop", params, "stop builds", cancel).await?;
            }
            Some(_) => {}
        }
        let started = Instant::now();
        loop {
            let status = self.status(buildrequestid, false, cancel).await?;
            if status.verdict.is_done() {
                return Ok(status);
            }
            if started.elapsed() >= wait {
                let at = status.url.map(|u| format!(" ({u})")).unwrap_or_default();
                return Err(RemoteError::new(format!(
                    "Buildbot has not confirmed the cancel after {} seconds; the build may still run{at}. Look at it on the master.",
                    wait.as_secs()
                )));
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = cancel.cancelled() => return Err(RemoteError { message: "Stopped before Buildbot confirmed the cancel.".into(), kind: Some(ErrorKind::Cancelled) }),
            }
        }
    }

    // --- Requests -------------------------------------------------------

    /// `GET /api/v2/{path}`, its `field` list.
    async fn list<T: DeserializeOwned>(&self, path: &str, field: &str, cancel: &CancellationToken) -> Result<Vec<T>, RemoteError> {
        let url = format!("{}/api/v2/{path}", self.base);
        let answer = self.client.get(&url).send(cancel).await.map_err(|e| self.named(e))?;
        let mut body: Value = answer.json().await?;
        let list = body.get_mut(field).map(Value::take).unwrap_or(Value::Array(Vec::new()));
        serde_json::from_value(list).map_err(|e| RemoteError::new(format!("Buildbot's list of {field} ({}) cannot be read: {e}.", self.host)))
    }

    /// A JSON-RPC `method` on the endpoint `path`; its result. `right`
    /// names what a 403 means the login may not do ("start builds").
    async fn control(&self, path: &str, method: &str, params: Value, right: &str, cancel: &CancellationToken) -> Result<Value, RemoteError> {
        let url = format!("{}/api/v2/{path}", self.base);
        let body = json!({ "jsonrpc": "2.0", "method": method, "id": 1, "params": params });
        let answer = match self.client.post(&url).json(&body).send(cancel).await {
            Ok(a) => a,
            Err(e) if e.kind() == ErrorKind::Forbidden => {
                let said = e.words().map(|w| format!(" (it says: {})", w.trim_end_matches('.'))).unwrap_or_default();
                return Err(self.error(&e, format!("Buildbot does not let {} {right} on {}{said}. Give {} a role the master's authz allows for it.", self.user, self.host, self.user)));
            }
            Err(e) => return Err(self.named(e)),
        };
        let mut answer: Value = answer.json().await?;
        if let Some(error) = answer.get("error") {
            let words = error.get("message").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| error.to_string());
            return Err(RemoteError::new(format!("Buildbot did not {method} on {} ({path}): {}.", self.host, words.trim_end_matches('.'))));
        }
        Ok(answer.get_mut("result").map(Value::take).unwrap_or(Value::Null))
    }

    /// The request's builds, oldest first.
    async fn builds(&self, buildrequestid: u64, cancel: &CancellationToken) -> Result<Vec<Build>, RemoteError> {
        let mut builds: Vec<Build> = self.list(&format!("builds?buildrequestid={buildrequestid}"), "builds", cancel).await?;
        builds.sort_by_key(|b| b.buildid);
        Ok(builds)
    }

    async fn step_data(&self, buildid: u64, cancel: &CancellationToken) -> Result<Vec<StepData>, RemoteError> {
        let mut steps: Vec<StepData> = self.list(&format!("builds/{buildid}/steps"), "steps", cancel).await?;
        steps.sort_by_key(|s| s.number);
        Ok(steps)
    }

    async fn steps(&self, buildid: u64, cancel: &CancellationToken) -> Result<Vec<Step>, RemoteError> {
        Ok(self.step_data(buildid, cancel).await?.into_iter().map(step).collect())
    }

    /// The lines of `log` past the cursor, pushed to `lines`.
    async fn read_log(&self, log: &Log, step: &str, cursor: &mut Cursor, lines: &mut Vec<RemoteLine>, cancel: &CancellationToken) -> Result<(), RemoteError> {
        loop {
            let read = cursor.logs.get(&log.logid).copied().unwrap_or(0);
            if read >= log.num_lines {
                return Ok(());
            }
            let limit = (log.num_lines - read).min(LOG_PAGE);
            let chunks: Vec<LogChunk> = self.list(&format!("logs/{}/contents?offset={read}&limit={limit}", log.logid), "logchunks", cancel).await?;
            let mut next = read;
            for chunk in &chunks {
                for (at, line) in (chunk.firstline..).zip(chunk.content.split_inclusive('\n')) {
                    if at >= next {
                        if let Some(line) = stdio_line(line.trim_end_matches('\n'), &log.kind, step) {
                            lines.push(line);
                        }
                        next = at + 1;
                    }
                }
            }
            if next == read {
                // Nothing new came back: stop here, ask again next poll.
                return Ok(());
            }
            cursor.logs.insert(log.logid, next);
        }
    }

    async fn request_status(&self, buildrequestid: u64, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let requests: Vec<BuildRequest> = self.list(&format!("buildrequests/{buildrequestid}"), "buildrequests", cancel).await?;
        let Some(request) = requests.first() else {
            return Err(RemoteError { message: format!("Buildbot ({}) has no build request {buildrequestid}.", self.host), kind: Some(ErrorKind::NotFound) });
        };
        let words = if request.complete {
            format!("request ended without a build ({})", results_words(request.results))
        } else {
            "waiting for a worker".to_owned()
        };
        Ok(RemoteStatus { verdict: verdict(request.complete, request.results, false), words, url: None, failed_step: None })
    }

    fn build_status(&self, build: &Build, accept_warnings: bool, failed_step: Option<String>) -> RemoteStatus {
        let mut verdict = verdict(build.complete, build.results, accept_warnings);
        let mut words = build.state_string.clone();
        if build.complete && build.results == Some(WARNINGS) && !accept_warnings {
            words = format!("{words} (warnings, which this target does not accept)");
            verdict = Verdict::Failed;
        }
        RemoteStatus { verdict, words, url: Some(format!("{}/#/builders/{}/builds/{}", self.base, build.builderid, build.number)), failed_step }
    }

    /// An HTTP failure named for a Buildbot user.
    fn named(&self, e: Error) -> RemoteError {
        match e.kind() {
            ErrorKind::Unauthorized => self.error(&e, format!("Buildbot ({}) no longer accepts the login of {} ({}). Log in again.", self.host, self.user, status(&e))),
            ErrorKind::Forbidden => self.error(&e, format!("Buildbot ({}) does not let {} see this ({}). Give {} a role that may.", self.host, self.user, status(&e), self.user)),
            _ => e.into(),
        }
    }

    fn error(&self, e: &Error, message: String) -> RemoteError {
        RemoteError { message, kind: Some(e.kind()) }
    }
}

fn status(e: &Error) -> String {
    e.status().map(|s| s.to_string()).unwrap_or_default()
}

fn step(s: StepData) -> Step {
    Step { number: s.number, name: s.name, complete: s.complete, results: s.results, words: s.state_string }
}

/// One line of a log: stdio lines by their prefix (`h` dropped), text logs
/// as stdout.
fn stdio_line(line: &str, kind: &str, step: &str) -> Option<RemoteLine> {
    let (stream, text) = if kind == "s" {
        let mut chars = line.chars();
        let stream = match chars.next() {
            Some('o') => Stream::Out,
            Some('e') => Stream::Err,
            _ => return None,
        };
        (stream, chars.as_str())
    } else {
        (Stream::Out, line)
    };
    Some(RemoteLine { step: step.to_owned(), stream, text: text.to_owned() })
}

/// "A, B and C", or "none".
fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.as_slice() {
        [] => "none".into(),
        [one] => (*one).into(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A query value, percent-encoded.
fn query(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A path segment, percent-encoded.
fn segment(value: &str) -> String {
    query(value).replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_into_verdicts() {
        assert_eq!(verdict(false, None, false), Verdict::Running);
        assert_eq!(verdict(true, Some(SUCCESS), false), Verdict::Succeeded);
        assert_eq!(verdict(true, Some(WARNINGS), false), Verdict::Failed);
        assert_eq!(verdict(true, Some(WARNINGS), true), Verdict::Succeeded);
        assert_eq!(verdict(true, Some(FAILURE), true), Verdict::Failed);
        assert_eq!(verdict(true, Some(SKIPPED), true), Verdict::Failed);
        assert_eq!(verdict(true, Some(EXCEPTION), true), Verdict::Failed);
        assert_eq!(verdict(true, Some(RETRY), false), Verdict::Running);
        assert_eq!(verdict(true, Some(CANCELLED), false), Verdict::Cancelled);
        assert_eq!(verdict(true, Some(42), true), Verdict::Failed);
        assert_eq!(verdict(true, None, true), Verdict::Failed);
        assert_eq!(Verdict::Cancelled.run_state(), Some(crate::deploy::RunState::Cancelled));
        assert_eq!(Verdict::Running.run_state(), None);
    }

    #[test]
    fn stdio_lines_keep_out_and_err_and_drop_headers() {
        assert_eq!(stdio_line("ohello", "s", "deploy").map(|l| (l.stream, l.text)), Some((Stream::Out, "hello".into())));
        assert_eq!(stdio_line("eboom", "s", "deploy").map(|l| (l.stream, l.text)), Some((Stream::Err, "boom".into())));
        assert_eq!(stdio_line("h HOME=/root", "s", "deploy"), None);
        assert_eq!(stdio_line("plain", "t", "deploy").map(|l| l.text), Some("plain".into()));
        assert_eq!(names(["a", "b", "c"].into_iter()), "a, b and c");
        assert_eq!(segment("deploy ok/x"), "deploy%20ok%2Fx");
    }
}
