//! The deploy engine end to end in the core: real child processes (small
//! scripts), a real SQLite file, real HTTP on loopback for smoke checks,
//! and a second OS process racing for the lock.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use liftoff_core::audit::Actor;
use liftoff_core::clock;
use liftoff_core::deploy::engine::{self, RunEvent, Timing};
use liftoff_core::deploy::runs::{self, RunQuery};
use liftoff_core::deploy::smoke::{CommandCheck, HttpCheck, SmokeCheck};
use liftoff_core::deploy::target::{self, BlueGreen, CommandSpec, EnvVar, ExtraStep, TargetSettings};
use liftoff_core::deploy::{procs, CheckOutcome, Decision, DeployError, DeployRequest, RunKind, RunState};
use liftoff_core::environments;
use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft, ReleaseState};
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use tokio_util::sync::CancellationToken;

fn keychain() -> Keychain {
    // These tests use no credentials; a keychain that is never asked.
    Keychain::with_entries(|_| Err(keyring::Error::NoEntry))
}

fn lead() -> Actor {
    Actor { person_id: None, name: "Lena".into() }
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    project: Project,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Billing".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        Fixture { dir, store, project }
    }

    fn env(&self, name: &str) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }

    fn script(&self, name: &str, body: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path.display().to_string()
    }

    fn set_target(&self, env: &str, settings: TargetSettings) {
        target::set(&self.store, &self.env(env), &settings, Utc::now()).unwrap();
    }

    fn release(&self, version: &str) -> String {
        releases::create(&self.store, &self.project.id, &ReleaseDraft { version: version.into(), name: format!("Release {version}"), scope: String::new(), target_date: None }, &lead(), Utc::now())
            .unwrap()
            .id
    }

    fn request(&self, env: &str, version: &str) -> DeployRequest {
        DeployRequest { environment_id: self.env(env), release_id: None, version: version.into(), build_ref: String::new(), decisions: Vec::new(), accept_warnings: true }
    }

    async fn deploy(&self, req: &DeployRequest) -> Result<Vec<runs::Run>, DeployError> {
        let job = engine::start(&self.store, &keychain(), req, &lead(), Utc::now(), Utc::now().date_naive())?;
        let mut lines = Vec::new();
        let mut sink = |e: RunEvent| {
            if let RunEvent::Lines { lines: l, .. } = e {
                lines.extend(l.into_iter().map(|l| l.text));
            }
        };
        let runs = engine::execute_with_rollback(self.store.clone(), &keychain(), job, CancellationToken::new(), fast(), &mut sink, &mut |_| {}).await;
        Ok(runs)
    }

    fn log(&self, run_id: &str) -> Vec<String> {
        runs::log(&self.store, run_id, 0, 50_000, None).unwrap().lines.into_iter().map(|l| l.text).collect()
    }

    fn audit_actions(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(self.store.db_path()).unwrap();
        let mut stmt = conn.prepare("SELECT action FROM audit_log WHERE project_id = ?1 ORDER BY id").unwrap();
        stmt.query_map([&self.project.id], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }
}

fn fast() -> Timing {
    Timing { grace: Duration::from_millis(300), drain: Duration::from_millis(200), flush_every: Duration::from_millis(50), ..Timing::default() }
}

fn command(program: &str) -> CommandSpec {
    CommandSpec { program: program.into(), args: Vec::new(), through_shell: false, timeout_secs: 30 }
}

fn shell(line: &str) -> CommandSpec {
    CommandSpec { program: line.into(), args: Vec::new(), through_shell: true, timeout_secs: 30 }
}

fn settings(cmd: CommandSpec) -> TargetSettings {
    TargetSettings::local_command(cmd)
}

/// A loopback HTTP server answering each request with the next status of
/// `statuses` (the last one repeats), counting requests.
fn server(statuses: Vec<u16>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let status = *statuses.get(n).or(statuses.last()).unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = if status == 200 { "{\"status\":\"ok\"}" } else { "{\"status\":\"down\"}" };
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    (url, count)
}

