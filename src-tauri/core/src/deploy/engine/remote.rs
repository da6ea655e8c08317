//! The deploy step on the team's CI/CD engine (GitHub Actions, GitLab CI,
//! Jenkins or Buildbot, through [`crate::deploy::remote::connection`]): the
//! engine's job is started, followed (its steps and log through the same
//! log writer, masker and live stream as a command's output) and cancelled
//! there; its verdict is the step's. The engine goes on when Liftoff dies:
//! the handle and the log cursor are stored as soon as the engine answers,
//! and [`reattach`] lets the next Liftoff process follow it from there.
//!
//! The HTTP calls have their own cancellation token: cancelling the run
//! must not abort the request that cancels the job on the engine.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{blocking, job_env, lock, reveal_credentials, Job, Runner};
use crate::deploy::lines::{LogLine, Lines, Stream};
use crate::deploy::remote::connection::{Connection, Cursor, Handle};
use crate::deploy::remote::{RemoteLine, RemoteStep, Verdict};
use crate::deploy::runs::{self, LogStream, RunState, StepState};
use crate::deploy::target::{self, RemoteTarget, TargetKind, TargetSettings};
use crate::deploy::DeployError;
use crate::environments::Environment;
use crate::http::ErrorKind;
use crate::secrets::{Keychain, SecretValue};
use crate::store::ChangeKind;
use crate::{clock, Store};

/// What the engine's deploy step needs: the target, the login's password
/// (from the keychain; masked in every line), and where to go on from
/// when another process started it.
pub(in crate::deploy) struct RemoteJob {
    pub(super) kind: TargetKind,
    pub(super) target: RemoteTarget,
    pub(super) password: SecretValue,
    /// The credential is an API token (Jenkins then needs no crumb).
    secret_is_token: bool,
    /// GitLab: the pipeline trigger token, when the target names one.
    pub(super) trigger: Option<SecretValue>,
    pub(super) resume: Option<Resume>,
    /// A rerun: the engine's handle of the run it runs again.
    pub(super) rerun_of: Option<Handle>,
}

/// A run followed again: the engine's handle and the log cursor stored.
pub(in crate::deploy) struct Resume {
    handle: Handle,
    cursor: Option<String>,
}

impl RemoteJob {
    /// The engine's part of a target (`None` for a local command), its
    /// password read from the keychain now.
    pub(super) fn of(store: &Store, keychain: &Keychain, env: &Environment, settings: &TargetSettings, now: DateTime<Utc>) -> Result<Option<RemoteJob>, DeployError> {
        let Some(engine) = settings.kind.engine() else { return Ok(None) };
        let target = settings.remote.clone().ok_or_else(|| DeployError::Refused(format!("The target has no {engine} settings; edit the target.")))?;
        let (password, secret_is_token) = reveal(store, keychain, env, &target.credential, now)?;
        let trigger = match target.trigger_credential.as_str() {
            "" => None,
            name => Some(reveal(store, keychain, env, name, now)?.0),
        };
        Ok(Some(RemoteJob { kind: settings.kind, target, password, secret_is_token, trigger, resume: None, rerun_of: None }))
    }
}

/// The credential's value, and whether it is an API token.
fn reveal(store: &Store, keychain: &Keychain, env: &Environment, name: &str, now: DateTime<Utc>) -> Result<(SecretValue, bool), DeployError> {
    let list = crate::credentials::list(store, &env.id)?;
    let (value, kind) = super::reveal_named(store, keychain, env, &list, name, now)?;
    Ok((value, kind == crate::credentials::CredentialKind::ApiToken))
}

/// Waits for `fut` unless `cancel` fires first.
async fn unless<T>(cancel: &CancellationToken, fut: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::select! {
        v = fut => Some(v),
        _ = cancel.cancelled() => None,
    }
}

/// What the step has announced of the engine's steps: started, ended.
#[derive(Default)]
struct Seen {
    started: Vec<String>,
    ended: Vec<String>,
}

