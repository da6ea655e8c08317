//! `liftoff schedule …`: deploys at a later time. `run-due` is what the
//! per-user OS timer runs every minute while no window is open: it claims
//! each due schedule in one write (so the window's scheduler and the timer
//! never both start one), starts it through the whole preflight again, and
//! runs it to its end, printing the masked log.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Duration, Local, Utc};
use liftoff_core::deploy::schedules::{self, ScheduleDraft, ScheduleState};
use liftoff_core::deploy::RunState;
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;

use super::{actor, decisions, environment_id, project_named, release_of_version, said, timer, Exit, ScheduleCommand, Stop};

/// A time as the command line takes it: RFC 3339, or "in 10m" / "in 2h" /
/// "in 1d" from now.
pub(crate) fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, Stop> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("in ") {
        let rest = rest.trim();
        let (n, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len()));
        let n: i64 = n.parse().map_err(|_| Stop::usage(format!("“{text}”: write a time such as “in 10m”, “in 2h” or 2026-12-08T06:00:00+01:00")))?;
        let d = match unit.trim() {
            "s" => Duration::seconds(n),
            "m" | "min" => Duration::minutes(n),
            "h" => Duration::hours(n),
            "d" => Duration::days(n),
            _ => return Err(Stop::usage(format!("“{text}”: the unit is s, m, h or d"))),
        };
        return Ok(now + d);
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| Stop::usage(format!("“{text}”: write the time as 2026-12-08T06:00:00+01:00 (with its offset), or “in 10m”")))
}

pub(crate) async fn run(store: &Arc<Store>, keychain: &Keychain, data_dir: &Path, command: ScheduleCommand) -> Result<ExitCode, Stop> {
    match command {
        ScheduleCommand::List { project } => {
            let project = project.map(|p| project_named(store, &p)).transpose()?;
            let list = schedules::list(store, project.as_ref().map(|p| p.id.as_str()), Utc::now()).map_err(said)?;
            out!("{:<36} {:<25} {:<25} {:<12} {:<10} {:<10} WHY", "SCHEDULE", "AT", "LATEST START", "ENVIRONMENT", "VERSION", "STATE");
            for s in list {
                let state = match s.state {
                    ScheduleState::Missed | ScheduleState::Cancelled => format!("{}: {}", s.state.as_str(), s.state_reason),
                    ScheduleState::Started => format!("started (run {})", s.run_id.clone().unwrap_or_default()),
                    other => other.as_str().to_owned(),
                };
                out!("{:<36} {:<25} {:<25} {:<12} {:<10} {:<10} {}", s.id, s.not_before, s.expires_at, s.environment_name, s.version, state, s.why);
            }
            Ok(Exit::Ok.into())
        }
        ScheduleCommand::Add { project, environment, version, build_ref, at, until, why, overrides, yes, as_person } => {
            let now = Utc::now();
            let project = project_named(store, &project)?;
            let env = environment_id(store, &project, &environment)?;
            let who = actor(store, &project, as_person.as_deref())?;
            let release_id = release_of_version(store, &project, &version)?;
            let draft = ScheduleDraft {
                environment_id: env,
                release_id,
                version,
                build_ref,
                decisions: decisions(&overrides)?,
                accept_warnings: yes,
                not_before: parse_time(&at, now)?,
                expires_at: until.map(|u| parse_time(&u, now)).transpose()?,
                why,
            };
            let s = schedules::add(store, &draft, &who, now).map_err(said)?;
            say!("Scheduled {} to {} at {} (latest start {}): {}", s.version, s.environment_name, s.not_before, s.expires_at, s.id);
            if !timer::installed() {
                say!("No window may be open then: `liftoff schedule install-timer` starts due deploys every minute without one.");
            }
            Ok(Exit::Ok.into())
        }
        ScheduleCommand::Cancel { id, as_person } => {
            let s = schedules::get(store, id.trim()).map_err(said)?;
            let project = liftoff_core::projects::get(store, &s.project_id).map_err(said)?;
            let who = actor(store, &project, as_person.as_deref())?;
            schedules::cancel(store, &s.id, &who, Utc::now()).map_err(said)?;
            say!("Cancelled the deploy of {} to {} at {}.", s.version, s.environment_name, s.not_before);
            Ok(Exit::Ok.into())
        }
        ScheduleCommand::RunDue => run_due(store, keychain).await,
        ScheduleCommand::InstallTimer => {
            let exe = std::env::current_exe().map_err(|e| Stop(Exit::Failed, format!("could not find this program's own path ({e})")))?;
            let done = timer::install(&exe, data_dir).map_err(|e| Stop(Exit::Failed, e))?;
            say!("{done}");
            Ok(Exit::Ok.into())
        }
        ScheduleCommand::RemoveTimer => {
            let done = timer::remove().map_err(|e| Stop(Exit::Failed, e))?;
            say!("{done}");
            Ok(Exit::Ok.into())
        }
    }
}

