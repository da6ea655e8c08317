//! The store under live work: slow calls never hold up reads or other
//! writes, and every committed write (and another process's commit) is
//! reported. Real SQLite files, real threads.

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use keyring::credential::CredentialApi;
use liftoff_core::credentials::{self, CredentialKind};
use liftoff_core::environments;
use liftoff_core::projects::{self, ProjectDraft, ProjectQuery};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::store::{ChangeKind, ChangeSet, DB_FILE};
use liftoff_core::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn draft(name: &str) -> ProjectDraft {
    ProjectDraft { name: name.into(), time_zone: "Europe/Berlin".into(), ..Default::default() }
}

fn names(store: &Store) -> Vec<String> {
    let q = ProjectQuery { text: String::new(), include_archived: true };
    projects::list(store, &q).unwrap().into_iter().map(|p| p.name).collect()
}

/// A keychain entry that takes `delay` to store a value, as an unlock
/// prompt would.
#[derive(Debug)]
struct SlowCredential {
    delay: Duration,
    value: Mutex<Option<Vec<u8>>>,
}

impl CredentialApi for SlowCredential {
    fn set_secret(&self, secret: &[u8]) -> keyring::Result<()> {
        thread::sleep(self.delay);
        *self.value.lock().unwrap() = Some(secret.to_vec());
        Ok(())
    }
    fn get_secret(&self) -> keyring::Result<Vec<u8>> {
        self.value.lock().unwrap().clone().ok_or(keyring::Error::NoEntry)
    }
    fn delete_credential(&self) -> keyring::Result<()> {
        self.value.lock().unwrap().take().map(|_| ()).ok_or(keyring::Error::NoEntry)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn slow_keychain(delay: Duration) -> Keychain {
    let entry = Arc::new(keyring::Entry::new_with_credential(Box::new(SlowCredential { delay, value: Mutex::new(None) })));
    Keychain::with_entries(move |_| Ok(entry.clone()))
}

fn recorder(store: &Store) -> Arc<Mutex<Vec<ChangeSet>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    store.subscribe(move |set| sink.lock().unwrap().push(set.clone()));
    seen
}

#[test]
fn a_keychain_call_that_blocks_for_seconds_holds_up_no_read_and_no_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), t0()).unwrap().store);
    let project = projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let staging = environments::list(&store, &project.id).unwrap().remove(1);

    let adding = {
        let store = store.clone();
        thread::spawn(move || {
            let keychain = slow_keychain(Duration::from_secs(3));
            let value = SecretValue::new("canary-slow-1");
            credentials::add(&store, &keychain, &staging.id, "DEPLOY_TOKEN", CredentialKind::ApiToken, &value, t0())
        })
    };
    thread::sleep(Duration::from_millis(300));

    let started = Instant::now();
    assert_eq!(names(&store), ["Atlas"]);
    let read = started.elapsed();
    let started = Instant::now();
    projects::create(&store, &draft("Borealis"), t0()).unwrap();
    let wrote = started.elapsed();
    assert!(!adding.is_finished(), "the keychain is still busy while the others ran");
    assert!(read < Duration::from_millis(500), "a read waited {read:?} for the keychain");
    assert!(wrote < Duration::from_millis(500), "a write waited {wrote:?} for the keychain");

    let credential = adding.join().unwrap().unwrap();
    assert_eq!(credential.name, "DEPLOY_TOKEN");
}

#[test]
fn reads_go_on_while_a_write_is_open_and_see_the_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), t0()).unwrap().store);
    projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let writer = {
        let store = store.clone();
        thread::spawn(move || {
            store
                .write(|tx| -> rusqlite::Result<()> {
                    tx.execute("UPDATE projects SET name = 'Renamed'", [])?;
                    opened_tx.send(()).unwrap();
                    thread::sleep(Duration::from_secs(1));
                    Ok(())
                })
                .unwrap()
        })
    };
    opened_rx.recv().unwrap();
    let started = Instant::now();
    assert_eq!(names(&store), ["Atlas"], "the open write is not seen");
    assert!(started.elapsed() < Duration::from_millis(300), "the read waited for the write");
    writer.join().unwrap();
    assert_eq!(names(&store), ["Renamed"]);
}

