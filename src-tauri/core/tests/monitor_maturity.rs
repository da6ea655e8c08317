//! The maturity review on fixed data with known answers: each indication
//! met and not met, and the level that follows. The runs are written as
//! the engine would have left them (a real SQLite file); the review only
//! reads them.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use liftoff_core::deploy::target::{self, BlueGreen, CommandSpec, ExtraStep, TargetKind, TargetSettings};
use liftoff_core::environments;
use liftoff_core::monitor::maturity::{self, Maturity, Verdict, ATOMIC_FEATURES, CONFIGURATION_MANAGEMENT};
use liftoff_core::planning::profile;
use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::Store;
use rusqlite::params;

/// A Wednesday noon, UTC: "now" for every test.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 12, 0, 0).unwrap()
}

struct Fx {
    _dir: tempfile::TempDir,
    store: Store,
    project: Project,
    n: std::cell::Cell<u32>,
}

#[derive(Clone)]
struct R {
    env: &'static str,
    at: DateTime<Utc>,
    kind: &'static str,
    state: &'static str,
    release: Option<String>,
    by: &'static str,
    preflight: serde_json::Value,
    steps: serde_json::Value,
    checks: serde_json::Value,
    remote: bool,
    slot: Option<&'static str>,
}

fn promoted() -> serde_json::Value {
    serde_json::json!([{"key": "promotion", "label": "Promotion", "outcome": "pass", "reason": "verified on staging", "overridable": false, "decision": null}])
}

fn checked() -> serde_json::Value {
    serde_json::json!([{"name": "health", "passed": true, "attempts": 1, "elapsedMs": 20, "status": 200, "latencyMs": 20, "detail": "200 OK"}])
}

fn steps(acceptance: bool) -> serde_json::Value {
    serde_json::json!([
        {"name": "Deploy", "state": "succeeded", "startedAt": null, "endedAt": null, "durationMs": 10, "detail": "exit code 0"},
        {"name": "Smoke: health", "state": "succeeded", "startedAt": null, "endedAt": null, "durationMs": 10, "detail": "200 OK", "acceptance": acceptance}
    ])
}

impl R {
    /// A good production deploy: promoted, checked, by Lena.
    fn good(at: DateTime<Utc>) -> R {
        R { env: "production", at, kind: "deploy", state: "succeeded", release: None, by: "Lena", preflight: promoted(), steps: steps(false), checks: checked(), remote: false, slot: None }
    }
}

impl Fx {
    fn new() -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_recover(dir.path(), now()).unwrap().store;
        let project = projects::create(&store, &ProjectDraft { name: "Billing".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() }, now()).unwrap();
        let fx = Fx { _dir: dir, store, project, n: std::cell::Cell::new(0) };
        fx.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO people (id, project_id, name, email, role, time_zone, work_start, work_end, work_days, created_at, updated_at)
                     VALUES ('p1', ?1, 'Lena', 'lena@example.com', 'lead', 'UTC', '09:00', '17:00', 31, ?2, ?2)",
                    params![fx.project.id, "2026-01-01T00:00:00Z"],
                )
            })
            .unwrap();
        fx
    }

    fn env(&self, name: &str) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }

    fn target(&self, env: &str, edit: impl FnOnce(&mut TargetSettings)) {
        let mut s = TargetSettings::local_command(CommandSpec { program: "./deploy.sh".into(), ..CommandSpec::default() });
        s.working_dir = std::env::temp_dir().display().to_string();
        edit(&mut s);
        target::set(&self.store, &self.env(env), &target::validate(&s).unwrap(), now()).unwrap();
    }

    fn release(&self, version: &str, state: &str, window: Option<(DateTime<Utc>, DateTime<Utc>)>, freeze_override: bool) -> String {
        let id = format!("rel-{version}");
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO releases (id, project_id, version, name, state, created_at, updated_at, window_start, window_end, freeze_override_reason)
                     VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
                    params![
                        id,
                        self.project.id,
                        version,
                        state,
                        (now() - Duration::days(5)).to_rfc3339(),
                        window.map(|w| w.0.to_rfc3339()),
                        window.map(|w| w.1.to_rfc3339()),
                        freeze_override.then_some("launch day")
                    ],
                )
            })
            .unwrap();
        id
    }

    fn run(&self, r: R) -> String {
        self.n.set(self.n.get() + 1);
        let id = format!("run-{:04}", self.n.get());
        let env = self.env(r.env);
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, kind, started_by, started_at, ended_at, state,
                        preflight, steps, checks, remote_ref, slot)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    params![
                        id,
                        self.project.id,
                        env,
                        r.release,
                        format!("1.0.{}", self.n.get()),
                        r.kind,
                        r.by,
                        r.at.to_rfc3339(),
                        (r.at + Duration::minutes(5)).to_rfc3339(),
                        r.state,
                        r.preflight.to_string(),
                        r.steps.to_string(),
                        r.checks.to_string(),
                        r.remote.then_some(r#"{"engine":"buildbot"}"#),
                        r.slot
                    ],
                )
            })
            .unwrap();
        id
    }

    fn answer(&self, release_id: &str, title: &str, state: &str) {
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO checklist_items (id, release_id, position, section, title, required, state, updated_at)
                     VALUES (?1, ?2, 0, 'Level 2', ?3, 0, ?4, ?5)",
                    params![format!("item-{title}-{state}"), release_id, title, state, now().to_rfc3339()],
                )
            })
            .unwrap();
    }

    /// Busy on weekdays from 09:00 to 17:00 (local), quiet otherwise.
    fn office_hours_load(&self) {
        let hours: Vec<f64> = (0..168).map(|i| if i / 24 < 5 && (9..17).contains(&(i % 24)) { 100.0 } else { 5.0 }).collect();
        profile::set_pattern(&self.store, &self.project.id, &hours, now()).unwrap();
    }

    fn assess(&self) -> Maturity {
        maturity::assess(&self.store, &self.project.id, now()).unwrap()
    }
}

