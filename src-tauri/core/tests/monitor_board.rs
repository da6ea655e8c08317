//! The status board against a real SQLite store: each field of a
//! project's board, health checks of real loopback HTTP servers with their
//! retention, the release × environment matrix and its promotion rule, and
//! the board query's plan (indexes, never a scan of the runs).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use liftoff_core::audit::Actor;
use liftoff_core::deploy::runs;
use liftoff_core::deploy::{RunKind, RunState};
use liftoff_core::environments::{self, EnvironmentDraft};
use liftoff_core::monitor::board::{self, Matrix};
use liftoff_core::monitor::health::{self, HealthState, Sample, NO_URL, SLOW_MS};
use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft};
use liftoff_core::{clock, Store};
use rusqlite::params;
use tokio_util::sync::CancellationToken;

fn lead() -> Actor {
    Actor { person_id: None, name: "Lena".into() }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    project: Project,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_or_recover(dir.path(), now()).unwrap().store);
        let project = Fixture::project_in(&store, name);
        Fixture { _dir: dir, store, project }
    }

    fn project_in(store: &Store, name: &str) -> Project {
        projects::create(store, &ProjectDraft { name: name.into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() }, now())
            .unwrap()
    }

    fn env(&self, name: &str) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }

    fn release(&self, version: &str) -> String {
        releases::create(&self.store, &self.project.id, &ReleaseDraft { version: version.into(), name: format!("Release {version}"), scope: String::new(), target_date: None }, &lead(), now())
            .unwrap()
            .id
    }

    /// A run recorded as the engine records it, `minutes` before now.
    fn run(&self, env: &str, version: &str, release: Option<&str>, kind: &str, state: &str, minutes: i64) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        let started = now() - Span::minutes(minutes);
        let ended = (state != "running").then(|| clock::to_text(started + Span::minutes(1)));
        let steps = if state == "running" {
            r#"[{"name":"Migrate","state":"succeeded","startedAt":null,"endedAt":null,"durationMs":null,"detail":"exit code 0"},{"name":"Deploy","state":"running","startedAt":null,"endedAt":null,"durationMs":null,"detail":"copying files"}]"#
        } else {
            "[]"
        };
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, kind, started_by, started_at, ended_at, state, outcome, steps)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Omar', ?7, ?8, ?9, ?10, ?11)",
                    params![id, self.project.id, self.env(env), release, version, kind, clock::to_text(started), ended, state, format!("{state} in words"), steps],
                )
            })
            .unwrap();
        id
    }

    fn board(&self) -> board::ProjectBoard {
        board::project_board(&self.store, &self.project.id, now()).unwrap()
    }

    fn set_health_url(&self, env: &str, url: &str) {
        let e = environments::get(&self.store, &self.env(env)).unwrap();
        environments::update(
            &self.store,
            &e.id,
            &EnvironmentDraft { name: e.name, url: e.url, health_url: url.into(), colour: e.colour, protected: e.protected },
            now(),
        )
        .unwrap();
    }
}

