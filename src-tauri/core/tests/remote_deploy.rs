//! Deploys through CI/CD engines with the real deploy engine: a real
//! Buildbot master (tests/support/buildbot_master.rs), and GitHub Actions
//! through its recorded contract (tests/support/replay.rs). With the real SQLite file and the real OS
//! keychain (the engine's password is an environment credential): the log
//! streamed and stored without the password, failure named with its step,
//! cancel from Liftoff confirmed by the master and cancel on the master
//! seen by Liftoff, Check target naming a wrong password and an undeclared
//! parameter, and a run whose Liftoff process went away followed again to
//! its end by the next one. They need the Secret Service, so they run with
//! the keychain's tests (`--ignored`, under scripts/with-keyring.sh).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use liftoff_core::audit::Actor;
use liftoff_core::credentials::{self, CredentialKind};
use liftoff_core::deploy::engine::{self, RunEvent, Timing};
use liftoff_core::deploy::remote::buildbot::Buildbot;
use liftoff_core::deploy::runs::{self, RunState, StepState};
use liftoff_core::deploy::target::{self, EnvVar, RemoteTarget, TargetKind, TargetSettings};
use liftoff_core::deploy::DeployRequest;
use liftoff_core::http::Client;
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::{environments, Store};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

#[path = "support/python.rs"]
mod support_python;
#[path = "support/buildbot_master.rs"]
mod support_buildbot;
#[path = "support/replay.rs"]
mod replay;
use support_buildbot::{master, Master, PASSWORD, USER};


fn lead() -> Actor {
    Actor { person_id: None, name: "Lena".into() }
}