impl Runner<'_, '_> {
    /// The deploy step on the engine: `None` when it succeeded (the run
    /// goes on to its smoke checks), else how the run ends.
    pub(super) async fn remote(&mut self, i: usize, rj: &RemoteJob, cancel: &CancellationToken) -> Option<(RunState, String)> {
        let engine = rj.kind.engine().unwrap_or("the engine");
        let t = &rj.target;
        if rj.resume.is_none() {
            self.begin_step(i).await;
        }
        // The timeout counts from the step's start, in whichever process.
        let started_at = self.steps[i].started_at.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc)).unwrap_or_else(Utc::now);
        let began = Instant::now();
        let timeout = Duration::from_secs(t.timeout_secs.max(1) as u64);
        let left = timeout.saturating_sub((Utc::now() - started_at).to_std().unwrap_or_default());
        let deadline = Instant::now() + left;
        let calls = CancellationToken::new();
        self.say(LogStream::Liftoff, &format!("▶ Deploy on {engine}: {}", t.describe(rj.kind)));

        let connecting = Connection::connect(rj.kind, t, rj.password.expose(), rj.secret_is_token, rj.trigger.as_ref().map(SecretValue::expose), &calls);
        let Some(connected) = unless(cancel, connecting).await else {
            return Some(self.remote_end(i, began, false, RunState::Cancelled, "Cancelled before the deploy was sent to the engine.".into()));
        };
        let mut conn = match connected {
            Ok(c) => c,
            Err(e) => {
                let message = match &rj.resume {
                    None => format!("The deploy could not start on {engine}: {}", self.masker.mask(&e.message)),
                    Some(_) => format!("Liftoff could not reach {engine} to follow the deploy again: {} It may still run there: look at it on {engine}.", self.masker.mask(&e.message)),
                };
                return Some(self.remote_end(i, began, false, RunState::Failed, message));
            }
        };

        let (handle, mut cursor) = match &rj.resume {
            Some(resume) => {
                let cursor = resume.handle.cursor_from(resume.cursor.as_deref());
                self.say(LogStream::Liftoff, &format!("Following {} on {engine} again from where its log was read.", resume.handle.describe()));
                (resume.handle.clone(), cursor)
            }
            None => match self.trigger(&conn, rj, engine, cancel, &calls).await {
                Ok(Some(x)) => x,
                Ok(None) => return Some(self.remote_end(i, began, false, RunState::Cancelled, "Cancelled before the deploy was sent to the engine.".into())),
                Err(message) => return Some(self.remote_end(i, began, false, RunState::Failed, message)),
            },
        };

        let mut seen = Seen::default();
        let mut saved = cursor.to_json();
        let mut words = String::new();
        let mut url: Option<String> = None;
        let mut failing: Option<String> = None;
        let mut logged_in_again = false;
        loop {
            if cancel.is_cancelled() {
                let (state, message) = self.cancel_on_engine(&conn, &handle, &cursor, engine, "Cancelled from Liftoff", &calls).await;
                return Some(self.remote_end(i, began, false, state, message));
            }
            if Instant::now() >= deadline {
                let why = format!("Timed out after {} in Liftoff", target_duration(timeout));
                let (_, note) = self.cancel_on_engine(&conn, &handle, &cursor, engine, &why, &calls).await;
                return Some(self.remote_end(i, began, false, RunState::TimedOut, format!("The deploy on {engine} timed out after {}. {note}", target_duration(timeout))));
            }
            match conn.poll(&mut cursor, t.accept_warnings, &calls).await {
                Ok(poll) => {
                    if let Some(problem) = failing.take() {
                        self.say(LogStream::Liftoff, &crate::rules::sentence(&format!("{engine} answers again (it had failed: {problem}).")));
                    }
                    if poll.status.url.is_some() && poll.status.url != url {
                        url = poll.status.url.clone();
                        self.say(LogStream::Liftoff, &format!("On {engine}: {}", url.as_deref().unwrap_or_default()));
                    }
                    self.remote_steps_started(&poll.steps, &mut seen, engine);
                    let lines = self.clean_lines(&poll.lines);
                    let now_at = cursor.to_json();
                    let status_words = match &poll.approval {
                        // Shown on the run as the engine's state: a lead sees who may let it go on.
                        Some(a) => format!(
                            "waiting for approval on {engine} ({}; {}{})",
                            a.environment,
                            if a.reviewers.is_empty() { "its reviewers".to_owned() } else { format!("reviewers: {}", a.reviewers.join(", ")) },
                            if a.can_approve { "; Liftoff's login may approve it there" } else { "" }
                        ),
                        None => poll.status.words.clone(),
                    };
                    if poll.approval.is_some() && status_words != words {
                        self.say(LogStream::Liftoff, &format!("… The deploy is {status_words}."));
                    }
                    let changed = !lines.is_empty() || status_words != words || now_at != saved;
                    if status_words != words {
                        words = status_words.clone();
                        self.steps[i].detail = if poll.approval.is_some() { words.clone() } else { format!("on {engine}: {words}") };
                        self.step_event(i);
                    }
                    if changed {
                        self.save_remote(&handle, url.as_deref(), &words, &now_at, lines).await;
                        saved = now_at;
                    }
                    self.remote_steps_ended(&poll.steps, &mut seen, engine);
                    let at = url.as_deref().map(|u| format!(" See {u}.")).unwrap_or_default();
                    match poll.status.verdict {
                        Verdict::Running => {}
                        Verdict::Succeeded => {
                            self.remote_end(i, began, true, RunState::Succeeded, crate::rules::sentence(&format!("{engine}: {words}")));
                            return None;
                        }
                        Verdict::Cancelled => {
                            let message = format!("The deploy was cancelled on {engine} ({words}); the run ended there.{at}");
                            return Some(self.remote_end(i, began, false, RunState::Cancelled, message));
                        }
                        Verdict::TimedOut => {
                            let message = format!("The deploy timed out on {engine} ({words}).{at}");
                            return Some(self.remote_end(i, began, false, RunState::TimedOut, message));
                        }
                        Verdict::Failed => {
                            let step = poll.status.failed_step.map(|s| format!(" in its step “{s}”")).unwrap_or_default();
                            let message = format!("The deploy failed on {engine}{step}: {words}.{at}");
                            return Some(self.remote_end(i, began, false, RunState::Failed, message));
                        }
                    }
                }
                Err(e) if e.kind == Some(ErrorKind::Unauthorized) && !logged_in_again => {
                    // The session ended (the master restarted): log in once more.
                    logged_in_again = true;
                    if let Ok(again) = Connection::connect(rj.kind, t, rj.password.expose(), rj.secret_is_token, rj.trigger.as_ref().map(SecretValue::expose), &calls).await {
                        conn = again;
                        continue;
                    }
                }
                Err(e) => {
                    // The engine goes on without us: keep asking until the
                    // timeout, saying once that it does not answer.
                    let message = self.masker.mask(&e.message).into_owned();
                    if failing.is_none() {
                        self.say(
                            LogStream::Liftoff,
                            &crate::rules::sentence(&format!("{engine} did not answer how the deploy goes: {message} Liftoff keeps asking every {} s until the timeout.", self.timing.remote_poll.as_secs().max(1))),
                        );
                    }
                    failing = Some(message);
                }
            }
            self.flush().await;
            tokio::select! {
                _ = tokio::time::sleep(self.timing.remote_poll) => {}
                _ = cancel.cancelled() => {}
            }
        }
    }

    /// Starts the engine's job and stores its handle at once: `None` when
    /// the run was cancelled before, an error message when the engine
    /// refused. A trigger that may have gone through is never sent twice
    /// blindly (the clients look for the job by Liftoff's run id first).
    async fn trigger(&mut self, conn: &Connection, rj: &RemoteJob, engine: &str, cancel: &CancellationToken, calls: &CancellationToken) -> Result<Option<(Handle, Cursor)>, String> {
        let t = &rj.target;
        let vars = self.job.env.clone();
        let inputs: BTreeMap<String, String> = t.inputs.iter().map(|v| (v.name.clone(), target::expand_input(&v.value, &vars))).collect();
        let run = &self.job.run;
        let reason = format!("Deploy {} to {} from Liftoff (run {})", run.version, run.environment_name, run.id);
        if cancel.is_cancelled() {
            return Ok(None);
        }
        // Not cancellable once sent: the job may start either way, and the
        // answer is the only way to know its handle.
        let started = match &rj.rerun_of {
            Some(old) => conn.rerun(old, t, &run.id, &inputs, &vars, &reason, &run.started_by, calls).await,
            None => conn.trigger(t, &run.id, &inputs, &vars, &reason, &run.started_by, calls).await,
        };
        let handle = started.map_err(|e| {
            let maybe = if matches!(e.kind, Some(ErrorKind::Network | ErrorKind::Timeout)) {
                format!(" The job may have started: look for it on {engine} (it names run {}) before deploying again.", run.id)
            } else {
                String::new()
            };
            crate::rules::sentence(&format!("{engine} did not take the deploy: {}{maybe}", self.masker.mask(&e.message)))
        })?;
        let cursor = handle.start();
        let (store, id) = (self.store.clone(), run.id.clone());
        let (handle_json, cursor_json) = (serde_json::to_string(&handle).expect("handle serializes"), cursor.to_json());
        let words = "started".to_owned();
        let saved = blocking(move || store.write(|tx| runs::set_remote_in(tx, &id, &handle_json, None, &words, &cursor_json))).await;
        if let Err(e) = saved {
            // Followed anyway; only following again after a crash needs it.
            log::warn!("the engine's handle for run {} was not saved: {e}", run.id);
        }
        self.say(LogStream::Liftoff, &crate::rules::sentence(&format!("{engine} took the deploy: {}.", handle.describe())));
        Ok(Some((handle, cursor)))
    }

    /// Cancels the job on the engine and waits for it to confirm: the
    /// run's end and the words for it.
    async fn cancel_on_engine(&mut self, conn: &Connection, handle: &Handle, cursor: &Cursor, engine: &str, why: &str, calls: &CancellationToken) -> (RunState, String) {
        self.say(LogStream::Liftoff, &format!("Cancelling the deploy on {engine} ({why}); waiting for it to confirm…"));
        self.flush().await;
        match conn.cancel(handle, cursor, why, calls).await {
            Ok(status) if status.verdict == Verdict::Cancelled => (RunState::Cancelled, format!("Cancelled on {engine}; it confirmed ({}).", status.words)),
            Ok(status) => (
                RunState::Cancelled,
                format!("The build had already ended on {engine} ({}) when the cancel reached it; the run stops here, without its smoke checks.", status.words),
            ),
            Err(e) => (RunState::Cancelled, format!("Asked {engine} to cancel, but it did not confirm: {} Look at the build on the master.", self.masker.mask(&e.message))),
        }
    }

    /// Ends the deploy step: its record, a log line, the log flushed.
    fn remote_end(&mut self, i: usize, began: Instant, ok: bool, state: RunState, message: String) -> (RunState, String) {
        let elapsed = began.elapsed();
        self.say(LogStream::Liftoff, &format!("{} Deploy: {message} ({:.1} s)", if ok { "✔" } else { "✖" }, elapsed.as_secs_f64()));
        self.end_step(i, ok, message.clone(), elapsed);
        (state, message)
    }

    /// Stores the engine's progress: the new log lines and the cursor past
    /// them in one write (a process that follows again later reads neither
    /// twice nor loses one), with the steps, the page and the words.
    async fn save_remote(&mut self, handle: &Handle, url: Option<&str>, words: &str, cursor: &str, lines: Vec<LogLine>) {
        let batch = {
            let mut w = lock(&self.log);
            let mut streamed = Vec::with_capacity(lines.len());
            for l in lines {
                let stream = match l.stream {
                    Stream::Out => LogStream::Out,
                    Stream::Err => LogStream::Err,
                };
                let seq = w.push(stream, l.text.clone());
                streamed.push(runs::LogLine { seq: seq as i32, stream, text: l.text });
            }
            if !streamed.is_empty() {
                (self.sink)(super::RunEvent::Lines { run_id: self.job.run.id.clone(), lines: streamed });
            }
            w.take()
        };
        let (store, id) = (self.store.clone(), self.job.run.id.clone());
        let (url, words, cursor) = (url.map(str::to_owned), words.to_owned(), cursor.to_owned());
        let (url_out, words_out) = (url.clone(), words.clone());
        let steps = serde_json::to_string(&self.steps).expect("steps serialize");
        let checks = serde_json::to_string(&self.checks).expect("checks serialize");
        let project = self.job.run.project_id.clone();
        let (batch, r) = blocking(move || {
            // Reported (at most once a poll): a window that did not start
            // the run, or follows it again, reads the new lines.
            let r = store.write(|tx| {
                batch.write_in(tx)?;
                runs::save_progress_in(tx, &id, &steps, &checks)?;
                runs::save_remote_in(tx, &id, url.as_deref(), &words, &cursor)?;
                tx.changed(ChangeKind::Deploy, Some(&project), Some(&id));
                Ok::<_, DeployError>(())
            });
            (batch, r)
        })
        .await;
        if let Err(e) = &r {
            log::warn!("the engine's progress for run {} was not saved yet: {e}", self.job.run.id);
        }
        lock(&self.log).settle(batch, &r);
        (self.sink)(super::RunEvent::Remote {
            run_id: self.job.run.id.clone(),
            remote_ref: serde_json::to_string(handle).expect("handle serializes"),
            remote_url: url_out,
            remote_status: words_out,
        });
    }

    /// The engine's log lines, cleaned and masked like a command's output.
    fn clean_lines(&self, lines: &[RemoteLine]) -> Vec<LogLine> {
        let mut cleaned = Vec::new();
        if lines.is_empty() {
            return cleaned;
        }
        let mut feed = Lines::new(&self.masker, |batch| cleaned.extend(batch));
        for l in lines {
            feed.feed(l.stream, l.text.as_bytes());
            feed.feed(l.stream, b"\n");
        }
        feed.finish();
        drop(feed);
        cleaned
    }

    fn remote_steps_started(&mut self, steps: &[RemoteStep], seen: &mut Seen, engine: &str) {
        for s in steps {
            if !seen.started.contains(&s.name) {
                seen.started.push(s.name.clone());
                self.say(LogStream::Liftoff, &format!("▶ {engine} step “{}”", s.name));
            }
        }
    }

    fn remote_steps_ended(&mut self, steps: &[RemoteStep], seen: &mut Seen, engine: &str) {
        for s in steps.iter().filter(|s| s.verdict != Verdict::Running) {
            if !seen.ended.contains(&s.name) {
                seen.ended.push(s.name.clone());
                let mark = if s.verdict == Verdict::Succeeded { "✔" } else { "✖" };
                self.say(LogStream::Liftoff, &format!("{mark} {engine} step “{}”: {}", s.name, s.words));
            }
        }
    }
}