/// A tiny HTTP server on loopback: `/ok` answers 200 at once, `/slow`
/// after `SLOW_MS` + 200 ms, `/sick` 503. Serves until the test ends.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let status = match path.as_str() {
                    "/ok" => "200 OK",
                    "/slow" => {
                        std::thread::sleep(Duration::from_millis(u64::from(SLOW_MS) + 200));
                        "200 OK"
                    }
                    "/sick" => "503 Service Unavailable",
                    _ => "404 Not Found",
                };
                let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            });
        }
    });
    base
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn the_board_shows_each_field_of_each_environment_in_pipeline_order() {
    let f = Fixture::new("Billing");
    let r1 = f.release("1.0.0");
    let r2 = f.release("1.1.0");
    // development: 1.1.0 deployed and verified; a rollback would go to 1.0.0.
    f.run("development", "1.0.0", Some(&r1), "deploy", "succeeded", 300);
    f.run("development", "1.1.0", Some(&r2), "deploy", "succeeded", 200);
    // staging: 1.1.0 failed verification (it is what runs there), then a
    // deploy of 1.2.0 failed (changed nothing), and a lock by hand.
    f.run("staging", "1.0.0", Some(&r1), "deploy", "succeeded", 250);
    let fv = f.run("staging", "1.1.0", Some(&r2), "deploy", "failedVerification", 150);
    let failed = f.run("staging", "1.2.0", None, "deploy", "failed", 100);
    runs::lock(&f.store, &f.env("staging"), "Database migration by hand", &lead(), now()).unwrap();
    // production: 1.0.0 running there, a run of 1.1.0 going on that waits
    // for an approval on its engine, and a deploy of 1.1.0 scheduled.
    f.run("production", "1.0.0", Some(&r1), "deploy", "succeeded", 240);
    let waiting = f.run("production", "1.1.0", Some(&r2), "deploy", "running", 5);
    f.store
        .write(|tx| {
            tx.execute(
                "UPDATE deploy_runs SET remote_ref = '{}', remote_url = 'https://github.example/run/7',
                   remote_status = 'waiting for approval on GitHub (production; reviewers: Ada)' WHERE id = ?1",
                params![waiting],
            )
        })
        .unwrap();
    let not_before = clock::to_text(now() + Span::hours(20));
    f.store
        .write(|tx| {
            for (id, at) in [("s-later", clock::to_text(now() + Span::days(3))), ("s-next", not_before.clone())] {
                tx.execute(
                    "INSERT INTO deploy_schedules (id, project_id, environment_id, release_id, version, not_before, expires_at, state, created_by, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, '1.1.0', ?5, '2027-01-30T00:00:00Z', 'scheduled', 'Lena', ?6, ?6)",
                    params![id, f.project.id, f.env("production"), r2, at, clock::to_text(now())],
                )?;
            }
            // A cancelled one sooner is not "next".
            tx.execute(
                "INSERT INTO deploy_schedules (id, project_id, environment_id, version, not_before, expires_at, state, created_by, created_at, updated_at)
                 VALUES ('s-gone', ?1, ?2, '0.9', ?3, '2027-01-30T00:00:00Z', 'cancelled', 'Lena', ?3, ?3)",
                params![f.project.id, f.env("production"), clock::to_text(now() + Span::hours(1))],
            )
        })
        .unwrap();
    // A freeze on production only, in force now; one on staging tomorrow.
    let freeze = |name: &str, start: DateTime<Utc>, env: &str| CalendarWindowDraft {
        kind: Some(WindowKind::Freeze),
        name: name.into(),
        reason: "Year-end closing".into(),
        start_local: start.format("%Y-%m-%dT%H:%M").to_string(),
        minutes: 180,
        time_zone: "UTC".into(),
        rule: None,
        exdates: Vec::new(),
        environment_ids: vec![f.env(env)],
    };
    windows::create(&f.store, &f.project.id, &freeze("Closing", now() - Span::hours(1), "production"), now()).unwrap();
    windows::create(&f.store, &f.project.id, &freeze("Tomorrow", now() + Span::days(1), "staging"), now()).unwrap();

    let b = f.board();
    assert_eq!(b.project_name, "Billing");
    let names: Vec<&str> = b.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["development", "staging", "production"], "pipeline order");
    let [dev, stg, prod] = [&b.environments[0], &b.environments[1], &b.environments[2]];

    assert_eq!(dev.running.as_ref().unwrap().version, "1.1.0");
    assert_eq!(dev.running.as_ref().unwrap().release_id.as_deref(), Some(r2.as_str()));
    assert_eq!(dev.latest.as_ref().unwrap().state, RunState::Succeeded);
    assert_eq!(dev.rollback_to.as_deref(), Some("1.0.0"));
    assert!(dev.lock.is_none() && dev.freeze.is_none() && dev.next_schedule.is_none() && dev.awaiting_approval.is_none());

    let running = stg.running.as_ref().unwrap();
    assert_eq!((running.id.as_str(), running.version.as_str(), running.state), (fv.as_str(), "1.1.0", RunState::FailedVerification), "failed verification still runs there");
    let latest = stg.latest.as_ref().unwrap();
    assert_eq!((latest.id.as_str(), latest.state, latest.started_by.as_str()), (failed.as_str(), RunState::Failed, "Omar"));
    assert_eq!(latest.outcome, "failed in words");
    assert_eq!(stg.rollback_to.as_deref(), Some("1.0.0"));
    let lock = stg.lock.as_ref().unwrap();
    assert_eq!((lock.held_by.as_str(), lock.reason.as_str(), lock.run_id.as_deref()), ("Lena", "Database migration by hand", None));
    assert!(stg.freeze.is_none(), "tomorrow's freeze is not in force now");

    assert_eq!(prod.running.as_ref().unwrap().version, "1.0.0");
    let latest = prod.latest.as_ref().unwrap();
    assert_eq!((latest.id.as_str(), latest.state), (waiting.as_str(), RunState::Running));
    assert_eq!(prod.live_step.as_deref(), Some("Deploy: copying files"), "the running step in words");
    let awaiting = prod.awaiting_approval.as_ref().unwrap();
    assert_eq!(awaiting.run_id, waiting);
    assert!(awaiting.words.starts_with("waiting for approval on GitHub"), "{}", awaiting.words);
    assert_eq!(awaiting.url.as_deref(), Some("https://github.example/run/7"));
    let next = prod.next_schedule.as_ref().unwrap();
    assert_eq!((next.id.as_str(), next.version.as_str(), next.not_before.as_str()), ("s-next", "1.1.0", not_before.as_str()));
    let frozen = prod.freeze.as_ref().unwrap();
    assert_eq!((frozen.name.as_str(), frozen.reason.as_str()), ("Closing", "Year-end closing"));
    assert_eq!(prod.rollback_to, None, "nothing else verified there");

    // No health URL: the board says what to do.
    assert_eq!(prod.health.state, HealthState::NoUrl);
    assert_eq!(prod.health.words, NO_URL);
    assert!(prod.health.sparkline.is_empty());

    // The all-projects board: one row per project, each environment a chip.
    let other = Fixture::project_in(&f.store, "Atlas");
    let all = board::all_projects(&f.store, now()).unwrap();
    assert_eq!(all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Atlas", "Billing"]);
    assert_eq!(all[0].project_id, other.id);
    assert!(all[0].chips.iter().all(|c| c.version.is_none() && c.latest_state.is_none()));
    let chips = &all[1].chips;
    assert_eq!(chips.iter().map(|c| c.version.as_deref()).collect::<Vec<_>>(), [Some("1.1.0"), Some("1.1.0"), Some("1.0.0")]);
    assert!(chips[1].locked && !chips[0].locked);
    assert!(chips[2].frozen && chips[2].awaiting_approval && chips[2].latest_state == Some(RunState::Running));
}