fn http_check(url: &str, within: i32) -> SmokeCheck {
    SmokeCheck::Http(HttpCheck {
        name: "Health".into(),
        url: url.into(),
        method: "GET".into(),
        expect_status: 200,
        expect_text: None,
        json_field: Some("/status".into()),
        expect_json: Some("ok".into()),
        max_latency_ms: None,
        credential: None,
        within_secs: within,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_runs_its_steps_passes_liftoff_s_variables_and_records_everything() {
    let f = Fixture::new();
    let out = f.dir.path().join("seen.txt");
    let deploy = f.script(
        "deploy.sh",
        &format!(
            "echo \"deploying $LIFTOFF_VERSION to $LIFTOFF_ENVIRONMENT of $LIFTOFF_PROJECT, run $LIFTOFF_RUN_ID, was '$LIFTOFF_PREVIOUS_VERSION', extra $EXTRA\"\n\
             printf '%s' \"$LIFTOFF_VERSION\" > {}\necho to stderr >&2",
            out.display()
        ),
    );
    let mut s = settings(command(&deploy));
    s.env = vec![EnvVar { name: "EXTRA".into(), value: "yes".into() }];
    s.before = vec![ExtraStep { name: "Back up".into(), command: shell("echo backing up") }];
    s.after = vec![ExtraStep { name: "Warm caches".into(), command: shell("echo warm") }];
    s.smoke = vec![SmokeCheck::Command(CommandCheck { name: "Version file".into(), command: format!("test \"$(cat {})\" = \"$LIFTOFF_VERSION\"", out.display()), timeout_secs: 5 })];
    f.set_target("staging", s);

    let runs = f.deploy(&f.request("staging", "2.4.0")).await.unwrap();
    let run = &runs[0];
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "2.4.0");
    let names: Vec<&str> = run.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Back up", "Deploy", "Warm caches", "Smoke: Version file"]);
    assert!(run.steps.iter().all(|s| s.duration_ms.is_some()));
    assert_eq!(run.checks.len(), 1);
    assert!(run.checks[0].passed);
    let log = f.log(&run.id);
    let line = log.iter().find(|l| l.starts_with("deploying")).expect("the child's output is logged");
    assert!(line.contains("2.4.0 to staging of Billing") && line.contains(&run.id) && line.contains("was ''") && line.contains("extra yes"), "{line}");
    assert!(log.iter().any(|l| l == "to stderr"));
    assert!(log.iter().any(|l| l == "backing up") && log.iter().any(|l| l == "warm"));
    assert_eq!(runs::status(&f.store, &f.project.id).unwrap()[1].current.as_ref().unwrap().version, "2.4.0");
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.is_none(), "the lock goes with the run");
    let actions = f.audit_actions();
    assert!(actions.contains(&"deploy.started".to_owned()) && actions.contains(&"deploy.succeeded".to_owned()), "{actions:?}");

    // The next deploy knows what it replaces.
    let runs = f.deploy(&f.request("staging", "2.4.1")).await.unwrap();
    assert_eq!(runs[0].previous_version.as_deref(), Some("2.4.0"));
    assert!(f.log(&runs[0].id).iter().any(|l| l.contains("was '2.4.0'")));
    // The downloaded text has every line, stderr marked.
    let text = runs::log_text(&f.store, &runs[0].id).unwrap();
    assert!(text.contains("[stderr] to stderr") && text.contains("deploying 2.4.1"));
}

#[tokio::test(flavor = "multi_thread")]
async fn steps_and_checks_marked_acceptance_tests_are_marked_so_on_the_run() {
    let f = Fixture::new();
    let mut s = settings(shell("true"));
    s.after = vec![ExtraStep { name: "Sign-up journey".into(), command: shell("true") }, ExtraStep { name: "Warm caches".into(), command: shell("true") }];
    s.smoke = vec![SmokeCheck::Command(CommandCheck { name: "checkout works".into(), command: "true".into(), timeout_secs: 10 })];
    s.acceptance_tests = vec!["Sign-up journey".into(), "checkout works".into()];
    f.set_target("staging", target::validate(&s).unwrap());
    let run = f.deploy(&f.request("staging", "1.0.0")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::Succeeded);
    let marked: Vec<(&str, bool)> = run.steps.iter().map(|st| (st.name.as_str(), st.acceptance)).collect();
    assert_eq!(marked, [("Deploy", false), ("Sign-up journey", true), ("Warm caches", false), ("Smoke: checkout works", true)]);
    // Read back from SQLite, not only from memory.
    assert!(runs::get(&f.store, &run.id).unwrap().steps.iter().filter(|st| st.acceptance).count() == 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_step_stops_the_run_and_frees_the_lock() {
    let f = Fixture::new();
    let mut s = settings(shell("echo migrating; exit 3"));
    s.after = vec![ExtraStep { name: "Never".into(), command: shell("echo never") }];
    f.set_target("staging", s);
    let run = f.deploy(&f.request("staging", "1.0.0")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::Failed);
    assert!(run.outcome.contains("exit code 3"), "{}", run.outcome);
    assert_eq!(run.steps[1].state, liftoff_core::deploy::runs::StepState::Skipped);
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.is_none());
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].current.is_none(), "a failed run is not what runs there");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_program_or_folder_is_named_and_nothing_stays_locked() {
    let f = Fixture::new();
    f.set_target("staging", settings(command("/no/such/deploy.sh")));
    // Preflight names it; no run starts.
    let err = f.deploy(&f.request("staging", "1.0.0")).await.unwrap_err();
    assert!(matches!(err, DeployError::PreflightFailed(_)), "{err}");
    assert!(err.to_string().contains("/no/such/deploy.sh"), "{err}");
    assert!(runs::list(&f.store, &f.project.id, &RunQuery::default()).unwrap().is_empty());
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.is_none());
    // Gone between preflight and the step: the run fails saying so.
    let script = f.script("vanishing.sh", "true");
    f.set_target("staging", settings(command(&script)));
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    std::fs::remove_file(&script).unwrap();
    let run = engine::execute(f.store.clone(), job, CancellationToken::new(), fast(), &mut |_| {}).await;
    assert_eq!(run.state, RunState::Failed);
    assert!(run.outcome.contains("vanishing.sh"), "{}", run.outcome);
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.is_none());

    let mut s = settings(shell("true"));
    s.working_dir = "/no/such/folder".into();
    f.set_target("staging", s);
    let err = f.deploy(&f.request("staging", "1.0.0")).await.unwrap_err();
    assert!(err.to_string().contains("/no/such/folder"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_over_its_timeout_is_stopped_and_said_so() {
    let f = Fixture::new();
    let mut spec = shell("echo start; sleep 30");
    spec.timeout_secs = 1;
    f.set_target("staging", settings(spec));
    let started = std::time::Instant::now();
    let run = f.deploy(&f.request("staging", "1.0.0")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(run.outcome.contains("timed out"), "{}", run.outcome);
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_failure_is_failed_verification_and_rollback_returns_to_the_last_verified_version() {
    let f = Fixture::new();
    let (good, _) = server(vec![200]);
    let (bad, hits) = server(vec![500]);
    let script = f.script("deploy.sh", "echo \"deploying $LIFTOFF_VERSION\"");
    // 2.3.1 verified on production earlier (staging first, for promotion).
    for env in ["staging", "production"] {
        let mut s = settings(command(&script));
        s.smoke = vec![http_check(&good, 0)];
        f.set_target(env, s);
    }
    let old = f.release("2.3.1");
    let new = f.release("2.4.0");
    let gate_open = |id: &str| {
        releases::gate::override_gate(&f.store, id, &f.env("production"), "Lena", "Tested by hand in this test.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    };
    gate_open(&old);
    gate_open(&new);
    for (env, version, release) in [("staging", "2.3.1", &old), ("production", "2.3.1", &old), ("staging", "2.4.0", &new)] {
        let mut req = f.request(env, version);
        req.release_id = Some(release.clone());
        let run = f.deploy(&req).await.unwrap().remove(0);
        assert_eq!(run.state, RunState::Succeeded, "{env} {version}: {}", run.outcome);
    }
    assert_eq!(releases::get(&f.store, &old).unwrap().state, ReleaseState::Verified, "production verified it");

    // 2.4.0 on production, whose health now fails.
    let mut s = settings(command(&script));
    s.smoke = vec![http_check(&bad, 1)];
    f.set_target("production", s);
    let mut req = f.request("production", "2.4.0");
    req.release_id = Some(new.clone());
    let run = f.deploy(&req).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::FailedVerification, "{}", run.outcome);
    assert!(hits.load(Ordering::SeqCst) > 1, "retried while the service might be starting");
    assert!(!run.checks[0].passed && !run.checks[0].detail.is_empty());
    assert_eq!(releases::get(&f.store, &new).unwrap().state, ReleaseState::Deploying);

    let status = runs::status(&f.store, &f.project.id).unwrap();
    assert_eq!(status[2].rollback_to.as_deref(), Some("2.3.1"));
    let mut s = settings(command(&script));
    s.smoke = vec![http_check(&good, 0)];
    f.set_target("production", s);
    let job = engine::start_rollback(&f.store, &keychain(), &f.env("production"), &[], &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    assert_eq!(job.run.kind, RunKind::Rollback);
    assert_eq!(job.run.version, "2.3.1");
    let promotion = job.run.preflight.iter().find(|c| c.key == "promotion").unwrap();
    assert!(promotion.reason.contains("Skipped"));
    let rolled = engine::execute(f.store.clone(), job, CancellationToken::new(), fast(), &mut |_| {}).await;
    assert_eq!(rolled.state, RunState::Succeeded, "{}", rolled.outcome);
    assert_eq!(releases::get(&f.store, &new).unwrap().state, ReleaseState::RolledBack);
    assert_eq!(runs::status(&f.store, &f.project.id).unwrap()[2].current.as_ref().unwrap().version, "2.3.1");
    assert!(f.audit_actions().contains(&"deploy.rollbackStarted".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_environment_set_to_roll_back_by_itself_does() {
    let f = Fixture::new();
    let (bad, _) = server(vec![500]);
    let marker = f.dir.path().join("live");
    let script = f.script("deploy.sh", &format!("printf '%s' \"$LIFTOFF_VERSION\" > {}", marker.display()));
    let mut s = settings(command(&script));
    s.rollback_on_failure = true;
    // Only 2.0 is broken.
    s.smoke = vec![SmokeCheck::Command(CommandCheck { name: "Not 2.0".into(), command: "test \"$LIFTOFF_VERSION\" != 2.0".into(), timeout_secs: 5 })];
    let _ = bad;
    f.set_target("development", s);
    assert_eq!(f.deploy(&f.request("development", "1.0")).await.unwrap()[0].state, RunState::Succeeded);
    let runs = f.deploy(&f.request("development", "2.0")).await.unwrap();
    assert_eq!(runs.len(), 2, "the rollback followed by itself");
    assert_eq!(runs[0].state, RunState::FailedVerification);
    assert_eq!((runs[1].kind, runs[1].version.as_str(), runs[1].state), (RunKind::Rollback, "1.0", RunState::Succeeded));
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "1.0");
}

#[tokio::test(flavor = "multi_thread")]
async fn blue_green_deploys_to_the_idle_slot_switches_and_switches_back() {
    let f = Fixture::new();
    let (blue, _) = server(vec![200]);
    let (green, _) = server(vec![200]);
    let live = f.dir.path().join("live-slot");
    let mut s = settings(shell("echo \"deploying $LIFTOFF_VERSION to $LIFTOFF_SLOT at $LIFTOFF_SLOT_URL\""));
    s.smoke = vec![http_check("{url}/health", 0)];
    s.blue_green = Some(BlueGreen { blue_url: blue.clone(), green_url: green.clone(), switch: shell(&format!("printf '%s' \"$LIFTOFF_SLOT\" > {}", live.display())) });
    f.set_target("development", s);

    let first = f.deploy(&f.request("development", "1.0")).await.unwrap().remove(0);
    assert_eq!((first.state, first.slot.as_deref()), (RunState::Succeeded, Some("blue")), "{}", first.outcome);
    assert_eq!(std::fs::read_to_string(&live).unwrap(), "blue");
    let second = f.deploy(&f.request("development", "2.0")).await.unwrap().remove(0);
    assert_eq!((second.state, second.slot.as_deref()), (RunState::Succeeded, Some("green")));
    assert_eq!(std::fs::read_to_string(&live).unwrap(), "green");
    assert!(f.log(&second.id).iter().any(|l| l.contains(&format!("to green at {green}"))));
    assert_eq!(runs::status(&f.store, &f.project.id).unwrap()[0].live_slot.as_deref(), Some("green"));

    // Rolling back is switching back: no redeploy.
    let job = engine::start_rollback(&f.store, &keychain(), &f.env("development"), &[], &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    assert_eq!(job.run.kind, RunKind::SwitchBack);
    let back = engine::execute(f.store.clone(), job, CancellationToken::new(), fast(), &mut |_| {}).await;
    assert_eq!(back.state, RunState::Succeeded, "{}", back.outcome);
    assert_eq!(back.steps.len(), 1, "only the switch ran");
    assert_eq!(std::fs::read_to_string(&live).unwrap(), "blue");
    assert_eq!(runs::status(&f.store, &f.project.id).unwrap()[0].live_slot.as_deref(), Some("blue"));
}

#[test]
fn preflight_refuses_a_freeze_the_gate_and_an_unverified_promotion_until_someone_decides() {
    let f = Fixture::new();
    let script = f.script("deploy.sh", "true");
    f.set_target("production", settings(command(&script)));
    let release = f.release("3.0.0");
    let now = Utc::now();
    windows::create(
        &f.store,
        &f.project.id,
        &CalendarWindowDraft {
            kind: Some(WindowKind::Freeze),
            name: "Black Friday".into(),
            reason: "Peak sales".into(),
            start_local: (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M").to_string(),
            minutes: 180,
            time_zone: "UTC".into(),
            rule: None,
            exdates: Vec::new(),
            environment_ids: vec![f.env("production")],
        },
        now,
    )
    .unwrap();
    let mut req = f.request("production", "");
    req.release_id = Some(release.clone());
    let checks = engine::preflight(&f.store, &keychain(), &req, now, now.date_naive()).unwrap();
    let outcome = |key: &str| checks.iter().find(|c| c.key == key).map(|c| (c.outcome, c.overridable)).unwrap();
    assert_eq!(outcome("gate"), (CheckOutcome::Fail, true));
    assert_eq!(outcome("freeze"), (CheckOutcome::Fail, true));
    assert_eq!(outcome("promotion"), (CheckOutcome::Fail, true));
    assert_eq!(outcome("lock").0, CheckOutcome::Pass);
    assert!(checks.iter().find(|c| c.key == "freeze").unwrap().reason.contains("Black Friday"));
    let err = engine::start(&f.store, &keychain(), &req, &lead(), now, now.date_naive()).err().unwrap();
    assert!(matches!(err, DeployError::PreflightFailed(_)), "{err}");

    // The freeze does not hold staging.
    let staging = engine::preflight(&f.store, &keychain(), &f.request("staging", "3.0.0"), now, now.date_naive()).unwrap();
    assert_eq!(staging.iter().find(|c| c.key == "freeze").unwrap().outcome, CheckOutcome::Pass);

    // A gate decision alone is not recorded while the freeze still refuses.
    req.decisions = vec![Decision { check: "gate".into(), decided_by: "Dana (CTO)".into(), reason: "The outage fix cannot wait.".into() }];
    let refused = engine::start(&f.store, &keychain(), &req, &lead(), now, now.date_naive());
    assert!(matches!(refused, Err(DeployError::PreflightFailed(_))));
    let actions = f.audit_actions();
    assert!(!actions.contains(&"gate.overridden".to_owned()), "no override for a run that did not start: {actions:?}");

    // A decision without a reason is refused; with who and why it passes.
    req.decisions = vec![Decision { check: "freeze".into(), decided_by: "Lena".into(), reason: "".into() }];
    assert!(matches!(engine::start(&f.store, &keychain(), &req, &lead(), now, now.date_naive()), Err(DeployError::Invalid(_))));
    req.decisions = ["gate", "freeze", "promotion"]
        .iter()
        .map(|k| Decision { check: (*k).into(), decided_by: "Dana (CTO)".into(), reason: "The outage fix cannot wait.".into() })
        .collect();
    let job = engine::start(&f.store, &keychain(), &req, &lead(), now, now.date_naive()).unwrap();
    assert!(job.run.preflight.iter().filter(|c| c.outcome == CheckOutcome::Fail).all(|c| c.decision.is_some()));
    let actions = f.audit_actions();
    assert_eq!(actions.iter().filter(|a| *a == "deploy.overridden").count(), 2, "freeze and promotion: {actions:?}");
    assert!(actions.contains(&"gate.overridden".to_owned()), "the gate's override is the gate's own record");
    assert_eq!(releases::get(&f.store, &release).unwrap().state, ReleaseState::Deploying);

    // While it is running, a second deploy is refused naming who runs what.
    let second = engine::start(&f.store, &keychain(), &req, &lead(), now, now.date_naive()).err().unwrap();
    assert!(second.to_string().contains("Lena is deploying 3.0.0"), "{second}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_asked_for_elsewhere_stops_the_run_and_its_children() {
    let f = Fixture::new();
    let pid_file = f.dir.path().join("child.pid");
    f.set_target("staging", settings(shell(&format!("sleep 60 & echo $! > {}; wait", pid_file.display()))));
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let run_id = job.run.id.clone();
    let store = f.store.clone();
    let running = tokio::spawn(async move { engine::execute(store, job, CancellationToken::new(), fast(), &mut |_| {}).await });
    while !pid_file.exists() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // As the window does for a run the command line started: through the database.
    runs::request_cancel(&f.store, &run_id, &Actor { person_id: None, name: "Omar".into() }, Utc::now()).unwrap();
    let run = tokio::time::timeout(Duration::from_secs(10), running).await.expect("stopped in time").unwrap();
    assert_eq!(run.state, RunState::Cancelled, "{}", run.outcome);
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(!alive(pid), "the grandchild is gone");
    assert!(f.audit_actions().contains(&"deploy.cancelRequested".to_owned()));
    assert!(runs::request_cancel(&f.store, &run_id, &lead(), Utc::now()).is_err(), "an ended run cannot be cancelled");
}

/// A process that exists and is not a zombie (this machine's init may not
/// reap orphans).
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
}

#[test]
fn a_killed_process_that_nobody_reaped_counts_as_gone() {
    let mut sleeping = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    assert!(procs::start_time(sleeping.id()).is_some());
    let exited = std::process::Command::new("true").spawn().unwrap();
    let pid = exited.id();
    // Not waited for: a zombie until this process reaps it.
    std::thread::sleep(Duration::from_millis(300));
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "still in the process table");
    assert!(procs::start_time(pid).is_none(), "a zombie is not a live process");
    sleeping.kill().unwrap();
    sleeping.wait().unwrap();
    drop(exited);
}

#[test]
fn a_locked_keychain_fails_preflight_and_nothing_starts() {
    let f = Fixture::new();
    let mut s = settings(shell("true"));
    s.credentials = vec![liftoff_core::deploy::target::CredentialUse { name: "DEPLOY_TOKEN".into(), variable: "TOKEN".into() }];
    f.set_target("staging", s);
    // The credential's row exists; its value cannot be read (locked).
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    conn.execute(
        "INSERT INTO credentials (id, environment_id, name, kind, created_at) VALUES ('c1', ?1, 'DEPLOY_TOKEN', 'apiToken', '2026-01-01T00:00:00Z')",
        [f.env("staging")],
    )
    .unwrap();
    let locked = Keychain::with_entries(|_| {
        let mock = keyring::mock::MockCredential::default();
        mock.set_error(keyring::Error::NoStorageAccess(Box::new(std::io::Error::other("locked"))));
        Ok(Arc::new(keyring::Entry::new_with_credential(Box::new(mock))))
    });
    let checks = engine::preflight(&f.store, &locked, &f.request("staging", "1.0"), Utc::now(), Utc::now().date_naive()).unwrap();
    let creds = checks.iter().find(|c| c.key == "credentials").unwrap();
    assert_eq!(creds.outcome, CheckOutcome::Fail);
    assert!(creds.reason.to_lowercase().contains("keychain"), "{}", creds.reason);
    assert!(engine::start(&f.store, &locked, &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).is_err());
    assert!(runs::list(&f.store, &f.project.id, &RunQuery::default()).unwrap().is_empty(), "nothing started");
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.is_none());
}

#[test]
fn a_target_is_checked_field_by_field() {
    let f = Fixture::new();
    let mut s = settings(command(""));
    s.command.timeout_secs = -1;
    s.working_dir = "relative/dir".into();
    s.env = vec![EnvVar { name: "LIFTOFF_VERSION".into(), value: "x".into() }, EnvVar { name: "1BAD".into(), value: "x".into() }];
    s.blue_green = Some(BlueGreen { blue_url: String::new(), green_url: "ftp://x".into(), switch: shell("switch") });
    s.smoke = vec![http_check("not a url", 0)];
    let Err(DeployError::Invalid(fields)) = target::set(&f.store, &f.env("staging"), &s, Utc::now()) else { panic!("refused") };
    for key in ["command.program", "command.timeoutSecs", "workingDir", "env.0.name", "env.1.name", "blueGreen.blueUrl", "blueGreen.greenUrl", "smoke.0.url"] {
        assert!(fields.contains_key(key), "{key} in {fields:?}");
    }
    assert!(target::get(&f.store, &f.env("staging")).unwrap().is_none(), "nothing was saved");
}

#[test]
fn a_hand_lock_blocks_deploys_until_unlocked() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("true")));
    let env = f.env("staging");
    assert!(matches!(runs::lock(&f.store, &env, "", &lead(), Utc::now()), Err(DeployError::Invalid(_))));
    runs::lock(&f.store, &env, "Database migration in progress", &lead(), Utc::now()).unwrap();
    let err = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).err().unwrap();
    assert!(err.to_string().contains("Database migration in progress"), "{err}");
    runs::unlock(&f.store, &env, &lead(), Utc::now()).unwrap();
    engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let actions = f.audit_actions();
    assert!(actions.contains(&"deploy.locked".to_owned()) && actions.contains(&"deploy.unlocked".to_owned()));
}

#[test]
fn a_run_left_by_a_dead_process_is_interrupted_and_its_lock_released() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("true")));
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    // As if the Liftoff that ran it had been killed: a process that is gone.
    let dead = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    let mut dead = dead;
    dead.wait().unwrap();
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    conn.execute("UPDATE deploy_runs SET owner_pid = ?1, owner = ?3 WHERE id = ?2", rusqlite::params![dead_pid, job.run.id, format!("{dead_pid}-0000")]).unwrap();
    conn.execute("INSERT INTO deploy_log (run_id, seq, stream, text) VALUES (?1, 1, 0, 'half way')", [&job.run.id]).unwrap();
    let found = runs::recover_interrupted(&f.store, Utc::now()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].run.state, RunState::Interrupted);
    assert_eq!(f.log(&job.run.id), ["half way"], "the log it had is kept");
    assert!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.is_none());
    assert!(f.audit_actions().contains(&"deploy.interrupted".to_owned()));
    // A run whose owner is alive (this process) is left alone.
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.1"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    assert!(runs::recover_interrupted(&f.store, Utc::now()).unwrap().is_empty());
    assert_eq!(runs::get(&f.store, &job.run.id).unwrap().state, RunState::Running);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_log_keeps_its_head_and_tail_and_says_what_was_cut() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("i=0; while [ $i -lt 30000 ]; do echo \"line $i\"; i=$((i+1)); done")));
    let run = f.deploy(&f.request("staging", "1.0")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::Succeeded);
    let page = runs::log(&f.store, &run.id, 0, 50_000, None).unwrap();
    // 30,000 lines of the child plus Liftoff's own lines.
    assert!(page.total > 30_000);
    assert_eq!(page.cut as i64, page.total as i64 - runs::HEAD_LINES - runs::TAIL_LINES);
    assert_eq!(page.lines.len() as i64, runs::HEAD_LINES + runs::TAIL_LINES);
    assert!(page.lines.iter().any(|l| l.text == "line 0"));
    assert!(page.lines.iter().any(|l| l.text == "line 29999"));
    assert!(!page.lines.iter().any(|l| l.text == "line 15000"));
    let text = runs::log_text(&f.store, &run.id).unwrap();
    assert!(text.contains("lines cut here"));
    let found = runs::log(&f.store, &run.id, 0, 100, Some("line 2999")).unwrap();
    assert!(found.lines.iter().all(|l| l.text.contains("line 2999")) && !found.lines.is_empty());
}

