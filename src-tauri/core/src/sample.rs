//! The sample project a first-time user can open to see Liftoff with
//! realistic data. Later features add their parts (environments, releases,
//! checklists) to it here.

use chrono::{DateTime, Utc};

use crate::projects::{self, Project, ProjectDraft, ProjectError, ProjectQuery};
use crate::Store;

pub const SAMPLE_NAME: &str = "Northwind Billing (sample)";

/// Creates the sample project, or returns it if it already exists.
pub fn open_sample_project(store: &mut Store, now: DateTime<Utc>) -> Result<Project, ProjectError> {
    let query = ProjectQuery { text: SAMPLE_NAME.into(), include_archived: true };
    if let Some(existing) = projects::list(store, &query)?.into_iter().find(|p| p.name == SAMPLE_NAME) {
        return Ok(existing);
    }
    let draft = ProjectDraft {
        name: SAMPLE_NAME.into(),
        description: "Customer billing portal and invoicing API for 40,000 business customers. \
                      Ships monthly; release 2.4 moves invoice generation to the new tax engine \
                      and needs a window outside the month-end billing peak."
            .into(),
        repository: "https://git.example.com/northwind/billing.git".into(),
        time_zone: "Europe/Berlin".into(),
    };
    projects::create(store, &draft, now)
}
