//! The command-line face of Liftoff, for scripts, CI machines and servers:
//! the same core and the same database as the window, so it shares the
//! deploy locks, and what it does shows up live in an open window. It
//! depends on `liftoff-core` alone (no WebKitGTK, no display): the
//! `liftoff-cli` binary is this crate, and the app's `liftoff` binary runs
//! the same code for its subcommands.
//!
//! Every command first recovers runs whose process died (they become
//! interrupted, their locks free, what they left running reported), as the
//! window does at start. `deploy` and `rollback` print the masked log; a
//! SIGINT, SIGTERM or SIGHUP cancels the run cleanly (its whole process
//! tree stopped, the run recorded as cancelled naming the signal, the lock
//! freed). Exit codes are [`Exit`]'s, one table in the README.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Local, Utc};
use clap::{Parser, Subcommand};
use liftoff_core::audit::{local_user, Actor};
use liftoff_core::deploy::engine::{self, Job, RunEvent, Timing};
use liftoff_core::deploy::procs::Proc;
use liftoff_core::deploy::runs::{self, Interrupted, LogStream, RunQuery};
use liftoff_core::deploy::{CheckOutcome, Decision, DeployError, DeployRequest, PreflightCheck, RunState};
use liftoff_core::monitor::evidence::{self, EvidenceOptions};
use liftoff_core::projects::{self, Project, ProjectQuery};
use liftoff_core::rules::Kind;
use liftoff_core::secrets::Keychain;
use liftoff_core::Store;
use tokio_util::sync::CancellationToken;

/// Where Liftoff keeps its data, when set (the window reads it too).
pub const DATA_DIR_ENV: &str = "LIFTOFF_DATA_DIR";

/// The subcommands; `liftoff` with none of them opens the window.
pub const SUBCOMMANDS: [&str; 13] = ["deploy", "runs", "cancel", "lock", "unlock", "rollback", "projects", "schedule", "freeze-check", "freeze-sync", "follow", "evidence", "help"];

