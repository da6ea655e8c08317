//! Environments and credentials through the public API on a real database.
//! Keychain faults are injected with keyring's mock; the real Secret
//! Service is exercised in `keychain.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use keyring::mock::MockCredential;
use liftoff_core::credentials::{self, CredentialError, CredentialKind};
use liftoff_core::environments::{self, EnvironmentDraft, EnvironmentError};
use liftoff_core::projects::{self, Project, ProjectDraft, ProjectError};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::Store;

const CANARY: &str = "canary-7f3a9c-never-in-sqlite";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

type ErrorMaker = Box<dyn Fn() -> keyring::Error + Send>;

/// A keychain made of keyring's mock entries, one per account, shared across
/// calls like a real store, that can be told to fail the next call.
#[derive(Clone, Default)]
struct FaultyKeychain {
    entries: Arc<Mutex<HashMap<String, Arc<keyring::Entry>>>>,
    fail_next: Arc<Mutex<Option<ErrorMaker>>>,
}

impl FaultyKeychain {
    fn keychain(&self) -> Keychain {
        let me = self.clone();
        Keychain::with_entries(move |account| {
            let entry = me
                .entries
                .lock()
                .unwrap()
                .entry(account.to_owned())
                .or_insert_with(|| Arc::new(keyring::Entry::new_with_credential(Box::new(MockCredential::default()))))
                .clone();
            if let Some(make) = me.fail_next.lock().unwrap().take() {
                let mock: &MockCredential = entry.get_credential().downcast_ref().unwrap();
                mock.set_error(make());
            }
            Ok(entry)
        })
    }

    fn fail_next(&self, make: impl Fn() -> keyring::Error + Send + 'static) {
        *self.fail_next.lock().unwrap() = Some(Box::new(make));
    }

    /// Accounts that hold a value.
    fn stored(&self) -> Vec<String> {
        let mut accounts: Vec<String> = self
            .entries
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, e)| e.get_password().is_ok())
            .map(|(a, _)| a.clone())
            .collect();
        accounts.sort();
        accounts
    }
}

fn locked() -> keyring::Error {
    keyring::Error::NoStorageAccess("the collection is locked".into())
}

fn setup() -> (tempfile::TempDir, Store, Project) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let draft = ProjectDraft { name: "Atlas".into(), time_zone: "Europe/Berlin".into(), ..Default::default() };
    let project = projects::create(&store, &draft, t0()).unwrap();
    (dir, store, project)
}