fn timing() -> Timing {
    Timing { grace: Duration::from_millis(300), drain: Duration::from_millis(200), flush_every: Duration::from_millis(50), remote_poll: Duration::from_millis(300) }
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    env_id: String,
    project_id: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
        let project = projects::create(
            &store,
            // A remote repository: nothing runs on this machine.
            &ProjectDraft { name: "Billing".into(), description: String::new(), repository: "https://git.example.com/billing.git".into(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        let env_id = environments::list(&store, &project.id).unwrap().into_iter().find(|e| e.name == "staging").unwrap().id;
        Fixture { dir, store, env_id, project_id: project.id }
    }

    fn keychain(&self) -> Keychain {
        Keychain::os()
    }

    /// The password as the environment's credential "BUILDBOT_PASSWORD".
    fn save_password(&self, value: &str) {
        self.save_credential("BUILDBOT_PASSWORD", value, CredentialKind::Password);
    }

    /// The environment's only credential.
    fn save_credential(&self, name: &str, value: &str, kind: CredentialKind) {
        credentials::delete_all_in_environment(&self.store, &self.keychain(), &self.env_id).unwrap();
        credentials::add(&self.store, &self.keychain(), &self.env_id, name, kind, &SecretValue::new(value), Utc::now()).unwrap();
    }

    fn settings(&self, master: &Master, builder: &str) -> TargetSettings {
        let mut s = TargetSettings::local_command(Default::default());
        s.kind = TargetKind::Buildbot;
        s.remote = Some(RemoteTarget {
            url: master.base.clone(),
            user: USER.into(),
            credential: "BUILDBOT_PASSWORD".into(),
            job: builder.into(),
            scheduler: builder.into(),
            project: String::new(),
            git_ref: String::new(),
            trigger_credential: String::new(),
            inputs: vec![EnvVar { name: "version".into(), value: "$LIFTOFF_VERSION".into() }],
            accept_warnings: false,
            timeout_secs: 120,
        });
        s
    }

    fn set_target(&self, master: &Master, builder: &str) {
        self.save_password(PASSWORD);
        target::set(&self.store, &self.env_id, &self.settings(master, builder), Utc::now()).unwrap();
    }

    fn request(&self, version: &str) -> DeployRequest {
        DeployRequest { environment_id: self.env_id.clone(), release_id: None, version: version.into(), build_ref: String::new(), decisions: Vec::new(), accept_warnings: true }
    }

    fn start(&self, version: &str) -> engine::Job {
        engine::start(&self.store, &self.keychain(), &self.request(version), &lead(), Utc::now(), Utc::now().date_naive()).unwrap()
    }

    fn log(&self, run_id: &str) -> Vec<String> {
        runs::log(&self.store, run_id, 0, 50_000, None).unwrap().lines.into_iter().map(|l| l.text).collect()
    }

    /// Everything the database file holds, as text.
    fn database_text(&self) -> String {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                all.extend(std::fs::read(&path).unwrap());
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    }

    fn cleanup(&self) {
        let _ = credentials::delete_all_in_environment(&self.store, &self.keychain(), &self.env_id);
    }
}

/// Executes the job on `runtime`; the lines streamed live go to the list
/// returned.
fn spawn_run(runtime: &tokio::runtime::Handle, store: &Arc<Store>, job: engine::Job, cancel: CancellationToken) -> (tokio::task::JoinHandle<runs::Run>, Arc<Mutex<Vec<String>>>) {
    let streamed = Arc::new(Mutex::new(Vec::new()));
    let (store, seen) = (store.clone(), streamed.clone());
    let running = runtime.spawn(async move {
        let mut sink = move |e: RunEvent| {
            if let RunEvent::Lines { lines: l, .. } = e {
                seen.lock().unwrap().extend(l.into_iter().map(|l| l.text));
            }
        };
        engine::execute(store, job, cancel, timing(), &mut sink).await
    });
    (running, streamed)
}

fn here() -> tokio::runtime::Handle {
    tokio::runtime::Handle::current()
}

async fn until_streamed(lines: &Arc<Mutex<Vec<String>>>, text: &str) {
    let started = Instant::now();
    while !lines.lock().unwrap().iter().any(|l| l == text) {
        assert!(started.elapsed() < Duration::from_secs(90), "no line {text:?} came: {:?}", lines.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The request's latest build as the master has it, read directly.
async fn build_on_master(master: &Master, run: &runs::Run) -> Value {
    let handle: Value = serde_json::from_str(run.remote_ref.as_deref().expect("the run keeps the engine's handle")).unwrap();
    let id = handle["buildrequestid"].as_u64().unwrap();
    let body: Value =
        Client::builder().build().unwrap().get(&format!("{}/api/v2/builds?buildrequestid={id}", master.base)).send(&CancellationToken::new()).await.unwrap().json().await.unwrap();
    body["builds"].as_array().and_then(|b| b.last()).cloned().unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service and Buildbot (run by scripts/test.sh)"]
async fn a_deploy_runs_on_buildbot_with_its_log_streamed_and_stored_without_the_password() {
    let master = master().await;
    let f = Fixture::new();
    f.set_target(&master, "deploy-ok");
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let (running, streamed) = spawn_run(&here(), &f.store, job, CancellationToken::new());
    let run = running.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let stored = f.log(&run_id);
    for expected in [format!("Deploying 1.4.2 (run {run_id})"), "Deployed 1.4.2".to_owned()] {
        assert!(stored.contains(&expected), "stored log lacks {expected:?}: {stored:?}");
        assert!(streamed.lock().unwrap().contains(&expected), "live stream lacks {expected:?}");
    }
    assert!(stored.iter().any(|l| l.starts_with("▶ Buildbot step “deploy”")), "{stored:?}");
    assert!(stored.iter().any(|l| l.starts_with("On Buildbot: ") && l.contains("/builds/")), "{stored:?}");
    let deploy = run.steps.iter().find(|s| s.name == "Deploy").unwrap();
    assert_eq!(deploy.state, StepState::Succeeded);
    assert!(deploy.detail.contains("build successful"), "{deploy:?}");
    assert!(run.remote_url.as_deref().is_some_and(|u| u.starts_with(&master.base)), "{run:?}");
    assert_eq!(run.remote_status.as_deref(), Some("build successful"));
    assert_eq!(build_on_master(&master, &run).await["results"], 0);
    // The password: in the keychain only.
    assert!(!f.database_text().contains(PASSWORD), "the engine's password reached the database folder");
    assert!(stored.iter().all(|l| !l.contains(PASSWORD)));
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service and Buildbot (run by scripts/test.sh)"]
async fn a_build_that_fails_fails_the_run_naming_the_step() {
    let master = master().await;
    let f = Fixture::new();
    f.set_target(&master, "deploy-fail");
    let job = f.start("1.4.3");
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Failed, "{}", run.outcome);
    assert!(run.outcome.contains("failed on Buildbot in its step “deploy”"), "{}", run.outcome);
    assert!(f.log(&run.id).contains(&"migration failed".to_owned()));
    assert!(runs::status(&f.store, &f.project_id).unwrap().iter().all(|s| s.lock.is_none()), "the lock is freed");
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service and Buildbot (run by scripts/test.sh)"]
async fn cancelled_from_liftoff_the_build_is_cancelled_on_the_master() {
    let master = master().await;
    let f = Fixture::new();
    f.set_target(&master, "deploy-slow");
    let job = f.start("1.5.0");
    let cancel = CancellationToken::new();
    let (running, streamed) = spawn_run(&here(), &f.store, job, cancel.clone());
    until_streamed(&streamed, "step 1").await;
    cancel.cancel();
    let run = running.await.unwrap();
    assert_eq!(run.state, RunState::Cancelled, "{}", run.outcome);
    assert!(run.outcome.contains("Cancelled on Buildbot; it confirmed"), "{}", run.outcome);
    assert_eq!(build_on_master(&master, &run).await["results"], 6, "cancelled on the master");
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service and Buildbot (run by scripts/test.sh)"]
async fn cancelled_on_the_master_the_run_ends_cancelled() {
    let master = master().await;
    let f = Fixture::new();
    f.set_target(&master, "deploy-slow");
    let job = f.start("1.5.1");
    let run_id = job.run.id.clone();
    let (running, streamed) = spawn_run(&here(), &f.store, job, CancellationToken::new());
    until_streamed(&streamed, "step 1").await;
    // Someone stops it on the master.
    let stored = runs::get(&f.store, &run_id).unwrap();
    let handle: Value = serde_json::from_str(stored.remote_ref.as_deref().unwrap()).unwrap();
    let bb = Buildbot::login(&master.base, USER, PASSWORD, &CancellationToken::new()).await.unwrap();
    bb.cancel(handle["buildrequestid"].as_u64().unwrap(), "stopped by hand", Duration::from_secs(30), &CancellationToken::new()).await.unwrap();
    let run = running.await.unwrap();
    assert_eq!(run.state, RunState::Cancelled, "{}", run.outcome);
    assert!(run.outcome.contains("cancelled on Buildbot"), "{}", run.outcome);
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service and Buildbot (run by scripts/test.sh)"]
async fn check_target_names_a_wrong_password_and_an_undeclared_parameter() {
    let master = master().await;
    let f = Fixture::new();
    f.save_password("not-the-password");
    let settings = f.settings(&master, "deploy-ok");
    let checked = engine::check_target(f.store.clone(), f.keychain(), &f.env_id, &settings).await.unwrap();
    assert_eq!(checked.problems.len(), 1, "{checked:?}");
    assert!(checked.problems[0].starts_with("Buildbot refused the password for lead"), "{checked:?}");
    assert!(!checked.problems[0].contains("not-the-password"));

    f.save_password(PASSWORD);
    let mut undeclared = settings.clone();
    undeclared.remote.as_mut().unwrap().inputs.push(EnvVar { name: "region".into(), value: "eu".into() });
    let checked = engine::check_target(f.store.clone(), f.keychain(), &f.env_id, &undeclared).await.unwrap();
    assert_eq!(checked.problems.len(), 1, "{checked:?}");
    assert!(checked.problems[0].contains("does not declare the parameter “region”"), "{checked:?}");

    let checked = engine::check_target(f.store.clone(), f.keychain(), &f.env_id, &settings).await.unwrap();
    assert!(checked.problems.is_empty(), "{checked:?}");
    assert!(checked.summary.contains("may start the builder “deploy-ok”"), "{checked:?}");
    // Nothing was started.
    let body: Value = Client::builder().build().unwrap().get(&format!("{}/api/v2/builds", master.base)).send(&CancellationToken::new()).await.unwrap().json().await.unwrap();
    assert_eq!(body["builds"].as_array().map(Vec::len), Some(0), "Check target started a build");
    f.cleanup();
}

#[test]
#[ignore = "needs a real Secret Service and Buildbot (run by scripts/test.sh)"]
fn a_run_whose_liftoff_went_away_is_followed_again_to_its_end_by_the_next() {
    // The first Liftoff: its own runtime and store, dropped mid-build (its
    // tasks die with the runtime, its owner marker is let go as a killed
    // process's is).
    let outer = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let master = outer.block_on(master());
    let f = Fixture::new();
    f.set_target(&master, "deploy-pause");
    let job = f.start("2.0.0");
    let run_id = job.run.id.clone();
    let first = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (_, streamed) = spawn_run(first.handle(), &f.store, job, CancellationToken::new());
    outer.block_on(until_streamed(&streamed, "Deploying 2.0.0"));
    first.shutdown_timeout(Duration::from_secs(5));
    let Fixture { dir, store, env_id, .. } = f;
    assert_eq!(Arc::strong_count(&store), 1, "the first Liftoff's tasks are gone");
    drop(store);

    // The next Liftoff: the run is still running (the engine deploys), not
    // interrupted, and its lock holds.
    let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
    assert!(runs::recover_interrupted(&store, Utc::now()).unwrap().is_empty(), "a run the engine still deploys is not interrupted");
    let detached = runs::detached(&store).unwrap();
    assert_eq!(detached.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [run_id.as_str()]);
    assert_eq!(detached[0].state, RunState::Running);
    let refused = engine::start(
        &store,
        &Keychain::os(),
        &DeployRequest { environment_id: env_id.clone(), release_id: None, version: "2.0.1".into(), build_ref: String::new(), decisions: Vec::new(), accept_warnings: true },
        &lead(),
        Utc::now(),
        Utc::now().date_naive(),
    );
    assert!(refused.is_err(), "the lock stays the run's while the engine deploys");

    let job = engine::reattach(&store, &Keychain::os(), &run_id, Utc::now()).unwrap().expect("the run is followed again");
    assert!(engine::reattach(&store, &Keychain::os(), &run_id, Utc::now()).unwrap().is_none(), "followed once");
    let run = outer.block_on(spawn_run(outer.handle(), &store, job, CancellationToken::new()).0).unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log: Vec<String> = runs::log(&store, &run_id, 0, 50_000, None).unwrap().lines.into_iter().map(|l| l.text).collect();
    assert_eq!(log.iter().filter(|l| *l == "Deploying 2.0.0").count(), 1, "lines read before are not read again: {log:?}");
    assert!(log.contains(&"Deployed 2.0.0 after the pause".to_owned()), "{log:?}");
    assert!(log.iter().any(|l| l.starts_with("Following again")), "{log:?}");
    let seqs: Vec<i32> = runs::log(&store, &run_id, 0, 50_000, None).unwrap().lines.iter().map(|l| l.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "line numbers go on: {seqs:?}");
    assert!(runs::status(&store, &runs::get(&store, &run_id).unwrap().project_id).unwrap().iter().all(|s| s.lock.is_none()));
    let _ = credentials::delete_all_in_environment(&store, &Keychain::os(), &env_id);
    drop(master);
}

/// The workflow deploy.yml of acme/shop on main at `url`, with the token
/// credential GITHUB_TOKEN and the version as an input.
fn github_target(url: &str) -> TargetSettings {
    let mut s = TargetSettings::local_command(Default::default());
    s.kind = TargetKind::GithubActions;
    s.remote = Some(RemoteTarget {
        url: url.to_owned(),
        credential: "GITHUB_TOKEN".into(),
        job: "deploy.yml".into(),
        project: "acme/shop".into(),
        git_ref: "main".into(),
        inputs: vec![EnvVar { name: "version".into(), value: "$LIFTOFF_VERSION".into() }],
        timeout_secs: 120,
        ..RemoteTarget::default()
    });
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_deploy_runs_as_a_github_actions_workflow_with_each_jobs_log() {
    const TOKEN: &str = "ghp_engine_canary_7d1e";
    let path = replay::fixtures().join("github/run-details-and-logs.json");
    let mut fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The dispatch's body names the run's id, known once the run exists:
    // checked below.
    let dispatch = fixture["exchanges"][0]["request"].as_object_mut().unwrap();
    dispatch.remove("json");
    dispatch.insert("any_body".into(), Value::Bool(true));
    let replay = replay::Replay::serve("github/run-details-and-logs.json, through the engine", fixture, &[("token", TOKEN)]).await;
    let f = Fixture::new();
    f.save_credential("GITHUB_TOKEN", TOKEN, CredentialKind::ApiToken);
    target::set(&f.store, &f.env_id, &github_target(replay.api()), Utc::now()).unwrap();
    // Preflight says what the deploy starts, and that the token is there.
    let checks = engine::preflight(&f.store, &f.keychain(), &f.request("1.4.2"), Utc::now(), Utc::now().date_naive()).unwrap();
    let reason = |key: &str| checks.iter().find(|c| c.key == key).map(|c| c.reason.clone()).unwrap_or_default();
    assert_eq!(reason("target"), "GitHub Actions starts the workflow deploy.yml of acme/shop on main.");
    assert_eq!(reason("credentials"), "“GITHUB_TOKEN” in the keychain.");
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log = f.log(&run_id);
    for expected in ["built shop 1.4.2", "deployed 1.4.2 to production", "▶ GitHub Actions step “build”", "✔ GitHub Actions step “deploy”: completed: success"] {
        assert!(log.iter().any(|l| l == expected), "no line {expected:?}: {log:?}");
    }
    assert_eq!(log.iter().filter(|l| *l == "built shop 1.4.2").count(), 1, "each job's log once");
    assert_eq!(run.remote_url.as_deref(), Some("https://github.example.com/acme/shop/actions/runs/30433642"));
    replay.finish();
    let seen = replay.seen();
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["ref"], "main");
    assert_eq!(body["inputs"]["liftoff_run_id"], run_id.as_str());
    assert_eq!(body["inputs"]["version"], "1.4.2");
    assert!(seen.iter().filter(|s| s.host == "logs").all(|s| s.header("authorization").is_none()), "the token stays with the API");
    assert!(!f.database_text().contains(TOKEN) && log.iter().all(|l| !l.contains(TOKEN)));
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_github_run_waiting_for_approval_says_so_with_who_may_approve_then_goes_on() {
    const TOKEN: &str = "ghp_engine_canary_a11c";
    let read = |name: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(replay::fixtures().join(name)).unwrap()).unwrap() };
    let (deploy, approval) = (read("github/run-details-and-logs.json"), read("github/approval.json"));
    let pick = |fixture: &Value, i: usize| -> Value {
        let mut x = fixture["exchanges"][i].clone();
        // Conditional requests depend on what came before in that fixture.
        if let Some(h) = x["request"]["headers"].as_object_mut() {
            h.remove("if-none-match");
        }
        x
    };
    let mut dispatch = pick(&deploy, 0);
    dispatch["request"].as_object_mut().unwrap().remove("json");
    dispatch["request"]["any_body"] = Value::Bool(true);
    // Dispatched; the run waits for production's reviewers; then it is done.
    let exchanges = vec![dispatch, pick(&approval, 0), pick(&approval, 1), pick(&approval, 2), pick(&deploy, 9), pick(&deploy, 6), pick(&deploy, 3), pick(&deploy, 4), pick(&deploy, 7), pick(&deploy, 8)];
    let replay = replay::Replay::serve("github approval, through the engine", serde_json::json!({ "exchanges": exchanges }), &[("token", TOKEN)]).await;
    let f = Fixture::new();
    f.save_credential("GITHUB_TOKEN", TOKEN, CredentialKind::ApiToken);
    target::set(&f.store, &f.env_id, &github_target(replay.api()), Utc::now()).unwrap();
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log = f.log(&run_id);
    let waiting = "… The deploy is waiting for approval on GitHub Actions (production; reviewers: octocat, team ops; Liftoff's login may approve it there).";
    assert_eq!(log.iter().filter(|l| *l == waiting).count(), 1, "said once: {log:?}");
    replay.finish();
    f.cleanup();
}

/// One request a loopback webhook received: method, path, headers (lower
/// case), body.
type Received = (String, String, Vec<(String, String)>, Vec<u8>);

/// A webhook on loopback: accepts the deploy with a status URL, reports it
/// running with a log, then succeeded; keeps every request.
fn webhook_server() -> (String, Arc<Mutex<Vec<Received>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let kept = seen.clone();
    std::thread::spawn(move || {
        let mut status_reads = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
                }
            }
            let length: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            kept.lock().unwrap().push((method.clone(), path.clone(), headers, body));
            // The log grows between status reads; X-Text-Size is the next byte.
            let (status, size, text): (u16, Option<usize>, String) = match (method.as_str(), path.as_str()) {
                ("POST", "/hooks/deploy") => (202, None, r#"{"status_url": "/status/7"}"#.to_owned()),
                ("GET", "/status/7") => {
                    status_reads += 1;
                    let state = if status_reads < 3 { "running" } else { "succeeded" };
                    (200, None, format!(r#"{{"state": "{state}", "message": "rolling out", "url": "http://deploys.example.com/ui/7", "log_url": "/log/7", "cancel_url": "/cancel/7"}}"#))
                }
                ("GET", p) if p.starts_with("/log/7?start=") => {
                    let start: usize = p["/log/7?start=".len()..].parse().unwrap_or(0);
                    let all = "Deploying 1.4.2 with the webhook\nDeployed 1.4.2\n";
                    let upto = if status_reads < 2 { all.find('\n').unwrap() + 1 } else { all.len() };
                    (200, Some(upto), all[start.min(upto)..upto].to_owned())
                }
                _ => (404, None, "{}".to_owned()),
            };
            let size = size.map(|n| format!("X-Text-Size: {n}\r\n")).unwrap_or_default();
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{size}Connection: close\r\n\r\n{text}", text.len());
        }
    });
    (base, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_webhook_gets_the_deploy_signed_once_and_is_followed_through_its_status_and_log() {
    use hmac::Mac;
    const SECRET: &str = "whsec_canary_3e9d";
    let (base, seen) = webhook_server();
    let f = Fixture::new();
    f.save_credential("HOOK_SECRET", SECRET, CredentialKind::Other);
    let mut s = TargetSettings::local_command(Default::default());
    s.kind = TargetKind::Webhook;
    s.remote = Some(RemoteTarget {
        url: format!("{base}/hooks/deploy"),
        credential: "HOOK_SECRET".into(),
        inputs: vec![EnvVar { name: "region".into(), value: "eu".into() }],
        timeout_secs: 60,
        ..RemoteTarget::default()
    });
    target::set(&f.store, &f.env_id, &s, Utc::now()).unwrap();
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log = f.log(&run_id);
    for expected in ["Deploying 1.4.2 with the webhook", "Deployed 1.4.2"] {
        assert_eq!(log.iter().filter(|l| *l == expected).count(), 1, "{expected:?} once: {log:?}");
    }
    assert!(log.iter().any(|l| l.starts_with("The webhook took the deploy: the deploy, followed at ")), "{log:?}");
    assert_eq!(run.remote_url.as_deref(), Some("http://deploys.example.com/ui/7"));
    let seen = seen.lock().unwrap().clone();
    let posts: Vec<&Received> = seen.iter().filter(|r| r.0 == "POST").collect();
    assert_eq!(posts.len(), 1, "sent once");
    let (_, _, headers, body) = posts[0];
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(header("idempotency-key"), Some(run_id.as_str()));
    // The receiver's check: the HMAC-SHA256 of the body with the shared secret.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header("x-liftoff-signature"), Some(format!("sha256={expected}").as_str()));
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sent["liftoff_run_id"], run_id.as_str());
    assert_eq!(sent["version"], "1.4.2");
    assert_eq!(sent["environment"], "staging");
    assert_eq!(sent["inputs"]["region"], "eu");
    assert!(!String::from_utf8_lossy(body).contains(SECRET) && seen.iter().all(|r| r.2.iter().all(|(_, v)| !v.contains(SECRET))), "the secret itself is never sent");
    assert!(!f.database_text().contains(SECRET));
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_run_waiting_on_github_is_approved_from_liftoff_and_the_audit_log_says_who() {
    const TOKEN: &str = "ghp_engine_canary_ap77";
    let approval: Value = serde_json::from_str(&std::fs::read_to_string(replay::fixtures().join("github/approval.json")).unwrap()).unwrap();
    let exchanges = vec![approval["exchanges"][3].clone(), approval["exchanges"][4].clone()];
    let replay = replay::Replay::serve("github approve, through the engine", serde_json::json!({ "exchanges": exchanges }), &[("token", TOKEN)]).await;
    let f = Fixture::new();
    f.save_credential("GITHUB_TOKEN", TOKEN, CredentialKind::ApiToken);
    target::set(&f.store, &f.env_id, &github_target(replay.api()), Utc::now()).unwrap();
    // A run that reached GitHub (its handle stored) and waits there.
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let handle = serde_json::json!({ "engine": "github", "run_id": 30433642, "liftoff_run_id": run_id, "url": null }).to_string();
    rusqlite::Connection::open(f.store.db_path()).unwrap().execute("UPDATE deploy_runs SET remote_ref = ?1 WHERE id = ?2", rusqlite::params![handle, run_id]).unwrap();
    let dana = Actor { person_id: None, name: "Dana".into() };
    engine::answer_approval(f.store.clone(), f.keychain(), &run_id, true, "Approved in Liftoff by Dana", &dana, Utc::now()).await.unwrap();
    replay.finish();
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    let (action, actor, summary, reason): (String, String, String, String) = conn
        .query_row("SELECT action, actor, summary, reason FROM audit_log WHERE action LIKE 'deploy.appro%' OR action = 'deploy.rejected'", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    assert_eq!((action.as_str(), actor.as_str(), reason.as_str()), ("deploy.approved", "Dana", "Approved in Liftoff by Dana"));
    assert!(summary.starts_with("Approved on GitHub Actions the deploy of 1.4.2 to staging"), "{summary}");
    // Nothing to approve on an engine that has no approvals, said in words.
    let ended = engine::answer_approval(f.store.clone(), f.keychain(), "no-such-run", true, "", &dana, Utc::now()).await;
    assert!(ended.is_err());
    f.cleanup();
}

/// A recorded contract whose first exchange (the trigger) holds the run's
/// id, known only once the run exists: its body is accepted as sent and
/// checked by the test.
async fn replay_with_trigger(fixture: &str, vars: &[(&str, &str)]) -> replay::Replay {
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(replay::fixtures().join(fixture)).unwrap()).unwrap();
    let trigger = json["exchanges"][0]["request"].as_object_mut().unwrap();
    trigger.remove("json");
    trigger.remove("form");
    trigger.insert("any_body".into(), Value::Bool(true));
    replay::Replay::serve(&format!("{fixture}, through the engine"), json, vars).await
}

fn engine_target(kind: TargetKind, remote: RemoteTarget) -> TargetSettings {
    let mut s = TargetSettings::local_command(Default::default());
    s.kind = kind;
    s.remote = Some(RemoteTarget { inputs: vec![EnvVar { name: "VERSION".into(), value: "$LIFTOFF_VERSION".into() }], timeout_secs: 120, ..remote });
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_deploy_runs_as_a_gitlab_pipeline_with_each_traces_new_text_once() {
    const TOKEN: &str = "glpat-engine-canary-61b2";
    let replay = replay_with_trigger("gitlab/pipeline-followed.json", &[("token", TOKEN)]).await;
    let f = Fixture::new();
    f.save_credential("GITLAB_TOKEN", TOKEN, CredentialKind::ApiToken);
    let remote = RemoteTarget { url: replay.api().to_owned(), credential: "GITLAB_TOKEN".into(), project: "acme/shop".into(), git_ref: "main".into(), ..RemoteTarget::default() };
    target::set(&f.store, &f.env_id, &engine_target(TargetKind::GitlabCi, remote), Utc::now()).unwrap();
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log = f.log(&run_id);
    for once in ["deploying 1.4.2 to production", "healthy", "built shop 1.4.2"] {
        assert_eq!(log.iter().filter(|l| *l == once).count(), 1, "{once:?} once: {log:?}");
    }
    assert_eq!(log.iter().filter(|l| *l == "Job succeeded").count(), 2, "one per job: {log:?}");
    assert!(log.iter().all(|l| !l.contains("section_start") && !l.contains(TOKEN)), "{log:?}");
    replay.finish();
    let sent: Value = serde_json::from_slice(&replay.seen()[0].body).unwrap();
    let variables: Vec<(String, String)> = sent["variables"].as_array().unwrap().iter().map(|v| (v["key"].as_str().unwrap().to_owned(), v["value"].as_str().unwrap().to_owned())).collect();
    assert!(variables.contains(&("LIFTOFF_RUN_ID".into(), run_id.clone())) && variables.contains(&("VERSION".into(), "1.4.2".into())), "{variables:?}");
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_deploy_runs_as_a_jenkins_build_from_its_queue_item_with_its_log_in_chunks() {
    use base64::Engine as _;
    const TOKEN: &str = "11c0ffee-engine-canary-jk-77aa";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("lead:{TOKEN}"));
    let replay = replay_with_trigger("jenkins/token-queue-to-build.json", &[("basic", &basic)]).await;
    let f = Fixture::new();
    // An API token: no crumb, no session.
    f.save_credential("JENKINS_TOKEN", TOKEN, CredentialKind::ApiToken);
    let remote = RemoteTarget { url: replay.api().to_owned(), user: "lead".into(), credential: "JENKINS_TOKEN".into(), job: "shop/deploy".into(), ..RemoteTarget::default() };
    target::set(&f.store, &f.env_id, &engine_target(TargetKind::Jenkins, remote), Utc::now()).unwrap();
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log = f.log(&run_id);
    assert!(log.iter().any(|l| l.starts_with("Jenkins took the deploy: queue item 17")), "{log:?}");
    assert!(log.iter().all(|l| !l.contains(TOKEN)));
    replay.finish();
    let form = String::from_utf8(replay.seen()[0].body.clone()).unwrap();
    assert!(form.contains(&format!("LIFTOFF_RUN_ID={run_id}")) && form.contains("VERSION=1.4.2"), "{form}");
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_failed_github_run_is_rerun_as_a_new_liftoff_run_of_its_failed_jobs() {
    const TOKEN: &str = "ghp_engine_canary_rr41";
    let read = |name: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(replay::fixtures().join(name)).unwrap()).unwrap() };
    let (deploy, cancel) = (read("github/run-details-and-logs.json"), read("github/cancel.json"));
    let pick = |fixture: &Value, i: usize| -> Value {
        let mut x = fixture["exchanges"][i].clone();
        if let Some(h) = x["request"]["headers"].as_object_mut() {
            h.remove("if-none-match");
        }
        x
    };
    // Rerun the failed jobs, then the run (a new attempt) is followed to its end.
    let exchanges = vec![pick(&cancel, 5), pick(&deploy, 9), pick(&deploy, 6), pick(&deploy, 3), pick(&deploy, 4), pick(&deploy, 7), pick(&deploy, 8)];
    let replay = replay::Replay::serve("github rerun, through the engine", serde_json::json!({ "exchanges": exchanges }), &[("token", TOKEN)]).await;
    let f = Fixture::new();
    f.save_credential("GITHUB_TOKEN", TOKEN, CredentialKind::ApiToken);
    target::set(&f.store, &f.env_id, &github_target(replay.api()), Utc::now()).unwrap();
    // A run that failed on GitHub.
    let failed = f.start("1.4.2").run.id;
    let handle = serde_json::json!({ "engine": "github", "run_id": 30433642, "liftoff_run_id": failed, "url": null }).to_string();
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    conn.execute("UPDATE deploy_runs SET state = 'failed', ended_at = started_at, remote_ref = ?1 WHERE id = ?2", rusqlite::params![handle, failed]).unwrap();
    conn.execute("DELETE FROM deploy_locks", []).unwrap();

    let job = engine::start_rerun(&f.store, &f.keychain(), &failed, &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let again = job.run.id.clone();
    assert_ne!(again, failed, "a new Liftoff run");
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    assert!(f.log(&again).contains(&"deployed 1.4.2 to production".to_owned()));
    let stored: Value = serde_json::from_str(run.remote_ref.as_deref().unwrap()).unwrap();
    assert_eq!((stored["run_id"].as_u64(), stored["liftoff_run_id"].as_str()), (Some(30433642), Some(again.as_str())));
    replay.finish();
    // A run that succeeded is not run again.
    assert!(engine::start_rerun(&f.store, &f.keychain(), &again, &lead(), Utc::now(), Utc::now().date_naive()).is_err());
    f.cleanup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
async fn a_gitlab_target_with_a_trigger_token_creates_its_pipeline_through_the_trigger_api() {
    const TOKEN: &str = "glpat-engine-canary-read-0c1d";
    const TRIGGER: &str = "glptt-engine-canary-trig-5e6f";
    let read = |name: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(replay::fixtures().join(name)).unwrap()).unwrap() };
    let (trigger, followed) = (read("gitlab/trigger-token.json"), read("gitlab/pipeline-followed.json"));
    // The trigger with its form (the run's id checked below), then the pipeline followed as before.
    let mut first = trigger["exchanges"][0].clone();
    let request = first["request"].as_object_mut().unwrap();
    request.remove("form");
    request.insert("any_body".into(), Value::Bool(true));
    let mut exchanges = vec![first];
    exchanges.extend(followed["exchanges"].as_array().unwrap()[1..].iter().cloned());
    let replay = replay::Replay::serve("gitlab trigger token, through the engine", serde_json::json!({ "exchanges": exchanges }), &[("token", TOKEN), ("trigger", TRIGGER)]).await;
    let f = Fixture::new();
    credentials::delete_all_in_environment(&f.store, &f.keychain(), &f.env_id).unwrap();
    for (name, value) in [("GITLAB_TOKEN", TOKEN), ("GITLAB_TRIGGER", TRIGGER)] {
        credentials::add(&f.store, &f.keychain(), &f.env_id, name, CredentialKind::ApiToken, &SecretValue::new(value), Utc::now()).unwrap();
    }
    let remote = RemoteTarget {
        url: replay.api().to_owned(),
        credential: "GITLAB_TOKEN".into(),
        trigger_credential: "GITLAB_TRIGGER".into(),
        project: "acme/shop".into(),
        git_ref: "main".into(),
        ..RemoteTarget::default()
    };
    target::set(&f.store, &f.env_id, &engine_target(TargetKind::GitlabCi, remote), Utc::now()).unwrap();
    let job = f.start("1.4.2");
    let run_id = job.run.id.clone();
    let run = spawn_run(&here(), &f.store, job, CancellationToken::new()).0.await.unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    replay.finish();
    let seen = replay.seen();
    let form = String::from_utf8(seen[0].body.clone()).unwrap();
    assert!(form.contains(&format!("variables%5BLIFTOFF_RUN_ID%5D={run_id}")) && form.contains(&format!("token={TRIGGER}")), "{form}");
    assert!(seen[0].header("private-token").is_none(), "the trigger API gets the trigger token only");
    let log = f.log(&run_id);
    assert!(log.iter().all(|l| !l.contains(TRIGGER) && !l.contains(TOKEN)));
    f.cleanup();
}
