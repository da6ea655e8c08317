//! A project's stored load profile: the samples of a monitoring export, or
//! a weekly pattern entered by hand.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::load::{self, Hour, Sample, WeeklyPattern};
use super::PlanningError;
use crate::rules::FieldErrors;
use crate::store::ChangeKind;
use crate::{clock, time_zones, Store};
use crate::store::column;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LoadSummary {
    pub samples: i32,
    /// RFC 3339, UTC; none without samples.
    pub first: Option<String>,
    pub last: Option<String>,
    pub peak: f64,
    /// A weekly pattern was entered by hand.
    pub manual_pattern: bool,
}

fn project_tz(store: &Store, project_id: &str) -> Result<chrono_tz::Tz, PlanningError> {
    let project = crate::projects::find_in(&*store.reader()?, project_id)?.ok_or(PlanningError::ProjectNotFound)?;
    Ok(time_zones::parse(&project.time_zone).unwrap_or(chrono_tz::UTC))
}

/// Replaces the project's samples with those in `content` (see
/// [`load::parse_csv`]), in one transaction. A bad file changes nothing.
pub fn import_csv(store: &Store, project_id: &str, content: &str) -> Result<LoadSummary, PlanningError> {
    let tz = project_tz(store, project_id)?;
    let samples = load::parse_csv(content, tz).map_err(|e| PlanningError::File(e.to_string()))?;
    store.write(|tx| -> Result<(), PlanningError> {
        replace_samples_in(tx, project_id, samples.iter().map(|s| (s.at.timestamp(), s.value)))?;
        // Both tables are WITHOUT ROWID, which SQLite's change hook does not see.
        tx.changed(ChangeKind::Load, Some(project_id), None);
        Ok(())
    })?;
    summary(store, project_id)
}

/// Replaces the project's load samples (seconds since 1970, value) and
/// the hourly figures worked out from them.
pub(crate) fn replace_samples_in(tx: &Connection, project_id: &str, samples: impl IntoIterator<Item = (i64, f64)>) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM load_samples WHERE project_id = ?1", params![project_id])?;
    let mut stmt = tx.prepare_cached("INSERT OR REPLACE INTO load_samples (project_id, at, value) VALUES (?1, ?2, ?3)")?;
    for (at, value) in samples {
        stmt.execute(params![project_id, at, value])?;
    }
    rebuild_hours(tx, project_id)
}

/// Replaces the project's load profile with the monitoring export at `path`
/// (see [`import_csv`]).
pub fn import_csv_file(store: &Store, project_id: &str, path: &std::path::Path) -> Result<LoadSummary, PlanningError> {
    let content = crate::files::read_text(path, load::MAX_FILE_BYTES).map_err(|e| PlanningError::File(e.message(load::too_large)))?;
    import_csv(store, project_id, &content)
}

/// Writes the hourly aggregates of the project's samples again, in the
/// caller's transaction (after any change to the samples).
fn rebuild_hours(tx: &Connection, project_id: &str) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM load_hourly WHERE project_id = ?1", params![project_id])?;
    tx.execute(
        "INSERT INTO load_hourly (project_id, hour, max, total, samples)
         SELECT project_id, at / 3600, max(value), sum(value), count(*) FROM load_samples WHERE project_id = ?1 GROUP BY at / 3600",
        params![project_id],
    )?;
    Ok(())
}