/// Run by the race test in a separate process: starts a deploy against the
/// database in `LIFTOFF_RACE_DB`, waits for `LIFTOFF_RACE_GO`, prints the result.
#[test]
fn race_helper() {
    let (Ok(dir), Ok(env_id), Ok(go)) = (std::env::var("LIFTOFF_RACE_DB"), std::env::var("LIFTOFF_RACE_ENV"), std::env::var("LIFTOFF_RACE_GO")) else {
        return;
    };
    let store = Store::open_or_recover(Path::new(&dir), Utc::now()).unwrap().store;
    let go = PathBuf::from(go);
    while !go.exists() {
        std::thread::sleep(Duration::from_millis(2));
    }
    let req = DeployRequest { environment_id: env_id, release_id: None, version: "9.9".into(), build_ref: String::new(), decisions: Vec::new(), accept_warnings: true };
    match engine::start(&store, &keychain(), &req, &Actor { person_id: None, name: format!("process {}", std::process::id()) }, Utc::now(), Utc::now().date_naive()) {
        Ok(job) => {
            println!("RACE-RESULT started {}", job.run.id);
            // Stay alive a while: a lock whose owner has died is taken back.
            std::thread::sleep(Duration::from_secs(2));
        }
        Err(e) => println!("RACE-RESULT refused {e}"),
    }
}