/// The exit codes, the same for every command (README, "Command line").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; a run succeeded (verified).
    Ok = 0,
    /// A run ended without verifying: failed, failed verification, timed
    /// out; `evidence verify`: the file is not intact.
    RunFailed = 1,
    /// Bad arguments: an unknown option, project, environment or person.
    Usage = 2,
    /// Preflight refused: a check failed (not the lock) or a warning was
    /// not confirmed with `--yes`.
    Refused = 3,
    /// The environment is busy (another run) or locked by hand.
    Busy = 4,
    /// The run was cancelled (from the window or `liftoff cancel`). A run
    /// cancelled by a signal to this process exits 128 + the signal's
    /// number instead: 129 SIGHUP, 130 SIGINT, 143 SIGTERM.
    Cancelled = 5,
    /// Liftoff could not do its work: the database, the keychain, the data
    /// folder.
    Failed = 6,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Writes to standard error, ignoring a closed terminal (after SIGHUP a
/// write fails, and `eprintln!` would panic mid-cancel).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes to standard output, ignoring a closed terminal or pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(name = "liftoff", version, about = "Liftoff from the command line: deploy, roll back, cancel, lock and list runs, on the same database as the window.")]
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
    /// Cancel a running deploy (by its id, or the one running on an
    /// environment), and wait until it has stopped. For an interrupted run,
    /// stop the processes it left running.
    Cancel {
        /// The run's id, as `liftoff runs` and the window show it.
        #[arg(long, conflicts_with_all = ["project", "environment"])]
        run: Option<String>,
        #[arg(long, requires = "environment")]
        project: Option<String>,
        #[arg(long = "env", requires = "project")]
        environment: Option<String>,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// List a project's runs, newest first, and what interrupted runs left running.
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
    /// Deploys at a later time: list, add, cancel; run the due ones (what
    /// the OS timer calls every minute); install or remove that timer.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Follow again the deploys that go on on their CI/CD engine while no
    /// Liftoff process follows them (their Liftoff was closed or killed):
    /// each is taken over and run to its end, smoke checks and all, as the
    /// window does at start. Exits like `deploy` (0 when each succeeded).
    Follow {
        /// Only this run (by default every such run).
        #[arg(long)]
        run: Option<String>,
    },
    /// Whether a freeze holds the environment now: exits 3 inside a freeze
    /// (naming it and when it ends), 0 outside. For a pipeline's first step,
    /// so that a deploy started by hand on the CI engine also stops there.
    FreezeCheck {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: String,
    },
    /// Bring GitLab's deploy freeze periods in step with Liftoff's freezes
    /// (of one project, or all): says per freeze whether it is one
    /// repeating cron pair or dated pairs, and why. Exits 6 when a GitLab
    /// could not be brought in step.
    FreezeSync {
        #[arg(long)]
        project: Option<String>,
    },
    /// A release's evidence file for auditors: export it, or verify one.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Write the release's evidence file and print its head hash (recorded
    /// in the release's audit log): paste it into the change ticket.
    Export {
        #[arg(long)]
        project: String,
        /// The release's version.
        #[arg(long)]
        release: String,
        /// Where to write it (default: evidence-VERSION.json here).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Include each run's masked log (its SHA-256 is always there).
        #[arg(long)]
        with_logs: bool,
        /// Include the recipients of each announcement send.
        #[arg(long)]
        with_addresses: bool,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// Check a file's chain of hashes: exits 0 when intact, 1 naming the
    /// first entry changed. With --head (the hash recorded at export) an
    /// entry cut from the end is caught too.
    Verify {
        file: PathBuf,
        #[arg(long)]
        head: Option<String>,
    },
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// List the scheduled deploys (of one project, or all), soonest first.
    List {
        #[arg(long)]
        project: Option<String>,
    },
    /// Schedule a deploy: preflight runs again at its time.
    Add {
        #[arg(long)]
        project: String,
        #[arg(long = "env")]
        environment: String,
        #[arg(long)]
        version: String,
        #[arg(long, default_value = "")]
        build_ref: String,
        /// When: RFC 3339 (2026-12-08T06:00:00+01:00) or "in 10m", "in 2h".
        #[arg(long)]
        at: String,
        /// The latest start, as --at (default: the release's window end, else an hour after --at).
        #[arg(long)]
        until: Option<String>,
        #[arg(long, default_value = "")]
        why: String,
        #[arg(long = "override", value_name = "CHECK=WHO:WHY")]
        overrides: Vec<String>,
        /// Go ahead despite warnings at that time (such as outside the planned window).
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// Cancel a scheduled deploy that has not started.
    Cancel {
        #[arg(long)]
        id: String,
        #[arg(long)]
        as_person: Option<String>,
    },
    /// Start every deploy whose time has come, and run it to its end.
    RunDue,
    /// Install the per-user OS timer that runs `run-due` every minute.
    InstallTimer,
    /// Remove that timer.
    RemoveTimer,
}

/// A command that could not be carried out: what to print, and the exit code.
struct Stop(Exit, String);

impl Stop {
    fn usage(m: impl Into<String>) -> Stop {
        Stop(Exit::Usage, m.into())
    }
}

/// An error for the terminal: its message, and the technical text behind it
/// (which the window keeps behind "Details") on the next line; its exit
/// code by kind.
fn said<E: Kind>(e: E) -> Stop {
    let text = match e.detail() {
        Some(detail) => format!("{e}\n  ({detail})"),
        None => e.to_string(),
    };
    let code = match e.kind() {
        liftoff_core::rules::ErrorKind::Invalid | liftoff_core::rules::ErrorKind::NotFound => Exit::Usage,
        liftoff_core::rules::ErrorKind::Conflict => Exit::Busy,
        _ => Exit::Failed,
    };
    Stop(code, text)
}

/// The command-line arguments, without the values of the global options
/// (`--data-dir D` or `--data-dir=D`), in order.
fn words(args: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args.iter().skip(1) {
        if skip {
            skip = false;
            continue;
        }
        if a == "--data-dir" {
            skip = true;
            continue;
        }
        if a.starts_with("--data-dir=") {
            continue;
        }
        out.push(a.as_str());
    }
    out
}

/// Whether these arguments ask for the command line rather than the window:
/// a subcommand or help/version, wherever the global options stand.
pub fn wanted(args: &[String]) -> bool {
    words(args).first().is_some_and(|a| SUBCOMMANDS.contains(a) || matches!(*a, "--help" | "-h" | "--version" | "-V"))
}

/// The data folder given as `--data-dir` to the window, if any.
pub fn given_data_dir(args: &[String]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--data-dir" {
            return it.next().map(PathBuf::from);
        }
        if let Some(d) = a.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(d));
        }
    }
    None
}

