//! Reading stored values back into their types: an enum's text
//! ([`stored_text!`], [`text`]) and JSON columns ([`json`]).
//!
//! A value that does not read back is damage, never a default: it is
//! reported as [`Damaged`] with its table, row and column, and reaches the
//! caller as [`StoreError::DamagedValue`](super::StoreError::DamagedValue).

use serde::de::DeserializeOwned;

/// A stored value that does not read back as its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table}.{column} of {id}: {problem}")]
pub struct Damaged {
    pub table: &'static str,
    /// The row's id.
    pub id: String,
    pub column: &'static str,
    /// What is wrong, in a parser's words.
    pub problem: String,
}

impl Damaged {
    /// As a rusqlite error, so that row mappers can return it; the store's
    /// error conversion turns it back into [`Damaged`].
    fn into_sql(self) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(self))
    }
}

/// An enum stored as text, one spelling per value, written once in
/// [`stored_text!`].
pub trait StoredText: Sized + Copy + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(text: &str) -> Option<Self>;
}

/// Writes an enum's stored text, once: `as_str`, `parse` (which knows no
/// default: an unknown text is `None`) and [`StoredText`]. The text is what
/// SQLite holds, and the same as serde's name for the value (a test checks).
macro_rules! stored_text {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The text this value is stored (and serialized) as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// The value stored as `text`, if it is one.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::store::column::StoredText for $ty {
            const ALL: &'static [$ty] = &[$($ty::$variant),+];
            fn as_str(self) -> &'static str {
                $ty::as_str(self)
            }
            fn parse(text: &str) -> Option<Self> {
                $ty::parse(text)
            }
        }
    };
}
pub(crate) use stored_text;

/// The value of enum text stored in `table.column` of row `id`.
pub fn text<T: StoredText>(table: &'static str, id: &str, column: &'static str, text: &str) -> rusqlite::Result<T> {
    T::parse(text).ok_or_else(|| {
        let known: Vec<&str> = T::ALL.iter().map(|v| v.as_str()).collect();
        Damaged { table, id: id.to_owned(), column, problem: format!("“{text}” is none of {}", known.join(", ")) }.into_sql()
    })
}

/// The value of the JSON stored in `table.column` of row `id`.
pub fn json<T: DeserializeOwned>(table: &'static str, id: &str, column: &'static str, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| Damaged { table, id: id.to_owned(), column, problem: e.to_string() }.into_sql())
}

/// The [`Damaged`] a rusqlite error carries, if it is one.
pub(super) fn damaged(e: &rusqlite::Error) -> Option<&Damaged> {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => inner.downcast_ref::<Damaged>(),
        _ => None,
    }
}

/// What a person calls a row of `table`, for the message.
pub(super) fn thing(table: &str) -> &'static str {
    match table {
        "projects" => "project",
        "environments" => "environment",
        "credentials" => "credential",
        "people" => "person",
        "releases" => "release",
        "checklist_items" => "checklist item",
        "audit_log" => "audit entry",
        "calendar_windows" => "calendar window",
        "load_patterns" => "load pattern",
        "busy_times" => "busy time",
        "deploy_targets" => "deploy target",
        "deploy_runs" => "deploy run",
        "change_items" => "change item",
        "announcements" => "announcement draft",
        "announce_sends" => "announcement send",
        "announce_templates" => "announcement template",
        _ => "row",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text SQLite holds is serde's name for the value, byte for byte,
    /// and reads back; anything else reads as nothing.
    fn check<T: StoredText + serde::Serialize + std::fmt::Debug + PartialEq>() {
        for &v in T::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::Value::String(v.as_str().to_owned()), "{v:?}");
            assert_eq!(T::parse(v.as_str()), Some(v));
        }
        assert_eq!(T::parse(""), None);
        assert_eq!(T::parse("unknown"), None);
    }

    #[test]
    fn stored_text_is_the_serialized_name() {
        check::<crate::audit::AuditCategory>();
        check::<crate::credentials::CredentialKind>();
        check::<crate::people::Role>();
        check::<crate::planning::windows::WindowKind>();
        check::<crate::deploy::target::TargetKind>();
        check::<crate::deploy::runs::RunKind>();
        check::<crate::deploy::runs::RunState>();
        check::<crate::release::checklists::ItemState>();
        check::<crate::release::ReleaseState>();
        check::<crate::announce::Category>();
        check::<crate::announce::Audience>();
        check::<crate::announce::render::Channel>();
        check::<crate::announce::sends::SendKind>();
        check::<crate::announce::sends::SendState>();
    }

    #[test]
    fn damage_names_the_table_row_and_column() {
        let e = text::<crate::people::Role>("people", "p1", "role", "captain").unwrap_err();
        let d = damaged(&e).unwrap();
        assert_eq!((d.table, d.id.as_str(), d.column), ("people", "p1", "role"));
        assert!(d.problem.contains("“captain” is none of lead, developer"), "{}", d.problem);
        let e = json::<Vec<String>>("calendar_windows", "w1", "exdates", "[\"2027").unwrap_err();
        assert_eq!(damaged(&e).map(|d| (d.table, d.column)), Some(("calendar_windows", "exdates")));
    }
}
