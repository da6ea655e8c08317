//! Freeze and maintenance windows of a project, stored, and expanded into
//! occurrences over a range for the timeline and for window checks.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::recurrence::{Recurrence, RecurrenceError, MAX_MINUTES};
use super::PlanningError;
use crate::rules::FieldErrors;
use crate::{clock, Store};
use crate::store::column::{self, stored_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum WindowKind {
    Freeze,
    Maintenance,
}

stored_text!(WindowKind { Freeze => "freeze", Maintenance => "maintenance" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CalendarWindow {
    pub id: String,
    pub project_id: String,
    pub kind: WindowKind,
    pub name: String,
    pub reason: String,
    /// `YYYY-MM-DDTHH:MM`, local to `time_zone`.
    pub start_local: String,
    pub minutes: i32,
    pub time_zone: String,
    /// An RFC 5545 rule such as `FREQ=WEEKLY;BYDAY=FR`; none for a one-off window.
    pub rule: Option<String>,
    /// Local start times of occurrences left out.
    pub exdates: Vec<String>,
    /// The environments it applies to; empty for the whole project.
    pub environment_ids: Vec<String>,
    /// It applies to listed environments only; with the list now empty
    /// (they were deleted) it applies to none.
    pub scoped: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CalendarWindowDraft {
    pub kind: Option<WindowKind>,
    pub name: String,
    pub reason: String,
    pub start_local: String,
    pub minutes: i32,
    pub time_zone: String,
    pub rule: Option<String>,
    pub exdates: Vec<String>,
    pub environment_ids: Vec<String>,
}

/// One occurrence of a window, for drawing and checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct WindowOccurrence {
    pub window_id: String,
    pub kind: WindowKind,
    pub name: String,
    pub reason: String,
    pub environment_ids: Vec<String>,
    pub scoped: bool,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
}

impl WindowOccurrence {
    /// A freeze that holds the environment `environment_id` (one scoped to
    /// other environments does not).
    pub fn freezes(&self, environment_id: &str) -> bool {
        self.kind == WindowKind::Freeze && (!self.scoped || self.environment_ids.iter().any(|e| e == environment_id))
    }
}

const LOCAL: &str = "%Y-%m-%dT%H:%M";

pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), LOCAL).ok()
}

pub fn list(store: &Store, project_id: &str) -> Result<Vec<CalendarWindow>, PlanningError> {
    list_in(&*store.reader()?, project_id)
}

fn list_in(conn: &Connection, project_id: &str) -> Result<Vec<CalendarWindow>, PlanningError> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE project_id = ?1 ORDER BY kind, start_local"))?;
    let rows = stmt.query_map(params![project_id], from_row)?.collect::<Result<Vec<_>, _>>()?;
    with_project_environments(conn, project_id, rows)
}

/// The project's recurring windows, and its one-off windows that may touch
/// `[from, to)` (by their local start, with a day's margin for any zone).
fn list_for_range(conn: &Connection, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CalendarWindow>, PlanningError> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE project_id = ?1 AND rule IS NOT NULL
         UNION ALL
         {SELECT} WHERE project_id = ?1 AND rule IS NULL AND start_local < ?2 AND start_local >= ?3
           AND datetime(replace(start_local, 'T', ' '), '+' || minutes || ' minutes') > ?4"
    ))?;
    let day = Duration::days(1);
    let latest = (to + day).format(LOCAL).to_string();
    // A window lasts at most MAX_MINUTES: one starting earlier has ended.
    let earliest = (from - day - Duration::minutes(MAX_MINUTES)).format(LOCAL).to_string();
    let ends_after = (from - day).format("%Y-%m-%d %H:%M:%S").to_string();
    let rows = stmt.query_map(params![project_id, latest, earliest, ends_after], from_row)?.collect::<Result<Vec<_>, _>>()?;
    with_project_environments(conn, project_id, rows)
}

/// Fills in the environments of `windows` with one query for the project.
fn with_project_environments(conn: &Connection, project_id: &str, mut windows: Vec<CalendarWindow>) -> Result<Vec<CalendarWindow>, PlanningError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.window_id, e.environment_id FROM calendar_window_environments e
         JOIN calendar_windows w ON w.id = e.window_id WHERE w.project_id = ?1 ORDER BY e.environment_id",
    )?;
    let mut by_window: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for row in stmt.query_map(params![project_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (window, environment) = row?;
        by_window.entry(window).or_default().push(environment);
    }
    for w in &mut windows {
        w.environment_ids = by_window.remove(&w.id).unwrap_or_default();
    }
    Ok(windows)
}