pub fn main() -> ExitCode {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).try_init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            say!("liftoff: could not start ({e})");
            return Exit::Failed.into();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(Stop(code, message)) => {
            say!("liftoff: {message}");
            code.into()
        }
    }
}

fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, Stop> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => dirs::data_dir()
            .map(|d| d.join("dev.liftoff.app"))
            .ok_or_else(|| Stop::usage(format!("this computer has no app data folder; give --data-dir or set {DATA_DIR_ENV}"))),
    }
}

fn project_named(store: &Store, name: &str) -> Result<Project, Stop> {
    let all = projects::list(store, &ProjectQuery { text: String::new(), include_archived: true }).map_err(said)?;
    all.into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| Stop::usage(format!("no project is called “{name}”. `liftoff projects` lists them.")))
}

fn environment_id(store: &Store, project: &Project, name: &str) -> Result<String, Stop> {
    let envs = liftoff_core::environments::list(store, &project.id).map_err(said)?;
    let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    envs.into_iter()
        .find(|e| e.name.eq_ignore_ascii_case(name.trim()))
        .map(|e| e.id)
        .ok_or_else(|| Stop::usage(format!("{} has no environment called “{name}”; it has {}.", project.name, names.join(", "))))
}

fn actor(store: &Store, project: &Project, person: Option<&str>) -> Result<Actor, Stop> {
    let person_id = match person {
        None => None,
        Some(name) => {
            let people = liftoff_core::people::list(store, &project.id).map_err(said)?;
            Some(
                people
                    .into_iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
                    .map(|p| p.id)
                    .ok_or_else(|| Stop::usage(format!("{} has no person called “{name}”.", project.name)))?,
            )
        }
    };
    Actor::resolve(&*store.reader().map_err(said)?, &project.id, person_id.as_deref(), &local_user()).map_err(said)
}

/// The project's release with this version, if it has one.
fn release_of_version(store: &Store, project: &Project, version: &str) -> Result<Option<String>, Stop> {
    let releases = liftoff_core::release::list(store, &project.id, None).map_err(said)?;
    Ok(releases.into_iter().find(|r| r.release.version == version.trim()).map(|r| r.release.id))
}

