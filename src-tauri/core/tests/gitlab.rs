//! The GitLab CI client against GitLab's documented exchanges, replayed on
//! loopback (tests/support/replay.rs; the fixtures in tests/fixtures/gitlab/
//! name their documentation pages): a pipeline created with variables or a
//! trigger token, its jobs over `X-Next-Page` pages, a growing trace handed
//! out once, a blocked deployment approved, cancel's 200 then `canceled`,
//! retry, and 401, 403, 400 and 404 in words.
//!
//! No record mode: Debian has no GitLab to record from; the fixtures are
//! renewed by hand from the documentation.

use std::collections::BTreeMap;
use std::time::Duration;

use liftoff_core::deploy::remote::github::Pace;
use liftoff_core::deploy::remote::gitlab::{Cursor, Gitlab, Handle};
use liftoff_core::deploy::remote::Verdict;
use liftoff_core::http::ErrorKind;
use tokio_util::sync::CancellationToken;

#[path = "support/replay.rs"]
mod replay;
use replay::Replay;

const TOKEN: &str = "glpat-canary-gl-7e21b0";
const TRIGGER: &str = "glptt-canary-trigger-94c3";

fn go() -> CancellationToken {
    CancellationToken::new()
}

fn quick() -> Pace {
    Pace { every: Duration::from_millis(50), find_for: Duration::from_secs(5), max_wait: Duration::from_secs(5), confirm_for: Duration::from_secs(5) }
}

async fn start(fixture: &str, trigger: Option<&str>) -> (Replay, Gitlab) {
    let replay = Replay::start(&format!("gitlab/{fixture}.json"), &[("token", TOKEN), ("trigger", TRIGGER)]).await;
    let gitlab = Gitlab::new(replay.api(), TOKEN, "acme/shop", trigger).unwrap().with_pace(quick());
    (replay, gitlab)
}

fn variables() -> BTreeMap<String, String> {
    BTreeMap::from([("VERSION".to_string(), "1.4.2".to_string())])
}

fn handle() -> Handle {
    Handle { pipeline_id: 1234, liftoff_run_id: "r-0193".into(), url: None }
}

#[tokio::test]
async fn a_pipeline_is_created_with_variables_and_its_growing_trace_handed_out_once() {
    let (replay, gitlab) = start("pipeline-followed", None).await;
    let handle = gitlab.trigger("r-0193", "main", &variables(), &go()).await.unwrap();
    assert_eq!(handle, Handle { pipeline_id: 1234, liftoff_run_id: "r-0193".into(), url: Some("https://gitlab.example.com/acme/shop/-/pipelines/1234".into()) });
    let mut cursor = Cursor::new(&handle);

    let first = gitlab.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!((first.status.verdict, first.status.words.as_str()), (Verdict::Running, "running"));
    assert_eq!(first.steps.iter().map(|s| (s.name.as_str(), s.verdict)).collect::<Vec<_>>(), [("build", Verdict::Succeeded), ("deploy", Verdict::Running), ("smoke", Verdict::Running)]);
    let lines: Vec<(&str, &str)> = first.lines.iter().map(|l| (l.step.as_str(), l.text.as_str())).collect();
    assert_eq!(
        lines,
        [
            ("build", "Running with gitlab-runner 17.9.0"),
            ("build", "built shop 1.4.2"),
            ("build", "Job succeeded"),
            ("deploy", "Executing \"step_script\" stage of the job script"),
            ("deploy", "$ ./deploy.sh 1.4.2"),
        ],
        "the deploy's cut line waits for its end"
    );

    let second = gitlab.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!(second.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["deploying 1.4.2 to production", "waiting for health"]);

    let third = gitlab.poll(&mut cursor, &go()).await.unwrap();
    assert_eq!((third.status.verdict, third.status.words.as_str()), (Verdict::Succeeded, "success"));
    assert_eq!(third.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["healthy", "Cleaning up project directory and file based variables", "Job succeeded"]);
    assert_eq!(third.steps[2].verdict, Verdict::Failed, "a skipped job did not deploy");

    let stored = serde_json::to_value(&cursor).unwrap();
    assert_eq!(stored["done"], serde_json::json!([5001, 5002]));
    assert_eq!(serde_json::from_value::<Cursor>(stored).unwrap(), cursor);
    replay.finish();
}

