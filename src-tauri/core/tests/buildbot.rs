//! The Buildbot client against a real Buildbot master (4.3.0, with a
//! `LocalWorker`) on loopback: login, check, force, follow with the log,
//! cancel both ways, errors without the password. Each test starts its own
//! master (tests/support/buildbot/master.cfg), one at a time, in a
//! temporary folder, from the tests' Python environment (`LIFTOFF_TEST_PYTHON`, else
//! scripts/pyenv.sh; see tests/support/python.rs). Without Python or
//! Buildbot the tests fail: they never skip.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use liftoff_core::deploy::lines::Stream;
use liftoff_core::deploy::remote::buildbot::{Buildbot, Cursor, Step, CANCELLED};
use liftoff_core::deploy::remote::{RemoteLine, RemoteStatus, Verdict};
use liftoff_core::http::Client;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

#[path = "support/python.rs"]
mod support_python;
#[path = "support/buildbot_master.rs"]
mod support_buildbot;
use support_buildbot::{master, Master, ENV_CANARY, PASSWORD, USER};

fn never() -> CancellationToken {
    CancellationToken::new()
}

async fn login(master: &Master) -> Buildbot {
    Buildbot::login(&master.base, USER, PASSWORD, &never()).await.unwrap()
}

/// Forces a build of `builder` through its scheduler of the same name.
async fn force(bb: &Buildbot, builder: &str) -> u64 {
    let checked = bb.check(builder, builder, &never()).await.unwrap();
    assert_eq!(checked.problems, Vec::<String>::new());
    let properties = BTreeMap::from([("version".to_owned(), "1.4.2".to_owned()), ("liftoff_run_id".to_owned(), "run-77".to_owned())]);
    let forced = bb.force(builder, checked.builderid.unwrap(), "Deploy 1.4.2 from Liftoff", "Zoë", &properties, &never()).await.unwrap();
    forced.buildrequestid
}