fn decisions(overrides: &[String]) -> Result<Vec<Decision>, Stop> {
    overrides
        .iter()
        .map(|o| {
            let bad = || Stop::usage(format!("--override {o}: write CHECK=WHO:WHY, such as freeze=Dana:Outage fix"));
            let (check, rest) = o.split_once('=').ok_or_else(bad)?;
            let (who, why) = rest.split_once(':').ok_or_else(bad)?;
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
        say!("  [{mark:>10}] {}: {}", c.label, c.reason);
    }
}

/// Why a run did not start, said once, with its exit code: the lock's
/// holder when the environment is busy (whichever check saw it first),
/// else each check that refused.
fn refusal(what: &str, checks: &[PreflightCheck]) -> Stop {
    if let Some(lock) = checks.iter().find(|c| c.key == "lock" && c.blocks()) {
        return Stop(Exit::Busy, format!("the {what} did not start: {}", lock.reason));
    }
    let failed: Vec<String> = checks.iter().filter(|c| c.blocks()).map(|c| format!("{} ({})", c.label, c.reason)).collect();
    if failed.is_empty() {
        Stop(Exit::Refused, format!("the {what} did not start: confirm the warning with --yes."))
    } else {
        Stop(Exit::Refused, format!("the {what} did not start: {}. Fix it, or override it with --override CHECK=WHO:WHY where allowed.", failed.join("; ")))
    }
}

fn start_error(what: &str, e: DeployError) -> Stop {
    match e {
        DeployError::PreflightFailed(checks) => refusal(what, &checks),
        DeployError::Locked(message) => Stop(Exit::Busy, format!("the {what} did not start: {message}")),
        other => said(other),
    }
}

/// Tells what interrupted runs left behind (their processes still running).
fn report_interrupted(found: &[Interrupted]) {
    for i in found {
        say!(
            "liftoff: the {} of {} to {} (run {}) was interrupted: the process running it ended before it did. It is marked interrupted and {} is unlocked.",
            i.run.kind.as_str(),
            i.run.version,
            i.run.environment_name,
            i.run.id,
            i.run.environment_name
        );
        report_leftovers(i);
    }
}

/// `liftoff evidence export`: writes the file, prints the head hash on
/// standard output (what a script keeps) and how to check it on standard error.
fn export_evidence(store: &Store, project: &str, version: &str, out: Option<PathBuf>, options: EvidenceOptions, person: Option<&str>) -> Result<ExitCode, Stop> {
    let project = project_named(store, project)?;
    let release_id = release_of_version(store, &project, version)?
        .ok_or_else(|| Stop::usage(format!("{} has no release {version}.", project.name)))?;
    let who = actor(store, &project, person)?;
    let path = out.unwrap_or_else(|| PathBuf::from(evidence::file_name(version.trim())));
    let path = std::path::absolute(&path).map_err(|e| Stop::usage(format!("{} is not a path to write to: {e}", path.display())))?;
    let exported = evidence::export(store, &release_id, options, &who, Utc::now(), |text| liftoff_core::files::write_replacing(&path, text.as_bytes()))
        .map_err(said)?;
    say!(
        "Wrote {} ({} entries). Its head hash is recorded in the release's audit log; paste it into the change ticket. Anyone can check the file with:\n  liftoff evidence verify {} --head {}",
        path.display(),
        exported.entries,
        path.display(),
        exported.head
    );
    out!("{}", exported.head);
    Ok(Exit::Ok.into())
}

/// `liftoff evidence verify`: exit 0 intact, 1 not intact (the first entry
/// changed named), 2 when the file cannot be read.
fn verify_evidence(file: &std::path::Path, head: Option<&str>) -> Result<ExitCode, Stop> {
    let text = std::fs::read_to_string(file).map_err(|e| Stop::usage(format!("{} cannot be read: {e}", file.display())))?;
    let v = evidence::verify(&text, head);
    out!("{}", v.words());
    Ok(if v.intact { Exit::Ok } else { Exit::RunFailed }.into())
}

/// `liftoff freeze-check`: the freeze that holds the environment now, if
/// any (the same calendar preflight reads), else the next one this week.
fn freeze_check(store: &Store, project: &str, environment: &str) -> Result<ExitCode, Stop> {
    let project = project_named(store, project)?;
    let env = environment_id(store, &project, environment)?;
    let now = Utc::now();
    let (found, _) = liftoff_core::planning::windows::occurrences(store, &project.id, now - chrono::Duration::days(1), now + chrono::Duration::days(7)).map_err(said)?;
    let mut freezes: Vec<_> = found.into_iter().filter(|o| o.freezes(&env)).collect();
    freezes.sort_by(|a, b| a.start.cmp(&b.start));
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).map(|d| d.with_timezone(&Utc)).ok();
    let holding = freezes.iter().filter(|o| at(&o.start).is_some_and(|s| s <= now) && at(&o.end).is_some_and(|e| e > now)).max_by(|a, b| a.end.cmp(&b.end));
    if let Some(f) = holding {
        let why = if f.reason.is_empty() { String::new() } else { format!(" ({})", f.reason) };
        out!("FROZEN: {environment} of {} is in the freeze “{}”{why} until {}.", project.name, f.name, f.end);
        return Ok(Exit::Refused.into());
    }
    match freezes.iter().find(|o| at(&o.start).is_some_and(|s| s > now)) {
        Some(next) => out!("Not frozen: {environment} of {} may deploy now. The next freeze, “{}”, starts at {}.", project.name, next.name, next.start),
        None => out!("Not frozen: {environment} of {} may deploy now; no freeze in the next 7 days.", project.name),
    }
    Ok(Exit::Ok.into())
}

