//! A deploy on a CI/CD engine outlives the command line that started it:
//! `liftoff deploy` killed with SIGKILL while the engine (a webhook on
//! loopback with a status URL) deploys leaves the run running and its
//! environment locked, not interrupted; `liftoff follow` takes it over and
//! runs it to its end without reading a log line twice.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use liftoff_core::deploy::runs::{self, RunQuery};
use liftoff_core::deploy::target::{self, RemoteTarget, TargetKind, TargetSettings};
use liftoff_core::deploy::RunState;
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::credentials::{self, CredentialKind};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::Store;

const BIN: &str = env!("CARGO_BIN_EXE_liftoff-cli");

/// A webhook that takes the deploy and reports it running (with a first log
/// line) until `done` is set, then succeeded with the second line.
fn webhook(done: Arc<AtomicBool>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
            let mut length = 0;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim_end().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let finished = done.load(Ordering::SeqCst);
            let all = "Deploying 3.1.0 on the engine\nDeployed 3.1.0\n";
            let upto = if finished { all.len() } else { all.find('\n').unwrap() + 1 };
            let (status, size, text): (u16, Option<usize>, String) = match (method.as_str(), path.as_str()) {
                ("POST", "/hooks/deploy") => (202, None, r#"{"status_url": "/status/9"}"#.to_owned()),
                ("GET", "/status/9") => {
                    let state = if finished { "succeeded" } else { "running" };
                    (200, None, format!(r#"{{"state": "{state}", "message": "rolling out", "log_url": "/log/9"}}"#))
                }
                ("GET", p) if p.starts_with("/log/9?start=") => {
                    let start: usize = p["/log/9?start=".len()..].parse().unwrap_or(0);
                    (200, Some(upto), all[start.min(upto)..upto].to_owned())
                }
                _ => (404, None, "{}".to_owned()),
            };
            let size = size.map(|n| format!("X-Text-Size: {n}\r\n")).unwrap_or_default();
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{size}Connection: close\r\n\r\n{text}", text.len());
        }
    });
    base
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
#[ignore = "needs a real Secret Service (run by scripts/test.sh)"]
fn a_deploy_whose_command_line_was_killed_is_followed_to_its_end_by_liftoff_follow() {
    let done = Arc::new(AtomicBool::new(false));
    let base = webhook(done.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
    let project = projects::create(&store, &ProjectDraft { name: "Shop".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() }, Utc::now()).unwrap();
    let staging = liftoff_core::environments::list(&store, &project.id).unwrap().into_iter().find(|e| e.name == "staging").unwrap().id;
    let mut s = TargetSettings::local_command(Default::default());
    s.kind = TargetKind::Webhook;
    s.remote = Some(RemoteTarget { url: format!("{base}/hooks/deploy"), credential: "HOOK_SECRET".into(), timeout_secs: 120, ..RemoteTarget::default() });
    // The webhook's signing secret, in the real keychain the command line reads.
    credentials::add(&store, &Keychain::os(), &staging, "HOOK_SECRET", CredentialKind::Other, &SecretValue::new("whsec_follow_canary"), Utc::now()).unwrap();
    target::set(&store, &staging, &target::validate(&s).unwrap(), Utc::now()).unwrap();
    let cmd = |args: &[&str]| {
        let mut c = Command::new(BIN);
        c.arg("--data-dir").arg(dir.path()).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").stdin(Stdio::null());
        c
    };

    // Nothing to follow yet.
    let idle = cmd(&["follow"]).output().unwrap();
    assert!(idle.status.success(), "{}", text(&idle));
    assert!(text(&idle).contains("No deploy goes on on a CI/CD engine without a Liftoff process following it."), "{}", text(&idle));

    // The deploy starts on the engine; its command line is killed there.
    let mut deploy = cmd(&["deploy", "--project", "Shop", "--env", "staging", "--version", "3.1.0", "--yes"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    let run_id = loop {
        let found = runs::list(&store, &project.id, &RunQuery::default()).unwrap();
        if let Some(r) = found.iter().find(|r| r.remote_ref.is_some() && runs::log(&store, &r.id, 0, 1000, None).unwrap().lines.iter().any(|l| l.text == "Deploying 3.1.0 on the engine")) {
            break r.id.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the engine never took the deploy: {found:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    deploy.kill().unwrap();
    deploy.wait().unwrap();

    // Any command's start-up recovery leaves it running and locked: the engine deploys.
    let listed = cmd(&["runs", "--project", "Shop"]).output().unwrap();
    assert!(!text(&listed).contains("was interrupted"), "{}", text(&listed));
    let run = runs::get(&store, &run_id).unwrap();
    assert_eq!(run.state, RunState::Running);
    let refused = cmd(&["deploy", "--project", "Shop", "--env", "staging", "--version", "3.1.1", "--yes"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(4), "the environment stays locked by the run: {}", text(&refused));

    // `liftoff follow` takes it over; the engine finishes meanwhile.
    let follower = cmd(&["follow"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    done.store(true, Ordering::SeqCst);
    let out = follower.wait_with_output_timeout(Duration::from_secs(60));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("(run {run_id}) went on on its CI/CD engine while no Liftoff process followed it")), "{}", text(&out));
    let run = runs::get(&store, &run_id).unwrap();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let log: Vec<String> = runs::log(&store, &run_id, 0, 1000, None).unwrap().lines.into_iter().map(|l| l.text).collect();
    assert_eq!(log.iter().filter(|l| *l == "Deploying 3.1.0 on the engine").count(), 1, "read once: {log:?}");
    assert!(log.iter().any(|l| l == "Deployed 3.1.0"), "{log:?}");
    assert!(runs::status(&store, &project.id).unwrap().iter().all(|s| s.lock.is_none()), "unlocked at the end");

    // Once ended, it is not followed again.
    let again = cmd(&["follow", "--run", &run_id]).output().unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("is not a deploy waiting to be followed"), "{}", text(&again));
    assert!(!text(&out).contains("whsec_follow_canary"));
    credentials::delete_all_in_environment(&store, &Keychain::os(), &staging).unwrap();
}

trait WaitTimeout {
    fn wait_with_output_timeout(self, limit: Duration) -> Output;
}

impl WaitTimeout for std::process::Child {
    fn wait_with_output_timeout(mut self, limit: Duration) -> Output {
        let started = Instant::now();
        while self.try_wait().unwrap().is_none() {
            if started.elapsed() > limit {
                let _ = self.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.wait_with_output().unwrap()
    }
}
