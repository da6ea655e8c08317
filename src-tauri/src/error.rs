//! The one error type that crosses IPC: `{ code, message, fields?, detail? }`.
//!
//! `code` is a small set the UI can branch on; `message` is written for the
//! user (what happened, what to do); `fields` carries per-field validation
//! messages to show beside the inputs; `detail` is the technical text behind
//! the message (a parser's or the OS's words), which the window keeps behind
//! "Details".

use std::collections::BTreeMap;

use liftoff_core::announce::AnnounceError;
use liftoff_core::audit::AuditError;
use liftoff_core::connection::ConnectionError;
use liftoff_core::credentials::CredentialError;
use liftoff_core::deploy::DeployError;
use liftoff_core::environments::EnvironmentError;
use liftoff_core::people::PersonError;
use liftoff_core::planning::PlanningError;
use liftoff_core::projects::ProjectError;
use liftoff_core::release::ReleaseError;
use liftoff_core::sharing::ShareError;
use liftoff_core::rules::{ErrorKind, Kind};
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
    /// One stored value is damaged; the message names the row and column.
    Damaged,
    /// Liftoff could not start; the message says why.
    Startup,
    /// Something is locked or changed underneath (a busy database, a held
    /// lock); the message says what, and trying again later may work.
    Conflict,
    /// Stopped by the user or a timeout.
    Cancelled,
    /// Something outside Liftoff refused (a CI engine, a mail server).
    External,
    /// A fault inside Liftoff.
    Internal,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub fields: Option<BTreeMap<String, String>>,
    /// The technical text behind the message (a parser's or the OS's words),
    /// for the window to keep behind "Details".
    pub detail: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into(), fields: None, detail: None }
    }

    /// The same error with technical text to show behind "Details".
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        AppError { detail: Some(detail.into()), ..self }
    }
}

/// The one conversion from the core's errors: each says its kind, which
/// becomes the code; the message is the error's own words, the detail its
/// technical cause.
pub fn from_core<E: Kind>(e: &E) -> AppError {
    let code = match e.kind() {
        ErrorKind::Invalid => ErrorCode::Validation,
        ErrorKind::NotFound => ErrorCode::NotFound,
        ErrorKind::Keychain => ErrorCode::Keychain,
        ErrorKind::Database => ErrorCode::Database,
        ErrorKind::Damaged => ErrorCode::Damaged,
        ErrorKind::Conflict => ErrorCode::Conflict,
        ErrorKind::Cancelled => ErrorCode::Cancelled,
        ErrorKind::External => ErrorCode::External,
        ErrorKind::Internal => ErrorCode::Internal,
    };
    let detail = e.detail();
    if matches!(code, ErrorCode::Database | ErrorCode::Damaged | ErrorCode::Internal) {
        log::error!("{e} ({})", detail.as_deref().unwrap_or("no detail"));
    }
    AppError { code, message: e.to_string(), fields: e.fields().cloned(), detail }
}

macro_rules! from_core_errors {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                from_core(&e)
            }
        }
    )*};
}

from_core_errors!(
    StoreError,
    DeployError,
    AnnounceError,
    ProjectError,
    CredentialError,
    EnvironmentError,
    PersonError,
    ConnectionError,
    ShareError,
    ReleaseError,
    PlanningError,
    AuditError,
);

pub type Result<T> = std::result::Result<T, AppError>;
