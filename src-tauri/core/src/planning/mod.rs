//! Planning the release window: recurring windows in named time zones (for
//! freezes and maintenance), and later the load, availability and scoring
//! the timeline uses.

pub mod busy;
pub mod freeze_cron;
pub mod ics;
pub mod ics_export;
pub mod load;
pub mod picture;
pub mod profile;
pub mod recurrence;
pub mod timeline;
pub mod window;
pub mod windows;
pub mod zone;

use crate::rules::{ErrorKind, Kind};
use crate::rules::FieldErrors;
use crate::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error("{}", crate::rules::summarize(.0))]
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
    /// Repeat rules that would take longer to expand than a read may.
    #[error("{0}")]
    TooMuchWork(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for PlanningError {
    fn from(e: rusqlite::Error) -> Self {
        PlanningError::Store(StoreError::from(e))
    }
}

impl Kind for PlanningError {
    fn kind(&self) -> ErrorKind {
        match self {
            PlanningError::Invalid(_) | PlanningError::File(_) | PlanningError::Export(_) | PlanningError::TooMuchWork(_) => ErrorKind::Invalid,
            PlanningError::NotFound | PlanningError::ProjectNotFound | PlanningError::PersonNotFound => ErrorKind::NotFound,
            PlanningError::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            PlanningError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

/// A project, release or person read for planning keeps its kind of
/// failure: "not found" stays that, a busy or damaged database stays that.
impl From<crate::projects::ProjectError> for PlanningError {
    fn from(e: crate::projects::ProjectError) -> Self {
        use crate::projects::ProjectError as E;
        match e {
            E::NotFound => PlanningError::ProjectNotFound,
            E::Store(e) => PlanningError::Store(e),
            other => PlanningError::Export(other.to_string()),
        }
    }
}

impl From<crate::release::ReleaseError> for PlanningError {
    fn from(e: crate::release::ReleaseError) -> Self {
        use crate::release::ReleaseError as E;
        match e {
            E::NotFound => PlanningError::NotFound,
            E::ProjectNotFound => PlanningError::ProjectNotFound,
            E::Store(e) => PlanningError::Store(e),
            E::Invalid(f) => PlanningError::Invalid(f),
            other => PlanningError::Export(other.to_string()),
        }
    }
}

impl From<crate::people::PersonError> for PlanningError {
    fn from(e: crate::people::PersonError) -> Self {
        use crate::people::PersonError as E;
        match e {
            E::NotFound => PlanningError::PersonNotFound,
            E::ProjectNotFound => PlanningError::ProjectNotFound,
            E::Store(e) => PlanningError::Store(e),
            E::Invalid(f) => PlanningError::Invalid(f),
            other => PlanningError::Export(other.to_string()),
        }
    }
}

/// The zone a view shows times in, by its IANA name (the timeline's "Times
/// in" choice), for the words of conflicts and suggestions.
pub fn shown_zone(name: &str) -> Result<chrono_tz::Tz, PlanningError> {
    crate::time_zones::parse(name).ok_or_else(|| {
        PlanningError::Invalid(FieldErrors::from([("timeZone".to_owned(), format!("“{name}” is not a time zone Liftoff knows, such as Europe/Berlin."))]))
    })
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
