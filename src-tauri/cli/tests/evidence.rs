//! `liftoff evidence export` and `verify` as an auditor and a lead run
//! them: the real `liftoff-cli` binary on a real database with a run it
//! deployed itself, and verify on a machine with no Liftoff database.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::Utc;
use liftoff_core::audit::Actor;
use liftoff_core::deploy::target::{self, CommandSpec, TargetSettings};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft};
use liftoff_core::Store;

const BIN: &str = env!("CARGO_BIN_EXE_liftoff-cli");

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--data-dir").arg(data).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").stdin(Stdio::null()).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A project "Shop" whose release 1.0.0 the command line deployed to staging.
fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_or_recover(dir.path(), Utc::now()).unwrap().store;
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Shop".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        let lead = Actor { person_id: None, name: "Lena".into() };
        releases::create(&store, &project.id, &ReleaseDraft { version: "1.0.0".into(), name: "First".into(), scope: String::new(), target_date: None }, &lead, Utc::now()).unwrap();
        let staging = liftoff_core::environments::list(&store, &project.id).unwrap().into_iter().find(|e| e.name == "staging").unwrap().id;
        let step = CommandSpec { program: "echo deployed $LIFTOFF_VERSION".into(), args: Vec::new(), through_shell: true, timeout_secs: 60 };
        target::set(&store, &staging, &TargetSettings::local_command(step), Utc::now()).unwrap();
        store.close_cleanly();
    }
    let out = cli(dir.path(), &["deploy", "--project", "Shop", "--env", "staging", "--version", "1.0.0"]);
    assert!(out.status.success(), "{}", text(&out));
    dir
}

#[test]
fn export_prints_the_head_that_verify_accepts_and_a_changed_or_cut_file_is_refused() {
    let data = shop();
    let file = data.path().join("evidence.json");
    let out = cli(data.path(), &["evidence", "export", "--project", "shop", "--release", "1.0.0", "--out", file.to_str().unwrap(), "--with-logs"]);
    assert!(out.status.success(), "{}", text(&out));
    let head = String::from_utf8(out.stdout.clone()).unwrap().trim().to_owned();
    assert_eq!(head.len(), 64, "standard output is the head hash alone: {head}");
    assert!(head.chars().all(|c| c.is_ascii_hexdigit()));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("liftoff evidence verify {} --head {head}", file.display())), "{said}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("\"format\": \"liftoff.evidence\"") && written.contains("deployed 1.0.0"), "the run and its log are in it");

    // The export is in the audit log with its head.
    let conn = rusqlite::Connection::open(data.path().join(liftoff_core::store::DB_FILE)).unwrap();
    let summary: String = conn.query_row("SELECT summary FROM audit_log WHERE action = 'release.evidenceExported'", [], |r| r.get(0)).unwrap();
    assert!(summary.contains(&head), "{summary}");

    // An auditor's machine: no Liftoff database at all.
    let elsewhere = tempfile::tempdir().unwrap();
    let nowhere = elsewhere.path().join("no-liftoff-here");
    let ok = cli(&nowhere, &["evidence", "verify", file.to_str().unwrap(), "--head", &head]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).starts_with("Intact"), "{}", text(&ok));

    // One byte changed in the run's entry.
    let at = written.find("\"kind\": \"run\"").unwrap();
    let at = at + written[at..].find("deployed 1.0.0").unwrap();
    let mut bytes = written.clone().into_bytes();
    bytes[at] = b'D';
    let changed = elsewhere.path().join("changed.json");
    std::fs::write(&changed, bytes).unwrap();
    let bad = cli(&nowhere, &["evidence", "verify", changed.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    let json: serde_json::Value = serde_json::from_str(&written).unwrap();
    let run_seq = json["entries"].as_array().unwrap().iter().find(|e| e["kind"] == "run").unwrap()["seq"].as_u64().unwrap();
    assert!(text(&bad).contains(&format!("entry {run_seq} (run)")), "{}", text(&bad));

    // The last entry dropped: intact without --head, refused with it.
    let mut cut = json.clone();
    cut["entries"].as_array_mut().unwrap().pop();
    let cut_file = elsewhere.path().join("cut.json");
    std::fs::write(&cut_file, serde_json::to_string_pretty(&cut).unwrap()).unwrap();
    let blind = cli(&nowhere, &["evidence", "verify", cut_file.to_str().unwrap()]);
    assert_eq!(blind.status.code(), Some(0), "{}", text(&blind));
    let caught = cli(&nowhere, &["evidence", "verify", cut_file.to_str().unwrap(), "--head", &head]);
    assert_eq!(caught.status.code(), Some(1), "{}", text(&caught));
    assert!(text(&caught).contains("removed"), "{}", text(&caught));

    // Not a file: a usage error.
    let missing = cli(&nowhere, &["evidence", "verify", elsewhere.path().join("none.json").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
}

#[test]
fn export_names_an_unknown_release_and_writes_beside_the_caller_by_default() {
    let data = shop();
    let out = cli(data.path(), &["evidence", "export", "--project", "Shop", "--release", "9.9.9"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no release 9.9.9"), "{}", text(&out));

    let here = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .current_dir(here.path())
        .args(["--data-dir", data.path().to_str().unwrap(), "evidence", "export", "--project", "Shop", "--release", "1.0.0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let file = here.path().join("evidence-1-0-0.json");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(!written.contains("\"text\":"), "no log text unless asked");
    let head = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let ok = cli(data.path(), &["evidence", "verify", file.to_str().unwrap(), "--head", &head]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
}