/// `liftoff follow`: takes over the runs whose CI/CD engine deploys with no
/// Liftoff process following them, and runs each to its end, one after
/// another. A run another live process follows is left to it.
async fn follow(store: &Arc<Store>, keychain: &Keychain, only: Option<&str>) -> Result<ExitCode, Stop> {
    let (jobs, notes) = engine::take_over_detached(store, keychain, Utc::now(), only);
    let could_not = notes.len() - jobs.len();
    for n in &notes {
        say!("liftoff: {n}");
    }
    if jobs.is_empty() {
        if could_not > 0 {
            return Ok(Exit::Refused.into());
        }
        return match only {
            Some(id) => Err(Stop::usage(format!("run {id} is not a deploy waiting to be followed: it ended, runs on this computer, or a live Liftoff process follows it (see `liftoff runs`)."))),
            None => {
                say!("No deploy goes on on a CI/CD engine without a Liftoff process following it.");
                Ok(Exit::Ok.into())
            }
        };
    }
    let mut worst: Option<ExitCode> = None;
    for job in jobs {
        let (code, state) = execute_run(store.clone(), keychain, job).await?;
        if state != RunState::Succeeded && worst.is_none() {
            worst = Some(code);
        }
    }
    Ok(worst.unwrap_or_else(|| if could_not > 0 { Exit::Refused.into() } else { Exit::Ok.into() }))
}

fn report_leftovers(i: &Interrupted) {
    if !i.leftovers.is_empty() {
        say!(
            "liftoff: its processes are still running: {}. Stop them with `liftoff cancel --run {}`; the next deploy to {} stops them too.",
            Proc::describe(&i.leftovers),
            i.run.id,
            i.run.environment_name
        );
    }
}

