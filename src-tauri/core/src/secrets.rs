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

use crate::rules::Cause;

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

/// Keychain failures. The messages say what to do; the platform's own words
/// (D-Bus names and the like) are the source, shown only as a detail.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("The keychain is locked. Unlock it (on Linux, the login keyring in your keyring app; on macOS, Keychain Access) and try again.")]
    Locked,
    #[error("{UNAVAILABLE}")]
    Unavailable(#[source] Cause),
    #[error("The keychain refused the request. Check that your keychain app is unlocked and lets Liftoff in, then try again.")]
    Refused(#[source] Cause),
}

#[cfg(target_os = "linux")]
const UNAVAILABLE: &str = "Liftoff cannot reach the system keychain (no Secret Service is running). Install and start gnome-keyring or KeePassXC's Secret Service, then try again.";
#[cfg(not(target_os = "linux"))]
const UNAVAILABLE: &str = "Liftoff cannot reach the system keychain. Check that your keychain works (sign out and in again if it does not), then try again.";

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
        once_more(|| {
            let entry = (self.entries)(&key.account()).map_err(map_error)?;
            entry.set_password(value.expose()).map_err(map_error)
        })
    }

    pub fn get(&self, key: &SecretKey) -> Result<Option<SecretValue>, KeychainError> {
        once_more(|| {
            let entry = (self.entries)(&key.account()).map_err(map_error)?;
            match entry.get_password() {
                Ok(value) => Ok(Some(SecretValue(value))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(map_error(e)),
            }
        })
    }

    /// Deletes the entry. Returns whether there was one.
    pub fn delete(&self, key: &SecretKey) -> Result<bool, KeychainError> {
        once_more(|| {
            let entry = (self.entries)(&key.account()).map_err(map_error)?;
            match entry.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(map_error(e)),
            }
        })
    }
}

/// Runs a keychain call, and once more when the Secret Service went away
/// in the middle of it ("disconnected from message bus without replying":
/// the daemon ended, and D-Bus starts it again on the next call). Every
/// call here may be repeated: set, get and delete of one entry.
fn once_more<T>(call: impl Fn() -> Result<T, KeychainError>) -> Result<T, KeychainError> {
    match call() {
        Err(KeychainError::Unavailable(cause)) if cause.0.contains("disconnected") => {
            log::warn!("the keychain service went away during a call ({}); asking once more", cause.0);
            std::thread::sleep(std::time::Duration::from_millis(300));
            call()
        }
        other => other,
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
                KeychainError::Unavailable(Cause(text))
            }
        }
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            let lower = text.to_lowercase();
            if lower.contains("locked") || lower.contains("prompt") {
                KeychainError::Locked
            } else if lower.contains("serviceunknown") || lower.contains("dbus") || lower.contains("d-bus") {
                KeychainError::Unavailable(Cause(text))
            } else {
                KeychainError::Refused(Cause(text))
            }
        }
        other => KeychainError::Refused(Cause::of(&other)),
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
        assert!(missing.to_string().starts_with("Liftoff cannot reach the system keychain"));
    }

    #[test]
    fn the_platforms_words_are_a_detail_not_the_message() {
        use crate::credentials::CredentialError;
        use crate::rules::Kind;
        let dbus = "DBus error: The name org.freedesktop.secrets was not provided by any .service files";
        let e = map_error(keyring::Error::PlatformFailure(dbus.into()));
        assert!(!e.to_string().contains("org.freedesktop"));
        // Wrapped as the credential commands wrap it, the words come out as
        // the detail.
        let wrapped = CredentialError::Keychain { message: format!("“TOKEN” was not saved: {e}"), source: e };
        assert_eq!(wrapped.detail().as_deref(), Some(dbus));
        let refused = map_error(keyring::Error::PlatformFailure("Access denied by policy 7".into()));
        assert!(matches!(refused, KeychainError::Refused(_)));
        assert!(!refused.to_string().contains("policy 7"));
        let locked = CredentialError::Keychain { message: format!("“TOKEN” was not saved: {}", KeychainError::Locked), source: KeychainError::Locked };
        assert_eq!(locked.detail(), None, "a message with nothing behind it has no detail");
    }
}
