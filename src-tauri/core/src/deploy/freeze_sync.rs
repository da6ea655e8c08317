//! One freeze calendar, honoured outside Liftoff too: GitLab's deploy
//! freeze periods kept in step with Liftoff's freezes, so a pipeline
//! started by hand on GitLab also stops at a freeze (`CI_DEPLOY_FREEZE`).
//!
//! - Which freezes: those that hold an environment whose target deploys
//!   through GitLab CI. A GitLab project's freeze periods hold all of its
//!   pipelines, not one environment's: when a project serves several
//!   environments, the freezes of each are synced and a note says that
//!   the other environments' pipelines stop in them too.
//! - How: [`crate::planning::freeze_cron`] writes each freeze as one
//!   repeating cron pair or as dated pairs over the next 60 days.
//! - What is touched: only the periods Liftoff created, recorded in
//!   `engine_freeze_periods` with the freeze (and occurrence) they stand
//!   for. A sync lists the project's periods, keeps Liftoff's that are
//!   still wanted, deletes Liftoff's stale ones (a dated pair whose
//!   occurrence ended, a freeze changed or deleted), adds what is missing,
//!   and never changes the team's own periods; a second sync changes
//!   nothing. A period the team already has with the same crons counts as
//!   there.
//! - When: after each freeze edit in the window, from `liftoff
//!   freeze-sync`, and from `liftoff schedule run-due` once a day (so dated
//!   pairs roll forward with no window open). Each sync's outcome is kept
//!   in `engine_freeze_syncs` for the target's status line.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::remote::gitlab::Gitlab;
use super::remote::RemoteError;
use super::target::{self, RemoteTarget, TargetKind, TargetSettings};
use super::DeployError;
use crate::environments::Environment;
use crate::planning::freeze_cron::{self, CronPeriod, FreezeCron};
use crate::planning::windows::{self, WindowKind};
use crate::secrets::Keychain;
use crate::{clock, Store};

/// How often `run-due` syncs a project with no window open.
pub fn daily() -> Duration {
    Duration::hours(24)
}

/// A GitLab project as targets name it: the server's base address
/// (`https://gitlab.com` when empty, without `/api/v4`) and the project's
/// path or number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineProject {
    pub base_url: String,
    pub project: String,
}

impl EngineProject {
    pub fn of(t: &RemoteTarget) -> EngineProject {
        let base = t.url.trim().trim_end_matches('/');
        let base = base.strip_suffix("/api/v4").unwrap_or(base);
        let base = if base.is_empty() { "https://gitlab.com" } else { base };
        EngineProject { base_url: base.to_owned(), project: t.project.trim().trim_matches('/').to_owned() }
    }

    /// "acme/shop on gitlab.example.com".
    pub fn describe(&self) -> String {
        let host = url::Url::parse(&self.base_url).ok().and_then(|u| u.host_str().map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))).unwrap_or_else(|| self.base_url.clone());
        format!("{} on {host}", self.project)
    }
}

/// What one GitLab project should hold for a Liftoff project.
#[derive(Debug, Clone)]
pub struct Plan {
    pub engine: EngineProject,
    /// The environments whose targets deploy through it, in pipeline order.
    pub environments: Vec<Environment>,
    /// The first environment's target: its credential logs in.
    pub target: RemoteTarget,
    pub freezes: Vec<FreezeCron>,
    /// What scoped freezes mean on a project-wide freeze list, in words.
    pub notes: Vec<String>,
}

/// Every GitLab project the project's targets deploy through, with the
/// freezes it should hold at `now`.
pub fn plans(store: &Store, project_id: &str, now: DateTime<Utc>) -> Result<Vec<Plan>, DeployError> {
    plans_with(store, project_id, None, now)
}