async fn run(cli: Cli) -> Result<ExitCode, Stop> {
    // An auditor verifies a file without any Liftoff database.
    if let Command::Evidence(EvidenceCommand::Verify { file, head }) = &cli.command {
        return verify_evidence(file, head.as_deref());
    }
    let dir = data_dir(cli.data_dir)?;
    if !dir.join(liftoff_core::store::DB_FILE).exists() {
        return Err(Stop::usage(format!("there is no Liftoff database in {} yet. Open Liftoff once, or give --data-dir.", dir.display())));
    }
    let opened = Store::open_or_recover(&dir, Utc::now()).map_err(said)?;
    for w in &opened.warnings {
        say!("liftoff: {w}");
    }
    if opened.checked_after_crash {
        say!("liftoff: a Liftoff process ended without closing the database, so it was checked first{}.", if opened.recovery.is_some() { " and recovered from a backup" } else { ": it is sound" });
    }
    let store = Arc::new(opened.store);
    // Every entry point: runs whose process died are recovered before
    // anything else is done (cheap when nothing is running).
    report_interrupted(&runs::recover_interrupted(&store, Utc::now()).map_err(said)?);
    let keychain = Keychain::os();
    let code = match cli.command {
        Command::Projects => {
            for p in projects::list(&store, &ProjectQuery { text: String::new(), include_archived: false }).map_err(said)? {
                out!("{}", p.name);
            }
            Ok(Exit::Ok.into())
        }
        Command::Runs { project, environment, limit } => {
            let project = project_named(&store, &project)?;
            let environment_id = environment.map(|e| environment_id(&store, &project, &e)).transpose()?;
            let list = runs::list(&store, &project.id, &RunQuery { environment_id, limit: Some(limit), ..RunQuery::default() }).map_err(said)?;
            out!("{:<36} {:<20} {:<12} {:<10} {:<10} {:<20} {:<20} BY", "RUN", "STARTED", "ENVIRONMENT", "VERSION", "KIND", "STATE", "ENDED");
            for r in list {
                out!(
                    "{:<36} {:<20} {:<12} {:<10} {:<10} {:<20} {:<20} {}",
                    r.id,
                    r.started_at,
                    r.environment_name,
                    r.version,
                    r.kind.as_str(),
                    r.state.label(),
                    r.ended_at.unwrap_or_default(),
                    r.started_by
                );
            }
            for i in runs::leftovers(&store, Some(&project.id)).map_err(said)? {
                out!("LEFT RUNNING by the interrupted run {} ({} of {} to {}): {}", i.run.id, i.run.kind.as_str(), i.run.version, i.run.environment_name, Proc::describe(&i.leftovers));
            }
            Ok(Exit::Ok.into())
        }
        Command::Lock { project, environment, reason, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            runs::lock(&store, &env, &reason, &who, Utc::now()).map_err(said)?;
            say!("{environment} is locked: {reason}");
            Ok(Exit::Ok.into())
        }
        Command::Unlock { project, environment, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            runs::unlock(&store, &env, &who, Utc::now()).map_err(said)?;
            say!("{environment} is unlocked.");
            Ok(Exit::Ok.into())
        }
        Command::Cancel { run, project, environment, as_person } => cancel(&store, run, project, environment, as_person).await,
        Command::Schedule(command) => schedule::run(&store, &keychain, &dir, command).await,
        Command::FreezeCheck { project, environment } => freeze_check(&store, &project, &environment),
        Command::Follow { run } => follow(&store, &keychain, run.as_deref()).await,
        Command::Evidence(EvidenceCommand::Export { project, release, out, with_logs, with_addresses, as_person }) => {
            export_evidence(&store, &project, &release, out, EvidenceOptions { with_logs, with_addresses }, as_person.as_deref())
        }
        Command::Evidence(EvidenceCommand::Verify { .. }) => unreachable!("verified before the database is opened"),
        Command::FreezeSync { project } => freeze_sync::run(&store, &keychain, project).await,
        Command::Deploy { project, environment, version, build_ref, overrides, yes, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            let release_id = release_of_version(&store, &project, &version)?;
            let req = DeployRequest { environment_id: env, release_id, version, build_ref, decisions: decisions(&overrides)?, accept_warnings: yes };
            let now = Utc::now();
            let checks = engine::preflight(&store, &keychain, &req, now, Local::now().date_naive()).map_err(said)?;
            say!("Preflight:");
            print_checks(&checks);
            let job = engine::start(&store, &keychain, &req, &who, now, Local::now().date_naive()).map_err(|e| start_error("deploy", e))?;
            execute(store.clone(), &keychain, job).await
        }
        Command::Rollback { project, environment, overrides, as_person } => {
            let project = project_named(&store, &project)?;
            let env = environment_id(&store, &project, &environment)?;
            let who = actor(&store, &project, as_person.as_deref())?;
            let decisions = decisions(&overrides)?;
            let job = match engine::start_rollback(&store, &keychain, &env, &decisions, &who, Utc::now(), Local::now().date_naive()) {
                Ok(job) => job,
                Err(DeployError::PreflightFailed(checks)) => {
                    say!("Preflight:");
                    print_checks(&checks);
                    return Err(refusal("rollback", &checks));
                }
                Err(e) => return Err(start_error("rollback", e)),
            };
            say!("Preflight:");
            print_checks(&job.run.preflight);
            execute(store.clone(), &keychain, job).await
        }
    };
    // The last one out folds the WAL back; others leave it to the last.
    store.close_cleanly();
    code
}