#[test]
fn an_environment_never_deployed_and_a_rolled_back_release_are_not_rollback_targets() {
    let f = Fixture::new("Billing");
    let b = f.board();
    assert!(b.environments.iter().all(|e| e.running.is_none() && e.latest.is_none() && e.rollback_to.is_none() && e.live_step.is_none()));
    let r1 = f.release("1.0.0");
    f.run("development", "1.0.0", Some(&r1), "deploy", "succeeded", 30);
    f.run("development", "1.1.0", None, "deploy", "succeeded", 20);
    f.store.write(|tx| tx.execute("UPDATE releases SET state = 'rolledBack' WHERE id = ?1", params![r1])).unwrap();
    assert_eq!(f.board().environments[0].rollback_to, None, "going back to a rolled-back release is not a rollback");
}

#[test]
fn health_checks_of_real_servers_are_stored_classified_and_kept_seven_days() {
    let f = Fixture::new("Billing");
    let base = serve();
    f.set_health_url("development", &format!("{base}/ok"));
    f.set_health_url("staging", &format!("{base}/slow"));
    f.set_health_url("production", &format!("{base}/sick"));
    // A sample from 8 days ago goes when new ones are written; one from 6 days ago stays.
    let old = |days: i64| Sample {
        environment_id: f.env("development"),
        at: clock::to_text(Utc::now() - Span::days(days)),
        ok: false,
        status: Some(500),
        latency_ms: Some(3),
        message: format!("from {days} days ago"),
    };
    health::record(&f.store, &[old(8), old(6)], Utc::now()).unwrap();

    let started = Instant::now();
    let samples = block_on(health::check_now(&f.store, std::slice::from_ref(&f.project.id), &CancellationToken::new())).unwrap();
    assert!(started.elapsed() < health::CHECK_TIMEOUT, "three checks ran at once, within the timeout");
    assert_eq!(samples.len(), 3);
    assert!(samples[0].ok && samples[1].ok && !samples[2].ok, "{samples:?}");
    assert_eq!(samples[2].status, Some(503));

    let stored: Vec<(String, String)> = f
        .store
        .read(|c| {
            let mut stmt = c.prepare("SELECT environment_id, message FROM health_samples ORDER BY at")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok::<_, liftoff_core::StoreError>(rows)
        })
        .unwrap();
    assert_eq!(stored.len(), 4, "three new samples and the one from 6 days ago: {stored:?}");
    assert!(stored.iter().all(|(_, m)| m != "from 8 days ago"), "older than 7 days: deleted");

    let b = board::project_board(&f.store, &f.project.id, Utc::now()).unwrap();
    let [dev, stg, prod] = [&b.environments[0].health, &b.environments[1].health, &b.environments[2].health];
    assert_eq!(dev.state, HealthState::Up, "{dev:?}");
    assert_eq!(dev.last_failure.as_ref().unwrap().message, "from 6 days ago", "the last failure in the kept week");
    assert_eq!(stg.state, HealthState::Slow, "{stg:?}");
    assert!(stg.latency_ms.unwrap() >= SLOW_MS);
    assert!(stg.words.contains("Slow"), "{}", stg.words);
    assert_eq!(prod.state, HealthState::Down);
    assert!(prod.words.contains("503") && prod.words.contains("unhealthy"), "{}", prod.words);
    assert_eq!(prod.last_failure.as_ref().unwrap().message, prod.words);
    // The sparkline: 24 hourly buckets, the check in the last one.
    assert_eq!(prod.sparkline.len(), health::SPARK_BUCKETS);
    let last = prod.sparkline.last().unwrap();
    assert_eq!((last.samples, last.failures), (1, 1));
    assert_eq!(dev.sparkline.last().unwrap().samples, 1);
    assert!(dev.sparkline.last().unwrap().latency_ms.is_some());
    assert!(dev.sparkline[..23].iter().all(|b| b.samples == 0), "the 6-day-old sample is outside the 24 hours");
}