/// [`plans`], with one environment's target taken as given (Check target
/// checks settings not yet saved).
fn plans_with(store: &Store, project_id: &str, given: Option<(&str, &TargetSettings)>, now: DateTime<Utc>) -> Result<Vec<Plan>, DeployError> {
    let environments = crate::environments::list(store, project_id)?;
    let mut by_engine: BTreeMap<EngineProject, (Vec<Environment>, RemoteTarget)> = BTreeMap::new();
    for env in environments {
        let settings = match given {
            Some((id, s)) if id == env.id => Some(s.clone()),
            _ => target::get(store, &env.id)?.map(|t| t.settings),
        };
        let Some(TargetSettings { kind: TargetKind::GitlabCi, remote: Some(remote), .. }) = settings else { continue };
        let entry = by_engine.entry(EngineProject::of(&remote)).or_insert_with(|| (Vec::new(), remote));
        entry.0.push(env);
    }
    if by_engine.is_empty() {
        return Ok(Vec::new());
    }
    let freezes: Vec<_> = windows::list(store, project_id).map_err(|e| DeployError::Refused(e.to_string()))?.into_iter().filter(|w| w.kind == WindowKind::Freeze).collect();
    let mut plans = Vec::new();
    for (engine, (environments, target)) in by_engine {
        let holds = |w: &windows::CalendarWindow, env: &Environment| !w.scoped || w.environment_ids.contains(&env.id);
        let mut notes = Vec::new();
        let mut converted = Vec::new();
        for w in freezes.iter().filter(|w| environments.iter().any(|e| holds(w, e))) {
            converted.push(freeze_cron::convert(w, now));
            if !w.scoped {
                continue;
            }
            let names = |held: bool| environments.iter().filter(|e| holds(w, e) == held).map(|e| e.name.clone()).collect::<Vec<_>>().join(", ");
            let others = names(false);
            notes.push(if others.is_empty() {
                format!("“{}” holds {} only, and {} deploys {} only: synced.", w.name, names(true), engine.describe(), names(true))
            } else {
                format!(
                    "“{}” holds {} only, but GitLab's freeze periods hold all of {}: its pipelines for {others} stop in it too.",
                    w.name,
                    names(true),
                    engine.describe()
                )
            });
        }
        plans.push(Plan { engine, environments, target, freezes: converted, notes });
    }
    Ok(plans)
}

/// What a sync did (or, not applied, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: usize,
    pub removed: usize,
    /// Liftoff's periods that were right already.
    pub kept: usize,
    /// Wanted periods the team already has with the same crons.
    pub theirs: usize,
}

impl Changes {
    pub fn in_step(&self) -> bool {
        self.added == 0 && self.removed == 0
    }
}

/// One period Liftoff created, as recorded.
#[derive(Debug, Clone)]
struct Ours {
    period_id: u64,
    window_id: String,
    occurrence: Option<String>,
}

