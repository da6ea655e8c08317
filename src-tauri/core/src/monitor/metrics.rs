//! DORA's five software delivery metrics, counted from Liftoff's own runs.
//!
//! How Liftoff counts (the page shows each sentence beside its chart):
//! - A production deployment is a run of kind deploy on a protected
//!   environment that reached it: succeeded or failedVerification. Failed,
//!   cancelled, timed-out and interrupted runs changed nothing there; they
//!   are counted apart as "deploys that did not complete". A deployment
//!   belongs to the week it started in.
//! - Frequency: production deployments per week, and the median time
//!   between one deployment's start and the next's.
//! - Lead time: per commit, the end of its first verified production
//!   deploy minus its committer date (`run_commits`, read by
//!   [`super::commits`]); the median and the 90th percentile (nearest rank).
//! - Fails: a production deployment that failed verification, or that was
//!   the last one before a rollback, a switch back or a hotfix release's
//!   deploy reached the same environment within the project's fail window
//!   (24 hours unless set), counted from one's end to the other's.
//! - Recovery: from the end of a failed deployment to the end of the next
//!   succeeded run (of any kind) on its environment; the median.
//! - Rework: rollbacks and switch-backs that reached production, and
//!   production deployments of hotfix releases, over production deployments.
//!
//! Weekly points: frequency is the week's own count; the other four are
//! taken over the four weeks up to the week's end, so that a point rests on
//! enough deployments. Under [`MIN_DEPLOYMENTS`] production deployments a
//! value (the period's or a point's) is "too little data", never a number.
//!
//! Reads: runs through the covering index `deploy_runs_for_metrics` only
//! (never a run's JSON columns), commits through `run_commits_by_deploy`.
//! [`dora`] takes a connection so that it can be timed on its own.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::dora_bands::{self, Band};
use crate::audit::Actor;
use crate::rules::{ErrorKind, Kind};
use crate::store::ChangeKind;
use crate::{clock, Store, StoreError};

/// Fewer production deployments than this in a period (or a point's four
/// weeks) give "too little data" instead of a number.
pub const MIN_DEPLOYMENTS: usize = 5;
pub const DEFAULT_FAIL_WINDOW_HOURS: u32 = 24;
pub const MAX_FAIL_WINDOW_HOURS: u32 = 720;
/// The weeks a point's stability and lead-time values are taken over.
const POINT_WEEKS: i64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Period {
    ThreeMonths,
    SixMonths,
    TwelveMonths,
}

impl Period {
    /// Whole weeks ending now: 13, 26 or 52.
    pub fn weeks(self) -> i64 {
        match self {
            Period::ThreeMonths => 13,
            Period::SixMonths => 26,
            Period::TwelveMonths => 52,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Period::ThreeMonths => "3 months",
            Period::SixMonths => "6 months",
            Period::TwelveMonths => "12 months",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("This project does not exist any more.")]
    ProjectNotFound,
    #[error("This release does not exist any more.")]
    ReleaseNotFound,
    #[error("That environment is not one of this project's production (protected) environments. Choose one from the list.")]
    NotProduction,
    #[error("The fail window is counted in whole hours from 1 to {MAX_FAIL_WINDOW_HOURS} (30 days). Enter a number in that range.")]
    FailWindow,
}

impl From<rusqlite::Error> for MetricsError {
    fn from(e: rusqlite::Error) -> Self {
        MetricsError::Store(StoreError::from(e))
    }
}

impl Kind for MetricsError {
    fn kind(&self) -> ErrorKind {
        match self {
            MetricsError::Store(e) => e.kind(),
            MetricsError::ProjectNotFound | MetricsError::ReleaseNotFound => ErrorKind::NotFound,
            MetricsError::NotProduction | MetricsError::FailWindow => ErrorKind::Invalid,
        }
    }
}

// ---------------------------------------------------------------------------
// What the page shows

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum MetricKey {
    DeploymentFrequency,
    ChangeLeadTime,
    ChangeFailRate,
    RecoveryTime,
    ReworkRate,
}

/// A metric's value, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Measured {
    /// `value` in the metric's unit (per week, hours, or a fraction).
    #[serde(rename_all = "camelCase")]
    Value { value: f64, words: String, band: Option<BandMatch> },
    /// Fewer than [`MIN_DEPLOYMENTS`] production deployments.
    #[serde(rename_all = "camelCase")]
    TooLittleData { words: String },
    /// Cannot be measured from what Liftoff recorded, and why.
    #[serde(rename_all = "camelCase")]
    NotMeasured { why: String },
    /// Enough deployments, but nothing to take a value of (no failure to
    /// recover from).
    #[serde(rename_all = "camelCase")]
    NoCases { words: String },
}

