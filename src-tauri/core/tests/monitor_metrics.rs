//! DORA metrics on a fixed data set with known answers (a rollback, a
//! switch back, a failed verification, hotfixes, a deploy that did not
//! complete, a quiet week, a project with no production deploys), and the
//! commits of real production deploys read from a real git repository (a
//! commit deployed twice counts at its first deploy; no repository is
//! "not measured" with why).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use liftoff_core::audit::Actor;
use liftoff_core::deploy::engine::{self, Timing};
use liftoff_core::deploy::target::{self, CommandSpec, TargetKind, TargetSettings};
use liftoff_core::deploy::{Decision, DeployRequest, RunState};
use liftoff_core::environments;
use liftoff_core::deploy::commits::{self, ReadOutcome};
use liftoff_core::monitor::dora_bands::Band;
use liftoff_core::monitor::metrics::{self, Measured, Metric, MetricKey, MetricsError, Period};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft};
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use rusqlite::{params, Connection};
use tokio_util::sync::CancellationToken;

fn lead() -> Actor {
    Actor { person_id: None, name: "Lena".into() }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap()
}

struct Data {
    _dir: tempfile::TempDir,
    store: Store,
    project: Project,
    production: String,
    staging: String,
}

fn project(store: &Store, name: &str, repository: &str) -> Project {
    projects::create(store, &ProjectDraft { name: name.into(), description: String::new(), repository: repository.into(), time_zone: "UTC".into() }, now() - Duration::days(400))
        .unwrap()
}

fn env_id(store: &Store, project: &Project, name: &str) -> String {
    environments::list(store, &project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
}

fn release(store: &Store, project: &Project, version: &str) -> String {
    releases::create(store, &project.id, &ReleaseDraft { version: version.into(), name: format!("Release {version}"), scope: String::new(), target_date: None }, &lead(), now() - Duration::days(300))
        .unwrap()
        .id
}

/// Writes a past run straight into the database, as another process would
/// have recorded it. Ends ten minutes after it starts unless `ended` says.
#[allow(clippy::too_many_arguments)]
fn run(conn: &Connection, project: &str, env: &str, release: Option<&str>, version: &str, kind: &str, state: &str, started: &str, ended: Option<&str>) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let started_at = at(started);
    let ended = ended.map(str::to_owned).unwrap_or_else(|| liftoff_core::clock::to_text(started_at + Duration::minutes(10)));
    conn.execute(
        "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, kind, started_by, started_at, ended_at, state, steps)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'Lena', ?7, ?8, ?9, '[{\"name\":\"Deploy\"}]')",
        params![id, project, env, release, version, kind, started, ended, state],
    )
    .unwrap();
    id
}

fn commit_row(conn: &Connection, run: &str, env: &str, sha: &str, committed: &str, deployed: &str) {
    conn.execute(
        "INSERT INTO run_commits (run_id, environment_id, sha, committed_at, deployed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run, env, sha, committed, deployed],
    )
    .unwrap();
}

fn read_row(conn: &Connection, run: &str, env: &str, deployed: &str, commits: i64, problem: Option<&str>) {
    conn.execute(
        "INSERT INTO run_commit_reads (run_id, environment_id, deployed_at, read_at, commits, problem) VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
        params![run, env, deployed, commits, problem],
    )
    .unwrap();
}

