//! People through the public API on a real database.

use chrono::{DateTime, TimeZone, Utc};
use liftoff_core::people::{self, PersonDraft, PersonError, Role};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn setup() -> (tempfile::TempDir, Store, Project) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let draft = ProjectDraft { name: "Atlas".into(), time_zone: "Europe/Berlin".into(), ..Default::default() };
    let project = projects::create(&store, &draft, t0()).unwrap();
    (dir, store, project)
}

#[test]
fn people_are_added_edited_and_removed_per_project() {
    let (_dir, store, project) = setup();
    let draft = PersonDraft {
        name: "Dana Reviewer".into(),
        email: "dana@example.com".into(),
        role: Role::Reviewer,
        time_zone: "America/New_York".into(),
        work_start: "08:30".into(),
        work_end: "16:30".into(),
        work_days: [true, true, true, true, true, false, false],
    };
    let dana = people::create(&store, &project.id, &draft, t0()).unwrap();
    assert_eq!(dana.work_days, draft.work_days);
    let mut dup = draft.clone();
    dup.name = "Someone else".into();
    dup.email = "DANA@example.com".into();
    assert!(matches!(people::create(&store, &project.id, &dup, t0()), Err(PersonError::Invalid(f)) if f["email"].contains("Dana Reviewer")));

    let mut lead = draft.clone();
    lead.role = Role::Lead;
    lead.name = "Dana Lead".into();
    let updated = people::update(&store, &dana.id, &lead, t0()).unwrap();
    assert_eq!((updated.role, updated.name.as_str()), (Role::Lead, "Dana Lead"));
    assert_eq!(people::list(&store, &project.id).unwrap().len(), 1);

    people::delete(&store, &dana.id).unwrap();
    assert!(people::list(&store, &project.id).unwrap().is_empty());
    assert!(matches!(people::delete(&store, &dana.id), Err(PersonError::NotFound)));
}
