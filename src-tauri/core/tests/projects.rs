//! Projects through the public API on a real database.

use chrono::{DateTime, Duration, TimeZone, Utc};
use liftoff_core::announce::{self, AnnounceError};
use liftoff_core::audit::Actor;
use liftoff_core::projects::{self, ProjectDraft, ProjectError, ProjectQuery};
use liftoff_core::sample;
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    (dir, store)
}

fn draft(name: &str) -> ProjectDraft {
    ProjectDraft { name: name.into(), time_zone: "Europe/Berlin".into(), ..Default::default() }
}

fn query(text: &str, include_archived: bool) -> ProjectQuery {
    ProjectQuery { text: text.into(), include_archived }
}

fn count_rows(store: &Store) -> i64 {
    store.reader().unwrap().query_row("SELECT count(*) FROM projects", [], |r| r.get(0)).unwrap()
}

#[test]
fn create_stores_the_cleaned_draft() {
    let (_dir, store) = store();
    let mut d = draft("  Billing ");
    d.repository = "https://git.example.com/acme/billing.git".into();
    let p = projects::create(&store, &d, t0()).unwrap();
    assert_eq!(p.name, "Billing");
    assert_eq!(p.created_at, "2026-11-22T09:00:00Z");
    assert_eq!(projects::get(&store, &p.id).unwrap(), p);
}

#[test]
fn invalid_drafts_store_nothing() {
    let (_dir, store) = store();
    let err = projects::create(&store, &draft(""), t0()).unwrap_err();
    assert!(matches!(err, ProjectError::Invalid(ref f) if f.contains_key("name")));
    assert_eq!(count_rows(&store), 0);
}

#[test]
fn names_are_unique_ignoring_case() {
    let (_dir, store) = store();
    let first = projects::create(&store, &draft("Billing"), t0()).unwrap();
    let err = projects::create(&store, &draft("BILLING"), t0()).unwrap_err();
    match err {
        ProjectError::Invalid(f) => assert!(f["name"].contains("already a project called “Billing”")),
        other => panic!("{other:?}"),
    }
    // Renaming a project to its own name in another case is fine.
    let renamed = announce::update_project(&store, &first.id, &draft("billing"), &me(), t0()).unwrap();
    assert_eq!(renamed.name, "billing");
    // Renaming onto another project's name is not.
    let other = projects::create(&store, &draft("Portal"), t0()).unwrap();
    assert!(matches!(announce::update_project(&store, &other.id, &draft("Billing"), &me(), t0()), Err(AnnounceError::Project(ProjectError::Invalid(_)))));
    assert_eq!(projects::get(&store, &other.id).unwrap().name, "Portal");
}

#[test]
fn update_changes_fields_and_time() {
    let (_dir, store) = store();
    let p = projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let mut d = draft("Atlas Mobile");
    d.time_zone = "America/New_York".into();
    d.description = "Field app".into();
    let later = t0() + Duration::minutes(5);
    let u = announce::update_project(&store, &p.id, &d, &me(), later).unwrap();
    assert_eq!((u.name.as_str(), u.time_zone.as_str(), u.description.as_str()), ("Atlas Mobile", "America/New_York", "Field app"));
    assert_eq!(u.created_at, p.created_at);
    assert_eq!(u.updated_at, "2026-11-22T09:05:00Z");
}

#[test]
fn search_matches_name_description_and_repository() {
    let (_dir, store) = store();
    let mut a = draft("Billing");
    a.description = "Invoices and tax".into();
    projects::create(&store, &a, t0()).unwrap();
    let mut b = draft("Portal");
    b.repository = "git@git.example.com:acme/customer-portal.git".into();
    projects::create(&store, &b, t0()).unwrap();
    projects::create(&store, &draft("100% uptime"), t0()).unwrap();

    let found = |text: &str| -> Vec<String> {
        projects::list(&store, &query(text, false)).unwrap().into_iter().map(|p| p.name).collect()
    };
    assert_eq!(found(""), ["100% uptime", "Billing", "Portal"]);
    assert_eq!(found("TAX"), ["Billing"]);
    assert_eq!(found("customer-portal"), ["Portal"]);
    assert_eq!(found("%"), ["100% uptime"], "% is a literal, not a wildcard");
    assert!(found("nothing like this").is_empty());
}

#[test]
fn archived_projects_hide_until_asked_for() {
    let (_dir, store) = store();
    let p = projects::create(&store, &draft("Old"), t0()).unwrap();
    projects::create(&store, &draft("New"), t0()).unwrap();
    let archived = projects::set_archived(&store, &p.id, true, t0()).unwrap();
    assert_eq!(archived.archived_at.as_deref(), Some("2026-11-22T09:00:00Z"));
    let visible: Vec<_> = projects::list(&store, &query("", false)).unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(visible, ["New"]);
    let all: Vec<_> = projects::list(&store, &query("", true)).unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(all, ["New", "Old"], "archived projects sort last");
    let restored = projects::set_archived(&store, &p.id, false, t0()).unwrap();
    assert!(restored.archived_at.is_none());
}

#[test]
fn delete_removes_and_missing_ids_are_not_found() {
    let (_dir, store) = store();
    let p = projects::create(&store, &draft("Gone soon"), t0()).unwrap();
    projects::delete(&store, &Keychain::os(), &p.id).unwrap();
    assert_eq!(count_rows(&store), 0);
    assert!(matches!(projects::delete(&store, &Keychain::os(), &p.id), Err(ProjectError::NotFound)));
    assert!(matches!(projects::get(&store, &p.id), Err(ProjectError::NotFound)));
    assert!(matches!(announce::update_project(&store, &p.id, &draft("X"), &me(), t0()), Err(AnnounceError::Project(ProjectError::NotFound))));
    assert!(matches!(projects::set_archived(&store, &p.id, true, t0()), Err(ProjectError::NotFound)));
}

#[test]
fn the_sample_project_is_created_once() {
    let (_dir, store) = store();
    let first = sample::open_sample_project(&store, t0()).unwrap();
    let again = sample::open_sample_project(&store, t0()).unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(first.name, sample::SAMPLE_NAME);
    assert_eq!(count_rows(&store), 1);
}

fn me() -> Actor {
    Actor { person_id: None, name: "lena".into() }
}
