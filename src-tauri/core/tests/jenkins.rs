//! The Jenkins client against Jenkins' documented exchanges, replayed on
//! loopback (tests/support/replay.rs; the fixtures in
//! tests/fixtures/jenkins/ name their documentation pages): the crumb and
//! its session with a password, none with an API token, a queue item to
//! its build, a forgotten item found by its parameter, the console log in
//! chunks, an input step, cancel from the queue and stop/term/kill.
//!
//! No record mode: Debian has no Jenkins to record from; the fixtures are
//! renewed by hand from the documentation.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use liftoff_core::deploy::remote::github::Pace;
use liftoff_core::deploy::remote::jenkins::{Cursor, Handle, Jenkins, Secret};
use liftoff_core::deploy::remote::Verdict;
use liftoff_core::http::ErrorKind;
use tokio_util::sync::CancellationToken;

#[path = "support/replay.rs"]
mod replay;
use replay::Replay;

const USER: &str = "lead";
const SECRET: &str = "11c0ffee-canary-jk-token-3d9e";
const CRUMB: &str = "crumb-canary-5b2f0c";

fn go() -> CancellationToken {
    CancellationToken::new()
}

fn quick() -> Pace {
    Pace { every: Duration::from_millis(100), find_for: Duration::from_secs(5), max_wait: Duration::from_secs(5), confirm_for: Duration::from_secs(3) }
}

async fn start(fixture: &str, kind: Secret) -> (Replay, Jenkins) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{SECRET}"));
    let replay = Replay::start(&format!("jenkins/{fixture}.json"), &[("basic", &basic), ("crumb", CRUMB)]).await;
    let jenkins = Jenkins::connect(replay.api(), USER, SECRET, kind, "shop/deploy", &go()).await.unwrap().with_pace(quick());
    (replay, jenkins)
}

fn parameters() -> BTreeMap<String, String> {
    BTreeMap::from([("VERSION".to_string(), "1.4.2".to_string())])
}

fn queued() -> Handle {
    Handle { liftoff_run_id: "r-0193".into(), queue_item: Some(17), build: None }
}

#[tokio::test]
async fn a_password_fetches_a_crumb_whose_session_cookie_goes_along_and_an_expired_one_is_named() {
    let (replay, jenkins) = start("password-crumb", Secret::Password).await;
    let handle = jenkins.trigger("r-0193", &parameters(), &go()).await.unwrap();
    assert_eq!(handle, queued());
    let e = jenkins.trigger("r-0193", &parameters(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Forbidden));
    assert!(e.message.starts_with("Jenkins (127.0.0.1:"), "{}", e.message);
    assert!(
        e.message.ends_with(") refused the request without a valid crumb (403: Error 403 No valid crumb was included in the request). Use an API token, which needs none, or check the password."),
        "{}",
        e.message
    );
    assert!(!format!("{jenkins:?}").contains(CRUMB) && !format!("{jenkins:?}").contains(SECRET));
    replay.finish();
}

#[tokio::test]
async fn an_api_token_needs_no_crumb_and_the_queue_item_leads_to_the_build_and_its_log_in_chunks() {
    let (replay, jenkins) = start("token-queue-to-build", Secret::ApiToken).await;
    let handle = jenkins.trigger("r-0193", &parameters(), &go()).await.unwrap();
    let mut cursor = Cursor::new(&handle);

    let queued = jenkins.poll(&mut cursor, false, &go()).await.unwrap();
    assert_eq!((queued.status.verdict, queued.status.words.as_str()), (Verdict::Running, "In the quiet period. Expires in 4.9 sec"));

    let running = jenkins.poll(&mut cursor, false, &go()).await.unwrap();
    assert_eq!(cursor.build, Some(42));
    assert_eq!(running.status.words, "building #42");
    assert_eq!(running.steps.iter().map(|s| (s.name.as_str(), s.verdict)).collect::<Vec<_>>(), [("Build", Verdict::Succeeded), ("Deploy", Verdict::Running)]);
    let lines: Vec<&str> = running.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines, ["Started by user Lead", "[Pipeline] Start of Pipeline", "[Pipeline] sh", "+ ./deploy.sh 1.4.2"], "the cut line waits for its end");

    let done = jenkins.poll(&mut cursor, false, &go()).await.unwrap();
    assert_eq!(done.status.verdict, Verdict::Succeeded);
    assert_eq!(done.status.words, "#42: SUCCESS");
    assert_eq!(done.status.url, Some(format!("{}/job/shop/job/deploy/42/", replay.api())));
    let lines: Vec<&str> = done.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(lines, ["deploying 1.4.2 to production", "done", "[Pipeline] End of Pipeline", "Finished: SUCCESS"]);
    assert_eq!(cursor.offset, 191);
    // Stored and read back, the cursor goes on where it stopped.
    let stored = serde_json::to_string(&cursor).unwrap();
    assert_eq!(serde_json::from_str::<Cursor>(&stored).unwrap(), cursor);
    replay.finish();
}

