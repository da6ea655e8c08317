//! `liftoff freeze-sync`: GitLab's deploy freeze periods brought in step
//! with Liftoff's freezes now (the window does it after each freeze edit,
//! `schedule run-due` once a day). Prints, per GitLab project, which way
//! each freeze went (one repeating cron pair, or dated pairs) and why,
//! what scoped freezes mean there, and what the sync changed or what
//! stopped it.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use liftoff_core::deploy::freeze_sync::{self, SyncReport};
use liftoff_core::planning::freeze_cron::CronWay;
use liftoff_core::projects::{self, ProjectQuery};
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use tokio_util::sync::CancellationToken;

use super::{project_named, said, Exit, Stop};

/// Syncs `project` (or every project not archived). Exit 0 when each
/// GitLab project is in step (or none is used), 6 when one could not be
/// brought in step.
pub(crate) async fn run(store: &Arc<Store>, keychain: &Keychain, project: Option<String>) -> Result<ExitCode, Stop> {
    let list = match &project {
        Some(name) => vec![project_named(store, name)?],
        None => projects::list(store, &ProjectQuery { text: String::new(), include_archived: false }).map_err(said)?,
    };
    let mut worst = Exit::Ok;
    let mut any = false;
    for p in list {
        let reports = freeze_sync::sync(store.clone(), keychain.clone(), &p.id, Utc::now(), &CancellationToken::new()).await.map_err(said)?;
        for r in &reports {
            any = true;
            print(&p.name, r);
            if r.problem.is_some() {
                worst = Exit::Failed;
            }
        }
    }
    if !any {
        let whose = project.map(|p| format!(" of {p}")).unwrap_or_default();
        out!("No environment{whose} deploys through GitLab CI: there are no GitLab freeze periods to keep in step.");
    }
    Ok(worst.into())
}

fn print(project: &str, r: &SyncReport) {
    out!("{project} → {} ({}):", r.gitlab, r.environments.join(", "));
    for f in &r.freezes {
        match f.way {
            CronWay::Repeating => {
                let p = &f.periods[0];
                out!("  repeating: {} to {} ({}). {}", p.freeze_start, p.freeze_end, p.cron_timezone, f.why);
            }
            CronWay::Dated => out!("  dated: {} pair{}. {}", f.periods.len(), if f.periods.len() == 1 { "" } else { "s" }, f.why),
        }
    }
    for n in &r.notes {
        out!("  note: {n}");
    }
    match &r.problem {
        None => out!("  In step: {} added, {} removed; Liftoff keeps {} period{} there.", r.added, r.removed, r.periods, if r.periods == 1 { "" } else { "s" }),
        Some(problem) => out!("  NOT in step: {problem}"),
    }
}

/// What `run-due` does once a day: each project whose GitLab freezes were
/// synced a day ago or more is synced, so dated pairs roll forward with no
/// window open. A failure is said, and changes nothing else.
pub(crate) async fn daily(store: &Arc<Store>, keychain: &Keychain) {
    match freeze_sync::sync_due(store.clone(), keychain.clone(), Utc::now(), &CancellationToken::new()).await {
        Ok(reports) => {
            for r in reports {
                match r.problem {
                    None => say!("GitLab deploy freezes of {} in step: {} added, {} removed.", r.gitlab, r.added, r.removed),
                    Some(p) => say!("liftoff: GitLab deploy freezes of {} are not in step: {p}", r.gitlab),
                }
            }
        }
        Err(e) => say!("liftoff: the daily sync of GitLab deploy freezes failed: {e}"),
    }
}