fn verdict(m: &Maturity, key: &str) -> Verdict {
    m.signs.iter().chain(&m.level1).chain(&m.level2).find(|i| i.key == key).unwrap_or_else(|| panic!("no indication {key}")).verdict
}

fn indication<'a>(m: &'a Maturity, key: &str) -> &'a liftoff_core::monitor::maturity::Indication {
    m.signs.iter().chain(&m.level1).chain(&m.level2).find(|i| i.key == key).unwrap()
}

/// Working days (Monday to Friday) at 20:00 UTC going back from yesterday.
fn evenings(count: usize) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut day = now().date_naive() - Duration::days(1);
    while out.len() < count {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(Utc.from_utc_datetime(&day.and_hms_opt(20, 0, 0).unwrap()));
        }
        day -= Duration::days(1);
    }
    out
}

#[test]
fn a_new_project_is_level_0_and_says_how_to_be_measured() {
    let fx = Fx::new();
    let m = fx.assess();
    assert_eq!(m.level, 0);
    assert_eq!(m.production_deploys, 0);
    assert!(m.summary.contains("No production deploys"), "{}", m.summary);
    assert_eq!(verdict(&m, "noSmokeChecks"), Verdict::NotMeasured);
    assert_eq!(verdict(&m, "pipeline"), Verdict::Holds, "development → staging → production (protected)");
    assert_eq!(verdict(&m, "outsideUsage"), Verdict::NotMeasured);
    assert!(indication(&m, "outsideUsage").detail.contains("import a load profile"));
    assert_eq!(verdict(&m, "atomicFeatures"), Verdict::Unanswered);
    assert!(!m.next_steps.is_empty());
    let texts: std::collections::HashSet<&str> = m.next_steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts.len(), m.next_steps.len(), "each next step once: {:?}", m.next_steps);
}

/// Twenty good evening deploys of planned releases through a local command
/// marked as calling the deploy system: every level 1 indication holds.
fn level_one(fx: &Fx) {
    fx.target("production", |s| {
        s.calls_deploy_system = true;
    });
    fx.office_hours_load();
    for (i, at) in evenings(20).into_iter().enumerate() {
        let rel = fx.release(&format!("2.{i}"), "released", Some((at - Duration::hours(1), at + Duration::hours(2))), false);
        fx.run(R { release: Some(rel), ..R::good(at) });
    }
}

