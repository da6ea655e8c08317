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

// --- Deploy freeze periods kept in step with Liftoff's freezes ----------

mod freezes {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use chrono::{DateTime, TimeZone, Utc};
    use liftoff_core::credentials::{self, CredentialKind};
    use liftoff_core::deploy::freeze_sync::{self, SyncReport};
    use liftoff_core::deploy::target::{self, CommandSpec, RemoteTarget, TargetKind, TargetSettings};
    use liftoff_core::planning::freeze_cron::CronWay;
    use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
    use liftoff_core::projects::{self, ProjectDraft};
    use liftoff_core::secrets::{Keychain, SecretValue};
    use liftoff_core::Store;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    /// keyring's mock, one entry per account.
    fn keychain() -> Keychain {
        let entries: Arc<Mutex<HashMap<String, Arc<keyring::Entry>>>> = Arc::default();
        Keychain::with_entries(move |account| {
            let mut all = entries.lock().unwrap();
            let entry = all.entry(account.to_owned()).or_insert_with(|| Arc::new(keyring::Entry::new_with_credential(Box::new(keyring::mock::MockCredential::default()))));
            Ok(entry.clone())
        })
    }

    struct Shop {
        _dir: tempfile::TempDir,
        store: Arc<Store>,
        keychain: Keychain,
        project_id: String,
    }

    impl Shop {
        /// "Shop" whose `gitlab` environments deploy through acme/shop on
        /// the fake, each with the token in GITLAB_TOKEN.
        fn new(api: &str, gitlab: &[&str]) -> Shop {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(Store::open_or_recover(dir.path(), at(2027, 1, 1)).unwrap().store);
            let draft = ProjectDraft { name: "Shop".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() };
            let project = projects::create(&store, &draft, at(2027, 1, 1)).unwrap();
            let shop = Shop { _dir: dir, store, keychain: keychain(), project_id: project.id };
            for name in gitlab {
                let env = shop.env(name);
                credentials::add(&shop.store, &shop.keychain, &env, "GITLAB_TOKEN", CredentialKind::ApiToken, &SecretValue::new(TOKEN), at(2027, 1, 1)).unwrap();
                let mut settings = TargetSettings::local_command(Default::default());
                settings.kind = TargetKind::GitlabCi;
                settings.remote = Some(RemoteTarget { url: api.into(), credential: "GITLAB_TOKEN".into(), project: "acme/shop".into(), ..RemoteTarget::default() });
                target::set(&shop.store, &env, &settings, at(2027, 1, 1)).unwrap();
            }
            shop
        }

        fn env(&self, name: &str) -> String {
            liftoff_core::environments::list(&self.store, &self.project_id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
        }

        fn freeze(&self, name: &str, start: &str, minutes: i32, tz: &str, rule: Option<&str>, only: &[&str]) -> String {
            let draft = CalendarWindowDraft {
                kind: Some(WindowKind::Freeze),
                name: name.into(),
                reason: String::new(),
                start_local: start.into(),
                minutes,
                time_zone: tz.into(),
                rule: rule.map(str::to_owned),
                exdates: Vec::new(),
                environment_ids: only.iter().map(|e| self.env(e)).collect(),
            };
            windows::create(&self.store, &self.project_id, &draft, at(2027, 1, 1)).unwrap().id
        }

        async fn sync(&self, now: DateTime<Utc>) -> Vec<SyncReport> {
            freeze_sync::sync(self.store.clone(), self.keychain.clone(), &self.project_id, now, &go()).await.unwrap()
        }

        fn status(&self) -> String {
            freeze_sync::status(&self.store, &self.env("production")).unwrap().unwrap().words
        }
    }

