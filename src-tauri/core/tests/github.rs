//! The GitHub Actions client against GitHub's documented exchanges,
//! replayed on loopback (tests/support/replay.rs; the fixtures in
//! tests/fixtures/github/ name their documentation pages). The loopback
//! address counts as an Enterprise Server, so every path is under
//! `/api/v3`. The recorded requests are also checked against GitHub's
//! OpenAPI description (tests/github-openapi.test.mjs).
//!
//! No record mode: there is no GitHub to record from here; the fixtures
//! are renewed by hand from the documentation.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use liftoff_core::deploy::lines::Stream;
use liftoff_core::deploy::remote::github::{Cursor, Github, Handle, Pace};
use liftoff_core::deploy::remote::Verdict;
use liftoff_core::http::ErrorKind;
use tokio_util::sync::CancellationToken;

#[path = "support/replay.rs"]
mod replay;
use replay::Replay;

const TOKEN: &str = "ghp_canary_gh_5f2a9c";
const RUN: u64 = 30433642;

fn go() -> CancellationToken {
    CancellationToken::new()
}

fn quick() -> Pace {
    Pace { every: Duration::from_millis(50), find_for: Duration::from_secs(5), max_wait: Duration::from_secs(5), confirm_for: Duration::from_secs(5) }
}

async fn start(fixture: &str) -> (Replay, Github) {
    let replay = Replay::start(&format!("github/{fixture}.json"), &[("token", TOKEN), ("reset", &(chrono::Utc::now().timestamp() + 1).to_string())]).await;
    let github = Github::new(replay.api(), TOKEN, "acme/shop", "deploy.yml").unwrap().with_pace(quick());
    (replay, github)
}

fn inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn handle() -> Handle {
    Handle { run_id: RUN, liftoff_run_id: "r-0193".into(), url: None }
}

#[tokio::test]
async fn run_details_then_the_run_followed_with_each_jobs_log_from_another_host_without_the_token() {
    let (replay, github) = start("run-details-and-logs").await;
    let handle = github.trigger("r-0193", "main", &inputs(&[("version", "1.4.2")]), &go()).await.unwrap();
    assert_eq!(handle.run_id, RUN);
    assert_eq!(handle.url.as_deref(), Some("https://github.example.com/acme/shop/actions/runs/30433642"));
    // Stored as JSON with the run, and read back.
    let stored = serde_json::to_string(&handle).unwrap();
    assert_eq!(serde_json::from_str::<Handle>(&stored).unwrap(), handle);

    let mut cursor = Cursor::new(&handle);
    let first = github.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(first.status.verdict, Verdict::Running);
    assert_eq!(first.status.words, "in progress");
    assert_eq!(first.steps.iter().map(|s| (s.name.as_str(), s.verdict)).collect::<Vec<_>>(), [("build", Verdict::Succeeded), ("deploy", Verdict::Running)]);
    let texts: Vec<(&str, &str)> = first.lines.iter().map(|l| (l.step.as_str(), l.text.as_str())).collect();
    assert_eq!(texts, [("build", "Run actions/checkout@v4"), ("build", "with:"), ("build", "  repository: acme/shop"), ("build", "built shop 1.4.2")]);
    assert!(first.approval.is_none());

    let second = github.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(second.status.verdict, Verdict::Running, "the run answered 304: its last state stands");
    assert_eq!(second.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["Run ./deploy.sh 1.4.2", "deployed 1.4.2 to production"]);
    assert!(second.lines.iter().all(|l| l.step == "deploy" && l.stream == Stream::Out));

    let third = github.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(third.status.verdict, Verdict::Succeeded);
    assert_eq!(third.status.words, "completed: success");
    assert!(third.lines.is_empty(), "each job's log is read once");
    assert_eq!(third.steps.len(), 2, "the jobs answered 304: the last list stands");

    // The cursor is stored: the logs read go with it, the cached answers do not.
    let stored: serde_json::Value = serde_json::to_value(&cursor).unwrap();
    assert_eq!(stored, serde_json::json!({ "run_id": RUN, "logs_read": [1001, 1002] }));
    replay.finish();
    let seen = replay.seen();
    let on_logs: Vec<_> = seen.iter().filter(|s| s.host == "logs").collect();
    assert_eq!(on_logs.len(), 2);
    for s in &seen {
        let sent = s.headers.iter().any(|(_, v)| v.contains(TOKEN));
        assert_eq!(sent, s.host == "api", "the token goes to the API only: {} {}", s.method, s.path);
    }
}

