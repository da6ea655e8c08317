//! Planning the release window: recurring windows in named time zones (for
//! freezes and maintenance), and later the load, availability and scoring
//! the timeline uses.

pub mod busy;
pub mod ics;
pub mod ics_export;
pub mod load;
pub mod picture;
pub mod profile;
pub mod recurrence;
pub mod timeline;
pub mod window;
pub mod windows;

use crate::projects::FieldErrors;
use crate::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error("{}", crate::projects::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That window or entry no longer exists. The view has been refreshed.")]
    NotFound,
    #[error("That project no longer exists. It may have been deleted; the list has been refreshed.")]
    ProjectNotFound,
    #[error("That person is no longer in the project. The list has been refreshed.")]
    PersonNotFound,
    /// A file that cannot be imported; the message names the line and says
    /// what to do. Nothing was imported.
    #[error("{0} Nothing was imported.")]
    File(String),
    /// A file that could not be written; the message says what to do.
    #[error("{0}")]
    Export(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for PlanningError {
    fn from(e: rusqlite::Error) -> Self {
        PlanningError::Store(StoreError::Sqlite(e))
    }
}

/// Times for the planning tests, written as they read.
#[cfg(test)]
pub(crate) mod testing {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use chrono_tz::Tz;

    pub fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        local(y, m, d, h, min).and_utc()
    }
}
