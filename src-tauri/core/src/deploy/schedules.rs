//! Deploys asked for a later time: "deploy 2.4.0 to production at 06:00".
//!
//! A schedule waits in `deploy_schedules` until its time. Whoever runs
//! first at or after it (the window's scheduler, or `liftoff schedule
//! run-due` from the user's OS timer while no window is open) claims it in
//! one write, so two of them never both start it; then the deploy starts as
//! any other, through the whole preflight again ([`super::engine::start`]).
//! It never starts after `expires_at`: a laptop that slept through its time
//! finds it missed, with why. Owns `deploy_schedules`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::engine::Job;
use super::{Decision, DeployError, DeployRequest};
use crate::audit::{self, Actor, AuditCategory, Change};
use crate::rules::FieldErrors;
use crate::secrets::Keychain;
use crate::store::column::{self, stored_text};
use crate::{clock, Store};

/// How long a schedule may still start after its time when it names no
/// end and its release has no planned window.
pub const DEFAULT_GRACE: Duration = Duration::hours(1);

/// How far ahead a deploy may be scheduled.
pub const MAX_AHEAD: Duration = Duration::days(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ScheduleState {
    /// Waiting for its time.
    Scheduled,
    /// Taken by a process that is starting it now.
    Claimed,
    /// Its deploy started (see `run_id`).
    Started,
    /// It did not start: expired, or its preflight refused (`state_reason`).
    Missed,
    Cancelled,
}

stored_text!(ScheduleState { Scheduled => "scheduled", Claimed => "claimed", Started => "started", Missed => "missed", Cancelled => "cancelled" });

/// A scheduled deploy as the pages and the command line show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub id: String,
    pub project_id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub release_id: Option<String>,
    pub version: String,
    pub build_ref: String,
    pub decisions: Vec<Decision>,
    pub accept_warnings: bool,
    /// RFC 3339, UTC: not started before this.
    pub not_before: String,
    /// RFC 3339, UTC: never started after this.
    pub expires_at: String,
    pub why: String,
    pub state: ScheduleState,
    /// Why it was missed or cancelled, in words.
    pub state_reason: String,
    pub run_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// What the lead asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDraft {
    pub environment_id: String,
    pub release_id: Option<String>,
    /// The version; when a release is picked, its version if left empty.
    pub version: String,
    pub build_ref: String,
    /// Overrides decided now for the checks that will fail then (a freeze
    /// the deploy goes through on purpose, a gate).
    pub decisions: Vec<Decision>,
    pub accept_warnings: bool,
    pub not_before: DateTime<Utc>,
    /// The latest start; by default the end of the release's planned
    /// window, else [`DEFAULT_GRACE`] after `not_before`.
    pub expires_at: Option<DateTime<Utc>>,
    pub why: String,
}

impl Schedule {
    /// The deploy it asks for.
    pub fn request(&self) -> DeployRequest {
        DeployRequest {
            environment_id: self.environment_id.clone(),
            release_id: self.release_id.clone(),
            version: self.version.clone(),
            build_ref: self.build_ref.clone(),
            decisions: self.decisions.clone(),
            accept_warnings: self.accept_warnings,
        }
    }

    /// Who asked for it: who the deploy is started as.
    pub fn actor(&self, person_id: Option<String>) -> Actor {
        Actor { person_id, name: self.created_by.clone() }
    }
}

const COLUMNS: &str = "s.id, s.project_id, s.environment_id, e.name, s.release_id, s.version, s.build_ref, s.decisions, s.accept_warnings,
                       s.not_before, s.expires_at, s.why, s.state, s.state_reason, s.run_id, s.created_by, s.created_at, s.created_by_person";
const FROM: &str = "FROM deploy_schedules s JOIN environments e ON e.id = s.environment_id";

fn from_row(r: &Row) -> rusqlite::Result<(Schedule, Option<String>)> {
    let id: String = r.get(0)?;
    let decisions: String = r.get(7)?;
    let state: String = r.get(12)?;
    Ok((
        Schedule {
            decisions: column::json("deploy_schedules", &id, "decisions", &decisions)?,
            state: column::text("deploy_schedules", &id, "state", &state)?,
            id,
            project_id: r.get(1)?,
            environment_id: r.get(2)?,
            environment_name: r.get(3)?,
            release_id: r.get(4)?,
            version: r.get(5)?,
            build_ref: r.get(6)?,
            accept_warnings: r.get(8)?,
            not_before: r.get(9)?,
            expires_at: r.get(10)?,
            why: r.get(11)?,
            state_reason: r.get(13)?,
            run_id: r.get(14)?,
            created_by: r.get(15)?,
            created_at: r.get(16)?,
        },
        r.get(17)?,
    ))
}