impl Measured {
    pub fn value(&self) -> Option<f64> {
        match self {
            Measured::Value { value, .. } => Some(*value),
            _ => None,
        }
    }
}

/// The DORA cluster a value falls in, with the report and year.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BandMatch {
    pub band: Band,
    pub label: String,
    pub year: u16,
    pub source: String,
    /// The report's value for each cluster of this metric.
    pub clusters: String,
}

/// One week's point of a metric's chart.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    /// The Monday-or-other day the week starts (UTC date).
    pub week_start: String,
    /// `None`: too little data, or nothing to take a value of.
    pub value: Option<f64>,
    /// What the value rests on (deployments, commits or recoveries).
    pub sample: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    pub key: MetricKey,
    pub name: String,
    /// DORA's definition, quoted.
    pub definition: String,
    /// How Liftoff counts it, in a sentence.
    pub how_counted: String,
    /// Since when DORA names or counts it so, where that changed.
    pub history: Option<String>,
    pub measured: Measured,
    /// A second figure: the median time between deployments, lead time's
    /// 90th percentile, recoveries still open.
    pub secondary: Option<String>,
    pub sample: u32,
    pub sample_words: String,
    /// The unit of `value` and of the points: "per week", "hours", "ratio".
    pub unit: String,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProductionEnvironment {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Dora {
    pub project_id: String,
    /// The production environment asked for; `None` is all of them.
    pub environment_id: Option<String>,
    /// The project's production environments, for the picker.
    pub environments: Vec<ProductionEnvironment>,
    pub period: Period,
    pub from: String,
    pub to: String,
    pub fail_window_hours: u32,
    pub deployments: u32,
    /// Runs of kind deploy on production that failed, were cancelled,
    /// timed out or were interrupted.
    pub not_completed: u32,
    pub metrics: Vec<Metric>,
    pub bands_year: u16,
    pub bands_source: String,
    /// Set when the project has no production environment at all.
    pub no_production: Option<String>,
}

// ---------------------------------------------------------------------------
// Settings and the hotfix flag

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MonitorSettings {
    pub fail_window_hours: u32,
}

pub fn settings_in(conn: &Connection, project_id: &str) -> rusqlite::Result<MonitorSettings> {
    let hours: Option<i64> =
        conn.query_row("SELECT fail_window_hours FROM monitor_settings WHERE project_id = ?1", [project_id], |r| r.get(0)).optional()?;
    Ok(MonitorSettings { fail_window_hours: hours.map(|h| h.clamp(1, i64::from(MAX_FAIL_WINDOW_HOURS)) as u32).unwrap_or(DEFAULT_FAIL_WINDOW_HOURS) })
}

pub fn settings(store: &Store, project_id: &str) -> Result<MonitorSettings, MetricsError> {
    store.read(|conn| {
        project_exists(conn, project_id)?;
        Ok(settings_in(conn, project_id)?)
    })
}

/// Sets the hours within which a rollback, switch back or hotfix counts
/// the deployment before it as failed.
pub fn set_fail_window(store: &Store, project_id: &str, hours: u32, actor: &Actor, now: DateTime<Utc>) -> Result<MonitorSettings, MetricsError> {
    if !(1..=MAX_FAIL_WINDOW_HOURS).contains(&hours) {
        return Err(MetricsError::FailWindow);
    }
    let at = clock::to_text(now);
    store.write(|tx| {
        project_exists(tx, project_id)?;
        tx.execute(
            "INSERT INTO monitor_settings (project_id, fail_window_hours, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (project_id) DO UPDATE SET fail_window_hours = excluded.fail_window_hours, updated_at = excluded.updated_at",
            params![project_id, hours, at],
        )?;
        let _ = actor;
        tx.changed(ChangeKind::Project, Some(project_id), Some(project_id));
        Ok(settings_in(tx, project_id)?)
    })
}

fn project_exists(conn: &Connection, project_id: &str) -> Result<(), MetricsError> {
    conn.query_row("SELECT 1 FROM projects WHERE id = ?1", [project_id], |_| Ok(())).optional()?.ok_or(MetricsError::ProjectNotFound)
}

/// Whether the release is marked "hotfix for an incident".
pub fn hotfix(store: &Store, release_id: &str) -> Result<bool, MetricsError> {
    store.read(|conn| {
        conn.query_row("SELECT hotfix FROM releases WHERE id = ?1", [release_id], |r| r.get::<_, bool>(0))
            .optional()?
            .ok_or(MetricsError::ReleaseNotFound)
    })
}

/// Marks a release as a hotfix for an incident in production (or not);
/// recorded in the audit log. Its production deploys count as rework.
pub fn set_hotfix(store: &Store, release_id: &str, hotfix: bool, actor: &Actor, now: DateTime<Utc>) -> Result<bool, MetricsError> {
    store.write(|tx| {
        let project_id = crate::release::set_hotfix_in(tx, release_id, hotfix, actor, now)?.ok_or(MetricsError::ReleaseNotFound)?;
        tx.changed(ChangeKind::Release, Some(&project_id), Some(release_id));
        Ok(hotfix)
    })
}



// ---------------------------------------------------------------------------
// Production deployments (also for the maturity level)

/// A run as the metrics read it from the covering index.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProductionRun {
    pub id: String,
    pub environment_id: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub state: String,
    pub kind: String,
    pub version: String,
    pub release_id: Option<String>,
    /// Its release is marked hotfix.
    pub hotfix: bool,
}