/// The fixed data set. Production, fail window 24 h, period ending
/// 2026-07-01T00:00Z (13 weeks from 2026-04-01T00:00Z):
///
/// | run | kind, state                    | started      | notes |
/// | D0  | deploy succeeded               | Mar 1 10:00  | before the period |
/// | D1  | deploy succeeded               | Apr 1 10:00  | commits c1 (24 h), c2 (2 h) |
/// | D2  | deploy failedVerification      | Apr 2 10:00  | failed |
/// | R1  | rollback succeeded             | Apr 2 11:00  | rework; D2 recovers in 1 h |
/// | D3  | deploy succeeded               | Apr 3 10:00  | commits not read (problem) |
/// | S1  | switchBack succeeded           | Apr 3 16:00  | rework; D3 failed, recovers in 6 h |
/// | D4  | deploy succeeded               | Apr 6 10:00  | commit c3 (24 h) |
/// | X1  | deploy failed                  | Apr 7 10:00  | did not complete |
/// | D5  | deploy (hotfix) succeeded      | Apr 7 12:00  | rework; 26 h after D4: D4 not failed |
/// | —   | quiet week Apr 8 to Apr 15      |              | |
/// | D6  | deploy succeeded               | Apr 15 10:00 | |
/// | D7  | deploy (hotfix) succeeded      | Apr 15 20:00 | rework; D6 failed, recovers in 10 h |
/// | D8  | deploy succeeded               | Apr 16 10:00 | commits c4 (240 h), c5 (1 h) |
/// | C1  | deploy cancelled               | Apr 16 12:00 | did not complete |
/// | st  | deploys on staging             |              | never counted |
fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), now() - Duration::days(400)).unwrap().store;
    let project = project(&store, "Billing", "");
    let production = env_id(&store, &project, "production");
    let staging = env_id(&store, &project, "staging");
    let plain = release(&store, &project, "1.0.0");
    let hotfix1 = release(&store, &project, "1.2.1");
    let hotfix2 = release(&store, &project, "1.3.1");
    metrics::set_hotfix(&store, &hotfix1, true, &lead(), now()).unwrap();
    metrics::set_hotfix(&store, &hotfix2, true, &lead(), now()).unwrap();
    let conn = Connection::open(store.db_path()).unwrap();
    let (p, e) = (project.id.as_str(), production.as_str());
    let d0 = run(&conn, p, e, Some(&plain), "0.9.0", "deploy", "succeeded", "2026-03-01T10:00:00Z", None);
    let d1 = run(&conn, p, e, Some(&plain), "1.0.0", "deploy", "succeeded", "2026-04-01T10:00:00Z", None);
    run(&conn, p, e, None, "1.1.0", "deploy", "failedVerification", "2026-04-02T10:00:00Z", None);
    run(&conn, p, e, None, "1.0.0", "rollback", "succeeded", "2026-04-02T11:00:00Z", None);
    let d3 = run(&conn, p, e, None, "1.1.1", "deploy", "succeeded", "2026-04-03T10:00:00Z", None);
    run(&conn, p, e, None, "1.0.0", "switchBack", "succeeded", "2026-04-03T16:00:00Z", None);
    let d4 = run(&conn, p, e, None, "1.2.0", "deploy", "succeeded", "2026-04-06T10:00:00Z", None);
    run(&conn, p, e, None, "1.2.1", "deploy", "failed", "2026-04-07T10:00:00Z", None);
    run(&conn, p, e, Some(&hotfix1), "1.2.1", "deploy", "succeeded", "2026-04-07T12:00:00Z", None);
    run(&conn, p, e, None, "1.3.0", "deploy", "succeeded", "2026-04-15T10:00:00Z", None);
    run(&conn, p, e, Some(&hotfix2), "1.3.1", "deploy", "succeeded", "2026-04-15T20:00:00Z", None);
    let d8 = run(&conn, p, e, None, "1.4.0", "deploy", "succeeded", "2026-04-16T10:00:00Z", None);
    run(&conn, p, e, None, "1.5.0", "deploy", "cancelled", "2026-04-16T12:00:00Z", None);
    for day in 1..10 {
        run(&conn, p, &staging, None, "1.0.0", if day % 2 == 0 { "rollback" } else { "deploy" }, "succeeded", &format!("2026-04-{:02}T08:00:00Z", day), None);
    }
    commit_row(&conn, &d0, e, "c0", "2026-02-20T10:10:00Z", "2026-03-01T10:10:00Z");
    commit_row(&conn, &d1, e, "c1", "2026-03-31T10:10:00Z", "2026-04-01T10:10:00Z");
    commit_row(&conn, &d1, e, "c2", "2026-04-01T08:10:00Z", "2026-04-01T10:10:00Z");
    commit_row(&conn, &d4, e, "c3", "2026-04-05T10:10:00Z", "2026-04-06T10:10:00Z");
    commit_row(&conn, &d8, e, "c4", "2026-04-06T10:10:00Z", "2026-04-16T10:10:00Z");
    commit_row(&conn, &d8, e, "c5", "2026-04-16T09:10:00Z", "2026-04-16T10:10:00Z");
    read_row(&conn, &d0, e, "2026-03-01T10:10:00Z", 1, None);
    read_row(&conn, &d1, e, "2026-04-01T10:10:00Z", 2, None);
    read_row(&conn, &d3, e, "2026-04-03T10:10:00Z", 0, Some("not measured: the repository has no tag or reference “1.1.1”."));
    read_row(&conn, &d4, e, "2026-04-06T10:10:00Z", 1, None);
    read_row(&conn, &d8, e, "2026-04-16T10:10:00Z", 2, None);
    drop(conn);
    Data { _dir: dir, store, project, production, staging }
}

