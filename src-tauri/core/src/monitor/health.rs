//! Health of the environments on the status board: a GET of each
//! environment's health URL ([`crate::connection::check`], anonymous: the
//! board never asks the keychain), at most [`AT_ONCE`] at a time, each within
//! [`CHECK_TIMEOUT`], stored as one row of `health_samples`. Samples older
//! than [`KEEP`] are deleted in the write that adds new ones. Owns
//! `health_samples`.
//!
//! What the board shows is read back from the samples: the latest one says
//! up, slow or down; the last failure is kept in words; the last 24 hours
//! are a sparkline of [`SPARK_BUCKETS`] hourly buckets (the clock's hours in
//! UTC, the last one the hour going on).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::{clock, connection, Store, StoreError};

/// How long one check may take before it counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// How many checks run at once: a board of many projects does not open
/// dozens of connections together (nor look like a scan to a firewall).
pub const AT_ONCE: usize = 4;

/// How long samples are kept.
pub const KEEP: chrono::Duration = chrono::Duration::days(7);

/// An answer slower than this is "slow". A health endpoint does no real work
/// (it is meant for load balancers, which commonly give it 2 to 5 s before
/// they pull a node); a service that takes more than a second for it is
/// struggling, and users feel it before the balancer does. One second is
/// also a tenth of [`CHECK_TIMEOUT`], past which it is down.
pub const SLOW_MS: u32 = 1_000;

/// The sparkline: one bucket per clock hour over the last 24, oldest first.
pub const SPARK_BUCKETS: usize = 24;

/// The words shown for an environment that has no health URL.
pub const NO_URL: &str = "no health URL — add one in Environments";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum HealthState {
    Up,
    Slow,
    Down,
    /// It has a health URL that was never checked (or not in the last 7 days).
    Unchecked,
    NoUrl,
}

/// The state a sample means: down when the check failed, slow when it took
/// [`SLOW_MS`] or more.
pub fn classify(ok: bool, latency_ms: Option<u32>) -> HealthState {
    match (ok, latency_ms) {
        (false, _) => HealthState::Down,
        (true, Some(ms)) if ms >= SLOW_MS => HealthState::Slow,
        (true, _) => HealthState::Up,
    }
}

/// One check, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    pub environment_id: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub ok: bool,
    pub status: Option<u16>,
    pub latency_ms: Option<u32>,
    pub message: String,
}

/// A failed check, for "last failure".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub at: String,
    pub message: String,
}

/// One hour of the sparkline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SparkBucket {
    /// The hour's start, RFC 3339 UTC (`…T09:00:00Z`).
    pub start: String,
    pub samples: u32,
    pub failures: u32,
    /// The mean latency of the hour's successful checks.
    pub latency_ms: Option<u32>,
}

/// An environment's health as the board shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentHealth {
    pub environment_id: String,
    pub state: HealthState,
    /// What the latest check found, in words (or why there is none).
    pub words: String,
    pub checked_at: Option<String>,
    pub status: Option<u16>,
    pub latency_ms: Option<u32>,
    /// The most recent failed check in the last 7 days.
    pub last_failure: Option<Failure>,
    /// [`SPARK_BUCKETS`] hours, oldest first; empty without a health URL.
    pub sparkline: Vec<SparkBucket>,
}

/// An environment to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub environment_id: String,
    pub url: String,
}

/// The environments of `project_ids` that have a health URL.
pub fn targets(conn: &Connection, project_ids: &[String]) -> rusqlite::Result<Vec<Target>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, health_url FROM environments WHERE project_id = ?1 AND health_url <> '' ORDER BY position",
    )?;
    let mut out = Vec::new();
    for project_id in project_ids {
        for row in stmt.query_map(params![project_id], |r| Ok(Target { environment_id: r.get(0)?, url: r.get(1)? }))? {
            out.push(row?);
        }
    }
    Ok(out)
}