#[test]
fn two_processes_deploying_one_environment_at_the_same_moment_start_exactly_one_run() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("sleep 5")));
    let go = f.dir.path().join("go");
    let spawn = || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "race_helper", "--nocapture", "--test-threads=1"])
            .env("LIFTOFF_RACE_DB", f.dir.path())
            .env("LIFTOFF_RACE_ENV", f.env("staging"))
            .env("LIFTOFF_RACE_GO", &go)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&go, "").unwrap();
    let outputs: Vec<String> = [a, b].into_iter().map(|c| String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap()).collect();
    let results: Vec<&str> = outputs.iter().flat_map(|o| o.lines().filter_map(|l| l.split_once("RACE-RESULT").map(|(_, r)| r))).collect();
    assert_eq!(results.len(), 2, "{outputs:?}");
    assert_eq!(results.iter().filter(|r| r.contains("started")).count(), 1, "{results:?}");
    let refused = results.iter().find(|r| r.contains("refused")).unwrap();
    assert!(refused.contains("is deploying 9.9") || refused.contains("try again"), "{refused}");
    let runs = runs::list(&f.store, &f.project.id, &RunQuery::default()).unwrap();
    assert_eq!(runs.len(), 1, "exactly one run was recorded");
}

// ---- Every process a step starts is found and stopped --------------------