#[test]
fn at_most_four_checks_run_at_once() {
    // Six slow targets: four at once take two rounds, all six at once one.
    let base = serve();
    let targets: Vec<health::Target> = (0..6).map(|i| health::Target { environment_id: format!("e{i}"), url: format!("{base}/slow") }).collect();
    let started = Instant::now();
    let samples = block_on(health::check_all(targets, &CancellationToken::new()));
    let took = started.elapsed();
    assert_eq!(samples.iter().map(|s| s.environment_id.as_str()).collect::<Vec<_>>(), ["e0", "e1", "e2", "e3", "e4", "e5"]);
    let one = Duration::from_millis(u64::from(SLOW_MS) + 200);
    assert!(took >= one * 2, "two rounds of at most four: {took:?}");
    assert!(took < one * 4, "not one at a time: {took:?}");
}

#[test]
fn the_matrix_shows_each_releases_latest_run_per_environment_and_the_next_promotion() {
    let f = Fixture::new("Billing");
    let r1 = f.release("1.0.0");
    let r2 = f.release("1.1.0");
    let r3 = f.release("1.2.0");
    f.release("1.3.0");
    // 1.0.0 went all the way.
    for (env, m) in [("development", 500), ("staging", 490), ("production", 480)] {
        f.run(env, "1.0.0", Some(&r1), "deploy", "succeeded", m);
    }
    // 1.1.0 verified on development, failed on staging then verified there: promote to production.
    f.run("development", "1.1.0", Some(&r2), "deploy", "succeeded", 300);
    f.run("staging", "1.1.0", Some(&r2), "deploy", "failed", 290);
    let r2_staging = f.run("staging", "1.1.0", Some(&r2), "deploy", "succeeded", 280);
    // 1.2.0: verified on development, failed on staging: promote to staging (again).
    f.run("development", "1.2.0", Some(&r3), "deploy", "succeeded", 100);
    let r3_staging = f.run("staging", "1.2.0", Some(&r3), "deploy", "failedVerification", 90);
    // 1.3.0: deployed nowhere yet: nothing to promote.
    let m: Matrix = board::matrix(&f.store, &f.project.id, 10).unwrap();
    assert_eq!(m.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["development", "staging", "production"]);
    assert_eq!(m.rows.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(), ["1.3.0", "1.2.0", "1.1.0", "1.0.0"], "newest first");
    let row = |v: &str| m.rows.iter().find(|r| r.version == v).unwrap();

    assert!(row("1.3.0").cells.iter().all(Option::is_none));
    assert_eq!(row("1.3.0").promote_to, None, "verified nowhere: a deploy, not a promotion");

    let cell = row("1.2.0").cells[1].clone().unwrap();
    assert_eq!((cell.run_id.as_str(), cell.state, cell.verified), (r3_staging.as_str(), RunState::FailedVerification, false));
    assert_eq!(cell.at, clock::to_text(now() - Span::minutes(89)), "the time it ended");
    assert_eq!(row("1.2.0").promote_to.as_deref(), Some(f.env("staging").as_str()));

    let cell = row("1.1.0").cells[1].clone().unwrap();
    assert_eq!((cell.run_id.as_str(), cell.state, cell.kind, cell.verified), (r2_staging.as_str(), RunState::Succeeded, RunKind::Deploy, true), "the latest run");
    assert!(row("1.1.0").cells[2].is_none());
    assert_eq!(row("1.1.0").promote_to.as_deref(), Some(f.env("production").as_str()));

    assert!(row("1.0.0").cells.iter().all(|c| c.as_ref().is_some_and(|c| c.verified)));
    assert_eq!(row("1.0.0").promote_to, None, "verified everywhere");

    // Running on the next stage: no second promotion; rolled back: none.
    f.run("production", "1.1.0", Some(&r2), "deploy", "running", 1);
    f.store.write(|tx| tx.execute("UPDATE releases SET state = 'rolledBack' WHERE id = ?1", params![r3])).unwrap();
    let m = board::matrix(&f.store, &f.project.id, 10).unwrap();
    let row = |v: &str| m.rows.iter().find(|r| r.version == v).unwrap();
    assert_eq!(row("1.1.0").promote_to, None);
    assert_eq!(row("1.1.0").cells[2].as_ref().unwrap().state, RunState::Running);
    assert_eq!(row("1.2.0").promote_to, None);

    // The limit keeps the newest.
    let m = board::matrix(&f.store, &f.project.id, 2).unwrap();
    assert_eq!(m.rows.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(), ["1.3.0", "1.2.0"]);
    assert!(matches!(board::matrix(&f.store, "nope", 10), Err(liftoff_core::deploy::DeployError::ProjectNotFound(_))));
}