fn env_named(store: &Store, project: &Project, name: &str) -> String {
    environments::list(store, &project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
}

fn credential_count(store: &Store) -> i64 {
    store.reader().unwrap().query_row("SELECT count(*) FROM credentials", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_new_project_has_the_default_pipeline() {
    let (_dir, store, project) = setup();
    let envs = environments::list(&store, &project.id).unwrap();
    let summary: Vec<_> = envs.iter().map(|e| (e.name.as_str(), e.position, e.protected)).collect();
    assert_eq!(summary, [("development", 0, false), ("staging", 1, false), ("production", 2, true)]);
}

#[test]
fn environments_are_added_renamed_reordered_and_removed() {
    let (_dir, store, project) = setup();
    let draft = EnvironmentDraft {
        name: "qa".into(),
        url: "https://qa.example.com".into(),
        health_url: "https://qa.example.com/health".into(),
        colour: "#3366CC".into(),
        protected: false,
    };
    let qa = environments::create(&store, &project.id, &draft, t0()).unwrap();
    assert_eq!((qa.position, qa.colour.as_str()), (3, "#3366cc"));

    let mut dup = draft.clone();
    dup.name = "Staging".into();
    assert!(matches!(environments::update(&store, &qa.id, &dup, t0()), Err(EnvironmentError::Invalid(f)) if f["name"].contains("staging")));

    let mut ids: Vec<String> = environments::list(&store, &project.id).unwrap().into_iter().map(|e| e.id).collect();
    ids.swap(1, 3); // development, qa, production, staging
    let reordered = environments::reorder(&store, &project.id, &ids, t0()).unwrap();
    let names: Vec<_> = reordered.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["development", "qa", "production", "staging"]);
    assert!(matches!(environments::reorder(&store, &project.id, &ids[..2], t0()), Err(EnvironmentError::BadOrder)));

    let keychain = FaultyKeychain::default().keychain();
    environments::delete(&store, &keychain, &qa.id).unwrap();
    let after: Vec<_> = environments::list(&store, &project.id).unwrap().into_iter().map(|e| (e.name, e.position)).collect();
    assert_eq!(after, [("development".into(), 0), ("production".into(), 1), ("staging".into(), 2)]);
}

#[test]
fn a_credential_is_a_row_without_value_plus_a_keychain_entry() {
    let (dir, store, project) = setup();
    let faulty = FaultyKeychain::default();
    let keychain = faulty.keychain();
    let staging = env_named(&store, &project, "staging");
    let c = credentials::add(&store, &keychain, &staging, " DEPLOY_TOKEN ", CredentialKind::ApiToken, &SecretValue::new(CANARY), t0()).unwrap();
    assert_eq!(c.name, "DEPLOY_TOKEN");
    assert_eq!(faulty.stored(), [format!("{}/{}/deploy_token", project.id, staging)]);

    let later = t0() + chrono::Duration::minutes(3);
    let value = credentials::reveal(&store, &keychain, &c.id, later).unwrap();
    assert_eq!(value.expose(), CANARY);
    assert_eq!(credentials::list(&store, &staging).unwrap()[0].last_used_at.as_deref(), Some("2026-11-22T09:03:00Z"));

    credentials::replace(&store, &keychain, &c.id, &SecretValue::new("rotated-value"), later).unwrap();
    assert_eq!(credentials::reveal(&store, &keychain, &c.id, later).unwrap().expose(), "rotated-value");

    drop(store);
    for file in ["liftoff.db", "liftoff.db-wal"] {
        let path = dir.path().join(file);
        if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(CANARY), "{file} holds the secret");
        }
    }
}

#[test]
fn a_locked_keychain_saves_nothing() {
    let (_dir, store, project) = setup();
    let faulty = FaultyKeychain::default();
    let keychain = faulty.keychain();
    let prod = env_named(&store, &project, "production");
    faulty.fail_next(locked);
    let err = credentials::add(&store, &keychain, &prod, "DB_PASSWORD", CredentialKind::Password, &SecretValue::new(CANARY), t0()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("“DB_PASSWORD” was not saved"), "{message}");
    assert!(message.contains("The keychain is locked. Unlock it"), "{message}");
    assert!(!message.contains(CANARY));
    assert_eq!(credential_count(&store), 0, "no row without its keychain entry");
    assert!(faulty.stored().is_empty());

    // Once unlocked, the same request works.
    credentials::add(&store, &keychain, &prod, "DB_PASSWORD", CredentialKind::Password, &SecretValue::new(CANARY), t0()).unwrap();
    assert_eq!(credential_count(&store), 1);
}

#[test]
fn a_platform_failure_on_delete_keeps_row_and_entry() {
    let (_dir, store, project) = setup();
    let faulty = FaultyKeychain::default();
    let keychain = faulty.keychain();
    let prod = env_named(&store, &project, "production");
    let c = credentials::add(&store, &keychain, &prod, "SMTP", CredentialKind::SmtpPassword, &SecretValue::new("x"), t0()).unwrap();
    faulty.fail_next(|| keyring::Error::PlatformFailure("the keyring daemon refused".into()));
    assert!(matches!(credentials::delete(&store, &keychain, &c.id), Err(CredentialError::Keychain { .. })));
    assert_eq!(credential_count(&store), 1, "no entry without its row");
    assert_eq!(faulty.stored().len(), 1);
    credentials::delete(&store, &keychain, &c.id).unwrap();
    assert_eq!(credential_count(&store), 0);
    assert!(faulty.stored().is_empty());
}

