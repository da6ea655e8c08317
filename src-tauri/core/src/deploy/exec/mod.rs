//! Runs one step of a deploy as a child process (see [`run_step`]).
//!
//! Guarantees:
//! - the step runs in a process group of its own, with no standard input,
//!   its output and errors read at once as they arrive; a timeout or a
//!   cancel stops the whole group and every process holding the run's
//!   cookie (TERM, then KILL after the grace period), grandchildren and
//!   daemons that left the group included (see [`procs`]);
//! - every line handed out is masked, stripped of terminal escape
//!   sequences, valid UTF-8 (bad bytes become U+FFFD), one line without
//!   its newline, at most [`MAX_PIECE`] bytes (a longer line comes in
//!   pieces); a progress line redrawn with `\r` comes as its last state
//!   (the bytes become lines in [`super::lines`]);
//! - secret values reach the step only through its environment, never its
//!   command line, a log line or an error message;
//! - a step that leaves a daemon behind holding its output open ends when
//!   the step's own process exits, after a short drain; whether the daemon
//!   is then stopped is the engine's choice (the target's setting);
//! - a step that cannot start says which of the working folder, the
//!   program or its permissions is wrong, before anything runs (`start.rs`).
//!
//! What differs between systems (process groups, signals) is in
//! [`super::os`].

mod start;

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::lines::Lines;
use super::os::{self, Signal};
use super::procs;
use crate::deploy::mask::{Masker, MASK, MIN_SECRET_CHARS};
use crate::secrets::SecretValue;

pub use super::lines::{LogLine, Stream, MAX_PIECE};
pub(crate) use start::check_program;

/// Between TERM and KILL, for callers with no reason to pick another.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
/// How long to keep reading after the step's process exits.
pub const DEFAULT_DRAIN: Duration = Duration::from_millis(300);
/// A step's time limit, for callers with no reason to pick another.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Bytes read at once from each pipe.
const READ_SIZE: usize = 64 * 1024;

/// What to run for one step.
#[derive(Debug)]
pub struct StepCommand {
    /// The program's path (relative paths from the working folder) or name
    /// (looked up on the PATH); with `through_shell`, the whole script.
    pub program: String,
    /// The program's arguments; with `through_shell`, the script's `$1`...
    pub args: Vec<String>,
    /// Run `/bin/sh -c <program> sh <args>...`.
    pub through_shell: bool,
    pub working_dir: PathBuf,
    /// Added to the inherited environment.
    pub env: Vec<(String, String)>,
    /// Also added to the environment; never on the command line, never
    /// logged (every line is masked with them, even if the caller's masker
    /// lacks them).
    pub secret_env: Vec<(String, SecretValue)>,
    /// From the start to TERM.
    pub timeout: Duration,
    /// From TERM to KILL.
    pub grace: Duration,
    /// After the step's process exits, how long to keep reading pipes that
    /// a process it left behind holds open.
    pub drain: Duration,
    /// The run's id: set as `LIFTOFF_RUN_ID`, by which the processes that
    /// leave the step's group are found and stopped too ([`procs`]).
    pub cookie: Option<String>,
}