mod freeze_sync;
mod schedule;
pub mod timer;

/// `liftoff cancel`: asks the process that runs the run to stop it, and
/// waits until it has (its whole process tree: TERM, then KILL after the
/// grace period). An interrupted run's leftover processes are stopped here.
async fn cancel(store: &Arc<Store>, run: Option<String>, project: Option<String>, environment: Option<String>, as_person: Option<String>) -> Result<ExitCode, Stop> {
    let run = match (run, project, environment) {
        (Some(id), _, _) => runs::get(store, id.trim()).map_err(said)?,
        (None, Some(project), Some(environment)) => {
            let project = project_named(store, &project)?;
            let env = environment_id(store, &project, &environment)?;
            let list = runs::list(store, &project.id, &RunQuery { environment_id: Some(env), limit: Some(1), ..RunQuery::default() }).map_err(said)?;
            match list.into_iter().next() {
                Some(r) if r.state == RunState::Running || r.state == RunState::Interrupted => r,
                _ => return Err(Stop(Exit::Usage, format!("nothing is running on {environment}."))),
            }
        }
        _ => return Err(Stop::usage("say which run: --run ID, or --project P --env E")),
    };
    let project = projects::get(store, &run.project_id).map_err(said)?;
    let who = actor(store, &project, as_person.as_deref())?;
    if run.state == RunState::Interrupted {
        let (s, id) = (store.clone(), run.id.clone());
        let found = tokio::task::spawn_blocking(move || runs::stop_leftover(&s, &id, &who, Utc::now()))
            .await
            .map_err(|e| Stop(Exit::Failed, e.to_string()))?
            .map_err(said)?;
        if found.is_empty() {
            say!("The run {} was interrupted earlier and left nothing running.", run.id);
        } else {
            say!("Stopped what the interrupted run {} left running: {}.", run.id, Proc::describe(&found));
        }
        return Ok(Exit::Ok.into());
    }
    if run.state != RunState::Running {
        return Err(Stop(Exit::Usage, format!("that run already ended ({}).", run.state.label())));
    }
    runs::request_cancel(store, &run.id, &who, Utc::now()).map_err(said)?;
    say!("Asked the process running it to cancel the {} of {} on {}…", run.kind.as_str(), run.version, run.environment_name);
    // It picks the request up within a second, then stops the tree (the
    // grace period is 5 s); a run whose process died meanwhile is recovered.
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let s = store.clone();
        let _ = tokio::task::spawn_blocking(move || runs::recover_interrupted(&s, Utc::now())).await;
        let now = runs::get(store, &run.id).map_err(said)?;
        if now.state != RunState::Running {
            say!("{}: {}", now.state.label(), now.outcome);
            return Ok((if now.state == RunState::Cancelled { Exit::Cancelled } else { Exit::RunFailed }).into());
        }
        if std::time::Instant::now() > until {
            return Err(Stop(Exit::Failed, format!("the run {} has not stopped after 30 seconds; its process may be stuck. Look at it with `liftoff runs`.", run.id)));
        }
    }
}

/// The signals that cancel a run: Ctrl-C, and what CI runners, `timeout`,
/// systemd and a closed terminal send.
#[cfg(unix)]
async fn cancelling_signal() -> (&'static str, i32) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()), signal(SignalKind::hangup())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => ("SIGINT", 2),
        _ = term.recv() => ("SIGTERM", 15),
        _ = hup.recv() => ("SIGHUP", 1),
    }
}

#[cfg(not(unix))]
async fn cancelling_signal() -> (&'static str, i32) {
    match tokio::signal::ctrl_c().await {
        Ok(()) => ("Ctrl-C", 2),
        Err(_) => std::future::pending().await,
    }
}