impl ProductionRun {
    fn reached(&self) -> bool {
        matches!(self.state.as_str(), "succeeded" | "failedVerification")
    }
    /// A production deployment: kind deploy that reached the environment.
    pub fn is_deployment(&self) -> bool {
        self.kind == "deploy" && self.reached()
    }
    fn did_not_complete(&self) -> bool {
        self.kind == "deploy" && matches!(self.state.as_str(), "failed" | "cancelled" | "timedOut" | "interrupted")
    }
    /// A rollback or switch back that reached, or a hotfix release's deployment.
    fn is_rework(&self) -> bool {
        self.reached() && (matches!(self.kind.as_str(), "rollback" | "switchBack") || (self.kind == "deploy" && self.hotfix))
    }
}

/// A production deployment with what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProductionDeployment {
    pub run: ProductionRun,
    /// Failed verification, or was followed within the fail window by a
    /// rollback, switch back or hotfix on its environment.
    pub failed: bool,
    /// Hours from its end to the end of the next succeeded run on its
    /// environment, when it failed and has recovered.
    pub recovery_hours: Option<f64>,
}

/// The project's production (protected) environments in pipeline order.
pub fn production_environments_in(conn: &Connection, project_id: &str) -> rusqlite::Result<Vec<ProductionEnvironment>> {
    let mut stmt = conn.prepare("SELECT id, name FROM environments WHERE project_id = ?1 AND protected ORDER BY position")?;
    let rows = stmt.query_map([project_id], |r| Ok(ProductionEnvironment { id: r.get(0)?, name: r.get(1)? }))?;
    rows.collect()
}

fn scope_in(conn: &Connection, project_id: &str, environment_id: Option<&str>) -> Result<(Vec<ProductionEnvironment>, Vec<String>), MetricsError> {
    project_exists(conn, project_id)?;
    let all = production_environments_in(conn, project_id)?;
    let ids = match environment_id {
        Some(id) => {
            if !all.iter().any(|e| e.id == id) {
                return Err(MetricsError::NotProduction);
            }
            vec![id.to_owned()]
        }
        None => all.iter().map(|e| e.id.clone()).collect(),
    };
    Ok((all, ids))
}