impl StepCommand {
    /// A command with no arguments or environment and the default timeout,
    /// grace and drain.
    pub fn new(program: impl Into<String>, working_dir: impl Into<PathBuf>) -> StepCommand {
        StepCommand {
            program: program.into(),
            args: Vec::new(),
            through_shell: false,
            working_dir: working_dir.into(),
            env: Vec::new(),
            secret_env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            grace: DEFAULT_GRACE,
            drain: DEFAULT_DRAIN,
            cookie: None,
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepEnd {
    /// Its process exited with this code.
    Exited(i32),
    /// Its process was killed by this signal (not by Liftoff).
    Signalled(i32),
    /// Liftoff stopped it at its time limit.
    TimedOut,
    /// Liftoff stopped it on the cancel token.
    Cancelled,
    /// It did not start; the message says why and what to do.
    FailedToStart(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub end: StepEnd,
    /// The step's process id, which is also its process group's id.
    pub pid: Option<u32>,
    pub elapsed: Duration,
    /// Lines handed to `on_lines` (pieces of a long line count each).
    pub lines: u64,
    /// Whether stopping the step needed KILL (TERM did not suffice within
    /// the grace period).
    pub stopped_with_kill: bool,
}

impl StepOutcome {
    /// Exited with code 0.
    pub fn succeeded(&self) -> bool {
        self.end == StepEnd::Exited(0)
    }
}

/// Runs one step to its end: `on_start` gets the process id (= its group
/// id) once it has started, `on_lines` the output in batches, in the order
/// it arrived. Never panics on the child's behalf and never returns before
/// the step's process has exited (or, when it could not start, at once).
pub async fn run_step(
    cmd: &StepCommand,
    masker: &Masker,
    cancel: &CancellationToken,
    on_start: impl FnOnce(u32),
    on_lines: impl FnMut(Vec<LogLine>),
) -> StepOutcome {
    let started = Instant::now();
    // Values the caller's masker would let through are masked all the same.
    let missing: Vec<&str> = cmd
        .secret_env
        .iter()
        .map(|(_, v)| v.expose())
        .filter(|v| v.chars().count() >= MIN_SECRET_CHARS && masker.mask(v) != MASK)
        .collect();
    let extended;
    let masker = if missing.is_empty() {
        masker
    } else {
        extended = masker.extended(&missing);
        &extended
    };
    let failed = |message: String| StepOutcome {
        end: StepEnd::FailedToStart(masker.mask(&message).into_owned()),
        pid: None,
        elapsed: started.elapsed(),
        lines: 0,
        stopped_with_kill: false,
    };

    let working_dir = match start::check_working_dir(&cmd.working_dir) {
        Ok(dir) => dir,
        Err(message) => return failed(message),
    };
    let (program, args): (PathBuf, Vec<OsString>) = if cmd.through_shell {
        let mut args: Vec<OsString> = vec!["-c".into(), cmd.program.clone().into(), "sh".into()];
        args.extend(cmd.args.iter().map(OsString::from));
        (PathBuf::from("/bin/sh"), args)
    } else {
        match start::resolve_program(cmd, &working_dir) {
            Ok(path) => (path, cmd.args.iter().map(OsString::from).collect()),
            Err(message) => return failed(message),
        }
    };

    let mut command = Command::new(&program);
    command.args(&args).current_dir(&working_dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    os::own_group(&mut command);
    for (key, value) in &cmd.env {
        command.env(key, value);
    }
    for (key, value) in &cmd.secret_env {
        command.env(key, value.expose());
    }
    if let Some(cookie) = &cmd.cookie {
        command.env(procs::COOKIE, cookie);
    }
    let mut tries = 0;
    let mut child = loop {
        match command.spawn() {
            Ok(child) => break child,
            // A script written a moment ago may still be open for writing
            // in a process forked meanwhile: wait a little and try again.
            Err(e) if os::text_file_busy(&e) && tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => return failed(start::spawn_error(cmd, &program, &e)),
        }
    };
    let started = Instant::now();
    let pid = child.id().unwrap_or(0);
    on_start(pid);
    let mut guard = GroupGuard { pgid: pid, cookie: cmd.cookie.as_deref(), armed: true };
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        unreachable!("both pipes were asked for");
    };

    let mut lines = Lines::new(masker, on_lines);
    let mut out_buf = vec![0u8; READ_SIZE];
    let mut err_buf = vec![0u8; READ_SIZE];
    let (mut out_open, mut err_open) = (true, true);

    let far = started + Duration::from_secs(10 * 365 * 24 * 3600);
    let after = |from: Instant, wait: Duration| from.checked_add(wait).unwrap_or(far).min(far);
    let deadline = after(started, cmd.timeout);
    let mut exit: Option<Result<ExitStatus, String>> = None;
    let mut stop: Option<StepEnd> = None;
    // While stopping: TERM, then KILL, to the group and to every holder of
    // the run's cookie, on a blocking thread; done when none is left.
    let mut stopping: Option<tokio::task::JoinHandle<procs::Stopped>> = None;
    let mut group_done = false;
    let mut killed = false;
    let mut drain_until = far;
    let mut drained = false;

    enum Event {
        Cancel,
        Timeout,
        Stopped(Result<procs::Stopped, tokio::task::JoinError>),
        Drained,
        Exit(io::Result<ExitStatus>),
        Out(io::Result<usize>),
        Err(io::Result<usize>),
        Nothing,
    }

    loop {
        let reading = (out_open || err_open) && !drained;
        if exit.is_some() && (stop.is_none() || group_done) && !reading {
            break;
        }
        let event = tokio::select! {
            _ = cancel.cancelled(), if stop.is_none() => Event::Cancel,
            _ = sleep_until(deadline), if stop.is_none() && exit.is_none() => Event::Timeout,
            done = async { stopping.as_mut().expect("guarded").await }, if stopping.is_some() && !group_done => Event::Stopped(done),
            _ = sleep_until(drain_until), if exit.is_some() && reading => Event::Drained,
            status = child.wait(), if exit.is_none() => Event::Exit(status),
            n = out.read(&mut out_buf), if out_open && !drained => Event::Out(n),
            n = err.read(&mut err_buf), if err_open && !drained => Event::Err(n),
            else => Event::Nothing,
        };
        match event {
            Event::Cancel | Event::Timeout if exit.is_none() => {
                stop = Some(if matches!(event, Event::Cancel) { StepEnd::Cancelled } else { StepEnd::TimedOut });
                let (cookie, grace) = (cmd.cookie.clone(), cmd.grace);
                stopping = Some(tokio::task::spawn_blocking(move || procs::stop(cookie.as_deref(), Some(pid), grace)));
                if !os::GROUPS {
                    // No process groups here: the process only.
                    let _ = child.start_kill();
                }
            }
            // Cancelled while draining after the step exited: stop reading.
            Event::Cancel | Event::Timeout => drained = true,
            Event::Stopped(done) => {
                group_done = true;
                if let Ok(done) = done {
                    killed = done.killed;
                }
                stopping = None;
            }
            Event::Drained => drained = true,
            Event::Exit(status) => {
                exit = Some(status.map_err(|e| format!("Waiting for the step's process failed: {e}.")));
                drain_until = after(Instant::now(), cmd.drain);
                if stop.is_none() {
                    // What it left running is the engine's to judge.
                    guard.armed = false;
                }
            }
            Event::Out(Ok(n)) if n > 0 => lines.feed(Stream::Out, &out_buf[..n]),
            Event::Out(_) => out_open = false,
            Event::Err(Ok(n)) if n > 0 => lines.feed(Stream::Err, &err_buf[..n]),
            Event::Err(_) => err_open = false,
            Event::Nothing => break,
        }
    }
    guard.armed = false;
    lines.finish();

    let end = match (stop, exit) {
        (Some(why), _) => why,
        (None, Some(Ok(status))) => end_of(status),
        (None, Some(Err(message))) => StepEnd::FailedToStart(masker.mask(&message).into_owned()),
        (None, None) => StepEnd::FailedToStart("The step's process could not be followed.".into()),
    };
    StepOutcome { end, pid: Some(pid), elapsed: started.elapsed(), lines: lines.count(), stopped_with_kill: killed }
}

fn end_of(status: ExitStatus) -> StepEnd {
    match (status.code(), os::exit_signal(&status)) {
        (Some(code), _) => StepEnd::Exited(code),
        (None, Some(signal)) => StepEnd::Signalled(signal),
        (None, None) => StepEnd::Exited(-1),
    }
}

/// Kills the step's processes (its group and the run's cookie holders)
/// with KILL if `run_step`'s future is dropped while the step runs.
struct GroupGuard<'a> {
    pgid: u32,
    cookie: Option<&'a str>,
    armed: bool,
}

impl Drop for GroupGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            os::signal_group(self.pgid, Signal::Kill);
            if self.cookie.is_some() {
                procs::stop(self.cookie, Some(self.pgid), Duration::ZERO);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::lines::{BATCH, LINE_CAP};
    use crate::deploy::procs::group_alive;
    use std::path::Path;

    pub(super) const SECRET: &str = "s3cr3t-T0ken-value";

    pub(super) fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    }

    pub(super) fn command(dir: &Path, program: &str) -> StepCommand {
        let mut cmd = StepCommand::new(program, dir);
        cmd.timeout = Duration::from_secs(20);
        cmd.grace = Duration::from_secs(2);
        cmd
    }

    pub(super) struct Ran {
        pub(super) outcome: StepOutcome,
        pub(super) lines: Vec<LogLine>,
        batches: Vec<usize>,
        pub(super) started: Option<u32>,
    }

    impl Ran {
        fn texts(&self) -> Vec<&str> {
            self.lines.iter().map(|l| l.text.as_str()).collect()
        }
    }

    pub(super) async fn run(cmd: &StepCommand, masker: &Masker) -> Ran {
        run_cancellable(cmd, masker, &CancellationToken::new(), |_| {}).await
    }

    async fn run_cancellable(cmd: &StepCommand, masker: &Masker, cancel: &CancellationToken, mut watch: impl FnMut(&LogLine)) -> Ran {
        let mut lines = Vec::new();
        let mut batches = Vec::new();
        let mut started = None;
        let outcome = run_step(
            cmd,
            masker,
            cancel,
            |pid| started = Some(pid),
            |batch| {
                batches.push(batch.len());
                for line in &batch {
                    watch(line);
                }
                lines.extend(batch);
            },
        )
        .await;
        assert_eq!(outcome.lines, lines.len() as u64);
        Ran { outcome, lines, batches, started }
    }

    /// Gone, or a zombie that nobody reaps (as under an init that does not
    /// reap orphans).
    fn process_gone(pid: i32) -> bool {
        // SAFETY: signal 0 only checks.
        if unsafe { libc::kill(pid, 0) } != 0 {
            return true;
        }
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.rfind(')').and_then(|i| s[i + 1..].split_whitespace().next().map(|st| st == "Z")).unwrap_or(true))
            .unwrap_or(true)
    }

    async fn wait_gone(pid: i32, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if process_gone(pid) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        process_gone(pid)
    }

    fn read_pid(path: &Path) -> i32 {
        std::fs::read_to_string(path).unwrap().trim().parse().unwrap()
    }

    #[tokio::test]
    async fn a_step_that_succeeds_hands_out_its_output_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "deploy.sh", "echo hello\nsleep 0.05\necho 'to stderr' >&2\nsleep 0.05\necho \"in $(pwd)\"\necho last-without-newline | tr -d '\\n'");
        let ran = run(&command(dir.path(), "./deploy.sh"), &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(0));
        assert!(ran.outcome.succeeded());
        assert_eq!(ran.outcome.pid, ran.started);
        assert!(ran.outcome.pid.unwrap() > 1);
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(
            ran.lines,
            vec![
                LogLine { stream: Stream::Out, text: "hello".into() },
                LogLine { stream: Stream::Err, text: "to stderr".into() },
                LogLine { stream: Stream::Out, text: format!("in {}", real.display()) },
                LogLine { stream: Stream::Out, text: "last-without-newline".into() },
            ]
        );
        assert!(!ran.outcome.stopped_with_kill);
        assert!(ran.outcome.elapsed < Duration::from_secs(3));
    }

    #[tokio::test]
    async fn exit_codes_signals_arguments_and_the_shell() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "fail.sh", "echo failing >&2\nexit 3");
        let ran = run(&command(dir.path(), "./fail.sh"), &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(3));
        assert!(!ran.outcome.succeeded());
        assert_eq!(ran.texts(), ["failing"]);

        script(dir.path(), "die.sh", "kill -USR1 $$\nsleep 5");
        let ran = run(&command(dir.path(), "./die.sh"), &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Signalled(libc::SIGUSR1));

        // A name is looked up on the PATH, which the step's env may set.
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        script(&bin, "tool", "echo \"tool: $1|$2\"");
        let mut cmd = command(dir.path(), "tool");
        cmd.args = vec!["one two".into(), "three".into()];
        cmd.env = vec![("PATH".into(), format!("{}:/usr/bin:/bin", bin.display()))];
        let ran = run(&cmd, &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(0));
        assert_eq!(ran.texts(), ["tool: one two|three"]);

        let mut cmd = command(dir.path(), "echo \"$0: $1 and $2 in $GREETING\"; exit 4");
        cmd.through_shell = true;
        cmd.args = vec!["a b".into(), "c".into()];
        cmd.env = vec![("GREETING".into(), "hello".into())];
        let ran = run(&cmd, &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(4));
        assert_eq!(ran.texts(), ["sh: a b and c in hello"]);
    }

    #[tokio::test]
    async fn a_step_over_its_time_is_stopped_with_term() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "slow.sh", "echo starting\nsleep 10\necho never");
        let mut cmd = command(dir.path(), "./slow.sh");
        cmd.timeout = Duration::from_millis(300);
        cmd.grace = Duration::from_millis(200);
        let ran = run(&cmd, &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::TimedOut);
        assert!(!ran.outcome.succeeded());
        assert!(!ran.outcome.stopped_with_kill, "TERM was enough");
        assert_eq!(ran.texts(), ["starting"]);
        assert!(ran.outcome.elapsed >= Duration::from_millis(300), "{:?}", ran.outcome.elapsed);
        assert!(ran.outcome.elapsed < Duration::from_secs(2), "{:?}", ran.outcome.elapsed);
        assert!(!group_alive(ran.outcome.pid.unwrap()));
    }

    #[tokio::test]
    async fn cancelling_kills_the_grandchildren() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "spawner.sh", "sleep 1000 &\necho $! > grandchild.pid\necho started\nwait");
        let cmd = command(dir.path(), "./spawner.sh");
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let ran = run_cancellable(&cmd, &Masker::default(), &cancel, |line| {
            if line.text == "started" {
                token.cancel();
            }
        })
        .await;
        assert_eq!(ran.outcome.end, StepEnd::Cancelled);
        assert!(!ran.outcome.stopped_with_kill);
        assert!(ran.outcome.elapsed < Duration::from_secs(2), "{:?}", ran.outcome.elapsed);
        let grandchild = read_pid(&dir.path().join("grandchild.pid"));
        assert!(wait_gone(grandchild, Duration::from_secs(1)).await, "the grandchild {grandchild} still runs");
        assert!(!group_alive(ran.outcome.pid.unwrap()));

        // Cancelled before it starts: it still starts, then stops at once.
        let cancel = CancellationToken::new();
        cancel.cancel();
        let ran = run_cancellable(&cmd, &Masker::default(), &cancel, |_| {}).await;
        assert_eq!(ran.outcome.end, StepEnd::Cancelled);
    }

    #[tokio::test]
    async fn a_step_that_ignores_term_is_killed_after_the_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "stubborn.sh", "trap '' TERM\necho ready\nsleep 30");
        let mut cmd = command(dir.path(), "./stubborn.sh");
        cmd.timeout = Duration::from_millis(300);
        cmd.grace = Duration::from_millis(200);
        let ran = run(&cmd, &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::TimedOut);
        assert!(ran.outcome.stopped_with_kill);
        assert!(ran.outcome.elapsed >= Duration::from_millis(500), "{:?}", ran.outcome.elapsed);
        assert!(ran.outcome.elapsed < Duration::from_secs(3), "{:?}", ran.outcome.elapsed);
        assert!(!group_alive(ran.outcome.pid.unwrap()));

        // The step's own process goes on TERM, a grandchild ignores it: the
        // group is killed all the same.
        script(dir.path(), "leaves.sh", "(trap '' TERM; exec sleep 30) &\necho $! > stubborn.pid\necho ready\nwait");
        let mut cmd = command(dir.path(), "./leaves.sh");
        cmd.timeout = Duration::from_millis(300);
        cmd.grace = Duration::from_millis(200);
        let ran = run(&cmd, &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::TimedOut);
        assert!(ran.outcome.stopped_with_kill);
        let stubborn = read_pid(&dir.path().join("stubborn.pid"));
        assert!(wait_gone(stubborn, Duration::from_secs(1)).await, "{stubborn} still runs");
    }

    #[tokio::test]
    async fn a_step_that_leaves_a_daemon_returns_after_the_drain() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "daemon.sh", "(sleep 30) &\necho done\nexit 0");
        let mut cmd = command(dir.path(), "./daemon.sh");
        cmd.drain = Duration::from_millis(300);
        let ran = run(&cmd, &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(0));
        assert_eq!(ran.texts(), ["done"]);
        assert!(ran.outcome.elapsed >= Duration::from_millis(250), "{:?}", ran.outcome.elapsed);
        assert!(ran.outcome.elapsed < Duration::from_secs(2), "{:?}", ran.outcome.elapsed);
        let pgid = ran.outcome.pid.unwrap();
        assert!(group_alive(pgid), "the daemon was started on purpose and is left running");
        let t = std::time::Instant::now();
        procs::stop(None, Some(pgid), Duration::from_secs(1));
        assert!(!group_alive(pgid));
        assert!(t.elapsed() < Duration::from_millis(900), "TERM was enough: {:?}", t.elapsed());
        procs::stop(None, Some(pgid), Duration::from_secs(1));
        procs::stop(None, Some(0), Duration::from_secs(1));
        procs::stop(None, Some(1), Duration::from_secs(1));
        assert!(!group_alive(0) && !group_alive(1));
    }

    #[tokio::test]
    async fn bad_bytes_progress_lines_and_colours_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let body = [
            r"printf 'bad \377\376 bytes\n'",
            r"printf '10%%\r50%%\r100%%\n'",
            r"printf '\033[1;31mred\033[0m plain \033[2K\033(Bok\n'",
            r"printf '\033]0;a title\007after osc \033]8;;http://x\033\\link\033]8;;\033\\\n'",
            r"printf 'crlf line\r\n'",
            r"printf '\303'; sleep 0.05; printf '\251 split\n'",
            r"printf 'tab\there\n\n'",
            r"printf 'progress 1\r'; sleep 0.05; printf 'progress 2\r\n'",
        ]
        .join("\n");
        script(dir.path(), "messy.sh", &body);
        let ran = run(&command(dir.path(), "./messy.sh"), &Masker::default()).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(0));
        assert_eq!(
            ran.texts(),
            ["bad \u{FFFD}\u{FFFD} bytes", "100%", "red plain ok", "after osc link", "crlf line", "\u{e9} split", "tab\there", "", "progress 2"]
        );
    }

    #[tokio::test]
    async fn secrets_reach_the_step_by_its_environment_only_and_are_masked() {
        let dir = tempfile::tempdir().unwrap();
        let body = r#"echo "token is $SECRET"
cmd=$(tr '\0' ' ' < /proc/$$/cmdline)
case "$cmd" in *"$SECRET"*) echo "argv leak";; *) echo "argv clean";; esac
printf %s "$SECRET" | base64
printf '%s' "split:${SECRET%?????????}"; sleep 0.05; printf '%s\n' "${SECRET#?????????}"
sleep 0.05; printf '{"token":"%s"}\n' "$SECRET" >&2
sleep 0.2"#;
        script(dir.path(), "secret.sh", body);
        let mut cmd = command(dir.path(), "./secret.sh");
        cmd.secret_env = vec![("SECRET".into(), SecretValue::new(SECRET))];
        let masker = Masker::new(&[SECRET]);
        // Read once it has printed: right after the start, the new
        // program's arguments may not be set up yet.
        let pid = std::cell::Cell::new(0);
        let mut argv = String::new();
        let outcome = run_step(
            &cmd,
            &masker,
            &CancellationToken::new(),
            |p| pid.set(p),
            |_| {
                if argv.is_empty() {
                    argv = std::fs::read_to_string(format!("/proc/{}/cmdline", pid.get())).unwrap_or_default();
                }
            },
        )
        .await;
        assert_eq!(outcome.end, StepEnd::Exited(0));
        assert!(argv.contains("secret.sh") && !argv.contains(SECRET), "{argv:?}");

        for masker in [masker, Masker::default()] {
            let ran = run(&cmd, &masker).await;
            assert_eq!(ran.texts(), ["token is ***", "argv clean", "***", "split:***", r#"{"token":"***"}"#]);
            assert!(ran.lines.iter().all(|l| !l.text.contains("s3cr3t") && !l.text.contains("T0ken")));
        }
    }

    #[tokio::test]
    async fn many_lines_arrive_in_order_batched_and_masked() {
        const N: usize = 1_000_000;
        let dir = tempfile::tempdir().unwrap();
        script(
            dir.path(),
            "flood.sh",
            r#"awk -v n=1000000 'BEGIN { s = ENVIRON["SECRET"]; for (i = 1; i <= n; i++) { if (i % 997 == 0) print "line " i " key=" s " end"; else print "line " i } }'
echo "on stderr" >&2"#,
        );
        let mut cmd = command(dir.path(), "./flood.sh");
        cmd.secret_env = vec![("SECRET".into(), SecretValue::new(SECRET))];
        let t = std::time::Instant::now();
        let ran = run(&cmd, &Masker::new(&[SECRET])).await;
        let took = t.elapsed();
        assert_eq!(ran.outcome.end, StepEnd::Exited(0));
        assert_eq!(ran.lines.len(), N + 1);
        let mut i = 0;
        for line in &ran.lines {
            if line.stream == Stream::Err {
                assert_eq!(line.text, "on stderr");
                continue;
            }
            i += 1;
            let want = if i % 997 == 0 { format!("line {i} key=*** end") } else { format!("line {i}") };
            assert_eq!(line.text, want);
        }
        assert_eq!(i, N);
        assert!(ran.batches.iter().all(|&n| n <= BATCH));
        assert!(ran.batches.len() < N / 20, "{} batches", ran.batches.len());
        let build = if cfg!(debug_assertions) { "debug" } else { "release" };
        eprintln!("{N} lines in {took:?} ({:.0} lines/s, {build} build)", N as f64 / took.as_secs_f64());
    }

    #[tokio::test]
    async fn long_lines_come_in_pieces_with_secrets_masked() {
        let dir = tempfile::tempdir().unwrap();
        // A secret across the first piece's end, and one across the
        // assembly cap (1 MiB) in a line of 1.3 MiB.
        let mut data = "a".repeat(MAX_PIECE - 5);
        data.push_str(SECRET);
        data.push_str(&"b".repeat(100));
        data.push('\n');
        let mut big = "c".repeat(LINE_CAP - 7);
        big.push_str(SECRET);
        big.push_str(&"d".repeat(300 * 1024));
        data.push_str(&big);
        data.push('\n');
        std::fs::write(dir.path().join("data"), &data).unwrap();
        script(dir.path(), "long.sh", "cat data");
        let ran = run(&command(dir.path(), "./long.sh"), &Masker::new(&[SECRET])).await;
        assert_eq!(ran.outcome.end, StepEnd::Exited(0));
        assert!(ran.lines.iter().all(|l| l.text.len() <= MAX_PIECE));
        let joined: String = ran.texts().concat();
        let want = data.replace(SECRET, "***").replace('\n', "");
        assert_eq!(joined.len(), want.len());
        assert!(joined == want, "the pieces differ from the masked lines");
        assert_eq!(ran.lines[0].text.len(), MAX_PIECE);
        assert!(ran.lines.len() >= 2 + 1 + (LINE_CAP + 300 * 1024) / MAX_PIECE);
    }

    #[tokio::test]
    async fn dropping_the_run_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        script(dir.path(), "spawner.sh", "sleep 1000 &\necho $! > grandchild.pid\necho started\nsleep 1000");
        let cmd = command(dir.path(), "./spawner.sh");
        let (masker, cancel) = (Masker::default(), CancellationToken::new());
        let mut pgid = 0;
        let started = tokio::sync::Notify::new();
        let run = run_step(&cmd, &masker, &cancel, |pid| pgid = pid, |batch| {
            if batch.iter().any(|l| l.text == "started") {
                started.notify_one();
            }
        });
        // Dropped mid-run, as when the task running it is aborted.
        tokio::select! {
            outcome = run => panic!("it ended by itself: {outcome:?}"),
            _ = started.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(10)) => panic!("it did not start"),
        }
        let grandchild = read_pid(&dir.path().join("grandchild.pid"));
        assert!(wait_gone(grandchild, Duration::from_secs(1)).await, "the grandchild {grandchild} still runs");
        // KILL went to the whole group at once; its members go within moments.
        let until = std::time::Instant::now() + Duration::from_secs(2);
        while group_alive(pgid) && std::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!group_alive(pgid), "the group {pgid} still has a live member");
    }

    #[test]
    fn run_step_can_be_spawned() {
        fn is_send<T: Send>(_: &T) {}
        let cmd = StepCommand::new("true", "/");
        let masker = Masker::default();
        let cancel = CancellationToken::new();
        let f = run_step(&cmd, &masker, &cancel, |_| {}, |_| {});
        is_send(&f);
    }
}