#[test]
fn level_one_holds_when_every_level_one_indication_does() {
    let fx = Fx::new();
    level_one(&fx);
    let m = fx.assess();
    for key in ["outsideLiftoff", "noSmokeChecks", "developerMachine", "downtime", "pipeline", "promotion", "schedulesOwn", "smokeChecks", "outsideUsage"] {
        assert_eq!(verdict(&m, key), Verdict::Holds, "{key}: {:?}", indication(&m, key));
    }
    assert_eq!(m.level, 1, "{}", m.summary);
    assert_eq!(m.production_deploys, 20);
    assert_eq!(indication(&m, "smokeChecks").measured, "20 of 20 production deploys (100%)");
    // Not level 2: a local command, no blue-green, no acceptance test, no answers.
    assert_eq!(verdict(&m, "noUserImpact"), Verdict::Fails);
    assert_eq!(verdict(&m, "acceptanceTests"), Verdict::Fails);
    assert!(m.next_steps.iter().any(|s| s.key == "noUserImpact" && s.place == "blueGreen"));
}

#[test]
fn each_level_zero_sign_is_seen_and_drops_the_level() {
    // A release released with no production run in Liftoff.
    let fx = Fx::new();
    level_one(&fx);
    fx.release("9.9", "released", None, false);
    let m = fx.assess();
    assert_eq!(verdict(&m, "outsideLiftoff"), Verdict::Fails);
    assert!(indication(&m, "outsideLiftoff").basis[0].label.contains("9.9"));
    assert_eq!(m.level, 0);

    // A production deploy without smoke checks.
    let fx = Fx::new();
    level_one(&fx);
    fx.run(R { checks: serde_json::json!([]), ..R::good(evenings(21)[20]) });
    let m = fx.assess();
    assert_eq!(verdict(&m, "noSmokeChecks"), Verdict::Fails);
    assert_eq!(indication(&m, "noSmokeChecks").basis_total, 1);
    assert_eq!(m.level, 0);

    // A local command not marked as calling the deploy system.
    let fx = Fx::new();
    level_one(&fx);
    fx.target("production", |s| s.calls_deploy_system = false);
    let m = fx.assess();
    assert_eq!(verdict(&m, "developerMachine"), Verdict::Fails);
    assert_eq!(indication(&m, "developerMachine").basis_total, 20);
    assert!(m.next_steps.iter().any(|s| s.key == "developerMachine"));

    // A maintenance window booked over a production deploy.
    let fx = Fx::new();
    level_one(&fx);
    let at = evenings(1)[0];
    windows::create(
        &fx.store,
        &fx.project.id,
        &CalendarWindowDraft {
            kind: Some(WindowKind::Maintenance),
            name: "Database upgrade".into(),
            reason: String::new(),
            start_local: (at - Duration::minutes(30)).format("%Y-%m-%dT%H:%M").to_string(),
            minutes: 120,
            time_zone: "UTC".into(),
            rule: None,
            exdates: Vec::new(),
            environment_ids: Vec::new(),
        },
        now(),
    )
    .unwrap();
    let m = fx.assess();
    assert_eq!(verdict(&m, "downtime"), Verdict::Fails);
    assert!(indication(&m, "downtime").basis[0].label.contains("Database upgrade"));
}

#[test]
fn level_one_indications_fail_below_their_thresholds() {
    // 3 of 20 overrode a preflight check: 85% < 90%.
    let fx = Fx::new();
    level_one(&fx);
    for at in &evenings(23)[20..] {
        let mut preflight = promoted();
        preflight[0]["decision"] = serde_json::json!({"check": "promotion", "decidedBy": "Lena", "reason": "hotfix"});
        fx.run(R { preflight, ..R::good(*at) });
    }
    let m = fx.assess();
    assert_eq!(verdict(&m, "promotion"), Verdict::Fails);
    assert_eq!(indication(&m, "promotion").measured, "20 of 23 production deploys (87%)");
    assert_eq!(m.level, 0);

    // Deploys at 11:00 on weekdays: in usage hours.
    let fx = Fx::new();
    level_one(&fx);
    for at in &evenings(30)[20..] {
        fx.run(R::good(*at - Duration::hours(9)));
    }
    let m = fx.assess();
    assert_eq!(verdict(&m, "outsideUsage"), Verdict::Fails, "{:?}", indication(&m, "outsideUsage"));
    assert_eq!(indication(&m, "outsideUsage").basis_total, 10);

    // Planned releases deployed outside their window, or by a stranger.
    let fx = Fx::new();
    level_one(&fx);
    let at = evenings(25)[24];
    let rel = fx.release("3.0", "released", Some((at + Duration::days(1), at + Duration::days(1) + Duration::hours(2))), false);
    fx.run(R { release: Some(rel), ..R::good(at) });
    let at = evenings(26)[25];
    let rel = fx.release("3.1", "released", Some((at - Duration::hours(1), at + Duration::hours(1))), false);
    fx.run(R { release: Some(rel), by: "mallory", ..R::good(at) });
    let at = evenings(27)[26];
    let rel = fx.release("3.2", "released", Some((at - Duration::hours(1), at + Duration::hours(1))), true);
    fx.run(R { release: Some(rel), ..R::good(at) });
    let m = fx.assess();
    assert_eq!(verdict(&m, "schedulesOwn"), Verdict::Fails);
    let basis: Vec<&str> = indication(&m, "schedulesOwn").basis.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(basis.len(), 3, "{basis:?}");
    assert!(basis.iter().any(|b| b.contains("outside the release's planned window")));
    assert!(basis.iter().any(|b| b.contains("not in the project's people")));
    assert!(basis.iter().any(|b| b.contains("overrode a freeze")));

    // A pipeline of two environments.
    let fx = Fx::new();
    let staging = fx.env("staging");
    environments::delete(&fx.store, &liftoff_core::secrets::Keychain::with_entries(|_| Err(keyring::Error::NoEntry)), &staging).unwrap();
    let m = fx.assess();
    assert_eq!(verdict(&m, "pipeline"), Verdict::Fails);
}

