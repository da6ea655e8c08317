//! Rules every area shares, depending on nothing else in the core: field
//! errors, text limits, LIKE escaping, the "who decided and why" rule for
//! overrides, and the kinds of error the window tells apart.
//!
//! Domain modules use these; this module uses none of them, so it can never
//! be part of an import loop.

use std::collections::BTreeMap;

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
    fn like_patterns_are_literal() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