#[tokio::test]
async fn a_trigger_token_sends_form_fields_without_the_api_token_and_is_never_shown() {
    let (replay, gitlab) = start("trigger-token", Some(TRIGGER)).await;
    let handle = gitlab.trigger("r-0193", "main", &variables(), &go()).await.unwrap();
    assert_eq!(handle.pipeline_id, 1234);
    let e = gitlab.trigger("r-0193", "main", &variables(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::NotFound));
    assert!(!e.message.contains(TRIGGER) && !e.message.contains(TOKEN), "{}", e.message);
    assert!(e.message.contains("found nothing to create a pipeline in acme/shop (404: 404 Not Found; trigger token *** has expired)"), "{}", e.message);
    assert!(!format!("{gitlab:?}").contains(TRIGGER));
    replay.finish();
}

#[tokio::test]
async fn cancel_answers_200_in_any_state_and_canceled_is_awaited_then_retry() {
    let (replay, gitlab) = start("cancel-retry", None).await;
    let status = gitlab.cancel(&handle(), &go()).await.unwrap();
    assert_eq!((status.verdict, status.words.as_str()), (Verdict::Cancelled, "canceled"));
    let status = gitlab.cancel(&handle(), &go()).await.unwrap();
    assert_eq!(status.verdict, Verdict::Succeeded, "done before the cancel: its own end stands");
    assert_eq!(gitlab.rerun(&handle(), &go()).await.unwrap(), handle());
    replay.finish();
}

#[tokio::test]
async fn a_blocked_deployment_is_shown_with_its_approvers_then_approved_and_its_job_run() {
    let (replay, gitlab) = start("approval", None).await;
    let poll = gitlab.poll(&mut Cursor::new(&handle()), &go()).await.unwrap();
    assert_eq!((poll.status.verdict, poll.status.words.as_str()), (Verdict::Running, "manual"));
    let approval = poll.approval.unwrap();
    assert_eq!((approval.environment.as_str(), approval.reviewers.as_slice()), ("production", ["Maintainers".to_string()].as_slice()));
    gitlab.approve(&handle(), true, "Approved in Liftoff by Dana", &go()).await.unwrap();
    replay.finish();
}

#[tokio::test]
async fn refusals_are_named_401_403_400_in_gitlabs_words_and_404() {
    let (replay, gitlab) = start("errors", None).await;
    let e = gitlab.status(&handle(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Unauthorized));
    assert!(e.message.ends_with(") refused the token (401: 401 Unauthorized). Check that it is current (not expired or revoked) and has the api scope."), "{}", e.message);
    let e = gitlab.trigger("r-0193", "main", &variables(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::Forbidden));
    assert!(e.message.ends_with(") does not let the token create a pipeline in acme/shop (403: 403 Forbidden). It needs the Developer role."), "{}", e.message);
    let e = gitlab.trigger("r-0193", "main", &variables(), &go()).await.unwrap_err();
    assert_eq!(e.message, "GitLab did not create a pipeline in acme/shop (400: base: Insufficient permissions to set pipeline variables).");
    let e = gitlab.status(&handle(), &go()).await.unwrap_err();
    assert_eq!(e.kind, Some(ErrorKind::NotFound));
    assert!(e.message.contains("found nothing to read the pipeline in acme/shop (404: 404 Project Not Found): it does not exist, or the token may not see it."), "{}", e.message);
    replay.finish();
    assert_eq!(replay.seen().iter().filter(|s| s.method == "POST").count(), 2, "a refused create is not sent again");
}

#[tokio::test]
async fn check_target_names_the_role_restricted_variables_and_a_missing_ci_file() {
    let (replay, gitlab) = start("check", None).await;
    let first = gitlab.check(true, &go()).await.unwrap();
    assert_eq!(
        first.problems,
        [
            "The token's account is Reporter in acme/shop, and running pipelines needs at least Developer (protected branches may need Maintainer).",
            "acme/shop lets at least Maintainer set pipeline variables, so GitLab would refuse Liftoff's LIFTOFF_RUN_ID. Change it under Settings › CI/CD › Variables, or use a pipeline trigger token.",
            "acme/shop has no .gitlab-ci.yml on main, so it has no pipeline to run.",
        ]
    );
    assert_eq!(gitlab.check(true, &go()).await.unwrap().problems, Vec::<String>::new());
    let revoked = gitlab.check(true, &go()).await.unwrap().problems;
    assert!(revoked[0].contains("refused the token (401: 401 Unauthorized)"), "{revoked:?}");
    replay.finish();
    assert!(replay.seen().iter().all(|s| s.method == "GET"), "a check starts nothing");
}