/// 20 environments and 50,000 runs: the board walks the indexes, never the
/// runs, and answers well within 100 ms.
#[test]
fn the_board_query_walks_the_indexes() {
    let f = Fixture::new("Big");
    let start = now() - Span::days(3 * 365);
    f.store
        .write(|tx| {
            for i in 3..20 {
                tx.execute(
                    "INSERT INTO environments (id, project_id, name, position, colour, protected, health_url, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, '#777777', 0, 'http://127.0.0.1:9/health', ?5, ?5)",
                    params![format!("env-{i}"), f.project.id, format!("stage {i}"), i, clock::to_text(now())],
                )?;
            }
            let envs: Vec<String> = {
                let mut s = tx.prepare("SELECT id FROM environments WHERE project_id = ?1")?;
                let v = s.query_map(params![f.project.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                v
            };
            let mut insert = tx.prepare(
                "INSERT INTO deploy_runs (id, project_id, environment_id, version, kind, started_by, started_at, ended_at, state, steps, checks, preflight)
                 VALUES (?1, ?2, ?3, ?4, 'deploy', 'Omar', ?5, ?5, ?6, ?7, '[]', '[]')",
            )?;
            let big = format!("[{}]", vec![r#"{"name":"x","state":"succeeded","detail":"exit code 0"}"#; 20].join(","));
            for i in 0..50_000 {
                let at = clock::to_text(start + Span::minutes(i * 30));
                // Each environment gets every outcome (runs go round the environments).
                let state = match (i / envs.len() as i64) % 10 {
                    0 => "failed",
                    1 => "failedVerification",
                    _ => "succeeded",
                };
                insert.execute(params![format!("run-{i:06}"), f.project.id, envs[i as usize % envs.len()], format!("1.{}", i / 100), at, state, big])?;
            }
            let mut sample = tx.prepare("INSERT INTO health_samples (environment_id, at, ok, status, latency_ms, message) VALUES (?1, ?2, 1, 200, 40, 'ok')")?;
            for e in &envs {
                for m in 0..1440 {
                    sample.execute(params![e, clock::to_text(now() - Span::minutes(m))])?;
                }
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();

    let plan: Vec<String> = f
        .store
        .read(|c| {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {}", board::board_sql()))?;
            let rows = stmt.query_map(params![f.project.id], |r| r.get::<_, String>(3))?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok::<_, liftoff_core::StoreError>(rows)
        })
        .unwrap();
    let text = plan.join("\n");
    for (i, line) in plan.iter().enumerate() {
        assert!(!line.starts_with("SCAN"), "a table is scanned:\n{text}");
        // Only the few running runs and waiting schedules are sorted; an
        // environment's runs are read in the index's order.
        if line.contains("TEMP B-TREE") {
            assert!(plan[i - 1].contains("deploy_runs_running") || plan[i - 1].contains("deploy_schedules_due"), "runs are sorted instead of read in index order:\n{text}");
        }
    }
    assert!(text.contains("deploy_runs_by_environment (environment_id=?)"), "{text}");

    // Warm reads: the 95th percentile of 20 well under 100 ms.
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let b = board::project_board(&f.store, &f.project.id, now()).unwrap();
            assert_eq!(b.environments.len(), 20);
            t.elapsed()
        })
        .skip(1)
        .collect();
    times.sort();
    let p95 = times[18];
    eprintln!("board of 20 environments, 50,000 runs: p95 {p95:?}, median {:?}", times[10]);
    assert!(p95 < Duration::from_millis(100), "p95 {p95:?}");
    let b = board::project_board(&f.store, &f.project.id, now()).unwrap();
    assert!(b.environments.iter().all(|e| e.running.is_some() && e.latest.is_some()));
    assert!(b.environments.iter().filter(|e| e.health.state == HealthState::Up).count() >= 17);
}