    #[tokio::test]
    async fn a_sync_adds_what_is_missing_removes_only_its_own_stale_periods_and_a_second_changes_nothing() {
        let replay = Replay::start("gitlab/freeze-sync.json", &[("token", TOKEN)]).await;
        let shop = Shop::new(replay.api(), &["production"]);
        let weekend = shop.freeze("Weekend freeze", "2027-01-08T15:00", 66 * 60, "Europe/Berlin", Some("FREQ=WEEKLY;BYDAY=FR"), &[]);
        shop.freeze("Launch", "2027-03-10T18:00", 120, "UTC", None, &["production"]);
        shop.freeze("Staging reload", "2027-01-04T06:00", 60, "UTC", Some("FREQ=DAILY"), &["staging"]);
        assert_eq!(shop.status(), "GitLab deploy freezes: not synced yet.");

        // Check target compares, and changes nothing.
        let gitlab = Gitlab::new(replay.api(), TOKEN, "acme/shop", None).unwrap().with_pace(quick());
        let settings = target::get(&shop.store, &shop.env("production")).unwrap().unwrap().settings;
        let said = freeze_sync::check(&shop.store, &gitlab, &shop.env("production"), &settings, at(2027, 3, 1), &go()).await.unwrap_err();
        assert!(said.ends_with("are not in step with Liftoff's freezes: 2 to add, 0 to remove. Use “Sync freezes now” or `liftoff freeze-sync`."), "{said}");

        let first = shop.sync(at(2027, 3, 1)).await;
        assert_eq!(first.len(), 1);
        let r = &first[0];
        assert_eq!((r.added, r.removed, r.periods, r.problem.as_deref()), (2, 0, 2, None), "{r:?}");
        assert_eq!(r.environments, ["production"]);
        let ways: Vec<(&str, CronWay)> = r.freezes.iter().map(|f| (f.name.as_str(), f.way)).collect();
        assert_eq!(ways, [("Weekend freeze", CronWay::Repeating), ("Launch", CronWay::Dated)], "the staging-only freeze is not GitLab's");
        assert_eq!(r.notes, ["“Launch” holds production only, and acme/shop on 127.0.0.1:".to_owned() + replay.api().rsplit(':').next().unwrap() + " deploys production only: synced."]);
        assert_eq!(shop.status(), "GitLab deploy freezes: in step, 2 periods, synced 2027-03-01 00:00:00 UTC.");

        let second = shop.sync(at(2027, 3, 2)).await;
        assert_eq!((second[0].added, second[0].removed, second[0].periods), (0, 0, 2), "a second sync changes nothing");

        // The launch is over: its dated pair goes, the team's period stays.
        let third = shop.sync(at(2027, 3, 11)).await;
        assert_eq!((third[0].added, third[0].removed, third[0].periods), (0, 1, 1));

        windows::delete(&shop.store, &weekend).unwrap();
        let fourth = shop.sync(at(2027, 3, 12)).await;
        assert_eq!((fourth[0].added, fourth[0].removed, fourth[0].periods), (0, 1, 0));
        replay.finish();
        let deleted: Vec<String> = replay.seen().iter().filter(|s| s.method == "DELETE").map(|s| s.path.clone()).collect();
        assert_eq!(deleted, ["/api/v4/projects/acme%2Fshop/freeze_periods/12", "/api/v4/projects/acme%2Fshop/freeze_periods/11"], "never the team's period 1");
    }

    #[tokio::test]
    async fn a_token_below_maintainer_is_told_so_and_nothing_is_recorded() {
        let replay = Replay::start("gitlab/freeze-sync-403.json", &[("token", TOKEN)]).await;
        let shop = Shop::new(replay.api(), &["production"]);
        shop.freeze("Weekend freeze", "2027-01-08T15:00", 66 * 60, "Europe/Berlin", Some("FREQ=WEEKLY;BYDAY=FR"), &[]);
        let r = shop.sync(at(2027, 3, 1)).await.remove(0);
        let problem = r.problem.unwrap();
        assert!(
            problem.ends_with("does not let the token create a deploy freeze period in acme/shop (403: 403 Forbidden). It needs the Maintainer role (only Maintainers may change deploy freezes)."),
            "{problem}"
        );
        assert!(!problem.contains(TOKEN));
        assert_eq!((r.added, r.periods), (0, 0));
        assert_eq!(shop.status(), format!("GitLab deploy freezes: {problem}"));
        replay.finish();
    }

    #[tokio::test]
    async fn periods_left_on_a_gitlab_project_no_target_uses_any_more_are_removed_with_the_credential_that_made_them() {
        let replay = Replay::start("gitlab/freeze-sync-left-behind.json", &[("token", TOKEN)]).await;
        let shop = Shop::new(replay.api(), &["production"]);
        shop.freeze("Weekend freeze", "2027-01-08T15:00", 66 * 60, "Europe/Berlin", Some("FREQ=WEEKLY;BYDAY=FR"), &[]);
        assert_eq!(shop.sync(at(2027, 3, 1)).await[0].added, 1);
        target::set(&shop.store, &shop.env("production"), &TargetSettings::local_command(CommandSpec { program: "./deploy.sh".into(), ..CommandSpec::default() }), at(2027, 3, 1)).unwrap();
        let r = shop.sync(at(2027, 3, 2)).await.remove(0);
        assert_eq!((r.removed, r.periods, r.problem.as_deref()), (1, 0, None), "{r:?}");
        assert!(r.notes[0].starts_with("No target deploys through acme/shop on 127.0.0.1:"), "{:?}", r.notes);
        assert!(shop.sync(at(2027, 3, 3)).await.is_empty(), "nothing is left there, and no target uses it");
        replay.finish();
    }

    #[test]
    fn a_gitlab_project_shared_by_environments_holds_each_ones_freezes_and_says_so() {
        let shop = Shop::new("https://gitlab.example.com", &["staging", "production"]);
        shop.freeze("Staging reload", "2027-01-04T06:00", 60, "UTC", Some("FREQ=DAILY"), &["staging"]);
        let plans = freeze_sync::plans(&shop.store, &shop.project_id, at(2027, 3, 1)).unwrap();
        assert_eq!(plans.len(), 1, "one GitLab project");
        assert_eq!(plans[0].freezes[0].periods[0].freeze_start, "0 6 * * *");
        assert_eq!(
            plans[0].notes,
            ["“Staging reload” holds staging only, but GitLab's freeze periods hold all of acme/shop on gitlab.example.com: its pipelines for production stop in it too."]
        );
    }
}
