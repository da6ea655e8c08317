//! Credentials of an environment: names, kinds and dates in SQLite, values
//! only in the OS keychain.
//!
//! Every operation keeps the two in step: a row is committed only after its
//! keychain entry was written, and a row is removed only after its entry
//! was. When the keychain fails, the operation fails whole and says why.

use crate::rules::{ErrorKind, Kind};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::rules::FieldErrors;
use crate::secrets::{Keychain, KeychainError, SecretKey, SecretValue};
use crate::{clock, Store, StoreError};
use crate::store::column::{self, stored_text};

pub const NAME_MAX: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum CredentialKind {
    ApiToken,
    Password,
    SshKeyPassphrase,
    SmtpPassword,
    Other,
}

stored_text!(CredentialKind {
    ApiToken => "apiToken",
    Password => "password",
    SshKeyPassphrase => "sshKeyPassphrase",
    SmtpPassword => "smtpPassword",
    Other => "other",
});

/// A credential as SQLite knows it: no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub id: String,
    pub environment_id: String,
    pub name: String,
    pub kind: CredentialKind,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub last_rotated_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("{}", crate::rules::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That credential no longer exists. It may have been deleted; the list has been refreshed.")]
    NotFound,
    #[error("That environment no longer exists. It may have been deleted; the list has been refreshed.")]
    EnvironmentNotFound,
    #[error("The keychain has no value for “{0}”. It may have been removed outside Liftoff; set the value again.")]
    MissingValue(String),
    #[error("{message}")]
    Keychain {
        message: String,
        #[source]
        source: KeychainError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CredentialError {
    fn from(e: rusqlite::Error) -> Self {
        CredentialError::Store(StoreError::from(e))
    }
}

impl Kind for CredentialError {
    fn kind(&self) -> ErrorKind {
        match self {
            CredentialError::Invalid(_) => ErrorKind::Invalid,
            CredentialError::NotFound | CredentialError::EnvironmentNotFound | CredentialError::MissingValue(_) => ErrorKind::NotFound,
            CredentialError::Keychain { .. } => ErrorKind::Keychain,
            CredentialError::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            CredentialError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

fn keychain_error(what: &str, source: KeychainError) -> CredentialError {
    CredentialError::Keychain { message: format!("{what}: {source}"), source }
}

pub fn list(store: &Store, environment_id: &str) -> Result<Vec<Credential>, CredentialError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE c.environment_id = ?1 ORDER BY c.name COLLATE NOCASE"))?;
    let rows = stmt.query_map(params![environment_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Credential changes in this process take turns from their check to their
/// row: two adds of one name (a double click) must not both reach the
/// keychain, where the loser's clean-up would delete the winner's value.
/// This is not the database's write lock: reads and other writes go on.
static KEYCHAIN_CHANGES: Mutex<()> = Mutex::new(());

fn keychain_turn() -> std::sync::MutexGuard<'static, ()> {
    KEYCHAIN_CHANGES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Adds a named credential and stores its value in the keychain.
pub fn add(
    store: &Store,
    keychain: &Keychain,
    environment_id: &str,
    name: &str,
    kind: CredentialKind,
    value: &SecretValue,
    now: DateTime<Utc>,
) -> Result<Credential, CredentialError> {
    let name = validate(name, value)?;
    let _turn = keychain_turn();
    // Checked before the keychain is asked, and again in the write (another
    // process may add the same name meanwhile).
    let project_id = store.read(|conn| -> Result<String, CredentialError> {
        let project_id = environment_project(conn, environment_id)?;
        ensure_name_free(conn, environment_id, &name)?;
        Ok(project_id)
    })?;
    let key = SecretKey { project_id, environment_id: environment_id.to_owned(), name: name.clone() };
    // The value goes to the keychain first, with no transaction open (an
    // unlock prompt may take minutes); the row follows, and if it cannot be
    // written the entry is taken back.
    keychain.set(&key, value).map_err(|e| keychain_error(&format!("“{name}” was not saved"), e))?;
    let written = store.write(|tx| {
        environment_project(tx, environment_id)?;
        ensure_name_free(tx, environment_id, &name)?;
        let id = uuid::Uuid::now_v7().to_string();
        let at = clock::to_text(now);
        tx.execute(
            "INSERT INTO credentials (id, environment_id, name, kind, created_at, last_rotated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![id, environment_id, name, kind.as_str(), at],
        )?;
        get_in(tx, &id)?.ok_or(CredentialError::NotFound)
    });
    if written.is_err() {
        if let Err(cleanup) = keychain.delete(&key) {
            log::warn!("could not remove the keychain entry of an unsaved credential: {cleanup}");
        }
    }
    written
}

fn environment_project(conn: &Connection, environment_id: &str) -> Result<String, CredentialError> {
    // Asked here, not of `environments`: deleting an environment deletes
    // its credentials, so that module depends on this one.
    conn.query_row("SELECT project_id FROM environments WHERE id = ?1", params![environment_id], |r| r.get(0))
        .optional()?
        .ok_or(CredentialError::EnvironmentNotFound)
}

fn ensure_name_free(conn: &Connection, environment_id: &str, name: &str) -> Result<(), CredentialError> {
    let taken: Option<String> = conn
        .query_row(
            "SELECT name FROM credentials WHERE environment_id = ?1 AND name = ?2 COLLATE NOCASE",
            params![environment_id, name],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(existing) => Err(CredentialError::Invalid(FieldErrors::from([(
            "name".to_owned(),
            format!("This environment already has a credential called “{existing}”. Replace its value instead."),
        )]))),
        None => Ok(()),
    }
}

/// Replaces a credential's value (a rotation).
pub fn replace(store: &Store, keychain: &Keychain, id: &str, value: &SecretValue, now: DateTime<Utc>) -> Result<Credential, CredentialError> {
    let _turn = keychain_turn();
    let (credential, key) = locate(&*store.reader()?, id)?;
    validate(&credential.name, value)?;
    keychain.set(&key, value).map_err(|e| keychain_error(&format!("The value of “{}” was not replaced", credential.name), e))?;
    store.write(|tx| tx.execute("UPDATE credentials SET last_rotated_at = ?2 WHERE id = ?1", params![id, clock::to_text(now)]))?;
    Ok(locate(&*store.reader()?, id)?.0)
}

/// Reads a credential's value from the keychain, for an explicit reveal or a
/// deploy. Records the use.
pub fn reveal(store: &Store, keychain: &Keychain, id: &str, now: DateTime<Utc>) -> Result<SecretValue, CredentialError> {
    let (credential, key) = locate(&*store.reader()?, id)?;
    let value = keychain
        .get(&key)
        .map_err(|e| keychain_error(&format!("“{}” could not be read", credential.name), e))?
        .ok_or_else(|| CredentialError::MissingValue(credential.name.clone()))?;
    store.write(|tx| tx.execute("UPDATE credentials SET last_used_at = ?2 WHERE id = ?1", params![id, clock::to_text(now)]))?;
    Ok(value)
}

/// Deletes a credential: the keychain entry first, then the row.
pub fn delete(store: &Store, keychain: &Keychain, id: &str) -> Result<(), CredentialError> {
    let _turn = keychain_turn();
    let (credential, key) = locate(&*store.reader()?, id)?;
    keychain.delete(&key).map_err(|e| keychain_error(&format!("“{}” was not deleted", credential.name), e))?;
    store.write(|tx| tx.execute("DELETE FROM credentials WHERE id = ?1", params![id]))?;
    Ok(())
}

/// Deletes every credential of an environment. Each credential goes whole
/// (entry, then row) or stays whole; the error names those that stayed.
pub fn delete_all_in_environment(store: &Store, keychain: &Keychain, environment_id: &str) -> Result<(), CredentialError> {
    let mut kept = Vec::new();
    let mut first_error = None;
    for credential in list(store, environment_id)? {
        match delete(store, keychain, &credential.id) {
            Ok(()) => {}
            Err(CredentialError::Keychain { source, .. }) => {
                kept.push(credential.name);
                first_error.get_or_insert(source);
            }
            Err(other) => return Err(other),
        }
    }
    match first_error {
        None => Ok(()),
        Some(source) => Err(CredentialError::Keychain {
            message: format!(
                "{} could not be removed from the keychain, so nothing that holds {} was deleted: {source}",
                quoted_list(&kept),
                if kept.len() == 1 { "it" } else { "them" }
            ),
            source,
        }),
    }
}

fn quoted_list(names: &[String]) -> String {
    names.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ")
}

fn validate(name: &str, value: &SecretValue) -> Result<String, CredentialError> {
    let name = name.trim().to_owned();
    let mut errors = FieldErrors::new();
    let len = name.chars().count();
    if len == 0 {
        errors.insert("name".into(), "Name the credential, such as DEPLOY_TOKEN.".into());
    } else if len > NAME_MAX {
        errors.insert("name".into(), format!("Keep the name to {NAME_MAX} characters or fewer."));
    } else if name.chars().any(char::is_control) {
        errors.insert("name".into(), "The name cannot contain line breaks or control characters.".into());
    }
    if value.is_empty() {
        errors.insert("value".into(), "Enter the secret value.".into());
    }
    if errors.is_empty() {
        Ok(name)
    } else {
        Err(CredentialError::Invalid(errors))
    }
}

const SELECT: &str = "SELECT c.id, c.environment_id, c.name, c.kind, c.created_at, c.last_used_at, c.last_rotated_at, e.project_id
     FROM credentials c JOIN environments e ON e.id = c.environment_id";

fn get_in(conn: &Connection, id: &str) -> Result<Option<Credential>, CredentialError> {
    Ok(conn.query_row(&format!("{SELECT} WHERE c.id = ?1"), params![id], from_row).optional()?)
}

fn locate(conn: &Connection, id: &str) -> Result<(Credential, SecretKey), CredentialError> {
    let found = conn
        .query_row(&format!("{SELECT} WHERE c.id = ?1"), params![id], |row| {
            let credential = from_row(row)?;
            let project_id: String = row.get(7)?;
            Ok((credential, project_id))
        })
        .optional()?;
    let (credential, project_id) = found.ok_or(CredentialError::NotFound)?;
    let key = SecretKey { project_id, environment_id: credential.environment_id.clone(), name: credential.name.clone() };
    Ok((credential, key))
}

fn from_row(row: &Row) -> rusqlite::Result<Credential> {
    let (id, kind): (String, String) = (row.get(0)?, row.get(3)?);
    Ok(Credential {
        id: row.get(0)?,
        environment_id: row.get(1)?,
        name: row.get(2)?,
        kind: column::text("credentials", &id, "kind", &kind)?,
        created_at: row.get(4)?,
        last_used_at: row.get(5)?,
        last_rotated_at: row.get(6)?,
    })
}