pub fn get(store: &Store, id: &str) -> Result<CalendarWindow, PlanningError> {
    get_in(&*store.reader()?, id)
}

pub fn create(store: &Store, project_id: &str, draft: &CalendarWindowDraft, now: DateTime<Utc>) -> Result<CalendarWindow, PlanningError> {
    store.write(|tx| create_in(tx, project_id, draft, now))
}

/// [`create`] inside the caller's transaction.
pub(crate) fn create_in(tx: &Connection, project_id: &str, draft: &CalendarWindowDraft, now: DateTime<Utc>) -> Result<CalendarWindow, PlanningError> {
    let exists: bool = crate::projects::find_in(tx, project_id)?.is_some();
    if !exists {
        return Err(PlanningError::ProjectNotFound);
    }
    let (clean, kind) = validate(tx, project_id, draft)?;
    let id = uuid::Uuid::now_v7().to_string();
    let at = clock::to_text(now);
    tx.execute(
        "INSERT INTO calendar_windows (id, project_id, kind, name, reason, start_local, minutes, time_zone, rule, exdates, scoped, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![id, project_id, kind.as_str(), clean.name, clean.reason, clean.start_local, clean.minutes, clean.time_zone, clean.rule, json(&clean.exdates), !clean.environment_ids.is_empty(), at],
    )?;
    set_environments(tx, &id, &clean.environment_ids)?;
    get_in(tx, &id)
}

pub fn update(store: &Store, id: &str, draft: &CalendarWindowDraft, now: DateTime<Utc>) -> Result<CalendarWindow, PlanningError> {
    store.write(|tx| {
        let current = get_in(tx, id)?;
        let (clean, kind) = validate(tx, &current.project_id, draft)?;
        tx.execute(
            "UPDATE calendar_windows SET kind = ?2, name = ?3, reason = ?4, start_local = ?5, minutes = ?6, time_zone = ?7, rule = ?8,
                    exdates = ?9, scoped = ?10, updated_at = ?11 WHERE id = ?1",
            params![id, kind.as_str(), clean.name, clean.reason, clean.start_local, clean.minutes, clean.time_zone, clean.rule, json(&clean.exdates), !clean.environment_ids.is_empty(), clock::to_text(now)],
        )?;
        set_environments(tx, id, &clean.environment_ids)?;
        get_in(tx, id)
    })
}

pub fn delete(store: &Store, id: &str) -> Result<(), PlanningError> {
    match store.write(|tx| tx.execute("DELETE FROM calendar_windows WHERE id = ?1", params![id]))? {
        0 => Err(PlanningError::NotFound),
        _ => Ok(()),
    }
}