/// Every run on the environments `ids` that started in `[from, to)`, in
/// start order, from the covering index alone.
fn runs_in(conn: &Connection, project_id: &str, ids: &[String], from: &str, to: &str) -> rusqlite::Result<Vec<ProductionRun>> {
    let hotfixes: HashSet<String> = {
        let mut stmt = conn.prepare("SELECT id FROM releases WHERE project_id = ?1 AND hotfix = 1")?;
        let rows = stmt.query_map([project_id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut stmt = conn.prepare_cached(
        "SELECT started_at, ended_at, state, kind, version, release_id, id FROM deploy_runs
         WHERE environment_id = ?1 AND started_at >= ?2 AND started_at < ?3 ORDER BY started_at",
    )?;
    let mut out = Vec::new();
    for id in ids {
        let rows = stmt.query_map(params![id, from, to], |r| {
            let release_id: Option<String> = r.get(5)?;
            Ok(ProductionRun {
                id: r.get(6)?,
                environment_id: id.clone(),
                started_at: r.get(0)?,
                ended_at: r.get(1)?,
                state: r.get(2)?,
                kind: r.get(3)?,
                version: r.get(4)?,
                hotfix: release_id.as_ref().is_some_and(|rel| hotfixes.contains(rel)),
                release_id,
            })
        })?;
        for run in rows {
            out.push(run?);
        }
    }
    out.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    Ok(out)
}

fn parse(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

/// When a run reached (or left) its environment: its end, else its start.
fn end_of(r: &ProductionRun) -> DateTime<Utc> {
    r.ended_at.as_deref().and_then(parse).or_else(|| parse(&r.started_at)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

/// The production deployments among `runs` (one project's production
/// runs in start order), each judged failed or not, with its recovery.
fn judge(runs: &[ProductionRun], fail_window: Duration) -> Vec<(usize, ProductionDeployment)> {
    let mut judged: Vec<(usize, ProductionDeployment)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_deployment())
        .map(|(i, r)| (i, ProductionDeployment { run: r.clone(), failed: r.state == "failedVerification", recovery_hours: None }))
        .collect();
    // A remedy marks the last deployment that ended before it on its
    // environment, when that was within the fail window.
    for remedy in runs.iter().filter(|r| r.is_rework()) {
        let at = end_of(remedy);
        let before = judged
            .iter_mut()
            .filter(|(_, d)| d.run.environment_id == remedy.environment_id && d.run.id != remedy.id && end_of(&d.run) < at)
            .max_by_key(|(_, d)| end_of(&d.run));
        if let Some((_, d)) = before {
            if at - end_of(&d.run) <= fail_window {
                d.failed = true;
            }
        }
    }
    for (_, d) in judged.iter_mut().filter(|(_, d)| d.failed) {
        let failed_end = end_of(&d.run);
        let next = runs
            .iter()
            .filter(|r| r.environment_id == d.run.environment_id && r.state == "succeeded" && r.ended_at.is_some() && end_of(r) > failed_end)
            .map(end_of)
            .min();
        d.recovery_hours = next.map(|n| hours(n - failed_end));
    }
    judged
}

/// The project's production deployments that started in `[from, to)` (of
/// one production environment, or all of them), each judged failed or not
/// with the project's fail window, with its recovery as of `to`. The
/// maturity level's "production deployments in the last 90 days" reads
/// this.
pub fn production_deployments(
    conn: &Connection,
    project_id: &str,
    environment_id: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ProductionDeployment>, MetricsError> {
    let (_, ids) = scope_in(conn, project_id, environment_id)?;
    let window = Duration::hours(i64::from(settings_in(conn, project_id)?.fail_window_hours));
    // Runs from one window earlier, so that a remedy is matched to its deploy.
    let runs = runs_in(conn, project_id, &ids, &clock::to_text(from - window), &clock::to_text(to))?;
    let from_text = clock::to_text(from);
    Ok(judge(&runs, window).into_iter().map(|(_, d)| d).filter(|d| d.run.started_at >= from_text).collect())
}

// ---------------------------------------------------------------------------
// Counting

/// One commit's lead time: when it first reached production, in hours.
struct LeadTime {
    deployed_at: String,
    hours: f64,
}

fn lead_times_in(conn: &Connection, ids: &[String], from: &str, to: &str) -> rusqlite::Result<Vec<LeadTime>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (0..ids.len()).map(|i| format!("?{}", i + 3)).collect::<Vec<_>>().join(", ");
    // A commit counts at its first production deploy of any environment
    // in scope: one deployed elsewhere before the period is left out.
    let sql = format!(
        "SELECT c.sha, min(c.deployed_at), c.committed_at FROM run_commits c
         WHERE c.environment_id IN ({list}) AND c.deployed_at >= ?1 AND c.deployed_at < ?2
           AND NOT EXISTS (SELECT 1 FROM run_commits e WHERE e.sha = c.sha AND e.environment_id IN ({list}) AND e.deployed_at < ?1)
         GROUP BY c.sha"
    );
    let mut values: Vec<&str> = vec![from, to];
    values.extend(ids.iter().map(String::as_str));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (deployed_at, committed_at) = row?;
        if let (Some(d), Some(c)) = (parse(&deployed_at), parse(&committed_at)) {
            out.push(LeadTime { deployed_at, hours: hours(d - c).max(0.0) });
        }
    }
    out.sort_by(|a, b| a.deployed_at.cmp(&b.deployed_at));
    Ok(out)
}

/// How the deploys' commits were read in `[from, to)`: (read, not read
/// with the latest problem).
fn reads_in(conn: &Connection, ids: &[String], from: &str, to: &str) -> rusqlite::Result<(u32, u32, Option<String>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT problem FROM run_commit_reads WHERE environment_id = ?1 AND deployed_at >= ?2 AND deployed_at < ?3 ORDER BY deployed_at",
    )?;
    let (mut read, mut problems, mut last) = (0, 0, None);
    for id in ids {
        let rows = stmt.query_map(params![id, from, to], |r| r.get::<_, Option<String>>(0))?;
        for p in rows {
            match p? {
                None => read += 1,
                Some(p) => {
                    problems += 1;
                    last = Some(p);
                }
            }
        }
    }
    Ok((read, problems, last))
}

/// The median: the middle value, or the mean of the two middle ones.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The `p`th percentile by nearest rank: the smallest value with at least
/// `p`% of the values at or below it.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    Some(v[rank.min(v.len()) - 1])
}

/// Everything counted over one span of time.
#[derive(Debug, Clone, Default)]
struct Summary {
    deployments: usize,
    not_completed: usize,
    failed: usize,
    rework: usize,
    recoveries: Vec<f64>,
    open_failures: usize,
    leads: Vec<f64>,
    /// Start times of the deployments, for the time between them.
    starts: Vec<DateTime<Utc>>,
}

fn summarize(runs: &[ProductionRun], judged: &[(usize, ProductionDeployment)], leads: &[LeadTime], from: &str, to: &str) -> Summary {
    let inside = |t: &str| t >= from && t < to;
    let mut s = Summary::default();
    for r in runs.iter().filter(|r| inside(&r.started_at)) {
        if r.did_not_complete() {
            s.not_completed += 1;
        }
        if r.is_rework() {
            s.rework += 1;
        }
    }
    for (_, d) in judged.iter().filter(|(_, d)| inside(&d.run.started_at)) {
        s.deployments += 1;
        if let Some(t) = parse(&d.run.started_at) {
            s.starts.push(t);
        }
        if d.failed {
            s.failed += 1;
            match d.recovery_hours {
                Some(h) => s.recoveries.push(h),
                None => s.open_failures += 1,
            }
        }
    }
    s.leads = leads.iter().filter(|l| inside(&l.deployed_at)).map(|l| l.hours).collect();
    s
}

impl Summary {
    fn enough(&self) -> bool {
        self.deployments >= MIN_DEPLOYMENTS
    }
    fn frequency_gap_hours(&self) -> Option<f64> {
        let gaps: Vec<f64> = self.starts.windows(2).map(|w| hours(w[1] - w[0])).collect();
        median(&gaps)
    }
    fn fail_rate(&self) -> Option<f64> {
        (self.enough()).then(|| self.failed as f64 / self.deployments as f64)
    }
    fn rework_rate(&self) -> Option<f64> {
        (self.enough()).then(|| self.rework as f64 / self.deployments as f64)
    }
    fn lead_median(&self) -> Option<f64> {
        if self.enough() { median(&self.leads) } else { None }
    }
    fn lead_p90(&self) -> Option<f64> {
        if self.enough() { percentile(&self.leads, 90.0) } else { None }
    }
    fn recovery_median(&self) -> Option<f64> {
        if self.enough() { median(&self.recoveries) } else { None }
    }
}

/// A span of hours in words: "45 min", "5 h 20 min", "3 d 4 h".
pub fn duration_words(h: f64) -> String {
    let minutes = (h * 60.0).round() as i64;
    if minutes < 60 {
        format!("{minutes} min")
    } else if minutes < 48 * 60 {
        let (hh, mm) = (minutes / 60, minutes % 60);
        if mm == 0 { format!("{hh} h") } else { format!("{hh} h {mm} min") }
    } else {
        let hours = (h).round() as i64;
        let (d, hh) = (hours / 24, hours % 24);
        if hh == 0 { format!("{d} d") } else { format!("{d} d {hh} h") }
    }
}

pub fn percent_words(rate: f64) -> String {
    let p = rate * 100.0;
    if (p - p.round()).abs() < 0.05 { format!("{}%", p.round() as i64) } else { format!("{p:.1}%") }
}

fn per_week_words(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 { format!("{} a week", v.round() as i64) } else { format!("{v:.1} a week") }
}

fn band(b: Band, clusters: &[dora_bands::Cluster; 4]) -> BandMatch {
    BandMatch { band: b, label: b.label().to_owned(), year: dora_bands::YEAR, source: dora_bands::SOURCE.to_owned(), clusters: dora_bands::table_words(clusters) }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// DORA's five metrics for the project's production environment
/// `environment_id` (or all of them) over the `period` ending at `now`:
/// values, bands, sample sizes and weekly points.
pub fn dora(conn: &Connection, project_id: &str, environment_id: Option<&str>, period: Period, now: DateTime<Utc>) -> Result<Dora, MetricsError> {
    let (environments, ids) = scope_in(conn, project_id, environment_id)?;
    let fail_window_hours = settings_in(conn, project_id)?.fail_window_hours;
    let window = Duration::hours(i64::from(fail_window_hours));
    let weeks = period.weeks();
    let from = now - Duration::weeks(weeks);
    // A point looks back four weeks, and a remedy one fail window, before
    // the period's first week.
    let load_from = from - Duration::weeks(POINT_WEEKS) - window;
    let (now_text, from_text) = (clock::to_text(now), clock::to_text(from));
    let runs = runs_in(conn, project_id, &ids, &clock::to_text(load_from), &now_text)?;
    let judged = judge(&runs, window);
    let leads = lead_times_in(conn, &ids, &clock::to_text(from - Duration::weeks(POINT_WEEKS)), &now_text)?;
    let (reads, problems, problem) = reads_in(conn, &ids, &from_text, &now_text)?;
    let whole = summarize(&runs, &judged, &leads, &from_text, &now_text);

    let mut week_rows = Vec::new();
    for k in 0..weeks {
        let start = from + Duration::weeks(k);
        let end = start + Duration::weeks(1);
        let week = summarize(&runs, &judged, &leads, &clock::to_text(start), &clock::to_text(end));
        let trailing = summarize(&runs, &judged, &leads, &clock::to_text(end - Duration::weeks(POINT_WEEKS)), &clock::to_text(end));
        week_rows.push((start.date_naive(), week, trailing));
    }
    #[allow(clippy::type_complexity)]
    let points = |f: &dyn Fn(&Summary, &Summary) -> (Option<f64>, usize)| -> Vec<Point> {
        week_rows
            .iter()
            .map(|(day, week, trailing)| {
                let (value, sample) = f(week, trailing);
                Point { week_start: day.format("%Y-%m-%d").to_string(), value, sample: sample as u32 }
            })
            .collect()
    };

    let n = whole.deployments;
    let too_little = TooLittle { n };
    let deployments_words = plural(n, "production deployment", "production deployments");

    // Deployment frequency.
    let per_week = n as f64 / weeks as f64;
    let frequency = Metric {
        key: MetricKey::DeploymentFrequency,
        name: "Deployment frequency".into(),
        definition: "The number of deployments over a given period or the time between deployments.".into(),
        how_counted: "Production deployments per week: runs of kind deploy on a protected environment that succeeded or failed verification; failed, cancelled, timed-out and interrupted runs are counted apart as deploys that did not complete.".into(),
        history: None,
        measured: if whole.enough() {
            Measured::Value { value: per_week, words: per_week_words(per_week), band: Some(band(dora_bands::deployment_frequency(per_week), &dora_bands::DEPLOYMENT_FREQUENCY)) }
        } else {
            too_little.measured()
        },
        secondary: if whole.enough() {
            whole.frequency_gap_hours().map(|g| format!("median {} between deployments", duration_words(g)))
        } else {
            None
        },
        sample: n as u32,
        sample_words: format!("{deployments_words}; {}", plural(whole.not_completed, "deploy that did not complete", "deploys that did not complete")),
        unit: "per week".into(),
        points: points(&|week, _| (Some(week.deployments as f64), week.deployments)),
    };

    // Change lead time.
    let lead_measured = if !whole.enough() {
        too_little.measured()
    } else if let Some(m) = whole.lead_median() {
        Measured::Value { value: m, words: duration_words(m), band: Some(band(dora_bands::change_lead_time(m), &dora_bands::CHANGE_LEAD_TIME)) }
    } else if let Some(p) = &problem {
        Measured::NotMeasured { why: p.clone() }
    } else if reads > 0 {
        Measured::NoCases { words: "The deployments of this period brought no new commits.".into() }
    } else {
        Measured::NotMeasured {
            why: "not measured: the commits of these deployments were not read (Liftoff reads them when a deploy verifies on production; these ran before it did, or outside Liftoff).".into(),
        }
    };
    let mut lead_secondary = whole.lead_p90().map(|p| format!("90th percentile {}", duration_words(p)));
    if problems > 0 && whole.lead_median().is_some() {
        let extra = format!(
            "{} not measured: {}",
            plural(problems as usize, "deployment's commits", "deployments' commits"),
            problem.clone().unwrap_or_default().trim_start_matches("not measured: ")
        );
        lead_secondary = Some(lead_secondary.map(|s| format!("{s}; {extra}")).unwrap_or(extra));
    }
    let lead = Metric {
        key: MetricKey::ChangeLeadTime,
        name: "Change lead time".into(),
        definition: "The amount of time it takes for a change to go from committed to version control to deployed in production.".into(),
        how_counted: "Per commit, the end of its first verified production deploy minus its commit time (read from git when the deploy verifies); the median, and the 90th percentile.".into(),
        history: None,
        measured: lead_measured,
        secondary: lead_secondary,
        sample: whole.leads.len() as u32,
        sample_words: plural(whole.leads.len(), "commit", "commits"),
        unit: "hours".into(),
        points: points(&|_, t| (t.lead_median(), t.leads.len())),
    };

    // Change fail rate.
    let fail = Metric {
        key: MetricKey::ChangeFailRate,
        name: "Change fail rate".into(),
        definition: "The ratio of deployments that require immediate intervention following a deployment. Likely resulting in a rollback of the changes or a “hotfix” to quickly remediate any issues.".into(),
        how_counted: format!(
            "Production deployments that failed verification, or after which a rollback, a switch back or a release marked hotfix reached that environment within {}, over all production deployments.",
            plural(fail_window_hours as usize, "hour", "hours")
        ),
        history: None,
        measured: match whole.fail_rate() {
            Some(r) => Measured::Value { value: r, words: percent_words(r), band: Some(band(dora_bands::change_fail_rate(r), &dora_bands::CHANGE_FAIL_RATE)) },
            None => too_little.measured(),
        },
        secondary: whole.enough().then(|| format!("{} of {n}", plural(whole.failed, "failed deployment", "failed deployments"))),
        sample: n as u32,
        sample_words: deployments_words.clone(),
        unit: "ratio".into(),
        points: points(&|_, t| (t.fail_rate(), t.deployments)),
    };

    // Failed deployment recovery time.
    let recovery_measured = if !whole.enough() {
        too_little.measured()
    } else if let Some(m) = whole.recovery_median() {
        Measured::Value { value: m, words: duration_words(m), band: Some(band(dora_bands::recovery_time(m), &dora_bands::RECOVERY_TIME)) }
    } else if whole.failed > 0 {
        Measured::NoCases { words: format!("{} not recovered yet.", plural(whole.failed, "failed deployment", "failed deployments")) }
    } else {
        Measured::NoCases { words: "No failed deployment to recover from in this period.".into() }
    };
    let recovery = Metric {
        key: MetricKey::RecoveryTime,
        name: "Failed deployment recovery time".into(),
        definition: "The time it takes to recover from a deployment that fails and requires immediate intervention.".into(),
        how_counted: "From the end of a failed production deployment to the end of the next succeeded run on that environment; the median.".into(),
        history: Some("DORA called this “time to restore service” until 2023, when it was renamed and narrowed to failed deployments.".into()),
        measured: recovery_measured,
        secondary: (whole.enough() && whole.open_failures > 0).then(|| format!("{} not recovered yet", plural(whole.open_failures, "failure", "failures"))),
        sample: whole.recoveries.len() as u32,
        sample_words: plural(whole.recoveries.len(), "recovery", "recoveries"),
        unit: "hours".into(),
        points: points(&|_, t| (t.recovery_median(), t.recoveries.len())),
    };

    // Deployment rework rate.
    let rework = Metric {
        key: MetricKey::ReworkRate,
        name: "Deployment rework rate".into(),
        definition: "The ratio of deployments that are unplanned but happen as a result of an incident in production.".into(),
        how_counted: "Rollbacks and switch-backs that reached production, and production deployments of releases marked hotfix, over all production deployments.".into(),
        history: Some(format!("DORA added rework rate in 2024; the {} report has no performance bands for it.", dora_bands::YEAR)),
        measured: match whole.rework_rate() {
            Some(r) => Measured::Value { value: r, words: percent_words(r), band: None },
            None => too_little.measured(),
        },
        secondary: whole.enough().then(|| format!("{} of {n}", plural(whole.rework, "rework deployment", "rework deployments"))),
        sample: n as u32,
        sample_words: deployments_words,
        unit: "ratio".into(),
        points: points(&|_, t| (t.rework_rate(), t.deployments)),
    };

    Ok(Dora {
        project_id: project_id.to_owned(),
        environment_id: environment_id.map(str::to_owned),
        no_production: environments.is_empty().then(|| {
            "This project has no production environment. Mark its production environment as protected in Environments; DORA's metrics count deployments to production.".to_owned()
        }),
        environments,
        period,
        from: from_text,
        to: now_text,
        fail_window_hours,
        deployments: n as u32,
        not_completed: whole.not_completed as u32,
        metrics: vec![frequency, lead, fail, recovery, rework],
        bands_year: dora_bands::YEAR,
        bands_source: dora_bands::SOURCE.to_owned(),
    })
}

struct TooLittle {
    n: usize,
}

impl TooLittle {
    fn measured(&self) -> Measured {
        Measured::TooLittleData {
            words: format!(
                "Too little data: {} in this period; a value needs at least {MIN_DEPLOYMENTS}.",
                plural(self.n, "production deployment", "production deployments")
            ),
        }
    }
}

/// [`dora`] on a reader of the store.
pub fn dora_for(store: &Store, project_id: &str, environment_id: Option<&str>, period: Period, now: DateTime<Utc>) -> Result<Dora, MetricsError> {
    store.read(|conn| dora(conn, project_id, environment_id, period, now))
}

// ---------------------------------------------------------------------------
// CSV

/// The metrics as CSV: one row per week, then one for the whole period.
/// Cells that a spreadsheet would run as a formula are neutralised as the
/// checklist export does.
pub fn to_csv(d: &Dora) -> String {
    use crate::release::checklists::transfer::neutralize;
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = [
        "week starting",
        "production deployments",
        "deployment frequency (per week)",
        "change lead time median (hours, 4 weeks)",
        "commits (4 weeks)",
        "change fail rate (4 weeks)",
        "deployments (4 weeks)",
        "failed deployment recovery time median (hours, 4 weeks)",
        "recoveries (4 weeks)",
        "deployment rework rate (4 weeks)",
    ];
    w.write_record(header).expect("write to memory");
    let num = |v: Option<f64>| v.map(|v| format!("{}", (v * 1000.0).round() / 1000.0)).unwrap_or_default();
    let m = |k: MetricKey| d.metrics.iter().find(|m| m.key == k);
    let (Some(f), Some(l), Some(c), Some(r), Some(rw)) =
        (m(MetricKey::DeploymentFrequency), m(MetricKey::ChangeLeadTime), m(MetricKey::ChangeFailRate), m(MetricKey::RecoveryTime), m(MetricKey::ReworkRate))
    else {
        return String::new();
    };
    for i in 0..f.points.len() {
        let row = [
            f.points[i].week_start.clone(),
            f.points[i].sample.to_string(),
            num(f.points[i].value),
            num(l.points[i].value),
            l.points[i].sample.to_string(),
            num(c.points[i].value),
            c.points[i].sample.to_string(),
            num(r.points[i].value),
            r.points[i].sample.to_string(),
            num(rw.points[i].value),
        ];
        w.write_record(row.iter().map(|v| neutralize(v))).expect("write to memory");
    }
    let whole = [
        format!("{} to {}", &d.from[..10], &d.to[..10]),
        d.deployments.to_string(),
        num(f.measured.value()),
        num(l.measured.value()),
        l.sample.to_string(),
        num(c.measured.value()),
        c.sample.to_string(),
        num(r.measured.value()),
        r.sample.to_string(),
        num(rw.measured.value()),
    ];
    w.write_record(whole.iter().map(|v| neutralize(v))).expect("write to memory");
    String::from_utf8(w.into_inner().expect("flush to memory")).expect("CSV of strings is UTF-8")
}

/// The first day of the period's first week, for file names and labels.
pub fn period_start(period: Period, now: DateTime<Utc>) -> NaiveDate {
    (now - Duration::weeks(period.weeks())).date_naive()
}