#[test]
fn failed_and_cancelled_runs_are_not_production_deploys_and_old_ones_are_not_counted() {
    let fx = Fx::new();
    level_one(&fx);
    let at = evenings(21)[20];
    fx.run(R { state: "failed", checks: serde_json::json!([]), ..R::good(at) });
    fx.run(R { state: "cancelled", checks: serde_json::json!([]), ..R::good(at) });
    fx.run(R { kind: "rollback", checks: serde_json::json!([]), ..R::good(at) });
    // Older than 90 days: outside the period.
    fx.run(R { checks: serde_json::json!([]), ..R::good(now() - Duration::days(91)) });
    // Staging is not production.
    fx.run(R { env: "staging", checks: serde_json::json!([]), ..R::good(at) });
    let m = fx.assess();
    assert_eq!(m.production_deploys, 20);
    assert_eq!(verdict(&m, "noSmokeChecks"), Verdict::Holds);
    assert_eq!(m.level, 1);
}

#[test]
fn level_two_needs_engine_blue_green_acceptance_several_a_day_and_the_leads_answers() {
    let fx = Fx::new();
    fx.office_hours_load();
    fx.target("production", |s| {
        s.kind = TargetKind::Buildbot;
        s.remote = Some(target::RemoteTarget { url: "https://ci.example.com".into(), user: "deployer".into(), credential: "buildbot".into(), job: "deploy".into(), scheduler: "force".into(), ..Default::default() });
        s.blue_green = Some(BlueGreen { blue_url: "https://blue.example.com".into(), green_url: "https://green.example.com".into(), switch: CommandSpec { program: "./switch.sh".into(), ..CommandSpec::default() } });
        s.after = vec![ExtraStep { name: "Sign-up journey".into(), command: CommandSpec { program: "./journey.sh".into(), ..CommandSpec::default() } }];
        s.acceptance_tests = vec!["Sign-up journey".into()];
    });
    let bg_steps = serde_json::json!([
        {"name": "Deploy", "state": "succeeded", "startedAt": null, "endedAt": null, "durationMs": 10, "detail": ""},
        {"name": "Smoke: health", "state": "succeeded", "startedAt": null, "endedAt": null, "durationMs": 10, "detail": "", "acceptance": true},
        {"name": "Switch users to the new slot", "state": "succeeded", "startedAt": null, "endedAt": null, "durationMs": 10, "detail": ""}
    ]);
    // Three deploys on each of the last 22 working days, evenings.
    for at in evenings(22) {
        for h in 0..3 {
            let at = at + Duration::minutes(20 * h);
            let rel = fx.release(&format!("4.{}", at.timestamp()), "released", Some((at - Duration::hours(1), at + Duration::hours(1))), false);
            fx.run(R { release: Some(rel), remote: true, slot: Some("green"), steps: bg_steps.clone(), ..R::good(at) });
        }
    }
    let m = fx.assess();
    assert_eq!(verdict(&m, "endToEnd"), Verdict::Holds, "{:?}", indication(&m, "endToEnd"));
    assert_eq!(verdict(&m, "severalADay"), Verdict::Holds, "{:?}", indication(&m, "severalADay"));
    assert_eq!(verdict(&m, "noUserImpact"), Verdict::Holds, "{:?}", indication(&m, "noUserImpact"));
    assert_eq!(verdict(&m, "acceptanceTests"), Verdict::Holds, "{:?}", indication(&m, "acceptanceTests"));
    assert_eq!(verdict(&m, "atomicFeatures"), Verdict::Unanswered);
    assert_eq!(m.level, 1, "unanswered questions keep it at level 1");

    let review = fx.release("review", "planned", None, false);
    fx.answer(&review, ATOMIC_FEATURES, "done");
    fx.answer(&review, CONFIGURATION_MANAGEMENT, "notApplicable");
    let m = fx.assess();
    assert_eq!(verdict(&m, "atomicFeatures"), Verdict::Answered);
    assert_eq!(indication(&m, "atomicFeatures").answer.as_deref(), Some("Yes"));
    assert_eq!(indication(&m, "configurationManagement").answer.as_deref(), Some("No"));
    assert_eq!(m.level, 1);
    fx.store.write(|tx| tx.execute("UPDATE checklist_items SET state = 'done'", [])).unwrap();
    let m = fx.assess();
    assert_eq!(m.level, 2, "{}", m.summary);

    // A failed verification on a slot never reached users; one without a
    // slot did.
    fx.run(R { state: "failedVerification", remote: true, slot: Some("blue"), steps: bg_steps.clone(), ..R::good(evenings(1)[0] + Duration::hours(2)) });
    assert_eq!(verdict(&fx.assess(), "noUserImpact"), Verdict::Holds);
    fx.run(R { state: "failedVerification", remote: true, steps: bg_steps.clone(), ..R::good(evenings(1)[0] + Duration::hours(3)) });
    let m = fx.assess();
    assert_eq!(verdict(&m, "noUserImpact"), Verdict::Fails);
    assert_eq!(m.level, 1);
}

