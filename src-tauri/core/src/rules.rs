//! Rules every area shares, depending on nothing else in the core: field
//! errors, text limits, LIKE escaping, the "who decided and why" rule for
//! overrides, secrets in links, and the kinds of error the window tells
//! apart.
//!
//! Domain modules use these; this module uses none of them, so it can never
//! be part of an import loop.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Messages per field (by the field's camelCase name), to show beside inputs.
pub type FieldErrors = BTreeMap<String, String>;

/// One line for a set of field errors: the message itself when there is one.
pub fn summarize(errors: &FieldErrors) -> String {
    match errors.len() {
        1 => errors.values().next().cloned().unwrap_or_default(),
        n => format!("{n} fields need attention."),
    }
}

/// `text` as a literal inside a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Whether `text` is one line of at most `max` characters.
/// `s` starting with a capital: a sentence that starts with a name
/// written in lower case ("the webhook").
pub fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub fn is_one_line(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// The longest name of who decided an override.
pub const DECIDED_BY_MAX: usize = 100;
/// An override's reason: at least a sentence, at most this.
pub const REASON_MIN: usize = 10;
pub const REASON_MAX: usize = 2000;

/// An override (of the gate, a freeze, the promotion rule…) names who
/// decided and says why in a sentence or more. Returns both, trimmed.
pub fn decision<'a>(decided_by: &'a str, reason: &'a str) -> Result<(&'a str, &'a str), FieldErrors> {
    let (decided_by, reason) = (decided_by.trim(), reason.trim());
    let mut errors = FieldErrors::new();
    if decided_by.is_empty() || !is_one_line(decided_by, DECIDED_BY_MAX) {
        errors.insert("decidedBy".into(), "Enter the name of the person who decided, such as “Lena Fischer (CTO)”.".into());
    }
    let n = reason.chars().count();
    if n < REASON_MIN {
        errors.insert("reason".into(), "Explain the decision in at least a sentence (10 characters or more).".into());
    } else if n > REASON_MAX {
        errors.insert("reason".into(), "Keep the reason under 2,000 characters.".into());
    }
    if errors.is_empty() {
        Ok((decided_by, reason))
    } else {
        Err(errors)
    }
}

/// A parameter of a link that looks like it carries a secret (`?token=…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UrlSecret {
    /// The parameter's name, as written.
    pub name: String,
    /// Its value, decoded.
    pub value: String,
}

/// The secrets a link carries, and the link without them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct UrlSecrets {
    pub found: Vec<UrlSecret>,
    /// The link with those parameters taken out, the rest as written.
    pub without: String,
}

/// Whether a query parameter named `name` usually holds a secret: a token,
/// key, signature, password or session, in the spellings services use.
fn is_secret_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase().replace('-', "_");
    const EXACT: &[&str] = &[
        "key", "apikey", "sig", "pass", "pwd", "passwd", "auth", "jwt", "session", "sessionid", "session_id", "credential",
        "x_amz_credential", "code_verifier",
    ];
    const ENDINGS: &[&str] = &["token", "secret", "password", "signature", "api_key", "access_key", "secret_key", "private_key"];
    EXACT.contains(&n.as_str()) || ENDINGS.iter().any(|e| n.ends_with(e))
}

