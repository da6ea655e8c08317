//! The command line as a CI job or a terminal uses it: the real
//! `liftoff-cli` binary on a real database, real child processes, real
//! signals. Each promise the README makes about it is here: kill -9 is
//! recovered by the next command, SIGINT/SIGTERM/SIGHUP cancel cleanly with
//! no process left, racing deploys start one run and the loser always says
//! the same thing, exit codes are the README's table, and the binary needs
//! no window libraries.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use liftoff_core::deploy::procs;
use liftoff_core::deploy::runs::{self, RunQuery};
use liftoff_core::deploy::target::{self, CommandSpec, TargetSettings};
use liftoff_core::deploy::RunState;
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::Store;

const BIN: &str = env!("CARGO_BIN_EXE_liftoff-cli");

struct Data {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    project_id: String,
}

impl Data {
    /// A project "Shop" whose staging deploys with `step` (a shell line).
    fn new(step: &str) -> Data {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Shop".into(), description: String::new(), repository: dir.path().display().to_string(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        let data = Data { dir, store, project_id: project.id };
        data.set_step(step);
        data
    }

    fn staging(&self) -> String {
        liftoff_core::environments::list(&self.store, &self.project_id).unwrap().into_iter().find(|e| e.name == "staging").unwrap().id
    }

    fn set_step(&self, step: &str) {
        let settings = TargetSettings::local_command(CommandSpec { program: step.into(), args: Vec::new(), through_shell: true, timeout_secs: 120 });
        target::set(&self.store, &self.staging(), &settings, Utc::now()).unwrap();
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        // Global options before the subcommand, as a script may write them.
        c.arg("--data-dir").arg(self.dir.path()).args(args).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn deploy(&self, version: &str) -> Child {
        self.cmd(&["deploy", "--project", "Shop", "--env", "staging", "--version", version]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
    }

    fn runs(&self) -> Vec<runs::Run> {
        runs::list(&self.store, &self.project_id, &RunQuery::default()).unwrap()
    }

    fn ready(&self) -> PathBuf {
        self.dir.path().join("ready")
    }

    fn audit(&self) -> Vec<(String, String)> {
        let conn = rusqlite::Connection::open(self.store.db_path()).unwrap();
        let mut stmt = conn.prepare("SELECT action, actor FROM audit_log ORDER BY id").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn wait_for(path: &Path) {
    let until = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(Instant::now() < until, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A step that starts a `setsid` daemon and a TERM-ignoring grandchild,
/// says it is ready, and waits.
fn stubborn_step(ready: &Path) -> String {
    format!(
        "setsid sh -c 'sleep 71' >/dev/null 2>&1 < /dev/null & sh -c 'trap \"\" TERM; sleep 72' & sleep 0.2; touch {}; sleep 60",
        ready.display()
    )
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(child.id() as i32, sig) };
}

#[test]
fn kill_9_of_a_deploy_is_recovered_by_the_next_command_and_the_next_deploy_stops_the_leftovers() {
    let d = Data::new("true");
    d.set_step(&stubborn_step(&d.ready()));
    let mut child = d.deploy("1.0");
    wait_for(&d.ready());
    let run = d.runs().remove(0);
    assert_eq!(run.state, RunState::Running);
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    assert!(!procs::of_run(Some(&run.id), None).is_empty(), "the step's processes outlive a kill -9");

    let listed = d.run(&["runs", "--project", "Shop"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
    let out = text(&listed);
    assert!(out.contains(&format!("(run {}) was interrupted", run.id)), "{out}");
    assert!(out.contains(&format!("LEFT RUNNING by the interrupted run {}", run.id)), "{out}");
    assert_eq!(runs::get(&d.store, &run.id).unwrap().state, RunState::Interrupted);
    assert!(runs::status(&d.store, &d.project_id).unwrap()[1].lock.is_none(), "the lock is free");

    d.set_step("echo second");
    let next = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", "1.1"]);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next));
    assert!(text(&next).contains(&format!("left running by the interrupted run {}", run.id)), "{}", text(&next));
    assert_eq!(procs::of_run(Some(&run.id), None), vec![], "0 processes of the killed run left");
}

#[test]
fn liftoff_cancel_stops_what_a_killed_deploy_left_running() {
    let d = Data::new("true");
    d.set_step(&stubborn_step(&d.ready()));
    let mut child = d.deploy("1.0");
    wait_for(&d.ready());
    let run_id = d.runs().remove(0).id;
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    assert!(!procs::of_run(Some(&run_id), None).is_empty(), "its processes outlive the kill");
    let out = d.run(&["cancel", "--run", &run_id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Stopped what the interrupted run"), "{}", text(&out));
    assert_eq!(runs::get(&d.store, &run_id).unwrap().state, RunState::Interrupted);
    assert_eq!(procs::of_run(Some(&run_id), None), vec![], "0 processes left");
    assert!(d.audit().iter().any(|(a, _)| a == "deploy.leftoverStopped"));
}

#[test]
fn sigint_sigterm_and_sighup_cancel_the_run_cleanly_and_stop_every_process() {
    for (sig, name, code) in [(libc::SIGINT, "SIGINT", 130), (libc::SIGTERM, "SIGTERM", 143), (libc::SIGHUP, "SIGHUP", 129)] {
        let d = Data::new("true");
        d.set_step(&stubborn_step(&d.ready()));
        let child = d.deploy("1.0");
        wait_for(&d.ready());
        let run_id = d.runs().remove(0).id;
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{name}: {}", text(&out));
        let run = runs::get(&d.store, &run_id).unwrap();
        assert_eq!(run.state, RunState::Cancelled, "{name}");
        assert!(run.outcome.contains(&format!("Cancelled by {name} to the command line")), "{name}: {}", run.outcome);
        assert_eq!(procs::of_run(Some(&run_id), None), vec![], "{name}: 0 processes left");
        assert!(runs::status(&d.store, &d.project_id).unwrap()[1].lock.is_none(), "{name}: the lock is free");
    }
}

#[test]
fn a_signal_cancels_a_rollback_as_it_does_a_deploy() {
    let d = Data::new("true");
    for v in ["1.0", "1.1"] {
        let out = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", v]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    d.set_step(&stubborn_step(&d.ready()));
    let child = d.cmd(&["rollback", "--project", "Shop", "--env", "staging"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for(&d.ready());
    let run = d.runs().remove(0);
    assert_eq!((run.kind, run.version.as_str()), (liftoff_core::deploy::RunKind::Rollback, "1.0"));
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out));
    let run = runs::get(&d.store, &run.id).unwrap();
    assert_eq!(run.state, RunState::Cancelled);
    assert!(run.outcome.contains("Cancelled by SIGTERM to the command line"), "{}", run.outcome);
    assert_eq!(procs::of_run(Some(&run.id), None), vec![]);
    assert!(runs::status(&d.store, &d.project_id).unwrap()[1].lock.is_none());
}

#[test]
fn liftoff_cancel_stops_a_deploy_run_by_another_process() {
    let d = Data::new("true");
    d.set_step(&stubborn_step(&d.ready()));
    let child = d.deploy("1.0");
    wait_for(&d.ready());
    let run_id = d.runs().remove(0).id;
    let cancelled = d.run(&["cancel", "--project", "Shop", "--env", "staging"]);
    assert_eq!(cancelled.status.code(), Some(5), "{}", text(&cancelled));
    assert!(text(&cancelled).contains("cancelled"), "{}", text(&cancelled));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(5), "the deploying process exits as cancelled: {}", text(&out));
    assert_eq!(procs::of_run(Some(&run_id), None), vec![]);
    assert!(d.audit().iter().any(|(a, _)| a == "deploy.cancelRequested"));
    let again = d.run(&["cancel", "--run", &run_id]);
    assert_eq!(again.status.code(), Some(2), "an ended run: {}", text(&again));
}

#[test]
fn racing_deploys_start_exactly_one_run_and_the_loser_always_says_who_holds_it() {
    let d = Data::new("sleep 0.4");
    for round in 0..50 {
        let (a, b) = (d.deploy(&format!("{round}.a")), d.deploy(&format!("{round}.b")));
        let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
        let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
        let winners = codes.iter().filter(|c| **c == Some(0)).count();
        // Both may run one after the other when one ends before the other
        // looks; never both at once, and a loser is always refused alike.
        for o in outs.iter().filter(|o| o.status.code() != Some(0)) {
            assert_eq!(o.status.code(), Some(4), "round {round}: {}", text(o));
            let said = String::from_utf8_lossy(&o.stderr);
            assert!(said.contains("staging is busy:") && said.contains("is deploying"), "round {round}: {said}");
            assert!(!said.contains("a check failed"), "round {round}: {said}");
        }
        assert!(winners >= 1, "round {round}: {codes:?}");
    }
    let all = d.runs();
    let mut spans: Vec<(String, String)> = all.iter().map(|r| (r.started_at.clone(), r.ended_at.clone().unwrap())).collect();
    spans.sort();
    assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "no two runs overlapped");
}

#[test]
fn exit_codes_follow_the_readme_table() {
    let d = Data::new("echo fine");
    let ok = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", "1.0"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    d.set_step("exit 3");
    let failed = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", "1.1"]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let usage = d.run(&["deploy", "--project", "Nope", "--env", "staging", "--version", "1.1"]);
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
    let bad_option = d.run(&["deploy", "--bogus"]);
    assert_eq!(bad_option.status.code(), Some(2));
    d.set_step("true");
    let mut s = target::get(&d.store, &d.staging()).unwrap().unwrap().settings;
    s.command = CommandSpec { program: "./not-there.sh".into(), args: Vec::new(), through_shell: false, timeout_secs: 60 };
    target::set(&d.store, &d.staging(), &s, Utc::now()).unwrap();
    let refused = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", "1.2"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(text(&refused).contains("not-there.sh"), "{}", text(&refused));
    d.set_step("true");
    let locked = d.run(&["lock", "--project", "Shop", "--env", "staging", "--reason", "Database maintenance"]);
    assert_eq!(locked.status.code(), Some(0), "{}", text(&locked));
    let busy = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", "1.3"]);
    assert_eq!(busy.status.code(), Some(4), "{}", text(&busy));
    assert!(text(&busy).contains("Database maintenance"), "{}", text(&busy));
}

#[test]
fn the_window_s_marker_outlives_command_line_processes_and_its_crash_is_checked() {
    let d = Data::new("true");
    // `d.store` stands for the open window; 20 command-line deploys come and go.
    for i in 0..20 {
        let out = d.run(&["deploy", "--project", "Shop", "--env", "staging", "--version", &format!("1.{i}")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(!text(&out).contains("was checked"), "{}", text(&out));
    }
    let marks = std::fs::read_dir(d.dir.path().join("liftoff.db.open.d")).unwrap().count();
    assert_eq!(marks, 1, "only the window's marker is left");
    let Data { dir, store, .. } = d;
    Arc::into_inner(store).unwrap().abandon_for_tests();
    let out = Command::new(BIN).args(["runs", "--project", "Shop", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("ended without closing the database, so it was checked"), "{}", text(&out));
}

#[test]
fn the_command_line_binary_needs_no_window_libraries() {
    let out = Command::new("ldd").arg(BIN).output().unwrap();
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{libs}");
    for gui in ["webkit", "gtk", "gdk", "javascriptcore", "soup", "X11", "wayland"] {
        assert!(!libs.to_lowercase().contains(&gui.to_lowercase()), "{gui} in:\n{libs}");
    }
}
