//! The one door to the OS keychain (macOS Keychain, Windows Credential
//! Manager, the Secret Service on Linux), service `liftoff`, one entry per
//! project/environment/credential name.
//!
//! Guarantees:
//! - secret values are held in [`SecretValue`], which prints `<redacted>`,
//!   does not serialize, and is wiped from memory when dropped;
//! - "no entry" is `Ok(None)`; every other keychain failure is a
//!   [`KeychainError`] whose message says what to do and never contains the
//!   value;
//! - there is no fallback: a missing or locked keychain is an error, never a
//!   silent store elsewhere.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroize;

pub const SERVICE: &str = "liftoff";

/// A secret value. It can be read only through [`SecretValue::expose`].
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        SecretValue(value.into())
    }

    /// The value itself, for handing to the keychain or a deploy's
    /// environment. Never log, store or format what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Drop for SecretValue {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Where a credential's value lives in the keychain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKey {
    pub project_id: String,
    pub environment_id: String,
    pub name: String,
}

impl SecretKey {
    /// The keychain entry's account ("user") name. Names are lowercased so
    /// that the case-insensitive names SQLite keeps map to one entry.
    pub fn account(&self) -> String {
        format!("{}/{}/{}", self.project_id, self.environment_id, self.name.to_lowercase())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("The keychain is locked. Unlock it (on Linux, the login keyring in your keyring app; on macOS, Keychain Access) and try again.")]
    Locked,
    #[error("No keychain is available on this computer. On Linux, install and start a Secret Service (GNOME Keyring or KWallet), then try again. ({0})")]
    Unavailable(String),
    #[error("The keychain refused the request: {0}. Check your keychain app, then try again.")]
    Refused(String),
}

type EntryFactory = dyn Fn(&str) -> keyring::Result<Arc<keyring::Entry>> + Send + Sync;

/// The keychain. [`Keychain::os`] is the real one; tests of fault handling
/// inject entries from keyring's mock with [`Keychain::with_entries`].
#[derive(Clone)]
pub struct Keychain {
    entries: Arc<EntryFactory>,
}

impl Keychain {
    /// The operating system's keychain.
    pub fn os() -> Self {
        Keychain {
            entries: Arc::new(|account: &str| keyring::Entry::new(SERVICE, account).map(Arc::new)),
        }
    }

    /// A keychain whose entries come from `factory` (for fault injection).
    pub fn with_entries(
        factory: impl Fn(&str) -> keyring::Result<Arc<keyring::Entry>> + Send + Sync + 'static,
    ) -> Self {
        Keychain { entries: Arc::new(factory) }
    }

    pub fn set(&self, key: &SecretKey, value: &SecretValue) -> Result<(), KeychainError> {
        let entry = (self.entries)(&key.account()).map_err(map_error)?;
        entry.set_password(value.expose()).map_err(map_error)
    }

    pub fn get(&self, key: &SecretKey) -> Result<Option<SecretValue>, KeychainError> {
        let entry = (self.entries)(&key.account()).map_err(map_error)?;
        match entry.get_password() {
            Ok(value) => Ok(Some(SecretValue(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Deletes the entry. Returns whether there was one.
    pub fn delete(&self, key: &SecretKey) -> Result<bool, KeychainError> {
        let entry = (self.entries)(&key.account()).map_err(map_error)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }
}

/// Turns keyring's errors into messages a person can act on. keyring's own
/// messages name the platform failure; none of them carries a value.
fn map_error(e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(inner) => {
            let text = inner.to_string();
            if text.to_lowercase().contains("lock") {
                KeychainError::Locked
            } else {
                KeychainError::Unavailable(text)
            }
        }
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            let lower = text.to_lowercase();
            if lower.contains("locked") || lower.contains("prompt") {
                KeychainError::Locked
            } else if lower.contains("serviceunknown") || lower.contains("dbus") || lower.contains("d-bus") {
                KeychainError::Unavailable(text)
            } else {
                KeychainError::Refused(text)
            }
        }
        other => KeychainError::Refused(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_never_print() {
        let v = SecretValue::new("hunter2-canary");
        assert_eq!(format!("{v:?}"), "<redacted>");
        assert_eq!(format!("{v}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&v)), "Some(<redacted>)");
        assert_eq!(v.expose(), "hunter2-canary");
    }

    #[test]
    fn accounts_are_per_project_environment_and_name() {
        let key = SecretKey { project_id: "p1".into(), environment_id: "e1".into(), name: "Deploy Token".into() };
        assert_eq!(key.account(), "p1/e1/deploy token");
    }

    #[test]
    fn locked_and_missing_stores_get_actionable_messages() {
        let locked = map_error(keyring::Error::NoStorageAccess("collection is locked".into()));
        assert!(matches!(locked, KeychainError::Locked));
        assert!(locked.to_string().starts_with("The keychain is locked."));
        let missing = map_error(keyring::Error::PlatformFailure("org.freedesktop.DBus.Error.ServiceUnknown".into()));
        assert!(matches!(missing, KeychainError::Unavailable(_)));
        assert!(missing.to_string().contains("Secret Service"));
    }
}
