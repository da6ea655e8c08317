//! People's busy time: imported from their calendars (`.ics`) or entered by
//! hand, stored per person, and expanded over a range.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::ics;
use super::recurrence::{Budget, Extra, Recurrence, RecurrenceError};
use super::windows::parse_local;
use super::PlanningError;
use crate::{clock, time_zones, Store};
use crate::store::column;

/// One busy span of a person, for drawing and checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BusyOccurrence {
    pub person_id: String,
    pub summary: String,
    pub all_day: bool,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BusyImport {
    pub person_id: String,
    pub source: String,
    /// Busy events kept (free and cancelled ones are not busy time).
    pub events: i32,
    /// Events that could not be read, each with its line and why.
    pub skipped: Vec<SkippedEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SkippedEvent {
    pub line: i32,
    pub reason: String,
}

/// The time one import or one read of busy time may spend on repeat rules.
pub const BUDGET_SECONDS: u64 = 5;

/// Replaces the busy time a person had from `file_name` with the events in
/// `content`, in one transaction. Events that cannot be read are skipped
/// and reported with their lines; a file that is not a calendar, or is cut
/// or damaged, changes nothing.
pub fn import_ics(store: &Store, person_id: &str, file_name: &str, content: &str, now: DateTime<Utc>) -> Result<BusyImport, PlanningError> {
    let tz_name: String = crate::people::time_zone_of(&*store.reader()?, person_id)?.ok_or(PlanningError::PersonNotFound)?;
    let tz = time_zones::parse(&tz_name).unwrap_or(chrono_tz::UTC);
    // One budget for the whole file: reading it and where each event
    // starts and ends.
    let budget = Budget::seconds(BUDGET_SECONDS);
    let read = ics::parse_within(content, tz, &budget).map_err(|e| PlanningError::File(format!("{e}")))?;
    let mut skipped: Vec<SkippedEvent> = read.skipped.iter().map(|s| SkippedEvent { line: s.line as i32, reason: s.reason.clone() }).collect();
    let mut events = Vec::new();
    for e in read.events {
        match e.when.span(&budget) {
            Ok(span) => events.push((e, span)),
            Err(problem @ RecurrenceError::Budget(_)) => {
                skipped.push(SkippedEvent { line: e.line as i32, reason: format!("{problem} This and the later events were skipped: export a shorter period.") });
                break;
            }
            Err(problem) => skipped.push(SkippedEvent { line: e.line as i32, reason: format!("{problem} The event from line {} was skipped.", e.line) }),
        }
    }
    skipped.sort_by_key(|s| s.line);
    if events.is_empty() && !skipped.is_empty() {
        let first = &skipped[0];
        return Err(PlanningError::File(format!("Line {}: {} No event in the file could be read.", first.line, first.reason)));
    }
    let source = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name).trim().to_owned();
    store.write(|tx| {
        replace_source_in(tx, person_id, &source)?;
        let at = clock::to_text(now);
        for (e, span) in &events {
            insert(tx, person_id, &source, &e.summary, e.all_day, &e.when, *span, &at)?;
        }
        Ok(BusyImport { person_id: person_id.to_owned(), source: source.clone(), events: events.len() as i32, skipped })
    })
}

/// Replaces the person's busy time from `source` with `events`, inside the
/// caller's transaction.
pub(crate) fn insert_events_in(tx: &Connection, person_id: &str, source: &str, events: &[ics::BusyEvent], now: DateTime<Utc>) -> Result<(), PlanningError> {
    let at = clock::to_text(now);
    replace_source_in(tx, person_id, source)?;
    for e in events {
        let span = e.when.span(&Budget::unlimited()).map_err(|p| PlanningError::File(p.to_string()))?;
        insert(tx, person_id, source, &e.summary, e.all_day, &e.when, span, &at)?;
    }
    Ok(())
}

fn replace_source_in(tx: &Connection, person_id: &str, source: &str) -> rusqlite::Result<usize> {
    tx.execute("DELETE FROM busy_times WHERE person_id = ?1 AND source = ?2", params![person_id, source])
}

/// Replaces a person's busy time from the calendar file at `path` (see
/// [`import_ics`]).
pub fn import_ics_file(store: &Store, person_id: &str, path: &std::path::Path, now: DateTime<Utc>) -> Result<BusyImport, PlanningError> {
    let content = crate::files::read_text(path, ics::MAX_FILE_BYTES).map_err(|e| PlanningError::File(e.message(|_| ics::too_large().to_string())))?;
    import_ics(store, person_id, &crate::files::name_of(path), &content, now)
}

#[allow(clippy::too_many_arguments)]
fn insert(
    conn: &Connection,
    person_id: &str,
    source: &str,
    summary: &str,
    all_day: bool,
    when: &Recurrence,
    (first_start, last_end): (DateTime<Utc>, Option<DateTime<Utc>>),
    at: &str,
) -> rusqlite::Result<()> {
    let local = |t: &chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M").to_string();
    let exdates: Vec<String> = when.exdates.iter().map(local).collect();
    let extra = (!when.extra.is_empty()).then(|| serde_json::to_string(&when.extra).expect("the extra parts serialize"));
    conn.execute(
        "INSERT INTO busy_times (id, person_id, source, summary, all_day, start_local, minutes, time_zone, rule, exdates, first_start, last_end, created_at, extra)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            uuid::Uuid::now_v7().to_string(),
            person_id,
            source,
            summary,
            all_day,
            local(&when.start),
            when.minutes.min(527_040),
            when.time_zone,
            when.rule,
            serde_json::to_string(&exdates).expect("strings serialize"),
            clock::to_text(first_start),
            last_end.map(clock::to_text),
            at,
            extra
        ],
    )?;
    Ok(())
}