fn get_in(conn: &Connection, id: &str) -> Result<(Schedule, Option<String>), DeployError> {
    conn.query_row(&format!("SELECT {COLUMNS} {FROM} WHERE s.id = ?1"), params![id], from_row)
        .optional()?
        .ok_or_else(|| DeployError::Refused("That scheduled deploy no longer exists. The list has been refreshed.".into()))
}

/// The project's schedules (all projects' with `None`), soonest first;
/// ended ones (started, missed, cancelled) only from the last 30 days.
pub fn list(store: &Store, project_id: Option<&str>, now: DateTime<Utc>) -> Result<Vec<Schedule>, DeployError> {
    let conn = store.reader()?;
    let since = clock::to_text(now - Duration::days(30));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {FROM} WHERE (?1 IS NULL OR s.project_id = ?1)
           AND (s.state IN ('scheduled', 'claimed') OR s.not_before >= ?2)
         ORDER BY s.not_before, s.id"
    ))?;
    let rows = stmt.query_map(params![project_id, since], from_row)?;
    Ok(rows.map(|r| r.map(|(s, _)| s)).collect::<rusqlite::Result<_>>()?)
}

/// One schedule, by id.
pub fn get(store: &Store, id: &str) -> Result<Schedule, DeployError> {
    Ok(get_in(&*store.reader()?, id)?.0)
}

fn log(tx: &Connection, s: &Schedule, actor: &Actor, at: &str, action: &str, summary: String, reason: &str) -> rusqlite::Result<()> {
    audit::record(
        tx,
        actor,
        at,
        Change { project_id: &s.project_id, release_id: s.release_id.as_deref(), item_id: None, category: AuditCategory::Schedule, action, summary, reason },
    )
}

fn invalid(field: &str, message: impl Into<String>) -> DeployError {
    DeployError::Invalid(FieldErrors::from([(field.to_owned(), message.into())]))
}

