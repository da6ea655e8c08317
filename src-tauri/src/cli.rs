//! The command-line face of Liftoff, for scripts and CI: the same core and
//! the same database as the window, so it shares the deploy locks, and what
//! it does shows up live in an open window.
//!
//! `liftoff deploy --project NAME --env NAME --version V` prints the masked
//! log and exits non-zero when the run fails; `liftoff runs`, `lock`,
//! `unlock` and `rollback` do what they say.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{Local, Utc};
use clap::{Parser, Subcommand};
use liftoff_core::audit::Actor;
use liftoff_core::deploy::engine::{self, Job, Timing};
use liftoff_core::deploy::runs::{self, LogStream, RunQuery};
use liftoff_core::deploy::{CheckOutcome, Decision, DeployRequest, PreflightCheck, RunState};
use liftoff_core::projects::{self, Project, ProjectQuery};
use liftoff_core::rules::Kind;
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use tokio_util::sync::CancellationToken;

use crate::state::local_user;
use crate::DATA_DIR_ENV;

/// The subcommands; `liftoff` with none of them opens the window.
pub const SUBCOMMANDS: [&str; 7] = ["deploy", "runs", "lock", "unlock", "rollback", "projects", "help"];

#[derive(Parser)]
#[command(name = "liftoff", version, about = "Liftoff from the command line: deploy, roll back, lock and list runs, on the same database as the window.")]
struct Cli {
    /// The data folder (default: $LIFTOFF_DATA_DIR, else the app's data folder).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Deploy a version to an environment: preflight, the steps, smoke checks.
    Deploy {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: String,
        /// The version; a release of the project with this version is used.
        #[arg(long)]
        version: String,
        /// A tag, commit or other build reference.
        #[arg(long, default_value = "")]
        build_ref: String,
        /// Override a failed check: CHECK=WHO:WHY (CHECK is gate, freeze or promotion).
        #[arg(long = "override", value_name = "CHECK=WHO:WHY")]
        overrides: Vec<String>,
        /// Go ahead despite warnings (such as outside the planned window).
        #[arg(long)]
        yes: bool,
        /// Who starts it (default: this computer's user).
        #[arg(long)]
        as_person: Option<String>,
    },
    /// Roll an environment back to the last version that verified there.
    Rollback {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: String,
        #[arg(long = "override", value_name = "CHECK=WHO:WHY")]
        overrides: Vec<String>,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// List a project's runs, newest first.
    Runs {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
    /// Lock an environment against deploys, with a reason.
    Lock {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// Remove a lock set by hand.
    Unlock {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: String,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// List the projects.
    Projects,
}

/// An error for the terminal: its message, and the technical text behind it
/// (which the window keeps behind "Details") on the next line.
fn said<E: Kind>(e: E) -> String {
    match e.detail() {
        Some(detail) => format!("{e}\n  ({detail})"),
        None => e.to_string(),
    }
}

/// Whether these arguments ask for the command line rather than the window.
pub fn wanted(args: &[String]) -> bool {
    args.get(1).is_some_and(|a| SUBCOMMANDS.contains(&a.as_str()) || a == "--help" || a == "-h" || a == "--version" || a == "-V")
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("liftoff: could not start ({e})");
            return ExitCode::from(70);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("liftoff: {message}");
            ExitCode::from(2)
        }
    }
}

fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => dirs::data_dir()
            .map(|d| d.join("dev.liftoff.app"))
            .ok_or_else(|| format!("this computer has no app data folder; give --data-dir or set {DATA_DIR_ENV}")),
    }
}

fn project_named(store: &Store, name: &str) -> Result<Project, String> {
    let all = projects::list(store, &ProjectQuery { text: String::new(), include_archived: true }).map_err(said)?;
    all.into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| format!("no project is called “{name}”. `liftoff projects` lists them."))
}

fn environment_id(store: &Store, project: &Project, name: &str) -> Result<String, String> {
    let envs = liftoff_core::environments::list(store, &project.id).map_err(said)?;
    let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    envs.into_iter()
        .find(|e| e.name.eq_ignore_ascii_case(name.trim()))
        .map(|e| e.id)
        .ok_or_else(|| format!("{} has no environment called “{name}”; it has {}.", project.name, names.join(", ")))
}

fn actor(store: &Store, project: &Project, person: Option<&str>) -> Result<Actor, String> {
    let person_id = match person {
        None => None,
        Some(name) => {
            let people = liftoff_core::people::list(store, &project.id).map_err(said)?;
            Some(people.into_iter().find(|p| p.name.eq_ignore_ascii_case(name.trim())).map(|p| p.id).ok_or_else(|| format!("{} has no person called “{name}”.", project.name))?)
        }
    };
    Actor::resolve(&*store.reader().map_err(said)?, &project.id, person_id.as_deref(), &local_user()).map_err(said)
}

fn decisions(overrides: &[String]) -> Result<Vec<Decision>, String> {
    overrides
        .iter()
        .map(|o| {
            let (check, rest) = o.split_once('=').ok_or_else(|| format!("--override {o}: write CHECK=WHO:WHY, such as freeze=Dana:Outage fix"))?;
            let (who, why) = rest.split_once(':').ok_or_else(|| format!("--override {o}: write CHECK=WHO:WHY, such as freeze=Dana:Outage fix"))?;
            Ok(Decision { check: check.trim().to_owned(), decided_by: who.trim().to_owned(), reason: why.trim().to_owned() })
        })
        .collect()
}