/// Brings the GitLab project of `plan` in step (`apply`), or only counts
/// what that would change. Every change is recorded as soon as GitLab
/// answers, so a sync that fails midway leaves a true record.
pub async fn sync_plan(store: &Store, gitlab: &Gitlab, project_id: &str, plan: &Plan, apply: bool, now: DateTime<Utc>, cancel: &CancellationToken) -> Result<Changes, RemoteError> {
    let remote = gitlab.freeze_periods(cancel).await?;
    let ours = recorded(store, project_id, &plan.engine).map_err(stored)?;
    let wanted: Vec<(&FreezeCron, &CronPeriod)> = plan.freezes.iter().flat_map(|f| f.periods.iter().map(move |p| (f, p))).collect();
    let mut met = vec![false; wanted.len()];
    let mut changes = Changes::default();
    let mut stale = Vec::new();
    for row in &ours {
        let Some(there) = remote.iter().find(|p| p.id == row.period_id) else {
            // Deleted on GitLab: forgotten, and added again below if wanted.
            if apply {
                forget(store, &plan.engine, row.period_id).map_err(stored)?;
            }
            continue;
        };
        let same = wanted
            .iter()
            .enumerate()
            .position(|(i, (f, p))| !met[i] && f.window_id == row.window_id && p.occurrence == row.occurrence && there.is(&p.freeze_start, &p.freeze_end, &p.cron_timezone));
        match same {
            Some(i) => {
                met[i] = true;
                changes.kept += 1;
            }
            None => stale.push(row.period_id),
        }
    }
    for id in stale {
        if apply {
            gitlab.delete_freeze_period(id, cancel).await?;
            forget(store, &plan.engine, id).map_err(stored)?;
        }
        changes.removed += 1;
    }
    let env_id = plan.environments.first().map(|e| e.id.clone());
    for (i, (f, p)) in wanted.iter().enumerate().filter(|(i, _)| !met[*i]) {
        let ours_ids: Vec<u64> = ours.iter().map(|o| o.period_id).collect();
        if remote.iter().any(|r| !ours_ids.contains(&r.id) && r.is(&p.freeze_start, &p.freeze_end, &p.cron_timezone)) {
            changes.theirs += 1;
            continue;
        }
        // The same pair wanted twice (two freezes alike) is sent once.
        if wanted[..i].iter().any(|(_, q)| q.freeze_start == p.freeze_start && q.freeze_end == p.freeze_end && q.cron_timezone == p.cron_timezone) {
            changes.theirs += 1;
            continue;
        }
        if apply {
            let created = gitlab.create_freeze_period(&p.freeze_start, &p.freeze_end, &p.cron_timezone, cancel).await?;
            record(store, project_id, env_id.as_deref(), &plan.target.credential, &plan.engine, created.id, f, p, now).map_err(stored)?;
        }
        changes.added += 1;
    }
    Ok(changes)
}

/// One GitLab project's sync, for the window and the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// "acme/shop on gitlab.example.com".
    pub gitlab: String,
    pub environments: Vec<String>,
    pub added: u32,
    pub removed: u32,
    /// Liftoff's periods there after the sync.
    pub periods: u32,
    /// What went wrong, in words; `None`: in step.
    pub problem: Option<String>,
    pub freezes: Vec<FreezeCron>,
    pub notes: Vec<String>,
}

/// Syncs every GitLab project the project's targets deploy through, each
/// with its first environment's credential. A GitLab that fails is
/// reported in its [`SyncReport`] and the others still sync.
pub async fn sync(store: Arc<Store>, keychain: Keychain, project_id: &str, now: DateTime<Utc>, cancel: &CancellationToken) -> Result<Vec<SyncReport>, DeployError> {
    let (s, p) = (store.clone(), project_id.to_owned());
    let plans = tokio::task::spawn_blocking(move || -> Result<_, DeployError> {
        let mut all = plans(&s, &p, now)?;
        all.extend(left_behind(&s, &p, &all)?);
        Ok(all)
    })
    .await
    .map_err(|e| DeployError::Refused(format!("The freeze sync stopped: {e}")))??;
    let mut reports = Vec::new();
    for plan in plans {
        let done = match login(&store, &keychain, &plan, now).await {
            Ok(gitlab) => sync_plan(&store, &gitlab, project_id, &plan, true, now, cancel).await.map_err(|e| e.message),
            Err(message) => Err(message),
        };
        let (added, removed, mut problem) = match &done {
            Ok(c) => (c.added as u32, c.removed as u32, None),
            Err(message) => (0, 0, Some(message.clone())),
        };
        let mut periods = recorded(&store, project_id, &plan.engine)?.len() as u32;
        if plan.environments.is_empty() {
            // Left behind with no way to log in: said once with their ids,
            // then forgotten.
            let ids: Vec<String> = recorded(&store, project_id, &plan.engine)?.iter().map(|o| o.period_id.to_string()).collect();
            problem = problem.map(|p| format!("{p} Their ids there: {}.", ids.join(", ")));
            forget_all(&store, project_id, &plan.engine)?;
            periods = 0;
        } else {
            remember(&store, project_id, &plan.engine, periods, problem.as_deref(), now)?;
        }
        reports.push(SyncReport {
            gitlab: plan.engine.describe(),
            environments: plan.environments.iter().map(|e| e.name.clone()).collect(),
            added,
            removed,
            periods,
            problem,
            freezes: plan.freezes,
            notes: plan.notes,
        });
    }
    Ok(reports)
}