/// The query (and fragment) parameters of `link` that carry a secret, such
/// as `?token=`, `key=`, `sig=`, `password=`, `access_token=`, `api_key=`.
/// Such a link would put the secret in the database, its backups and every
/// export; callers warn and offer to keep it as a credential instead.
pub fn secrets_in_url(link: &str) -> UrlSecrets {
    let (before_fragment, fragment) = match link.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (link, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut found = Vec::new();
    let mut keep = |params: &str| -> String {
        let kept: Vec<&str> = params
            .split('&')
            .filter(|part| {
                let Some((name, value)) = url::form_urlencoded::parse(part.as_bytes()).next() else { return true };
                if value.trim().is_empty() || !is_secret_name(&name) {
                    return true;
                }
                found.push(UrlSecret { name: name.into_owned(), value: value.into_owned() });
                false
            })
            .collect();
        kept.join("&")
    };
    let mut without = base.to_owned();
    if let Some(q) = query {
        let kept = keep(q);
        if !kept.is_empty() {
            without.push('?');
            without.push_str(&kept);
        }
    }
    if let Some(f) = fragment {
        // A fragment of parameters (`#access_token=…`, as OAuth writes it), or an anchor.
        let kept = if f.contains('=') { keep(f) } else { f.to_owned() };
        if !kept.is_empty() {
            without.push('#');
            without.push_str(&kept);
        }
    }
    UrlSecrets { found, without }
}

/// Logs (by name only, never the value) the secrets a link being saved
/// carries: saving warns, it does not refuse.
pub fn warn_of_secrets(link: &str, what: &str) {
    let found = secrets_in_url(link).found;
    if !found.is_empty() {
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        log::warn!("{what} carries a secret in its query ({}); it is stored as typed", names.join(", "));
    }
}

/// What kind of failure an error is, for the window to branch on. Every
/// error of the core says its kind; the shell turns that into the code it
/// sends, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input was refused; the fields say where.
    Invalid,
    /// The thing asked for does not exist (any more).
    NotFound,
    /// The OS keychain is missing, locked or refused.
    Keychain,
    /// The database cannot be read or written (I/O, damage, a newer file).
    Database,
    /// One stored value is damaged (the row and column are named); the
    /// rest of the database reads.
    Damaged,
    /// Something is locked or changed underneath (a busy database, a lock
    /// held by another deploy); trying again later may work.
    Conflict,
    /// The user or a timeout stopped it.
    Cancelled,
    /// Something outside Liftoff refused (a CI engine, a mail server).
    External,
    /// A fault inside Liftoff.
    Internal,
}

/// An error that knows its kind, the fields at fault when it is a refusal
/// of input, and the technical text behind it.
///
/// The message (`Display`) is for a person: what happened and what to do,
/// never a parser's or the OS's words. Those go in a [`Cause`] (or the
/// library's own error) as the error's `#[source]`, and reach the window as
/// the detail it shows behind "Details".
pub trait Kind: std::error::Error {
    fn kind(&self) -> ErrorKind;
    fn fields(&self) -> Option<&FieldErrors> {
        None
    }
    /// The technical text: the innermost source error's words, unless the
    /// message already says them.
    fn detail(&self) -> Option<String> {
        let mut cause = self.source()?;
        while let Some(next) = cause.source() {
            cause = next;
        }
        let text = cause.to_string();
        let text = text.trim();
        (!text.is_empty() && !self.to_string().contains(text)).then(|| text.to_owned())
    }
}

/// The technical words of a library or the OS (a JSON parser's, the
/// keychain's), kept out of a message. Used as an error's `#[source]`, they
/// become its [`Kind::detail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause(pub String);

impl Cause {
    pub fn of(e: &dyn std::fmt::Display) -> Self {
        Cause(e.to_string())
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Cause {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_needs_who_and_a_sentence() {
        assert_eq!(decision("  Lena  ", " Hotfix for the outage. ").unwrap(), ("Lena", "Hotfix for the outage."));
        let errors = decision("", "short").unwrap_err();
        assert!(errors.contains_key("decidedBy") && errors.contains_key("reason"));
        assert!(decision("Lena", &"x".repeat(2001)).unwrap_err().contains_key("reason"));
        assert!(decision("Le\nna", "A good reason here.").unwrap_err().contains_key("decidedBy"));
    }

    #[test]
    fn secrets_in_links_are_found_and_taken_out() {
        let names = |link: &str| secrets_in_url(link).found.into_iter().map(|s| s.name).collect::<Vec<_>>();
        for name in ["token", "key", "sig", "password", "secret", "access_token", "api_key", "apiKey", "X-Amz-Signature", "client_secret"] {
            assert_eq!(names(&format!("https://h.example/health?{name}=abc")), [name], "{name}");
        }
        // Ordinary parameters, empty values and links without a query are left alone.
        assert!(names("https://h.example/health?verbose=1&keyword=x&token=").is_empty());
        assert!(names("https://h.example/health").is_empty());
        assert!(names("https://h.example/health#section-2").is_empty());
        assert!(names("not a link at all").is_empty());

        let s = secrets_in_url("https://h.example/health?verbose=1&access_token=a%2Bb%3D&region=eu#top");
        assert_eq!(s.found, [UrlSecret { name: "access_token".into(), value: "a+b=".into() }]);
        assert_eq!(s.without, "https://h.example/health?verbose=1&region=eu#top");
        let only = secrets_in_url("https://ci.example/runs/812?sig=xyz");
        assert_eq!(only.without, "https://ci.example/runs/812");
        // OAuth puts tokens in the fragment.
        let frag = secrets_in_url("https://app.example/cb#access_token=t0k&state=1");
        assert_eq!((frag.found.len(), frag.without.as_str()), (1, "https://app.example/cb#state=1"));
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
