//! Benchmark: the deploy engine with real child processes.
//!
//! - a child printing 1,000,000 lines as fast as it can, a secret in every
//!   tenth line (raw, base64, URL- and JSON-encoded): lines per second
//!   through the reader, the masker and the stored log; the stored log's
//!   size; the peak memory of this process;
//! - the time from "Deploy" (the start of `engine::start`, preflight
//!   included) to the child running, and from the child's exit to the run
//!   recorded, over 30 runs each.
//!
//! cargo run --release -p liftoff-core --example deploy_bench

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use chrono::Utc;
use liftoff_core::audit::Actor;
use liftoff_core::deploy::engine::{self, RunEvent, Timing};
use liftoff_core::deploy::runs;
use liftoff_core::deploy::target::{self, CommandSpec, CredentialUse, TargetKind, TargetSettings};
use liftoff_core::deploy::{DeployRequest, RunState};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::Store;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "s3cr3t-Token/with+chars=";

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

fn pct(xs: &[f64], p: f64) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[((s.len() - 1) as f64 * p) as usize]
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
    let project = projects::create(
        &store,
        &ProjectDraft { name: "Bench".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
        Utc::now(),
    )
    .unwrap();
    let env = liftoff_core::environments::list(&store, &project.id).unwrap().remove(0);
    // The secret comes from a keychain as in the app; this one lives in
    // memory (keyring's mock), so the benchmark needs no Secret Service.
    let entries: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<keyring::Entry>>>> = Arc::default();
    let keychain = Keychain::with_entries(move |account| {
        Ok(entries
            .lock()
            .unwrap()
            .entry(account.to_owned())
            .or_insert_with(|| Arc::new(keyring::Entry::new_with_credential(Box::new(keyring::mock::MockCredential::default()))))
            .clone())
    });
    liftoff_core::credentials::add(&store, &keychain, &env.id, "TOKEN", liftoff_core::credentials::CredentialKind::ApiToken, &SecretValue::new(SECRET), Utc::now())
        .unwrap();

    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    let script = dir.path().join("flood.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexec awk 'BEGIN {{ for (i = 0; i < 1000000; i++) {{ if (i % 10 == 0) printf \"line %d token=%s b64={b64} json=\\\"%s\\\"\\n\", i, ENVIRON[\"TOKEN\"], ENVIRON[\"TOKEN\"]; else printf \"line %d of the deploy, nothing secret here\\n\", i }} }}'\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let settings = TargetSettings {
        kind: TargetKind::LocalCommand,
        command: CommandSpec { program: script.display().to_string(), args: Vec::new(), through_shell: false, timeout_secs: 600 },
        working_dir: dir.path().display().to_string(),
        env: Vec::new(),
        credentials: vec![CredentialUse { name: "TOKEN".into(), variable: "TOKEN".into() }],
        before: Vec::new(),
        after: Vec::new(),
        smoke: Vec::new(),
        rollback_on_failure: false,
        leave_background: false,
        blue_green: None,
        remote: None,
        calls_deploy_system: false,
        acceptance_tests: Vec::new(),
    };
    target::set(&store, &env.id, &settings, Utc::now()).unwrap();
    let actor = Actor { person_id: None, name: "bench".into() };
    let req = DeployRequest { environment_id: env.id.clone(), release_id: None, version: "1.0".into(), build_ref: String::new(), decisions: Vec::new(), accept_warnings: true };

    println!("Deploy engine benchmark (release build, real child processes)");
    let db_before = std::fs::metadata(store.db_path()).map(|m| m.len()).unwrap_or(0);
    let job = engine::start(&store, &keychain, &req, &actor, Utc::now(), Utc::now().date_naive()).unwrap();
    let run_id = job.run.id.clone();
    let mut seen = 0u64;
    let mut leaked = 0u64;
    let mut sink = |event: RunEvent| {
        if let RunEvent::Lines { lines, .. } = event {
            seen += lines.len() as u64;
            leaked += lines.iter().filter(|l| l.text.contains(SECRET) || l.text.contains(&b64)).count() as u64;
        }
    };
    let started = Instant::now();
    let run = engine::execute(store.clone(), job, CancellationToken::new(), Timing::default(), &mut sink).await;
    let took = started.elapsed();
    assert_eq!(run.state, RunState::Succeeded, "{}", run.outcome);
    let conn = rusqlite::Connection::open(store.db_path()).unwrap();
    let stored_bytes: i64 = conn.query_row("SELECT coalesce(sum(length(text)), 0) FROM deploy_log WHERE run_id = ?1", [&run_id], |r| r.get(0)).unwrap();
    let stored_lines: i64 = conn.query_row("SELECT count(*) FROM deploy_log WHERE run_id = ?1", [&run_id], |r| r.get(0)).unwrap();
    let db_after = std::fs::metadata(store.db_path()).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(store.db_path().with_extension("db-wal")).map(|m| m.len()).unwrap_or(0);
    println!(
        "1,000,000 lines: {} lines through the masker to the sink and the log in {:.2} s = {:.0} lines/s; secrets leaked: {leaked}",
        seen,
        took.as_secs_f64(),
        seen as f64 / took.as_secs_f64()
    );
    println!(
        "stored log: {stored_lines} lines kept (head {} + tail {}), {:.1} KiB of text; database grew {:.1} MiB; peak memory of this process {:.1} MiB",
        runs::HEAD_LINES,
        runs::TAIL_LINES,
        stored_bytes as f64 / 1024.0,
        (db_after.saturating_sub(db_before)) as f64 / (1024.0 * 1024.0),
        peak_rss_mib()
    );

    // Latencies: Deploy -> child running; child exit -> run recorded.
    let stamp = dir.path().join("stamp.sh");
    std::fs::write(&stamp, format!("#!/bin/sh\ndate +%s%N > {0}/first\necho hello\ndate +%s%N > {0}/last\n", dir.path().display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stamp, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut quick = settings.clone();
    quick.command.program = stamp.display().to_string();
    quick.credentials.clear();
    target::set(&store, &env.id, &quick, Utc::now()).unwrap();
    let (mut to_child, mut to_record) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let t0 = now_ns();
        let job = engine::start(&store, &keychain, &req, &actor, Utc::now(), Utc::now().date_naive()).unwrap();
        let run = engine::execute(store.clone(), job, CancellationToken::new(), Timing { drain: Duration::from_millis(300), ..Timing::default() }, &mut |_| {}).await;
        let t_end = now_ns();
        assert_eq!(run.state, RunState::Succeeded);
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap().trim().parse::<u128>().unwrap();
        to_child.push((read("first") - t0) as f64 / 1e6);
        to_record.push((t_end - read("last")) as f64 / 1e6);
    }
    println!(
        "Deploy -> child running: median {:.1} ms, p95 {:.1} ms (preflight, the run and its lock recorded, the spawn, and the shell starting `date`)",
        pct(&to_child, 0.5),
        pct(&to_child, 0.95)
    );
    println!(
        "child's last line -> run recorded: median {:.1} ms, p95 {:.1} ms (the process's exit, the last log write, the run's end, the lock freed)",
        pct(&to_record, 0.5),
        pct(&to_record, 0.95)
    );
}
