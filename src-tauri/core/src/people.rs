//! People of a project: who owns and reviews checklist items, who is on
//! call, and when each of them works (in their own time zone).

use crate::rules::{ErrorKind, Kind};
use chrono::{DateTime, NaiveTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::rules::FieldErrors;
use crate::{clock, time_zones, Store, StoreError};
use crate::store::column::{self, stored_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Lead,
    Developer,
    /// A reviewer from another department (an "auditor").
    Reviewer,
    Admin,
    Support,
}

stored_text!(Role { Lead => "lead", Developer => "developer", Reviewer => "reviewer", Admin => "admin", Support => "support" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub time_zone: String,
    /// `HH:MM`, local to `time_zone`.
    pub work_start: String,
    pub work_end: String,
    /// Working weekdays, Monday first.
    pub work_days: [bool; 7],
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PersonDraft {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub time_zone: String,
    pub work_start: String,
    pub work_end: String,
    pub work_days: [bool; 7],
}

#[derive(Debug, thiserror::Error)]
pub enum PersonError {
    #[error("{}", crate::rules::summarize(.0))]
    Invalid(FieldErrors),
    #[error("That person is no longer in the project. The list has been refreshed.")]
    NotFound,
    #[error("That project no longer exists. It may have been deleted; the list has been refreshed.")]
    ProjectNotFound,
    #[error("{name} is the reviewer of {count} checklist item(s) not yet signed off. Give them another reviewer first, so that no review is skipped.")]
    StillReviewing { name: String, count: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for PersonError {
    fn from(e: rusqlite::Error) -> Self {
        PersonError::Store(StoreError::from(e))
    }
}

impl Kind for PersonError {
    fn kind(&self) -> ErrorKind {
        match self {
            PersonError::Invalid(_) | PersonError::StillReviewing { .. } => ErrorKind::Invalid,
            PersonError::NotFound | PersonError::ProjectNotFound => ErrorKind::NotFound,
            PersonError::Store(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            PersonError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

/// This computer's user, named by its account: who acts when no person of
/// the project is chosen (the window, the command line).
pub fn local_user() -> String {
    let from_vars = ["USER", "USERNAME", "LOGNAME"].iter().filter_map(|v| std::env::var(v).ok());
    // Without those (a service, a container), the home folder's name.
    let from_home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .and_then(|h| std::path::Path::new(&h).file_name().map(|n| n.to_string_lossy().into_owned()));
    from_vars
        .chain(from_home)
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "this computer's user".to_owned())
}

/// What a form says when the person picked is not (or no longer) in the
/// project.
pub const NOT_IN_PROJECT: &str = "That person is no longer in this project. Pick someone from the list.";

/// The name of the person `person_id` of `project_id`, or `None` when no
/// such person is in that project: the one "is this person in the project"
/// question, asked wherever a person is picked.
pub fn name_in_project(conn: &Connection, person_id: &str, project_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT name FROM people WHERE id = ?1 AND project_id = ?2", params![person_id, project_id], |r| r.get(0)).optional()
}

/// A person's name, in whatever project.
pub fn name_of(conn: &Connection, person_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT name FROM people WHERE id = ?1", params![person_id], |r| r.get(0)).optional()
}

/// A person's time zone (as stored), or `None` when there is no such person.
pub fn time_zone_of(conn: &Connection, person_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT time_zone FROM people WHERE id = ?1", params![person_id], |r| r.get(0)).optional()
}

/// The project's people as (id, email, name), for matching imported names.
pub fn contacts(conn: &Connection, project_id: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT id, email, name FROM people WHERE project_id = ?1")?;
    let rows = stmt.query_map(params![project_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

pub fn list(store: &Store, project_id: &str) -> Result<Vec<Person>, PersonError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE project_id = ?1 ORDER BY name COLLATE NOCASE"))?;
    let rows = stmt.query_map(params![project_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The person of the project this computer's user most likely is: the one
/// whose email is git's `user.email` here, else whose email's local part or
/// name is the computer's account name. `None` when nobody matches (or two
/// people would).
pub fn suggested_me(store: &Store, project_id: &str) -> Result<Option<String>, PersonError> {
    let people = list(store, project_id)?;
    let git_email = std::process::Command::new("git")
        .args(["config", "--get", "user.email"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_lowercase())
        .filter(|e| !e.is_empty());
    Ok(suggest_among(&people, git_email.as_deref(), &local_user()))
}

fn suggest_among(people: &[Person], git_email: Option<&str>, account: &str) -> Option<String> {
    let one = |found: Vec<&Person>| if found.len() == 1 { Some(found[0].id.clone()) } else { None };
    if let Some(email) = git_email {
        if let Some(id) = one(people.iter().filter(|p| p.email.trim().eq_ignore_ascii_case(email)).collect()) {
            return Some(id);
        }
    }
    let account = account.trim().to_lowercase();
    if account.is_empty() {
        return None;
    }
    let by_account = people
        .iter()
        .filter(|p| {
            let local = p.email.split('@').next().unwrap_or("").to_lowercase();
            let first = p.name.split_whitespace().next().unwrap_or("").to_lowercase();
            local == account || first == account || p.name.to_lowercase().replace(' ', "") == account
        })
        .collect();
    one(by_account)
}

pub fn create(store: &Store, project_id: &str, draft: &PersonDraft, now: DateTime<Utc>) -> Result<Person, PersonError> {
    store.write(|tx| create_in(tx, project_id, draft, now))
}

/// [`create`] inside the caller's transaction.
pub(crate) fn create_in(tx: &Connection, project_id: &str, draft: &PersonDraft, now: DateTime<Utc>) -> Result<Person, PersonError> {
    let clean = validate(draft)?;
    let exists: bool = crate::projects::find_in(tx, project_id)?.is_some();
    if !exists {
        return Err(PersonError::ProjectNotFound);
    }
    ensure_email_free(tx, project_id, &clean.email, None)?;
    let id = insert(tx, project_id, &clean, &clock::to_text(now))?;
    let person = get_in(tx, &id)?.ok_or(PersonError::NotFound)?;
    Ok(person)
}

/// Inserts a validated draft inside the caller's transaction; returns the id.
pub(crate) fn insert(conn: &Connection, project_id: &str, clean: &PersonDraft, at: &str) -> rusqlite::Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    conn.execute(
        "INSERT INTO people (id, project_id, name, email, role, time_zone, work_start, work_end, work_days, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![id, project_id, clean.name, clean.email, clean.role.as_str(), clean.time_zone, clean.work_start, clean.work_end, days_to_mask(&clean.work_days), at],
    )?;
    Ok(id)
}

pub fn update(store: &Store, id: &str, draft: &PersonDraft, now: DateTime<Utc>) -> Result<Person, PersonError> {
    let clean = validate(draft)?;
    store.write(|tx| {
        let current = get_in(tx, id)?.ok_or(PersonError::NotFound)?;
        ensure_email_free(tx, &current.project_id, &clean.email, Some(id))?;
        tx.execute(
            "UPDATE people SET name = ?2, email = ?3, role = ?4, time_zone = ?5, work_start = ?6, work_end = ?7, work_days = ?8, updated_at = ?9
             WHERE id = ?1",
            params![id, clean.name, clean.email, clean.role.as_str(), clean.time_zone, clean.work_start, clean.work_end, days_to_mask(&clean.work_days), clock::to_text(now)],
        )?;
        let person = get_in(tx, id)?.ok_or(PersonError::NotFound)?;
        Ok(person)
    })
}

/// Removes a person. Items they own lose their owner; a person who still has
/// reviews to sign off cannot be removed, as their items would then count as
/// complete without review.
pub fn delete(store: &Store, id: &str) -> Result<(), PersonError> {
    store.write(|tx| {
        let person = get_in(tx, id)?.ok_or(PersonError::NotFound)?;
        let pending: i64 = tx.query_row(
            "SELECT count(*) FROM checklist_items WHERE reviewer_id = ?1 AND signed_off_at IS NULL",
            params![id],
            |r| r.get(0),
        )?;
        if pending > 0 {
            return Err(PersonError::StillReviewing { name: person.name, count: pending });
        }
        tx.execute("DELETE FROM people WHERE id = ?1", params![id])?;
        Ok(())
    })
}

pub fn validate(draft: &PersonDraft) -> Result<PersonDraft, PersonError> {
    let clean = PersonDraft {
        name: draft.name.trim().to_owned(),
        email: draft.email.trim().to_owned(),
        role: draft.role,
        time_zone: draft.time_zone.trim().to_owned(),
        work_start: draft.work_start.trim().to_owned(),
        work_end: draft.work_end.trim().to_owned(),
        work_days: draft.work_days,
    };
    let mut errors = FieldErrors::new();
    let len = clean.name.chars().count();
    if len == 0 {
        errors.insert("name".into(), "Enter the person's name.".into());
    } else if len > 100 || clean.name.chars().any(char::is_control) {
        errors.insert("name".into(), "Keep the name to one line of 100 characters or fewer.".into());
    }
    if !looks_like_email(&clean.email) {
        errors.insert("email".into(), "Enter an email address such as dana@example.com.".into());
    }
    if time_zones::parse(&clean.time_zone).is_none() {
        errors.insert("timeZone".into(), "Pick the person's time zone from the list, such as Europe/Berlin.".into());
    }
    let start = NaiveTime::parse_from_str(&clean.work_start, "%H:%M");
    let end = NaiveTime::parse_from_str(&clean.work_end, "%H:%M");
    match (start, end) {
        (Ok(s), Ok(e)) if s < e => {}
        (Ok(_), Ok(_)) => {
            errors.insert("workEnd".into(), "The working day must end after it starts.".into());
        }
        _ => {
            errors.insert("workStart".into(), "Enter working hours as HH:MM, such as 09:00 to 17:30.".into());
        }
    }
    if !clean.work_days.iter().any(|d| *d) {
        errors.insert("workDays".into(), "Tick at least one working day.".into());
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(PersonError::Invalid(errors))
    }
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
        && email.len() <= 254
}

fn ensure_email_free(conn: &Connection, project_id: &str, email: &str, except: Option<&str>) -> Result<(), PersonError> {
    let taken: Option<String> = conn
        .query_row(
            "SELECT name FROM people WHERE project_id = ?1 AND email = ?2 COLLATE NOCASE AND id IS NOT ?3",
            params![project_id, email, except],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(name) => Err(PersonError::Invalid(FieldErrors::from([(
            "email".to_owned(),
            format!("{name} already uses this address in this project."),
        )]))),
        None => Ok(()),
    }
}

fn days_to_mask(days: &[bool; 7]) -> i64 {
    days.iter().enumerate().filter(|(_, on)| **on).map(|(i, _)| 1i64 << i).sum()
}

fn mask_to_days(mask: i64) -> [bool; 7] {
    std::array::from_fn(|i| mask & (1 << i) != 0)
}

const SELECT: &str =
    "SELECT id, project_id, name, email, role, time_zone, work_start, work_end, work_days, created_at, updated_at FROM people";

fn get_in(conn: &Connection, id: &str) -> Result<Option<Person>, PersonError> {
    Ok(conn.query_row(&format!("{SELECT} WHERE id = ?1"), params![id], from_row).optional()?)
}

fn from_row(row: &Row) -> rusqlite::Result<Person> {
    let (id, role): (String, String) = (row.get(0)?, row.get(4)?);
    Ok(Person {
        id: row.get(0)?,
        project_id: row.get(1)?,
        name: row.get(2)?,
        email: row.get(3)?,
        role: column::text("people", &id, "role", &role)?,
        time_zone: row.get(5)?,
        work_start: row.get(6)?,
        work_end: row.get(7)?,
        work_days: mask_to_days(row.get(8)?),
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggested_person_is_git_s_email_then_the_account_and_never_a_guess_between_two() {
        let person = |id: &str, name: &str, email: &str| Person {
            id: id.into(),
            project_id: "p".into(),
            name: name.into(),
            email: email.into(),
            role: Role::Developer,
            time_zone: "UTC".into(),
            work_start: "09:00".into(),
            work_end: "17:00".into(),
            work_days: [true; 7],
            created_at: String::new(),
            updated_at: String::new(),
        };
        let people = vec![person("l", "Lena Fischer", "lena@northwind.example"), person("o", "Omar Haddad", "omar@northwind.example"), person("o2", "Omar Said", "o.said@x.example")];
        assert_eq!(suggest_among(&people, Some("LENA@northwind.example"), "root"), Some("l".into()));
        assert_eq!(suggest_among(&people, None, "lena"), Some("l".into()));
        assert_eq!(suggest_among(&people, Some("nobody@x"), "omar"), None, "two Omars: no guess");
        assert_eq!(suggest_among(&people, None, "root"), None);
    }


    fn draft() -> PersonDraft {
        PersonDraft {
            name: "Dana Reviewer".into(),
            email: "dana@example.com".into(),
            role: Role::Reviewer,
            time_zone: "Europe/Berlin".into(),
            work_start: "09:00".into(),
            work_end: "17:30".into(),
            work_days: [true, true, true, true, true, false, false],
        }
    }

    fn errors(d: &PersonDraft) -> FieldErrors {
        match validate(d) {
            Err(PersonError::Invalid(f)) => f,
            other => panic!("expected errors, got {other:?}"),
        }
    }

    #[test]
    fn a_good_draft_passes() {
        assert!(validate(&draft()).is_ok());
    }

    #[test]
    fn emails_hours_and_days_are_checked() {
        for bad in ["dana", "dana@", "@example.com", "dana@example", "da na@example.com"] {
            let mut d = draft();
            d.email = bad.into();
            assert!(errors(&d).contains_key("email"), "{bad}");
        }
        let mut d = draft();
        d.work_start = "18:00".into();
        assert!(errors(&d).contains_key("workEnd"));
        d.work_start = "9am".into();
        assert!(errors(&d).contains_key("workStart"));
        let mut d = draft();
        d.work_days = [false; 7];
        assert!(errors(&d).contains_key("workDays"));
    }

    #[test]
    fn weekday_masks_round_trip() {
        let days = [true, false, true, false, false, false, true];
        assert_eq!(days_to_mask(&days), 0b100_0101);
        assert_eq!(mask_to_days(days_to_mask(&days)), days);
    }
}
