//! The release evidence file on a release with a real history: a checklist
//! signed off, a gate override, a window and a freeze override, deploys run
//! by the engine (one with a credential whose value must never reach the
//! file), an approved announcement sent to two people. Then the chain:
//! intact; one byte changed names the entry; a moved entry and a removed
//! one are named; a dropped last entry is caught with the head hash only;
//! the same records give the same file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use keyring::mock::MockCredential;
use liftoff_core::audit::Actor;
use liftoff_core::credentials::{self, CredentialKind};
use liftoff_core::deploy::engine::{self, Timing};
use liftoff_core::deploy::runs;
use liftoff_core::deploy::target::{self, CommandSpec, CredentialUse, TargetSettings};
use liftoff_core::deploy::{DeployRequest, RunState};
use liftoff_core::environments;
use liftoff_core::monitor::evidence::{self, EvidenceError, EvidenceFile, EvidenceOptions};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::checklists::{self, ItemDraft, ItemState};
use liftoff_core::release::{self as releases, gate, ReleaseDraft};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::Store;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "hunter2-Zq9-NEVER-IN-FILES";

/// A keychain of keyring's mock entries, one per account, kept across calls.
fn keychain() -> Keychain {
    let entries: Arc<Mutex<HashMap<String, Arc<keyring::Entry>>>> = Arc::default();
    Keychain::with_entries(move |account| {
        Ok(entries
            .lock()
            .unwrap()
            .entry(account.to_owned())
            .or_insert_with(|| Arc::new(keyring::Entry::new_with_credential(Box::new(MockCredential::default()))))
            .clone())
    })
}

fn lead() -> Actor {
    Actor { person_id: None, name: "Lena".into() }
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    project: Project,
    release_id: String,
}

