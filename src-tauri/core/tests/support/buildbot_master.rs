//! A real Buildbot master (4.3.0, with a `LocalWorker`) on loopback for the
//! tests: started from tests/support/buildbot/master.cfg in a temporary
//! folder from the tests' Python environment, one at a time, killed with
//! its builds when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use liftoff_core::http::Client;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::support_python::{python, root};

pub const USER: &str = "lead";
pub const PASSWORD: &str = "bb-pass-canary-5e1d";
/// In the master's environment, which Buildbot's header lines print.
/// The builders master.cfg sets up.
const BUILDERS: usize = 4;
pub const ENV_CANARY: &str = "bb-env-canary-93af";

/// One master at a time: several at once on a small machine make requests
/// wait past the client's timeout.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A running master, killed (with its build processes) when dropped.
pub struct Master {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Master {
    fn drop(&mut self) {
        // The master leads its own process group: its builds' shells go too.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn master() -> Master {
    use std::os::unix::process::CommandExt;
    let turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("master");
    let buildbot = python().parent().unwrap().join("buildbot");
    let out = Command::new(&buildbot)
        .args(["create-master", "-q"])
        .arg(&home)
        .output()
        .unwrap_or_else(|e| panic!("Could not run {} ({e}): the tests' Python environment needs buildbot (tests/support/requirements.txt).", buildbot.display()));
    assert!(out.status.success(), "buildbot create-master failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    std::fs::copy(root().join("src-tauri/core/tests/support/buildbot/master.cfg"), home.join("master.cfg")).unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("master.log")).unwrap();
    let child = Command::new(&buildbot)
        .args(["start", "--nodaemon"])
        .arg(&home)
        .env("LIFTOFF_BB_PORT", port.to_string())
        .env("LIFTOFF_BB_PASSWORD", PASSWORD)
        .env("LIFTOFF_BB_CANARY", ENV_CANARY)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap();
    let mut master = Master { child, base: format!("http://127.0.0.1:{port}"), _dir: dir, _turn: turn };
    wait_for_api(&mut master, &home).await;
    master
}

async fn wait_for_api(master: &mut Master, home: &Path) {
    let client = Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let started = Instant::now();
    loop {
        if let Ok(answer) = client.get(&format!("{}/api/v2/builders", master.base)).send(&CancellationToken::new()).await {
            let body: Value = answer.json().await.unwrap_or_default();
            if body["builders"].as_array().is_some_and(|b| b.len() == BUILDERS) {
                return;
            }
        }
        let log = || std::fs::read_to_string(home.join("twistd.log")).unwrap_or_default();
        if let Ok(Some(status)) = master.child.try_wait() {
            panic!("The Buildbot master ended ({status}) before its API answered. Its log:\n{}", log());
        }
        assert!(started.elapsed() < Duration::from_secs(90), "The Buildbot master's API did not answer within 90 s. Its log:\n{}", log());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