#[test]
fn a_value_removed_outside_liftoff_is_reported() {
    let (_dir, store, project) = setup();
    let faulty = FaultyKeychain::default();
    let keychain = faulty.keychain();
    let dev = env_named(&store, &project, "development");
    let c = credentials::add(&store, &keychain, &dev, "TOKEN", CredentialKind::ApiToken, &SecretValue::new("x"), t0()).unwrap();
    for entry in faulty.entries.lock().unwrap().values() {
        entry.delete_credential().unwrap();
    }
    let err = credentials::reveal(&store, &keychain, &c.id, t0()).unwrap_err();
    assert!(matches!(err, CredentialError::MissingValue(ref n) if n == "TOKEN"));
    // Deleting it still works: no entry is fine.
    credentials::delete(&store, &keychain, &c.id).unwrap();
}

#[test]
fn deleting_an_environment_or_project_removes_keychain_entries() {
    let (_dir, store, project) = setup();
    let faulty = FaultyKeychain::default();
    let keychain = faulty.keychain();
    let staging = env_named(&store, &project, "staging");
    let prod = env_named(&store, &project, "production");
    for (env, name) in [(&staging, "A"), (&staging, "B"), (&prod, "C")] {
        credentials::add(&store, &keychain, env, name, CredentialKind::Other, &SecretValue::new("v"), t0()).unwrap();
    }

    // A locked keychain stops the environment's deletion; nothing is half-gone.
    faulty.fail_next(locked);
    let err = environments::delete(&store, &keychain, &staging).unwrap_err();
    assert!(err.to_string().contains("could not be removed from the keychain"), "{err}");
    assert_eq!(environments::list(&store, &project.id).unwrap().len(), 3);
    assert_eq!(credential_count(&store) as usize, faulty.stored().len());

    environments::delete(&store, &keychain, &staging).unwrap();
    assert_eq!(faulty.stored().len(), 1);
    projects::delete(&store, &keychain, &project.id).unwrap();
    assert!(faulty.stored().is_empty());
    assert_eq!(credential_count(&store), 0);
    assert!(matches!(projects::get(&store, &project.id), Err(ProjectError::NotFound)));
}

#[test]
fn credential_input_is_validated() {
    let (_dir, store, project) = setup();
    let keychain = FaultyKeychain::default().keychain();
    let dev = env_named(&store, &project, "development");
    let err = credentials::add(&store, &keychain, &dev, "", CredentialKind::Other, &SecretValue::new(""), t0()).unwrap_err();
    match err {
        CredentialError::Invalid(f) => assert_eq!(f.keys().collect::<Vec<_>>(), ["name", "value"]),
        other => panic!("{other:?}"),
    }
    credentials::add(&store, &keychain, &dev, "TOKEN", CredentialKind::Other, &SecretValue::new("v"), t0()).unwrap();
    let dup = credentials::add(&store, &keychain, &dev, "token", CredentialKind::Other, &SecretValue::new("v"), t0()).unwrap_err();
    assert!(matches!(dup, CredentialError::Invalid(f) if f["name"].contains("already has a credential")));
}

#[test]
fn a_keychain_service_that_went_away_mid_call_is_asked_once_more_and_only_once() {
    let (_dir, store, project) = setup();
    let faulty = FaultyKeychain::default();
    let keychain = faulty.keychain();
    let prod = env_named(&store, &project, "production");
    let gone = || keyring::Error::PlatformFailure("DBus error: Message recipient disconnected from message bus without replying".into());
    // The daemon ended during the call; D-Bus starts it again for the next one.
    faulty.fail_next(gone);
    credentials::add(&store, &keychain, &prod, "DB_PASSWORD", CredentialKind::Password, &SecretValue::new(CANARY), t0()).unwrap();
    assert_eq!(credential_count(&store), 1);
    // Another failure is not repeated: a refusal stays a refusal.
    faulty.fail_next(|| keyring::Error::PlatformFailure("the keyring daemon refused".into()));
    assert!(credentials::add(&store, &keychain, &prod, "API_TOKEN", CredentialKind::ApiToken, &SecretValue::new("y"), t0()).is_err());
    assert_eq!(credential_count(&store), 1);
}