/// Schedules a deploy. Refused when its time is past, too far ahead, or
/// inside a freeze of that environment that no decision goes through: the
/// message names the first time after the freeze.
pub fn add(store: &Store, draft: &ScheduleDraft, actor: &Actor, now: DateTime<Utc>) -> Result<Schedule, DeployError> {
    if draft.not_before < now - Duration::minutes(1) {
        return Err(invalid("notBefore", "That time has passed. Pick a time from now on (or deploy now)."));
    }
    if draft.not_before > now + MAX_AHEAD {
        return Err(invalid("notBefore", "Schedule a deploy at most 90 days ahead."));
    }
    if !crate::rules::is_one_line(&draft.why, 500) {
        return Err(invalid("why", "Say why in one line of at most 500 characters."));
    }
    let (environment, release) = {
        let conn = store.reader()?;
        let env = crate::environments::get_in(&conn, &draft.environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
        let release = match &draft.release_id {
            Some(id) => Some(crate::release::get_in(&conn, id)?.filter(|r| r.project_id == env.project_id).ok_or(DeployError::ReleaseNotFound)?),
            None => None,
        };
        (env, release)
    };
    let version = match (&release, draft.version.trim()) {
        (Some(r), "") => r.version.clone(),
        (_, "") => return Err(invalid("version", "Say which version to deploy.")),
        (_, v) => v.to_owned(),
    };
    let window_end = release.as_ref().and_then(|r| r.window_end.as_deref()).and_then(|e| DateTime::parse_from_rfc3339(e).ok()).map(|e| e.with_timezone(&Utc));
    let expires_at = draft.expires_at.or(window_end.filter(|e| *e > draft.not_before)).unwrap_or(draft.not_before + DEFAULT_GRACE);
    if expires_at <= draft.not_before {
        return Err(invalid("expiresAt", "The latest start must come after the scheduled time."));
    }
    // A freeze at that time: proposed the first time after it, unless the
    // lead already decided to go through it.
    if !draft.decisions.iter().any(|d| d.check == "freeze") {
        if let Some((name, after)) = first_time_after_freezes(store, &environment.project_id, &environment.id, draft.not_before)? {
            let tz = crate::projects::time_zone_in(&*store.reader()?, &environment.project_id)?;
            return Err(invalid(
                "notBefore",
                format!(
                    "{} is inside the freeze “{name}” on {}. The first time after it is {}: schedule it then, or decide to deploy during the freeze.",
                    clock::words(draft.not_before, tz, Some(now)),
                    environment.name,
                    clock::words(after, tz, Some(now))
                ),
            ));
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    store.write(|tx| {
        let at = clock::to_text(now);
        tx.execute(
            "INSERT INTO deploy_schedules (id, project_id, environment_id, release_id, version, build_ref, decisions, accept_warnings,
                 not_before, expires_at, why, state, created_by, created_by_person, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'scheduled', ?12, ?13, ?14, ?14)",
            params![
                id,
                environment.project_id,
                environment.id,
                draft.release_id,
                version,
                draft.build_ref.trim(),
                serde_json::to_string(&draft.decisions).expect("decisions serialize"),
                draft.accept_warnings,
                clock::to_text(draft.not_before),
                clock::to_text(expires_at),
                draft.why.trim(),
                actor.name,
                actor.person_id,
                at
            ],
        )?;
        let (s, _) = get_in(tx, &id)?;
        let summary = format!("Scheduled {} to {} at {} (latest start {})", s.version, s.environment_name, s.not_before, s.expires_at);
        log(tx, &s, actor, &at, "schedule.added", summary, &s.why)?;
        Ok(s)
    })
}

/// A freeze at the time asked for, and the first time after it: what the
/// Deploy dialog offers as a one-click choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FreezeClash {
    /// The freeze's name.
    pub freeze: String,
    /// RFC 3339, UTC: the first time no freeze of the environment covers.
    pub first_good_time: String,
}

/// The freeze of the environment at `at`, if any, and the first time after
/// it (what [`add`] refuses and proposes, said as data).
pub fn freeze_at(store: &Store, environment_id: &str, at: DateTime<Utc>) -> Result<Option<FreezeClash>, DeployError> {
    let env = crate::environments::get_in(&*store.reader()?, environment_id)?.ok_or(DeployError::EnvironmentNotFound)?;
    Ok(first_time_after_freezes(store, &env.project_id, &env.id, at)?.map(|(freeze, after)| FreezeClash { freeze, first_good_time: clock::to_text(after) }))
}

/// The first time at or after `at` that no freeze of the environment
/// covers, with the name of the freeze that covers `at`; `None` when none
/// does. Back-to-back freezes are passed together; a freeze that never
/// ends within 90 days gives its last end seen.
fn first_time_after_freezes(store: &Store, project_id: &str, environment_id: &str, at: DateTime<Utc>) -> Result<Option<(String, DateTime<Utc>)>, DeployError> {
    let (occurrences, _) = crate::planning::windows::occurrences(store, project_id, at, at + MAX_AHEAD).map_err(|e| DeployError::Refused(e.to_string()))?;
    let mut freezes: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = occurrences
        .into_iter()
        .filter(|o| o.freezes(environment_id))
        .filter_map(|o| {
            let s = DateTime::parse_from_rfc3339(&o.start).ok()?.with_timezone(&Utc);
            let e = DateTime::parse_from_rfc3339(&o.end).ok()?.with_timezone(&Utc);
            Some((s, e, o.name))
        })
        .collect();
    freezes.sort();
    let Some(first) = freezes.iter().find(|(s, e, _)| *s <= at && at < *e) else { return Ok(None) };
    let name = first.2.clone();
    let mut t = at;
    loop {
        match freezes.iter().filter(|(s, e, _)| *s <= t && t < *e).map(|(_, e, _)| *e).max() {
            Some(end) => t = end,
            None => return Ok(Some((name, t))),
        }
    }
}

/// Cancels a schedule that has not started.
pub fn cancel(store: &Store, id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<Schedule, DeployError> {
    store.write(|tx| {
        let (s, _) = get_in(tx, id)?;
        if s.state != ScheduleState::Scheduled {
            return Err(DeployError::Refused(match s.state {
                ScheduleState::Claimed | ScheduleState::Started => "This deploy has already started: cancel the run instead (Deploys page, or `liftoff cancel`).".into(),
                _ => "This scheduled deploy is over already: nothing to cancel.".into(),
            }));
        }
        let at = clock::to_text(now);
        let why = format!("cancelled by {}", actor.name);
        tx.execute(
            "UPDATE deploy_schedules SET state = 'cancelled', state_reason = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'scheduled'",
            params![id, why, at],
        )?;
        log(tx, &s, actor, &at, "schedule.cancelled", format!("Cancelled the scheduled deploy of {} to {} at {}", s.version, s.environment_name, s.not_before), "")?;
        Ok(get_in(tx, id)?.0)
    })
}

/// A schedule this process claimed and now starts, and who asked for it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub schedule: Schedule,
    pub actor: Actor,
}

/// Claims every schedule whose time has come, each in one write that only
/// one process can win (`state = 'scheduled'` → `claimed`), and marks those
/// past their latest start missed. Returns what this process must start.
pub fn claim_due(store: &Store, now: DateTime<Utc>) -> Result<Vec<Claimed>, DeployError> {
    let at = clock::to_text(now);
    let due: Vec<String> = {
        let conn = store.reader()?;
        let mut stmt = conn.prepare_cached("SELECT id FROM deploy_schedules WHERE state = 'scheduled' AND not_before <= ?1 ORDER BY not_before, id")?;
        let ids = stmt.query_map(params![at], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        ids
    };
    let token = store.owner_token();
    let mut claimed = Vec::new();
    for id in due {
        let got = store.write(|tx| -> Result<Option<Claimed>, DeployError> {
            let (s, person) = get_in(tx, &id)?;
            if s.state != ScheduleState::Scheduled {
                return Ok(None);
            }
            let actor = s.actor(person);
            if s.expires_at.as_str() <= at.as_str() {
                // In the project's zone, as the pages say times.
                let tz = crate::projects::time_zone_in(tx, &s.project_id)?;
                let latest = DateTime::parse_from_rfc3339(&s.expires_at).map(|e| clock::words(e.with_timezone(&Utc), tz, Some(now)) + " " + tz.name()).unwrap_or_else(|_| s.expires_at.clone());
                let why = format!(
                    "its latest start ({latest}) passed before Liftoff could start it: no window was open and the schedule timer did not run in time (is the computer asleep, or the timer not installed?)"
                );
                tx.execute("UPDATE deploy_schedules SET state = 'missed', state_reason = ?2, updated_at = ?3 WHERE id = ?1", params![id, why, at])?;
                log(tx, &s, &actor, &at, "schedule.missed", format!("The scheduled deploy of {} to {} did not start: {why}", s.version, s.environment_name), "")?;
                return Ok(None);
            }
            let n = tx.execute(
                "UPDATE deploy_schedules SET state = 'claimed', claimed_by = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'scheduled'",
                params![id, token, at],
            )?;
            Ok((n == 1).then(|| Claimed { schedule: get_in(tx, &id).map(|(s, _)| s).unwrap_or(s), actor }))
        })?;
        claimed.extend(got);
    }
    Ok(claimed)
}

/// The claimed schedule's deploy started as run `run_id`.
pub fn mark_started(store: &Store, id: &str, run_id: &str, now: DateTime<Utc>) -> Result<(), DeployError> {
    store.write(|tx| {
        let (s, person) = get_in(tx, id)?;
        let at = clock::to_text(now);
        tx.execute("UPDATE deploy_schedules SET state = 'started', run_id = ?2, updated_at = ?3 WHERE id = ?1", params![id, run_id, at])?;
        log(tx, &s, &s.actor(person), &at, "schedule.started", format!("The scheduled deploy of {} to {} started", s.version, s.environment_name), "")?;
        Ok(())
    })
}

/// The claimed schedule's deploy did not start: `why` says what refused
/// it (its preflight, a locked keychain, a busy environment).
pub fn mark_missed(store: &Store, id: &str, why: &str, now: DateTime<Utc>) -> Result<(), DeployError> {
    store.write(|tx| {
        let (s, person) = get_in(tx, id)?;
        let at = clock::to_text(now);
        tx.execute("UPDATE deploy_schedules SET state = 'missed', state_reason = ?2, updated_at = ?3 WHERE id = ?1", params![id, why, at])?;
        log(tx, &s, &s.actor(person), &at, "schedule.missed", format!("The scheduled deploy of {} to {} did not start: {why}", s.version, s.environment_name), "")?;
        Ok(())
    })
}

/// Starts a schedule this process claimed ([`claim_due`]) through the
/// whole preflight again, as a Deploy click would, and records how that
/// went: started (with its run), or missed with the reason in words. The
/// window's scheduler and `liftoff schedule run-due` both start them here.
pub fn start_claimed(store: &Store, keychain: &Keychain, claimed: &Claimed, now: DateTime<Utc>, today: NaiveDate) -> Result<Job, String> {
    let s = &claimed.schedule;
    match super::engine::start(store, keychain, &s.request(), &claimed.actor, now, today) {
        Ok(job) => {
            // Its run started: the run is the record and must go on, even
            // if the schedule cannot say so (it then stays claimed, and
            // the next start's recovery reports it).
            if let Err(e) = mark_started(store, &s.id, &job.run.id, now) {
                log::warn!("the scheduled deploy {} started as run {}, but could not be marked started: {e}", s.id, job.run.id);
            }
            Ok(job)
        }
        Err(e) => {
            let why = why_not_started(&e);
            if let Err(mark) = mark_missed(store, &s.id, &why, now) {
                log::warn!("the scheduled deploy {} did not start ({why}) and could not be marked missed: {mark}", s.id);
            }
            Err(why)
        }
    }
}

/// Why a due schedule did not start, in words for the lead.
fn why_not_started(e: &DeployError) -> String {
    match e {
        DeployError::PreflightFailed(checks) => {
            let failed: Vec<String> = checks.iter().filter(|c| c.blocks()).map(|c| format!("{}: {}", c.label, c.reason)).collect();
            if failed.is_empty() {
                "a warning at that time needed confirming (schedule it with warnings accepted: “deploy anyway” in the window, --yes on the command line)".to_owned()
            } else {
                format!("its preflight refused it ({})", failed.join("; "))
            }
        }
        other => other.to_string(),
    }
}

/// Missed schedules nobody has acted on yet, soonest first: missed within
/// the last 7 days, with no run of their environment started and no deploy
/// of it scheduled (and not cancelled) since their time. "Run now" (a run starts) and
/// "Reschedule" (a new schedule) both settle one.
pub fn open_missed(store: &Store, project_id: Option<&str>, now: DateTime<Utc>) -> Result<Vec<Schedule>, DeployError> {
    let conn = store.reader()?;
    let since = clock::to_text(now - Duration::days(7));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} {FROM} WHERE (?1 IS NULL OR s.project_id = ?1) AND s.state = 'missed' AND s.not_before >= ?2
           AND NOT EXISTS (SELECT 1 FROM deploy_runs r WHERE r.environment_id = s.environment_id AND r.started_at > s.not_before)
           AND NOT EXISTS (SELECT 1 FROM deploy_schedules t WHERE t.environment_id = s.environment_id AND t.id <> s.id AND t.created_at > s.not_before AND t.state <> 'cancelled')
         ORDER BY s.not_before, s.id"
    ))?;
    let rows = stmt.query_map(params![project_id, since], from_row)?;
    Ok(rows.map(|r| r.map(|(s, _)| s)).collect::<rusqlite::Result<_>>()?)
}

/// Claims left behind by a process that died between claiming and
/// starting (its owner token no longer held): missed, saying so. Called
/// with recovery at every start.
pub fn recover_claims(store: &Store, now: DateTime<Utc>) -> Result<usize, DeployError> {
    let claims: Vec<(String, Option<String>)> = {
        let conn = store.reader()?;
        let mut stmt = conn.prepare_cached("SELECT id, claimed_by FROM deploy_schedules WHERE state = 'claimed'")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        rows
    };
    let mut n = 0;
    for (id, by) in claims {
        let alive = by.as_deref().is_some_and(|t| t == store.owner_token() || crate::store::owner::alive(store.data_dir(), t));
        if !alive {
            mark_missed(store, &id, "the process that was starting it stopped before the deploy began", now)?;
            n += 1;
        }
    }
    Ok(n)
}
