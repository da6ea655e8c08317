//! Benchmark: the monitoring reads on three years of history (issue 24):
//! one project with 20 environments (4 of them protected production
//! regions), 1,800 releases, 50,000 runs with realistic preflight, steps and
//! checks, the commits each production deploy brought, and 7 days of health
//! samples every minute for each environment. Prints the database's size
//! and, over 20 warm reads each, the median and 95th percentile of
//! - the project's status board (`monitor::board::project_board`),
//! - the DORA metrics over 12 months, all production and one region
//!   (`monitor::metrics::dora_for`),
//! - the maturity review (`monitor::maturity::assess`),
//! - the history's first page (`monitor::history::page`);
//!
//! and the export and verify times of the evidence file of a release with
//! 200 runs (each with a 100-line masked log).
//!
//! cargo run --release -p liftoff-core --example monitor_bench

use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use liftoff_core::audit::Actor;
use liftoff_core::monitor::evidence::{self, EvidenceOptions};
use liftoff_core::monitor::history::{self, HistoryFilter};
use liftoff_core::monitor::metrics::{self, Period};
use liftoff_core::monitor::{board, maturity};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::{clock, Store};
use rusqlite::params;

const ENVIRONMENTS: usize = 20;
const PRODUCTION: usize = 4;
const RELEASES: usize = 1_800;
const RUNS: usize = 50_000;
const READS: usize = 20;

fn stats(mut ms: Vec<f64>) -> String {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p95 = ms[((ms.len() as f64 * 0.95).ceil() as usize).saturating_sub(1).min(ms.len() - 1)];
    format!("median {:.1} ms, p95 {:.1} ms, worst {:.1} ms ({} warm reads)", ms[ms.len() / 2], p95, ms[ms.len() - 1], ms.len())
}

fn timed<T>(mut f: impl FnMut() -> T) -> Vec<f64> {
    f(); // warm
    (0..READS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let store = Store::open_or_recover(dir.path(), now).unwrap().store;
    let project = projects::create(&store, &ProjectDraft { name: "Bench".into(), description: String::new(), repository: String::new(), time_zone: "Europe/Berlin".into() }, now).unwrap();
    let filled = Instant::now();
    let (env_ids, special) = fill(&store, &project.id, now);
    println!("== Monitoring on 3 years of history: {ENVIRONMENTS} environments ({PRODUCTION} production), {RELEASES} releases, {RUNS} runs");
    println!("filled in {:.1} s", filled.elapsed().as_secs_f64());
    let size: u64 = std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().starts_with("liftoff.db")).map(|e| e.metadata().unwrap().len()).sum();
    let count = |table: &str| -> i64 { store.reader().unwrap().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap() };
    println!(
        "database: {:.1} MB ({} runs, {} commits, {} health samples)",
        size as f64 / 1e6,
        count("deploy_runs"),
        count("run_commits"),
        count("health_samples")
    );

    println!("status board (aim: p95 < 100 ms):          {}", stats(timed(|| board::project_board(&store, &project.id, now).unwrap())));
    println!("DORA metrics, 12 months, all production:   {}", stats(timed(|| metrics::dora_for(&store, &project.id, None, Period::TwelveMonths, now).unwrap())));
    let region = env_ids[ENVIRONMENTS - 1].clone();
    println!("DORA metrics, 12 months, one region:       {}", stats(timed(|| metrics::dora_for(&store, &project.id, Some(&region), Period::TwelveMonths, now).unwrap())));
    println!("maturity review, 90 days:                  {}", stats(timed(|| maturity::assess(&store, &project.id, now).unwrap())));
    println!("history, first page of 50:                 {}", stats(timed(|| history::page(&store, &project.id, &HistoryFilter::default(), None, 50).unwrap())));
    let d = metrics::dora_for(&store, &project.id, None, Period::TwelveMonths, now).unwrap();
    println!("  (12 months: {} production deployments, {} metrics, {} weekly points each)", d.deployments, d.metrics.len(), d.metrics.first().map(|m| m.points.len()).unwrap_or(0));

    let actor = Actor { person_id: None, name: "bench".into() };
    let mut text = String::new();
    let t = Instant::now();
    let exported = evidence::export(&store, &special, EvidenceOptions { with_logs: true, with_addresses: false }, &actor, now, |t| {
        text = t.to_owned();
        Ok(())
    })
    .unwrap();
    let export_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let verified = evidence::verify(&text, Some(&exported.head));
    let verify_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert!(verified.intact, "the benchmark's own file verifies");
    println!(
        "evidence file of a release with 200 runs (100 log lines each): {} entries, {:.0} KiB; export {export_ms:.0} ms, verify {verify_ms:.0} ms",
        exported.entries,
        text.len() as f64 / 1024.0
    );
}