/// Busy time entered by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ManualBusy {
    pub id: String,
    pub person_id: String,
    pub summary: String,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
}

/// Adds busy time by hand, such as a day of leave or a dentist's appointment.
pub fn add_manual(store: &Store, person_id: &str, summary: &str, start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Result<ManualBusy, PlanningError> {
    let summary = summary.trim();
    let minutes = (end - start).num_minutes();
    if !(1..=527_040).contains(&minutes) {
        return Err(PlanningError::Invalid(crate::rules::FieldErrors::from([(
            "end".to_owned(),
            "The busy time must end after it starts, within a year.".to_owned(),
        )])));
    }
    if summary.chars().count() > 200 || summary.chars().any(char::is_control) {
        return Err(PlanningError::Invalid(crate::rules::FieldErrors::from([(
            "summary".to_owned(),
            "Keep the description to one line of 200 characters or fewer.".to_owned(),
        )])));
    }
    if crate::people::name_of(&*store.reader()?, person_id)?.is_none() {
        return Err(PlanningError::PersonNotFound);
    }
    let when = Recurrence { start: start.naive_utc(), minutes, time_zone: "UTC".into(), rule: None, exdates: Vec::new(), extra: Default::default() };
    let summary = if summary.is_empty() { "Away" } else { summary };
    let id: String = store.write(|tx| -> Result<String, PlanningError> {
        insert(tx, person_id, "", summary, false, &when, (start, Some(end)), &clock::to_text(now))?;
        Ok(tx.query_row("SELECT id FROM busy_times WHERE rowid = last_insert_rowid()", [], |r| r.get(0))?)
    })?;
    Ok(ManualBusy { id, person_id: person_id.to_owned(), summary: summary.to_owned(), start: clock::to_text(start), end: clock::to_text(end) })
}

/// The busy time entered by hand for the project's people, newest first.
pub fn list_manual(store: &Store, project_id: &str) -> Result<Vec<ManualBusy>, PlanningError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(
        "SELECT b.id, b.person_id, b.summary, b.start_local, b.minutes FROM busy_times b JOIN people p ON p.id = b.person_id
         WHERE p.project_id = ?1 AND b.source = '' ORDER BY b.start_local DESC",
    )?;
    let rows = stmt.query_map(params![project_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, i64>(4)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, person_id, summary, start, minutes) = row?;
        let Some(start) = parse_local(&start) else { continue };
        let start = start.and_utc();
        out.push(ManualBusy { id, person_id, summary, start: clock::to_text(start), end: clock::to_text(start + chrono::Duration::minutes(minutes)) });
    }
    Ok(out)
}

pub fn delete_manual(store: &Store, id: &str) -> Result<(), PlanningError> {
    match store.write(|tx| tx.execute("DELETE FROM busy_times WHERE id = ?1 AND source = ''", params![id]))? {
        0 => Err(PlanningError::NotFound),
        _ => Ok(()),
    }
}

/// The busy time of the project's people that overlaps `[from, to)`.
pub fn between(store: &Store, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<BusyOccurrence>, PlanningError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(
        "SELECT b.person_id, b.summary, b.all_day, b.start_local, b.minutes, b.time_zone, b.rule, b.exdates, b.extra, b.id
         FROM busy_times b JOIN people p ON p.id = b.person_id
         WHERE p.project_id = ?1 AND b.first_start < ?3 AND (b.last_end IS NULL OR b.last_end > ?2)",
    )?;
    let rows = stmt.query_map(params![project_id, clock::to_text(from), clock::to_text(to)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, Option<String>>(8)?,
            r.get::<_, String>(9)?,
        ))
    })?;
    let budget = Budget::seconds(BUDGET_SECONDS);
    let mut out = Vec::new();
    for row in rows {
        let (person_id, summary, all_day, start, minutes, time_zone, rule, exdates, extra, id) = row?;
        let Some(start) = parse_local(&start) else { continue };
        let exdates: Vec<String> = column::json("busy_times", &id, "exdates", &exdates)?;
        let extra: Extra = extra.map(|e| column::json("busy_times", &id, "extra", &e)).transpose()?.unwrap_or_default();
        let when = Recurrence { start, minutes, time_zone, rule, exdates: exdates.iter().filter_map(|e| parse_local(e)).collect(), extra };
        // A stored entry was valid when it was imported; skip one that no
        // longer expands (a zone removed from the database) rather than fail.
        let expansion = match when.expand_within(from, to, &budget) {
            Ok(e) => e,
            Err(e @ RecurrenceError::Budget(_)) => {
                return Err(PlanningError::TooMuchWork(format!("{e} Show a shorter period, or import the calendars again with a shorter period.")));
            }
            Err(_) => continue,
        };
        out.extend(expansion.occurrences.into_iter().map(|o| BusyOccurrence {
            person_id: person_id.clone(),
            summary: summary.clone(),
            all_day,
            start: clock::to_text(o.start),
            end: clock::to_text(o.end),
        }));
    }
    out.sort_by(|a, b| a.start.cmp(&b.start));
    Ok(out)
}