/// Checks every target, at most [`AT_ONCE`] at a time, each within
/// [`CHECK_TIMEOUT`]; one sample per target, in the targets' order, each
/// stamped with the time its check started.
pub async fn check_all(targets: Vec<Target>, cancel: &CancellationToken) -> Vec<Sample> {
    let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut set = tokio::task::JoinSet::new();
    for (i, target) in targets.into_iter().enumerate() {
        let (gate, cancel) = (gate.clone(), cancel.clone());
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let at = clock::to_text(Utc::now());
            let report = connection::check(&target.url, None, CHECK_TIMEOUT, &cancel).await;
            let answered = report.ok || report.status.is_some() || report.latency_ms > 0;
            (
                i,
                Sample {
                    environment_id: target.environment_id,
                    at,
                    ok: report.ok,
                    status: report.status,
                    latency_ms: answered.then_some(report.latency_ms),
                    message: report.message,
                },
            )
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(pair) = joined {
            done.push(pair);
        }
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, s)| s).collect()
}

/// Stores `samples` and deletes every sample older than [`KEEP`] before
/// `now`, in one write. Not reported as a data change: the board that asked
/// reads the fresh health from the answer, and other pages do not show it.
pub fn record(store: &Store, samples: &[Sample], now: DateTime<Utc>) -> Result<(), StoreError> {
    let cutoff = clock::to_text(now - KEEP);
    store.write_unreported(|tx| {
        let mut insert = tx.prepare_cached(
            "INSERT INTO health_samples (environment_id, at, ok, status, latency_ms, message)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM environments WHERE id = ?1)",
        )?;
        for s in samples {
            insert.execute(params![s.environment_id, s.at, s.ok, s.status, s.latency_ms, s.message])?;
        }
        tx.execute("DELETE FROM health_samples WHERE at < ?1", params![cutoff])?;
        Ok::<_, StoreError>(())
    })
}

/// [`targets`] on a reader of the store.
pub fn targets_of(store: &Store, project_ids: &[String]) -> Result<Vec<Target>, StoreError> {
    Ok(targets(&*store.reader()?, project_ids)?)
}

/// Checks the health of every environment of `project_ids` now and stores
/// the samples: the board's "Check now" and its 60-second poll.
pub async fn check_now(store: &Store, project_ids: &[String], cancel: &CancellationToken) -> Result<Vec<Sample>, StoreError> {
    let targets = targets_of(store, project_ids)?;
    let samples = check_all(targets, cancel).await;
    record(store, &samples, Utc::now())?;
    Ok(samples)
}