fn metric(d: &metrics::Dora, key: MetricKey) -> &Metric {
    d.metrics.iter().find(|m| m.key == key).unwrap()
}

fn value(m: &Metric) -> f64 {
    m.measured.value().unwrap_or_else(|| panic!("{} has no value: {:?}", m.name, m.measured))
}

fn band(m: &Metric) -> Option<(Band, u16)> {
    match &m.measured {
        Measured::Value { band, .. } => band.as_ref().map(|b| (b.band, b.year)),
        _ => None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn each_metric_has_its_known_answer() {
    let d = data();
    let dora = metrics::dora(&d.store.reader().unwrap(), &d.project.id, None, Period::ThreeMonths, now()).unwrap();
    assert_eq!(dora.from, "2026-04-01T00:00:00Z");
    assert_eq!(dora.deployments, 8, "D1 to D8: succeeded or failed verification, kind deploy, production only");
    assert_eq!(dora.not_completed, 2, "the failed and the cancelled deploy");
    assert_eq!(dora.fail_window_hours, 24);
    assert_eq!(dora.bands_year, 2024);

    let f = metric(&dora, MetricKey::DeploymentFrequency);
    assert!(close(value(f), 8.0 / 13.0), "{}", value(f));
    assert_eq!(f.secondary.as_deref(), Some("median 24 h between deployments"));
    assert_eq!(band(f), Some((Band::Medium, 2024)));
    assert_eq!(f.sample, 8);
    assert_eq!(f.sample_words, "8 production deployments; 2 deploys that did not complete");
    let weekly: Vec<Option<f64>> = f.points.iter().map(|p| p.value).collect();
    assert_eq!(weekly.len(), 13);
    assert_eq!(&weekly[..4], &[Some(5.0), Some(0.0), Some(3.0), Some(0.0)], "the quiet week is a zero, not a gap");

    let l = metric(&dora, MetricKey::ChangeLeadTime);
    assert!(close(value(l), 24.0), "leads 24, 2, 24, 240 and 1 hours: median 24");
    assert_eq!(l.sample, 5, "c0 reached production before the period");
    assert_eq!(band(l), Some((Band::High, 2024)));
    let secondary = l.secondary.clone().unwrap();
    assert!(secondary.starts_with("90th percentile 10 d"), "{secondary}");
    assert!(secondary.contains("1 deployment's commits not measured: the repository has no tag"), "{secondary}");

    let c = metric(&dora, MetricKey::ChangeFailRate);
    assert!(close(value(c), 3.0 / 8.0), "D2 failed verification, D3 switched back, D6 hotfixed; D4's hotfix came after 26 h");
    assert_eq!(c.secondary.as_deref(), Some("3 failed deployments of 8"));
    assert_eq!(band(c), Some((Band::Low, 2024)), "37.5% is nearest the low cluster's 40%");

    let r = metric(&dora, MetricKey::RecoveryTime);
    assert!(close(value(r), 6.0), "recoveries of 1, 6 and 10 hours");
    assert_eq!(r.sample, 3);
    assert_eq!(band(r), Some((Band::High, 2024)));
    assert!(r.history.as_deref().unwrap().contains("time to restore service"));

    let w = metric(&dora, MetricKey::ReworkRate);
    assert!(close(value(w), 4.0 / 8.0), "the rollback, the switch back and the two hotfix deployments");
    assert_eq!(band(w), None, "no 2024 band for rework rate");
    assert!(w.history.as_deref().unwrap().contains("added rework rate in 2024"));

    // Points over four weeks: the first two rest on D1 to D5.
    let cp: Vec<Option<f64>> = c.points.iter().map(|p| p.value).collect();
    assert_eq!(cp[0], Some(0.4));
    assert_eq!(cp[1], Some(0.4));
    assert_eq!(cp[2], Some(3.0 / 8.0));
    assert_eq!(cp[4], None, "three deployments in the four weeks: too little data, no point");
    assert_eq!(c.points[4].sample, 3);
}

#[test]
fn the_fail_window_is_the_projects_setting() {
    let d = data();
    assert!(matches!(metrics::set_fail_window(&d.store, &d.project.id, 0, &lead(), now()), Err(MetricsError::FailWindow)));
    metrics::set_fail_window(&d.store, &d.project.id, 48, &lead(), now()).unwrap();
    assert_eq!(metrics::settings(&d.store, &d.project.id).unwrap().fail_window_hours, 48);
    let dora = metrics::dora_for(&d.store, &d.project.id, Some(&d.production), Period::ThreeMonths, now()).unwrap();
    let c = metric(&dora, MetricKey::ChangeFailRate);
    assert!(close(value(c), 4.0 / 8.0), "with 48 hours the hotfix 26 h after D4 fails D4 too");
    assert!(c.how_counted.contains("within 48 hours"), "{}", c.how_counted);
    let r = metric(&dora, MetricKey::RecoveryTime);
    // D4 recovers at the hotfix's end, 26 h later: 1, 6, 10, 26 → 8.
    assert!(close(value(r), 8.0), "{}", value(r));
}

#[test]
fn a_longer_period_and_too_little_data() {
    let d = data();
    let year = metrics::dora_for(&d.store, &d.project.id, None, Period::TwelveMonths, now()).unwrap();
    assert_eq!(year.deployments, 9, "D0 is inside twelve months");
    assert_eq!(metric(&year, MetricKey::DeploymentFrequency).points.len(), 52);
    assert!(close(value(metric(&year, MetricKey::ChangeLeadTime)), 24.0), "c0's 216 h joins: 1, 2, 24, 24, 216, 240");

    // Three months from April 10: only D6, D7 and D8.
    let june = metrics::dora_for(&d.store, &d.project.id, None, Period::ThreeMonths, at("2026-07-10T00:00:00Z")).unwrap();
    assert_eq!(june.deployments, 3, "D6, D7 and D8 started after April 10");
    for m in &june.metrics {
        match &m.measured {
            Measured::TooLittleData { words } => assert!(words.contains("3 production deployments"), "{words}"),
            other => panic!("{}: {other:?}", m.name),
        }
    }
}

#[test]
fn no_production_deploys_and_no_production_environment() {
    let d = data();
    let quiet = project(&d.store, "Quiet", "");
    let dora = metrics::dora_for(&d.store, &quiet.id, None, Period::SixMonths, now()).unwrap();
    assert_eq!(dora.deployments, 0);
    assert!(dora.no_production.is_none());
    assert!(dora.metrics.iter().all(|m| matches!(m.measured, Measured::TooLittleData { .. })));
    assert!(dora.metrics[0].points.iter().all(|p| p.value == Some(0.0)));

    // Staging is not production, and a project without any protected
    // environment says so.
    assert!(matches!(metrics::dora_for(&d.store, &d.project.id, Some(&d.staging), Period::SixMonths, now()), Err(MetricsError::NotProduction)));
    let conn = Connection::open(d.store.db_path()).unwrap();
    conn.execute("UPDATE environments SET protected = 0 WHERE project_id = ?1", [&quiet.id]).unwrap();
    let none = metrics::dora_for(&d.store, &quiet.id, None, Period::SixMonths, now()).unwrap();
    assert!(none.no_production.unwrap().contains("no production environment"));
    assert!(none.environments.is_empty());
}

#[test]
fn the_runs_are_read_from_the_covering_index_alone() {
    let d = data();
    let conn = d.store.reader().unwrap();
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT started_at, ended_at, state, kind, version, release_id, id FROM deploy_runs
             WHERE environment_id = ?1 AND started_at >= ?2 AND started_at < ?3 ORDER BY started_at",
        )
        .unwrap()
        .query_map(params![d.production, "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(plan[0].contains("COVERING INDEX deploy_runs_for_metrics"), "{plan:?}");
}

#[test]
fn the_csv_has_a_row_per_week_and_the_period() {
    let d = data();
    let dora = metrics::dora_for(&d.store, &d.project.id, None, Period::ThreeMonths, now()).unwrap();
    let csv = metrics::to_csv(&dora);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 13 + 1);
    assert!(lines[0].starts_with("week starting,production deployments,"));
    assert_eq!(lines[1], "2026-04-01,5,5,24,3,0.4,5,3.5,2,0.6", "week 1: D1 to D5, recoveries 1 h and 6 h, rework 3 of 5");
    assert_eq!(lines[14], "2026-04-01 to 2026-07-01,8,0.615,24,5,0.375,8,6,3,0.5");
    assert_eq!(metrics::percent_words(0.375), "37.5%");
    assert_eq!(metrics::duration_words(240.0), "10 d");
}

#[test]
fn the_production_deployments_the_maturity_level_reads() {
    let d = data();
    let conn = d.store.reader().unwrap();
    let list = metrics::production_deployments(&conn, &d.project.id, None, at("2026-04-01T00:00:00Z"), now()).unwrap();
    let versions: Vec<(&str, bool)> = list.iter().map(|p| (p.run.version.as_str(), p.failed)).collect();
    assert_eq!(
        versions,
        [("1.0.0", false), ("1.1.0", true), ("1.1.1", true), ("1.2.0", false), ("1.2.1", false), ("1.3.0", true), ("1.3.1", false), ("1.4.0", false)]
    );
    assert!(list[4].run.hotfix);
    let named: i64 = conn.query_row("SELECT count(*) FROM deploy_runs WHERE id = ?1 AND version = '1.1.0'", [&list[1].run.id], |r| r.get(0)).unwrap();
    assert_eq!(named, 1, "each deployment names its run");
}

// ---------------------------------------------------------------------------
// Commits read from a real repository by real production deploys

fn git(dir: &Path, args: &[&str], date: &str) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Ada Dev", "-c", "user.email=ada@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", date)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn keychain() -> Keychain {
    Keychain::with_entries(|_| Err(keyring::Error::NoEntry))
}

fn settings() -> TargetSettings {
    TargetSettings {
        kind: TargetKind::LocalCommand,
        command: CommandSpec { program: "true".into(), args: Vec::new(), through_shell: false, timeout_secs: 30 },
        working_dir: std::env::temp_dir().display().to_string(),
        env: Vec::new(),
        credentials: Vec::new(),
        before: Vec::new(),
        after: Vec::new(),
        smoke: Vec::new(),
        rollback_on_failure: false,
        leave_background: false,
        blue_green: None,
        remote: None,
        calls_deploy_system: false,
        acceptance_tests: Vec::new(),
    }
}

fn timing() -> Timing {
    Timing { grace: StdDuration::from_millis(300), drain: StdDuration::from_millis(200), flush_every: StdDuration::from_millis(50), ..Timing::default() }
}

async fn deploy(store: &Arc<Store>, project: &Project, env: &str, version: &str) -> liftoff_core::deploy::runs::Run {
    let rel = match releases::list(store, &project.id, None).unwrap().into_iter().find(|r| r.release.version == version) {
        Some(r) => r.release.id,
        None => releases::create(store, &project.id, &ReleaseDraft { version: version.into(), name: format!("Release {version}"), scope: String::new(), target_date: None }, &lead(), Utc::now())
            .unwrap()
            .id,
    };
    let protected = environments::list(store, &project.id).unwrap().into_iter().any(|e| e.id == env && e.protected);
    let mut decisions = Vec::new();
    if protected {
        releases::gate::override_gate(store, &rel, env, "Lena", "Checked by hand.", &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
        decisions.push(Decision { check: "promotion".into(), decided_by: "Lena".into(), reason: "Straight to production in this test.".into() });
    }
    let req = DeployRequest { environment_id: env.into(), release_id: Some(rel), version: version.into(), build_ref: String::new(), decisions, accept_warnings: true };
    let job = engine::start(store, &keychain(), &req, &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let runs = engine::execute_with_rollback(store.clone(), &keychain(), job, CancellationToken::new(), timing(), &mut |_| {}, &mut |_| {}).await;
    assert_eq!(runs[0].state, RunState::Succeeded, "{}", runs[0].outcome);
    runs.into_iter().next().unwrap()
}

fn rows(store: &Store, sql: &str, run: &str) -> Vec<String> {
    let conn = store.reader().unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([run], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_production_deploys_read_their_commits_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"], "2026-01-01T09:00:00Z");
    git(&repo, &["commit", "--allow-empty", "-q", "-m", "first"], "2026-01-01T09:00:00Z");
    git(&repo, &["tag", "v1.0.0"], "2026-01-01T09:00:00Z");
    git(&repo, &["commit", "--allow-empty", "-q", "-m", "feat: a"], "2026-01-02T10:00:00+02:00");
    git(&repo, &["commit", "--allow-empty", "-q", "-m", "fix: b"], "2026-01-03T10:00:00Z");
    git(&repo, &["tag", "v1.1.0"], "2026-01-03T10:00:00Z");
    git(&repo, &["commit", "--allow-empty", "-q", "-m", "feat: c"], "2026-01-04T10:00:00Z");
    git(&repo, &["tag", "v1.2.0"], "2026-01-04T10:00:00Z");

    let store = Arc::new(Store::open_or_recover(&dir.path().join("data"), Utc::now()).unwrap().store);
    let project = projects::create(&store, &ProjectDraft { name: "Billing".into(), description: String::new(), repository: repo.display().to_string(), time_zone: "UTC".into() }, Utc::now()).unwrap();
    let (staging, production) = (env_id(&store, &project, "staging"), env_id(&store, &project, "production"));
    for env in [&staging, &production] {
        target::set(&store, env, &settings(), Utc::now()).unwrap();
    }

    // Staging is not production: nothing is read.
    let on_staging = deploy(&store, &project, &staging, "1.1.0").await;
    assert_eq!(rows(&store, "SELECT run_id FROM run_commit_reads WHERE run_id = ?1", &on_staging.id).len(), 0);

    // The first production deploy: from the tag before, v1.0.0.
    let first = deploy(&store, &project, &production, "1.1.0").await;
    let read = rows(&store, "SELECT sha || ' ' || committed_at || ' ' || deployed_at FROM run_commits WHERE run_id = ?1 ORDER BY committed_at", &first.id);
    let ended = first.ended_at.clone().unwrap();
    assert_eq!(read.len(), 2, "{read:?}");
    assert!(read[0].ends_with(&format!(" 2026-01-02T08:00:00Z {ended}")), "committer date in UTC: {read:?}");
    assert!(read[1].ends_with(&format!(" 2026-01-03T10:00:00Z {ended}")), "{read:?}");
    assert_eq!(rows(&store, "SELECT commits || ' ' || coalesce(problem, '-') FROM run_commit_reads WHERE run_id = ?1", &first.id), ["2 -"]);
    // Read once: asking again changes nothing.
    assert_eq!(commits::record_for_run(&store, &first.id, Utc::now()), ReadOutcome::Skipped);

    // 1.2.0, a rollback to 1.1.0, and 1.2.0 again: its commit c was
    // deployed twice and counts at its first deploy.
    let second = deploy(&store, &project, &production, "1.2.0").await;
    assert_eq!(rows(&store, "SELECT count(*) || '' FROM run_commits WHERE run_id = ?1", &second.id), ["1"]);
    let job = engine::start_rollback(&store, &keychain(), &production, &[], &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
    let back = engine::execute(store.clone(), job, CancellationToken::new(), timing(), &mut |_| {}).await;
    assert_eq!(back.state, RunState::Succeeded);
    assert_eq!(rows(&store, "SELECT run_id FROM run_commit_reads WHERE run_id = ?1", &back.id).len(), 0, "a rollback brings no commits");
    let again = deploy(&store, &project, &production, "1.2.0").await;
    assert_eq!(again.previous_version.as_deref(), Some("1.1.0"));
    assert_eq!(rows(&store, "SELECT commits || '' FROM run_commit_reads WHERE run_id = ?1", &again.id), ["1"], "git gave the commit again");
    assert_eq!(rows(&store, "SELECT count(*) || '' FROM run_commits WHERE run_id = ?1", &again.id), ["0"], "it counts at its first deploy");
    assert_eq!(
        rows(&store, "SELECT deployed_at FROM run_commits WHERE environment_id = ?1 AND committed_at = '2026-01-04T10:00:00Z'", &production),
        [second.ended_at.clone().unwrap()]
    );

    // A version with no tag: not measured, and why.
    let untagged = deploy(&store, &project, &production, "9.9.9").await;
    let problem = rows(&store, "SELECT problem FROM run_commit_reads WHERE run_id = ?1", &untagged.id);
    assert!(problem[0].starts_with("not measured: the repository has no tag or reference “9.9.9”"), "{problem:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_repository_is_not_measured_and_the_run_ends_as_usual() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
    let project = projects::create(&store, &ProjectDraft { name: "Billing".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() }, Utc::now()).unwrap();
    let production = env_id(&store, &project, "production");
    target::set(&store, &production, &settings(), Utc::now()).unwrap();
    let run = deploy(&store, &project, &production, "1.0.0").await;
    assert_eq!(run.state, RunState::Succeeded);
    let problem = rows(&store, "SELECT problem FROM run_commit_reads WHERE run_id = ?1", &run.id);
    assert_eq!(problem.len(), 1);
    assert!(problem[0].starts_with("not measured: the project has no repository"), "{problem:?}");

    // Five more such deploys: lead time says not measured, and why.
    for v in ["1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"] {
        deploy(&store, &project, &production, v).await;
    }
    let dora = metrics::dora_for(&store, &project.id, None, Period::ThreeMonths, Utc::now() + Duration::minutes(1)).unwrap();
    assert_eq!(dora.deployments, 6);
    match &metric(&dora, MetricKey::ChangeLeadTime).measured {
        Measured::NotMeasured { why } => assert!(why.contains("no repository"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(value(metric(&dora, MetricKey::ChangeFailRate)), 0.0);
    assert!(matches!(metric(&dora, MetricKey::RecoveryTime).measured, Measured::NoCases { .. }));
}

#[test]
fn the_sample_project_has_a_year_of_production_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), Utc::now()).unwrap().store;
    let sample = liftoff_core::sample::open_sample_project(&store, Utc::now()).unwrap();
    let year = metrics::dora_for(&store, &sample.id, None, Period::TwelveMonths, Utc::now()).unwrap();
    assert!(year.deployments > 80, "{}", year.deployments);
    assert!(year.not_completed >= 5, "{}", year.not_completed);
    for m in &year.metrics {
        assert!(m.measured.value().is_some(), "{}: {:?}", m.name, m.measured);
    }
    let fail = value(metric(&year, MetricKey::ChangeFailRate));
    assert!((0.05..0.25).contains(&fail), "{fail}");
    let lead = value(metric(&year, MetricKey::ChangeLeadTime));
    assert!((5.0..72.0).contains(&lead), "{lead}");
    assert!(value(metric(&year, MetricKey::ReworkRate)) > 0.0);
    // The quiet weeks are zeros in the weekly chart.
    assert!(metric(&year, MetricKey::DeploymentFrequency).points.iter().filter(|p| p.value == Some(0.0)).count() >= 4);
    // Three months hold enough deployments for values too.
    let quarter = metrics::dora_for(&store, &sample.id, None, Period::ThreeMonths, Utc::now()).unwrap();
    assert!(quarter.deployments >= 10, "{}", quarter.deployments);
    assert!(quarter.metrics.iter().all(|m| !matches!(m.measured, Measured::TooLittleData { .. })));
    // 2.3.1 is still what production runs, and rollbacks go back to it.
    let conn = store.reader().unwrap();
    let last: String = conn
        .query_row("SELECT version FROM deploy_runs r JOIN environments e ON e.id = r.environment_id WHERE e.protected ORDER BY started_at DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(last, "2.3.1");
    let odd: i64 = conn
        .query_row("SELECT count(*) FROM deploy_runs WHERE NOT (version GLOB '[12].[0-9].[0-9]')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(odd, 0, "the history's versions run from 1.0.0 to 2.2.x, before 2.3.1");
}