fn print_checks(checks: &[PreflightCheck]) {
    for c in checks {
        let mark = match (c.outcome, &c.decision) {
            (CheckOutcome::Fail, Some(_)) => "overridden",
            (CheckOutcome::Pass, _) => "pass",
            (CheckOutcome::Warn, _) => "warn",
            (CheckOutcome::Fail, None) => "FAIL",
        };
        eprintln!("  [{mark:>10}] {}: {}", c.label, c.reason);
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let dir = data_dir(cli.data_dir)?;
    if !dir.join("liftoff.db").exists() {
        return Err(format!("there is no Liftoff database in {} yet. Open Liftoff once, or give --data-dir.", dir.display()));
    }
    let opened = Store::open_or_recover(&dir, Utc::now()).map_err(said)?;
    for w in &opened.warnings {
        eprintln!("liftoff: {w}");
    }
    let store = Arc::new(opened.store);
    let keychain = Keychain::os();
    match cli.command {
        Command::Projects => {
            for p in projects::list(&store, &ProjectQuery { text: String::new(), include_archived: false }).map_err(said)? {
                println!("{}", p.name);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Runs { project, environment, limit } => {
            let project = project_named(&store, &project)?;
            let environment_id = environment.map(|e| environment_id(&store, &project, &e)).transpose()?;
            let list = runs::list(&store, &project.id, &RunQuery { environment_id, limit: Some(limit), ..RunQuery::default() }).map_err(said)?;
            println!("{:<20} {:<12} {:<10} {:<10} {:<20} {:<20} BY", "STARTED", "ENVIRONMENT", "VERSION", "KIND", "STATE", "ENDED");
            for r in list {
                println!(
                    "{:<20} {:<12} {:<10} {:<10} {:<20} {:<20} {}",
                    r.started_at,
                    r.environment_name,
                    r.version,
                    r.kind.as_str(),
                    r.state.label(),
                    r.ended_at.unwrap_or_default(),
                    r.started_by
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Lock { project, environment, reason, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            runs::lock(&store, &env, &reason, &who, Utc::now()).map_err(said)?;
            eprintln!("{environment} is locked: {reason}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Unlock { project, environment, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            runs::unlock(&store, &env, &who, Utc::now()).map_err(said)?;
            eprintln!("{environment} is unlocked.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Deploy { project, environment, version, build_ref, overrides, yes, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            let release_id = liftoff_core::release::list(&store, &project.id, None)
                .map_err(said)?
                .into_iter()
                .find(|r| r.release.version == version.trim())
                .map(|r| r.release.id);
            let req = DeployRequest { environment_id: env, release_id, version, build_ref, decisions: decisions(&overrides)?, accept_warnings: yes };
            let now = Utc::now();
            let checks = engine::preflight(&store, &keychain, &req, now, Local::now().date_naive()).map_err(said)?;
            eprintln!("Preflight:");
            print_checks(&checks);
            match engine::start(&store, &keychain, &req, &who, now, Local::now().date_naive()) {
                Ok(job) => execute(store, &keychain, job).await,
                Err(liftoff_core::deploy::DeployError::PreflightFailed(checks)) => {
                    if checks.iter().any(|c| c.blocks()) {
                        eprintln!("liftoff: the deploy did not start: a check failed. Fix it, or override it with --override CHECK=WHO:WHY where allowed.");
                    } else {
                        eprintln!("liftoff: the deploy did not start: confirm the warning with --yes.");
                    }
                    Ok(ExitCode::from(3))
                }
                Err(e) => Err(said(e)),
            }
        }
        Command::Rollback { project, environment, overrides, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            let decisions = decisions(&overrides)?;
            match engine::start_rollback(&store, &keychain, &env, &decisions, &who, Utc::now(), Local::now().date_naive()) {
                Ok(job) => {
                    eprintln!("Preflight:");
                    print_checks(&job.run.preflight);
                    execute(store, &keychain, job).await
                }
                Err(liftoff_core::deploy::DeployError::PreflightFailed(checks)) => {
                    print_checks(&checks);
                    eprintln!("liftoff: the rollback did not start: a check failed. Override it with --override CHECK=WHO:WHY where allowed.");
                    Ok(ExitCode::from(3))
                }
                Err(e) => Err(said(e)),
            }
        }
    }
}

/// Runs the job, printing its masked log; Ctrl-C cancels it (the process
/// tree gets TERM, then KILL).
async fn execute(store: Arc<Store>, keychain: &Keychain, job: Job) -> Result<ExitCode, String> {
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("liftoff: cancelling the run…");
            on_interrupt.cancel();
        }
    });
    eprintln!("Run {} started.", job.run.id);
    let mut sink = |lines: &[runs::LogLine]| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for l in lines {
            let _ = match l.stream {
                LogStream::Liftoff => writeln!(out, "» {}", l.text),
                _ => writeln!(out, "{}", l.text),
            };
        }
    };
    let mut on_next = |next: &runs::Run| eprintln!("Smoke checks failed: rolling back by itself (run {}).", next.id);
    let runs = engine::execute_with_rollback(store, keychain, job, cancel, Timing::default(), &mut sink, &mut on_next).await;
    let first = &runs[0];
    eprintln!("{}: {}", first.state.label(), first.outcome);
    Ok(if first.state == RunState::Succeeded { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