/// Runs the job, printing its masked log; a cancelling signal stops it
/// (the process tree gets TERM, then KILL) and is recorded as who cancelled.
async fn execute(store: Arc<Store>, keychain: &Keychain, job: Job) -> Result<ExitCode, Stop> {
    execute_run(store, keychain, job).await.map(|(code, _)| code)
}

/// [`execute`], also giving the state the first run ended in.
async fn execute_run(store: Arc<Store>, keychain: &Keychain, job: Job) -> Result<(ExitCode, RunState), Stop> {
    let cancel = CancellationToken::new();
    let signalled = Arc::new(std::sync::Mutex::new(None::<i32>));
    let watcher = {
        let (cancel, signalled, store, run_id) = (cancel.clone(), signalled.clone(), store.clone(), job.run.id.clone());
        tokio::spawn(async move {
            let (name, number) = cancelling_signal().await;
            *signalled.lock().unwrap_or_else(|p| p.into_inner()) = Some(number);
            say!("liftoff: {name} received: cancelling the run…");
            // Recorded first, so the run's outcome names the signal.
            let who = Actor { person_id: None, name: format!("{name} to the command line") };
            let _ = tokio::task::spawn_blocking(move || runs::request_cancel(&store, &run_id, &who, Utc::now())).await;
            cancel.cancel();
            // Further signals while it stops are taken as the same request.
            loop {
                cancelling_signal().await;
            }
        })
    };
    say!("Run {} started.", job.run.id);
    let mut sink = |event: RunEvent| match event {
        RunEvent::Lines { lines, .. } => {
            let mut out = std::io::stdout().lock();
            for l in lines {
                let _ = match l.stream {
                    LogStream::Liftoff => writeln!(out, "» {}", l.text),
                    _ => writeln!(out, "{}", l.text),
                };
            }
        }
        RunEvent::Started { run } if run.kind != liftoff_core::deploy::RunKind::Deploy => {
            say!("Smoke checks failed: rolling back by itself (run {}).", run.id)
        }
        _ => {}
    };
    let runs = engine::execute_with_rollback(store, keychain, job, cancel, Timing::default(), &mut sink, &mut |_| {}).await;
    watcher.abort();
    let first = &runs[0];
    say!("{}: {}", first.state.label(), first.outcome);
    let signal = *signalled.lock().unwrap_or_else(|p| p.into_inner());
    let code = match (first.state, signal) {
        (RunState::Succeeded, _) => Exit::Ok.into(),
        (RunState::Cancelled, Some(n)) => ExitCode::from(128 + n as u8),
        (RunState::Cancelled, None) => Exit::Cancelled.into(),
        _ => Exit::RunFailed.into(),
    };
    Ok((code, first.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        std::iter::once("liftoff").chain(s.split_whitespace()).map(String::from).collect()
    }

    #[test]
    fn every_subcommand_is_one_the_app_binary_hands_to_the_command_line() {
        use clap::CommandFactory;
        for sub in Cli::command().get_subcommands() {
            assert!(SUBCOMMANDS.contains(&sub.get_name()), "`liftoff {}` would open the window instead: add it to SUBCOMMANDS", sub.get_name());
        }
    }

    #[test]
    fn global_options_may_stand_anywhere() {
        assert!(wanted(&args("deploy --project P")));
        assert!(wanted(&args("--data-dir /tmp/d deploy --project P")));
        assert!(wanted(&args("--data-dir=/tmp/d runs --project P")));
        assert!(wanted(&args("--help")));
        assert!(!wanted(&args("")));
        assert!(!wanted(&args("--data-dir /tmp/d")), "the window, on that folder");
        assert_eq!(given_data_dir(&args("--data-dir /tmp/d")), Some(PathBuf::from("/tmp/d")));
        assert_eq!(given_data_dir(&args("--data-dir=/x")), Some(PathBuf::from("/x")));
        // The folder may be named like a subcommand.
        assert!(!wanted(&args("--data-dir runs")));
    }
}