fn target_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// What Check target found: one sentence per problem (none: it can
/// deploy). Starts nothing on the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TargetCheck {
    pub problems: Vec<String>,
    /// What was checked, when all is well.
    pub summary: String,
}

/// Checks the environment's target as given (saved or not): the engine's
/// address, the login with the credential from the keychain, the job, the
/// parameters it declares and the right to start it. Starts nothing. A
/// local command target is checked by preflight.
pub async fn check_target(store: Arc<Store>, keychain: Keychain, environment_id: &str, settings: &TargetSettings) -> Result<TargetCheck, DeployError> {
    let clean = target::validate(settings)?;
    let Some(engine) = clean.kind.engine() else {
        return Ok(TargetCheck { problems: Vec::new(), summary: "A local command target is checked by the Deploy dialog's preflight.".into() });
    };
    let t = clean.remote.clone().expect("a validated engine target has its settings");
    let (s, k, env_id, name, trigger_name) = (store.clone(), keychain.clone(), environment_id.to_owned(), t.credential.clone(), t.trigger_credential.clone());
    type Secrets = (SecretValue, bool, Option<SecretValue>);
    let secrets = blocking(move || -> Result<Result<Secrets, String>, DeployError> {
        let env = crate::environments::get_in(&*s.reader()?, &env_id)?.ok_or(DeployError::EnvironmentNotFound)?;
        let read = || -> Result<Secrets, DeployError> {
            let (password, token) = reveal(&s, &k, &env, &name, Utc::now())?;
            let trigger = if trigger_name.is_empty() { None } else { Some(reveal(&s, &k, &env, &trigger_name, Utc::now())?.0) };
            Ok((password, token, trigger))
        };
        Ok(read().map_err(|e| e.to_string()))
    })
    .await?;
    let (password, token, trigger) = match secrets {
        Ok(p) => p,
        Err(message) => return Ok(TargetCheck { problems: vec![message], summary: String::new() }),
    };
    let calls = CancellationToken::new();
    let conn = match Connection::connect(clean.kind, &t, password.expose(), token, trigger.as_ref().map(SecretValue::expose), &calls).await {
        Ok(c) => c,
        Err(e) => return Ok(TargetCheck { problems: vec![e.message], summary: String::new() }),
    };
    let inputs: Vec<&str> = t.inputs.iter().map(|v| v.name.as_str()).collect();
    let mut problems = match conn.check(&t, &inputs, &calls).await {
        Ok(p) => p,
        Err(e) => vec![e.message],
    };
    // GitLab's own freeze periods, in step with Liftoff's freezes or not.
    let mut freezes = String::new();
    if let (Connection::Gitlab(gl), true) = (&conn, problems.is_empty()) {
        match crate::deploy::freeze_sync::check(&store, gl, environment_id, &clean, Utc::now(), &calls).await {
            Ok(words) => freezes = words,
            Err(problem) => problems.push(problem),
        }
    }
    let summary = if problems.is_empty() {
        let said = crate::rules::sentence(&format!("{engine} accepts the login, and Liftoff may start {} with the parameters it sends.", t.describe(clean.kind)));
        if freezes.is_empty() { said } else { format!("{said} {freezes}") }
    } else {
        String::new()
    };
    Ok(TargetCheck { problems, summary })
}