pub fn summary(store: &Store, project_id: &str) -> Result<LoadSummary, PlanningError> {
    // From the hourly aggregates and the ends of the samples' index: a few
    // lookups, however many samples there are.
    let (n, first, last, peak): (i64, Option<i64>, Option<i64>, Option<f64>) = store.reader()?.query_row(
        "SELECT (SELECT coalesce(sum(samples), 0) FROM load_hourly WHERE project_id = ?1),
                (SELECT min(at) FROM load_samples WHERE project_id = ?1),
                (SELECT max(at) FROM load_samples WHERE project_id = ?1),
                (SELECT max(max) FROM load_hourly WHERE project_id = ?1)",
        params![project_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let manual: bool =
        store.reader()?.query_row("SELECT EXISTS (SELECT 1 FROM load_patterns WHERE project_id = ?1)", params![project_id], |r| r.get(0))?;
    let text = |t: Option<i64>| t.and_then(|s| Utc.timestamp_opt(s, 0).single()).map(clock::to_text);
    Ok(LoadSummary { samples: n as i32, first: text(first), last: text(last), peak: peak.unwrap_or(0.0), manual_pattern: manual })
}

/// The samples in `[from, to)`, in time order.
pub fn samples_between(store: &Store, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Sample>, PlanningError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached("SELECT at, value FROM load_samples WHERE project_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at")?;
    let rows = stmt.query_map(params![project_id, from.timestamp(), to.timestamp()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (at, value) = row?;
        if let Some(at) = Utc.timestamp_opt(at, 0).single() {
            out.push(Sample { at, value });
        }
    }
    Ok(out)
}

/// The hourly aggregates of the hours starting in `[from, to)`, in order.
pub fn hours_between(store: &Store, project_id: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Hour>, PlanningError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare_cached(
        "SELECT hour, max, total, samples FROM load_hourly WHERE project_id = ?1 AND hour >= ?2 AND hour < ?3 ORDER BY hour",
    )?;
    let (first, last) = (from.timestamp().div_euclid(3600), (to.timestamp() + 3599).div_euclid(3600));
    let rows = stmt.query_map(params![project_id, first, last], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?, r.get::<_, i64>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (hour, max, total, samples) = row?;
        if let Some(at) = Utc.timestamp_opt(hour * 3600, 0).single() {
            out.push(Hour { at, max, total, samples: samples.clamp(0, i64::from(u32::MAX)) as u32 });
        }
    }
    Ok(out)
}

/// Saves a weekly pattern entered by hand: 168 hourly values, Monday 00:00
/// first, local to the project's zone. It is used instead of the samples.
pub fn set_pattern(store: &Store, project_id: &str, hours: &[f64], now: DateTime<Utc>) -> Result<(), PlanningError> {
    if hours.len() != 168 || hours.iter().any(|h| !h.is_finite() || *h < 0.0) {
        return Err(PlanningError::Invalid(FieldErrors::from([(
            "hours".to_owned(),
            "Give a load of zero or more for each of the 168 hours of the week.".to_owned(),
        )])));
    }
    project_tz(store, project_id)?;
    store.write(|tx| tx.execute(
        "INSERT INTO load_patterns (project_id, hours, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id) DO UPDATE SET hours = excluded.hours, updated_at = excluded.updated_at",
        params![project_id, serde_json::to_string(hours).expect("numbers serialize"), clock::to_text(now)],
    ))?;
    Ok(())
}

pub fn clear_pattern(store: &Store, project_id: &str) -> Result<(), PlanningError> {
    store.write(|tx| tx.execute("DELETE FROM load_patterns WHERE project_id = ?1", params![project_id]))?;
    Ok(())
}

/// The weekly pattern entered by hand, as 168 hourly values, if any.
pub fn manual_pattern(store: &Store, project_id: &str) -> Result<Option<Vec<f64>>, PlanningError> {
    let json: Option<String> =
        store.reader()?.query_row("SELECT hours FROM load_patterns WHERE project_id = ?1", params![project_id], |r| r.get(0)).optional()?;
    let hours = json.map(|j| column::json::<Vec<f64>>("load_patterns", project_id, "hours", &j)).transpose()?;
    Ok(hours.filter(|v| v.len() == 168))
}

/// The pattern window scoring uses: the one entered by hand, else one made
/// from the last four weeks of samples, else none.
pub fn weekly_pattern(store: &Store, project_id: &str) -> Result<Option<(WeeklyPattern, chrono_tz::Tz)>, PlanningError> {
    let tz = project_tz(store, project_id)?;
    let manual: Option<String> =
        store.reader()?.query_row("SELECT hours FROM load_patterns WHERE project_id = ?1", params![project_id], |r| r.get(0)).optional()?;
    if let Some(json) = manual {
        let values: Vec<f64> = column::json("load_patterns", project_id, "hours", &json)?;
        if values.len() == 168 {
            let hours = std::array::from_fn(|d| std::array::from_fn(|h| values[d * 24 + h]));
            return Ok(Some((WeeklyPattern { hours }, tz)));
        }
    }
    // The last four weeks of samples say what a week looks like now.
    let last: Option<i64> = store.reader()?.query_row("SELECT max(at) FROM load_samples WHERE project_id = ?1", params![project_id], |r| r.get(0))?;
    let Some(last) = last.and_then(|t| Utc.timestamp_opt(t, 0).single()) else { return Ok(None) };
    let recent = samples_between(store, project_id, last - chrono::Duration::days(28), last + chrono::Duration::seconds(1))?;
    Ok((!recent.is_empty()).then(|| (WeeklyPattern::from_samples(&recent, tz), tz)))
}
