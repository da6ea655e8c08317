//! Export and import of a project file, on real databases.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use keyring::mock::MockCredential;
use liftoff_core::credentials::{self, CredentialKind};
use liftoff_core::environments::{self, EnvironmentDraft};
use liftoff_core::people::{self, PersonDraft, Role};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::rules::Kind;
use liftoff_core::sharing::{self, ShareError};
use liftoff_core::Store;

const CANARY: &str = "canary-share-44e0";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    (dir, store)
}

fn mock_keychain() -> Keychain {
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

/// A project with a fourth environment, a credential and a person.
fn exported() -> String {
    let (_dir, store) = store();
    let draft = ProjectDraft { name: "Atlas".into(), description: "Field app".into(), repository: "/srv/atlas".into(), time_zone: "Europe/Berlin".into() };
    let p = projects::create(&store, &draft, t0()).unwrap();
    let qa = EnvironmentDraft { name: "qa".into(), url: "https://qa.example.com".into(), health_url: String::new(), colour: "#123456".into(), protected: false };
    environments::create(&store, &p.id, &qa, t0()).unwrap();
    let staging = environments::list(&store, &p.id).unwrap()[1].id.clone();
    credentials::add(&store, &mock_keychain(), &staging, "DEPLOY_TOKEN", CredentialKind::ApiToken, &SecretValue::new(CANARY), t0()).unwrap();
    let person = PersonDraft {
        name: "Dana".into(),
        email: "dana@example.com".into(),
        role: Role::Reviewer,
        time_zone: "America/New_York".into(),
        work_start: "09:00".into(),
        work_end: "17:00".into(),
        work_days: [true, true, true, true, true, false, false],
    };
    people::create(&store, &p.id, &person, t0()).unwrap();
    sharing::export(&store, &p.id, t0()).unwrap()
}

fn project_count(store: &Store) -> i64 {
    store.reader().unwrap().query_row("SELECT count(*) FROM projects", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_project_round_trips_without_its_secret_values() {
    let json = exported();
    assert!(!json.contains(CANARY), "an export must not hold a secret value");
    assert!(json.contains("\"DEPLOY_TOKEN\""));

    let (_dir, other) = store();
    let report = sharing::import(&other, &json, t0()).unwrap();
    assert_eq!(report.project.name, "Atlas");
    assert_eq!(report.project.repository, "/srv/atlas");
    let envs: Vec<_> = environments::list(&other, &report.project.id).unwrap().into_iter().map(|e| (e.name, e.protected)).collect();
    assert_eq!(envs, [("development".into(), false), ("staging".into(), false), ("production".into(), true), ("qa".into(), false)]);
    let to_fill: Vec<_> = report.secrets_to_fill.iter().map(|s| (s.environment.as_str(), s.name.as_str())).collect();
    assert_eq!(to_fill, [("staging", "DEPLOY_TOKEN")]);
    let staging = &environments::list(&other, &report.project.id).unwrap()[1];
    assert!(credentials::list(&other, &staging.id).unwrap().is_empty(), "no row without a keychain value");
    let people = people::list(&other, &report.project.id).unwrap();
    assert_eq!((people[0].name.as_str(), people[0].role), ("Dana", Role::Reviewer));
}

#[test]
fn importing_on_the_same_machine_gets_a_free_name() {
    let json = exported();
    let (_dir, s) = store();
    sharing::import(&s, &json, t0()).unwrap();
    assert_eq!(sharing::import(&s, &json, t0()).unwrap().project.name, "Atlas (2)");
    assert_eq!(sharing::import(&s, &json, t0()).unwrap().project.name, "Atlas (3)");
}

#[test]
fn a_name_at_the_limit_still_gets_a_free_name_within_it() {
    let long = "L".repeat(100);
    let json = exported().replace("\"name\": \"Atlas\"", &format!("\"name\": \"{long}\""));
    let (_dir, s) = store();
    assert_eq!(sharing::import(&s, &json, t0()).unwrap().project.name, long);
    let second = sharing::import(&s, &json, t0()).unwrap().project.name;
    assert_eq!(second.chars().count(), 100, "{second}");
    assert!(second.ends_with("L (2)"), "{second}");
}

#[test]
fn bad_files_say_what_is_wrong_and_write_nothing() {
    let json = exported();
    let (_dir, s) = store();
    let cases: Vec<(String, &str)> = vec![
        (json[..json.len() / 2].to_owned(), "The file is not valid JSON (it ends"),
        ("{\"hello\": 1}".into(), "This is not a Liftoff project file"),
        (json.replace("\"version\": 1", "\"version\": 7"), "newer Liftoff (format version 7; this one reads up to 1)"),
        (json.replace("\"https://qa.example.com\"", "\"qa.example.com\""), "at environments[3].url: The URL must start with https://"),
        (json.replace("\"dana@example.com\"", "\"dana\""), "at people[0].email"),
        (json.replace("\"name\": \"qa\"", "\"name\": \"staging\""), "at environments[3].name: The environment “staging” appears twice."),
        (json.replace("\"timeZone\": \"Europe/Berlin\"", "\"timeZone\": \"Nowhere/Land\""), "at project.timeZone"),
        (json.replacen("\"description\"", "\"descripton\"", 1), "at line 10, column 3: The field “description” is missing."),
    ];
    for (bad, expected) in cases {
        let err = sharing::import(&s, &bad, t0()).unwrap_err();
        assert!(err.to_string().contains(expected), "expected “{expected}” in: {err}");
        assert!(!err.to_string().contains("EOF") && !err.to_string().contains('`'), "no parser words in: {err}");
        assert!(matches!(err, ShareError::Malformed { .. } | ShareError::NotAProjectFile | ShareError::NewerVersion { .. } | ShareError::Invalid { .. }));
        assert_eq!(project_count(&s), 0, "nothing may be written for: {expected}");
    }
}

#[test]
fn a_project_file_is_written_whole_replaced_when_chosen_again_and_read_from_its_path() {
    let (dir, s) = store();
    let draft = ProjectDraft { name: "Atlas".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() };
    let p = projects::create(&s, &draft, t0()).unwrap();
    let path = dir.path().join("atlas.liftoff.json");
    std::fs::write(&path, "an older file").unwrap();
    // The Save dialog asked before this name was chosen again.
    sharing::export_to_file(&s, &p.id, &path, t0()).unwrap();
    assert!(std::fs::read_to_string(&path).unwrap().contains("\"liftoff.project\""));

    let (_other_dir, other) = store();
    assert_eq!(sharing::import_file(&other, &path, t0()).unwrap().project.name, "Atlas");

    let e = sharing::export_to_file(&s, &p.id, &dir.path().join("gone/atlas.json"), t0()).unwrap_err();
    assert_eq!(e.to_string(), "That folder does not exist. Choose an existing folder.");

    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge).unwrap().set_len(11 * 1024 * 1024).unwrap();
    let e = sharing::import_file(&other, &huge, t0()).unwrap_err().to_string();
    assert!(e.contains("at most 10 MB"), "{e}");
    let e = sharing::import_file(&other, &dir.path().join("missing.json"), t0()).unwrap_err().to_string();
    assert!(e.contains("no longer exists"), "{e}");
    assert_eq!(project_count(&other), 1, "nothing more imported");
}

#[test]
fn a_cut_file_names_its_line_and_keeps_the_parsers_words_as_the_detail() {
    let (_dir, s) = store();
    let cut = "{\n  \"format\": \"liftoff.project\",\n  \"version\": 1,\n  \"project\": {\n    \"name\": \"Atl";
    let err = sharing::import(&s, cut, t0()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "The file is not valid JSON (it ends in the middle of a text on line 5). Export the project again from Liftoff, or fix the file."
    );
    assert_eq!(err.detail().as_deref(), Some("EOF while parsing a string at line 5 column 16"));
}