/// Follows again a run whose Liftoff process died while its engine
/// deployed (see [`runs::detached`]): this process becomes its owner in one
/// write (`None` when another took it first), keeps its lock, and the job
/// returned goes on from the stored handle and log cursor.
/// Runs whose Liftoff process closed (or was killed) while their CI/CD
/// engine deployed, taken over by this process (each in one write, see
/// [`reattach`]), with a sentence for each (taken over, or why not). `only`
/// limits it to one run. Both the window (at start) and `liftoff follow`
/// call it.
pub fn take_over_detached(store: &Store, keychain: &Keychain, now: DateTime<Utc>, only: Option<&str>) -> (Vec<Job>, Vec<String>) {
    let found = match runs::detached(store) {
        Ok(found) => found,
        Err(e) => return (Vec::new(), vec![format!("Liftoff could not look for deploys that went on on a CI/CD engine while no Liftoff followed them: {e}")]),
    };
    let (mut jobs, mut notes) = (Vec::new(), Vec::new());
    for run in found.into_iter().filter(|r| only.is_none_or(|id| r.id == id)) {
        match reattach(store, keychain, &run.id, now) {
            Ok(Some(job)) => {
                notes.push(format!(
                    "The deploy of {} to {} (run {}) went on on its CI/CD engine while no Liftoff process followed it; Liftoff follows it again.",
                    run.version, run.environment_name, run.id
                ));
                jobs.push(job);
            }
            Ok(None) => {}
            Err(e) => notes.push(format!(
                "The deploy of {} to {} (run {}) goes on on its CI/CD engine, but Liftoff cannot follow it again: {e} {} stays locked until a Liftoff process can (open the window, or run `liftoff follow`).",
                run.version, run.environment_name, run.id, run.environment_name
            )),
        }
    }
    (jobs, notes)
}