impl Fixture {
    fn env(&self, name: &str) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
    let project = projects::create(
        &store,
        &ProjectDraft { name: "Billing".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
        Utc::now(),
    )
    .unwrap();
    let now = Utc::now();
    let release = releases::create(&store, &project.id, &ReleaseDraft { version: "2.4.0".into(), name: "Tax engine".into(), scope: "New tax rules".into(), target_date: None }, &lead(), now).unwrap();
    let f = Fixture { _dir: dir, store: store.clone(), project, release_id: release.id.clone() };
    let (staging, production) = (f.env("staging"), f.env("production"));

    // The checklist: one item signed off with evidence, one left open.
    let done = checklists::add_item(&store, &release.id, &ItemDraft { section: "Before".into(), title: "Backups taken".into(), required: true, evidence: "https://tickets.example.com/OPS-12".into(), ..Default::default() }, &lead(), now).unwrap();
    checklists::set_item_state(&store, &done.id, ItemState::Done, "", &lead(), now).unwrap();
    checklists::add_item(&store, &release.id, &ItemDraft { section: "Before".into(), title: "Load test".into(), required: true, ..Default::default() }, &lead(), now).unwrap();
    gate::override_gate(&store, &release.id, &production, "Dana (CTO)", "Load test waived for this hotfix", &lead(), now, now.date_naive()).unwrap();
    releases::set_window(&store, &release.id, Some((now + Duration::hours(1), now + Duration::hours(2))), Some(&production), &lead(), now).unwrap();
    releases::override_freeze(&store, &release.id, "Dana (CTO)", "Customers are blocked by the tax bug", &lead(), now).unwrap();

    // Staging deploys with a credential; the step prints its value, which
    // the masker hides in the stored log.
    let keychain = keychain();
    credentials::add(&store, &keychain, &staging, "DB_PASSWORD", CredentialKind::Password, &SecretValue::new(SECRET), now).unwrap();
    let mut settings = TargetSettings::local_command(CommandSpec {
        program: "echo \"connecting with $DB_PASSWORD\"; echo deployed $LIFTOFF_VERSION".into(),
        args: Vec::new(),
        through_shell: true,
        timeout_secs: 30,
    });
    settings.credentials = vec![CredentialUse { name: "DB_PASSWORD".into(), variable: "DB_PASSWORD".into() }];
    target::set(&store, &staging, &settings, now).unwrap();
    let plain = TargetSettings::local_command(CommandSpec { program: "echo deployed $LIFTOFF_VERSION".into(), args: Vec::new(), through_shell: true, timeout_secs: 30 });
    target::set(&store, &production, &plain, now).unwrap();
    for env in [&staging, &production] {
        let req = DeployRequest { environment_id: env.clone(), release_id: Some(release.id.clone()), version: "2.4.0".into(), build_ref: "v2.4.0".into(), decisions: Vec::new(), accept_warnings: true };
        let job = engine::start(&store, &keychain, &req, &lead(), Utc::now(), Utc::now().date_naive()).unwrap();
        let timing = Timing { grace: std::time::Duration::from_millis(300), drain: std::time::Duration::from_millis(200), flush_every: std::time::Duration::from_millis(50), ..Timing::default() };
        let ran = engine::execute_with_rollback(store.clone(), &keychain, job, CancellationToken::new(), timing, &mut |_| {}, &mut |_| {}).await;
        assert_eq!(ran[0].state, RunState::Succeeded, "{}", ran[0].outcome);
    }

    // An approved announcement, sent to two people (one failed).
    store
        .write(|tx| {
            tx.execute(
                "INSERT INTO announcements (id, release_id, channel, audience, parts, approved_by, approved_at, approved_digest, created_at, updated_at)
                 VALUES ('an1', ?1, 'email', 'endUsers', '{}', 'Priya', ?2, 'abc123digest', ?2, ?2)",
                rusqlite::params![release.id, liftoff_core::clock::to_text(now)],
            )?;
            tx.execute(
                "INSERT INTO announce_sends (id, announcement_id, release_id, kind, audience, started_by, started_at, finished_at, state, subject, text, html)
                 VALUES ('s1', 'an1', ?1, 'audience', 'endUsers', 'Lena', ?2, ?2, 'done', '2.4.0 is out', 'Plain text body', '<p>HTML body</p>')",
                rusqlite::params![release.id, liftoff_core::clock::to_text(now + Duration::seconds(5))],
            )?;
            tx.execute("INSERT INTO announce_deliveries (send_id, address, line, state) VALUES ('s1', 'ann@example.com', 1, 'sent'), ('s1', 'bob@example.com', 2, 'failed')", [])?;
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
    f
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn build(f: &Fixture, options: EvidenceOptions) -> EvidenceFile {
    evidence::build(&f.store, &f.release_id, options, "Auditor", at("2026-12-07T08:00:00Z")).unwrap()
}

fn kinds(file: &EvidenceFile) -> Vec<&str> {
    file.entries.iter().map(|e| e.kind.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_file_holds_the_release_s_record_in_time_order_and_verifies() {
    let f = fixture().await;
    let file = build(&f, EvidenceOptions::default());
    let text = file.to_text();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((json["format"].as_str(), json["version"].as_u64()), (Some("liftoff.evidence"), Some(1)));
    assert_eq!(json["header"]["release"]["version"], "2.4.0");

    let k = kinds(&file);
    assert_eq!(k[0], "release");
    for kind in ["checklistItem", "gateOverride", "window", "freezeOverride", "run", "releaseState", "announcement", "send", "audit"] {
        assert!(k.contains(&kind), "{kind} in {k:?}");
    }
    assert_eq!(file.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=file.entries.len() as u64).collect::<Vec<_>>());
    assert!(file.entries.windows(2).all(|w| w[0].at <= w[1].at), "time order");
    assert_eq!(file.entries[0].prev, json["header"]["hash"].as_str().unwrap());
    assert!(file.entries.windows(2).all(|w| w[1].prev == w[0].hash));

    // A run: preflight (with the gate's verdict and its override), steps,
    // checks, outcome and the digest of its stored masked log.
    let run = file.entries.iter().find(|e| e.kind == "run" && e.data["environment"]["name"] == "production").unwrap();
    let gate = run.data["preflight"].as_array().unwrap().iter().find(|c| c["key"] == "gate").expect("the gate's evaluation");
    assert!(gate.to_string().contains("Dana (CTO)"), "the override decision is in the gate check: {gate}");
    assert!(run.data["steps"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(run.data["state"], "succeeded");
    let log = runs::log_text(&f.store, run.data["id"].as_str().unwrap()).unwrap();
    assert_eq!(run.data["log"]["sha256"], evidence::sha256_hex(log.as_bytes()));
    assert!(run.data["log"].get("text").is_none(), "the log itself only on request");

    let item = file.entries.iter().find(|e| e.kind == "checklistItem" && e.data["title"] == "Backups taken").unwrap();
    assert_eq!((item.data["state"].as_str(), item.data["evidence"].as_str()), (Some("done"), Some("https://tickets.example.com/OPS-12")));
    let send = file.entries.iter().find(|e| e.kind == "send").unwrap();
    assert_eq!(send.data["textSha256"], evidence::sha256_hex(b"Plain text body"));
    assert_eq!(send.data["htmlSha256"], evidence::sha256_hex(b"<p>HTML body</p>"));
    assert_eq!((send.data["deliveries"]["total"].as_i64(), send.data["deliveries"]["sent"].as_i64(), send.data["deliveries"]["failed"].as_i64()), (Some(2), Some(1), Some(1)));
    assert!(!text.contains("ann@example.com"), "addresses only on request");
    let ann = file.entries.iter().find(|e| e.kind == "announcement").unwrap();
    assert_eq!(ann.data["approvedDigest"], "abc123digest");

    let v = evidence::verify(&text, None);
    assert!(v.intact, "{}", v.words());
    assert_eq!(v.head.as_deref(), Some(file.head().as_str()));
    let v = evidence::verify(&text, Some(&file.head().to_uppercase()));
    assert!(v.intact && v.head_checked, "{}", v.words());

    let full = build(&f, EvidenceOptions { with_logs: true, with_addresses: true }).to_text();
    assert!(full.contains("ann@example.com") && full.contains("bob@example.com"));
    assert!(full.contains("deployed 2.4.0"), "the log text is there on request");
    assert!(evidence::verify(&full, None).intact);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_value_reaches_the_file_only_the_credential_s_name() {
    let f = fixture().await;
    let full = build(&f, EvidenceOptions { with_logs: true, with_addresses: true }).to_text();
    assert!(!full.contains(SECRET), "the credential's value is in the evidence file");
    assert!(!full.contains(&SECRET[..12]));
    // The masked line is there, so the test looked where the value would be.
    let staging_log = full.lines().find(|l| l.contains("connecting with")).expect("the step's line is in the log");
    assert!(!staging_log.contains("hunter2"), "{staging_log}");
    // And the database itself holds it nowhere either.
    let db = std::fs::read(f.store.db_path()).unwrap();
    assert!(!db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
}

/// The file with `edit` applied to its JSON.
fn edited(text: &str, edit: impl FnOnce(&mut Vec<Value>)) -> String {
    let mut json: Value = serde_json::from_str(text).unwrap();
    edit(json["entries"].as_array_mut().unwrap());
    serde_json::to_string_pretty(&json).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_a_move_or_a_cut_is_named_and_a_dropped_last_entry_needs_the_head() {
    let f = fixture().await;
    let file = build(&f, EvidenceOptions::default());
    let text = file.to_text();
    let head = file.head();
    let n = file.entries.len();

    // One byte changed inside one entry (the gate override's reason).
    let target = file.entries.iter().find(|e| e.kind == "gateOverride").unwrap();
    let start = text.find("\"kind\": \"gateOverride\"").unwrap();
    let offset = start + text[start..].find("Load test waived").unwrap() + "Load test waive".len();
    let mut bytes = text.clone().into_bytes();
    bytes[offset] = b's';
    let changed = String::from_utf8(bytes).unwrap();
    let v = evidence::verify(&changed, Some(&head));
    assert!(!v.intact);
    let problem = v.problem.clone().unwrap();
    assert_eq!((problem.seq, problem.kind.as_deref()), (Some(target.seq as i64), Some("gateOverride")), "{}", v.words());
    assert!(problem.what.contains("changed"), "{}", problem.what);
    assert!(v.words().starts_with(&format!("Not intact: entry {} (gateOverride)", target.seq)), "{}", v.words());

    // A change in the header.
    let v = evidence::verify(&text.replace("\"exportedBy\": \"Auditor\"", "\"exportedBy\": \"Auditer\""), None);
    assert_eq!(v.problem.unwrap().seq, Some(0));

    // Two entries swapped: the first one out of place is named.
    let swapped = edited(&text, |e| e.swap(3, 4));
    let v = evidence::verify(&swapped, None);
    let p = v.problem.unwrap();
    assert_eq!((p.seq, p.kind.as_deref()), (Some(file.entries[4].seq as i64), Some(file.entries[4].kind.as_str())));
    assert!(p.what.contains("out of place"), "{}", p.what);

    // An entry removed from the middle: the one after the gap is named.
    let v = evidence::verify(&edited(&text, |e| drop(e.remove(2))), None);
    assert_eq!(v.problem.unwrap().seq, Some(4));

    // The last entry dropped: the chain that is left holds, so only the
    // head hash recorded at export shows it.
    let cut = edited(&text, |e| drop(e.pop()));
    let v = evidence::verify(&cut, None);
    assert!(v.intact, "without --head a cut at the end cannot be seen: {}", v.words());
    assert_eq!(v.entries as usize, n - 1);
    let v = evidence::verify(&cut, Some(&head));
    assert!(!v.intact);
    let p = v.problem.clone().unwrap();
    assert_eq!(p.seq, Some(n as i64 - 1), "{}", v.words());
    assert!(p.what.contains("removed"), "{}", p.what);

    // An entry changed and every hash after it written anew: a consistent
    // chain that only the head exposes.
    let mut rebuilt: Value = serde_json::from_str(&text).unwrap();
    let mut prev = rebuilt["header"]["hash"].as_str().unwrap().to_owned();
    for (i, e) in rebuilt["entries"].as_array_mut().unwrap().iter_mut().enumerate() {
        if i == 1 {
            e["data"]["title"] = Value::String("rewritten".into());
        }
        e["prev"] = Value::String(prev.clone());
        let mut bare = e.clone();
        bare.as_object_mut().unwrap().remove("hash");
        let hash = evidence::sha256_hex(evidence::canonical(&bare).as_bytes());
        e["hash"] = Value::String(hash.clone());
        prev = hash;
    }
    let rebuilt = serde_json::to_string(&rebuilt).unwrap();
    assert!(evidence::verify(&rebuilt, None).intact);
    assert!(!evidence::verify(&rebuilt, Some(&head)).intact);

    // Whitespace and key order are not content: the canonical form is hashed.
    let compact = serde_json::to_string(&serde_json::from_str::<Value>(&text).unwrap()).unwrap();
    assert!(evidence::verify(&compact, Some(&head)).intact);
    assert!(!evidence::verify("not json", None).intact);
    assert!(evidence::verify("{\"format\": \"other\"}", None).problem.unwrap().what.contains("not a Liftoff evidence file"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_records_give_the_same_file_and_export_records_its_head() {
    let f = fixture().await;
    let a = build(&f, EvidenceOptions::default());
    let b = build(&f, EvidenceOptions::default());
    assert_eq!(a.to_text(), b.to_text(), "same data, same bytes");
    assert_eq!(a.head(), b.head());
    // The hash is the canonical JSON's: a value known from outside.
    assert_eq!(evidence::canonical(&serde_json::json!({"b": 1, "a": [true, null, "é"]})), r#"{"a":[true,null,"é"],"b":1}"#);
    assert_eq!(evidence::sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    // A file that could not be saved is not recorded.
    let refused = evidence::export(&f.store, &f.release_id, EvidenceOptions::default(), &lead(), at("2026-12-07T08:00:00Z"), |_| Err("The disk is full.".to_owned()));
    assert!(matches!(refused, Err(EvidenceError::NotSaved(ref m)) if m == "The disk is full."));
    let conn = rusqlite::Connection::open(f.store.db_path()).unwrap();
    let recorded = |conn: &rusqlite::Connection| -> i64 { conn.query_row("SELECT count(*) FROM audit_log WHERE action = 'release.evidenceExported'", [], |r| r.get(0)).unwrap() };
    assert_eq!(recorded(&conn), 0);
    let mut written = String::new();
    let exported = evidence::export(&f.store, &f.release_id, EvidenceOptions::default(), &lead(), at("2026-12-07T08:00:00Z"), |text| {
        written = text.to_owned();
        Ok(())
    })
    .unwrap();
    assert_eq!(written, exported.text);
    assert_eq!(recorded(&conn), 1);
    assert!(evidence::verify(&exported.text, Some(&exported.head)).intact);
    let (category, summary): (String, String) = conn
        .query_row("SELECT category, summary FROM audit_log WHERE action = 'release.evidenceExported' AND release_id = ?1", [&f.release_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(category, "release");
    assert!(summary.contains(&exported.head), "{summary}");
    // The next export carries that record as an entry of its own.
    let next = build(&f, EvidenceOptions::default());
    assert!(next.entries.iter().any(|e| e.data["action"] == "release.evidenceExported"));
    assert_eq!(next.entries.len(), a.entries.len() + 1);
}

/// What the benchmark measures at scale: a release with 200 runs, each with
/// a log, exported and verified through the plain core functions.
#[test]
fn a_release_with_200_runs_exports_and_verifies_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), Utc::now()).unwrap().store;
    let project = projects::create(&store, &ProjectDraft { name: "Big".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() }, Utc::now()).unwrap();
    let release = releases::create(&store, &project.id, &ReleaseDraft { version: "9.0.0".into(), name: "Big one".into(), scope: String::new(), target_date: None }, &lead(), Utc::now()).unwrap();
    let env = environments::list(&store, &project.id).unwrap().remove(0).id;
    store
        .write(|tx| {
            for i in 0..200 {
                let id = format!("run-{i:03}");
                let started = liftoff_core::clock::to_text(at("2026-11-01T00:00:00Z") + Duration::minutes(i));
                tx.execute(
                    "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, kind, started_by, started_at, ended_at, state, outcome, log_lines)
                     VALUES (?1, ?2, ?3, ?4, '9.0.0', 'deploy', 'CI', ?5, ?5, 'succeeded', 'ok', 100)",
                    rusqlite::params![id, project.id, env, release.id, started],
                )?;
                for seq in 1..=100 {
                    tx.execute("INSERT INTO deploy_log (run_id, seq, stream, text) VALUES (?1, ?2, 0, ?3)", rusqlite::params![id, seq, format!("line {seq} of {id}")])?;
                }
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
    let started = std::time::Instant::now();
    let file = evidence::build(&store, &release.id, EvidenceOptions { with_logs: true, with_addresses: false }, "Bench", at("2026-12-07T08:00:00Z")).unwrap();
    let text = file.to_text();
    let built = started.elapsed();
    let started = std::time::Instant::now();
    let v = evidence::verify(&text, Some(&file.head()));
    let verified = started.elapsed();
    assert!(v.intact, "{}", v.words());
    assert_eq!(file.entries.iter().filter(|e| e.kind == "run").count(), 200);
    eprintln!("200 runs: export {built:?} ({} KiB), verify {verified:?}", text.len() / 1024);
}