#[tokio::test]
async fn a_server_answering_204_gets_its_run_found_by_the_liftoff_id_even_when_it_shows_late() {
    let (replay, github) = start("no-run-details-late-run").await;
    let started = Instant::now();
    let handle = github.trigger("r-0193", "main", &inputs(&[("version", "1.4.2")]), &go()).await.unwrap();
    assert_eq!(handle, Handle { run_id: RUN, liftoff_run_id: "r-0193".into(), url: Some(format!("https://github.example.com/acme/shop/actions/runs/{RUN}")) });
    assert!(started.elapsed() >= Duration::from_millis(50), "looked again after a pause");
    replay.finish();
    let created = &replay.seen()[1].path;
    assert!(created.contains("created=%3E%3D20"), "runs created since a little before the dispatch: {created}");
}

#[tokio::test]
async fn a_422_naming_return_run_details_is_sent_again_without_it_then_correlated() {
    let (replay, github) = start("422-run-details").await;
    let handle = github.trigger("r-0193", "main", &inputs(&[("version", "1.4.2")]), &go()).await.unwrap();
    assert_eq!(handle.run_id, RUN);
    replay.finish();
}

#[tokio::test]
async fn an_undeclared_input_is_refused_in_githubs_words_and_not_sent_again() {
    let (replay, github) = start("undeclared-input").await;
    let e = github.trigger("r-0193", "main", &inputs(&[("region", "eu")]), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Unprocessable));
    assert_eq!(e.message, r#"GitHub did not start the workflow in acme/shop (422: Unexpected inputs provided: ["region"])."#);
    replay.finish();
}

#[tokio::test]
async fn a_dispatch_whose_answer_was_lost_is_looked_for_before_it_is_sent_again() {
    let (replay, github) = start("lost-answer-found").await;
    let handle = github.trigger("r-0193", "main", &inputs(&[("version", "1.4.2")]), &go()).await.unwrap();
    assert_eq!(handle.run_id, RUN);
    replay.finish();
    assert_eq!(replay.seen().iter().filter(|s| s.method == "POST").count(), 1, "found, so not dispatched twice");
}

#[tokio::test]
async fn a_run_waiting_for_approval_names_the_environment_and_reviewers_and_is_approved() {
    let (replay, github) = start("approval").await;
    let mut cursor = Cursor::new(&handle());
    let poll = github.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(poll.status.verdict, Verdict::Running);
    assert_eq!(poll.status.words, "waiting for approval");
    let approval = poll.approval.unwrap();
    assert_eq!(approval.environment, "production");
    assert_eq!(approval.reviewers, ["octocat", "team ops"]);
    assert!(approval.can_approve);
    github.approve(&handle(), true, "Approved in Liftoff by Dana", &go()).await.unwrap();
    let e = github.approve(&handle(), false, "no", &go()).await.unwrap_err();
    assert_eq!(
        e.message,
        "The token's account may not review the deployment to production (reviewers: octocat and team ops); the environment may also bar reviewing one's own run. Ask a reviewer to approve it on GitHub."
    );
    replay.finish();
}

#[tokio::test]
async fn a_hundred_and_fifty_jobs_come_over_two_link_pages_and_304s_keep_them() {
    let (replay, github) = start("150-jobs").await;
    let mut cursor = Cursor::new(&handle());
    let first = github.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(first.steps.len(), 150);
    assert_eq!((first.steps[0].name.as_str(), first.steps[149].name.as_str()), ("shard 1", "shard 150"));
    let again = github.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(again.steps, first.steps);
    assert_eq!(again.status, first.status);
    replay.finish();
}