/// Three years of history, written as the engine would have left it.
fn fill(store: &Store, project_id: &str, now: DateTime<Utc>) -> (Vec<String>, String) {
    let start = now - Duration::days(3 * 365);
    store
        .write(|tx| {
            tx.execute("DELETE FROM environments WHERE project_id = ?1", params![project_id])?;
            let mut env_ids = Vec::new();
            for i in 0..ENVIRONMENTS {
                let id = format!("env-{i:02}");
                let protected = i >= ENVIRONMENTS - PRODUCTION;
                tx.execute(
                    "INSERT INTO environments (id, project_id, name, position, health_url, colour, protected, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, '#4b4fd1', ?6, ?7, ?7)",
                    params![id, project_id, if protected { format!("production-{}", i) } else { format!("stage-{i:02}") }, i as i64, format!("https://env{i}.example.com/health"), protected, clock::to_text(start)],
                )?;
                env_ids.push(id);
            }
            let mut release = tx.prepare("INSERT INTO releases (id, project_id, version, name, state, created_at, updated_at, hotfix) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?5, ?6)")?;
            for r in 0..RELEASES {
                let at = start + Duration::minutes((r as i64) * 3 * 365 * 24 * 60 / RELEASES as i64);
                release.execute(params![format!("rel-{r}"), project_id, format!("1.{r}.0"), if r + 5 < RELEASES { "released" } else { "planned" }, clock::to_text(at), r % 40 == 7])?;
            }
            release.execute(params!["rel-special", project_id, "9.9.9", "released", clock::to_text(now), false])?;
            let preflight = r#"[{"key":"target","label":"Target","outcome":"pass","reason":"ok","overridable":false,"decision":null},{"key":"gate","label":"Gate","outcome":"pass","reason":"checklist complete","overridable":true,"decision":null},{"key":"freeze","label":"Freeze","outcome":"pass","reason":"no freeze","overridable":true,"decision":null},{"key":"promotion","label":"Promotion","outcome":"pass","reason":"verified on the stage before","overridable":true,"decision":null}]"#;
            let steps = r#"[{"name":"Back up","state":"succeeded","startedAt":null,"endedAt":null,"durationMs":12000,"detail":"exit code 0"},{"name":"Deploy","state":"succeeded","startedAt":null,"endedAt":null,"durationMs":64000,"detail":"exit code 0"},{"name":"Smoke: health","state":"succeeded","startedAt":null,"endedAt":null,"durationMs":300,"detail":"200 OK","acceptance":true}]"#;
            let checks = r#"[{"name":"health","passed":true,"attempts":1,"elapsedMs":300,"status":200,"latencyMs":40,"detail":"200 OK in 40 ms"}]"#;
            let mut run = tx.prepare(
                "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, build_ref, kind, previous_version, started_by, started_at, ended_at, state, outcome, preflight, steps, checks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'Lena', ?9, ?10, ?11, '', ?12, ?13, ?14)",
            )?;
            let mut commit = tx.prepare("INSERT OR IGNORE INTO run_commits (run_id, environment_id, sha, committed_at, deployed_at) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            let mut read = tx.prepare("INSERT INTO run_commit_reads (run_id, environment_id, deployed_at, read_at, commits) VALUES (?1, ?2, ?3, ?3, ?4)")?;
            for n in 0..RUNS {
                let r = n * RELEASES / RUNS;
                let env = n % ENVIRONMENTS;
                let at = start + Duration::seconds((n as i64) * 3 * 365 * 24 * 3600 / RUNS as i64);
                let end = at + Duration::minutes(2);
                let (kind, state) = match n % 100 {
                    0..=3 => ("deploy", "failed"),
                    4 | 5 => ("deploy", "failedVerification"),
                    6 => ("deploy", "cancelled"),
                    7 => ("rollback", "succeeded"),
                    8 => ("deploy", "timedOut"),
                    _ => ("deploy", "succeeded"),
                };
                let id = format!("run-{n:06}");
                run.execute(params![
                    id,
                    project_id,
                    env_ids[env],
                    format!("rel-{r}"),
                    format!("1.{r}.0"),
                    format!("v1.{r}.0"),
                    kind,
                    (r > 0).then(|| format!("1.{}.0", r - 1)),
                    clock::to_text(at),
                    clock::to_text(end),
                    state,
                    preflight,
                    steps,
                    checks
                ])?;
                if env >= ENVIRONMENTS - PRODUCTION && kind == "deploy" && state == "succeeded" {
                    for c in 0..5 {
                        let committed = at - Duration::hours(2 + 7 * c);
                        commit.execute(params![id, env_ids[env], format!("{r:05}{c:02}{env:02}"), clock::to_text(committed), clock::to_text(end)])?;
                    }
                    read.execute(params![id, env_ids[env], clock::to_text(end), 5])?;
                }
            }
            // The release the evidence file is made of: 200 runs with logs.
            let mut log = tx.prepare("INSERT INTO deploy_log (run_id, seq, stream, text) VALUES (?1, ?2, 0, ?3)")?;
            for n in 0..200 {
                let id = format!("special-{n:03}");
                let at = now - Duration::hours(200 - n as i64);
                run.execute(params![id, project_id, env_ids[n % ENVIRONMENTS], "rel-special", "9.9.9", "v9.9.9", "deploy", "1.1799.0", clock::to_text(at), clock::to_text(at + Duration::minutes(2)), "succeeded", preflight, steps, checks])?;
                for seq in 0..100 {
                    log.execute(params![id, seq, format!("step {seq}: deploying 9.9.9 to region {} … ok", n % ENVIRONMENTS)])?;
                }
                tx.execute("UPDATE deploy_runs SET log_lines = 100 WHERE id = ?1", params![id])?;
            }
            // Seven days of health samples, one a minute per environment.
            let mut sample = tx.prepare("INSERT INTO health_samples (environment_id, at, ok, status, latency_ms, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            for env in &env_ids {
                for m in 0..7 * 24 * 60 {
                    let at = now - Duration::minutes(m);
                    let ok = m % 997 != 0;
                    sample.execute(params![env, clock::to_text(at), ok, if ok { 200 } else { 503 }, 30 + (m % 50), if ok { "" } else { "503 Service Unavailable" }])?;
                }
            }
            Ok::<_, rusqlite::Error>((env_ids, "rel-special".to_owned()))
        })
        .unwrap()
}
