//! A real database with one project and one person in a zone: what the
//! calendar tests import busy time for.

use chrono::{DateTime, Utc};
use liftoff_core::people::{self, PersonDraft, Role};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::Store;

pub struct World {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub project_id: String,
    pub person_id: String,
}

pub fn person_in(zone: &str, now: DateTime<Utc>) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), now).unwrap().store;
    let project = projects::create(&store, &ProjectDraft { name: "Atlas".into(), time_zone: zone.into(), ..Default::default() }, now).unwrap();
    let draft = PersonDraft {
        name: "Priya Nair".into(),
        email: "priya@example.com".into(),
        role: Role::Reviewer,
        time_zone: zone.into(),
        work_start: "09:00".into(),
        work_end: "17:00".into(),
        work_days: [true, true, true, true, true, false, false],
    };
    let person = people::create(&store, &project.id, &draft, now).unwrap();
    World { _dir: dir, store, project_id: project.id, person_id: person.id }
}
