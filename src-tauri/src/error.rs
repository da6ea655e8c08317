//! The one error type that crosses IPC: `{ code, message, fields? }`.
//!
//! `code` is a small set the UI can branch on; `message` is written for the
//! user (what happened, what to do); `fields` carries per-field validation
//! messages to show beside the inputs.

use std::collections::BTreeMap;

use liftoff_core::connection::ConnectionError;
use liftoff_core::credentials::CredentialError;
use liftoff_core::environments::EnvironmentError;
use liftoff_core::people::PersonError;
use liftoff_core::planning::PlanningError;
use liftoff_core::projects::ProjectError;
use liftoff_core::releases::ReleaseError;
use liftoff_core::sharing::ShareError;
use liftoff_core::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The input was refused; see `fields`.
    Validation,
    /// The thing asked for does not exist (any more).
    NotFound,
    /// The OS keychain is missing, locked or refused; the message says what to do.
    Keychain,
    /// The database cannot be used (damaged, newer, in use, unwritable).
    Database,
    /// Liftoff could not start; the message says why.
    Startup,
    /// A fault inside Liftoff.
    Internal,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Option<BTreeMap<String, String>>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into(), fields: None }
    }

    /// Input refused, with a message per field to show beside it.
    fn invalid(message: String, fields: BTreeMap<String, String>) -> Self {
        AppError { code: ErrorCode::Validation, message, fields: Some(fields) }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        log::error!("store: {e}");
        AppError::new(ErrorCode::Database, e.to_string())
    }
}

impl From<ProjectError> for AppError {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::Invalid(fields) => AppError::invalid(ProjectError::Invalid(fields.clone()).to_string(), fields),
            ProjectError::NotFound => AppError::new(ErrorCode::NotFound, e.to_string()),
            ProjectError::Credentials(e) => e.into(),
            ProjectError::Sample(_) => AppError::new(ErrorCode::Internal, e.to_string()),
            ProjectError::Store(e) => e.into(),
        }
    }
}

impl From<CredentialError> for AppError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::Invalid(fields) => AppError::invalid(CredentialError::Invalid(fields.clone()).to_string(), fields),
            CredentialError::NotFound | CredentialError::EnvironmentNotFound | CredentialError::MissingValue(_) => {
                AppError::new(ErrorCode::NotFound, e.to_string())
            }
            CredentialError::Keychain { .. } => AppError::new(ErrorCode::Keychain, e.to_string()),
            CredentialError::Store(e) => e.into(),
        }
    }
}

impl From<EnvironmentError> for AppError {
    fn from(e: EnvironmentError) -> Self {
        match e {
            EnvironmentError::Invalid(fields) => AppError::invalid(EnvironmentError::Invalid(fields.clone()).to_string(), fields),
            EnvironmentError::NotFound | EnvironmentError::ProjectNotFound => AppError::new(ErrorCode::NotFound, e.to_string()),
            EnvironmentError::BadOrder => AppError::new(ErrorCode::Validation, e.to_string()),
            EnvironmentError::Credentials(e) => e.into(),
            EnvironmentError::Store(e) => e.into(),
        }
    }
}

impl From<PersonError> for AppError {
    fn from(e: PersonError) -> Self {
        match e {
            PersonError::Invalid(fields) => AppError::invalid(PersonError::Invalid(fields.clone()).to_string(), fields),
            PersonError::NotFound | PersonError::ProjectNotFound => AppError::new(ErrorCode::NotFound, e.to_string()),
            PersonError::StillReviewing { .. } => AppError::new(ErrorCode::Validation, e.to_string()),
            PersonError::Store(e) => e.into(),
        }
    }
}

impl From<ConnectionError> for AppError {
    fn from(e: ConnectionError) -> Self {
        match e {
            ConnectionError::NoHealthUrl | ConnectionError::ForeignCredential => AppError::new(ErrorCode::Validation, e.to_string()),
            ConnectionError::Environment(e) => e.into(),
            ConnectionError::Credential(e) => e.into(),
        }
    }
}

impl From<ShareError> for AppError {
    fn from(e: ShareError) -> Self {
        match e {
            ShareError::Malformed(_) | ShareError::NotAProjectFile | ShareError::NewerVersion { .. } | ShareError::Invalid { .. } => {
                AppError::new(ErrorCode::Validation, e.to_string())
            }
            ShareError::Project(e) => e.into(),
            ShareError::Environment(e) => e.into(),
            ShareError::Credential(e) => e.into(),
            ShareError::Person(e) => e.into(),
            ShareError::Store(e) => e.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, AppError>;

impl From<ReleaseError> for AppError {
    fn from(e: ReleaseError) -> Self {
        match e {
            ReleaseError::Invalid(fields) => AppError::invalid(ReleaseError::Invalid(fields.clone()).to_string(), fields),
            ReleaseError::NotFound
            | ReleaseError::OverrideNotFound
            | ReleaseError::ItemNotFound
            | ReleaseError::TemplateNotFound
            | ReleaseError::EnvironmentNotFound
            | ReleaseError::ProjectNotFound => AppError::new(ErrorCode::NotFound, e.to_string()),
            ReleaseError::Store(e) => e.into(),
            // Refusals the user can act on: the message says how.
            ReleaseError::UnknownActor
            | ReleaseError::BadTransition { .. }
            | ReleaseError::NotReviewer { .. }
            | ReleaseError::NoReviewer
            | ReleaseError::NotFinished(_)
            | ReleaseError::ChecklistExists
            | ReleaseError::GateClosed(_)
            | ReleaseError::File { .. } => AppError::new(ErrorCode::Validation, e.to_string()),
        }
    }
}

impl From<PlanningError> for AppError {
    fn from(e: PlanningError) -> Self {
        match e {
            PlanningError::Invalid(fields) => AppError::invalid(PlanningError::Invalid(fields.clone()).to_string(), fields),
            PlanningError::NotFound | PlanningError::ProjectNotFound | PlanningError::PersonNotFound => {
                AppError::new(ErrorCode::NotFound, e.to_string())
            }
            PlanningError::File(_) | PlanningError::Export(_) => AppError::new(ErrorCode::Validation, e.to_string()),
            PlanningError::Store(e) => e.into(),
        }
    }
}