/// Claims, starts and runs every due schedule, one after another. Exit:
/// 0 when each started one succeeded (or none was due), 1 when a run
/// failed, 3 when one could not start (it is marked missed, saying why).
async fn run_due(store: &Arc<Store>, keychain: &Keychain) -> Result<ExitCode, Stop> {
    // Whatever this run finds missed (expired, refused, or left by a killed
    // process) gets a desktop notice: no window is open to say so.
    let missed_before: Vec<String> = schedules::open_missed(store, None, Utc::now()).map_err(said)?.into_iter().map(|s| s.id).collect();
    let code = start_due(store, keychain).await;
    match schedules::open_missed(store, None, Utc::now()) {
        Ok(now_missed) => notify_missed(&now_missed.into_iter().filter(|s| !missed_before.contains(&s.id)).collect::<Vec<_>>()),
        Err(e) => say!("liftoff: could not read the missed schedules for a desktop notice: {e}"),
    }
    code
}

/// The most desktop notices one `run-due` shows; more are summed up.
const NOTICES_MAX: usize = 3;

/// One desktop notice per schedule just missed (at most three, then one
/// that counts the rest). A desktop without a notification service only
/// loses the notice: the window still lists them at its next start.
fn notify_missed(missed: &[schedules::Schedule]) {
    let mut notices: Vec<(String, String)> = missed
        .iter()
        .take(NOTICES_MAX)
        .map(|s| {
            (
                format!("Scheduled deploy missed: {} to {}", s.version, s.environment_name),
                format!("It was due at {} and did not start: {}. Open Liftoff to run it now or reschedule it.", s.not_before, s.state_reason),
            )
        })
        .collect();
    if missed.len() > NOTICES_MAX {
        notices.push((format!("{} more scheduled deploys missed", missed.len() - NOTICES_MAX), "Open Liftoff to see them, run them now or reschedule them.".into()));
    }
    for (summary, body) in notices {
        if let Err(e) = notify_rust::Notification::new().appname("Liftoff").summary(&summary).body(&body).show() {
            say!("liftoff: no desktop notice ({e}): {summary}.");
        }
    }
}

async fn start_due(store: &Arc<Store>, keychain: &Keychain) -> Result<ExitCode, Stop> {
    schedules::recover_claims(store, Utc::now()).map_err(said)?;
    let claimed = schedules::claim_due(store, Utc::now()).map_err(said)?;
    let mut worst = Exit::Ok;
    for c in claimed {
        let s = &c.schedule;
        say!("Due: the deploy of {} to {} scheduled for {} by {}.", s.version, s.environment_name, s.not_before, s.created_by);
        match schedules::start_claimed(store, keychain, &c, Utc::now(), Local::now().date_naive()) {
            Ok(job) => {
                let (_, state) = super::execute_run(store.clone(), keychain, job).await?;
                if state != RunState::Succeeded && worst == Exit::Ok {
                    worst = Exit::RunFailed;
                }
            }
            Err(why) => {
                say!("liftoff: the deploy of {} to {} did not start: {why}", s.version, s.environment_name);
                worst = Exit::Refused;
            }
        }
    }
    // Dated freeze periods roll forward on GitLab with no window open.
    super::freeze_sync::daily(store, keychain).await;
    Ok(worst.into())
}