#[test]
fn level_two_indications_fail_on_hand_work_and_few_deploys() {
    let fx = Fx::new();
    level_one(&fx);
    // One deploy per working day is not several a day.
    let m = fx.assess();
    assert_eq!(verdict(&m, "severalADay"), Verdict::Fails);
    assert!(indication(&m, "severalADay").measured.starts_with("median 1 production deploy per working day"), "{}", indication(&m, "severalADay").measured);
    // Acceptance tests: marked, but the step failed on the runs.
    let mut failing = steps(true);
    failing[1]["state"] = serde_json::json!("failed");
    let fx = Fx::new();
    fx.target("production", |s| s.calls_deploy_system = true);
    for at in evenings(10) {
        fx.run(R { steps: failing.clone(), state: "failedVerification", ..R::good(at) });
    }
    let m = fx.assess();
    assert_eq!(verdict(&m, "acceptanceTests"), Verdict::Fails);
    assert_eq!(indication(&m, "acceptanceTests").measured, "0 of 10 production deploys (0%)");
    // An approval given by hand in Liftoff is a manual step.
    fx.store
        .write(|tx| {
            tx.execute(
                "INSERT INTO audit_log (project_id, at, actor, category, action, summary, item_id) VALUES (?1, ?2, 'Lena', 'deploy', 'deploy.approved', 'Approved', 'run-0001')",
                params![fx.project.id, now().to_rfc3339()],
            )
        })
        .unwrap();
    let m = fx.assess();
    let end_to_end = indication(&m, "endToEnd");
    assert_eq!(end_to_end.verdict, Verdict::Fails);
    assert!(end_to_end.basis.iter().any(|b| b.run_id.as_deref() == Some("run-0001") && b.label.contains("approved by hand")));
}

#[test]
fn an_acceptance_test_must_name_a_step_or_check_of_the_target() {
    let mut s = TargetSettings::local_command(CommandSpec { program: "./deploy.sh".into(), ..CommandSpec::default() });
    s.acceptance_tests = vec!["No such check".into()];
    let err = target::validate(&s).unwrap_err();
    assert!(err.to_string().contains("acceptanceTests.0") || format!("{err:?}").contains("No step or smoke check is named"), "{err:?}");
}