/// A step that starts what escapes a process group: a `setsid` daemon, a
/// double fork, and a grandchild that ignores TERM; then waits (or exits).
fn escaping_step(dir: &Path, wait: bool) -> String {
    let ready = dir.join("ready");
    format!(
        "setsid sh -c 'sleep 61' >/dev/null 2>&1 < /dev/null &\n\
         ( (sleep 62 >/dev/null 2>&1 &) & )\n\
         sh -c 'trap \"\" TERM; sleep 63' >/dev/null 2>&1 &\n\
         sleep 0.3; touch {}\n{}",
        ready.display(),
        if wait { "sleep 60" } else { "echo started them" }
    )
}

async fn wait_for(path: &Path) {
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(std::time::Instant::now() < until, "{} never appeared", path.display());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_and_timeout_stop_daemons_that_left_the_group_and_a_term_ignoring_grandchild() {
    for how in ["cancel", "timeout"] {
        let f = Fixture::new();
        let mut spec = shell(&escaping_step(f.dir.path(), true));
        if how == "timeout" {
            spec.timeout_secs = 2;
        }
        f.set_target("staging", settings(spec));
        let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
        let run_id = job.run.id.clone();
        let cancel = CancellationToken::new();
        let (store, token) = (f.store.clone(), cancel.clone());
        let running = tokio::spawn(async move { engine::execute(store, job, token, fast(), &mut |_| {}).await });
        wait_for(&f.dir.path().join("ready")).await;
        assert!(procs::of_run(Some(&run_id), None).len() >= 4, "{how}: the step and its escapees run: {:?}", procs::of_run(Some(&run_id), None));
        if how == "cancel" {
            cancel.cancel();
        }
        let run = tokio::time::timeout(Duration::from_secs(20), running).await.expect("stopped in time").unwrap();
        let expected = if how == "cancel" { RunState::Cancelled } else { RunState::TimedOut };
        assert_eq!(run.state, expected, "{how}: {}", run.outcome);
        assert_eq!(procs::of_run(Some(&run_id), None), vec![], "{how}: no process of the run is left");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_step_leaves_running_is_stopped_unless_the_target_keeps_it() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell(&escaping_step(f.dir.path(), false))));
    let run = f.deploy(&f.request("staging", "1.0")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    assert_eq!(procs::of_run(Some(&run.id), None), vec![], "stopped with the step");
    let log = f.log(&run.id).join("\n");
    assert!(log.contains("background processes that Deploy left running"), "{log}");

    let mut keep = settings(shell(&escaping_step(f.dir.path(), false)));
    keep.leave_background = true;
    f.set_target("staging", keep);
    let run = f.deploy(&f.request("staging", "1.1")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let left = procs::of_run(Some(&run.id), None);
    assert!(left.len() >= 3, "left running as the target allows: {left:?}");
    assert!(f.log(&run.id).join("\n").contains("processes running, as the target allows"));
    procs::stop(Some(&run.id), None, Duration::from_secs(1));
    assert_eq!(procs::of_run(Some(&run.id), None), vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_whose_owner_pid_was_reused_by_another_process_is_taken_back() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("true")));
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    // Its owner died; its pid now belongs to an unrelated live process.
    let mut unrelated = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    conn.execute(
        "UPDATE deploy_runs SET owner_pid = ?1, owner = ?2 WHERE id = ?3",
        rusqlite::params![unrelated.id(), format!("{}-0badc0ffee00", unrelated.id()), job.run.id],
    )
    .unwrap();
    let next = engine::start(&f.store, &keychain(), &f.request("staging", "1.1"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    assert_eq!(runs::get(&f.store, &job.run.id).unwrap().state, RunState::Interrupted);
    assert_eq!(runs::status(&f.store, &f.project.id).unwrap()[1].lock.as_ref().and_then(|l| l.run_id.clone()), Some(next.run.id.clone()));
    assert!(f.audit_actions().contains(&"deploy.interrupted".to_owned()), "taken back with a note");
    assert!(procs::start_time(unrelated.id()).is_some(), "the unrelated process was not touched");
    unrelated.kill().unwrap();
    unrelated.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_deploy_stops_what_an_interrupted_run_left_running() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("true")));
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    // What the killed run's step had started, with the run's cookie.
    let mut daemon = std::process::Command::new("setsid").args(["sleep", "60"]).env(procs::COOKIE, &job.run.id).spawn().unwrap();
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    conn.execute("UPDATE deploy_runs SET owner = 'gone-0000' WHERE id = ?1", [&job.run.id]).unwrap();
    let found = runs::recover_interrupted(&f.store, Utc::now()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].leftovers.iter().map(|p| p.pid).collect::<Vec<_>>(), vec![daemon.id()], "reported by its cookie");
    let run = f.deploy(&f.request("staging", "1.1")).await.unwrap().remove(0);
    assert_eq!(run.state, RunState::Succeeded);
    assert!(f.log(&run.id).join("\n").contains(&format!("left running by the interrupted run {}", job.run.id)));
    assert!(daemon.try_wait().unwrap().is_some() || daemon.wait().is_ok());
    assert_eq!(procs::of_run(Some(&job.run.id), None), vec![]);
    assert!(f.audit_actions().contains(&"deploy.leftoverStopped".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_refuses_a_program_that_cannot_start_before_anything_changes() {
    let f = Fixture::new();
    let release = f.release("2.0.0");
    let folder = f.dir.path().join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let no_exec = f.dir.path().join("deploy.sh");
    std::fs::write(&no_exec, "#!/bin/sh\ntrue\n").unwrap();
    let no_interpreter = f.script("py.sh", "");
    std::fs::write(&no_interpreter, "#!/usr/bin/no-such-python\nprint(1)\n").unwrap();
    let env_missing = f.script("envpy.sh", "");
    std::fs::write(&env_missing, "#!/usr/bin/env no-such-tool-xyz\n").unwrap();
    let cases = [
        ("./missing.sh".to_owned(), "does not exist"),
        ("no-such-program-xyz".to_owned(), "not found on the PATH"),
        (folder.display().to_string(), "is a folder"),
        (no_exec.display().to_string(), "not executable"),
        (no_interpreter.clone(), "/usr/bin/no-such-python"),
        (env_missing.clone(), "no-such-tool-xyz"),
    ];
    for (program, says) in cases {
        f.set_target("production", settings(command(&program)));
        let mut req = f.request("production", "2.0.0");
        req.release_id = Some(release.clone());
        req.decisions = ["gate", "promotion"].iter().map(|k| Decision { check: (*k).into(), decided_by: "Dana".into(), reason: "Testing the program check.".into() }).collect();
        let checks = engine::preflight(&f.store, &keychain(), &req, Utc::now(), Utc::now().date_naive()).unwrap();
        let program_check = checks.iter().find(|c| c.key == "program").unwrap();
        assert_eq!(program_check.outcome, CheckOutcome::Fail, "{program}");
        assert!(program_check.reason.contains(says), "{program}: {}", program_check.reason);
        assert!(matches!(engine::start(&f.store, &keychain(), &req, &lead(), Utc::now(), Utc::now().date_naive()), Err(DeployError::PreflightFailed(_))));
    }
    assert!(runs::list(&f.store, &f.project.id, &RunQuery::default()).unwrap().is_empty(), "no run started");
    assert_eq!(releases::get(&f.store, &release).unwrap().state, ReleaseState::Draft, "the release did not move");
    assert!(!f.audit_actions().iter().any(|a| a == "gate.overridden"), "no override recorded for a run that did not start");
}

#[test]
fn only_the_last_process_to_close_the_database_counts_as_a_clean_close() {
    let dir = tempfile::tempdir().unwrap();
    let window = Store::open_or_recover(dir.path(), Utc::now()).unwrap();
    assert!(!window.checked_after_crash);
    // Command-line processes come and go while the window stays open.
    for _ in 0..20 {
        let cli = Store::open_or_recover(dir.path(), Utc::now()).unwrap();
        assert!(!cli.checked_after_crash, "another process having it open is no crash");
        cli.store.close_cleanly();
    }
    let marks = std::fs::read_dir(dir.path().join("liftoff.db.open.d")).unwrap().count();
    assert_eq!(marks, 1, "the window's marker stays");
    // The window crashes: the next opener checks the file.
    window.store.abandon_for_tests();
    let after = Store::open_or_recover(dir.path(), Utc::now()).unwrap();
    assert!(after.checked_after_crash);
    after.store.close_cleanly();
    let again = Store::open_or_recover(dir.path(), Utc::now()).unwrap();
    assert!(!again.checked_after_crash, "checked once; a clean close after it");
}

#[test]
fn versions_compare_by_their_numbers() {
    for (a, b) in [("2.3.1", "2.4.0"), ("2.3.10", "2.4.0"), ("2.4.0-rc.1", "2.4.0"), ("v1.9", "1.10"), ("2.4", "2.4.1")] {
        assert!(engine::version_older(a, b), "{a} < {b}");
        assert!(!engine::version_older(b, a), "not {b} < {a}");
    }
    assert!(!engine::version_older("2.4.0", "2.4.0"));
    assert!(!engine::version_older("2.4.0+build.7", "2.4.0"));
}

/// A running deploy's log and steps travel on its stream: the store reports
/// its start and its end as data changes, not each log write, so open pages
/// do not reload several times a second.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_raises_data_changes_at_its_start_and_end_only() {
    let f = Fixture::new();
    let mut s = settings(shell("i=0; while [ $i -lt 20 ]; do echo \"line $i\"; i=$((i+1)); sleep 0.05; done"));
    s.before = vec![ExtraStep { name: "Backup".into(), command: shell("echo backup") }];
    f.set_target("staging", s);
    let reports = Arc::new(std::sync::Mutex::new(0usize));
    let counter = reports.clone();
    f.store.subscribe(move |set| {
        if set.changes.iter().any(|c| c.kind == liftoff_core::store::ChangeKind::Deploy) {
            *counter.lock().unwrap() += 1;
        }
    });
    let mut events = Vec::new();
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.0"), &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let run = engine::execute(f.store.clone(), job, CancellationToken::new(), fast(), &mut |e| events.push(e)).await;
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    assert_eq!(*reports.lock().unwrap(), 2, "the run's start and its end");
    // The stream told it all: every step's start and end, every line, the end.
    let steps = events.iter().filter(|e| matches!(e, RunEvent::Step { .. })).count();
    assert_eq!(steps, 4, "two steps, each started and ended");
    let lines: usize = events.iter().map(|e| if let RunEvent::Lines { lines, .. } = e { lines.len() } else { 0 }).sum();
    assert_eq!(lines as i32, run.log_lines, "every stored line came over the stream");
    assert!(matches!(events.first(), Some(RunEvent::Started { .. })) && matches!(events.last(), Some(RunEvent::Ended { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_asked_for_before_the_last_one_ended_starts_when_that_one_ended() {
    let f = Fixture::new();
    f.set_target("staging", settings(shell("true")));
    // The time a deploy reads before its preflight: a minute before the run
    // that holds the lock ends (another process's, or the same window's).
    let asked = Utc::now() - chrono::Duration::seconds(60);
    let first = f.deploy(&f.request("staging", "1.0")).await.unwrap();
    let ended = first[0].ended_at.clone().expect("the first run ended");
    assert!(clock::to_text(asked) < ended);
    let job = engine::start(&f.store, &keychain(), &f.request("staging", "1.1"), &lead(), asked, asked.date_naive()).unwrap();
    assert_eq!(job.run.started_at, ended, "it starts as it takes the lock, not before the run before it ended");
    engine::execute_with_rollback(f.store.clone(), &keychain(), job, CancellationToken::new(), fast(), &mut |_| {}, &mut |_| {}).await;
    // Asked after the last run ended: its own time.
    let later = Utc::now() + chrono::Duration::seconds(60);
    let next = engine::start(&f.store, &keychain(), &f.request("staging", "1.2"), &lead(), later, later.date_naive()).unwrap();
    assert_eq!(next.run.started_at, clock::to_text(later));
}