#[test]
fn each_committed_write_reports_what_changed_and_a_refused_one_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let seen = recorder(&store);

    let project = projects::create(&store, &draft("Atlas"), t0()).unwrap();
    {
        let sets = seen.lock().unwrap();
        assert_eq!(sets.len(), 1, "one commit, one report");
        let kinds: Vec<_> = sets[0].changes.iter().map(|c| c.kind).collect();
        assert!(kinds.contains(&ChangeKind::Project), "{kinds:?}");
        assert!(kinds.contains(&ChangeKind::Environment), "the default pipeline came with it: {kinds:?}");
        assert!(!sets[0].external);
    }

    // Refused before anything is written, and refused inside the write: nothing committed, nothing reported.
    assert!(projects::create(&store, &draft(""), t0()).is_err());
    assert!(projects::create(&store, &draft("Atlas"), t0()).is_err(), "the name is taken");
    let failed = store.write(|tx| -> rusqlite::Result<()> {
        tx.execute("UPDATE projects SET description = 'half done'", [])?;
        Err(rusqlite::Error::InvalidQuery)
    });
    assert!(failed.is_err());
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(projects::get(&store, &project.id).unwrap().description, "", "rolled back");

    // A write can say which project and item it changed.
    store
        .write(|tx| -> rusqlite::Result<()> {
            tx.execute("UPDATE projects SET description = 'x' WHERE id = ?1", [&project.id])?;
            tx.changed(ChangeKind::Project, Some(&project.id), Some(&project.id));
            Ok(())
        })
        .unwrap();
    let sets = seen.lock().unwrap();
    let last = sets.last().unwrap();
    assert_eq!(last.changes.len(), 1, "the table's kind is not repeated: {:?}", last.changes);
    assert_eq!(last.changes[0].project_id.as_deref(), Some(project.id.as_str()));
}

#[test]
fn another_connection_s_commit_is_noticed_and_our_own_are_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let seen = recorder(&store);
    projects::create(&store, &draft("Atlas"), t0()).unwrap();
    assert!(!store.poll_external_changes().unwrap(), "our own commit is not someone else's");

    // Another process (the command-line tool, a second Liftoff) writes to the file.
    let other = rusqlite::Connection::open(dir.path().join(DB_FILE)).unwrap();
    other.execute("UPDATE projects SET name = 'Renamed elsewhere'", []).unwrap();
    assert!(store.poll_external_changes().unwrap());
    assert!(!store.poll_external_changes().unwrap(), "told once");
    let sets = seen.lock().unwrap();
    let last = sets.last().unwrap();
    assert!(last.external);
    assert_eq!(last.changes[0].kind, ChangeKind::Any);
    drop(sets);
    assert_eq!(names(&store), ["Renamed elsewhere"]);
}

#[test]
fn the_writable_connection_is_never_handed_out_for_reading() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let reader = store.reader().unwrap();
    let refused = reader.execute("INSERT INTO projects (id, name, time_zone, created_at, updated_at) VALUES ('p', 'x', 'UTC', 'x', 'x')", []);
    assert!(refused.is_err(), "readers are read-only");
}

#[test]
fn two_adds_of_one_name_at_once_keep_the_winner_s_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_or_recover(dir.path(), t0()).unwrap().store);
    let project = projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let staging = environments::list(&store, &project.id).unwrap().remove(1);
    let keychain = slow_keychain(Duration::from_millis(300));
    let adds: Vec<_> = ["first-value", "second-value"]
        .into_iter()
        .map(|value| {
            let (store, keychain, env) = (store.clone(), keychain.clone(), staging.id.clone());
            thread::spawn(move || credentials::add(&store, &keychain, &env, "DEPLOY_TOKEN", CredentialKind::ApiToken, &SecretValue::new(value), t0()))
        })
        .collect();
    let results: Vec<_> = adds.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "one add wins");
    assert!(results.iter().any(|r| matches!(r, Err(credentials::CredentialError::Invalid(_)))), "the other is told the name is taken");
    let saved = results.into_iter().find_map(Result::ok).unwrap();
    let value = credentials::reveal(&store, &keychain, &saved.id, t0()).unwrap();
    assert!(["first-value", "second-value"].contains(&value.expose()), "the saved credential still has its value");
}