/// Syncs each project whose GitLab freezes were last synced a day ago or
/// more (or never): what `run-due` does, so dated pairs roll forward.
pub async fn sync_due(store: Arc<Store>, keychain: Keychain, now: DateTime<Utc>, cancel: &CancellationToken) -> Result<Vec<SyncReport>, DeployError> {
    let due: Vec<String> = {
        let conn = store.reader()?;
        let mut stmt = conn.prepare(
            "SELECT DISTINCT e.project_id FROM deploy_targets t JOIN environments e ON e.id = t.environment_id JOIN projects p ON p.id = e.project_id
             WHERE t.kind = 'gitlabCi' AND p.archived_at IS NULL
               AND COALESCE((SELECT max(s.synced_at) FROM engine_freeze_syncs s WHERE s.project_id = e.project_id), '') <= ?1",
        )?;
        let rows = stmt.query_map(params![clock::to_text(now - daily())], |r| r.get(0))?.collect::<Result<_, _>>()?;
        rows
    };
    let mut all = Vec::new();
    for project_id in due {
        all.extend(sync(store.clone(), keychain.clone(), &project_id, now, cancel).await?);
    }
    Ok(all)
}

/// The GitLab projects that hold periods of Liftoff's but that no target
/// deploys through any more (a target changed or removed): plans with no
/// freezes, so their periods are removed with the credential that created
/// them, from the environment that did.
fn left_behind(store: &Store, project_id: &str, current: &[Plan]) -> Result<Vec<Plan>, DeployError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare(
        "SELECT base_url, engine_project, environment_id, credential FROM engine_freeze_periods WHERE project_id = ?1
         GROUP BY base_url, engine_project ORDER BY base_url, engine_project",
    )?;
    let rows: Vec<(String, String, Option<String>, String)> = stmt.query_map(params![project_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
    let mut plans = Vec::new();
    for (base_url, project, env_id, credential) in rows {
        let engine = EngineProject { base_url, project };
        if current.iter().any(|p| p.engine == engine) {
            continue;
        }
        let env = match env_id {
            Some(id) => crate::environments::get_in(&conn, &id)?,
            None => None,
        };
        let target = RemoteTarget { url: engine.base_url.clone(), project: engine.project.clone(), credential, ..RemoteTarget::default() };
        let note = format!("No target deploys through {} any more: Liftoff's freeze periods there are removed.", engine.describe());
        plans.push(Plan { engine, environments: env.into_iter().collect(), target, freezes: Vec::new(), notes: vec![note] });
    }
    Ok(plans)
}

/// Logs in to the plan's GitLab with its first environment's credential.
async fn login(store: &Arc<Store>, keychain: &Keychain, plan: &Plan, now: DateTime<Utc>) -> Result<Gitlab, String> {
    let Some(env) = plan.environments.first().cloned() else {
        return Err(format!(
            "Liftoff's freeze periods on {} were created with the credential of an environment since deleted: delete them on GitLab (Settings › CI/CD › Deploy freezes).",
            plan.engine.describe()
        ));
    };
    let (s, k, name, env_id) = (store.clone(), keychain.clone(), plan.target.credential.clone(), env.id.clone());
    // The credential by name (any case), as the deploy engine reads it.
    let secret = tokio::task::spawn_blocking(move || -> Result<Option<crate::secrets::SecretValue>, DeployError> {
        let list = crate::credentials::list(&s, &env_id)?;
        match list.iter().find(|c| c.name.eq_ignore_ascii_case(&name)) {
            Some(c) => Ok(Some(crate::credentials::reveal(&s, &k, &c.id, now)?)),
            None => Ok(None),
        }
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("The GitLab token of {} could not be read: {e}", env.name))?
    .ok_or_else(|| format!("The GitLab token of {} could not be read: “{}” is not a credential of {}; add it under Environments.", env.name, plan.target.credential, env.name))?;
    Gitlab::new(&plan.target.url, secret.expose(), &plan.target.project, None).map_err(|e| e.message)
}

/// Check target's words on the environment's GitLab freezes (with its
/// target as given): a problem when they are not in step; else a
/// sentence for the summary. Changes nothing.
pub async fn check(store: &Store, gitlab: &Gitlab, environment_id: &str, settings: &TargetSettings, now: DateTime<Utc>, cancel: &CancellationToken) -> Result<String, String> {
    let Some(project_id) = crate::environments::project_of(&*store.reader().map_err(|e| e.to_string())?, environment_id).map_err(|e| e.to_string())? else {
        return Err("That environment no longer exists.".into());
    };
    let Some(remote) = &settings.remote else { return Ok(String::new()) };
    let engine = EngineProject::of(remote);
    let plans = plans_with(store, &project_id, Some((environment_id, settings)), now).map_err(|e| e.to_string())?;
    let Some(plan) = plans.into_iter().find(|p| p.engine == engine) else { return Ok(String::new()) };
    let changes = sync_plan(store, gitlab, &project_id, &plan, false, now, cancel).await.map_err(|e| format!("GitLab's deploy freezes could not be compared with Liftoff's: {}", e.message))?;
    if changes.in_step() {
        Ok(format!("GitLab's deploy freezes are in step with Liftoff's ({} periods).", changes.kept + changes.theirs))
    } else {
        Err(format!(
            "GitLab's deploy freezes in {} are not in step with Liftoff's freezes: {} to add, {} to remove. Use “Sync freezes now” or `liftoff freeze-sync`.",
            engine.describe(),
            changes.added,
            changes.removed
        ))
    }
}

/// The status line of an environment's GitLab freezes, from the last sync
/// (no network).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct FreezeSyncStatus {
    pub gitlab: String,
    pub in_step: bool,
    pub periods: u32,
    pub synced_at: Option<String>,
    pub problem: Option<String>,
    /// "GitLab deploy freezes: in step, 3 periods, synced …", or the problem.
    pub words: String,
}

/// The environment's GitLab freeze status; `None` when its target is not
/// GitLab CI.
pub fn status(store: &Store, environment_id: &str) -> Result<Option<FreezeSyncStatus>, DeployError> {
    let Some(t) = target::get(store, environment_id)? else { return Ok(None) };
    let (TargetKind::GitlabCi, Some(remote)) = (t.settings.kind, &t.settings.remote) else { return Ok(None) };
    let conn = store.reader()?;
    let Some(project_id) = crate::environments::project_of(&conn, environment_id)? else { return Ok(None) };
    let engine = EngineProject::of(remote);
    let row: Option<(String, u32, Option<String>)> = conn
        .query_row(
            "SELECT synced_at, periods, problem FROM engine_freeze_syncs WHERE project_id = ?1 AND base_url = ?2 AND engine_project = ?3",
            params![project_id, engine.base_url, engine.project],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let gitlab = engine.describe();
    Ok(Some(match row {
        None => FreezeSyncStatus { words: "GitLab deploy freezes: not synced yet.".into(), gitlab, in_step: false, periods: 0, synced_at: None, problem: None },
        Some((at, periods, problem)) => {
            let words = match &problem {
                Some(p) => format!("GitLab deploy freezes: {p}"),
                None => format!("GitLab deploy freezes: in step, {periods} period{}, synced {}.", if periods == 1 { "" } else { "s" }, at.replace('T', " ").replace('Z', " UTC")),
            };
            FreezeSyncStatus { in_step: problem.is_none(), periods, synced_at: Some(at), problem, words, gitlab }
        }
    }))
}

// --- The record -------------------------------------------------------

fn stored(e: impl std::fmt::Display) -> RemoteError {
    RemoteError::new(format!("Liftoff could not record GitLab's freeze periods: {e}"))
}

fn recorded(store: &Store, project_id: &str, engine: &EngineProject) -> Result<Vec<Ours>, DeployError> {
    recorded_in(&*store.reader()?, project_id, engine)
}

fn recorded_in(conn: &Connection, project_id: &str, engine: &EngineProject) -> Result<Vec<Ours>, DeployError> {
    let mut stmt = conn.prepare_cached(
        "SELECT period_id, window_id, occurrence FROM engine_freeze_periods WHERE project_id = ?1 AND base_url = ?2 AND engine_project = ?3 ORDER BY period_id",
    )?;
    let rows = stmt.query_map(params![project_id, engine.base_url, engine.project], |r| Ok(Ours { period_id: r.get(0)?, window_id: r.get(1)?, occurrence: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[allow(clippy::too_many_arguments)]
fn record(store: &Store, project_id: &str, env_id: Option<&str>, credential: &str, engine: &EngineProject, period_id: u64, f: &FreezeCron, p: &CronPeriod, now: DateTime<Utc>) -> Result<(), DeployError> {
    store.write(|tx| {
        tx.execute(
            "INSERT INTO engine_freeze_periods (project_id, environment_id, base_url, engine_project, period_id, freeze_start, freeze_end, cron_timezone, window_id, occurrence, ends_at, synced_at, credential)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (base_url, engine_project, period_id) DO UPDATE SET freeze_start = excluded.freeze_start, freeze_end = excluded.freeze_end,
                 cron_timezone = excluded.cron_timezone, window_id = excluded.window_id, occurrence = excluded.occurrence, ends_at = excluded.ends_at,
                 synced_at = excluded.synced_at, credential = excluded.credential",
            params![project_id, env_id, engine.base_url, engine.project, period_id, p.freeze_start, p.freeze_end, p.cron_timezone, f.window_id, p.occurrence, p.ends_at, clock::to_text(now), credential],
        )?;
        Ok(())
    })
}

fn forget(store: &Store, engine: &EngineProject, period_id: u64) -> Result<(), DeployError> {
    store.write(|tx| {
        tx.execute("DELETE FROM engine_freeze_periods WHERE base_url = ?1 AND engine_project = ?2 AND period_id = ?3", params![engine.base_url, engine.project, period_id])?;
        Ok(())
    })
}

fn forget_all(store: &Store, project_id: &str, engine: &EngineProject) -> Result<(), DeployError> {
    store.write(|tx| {
        let key = params![project_id, engine.base_url, engine.project];
        tx.execute("DELETE FROM engine_freeze_periods WHERE project_id = ?1 AND base_url = ?2 AND engine_project = ?3", key)?;
        tx.execute("DELETE FROM engine_freeze_syncs WHERE project_id = ?1 AND base_url = ?2 AND engine_project = ?3", key)?;
        Ok(())
    })
}

fn remember(store: &Store, project_id: &str, engine: &EngineProject, periods: u32, problem: Option<&str>, now: DateTime<Utc>) -> Result<(), DeployError> {
    store.write(|tx| {
        tx.execute(
            "INSERT INTO engine_freeze_syncs (project_id, base_url, engine_project, synced_at, periods, problem) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (project_id, base_url, engine_project) DO UPDATE SET synced_at = excluded.synced_at, periods = excluded.periods, problem = excluded.problem",
            params![project_id, engine.base_url, engine.project, clock::to_text(now), periods, problem],
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gitlab_project_is_named_the_same_however_its_address_is_written() {
        let t = |url: &str, project: &str| EngineProject::of(&RemoteTarget { url: url.into(), project: project.into(), ..RemoteTarget::default() });
        assert_eq!(t("", "acme/shop"), t("https://gitlab.com/", "/acme/shop/"));
        assert_eq!(t("https://gitlab.example.com/api/v4", "acme/shop"), t("https://gitlab.example.com", "acme/shop"));
        assert_eq!(t("http://127.0.0.1:8080", "7").describe(), "7 on 127.0.0.1:8080");
    }
}