#[tokio::test]
async fn rate_limits_are_waited_out_then_asked_again() {
    let (replay, github) = start("rate-limits").await;
    let started = Instant::now();
    let poll = github.poll(&mut Cursor::new(&handle()), &go()).await.unwrap();
    assert_eq!(poll.steps.len(), 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was waited");
    replay.finish();

    // A wait longer than the client accepts is an error that says how long.
    let (replay, github) = start("rate-limits").await;
    let github = github.with_pace(Pace { max_wait: Duration::ZERO, ..quick() });
    let e = github.status(&handle(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::RateLimited));
    assert!(e.message.contains("is limiting requests (429 Too Many Requests): You have exceeded a secondary rate limit"), "{}", e.message);
    assert!(e.message.ends_with("Try again in 1 second."), "{}", e.message);
    drop(replay);

    // A stop during the wait ends it at once.
    let (_replay, github) = start("rate-limits").await;
    let stop = go();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stopper.cancel();
    });
    let started = Instant::now();
    let e = github.status(&handle(), &stop).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Cancelled));
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn a_refused_token_and_a_missing_right_are_named_without_the_token() {
    let (replay, github) = start("401").await;
    let e = github.status(&handle(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Unauthorized));
    assert!(e.message.starts_with("GitHub (127.0.0.1:"), "{}", e.message);
    assert!(e.message.ends_with(") refused the token (401: Bad credentials). Check that it is current (not expired or revoked) and saved for this target."), "{}", e.message);
    replay.finish();

    let (replay, github) = start("403").await;
    let e = github.trigger("r-0193", "main", &inputs(&[("version", "1.4.2")]), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Forbidden));
    assert!(
        e.message.ends_with(") does not let the token start the workflow in acme/shop (403: Resource not accessible by personal access token). It needs Actions: write (a classic token: the repo scope)."),
        "{}",
        e.message
    );
    replay.finish();
}

#[tokio::test]
async fn a_token_echoed_in_an_error_body_is_masked() {
    let (replay, github) = start("echoed-token").await;
    let e = github.status(&handle(), &go()).await.unwrap_err();
    assert!(!e.message.contains(TOKEN), "{}", e.message);
    assert!(e.message.contains("Malformed header: Authorization: ***"), "{}", e.message);
    assert!(!format!("{github:?}").contains(TOKEN));
    replay.finish();
}

#[tokio::test]
async fn cancel_is_confirmed_by_the_runs_end_a_409_means_done_and_failed_jobs_rerun() {
    let (replay, github) = start("cancel").await;
    let status = github.cancel(&handle(), false, &go()).await.unwrap();
    assert_eq!((status.verdict, status.words.as_str()), (Verdict::Cancelled, "completed: cancelled"));
    let status = github.cancel(&handle(), true, &go()).await.unwrap();
    assert_eq!(status.verdict, Verdict::Cancelled);
    assert_eq!(github.rerun(&handle(), &go()).await.unwrap(), handle());
    replay.finish();
}

#[tokio::test]
async fn check_target_reads_rights_the_workflow_and_its_inputs_and_starts_nothing() {
    let (replay, github) = start("check").await;
    let good = github.check(&["version"], &go()).await.unwrap();
    assert_eq!(good.problems, Vec::<String>::new());
    let bad = github.check(&["version"], &go()).await.unwrap();
    assert_eq!(
        bad.problems,
        [
            "The token lacks the repo scope, which starting a workflow in acme/shop needs (it has: read:org).",
            "The token's account may not write to acme/shop, and starting a workflow needs write access (Actions: write for a fine-grained token). Ask an admin of the repository for it.",
            "acme/shop has no workflow “deploy.yml” in .github/workflows; it has ci.yml and release.yml.",
        ]
    );
    let revoked = github.check(&[], &go()).await.unwrap();
    assert_eq!(revoked.problems.len(), 1);
    assert!(revoked.problems[0].contains("refused the token (401: Bad credentials)"), "{:?}", revoked.problems);
    replay.finish();
    assert!(replay.seen().iter().all(|s| s.method == "GET"), "a check starts nothing");
}