#[tokio::test]
async fn a_forgotten_queue_item_is_found_among_the_last_builds_by_its_liftoff_run_id() {
    let (replay, jenkins) = start("forgotten-queue-item", Secret::ApiToken).await;
    let mut cursor = Cursor::new(&queued());
    let poll = jenkins.poll(&mut cursor, false, &go()).await.unwrap();
    assert_eq!(cursor.build, Some(42), "build 43 belongs to another run");
    assert_eq!(poll.status.verdict, Verdict::Failed);
    assert_eq!(poll.status.failed_step.as_deref(), Some("Deploy"));
    assert_eq!(poll.lines.last().map(|l| l.text.as_str()), Some(""));
    replay.finish();
}

#[tokio::test]
async fn cancel_takes_a_queued_item_out_and_stops_then_terms_then_kills_a_build_until_aborted() {
    let (replay, jenkins) = start("cancel", Secret::ApiToken).await;
    let status = jenkins.cancel(&queued(), &go()).await.unwrap();
    assert_eq!((status.verdict, status.words.as_str()), (Verdict::Cancelled, "cancelled in the queue"));
    let running = Handle { build: Some(42), queue_item: None, ..queued() };
    let status = jenkins.cancel(&running, &go()).await.unwrap();
    assert_eq!((status.verdict, status.words.as_str()), (Verdict::Cancelled, "#42: ABORTED"));
    replay.finish();
}

#[tokio::test]
async fn a_pipeline_waiting_at_an_input_step_is_shown_and_proceeded() {
    let (replay, jenkins) = start("input", Secret::ApiToken).await;
    let handle = Handle { build: Some(42), queue_item: None, ..queued() };
    let poll = jenkins.poll(&mut Cursor::new(&handle), false, &go()).await.unwrap();
    assert_eq!(poll.status.verdict, Verdict::Running);
    let approval = poll.approval.unwrap();
    assert_eq!(approval.environment, "Deploy to production?");
    assert_eq!(poll.steps[1].words, "paused pending input");
    jenkins.approve(&handle, true, &go()).await.unwrap();
    let e = jenkins.approve(&handle, false, &go()).await.unwrap_err();
    assert_eq!(e.message, "Jenkins build #42 of shop/deploy no longer waits for an input.");
    replay.finish();
}

#[tokio::test]
async fn check_target_names_undeclared_parameters_a_disabled_job_and_each_refusal() {
    let (replay, jenkins) = start("check", Secret::ApiToken).await;
    let first = jenkins.check(&["VERSION", "REGION"], &go()).await.unwrap();
    assert_eq!(
        first.problems,
        [
            "The Jenkins job shop/deploy is disabled; enable it on Jenkins.",
            "The Jenkins job shop/deploy does not declare the parameters LIFTOFF_RUN_ID and REGION: Jenkins drops undeclared parameters (and merges identical queued builds). Add them under “This project is parameterized”.",
        ]
    );
    let missing = jenkins.check(&[], &go()).await.unwrap().problems;
    assert!(missing[0].contains("has no job shop/deploy, or lead may not see it (404)"), "{missing:?}");
    let refused = jenkins.check(&[], &go()).await.unwrap().problems;
    assert!(refused[0].contains("refused the login of lead (401: Error 401 Unauthorized)"), "{refused:?}");
    let forbidden = jenkins.check(&[], &go()).await.unwrap().problems;
    assert!(forbidden[0].contains("does not let lead read the job for shop/deploy (403: Error 403 lead is missing the Job/Read permission). Give lead the Job/Read permission."), "{forbidden:?}");
    for problem in first.problems.iter().chain(&missing).chain(&refused).chain(&forbidden) {
        assert!(!problem.contains(SECRET));
    }
    replay.finish();
    assert!(replay.seen().iter().all(|s| s.method == "GET"), "a check starts nothing");
}