/// Every occurrence of the project's windows that overlaps `[from, to)`,
/// in time order; `true` when some window had more than one query returns.
pub fn occurrences(store: &Store, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(Vec<WindowOccurrence>, bool), PlanningError> {
    let mut out = Vec::new();
    let mut truncated = false;
    let listed = list_for_range(&*store.reader()?, project_id, from, to)?;
    for w in listed {
        // A window stored before a rule change in Liftoff may no longer
        // expand; leave it out rather than fail the whole view.
        let Ok(expansion) = recurrence_of(&w).and_then(|r| r.expand(from, to).map_err(invalid_rule)) else {
            log::warn!("calendar window {} no longer expands; edit it", w.id);
            continue;
        };
        truncated |= expansion.truncated;
        out.extend(expansion.occurrences.into_iter().map(|o| WindowOccurrence {
            window_id: w.id.clone(),
            kind: w.kind,
            name: w.name.clone(),
            reason: w.reason.clone(),
            environment_ids: w.environment_ids.clone(),
            scoped: w.scoped,
            start: clock::to_text(o.start),
            end: clock::to_text(o.end),
        }));
    }
    out.sort_by(|a, b| a.start.cmp(&b.start));
    Ok((out, truncated))
}

pub fn recurrence_of(w: &CalendarWindow) -> Result<Recurrence, PlanningError> {
    Ok(Recurrence {
        start: parse_local(&w.start_local).ok_or_else(|| invalid("startLocal", "The stored start is damaged; edit the window and save it again."))?,
        minutes: i64::from(w.minutes),
        time_zone: w.time_zone.clone(),
        rule: w.rule.clone(),
        exdates: w.exdates.iter().filter_map(|e| parse_local(e)).collect(),
        extra: Default::default(),
    })
}

fn invalid(field: &str, message: &str) -> PlanningError {
    PlanningError::Invalid(FieldErrors::from([(field.to_owned(), message.to_owned())]))
}

fn invalid_rule(e: RecurrenceError) -> PlanningError {
    let field = match e {
        RecurrenceError::TimeZone(_) => "timeZone",
        RecurrenceError::Length => "minutes",
        RecurrenceError::Rule(_) | RecurrenceError::Budget(_) => "rule",
        RecurrenceError::OutOfRange => "startLocal",
    };
    invalid(field, &e.to_string())
}

/// Trims and checks a draft: name, start, length, zone, rule, exceptions,
/// and that the environments belong to the project.
pub fn validate(conn: &Connection, project_id: &str, d: &CalendarWindowDraft) -> Result<(CalendarWindowDraft, WindowKind), PlanningError> {
    let clean = CalendarWindowDraft {
        kind: d.kind,
        name: d.name.trim().to_owned(),
        reason: d.reason.trim().to_owned(),
        start_local: d.start_local.trim().to_owned(),
        minutes: d.minutes,
        time_zone: d.time_zone.trim().to_owned(),
        rule: d.rule.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned),
        exdates: d.exdates.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect(),
        environment_ids: d.environment_ids.clone(),
    };
    let mut errors = FieldErrors::new();
    let kind = clean.kind.unwrap_or(WindowKind::Freeze);
    let len = clean.name.chars().count();
    if len == 0 || len > 100 || clean.name.chars().any(char::is_control) {
        errors.insert("name".into(), "Name the window in one line of 100 characters or fewer, such as “Weekend freeze”.".into());
    }
    if clean.reason.chars().count() > 1000 {
        errors.insert("reason".into(), "Keep the reason under 1,000 characters.".into());
    }
    let start = parse_local(&clean.start_local);
    if start.is_none() {
        errors.insert("startLocal".into(), "Enter the start as YYYY-MM-DDTHH:MM, such as 2026-11-27T15:00.".into());
    }
    for (i, e) in clean.exdates.iter().enumerate() {
        if parse_local(e).is_none() {
            errors.insert(format!("exdates[{i}]"), "Enter each left-out start as YYYY-MM-DDTHH:MM.".into());
        }
    }
    if let Some(start) = start {
        let r = Recurrence {
            start,
            minutes: i64::from(clean.minutes),
            time_zone: clean.time_zone.clone(),
            rule: clean.rule.clone(),
            exdates: clean.exdates.iter().filter_map(|e| parse_local(e)).collect(),
            extra: Default::default(),
        };
        if let Err(PlanningError::Invalid(f)) = r.validate().map_err(invalid_rule) {
            errors.extend(f);
        }
    }
    for id in &clean.environment_ids {
        if crate::environments::in_project(conn, id, project_id)?.is_none() {
            errors.insert("environmentIds".into(), "Pick environments of this project.".into());
        }
    }
    if errors.is_empty() {
        Ok((clean, kind))
    } else {
        Err(PlanningError::Invalid(errors))
    }
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).expect("a list of strings serializes")
}

fn set_environments(conn: &Connection, window_id: &str, ids: &[String]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM calendar_window_environments WHERE window_id = ?1", params![window_id])?;
    for id in ids {
        conn.execute(
            "INSERT OR IGNORE INTO calendar_window_environments (window_id, environment_id) VALUES (?1, ?2)",
            params![window_id, id],
        )?;
    }
    Ok(())
}

const SELECT: &str =
    "SELECT id, project_id, kind, name, reason, start_local, minutes, time_zone, rule, exdates, created_at, updated_at, scoped FROM calendar_windows";

fn get_in(conn: &Connection, id: &str) -> Result<CalendarWindow, PlanningError> {
    let w = conn.query_row(&format!("{SELECT} WHERE id = ?1"), params![id], from_row).optional()?.ok_or(PlanningError::NotFound)?;
    with_environments(conn, w)
}

fn with_environments(conn: &Connection, mut w: CalendarWindow) -> Result<CalendarWindow, PlanningError> {
    let mut stmt = conn.prepare_cached("SELECT environment_id FROM calendar_window_environments WHERE window_id = ?1 ORDER BY environment_id")?;
    w.environment_ids = stmt.query_map(params![w.id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(w)
}

fn from_row(row: &Row) -> rusqlite::Result<CalendarWindow> {
    let (id, kind, exdates): (String, String, String) = (row.get(0)?, row.get(2)?, row.get(9)?);
    Ok(CalendarWindow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        kind: column::text("calendar_windows", &id, "kind", &kind)?,
        name: row.get(3)?,
        reason: row.get(4)?,
        start_local: row.get(5)?,
        minutes: row.get(6)?,
        time_zone: row.get(7)?,
        rule: row.get(8)?,
        exdates: column::json("calendar_windows", &id, "exdates", &exdates)?,
        environment_ids: Vec::new(),
        scoped: row.get(12)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}