pub fn reattach(store: &Store, keychain: &Keychain, run_id: &str, now: DateTime<Utc>) -> Result<Option<Job>, DeployError> {
    let run = runs::get(store, run_id)?;
    if !run.awaits_engine() {
        return Ok(None);
    }
    let conn = store.reader()?;
    let env = crate::environments::get_in(&conn, &run.environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
    let project = crate::projects::find_in(&conn, &run.project_id)?.ok_or(DeployError::EnvironmentNotFound)?;
    let release = match &run.release_id {
        Some(id) => crate::release::get_in(&conn, id)?,
        None => None,
    };
    let cursor = runs::log_cursor_in(&conn, &run.id)?;
    // The release this run takes off the environment, as at its start: a
    // rollback's, or a newer one an older version is deployed over.
    let replaces_release = match runs::current_in(&conn, &run.environment_id)? {
        Some(current) if env.protected || run.kind != runs::RunKind::Deploy => current
            .release_id
            .filter(|r| Some(r) != run.release_id.as_ref())
            .filter(|_| run.kind != runs::RunKind::Deploy || super::version_older(&run.version, &current.version)),
        _ => None,
    };
    drop(conn);
    let target = target::get(store, &run.environment_id)?.ok_or_else(|| DeployError::NoTarget(env.name.clone()))?;
    let handle: Handle = run
        .remote_ref
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .ok_or_else(|| DeployError::Refused(format!("Run {} has an engine handle Liftoff cannot read; look at it on the engine.", run.id)))?;
    let Some(mut remote) = RemoteJob::of(store, keychain, &env, &target.settings, now)? else {
        return Err(DeployError::Refused(format!("{}'s target is no longer a CI/CD engine; run {} cannot be followed again.", env.name, run.id)));
    };
    remote.resume = Some(Resume { handle, cursor });
    let (secrets, smoke_auth) = reveal_credentials(store, keychain, &env, &target.settings, now)?;
    let working_dir = target::working_dir(&target.settings, &project.repository).map_err(DeployError::Refused)?;
    let slot = match (&run.slot, &target.settings.blue_green) {
        (Some(s), Some(bg)) => Some((s.clone(), if s == "blue" { bg.blue_url.clone() } else { bg.green_url.clone() })),
        _ => None,
    };
    let base_url = slot.as_ref().map(|(_, u)| u.clone()).unwrap_or_else(|| env.url.clone());
    let release_label = release.as_ref().map(|r| if r.name.is_empty() { r.version.clone() } else { r.name.clone() }).unwrap_or_default();
    let env_vars = job_env(
        [&run.version, &env.name, &project.name, &release_label, &run.id, run.previous_version.as_deref().unwrap_or_default(), &run.build_ref],
        slot.as_ref(),
        &target.settings,
    );
    // Taken in one write: two processes starting at once follow it once.
    let owner = store.owner_token();
    let Some(run) = store.write(|tx| runs::adopt_in(tx, &run.id, &owner))? else { return Ok(None) };
    let mut steps_run = run.clone();
    for s in steps_run.steps.iter_mut().filter(|s| s.name == runs::REMOTE_STEP && s.state == StepState::Pending) {
        s.state = StepState::Running;
        s.started_at.get_or_insert_with(|| clock::to_text(now));
    }
    Ok(Some(Job {
        run: steps_run,
        settings: target.settings,
        working_dir,
        env: env_vars,
        secrets,
        smoke_auth,
        protected: env.protected,
        replaces_release,
        slot,
        switch_only: false,
        base_url,
        remote: Some(remote),
    }))
}

/// Approves (or rejects) what a running deploy waits for on its engine, as
/// `actor`, with `comment`; recorded in the audit log once the engine
/// took it. The engine decides who may: its refusal comes back in words.
#[allow(clippy::too_many_arguments)]
pub async fn answer_approval(
    store: Arc<Store>,
    keychain: Keychain,
    run_id: &str,
    approve: bool,
    comment: &str,
    actor: &crate::audit::Actor,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let refused = |m: String| DeployError::Refused(m);
    let (s, k, id) = (store.clone(), keychain.clone(), run_id.to_owned());
    // The run first: a run that ended needs no keychain read.
    let (run, remote, cursor) = blocking(move || -> Result<_, DeployError> {
        let run = runs::get(&s, &id)?;
        if run.state != RunState::Running {
            return Err(refused(format!("Run {} has ended ({}); there is nothing to approve.", run.id, run.state.label())));
        }
        let conn = s.reader()?;
        let env = crate::environments::get_in(&conn, &run.environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
        let cursor = runs::log_cursor_in(&conn, &run.id)?;
        drop(conn);
        let target = target::get(&s, &run.environment_id)?.ok_or_else(|| DeployError::NoTarget(env.name.clone()))?;
        let remote = RemoteJob::of(&s, &k, &env, &target.settings, Utc::now())?;
        Ok((run, remote, cursor))
    })
    .await?;
    let Some(rj) = remote else { return Err(refused(format!("Run {} runs on this computer, not on a CI/CD engine.", run.id))) };
    let handle: Handle = run.remote_ref.as_deref().and_then(|r| serde_json::from_str(r).ok()).ok_or_else(|| refused(format!("Run {} has not reached its engine yet.", run.id)))?;
    let cursor = handle.cursor_from(cursor.as_deref());
    let engine = rj.kind.engine().unwrap_or("the engine");
    let calls = CancellationToken::new();
    let conn = Connection::connect(rj.kind, &rj.target, rj.password.expose(), rj.secret_is_token, rj.trigger.as_ref().map(SecretValue::expose), &calls)
        .await
        .map_err(|e| refused(e.message))?;
    conn.approve(&handle, &cursor, approve, comment, &calls).await.map_err(|e| refused(e.message))?;
    let verb = if approve { "Approved" } else { "Rejected" };
    let summary = format!("{verb} on {engine} the deploy of {} to {} (run {})", run.version, run.environment_name, run.id);
    let action = if approve { "deploy.approved" } else { "deploy.rejected" };
    let (s, actor, comment) = (store.clone(), actor.clone(), comment.to_owned());
    blocking(move || {
        s.write(|tx| {
            let at = clock::to_text(now);
            // The run is the audit entry's item, so that the maturity review
            // finds the deploys a person had to approve by hand.
            let change = crate::audit::Change { project_id: &run.project_id, release_id: run.release_id.as_deref(), item_id: Some(&run.id), category: crate::audit::AuditCategory::Deploy, action, summary, reason: &comment };
            crate::audit::record(tx, &actor, &at, change)?;
            tx.changed(ChangeKind::Deploy, Some(&run.project_id), Some(&run.id));
            Ok::<_, DeployError>(())
        })
    })
    .await
}

/// Runs a failed engine run again as a new Liftoff run: the same
/// environment, release, version and build, preflight again, the engine
/// asked to rerun what failed (see [`Connection::rerun`]).
pub fn start_rerun(store: &Store, keychain: &Keychain, run_id: &str, actor: &crate::audit::Actor, now: DateTime<Utc>, today: chrono::NaiveDate) -> Result<Job, DeployError> {
    let old = runs::get(store, run_id)?;
    let refused = |m: String| DeployError::Refused(m);
    if !matches!(old.state, RunState::Failed | RunState::TimedOut | RunState::Cancelled | RunState::Interrupted) {
        return Err(refused(format!("Run {} {}; only a run that did not deploy can be run again.", old.id, if old.state == RunState::Running { "is still running".to_owned() } else { format!("ended {}", old.state.label()) })));
    }
    let handle: Handle = old.remote_ref.as_deref().and_then(|r| serde_json::from_str(r).ok()).ok_or_else(|| refused(format!("Run {} never reached a CI/CD engine: deploy again instead.", old.id)))?;
    let engine_target = target::get(store, &old.environment_id)?.is_some_and(|t| t.settings.kind.engine().is_some());
    if !engine_target {
        return Err(refused("The environment's target is no longer a CI/CD engine: deploy again instead.".into()));
    }
    let req = crate::deploy::DeployRequest {
        environment_id: old.environment_id.clone(),
        release_id: old.release_id.clone(),
        version: old.version.clone(),
        build_ref: old.build_ref.clone(),
        decisions: Vec::new(),
        accept_warnings: true,
    };
    let mut job = super::start(store, keychain, &req, actor, now, today)?;
    if let Some(remote) = job.remote.as_mut() {
        remote.rerun_of = Some(handle);
    }
    Ok(job)
}