/// The health of every environment of `project_ids` at `now`, project by
/// project in pipeline order.
pub fn read(store: &Store, project_ids: &[String], now: DateTime<Utc>) -> Result<Vec<EnvironmentHealth>, StoreError> {
    let conn = store.reader()?;
    let mut order = conn.prepare_cached("SELECT id FROM environments WHERE project_id = ?1 ORDER BY position")?;
    let mut out = Vec::new();
    for project_id in project_ids {
        let mut health = project_health(&conn, project_id, now)?;
        let ids = order.query_map(params![project_id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        out.extend(ids.iter().filter_map(|id| health.remove(id)));
    }
    Ok(out)
}

/// The health of each environment of the project, by environment id, read
/// in two queries (the latest sample and the last failure per environment,
/// then the last 24 hours in hourly buckets), both through the index
/// `health_samples_by_environment`.
pub fn project_health(conn: &Connection, project_id: &str, now: DateTime<Utc>) -> rusqlite::Result<HashMap<String, EnvironmentHealth>> {
    let since = clock::to_text(now - KEEP);
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.health_url <> '', s.at, s.ok, s.status, s.latency_ms, s.message, f.at, f.message
         FROM environments e
         LEFT JOIN health_samples s ON s.rowid =
             (SELECT x.rowid FROM health_samples x WHERE x.environment_id = e.id AND x.at >= ?2 ORDER BY x.at DESC LIMIT 1)
         LEFT JOIN health_samples f ON f.rowid =
             (SELECT x.rowid FROM health_samples x WHERE x.environment_id = e.id AND x.at >= ?2 AND x.ok = 0 ORDER BY x.at DESC LIMIT 1)
         WHERE e.project_id = ?1",
    )?;
    let mut out = HashMap::new();
    let rows = stmt.query_map(params![project_id, since], |r| {
        let id: String = r.get(0)?;
        let has_url: bool = r.get(1)?;
        let at: Option<String> = r.get(2)?;
        let ok: Option<bool> = r.get(3)?;
        let status: Option<u16> = r.get(4)?;
        let latency_ms: Option<u32> = r.get(5)?;
        let message: Option<String> = r.get(6)?;
        let last_failure = match (r.get::<_, Option<String>>(7)?, r.get::<_, Option<String>>(8)?) {
            (Some(at), Some(message)) => Some(Failure { at, message }),
            _ => None,
        };
        let (state, words) = match (has_url, ok) {
            (false, _) => (HealthState::NoUrl, NO_URL.to_owned()),
            (true, None) => (HealthState::Unchecked, "not checked yet".to_owned()),
            (true, Some(ok)) => {
                let state = classify(ok, latency_ms);
                let message = message.unwrap_or_default();
                let words = match (state, latency_ms) {
                    (HealthState::Slow, Some(ms)) => format!("{message} Slow: {ms} ms (slow from {SLOW_MS} ms)."),
                    (HealthState::Up, Some(ms)) => format!("{message} {ms} ms."),
                    _ => message,
                };
                (state, words)
            }
        };
        Ok(EnvironmentHealth {
            environment_id: id,
            state,
            words,
            checked_at: if has_url { at } else { None },
            status,
            latency_ms,
            last_failure: if has_url { last_failure } else { None },
            sparkline: if has_url { empty_sparkline(now) } else { Vec::new() },
        })
    })?;
    for row in rows {
        let h = row?;
        out.insert(h.environment_id.clone(), h);
    }

    // The last 24 hours by the clock's hour (UTC): the bucket of a sample
    // is its text's first 13 characters ("2026-12-07T09"), cheaper than
    // date arithmetic on each of up to 1,440 samples per environment.
    let first = first_hour(now);
    let mut stmt = conn.prepare_cached(
        "SELECT h.environment_id, substr(h.at, 1, 13) AS hour,
                count(*), sum(1 - h.ok), CAST(avg(CASE WHEN h.ok = 1 THEN h.latency_ms END) AS INTEGER)
         FROM environments e JOIN health_samples h ON h.environment_id = e.id AND h.at >= ?2
         WHERE e.project_id = ?1 AND e.health_url <> ''
         GROUP BY h.environment_id, hour",
    )?;
    let rows = stmt.query_map(params![project_id, clock::to_text(first)], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?, r.get::<_, u32>(3)?, r.get::<_, Option<u32>>(4)?))
    })?;
    for row in rows {
        let (environment_id, hour, samples, failures, latency_ms) = row?;
        let Some(h) = out.get_mut(&environment_id) else { continue };
        // Samples stamped after `now` (a clock set back) count in the last hour.
        let index = h.sparkline.iter().rposition(|b| b.start[..13] <= hour[..]).unwrap_or(0);
        if let Some(b) = h.sparkline.get_mut(index) {
            b.samples += samples;
            b.failures += failures;
            b.latency_ms = latency_ms.or(b.latency_ms);
        }
    }
    Ok(out)
}

/// The start of the sparkline's first hour: 23 hours before `now`'s.
fn first_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    let hour = now.duration_trunc(chrono::TimeDelta::hours(1)).unwrap_or(now);
    hour - chrono::Duration::hours(SPARK_BUCKETS as i64 - 1)
}

fn empty_sparkline(now: DateTime<Utc>) -> Vec<SparkBucket> {
    let start = first_hour(now);
    (0..SPARK_BUCKETS)
        .map(|i| SparkBucket {
            start: clock::to_text(start + chrono::Duration::hours(i as i64)),
            samples: 0,
            failures: 0,
            latency_ms: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_starts_at_the_threshold_and_a_failure_is_down_whatever_its_time() {
        assert_eq!(classify(true, Some(SLOW_MS - 1)), HealthState::Up);
        assert_eq!(classify(true, Some(SLOW_MS)), HealthState::Slow);
        assert_eq!(classify(true, None), HealthState::Up);
        assert_eq!(classify(false, Some(5)), HealthState::Down);
        assert_eq!(classify(false, None), HealthState::Down);
    }
}