/// Polls until the master says the build ended: its status, every line,
/// the last steps.
async fn follow(bb: &Buildbot, cursor: &mut Cursor) -> (RemoteStatus, Vec<RemoteLine>, Vec<Step>) {
    let started = Instant::now();
    let mut lines = Vec::new();
    loop {
        let poll = bb.poll(cursor, false, &never()).await.unwrap();
        lines.extend(poll.lines);
        if poll.status.verdict.is_done() {
            return (poll.status, lines, poll.steps);
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the build did not end: {:?}", poll.status);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Polls until a line of the build's output says `text`.
async fn until_line(bb: &Buildbot, cursor: &mut Cursor, text: &str) -> Vec<RemoteLine> {
    let started = Instant::now();
    let mut lines = Vec::new();
    loop {
        let poll = bb.poll(cursor, false, &never()).await.unwrap();
        lines.extend(poll.lines);
        if lines.iter().any(|l| l.text == text) {
            return lines;
        }
        assert!(!poll.status.verdict.is_done(), "the build ended before printing {text:?}: {:?}", poll.status);
        assert!(started.elapsed() < Duration::from_secs(120), "no line {text:?} came");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A master running deploy-slow, followed until it prints: the master,
/// the login, the request and the cursor.
async fn slow_build_running() -> (Master, Buildbot, u64, Cursor) {
    let master = master().await;
    let bb = login(&master).await;
    let buildrequestid = force(&bb, "deploy-slow").await;
    let mut cursor = Cursor::new(buildrequestid);
    until_line(&bb, &mut cursor, "step 1").await;
    (master, bb, buildrequestid, cursor)
}

/// The request's build as the master has it, read directly.
async fn build_on_master(master: &Master, buildrequestid: u64) -> Value {
    let client = Client::builder().build().unwrap();
    let body: Value = client.get(&format!("{}/api/v2/builds?buildrequestid={buildrequestid}", master.base)).send(&never()).await.unwrap().json().await.unwrap();
    body["builds"][0].clone()
}

fn texts(lines: &[RemoteLine], stream: Stream) -> Vec<&str> {
    lines.iter().filter(|l| l.stream == stream).map(|l| l.text.as_str()).collect()
}

fn assert_no_secrets(lines: &[RemoteLine]) {
    for line in lines {
        for secret in [PASSWORD, ENV_CANARY, "LIFTOFF_BB_PORT", "environment:", "argv:"] {
            assert!(!line.text.contains(secret), "a header line or the environment leaked into the log: {line:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_build_is_followed_with_its_log_lines_only_once() {
    let master = master().await;
    let bb = login(&master).await;
    let buildrequestid = force(&bb, "deploy-ok").await;
    let mut cursor = Cursor::new(buildrequestid);
    let (status, lines, steps) = follow(&bb, &mut cursor).await;
    assert_eq!(status.verdict, Verdict::Succeeded, "{status:?}");
    assert_eq!(status.words, "build successful");
    assert!(status.url.as_deref().is_some_and(|u| u.starts_with(&master.base) && u.contains("/builds/")), "{status:?}");
    assert_eq!(texts(&lines, Stream::Out), ["Deploying 1.4.2 (run run-77)", "Deployed 1.4.2"], "{lines:?}");
    assert!(texts(&lines, Stream::Err).is_empty(), "{lines:?}");
    assert!(lines.iter().all(|l| l.step == "deploy"), "{lines:?}");
    assert_no_secrets(&lines);
    assert!(steps.iter().any(|s| s.name == "deploy" && s.complete), "{steps:?}");
    // Read once: a later poll brings nothing again.
    let again = bb.poll(&mut cursor, false, &never()).await.unwrap();
    assert!(again.lines.is_empty(), "{:?}", again.lines);
    // A cursor stored and read back goes on where it stopped.
    let stored: Cursor = serde_json::from_str(&serde_json::to_string(&cursor).unwrap()).unwrap();
    assert_eq!(stored, cursor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_build_names_its_step_and_keeps_stderr() {
    let master = master().await;
    let bb = login(&master).await;
    let buildrequestid = force(&bb, "deploy-fail").await;
    let (status, lines, _) = follow(&bb, &mut Cursor::new(buildrequestid)).await;
    assert_eq!(status.verdict, Verdict::Failed, "{status:?}");
    assert_eq!(status.failed_step.as_deref(), Some("deploy"), "{status:?}");
    assert!(status.words.contains("failed"), "{status:?}");
    assert_eq!(texts(&lines, Stream::Out), ["Deploying 1.4.2"]);
    assert_eq!(texts(&lines, Stream::Err), ["migration failed"]);
    assert_no_secrets(&lines);
    assert_eq!(build_on_master(&master, buildrequestid).await["results"], json!(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_liftoff_ends_cancelled_on_the_master_running_or_waiting() {
    let (master, bb, running, mut cursor) = slow_build_running().await;
    // The builder is busy: a second request waits for it.
    let waiting = force(&bb, "deploy-slow").await;
    let status = bb.cancel(waiting, "Cancelled from Liftoff", Duration::from_secs(60), &never()).await.unwrap();
    assert_eq!(status.verdict, Verdict::Cancelled, "{status:?}");
    assert!(build_on_master(&master, waiting).await.is_null(), "the waiting request never built");

    let status = bb.cancel(running, "Cancelled from Liftoff", Duration::from_secs(60), &never()).await.unwrap();
    assert_eq!(status.verdict, Verdict::Cancelled, "{status:?}");
    let build = build_on_master(&master, running).await;
    assert_eq!((build["complete"].clone(), build["results"].clone()), (json!(true), json!(CANCELLED)), "{build}");
    let (status, _, _) = follow(&bb, &mut cursor).await;
    assert_eq!(status.verdict, Verdict::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_stopped_on_the_master_is_seen_cancelled() {
    let (master, bb, buildrequestid, mut cursor) = slow_build_running().await;
    // Someone stops it on the master, through its REST API.
    let other = Client::builder().basic(USER, PASSWORD).session_cookies().build().unwrap();
    other.get(&format!("{}/auth/login", master.base)).follow_redirects(false).send(&never()).await.unwrap();
    let buildid = build_on_master(&master, buildrequestid).await["buildid"].as_u64().unwrap();
    let stop = json!({"jsonrpc": "2.0", "method": "stop", "id": 1, "params": {"reason": "stopped by hand"}});
    let answer: Value = other.post(&format!("{}/api/v2/builds/{buildid}", master.base)).json(&stop).send(&never()).await.unwrap().json().await.unwrap();
    assert!(answer.get("error").is_none(), "{answer}");
    let (status, lines, _) = follow(&bb, &mut cursor).await;
    assert_eq!(status.verdict, Verdict::Cancelled, "{status:?}");
    assert!(status.words.contains("cancelled"), "{status:?}");
    assert_no_secrets(&lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_are_sentences_and_never_hold_the_password() {
    let master = master().await;
    let mut errors = Vec::new();

    let wrong = "wrong-pass-canary-0c7b";
    let e = Buildbot::login(&master.base, USER, wrong, &never()).await.unwrap_err();
    assert!(e.message.starts_with("Buildbot refused the password for lead"), "{e}");
    assert!(!e.message.contains(wrong), "{e}");

    let e = Buildbot::login(&format!("{}/nothing-here", master.base), USER, PASSWORD, &never()).await.unwrap_err();
    assert!(e.message.contains("no Buildbot login page"), "{e}");
    errors.push(e.message);

    let bb = login(&master).await;
    let checked = bb.check("deploy-nope", "force-nope", &never()).await.unwrap();
    assert_eq!(checked.builderid, None);
    assert_eq!(checked.problems.len(), 2, "{:?}", checked.problems);
    assert!(checked.problems[0].starts_with("Buildbot has no builder called “deploy-nope”; it has "), "{:?}", checked.problems);
    assert!(checked.problems[1].starts_with("Buildbot has no force scheduler called “force-nope”; it has "), "{:?}", checked.problems);
    for name in ["deploy-ok", "deploy-fail", "deploy-slow"] {
        assert!(checked.problems.iter().all(|p| p.contains(name)), "{:?}", checked.problems);
    }
    let checked = bb.check("deploy-ok", "deploy-fail", &never()).await.unwrap();
    assert_eq!(checked.problems, ["The force scheduler “deploy-fail” cannot start “deploy-ok”; it starts deploy-fail."]);
    errors.extend(checked.problems);

    // A login without the role: the master forbids forcing, and says which role.
    let viewer = Buildbot::login(&master.base, "viewer", PASSWORD, &never()).await.unwrap();
    let checked = viewer.check("deploy-ok", "deploy-ok", &never()).await.unwrap();
    assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
    assert!(checked.problems[0].starts_with("Buildbot does not let viewer start builds on 127.0.0.1:"), "{:?}", checked.problems);
    assert!(checked.problems[0].contains("deployers"), "{:?}", checked.problems);
    errors.extend(checked.problems);
    let e = viewer.force("deploy-ok", checked.builderid.unwrap(), "why", "Zoë", &BTreeMap::new(), &never()).await.unwrap_err();
    assert_eq!(e.kind, Some(liftoff_core::http::ErrorKind::Forbidden), "{e}");
    errors.push(e.message);

    let e = bb.force("force-nope", 1, "why", "Zoë", &BTreeMap::new(), &never()).await.unwrap_err();
    errors.push(e.message);
    let e = bb.status(999_999, false, &never()).await.unwrap_err();
    errors.push(e.message);
    let e = Buildbot::login("http://127.0.0.1:1", USER, PASSWORD, &never()).await.unwrap_err();
    errors.push(e.message);
    for message in &errors {
        assert!(!message.contains(PASSWORD), "{message}");
        assert!(!message.is_empty());
    }
}
