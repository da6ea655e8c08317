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
//!   pieces); a progress line redrawn with `\r` comes as its last state;
//! - secret values reach the step only through its environment, never its
//!   command line, a log line or an error message;
//! - a step that leaves a daemon behind holding its output open ends when
//!   the step's own process exits, after a short drain; whether the daemon
//!   is then stopped is the engine's choice (the target's setting);
//! - a step that cannot start says which of the working folder, the
//!   program or its permissions is wrong, before anything runs.

use std::borrow::Cow;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use crate::deploy::mask::{Masker, MASK, MIN_SECRET_CHARS};
use crate::deploy::procs::{self, Signal};
use crate::secrets::SecretValue;

/// Between TERM and KILL, for callers with no reason to pick another.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
/// How long to keep reading after the step's process exits.
pub const DEFAULT_DRAIN: Duration = Duration::from_millis(300);
/// A step's time limit, for callers with no reason to pick another.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// The longest line handed out, in bytes; longer lines come in pieces.
pub const MAX_PIECE: usize = 64 * 1024;
/// A line is assembled up to about this many bytes before being handed
/// out in pieces without waiting for its end.
const LINE_CAP: usize = 1024 * 1024;
/// Bytes read at once from each pipe.
const READ_SIZE: usize = 64 * 1024;
/// Lines handed to `on_lines` at most at once.
const BATCH: usize = 1000;
const ESC: u8 = 0x1b;

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// One line of a step's output: masked, without escape sequences or its
/// newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: Stream,
    pub text: String,
}

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

    let working_dir = match check_working_dir(&cmd.working_dir) {
        Ok(dir) => dir,
        Err(message) => return failed(message),
    };
    let (program, args): (PathBuf, Vec<OsString>) = if cmd.through_shell {
        let mut args: Vec<OsString> = vec!["-c".into(), cmd.program.clone().into(), "sh".into()];
        args.extend(cmd.args.iter().map(OsString::from));
        (PathBuf::from("/bin/sh"), args)
    } else {
        match resolve_program(cmd, &working_dir) {
            Ok(path) => (path, cmd.args.iter().map(OsString::from).collect()),
            Err(message) => return failed(message),
        }
    };

    let mut command = Command::new(&program);
    command.args(&args).current_dir(&working_dir).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    #[cfg(unix)]
    command.process_group(0);
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
            Err(e) if text_file_busy(&e) && tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => return failed(spawn_error(cmd, &program, &e)),
        }
    };
    let started = Instant::now();
    let pid = child.id().unwrap_or(0);
    on_start(pid);
    let mut guard = GroupGuard { pgid: pid, cookie: cmd.cookie.as_deref(), armed: true };
    let (Some(mut out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
        unreachable!("both pipes were asked for");
    };

    let mut sink = Sink { masker, on_lines, batch: Vec::with_capacity(BATCH), scratch: Vec::new(), count: 0 };
    let mut out_line = Pending::new(Stream::Out);
    let mut err_line = Pending::new(Stream::Err);
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
                // No process groups here: the process only.
                #[cfg(not(unix))]
                let _ = child.start_kill();
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
            Event::Out(Ok(n)) if n > 0 => {
                out_line.feed(&out_buf[..n], &mut sink);
                sink.flush();
            }
            Event::Out(_) => out_open = false,
            Event::Err(Ok(n)) if n > 0 => {
                err_line.feed(&err_buf[..n], &mut sink);
                sink.flush();
            }
            Event::Err(_) => err_open = false,
            Event::Nothing => break,
        }
    }
    guard.armed = false;
    out_line.finish(&mut sink);
    err_line.finish(&mut sink);
    sink.flush();

    let end = match (stop, exit) {
        (Some(why), _) => why,
        (None, Some(Ok(status))) => end_of(status),
        (None, Some(Err(message))) => StepEnd::FailedToStart(masker.mask(&message).into_owned()),
        (None, None) => StepEnd::FailedToStart("The step's process could not be followed.".into()),
    };
    StepOutcome { end, pid: Some(pid), elapsed: started.elapsed(), lines: sink.count, stopped_with_kill: killed }
}

#[cfg(unix)]
fn end_of(status: ExitStatus) -> StepEnd {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => StepEnd::Exited(code),
        (None, Some(signal)) => StepEnd::Signalled(signal),
        (None, None) => StepEnd::Exited(-1),
    }
}

#[cfg(not(unix))]
fn end_of(status: ExitStatus) -> StepEnd {
    StepEnd::Exited(status.code().unwrap_or(-1))
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
            procs::signal_group(self.pgid, Signal::Kill);
            if self.cookie.is_some() {
                procs::stop(self.cookie, Some(self.pgid), Duration::ZERO);
            }
        }
    }
}

// ---------------------------------------------------------------------
// Before starting: clear reasons a step cannot start

const SET_FOLDER: &str = "Set the target's working folder, or the project's repository folder.";

/// The working folder, made absolute, or why it cannot be used.
fn check_working_dir(dir: &Path) -> Result<PathBuf, String> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("The working folder {} is a file, not a folder. {SET_FOLDER}", dir.display())),
        Err(_) => return Err(format!("The working folder {} does not exist. {SET_FOLDER}", dir.display())),
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) {
            // SAFETY: c is a valid NUL-terminated path.
            if unsafe { libc::access(c.as_ptr(), libc::X_OK) } != 0 {
                return Err(format!("The working folder {} cannot be entered: permission denied. {SET_FOLDER}", dir.display()));
            }
        }
    }
    // A relative program path is then taken from the same folder as the
    // step runs in, whatever Liftoff's own current folder.
    std::path::absolute(dir).map_err(|e| format!("The working folder {} cannot be used: {e}. {SET_FOLDER}", dir.display()))
}

/// Whether a step with this program could start in `working_dir` now: the
/// folder, the program (found, a file, executable) and the interpreter on
/// its `#!` line. What [`run_step`] would refuse, said before a run starts.
pub(crate) fn check_program(program: &str, through_shell: bool, working_dir: &Path) -> Result<(), String> {
    let dir = check_working_dir(working_dir)?;
    if through_shell {
        return if Path::new("/bin/sh").is_file() { Ok(()) } else { Err("The shell /bin/sh was not found. Untick 'run through sh' and give a program.".into()) };
    }
    let cmd = StepCommand::new(program, &dir);
    let path = resolve_program(&cmd, &dir)?;
    interpreter_problem(&path).map_or(Ok(()), Err)
}

/// A script whose `#!` interpreter is missing, in words.
fn interpreter_problem(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).ok()?;
    let head = &head[..n];
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|b| *b == b'\n').unwrap_or(line.len())];
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_ascii_whitespace();
    let interpreter = words.next()?;
    let p = path.display();
    if !Path::new(interpreter).is_file() {
        return Some(format!("`{p}` names the interpreter {interpreter} on its first line (#!), which is not installed here. Fix that line, or tick 'run through sh'."));
    }
    // `#!/usr/bin/env NAME`: NAME must be on the PATH.
    if interpreter.ends_with("/env") {
        let name = words.find(|w| !w.starts_with('-'))?;
        let path_var = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        if !std::env::split_paths(&path_var).any(|d| d.join(name).is_file()) {
            return Some(format!("`{p}` runs `{name}` (its #! line), which is not on the PATH. Install it, or fix the script's first line."));
        }
    }
    None
}

fn not_executable(path: &Path) -> String {
    let p = path.display();
    format!("`{p}` is not executable. Run chmod +x {p}, or tick 'run through sh'.")
}

fn is_executable(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// The program's full path, or why it cannot be run.
fn resolve_program(cmd: &StepCommand, working_dir: &Path) -> Result<PathBuf, String> {
    let name = cmd.program.as_str();
    if name.trim().is_empty() {
        return Err("No program is set for this step. Set the program to run, or tick 'run through sh' and write the commands.".into());
    }
    if name.contains('/') || (cfg!(windows) && name.contains('\\')) {
        let path = Path::new(name);
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            working_dir.join(path.components().filter(|c| *c != std::path::Component::CurDir).collect::<PathBuf>())
        };
        return match std::fs::metadata(&full) {
            Ok(meta) if meta.is_dir() => Err(format!("`{}` is a folder, not a program. Give the path of the program to run.", full.display())),
            Ok(meta) if !is_executable(&meta) => Err(not_executable(&full)),
            Ok(_) => Ok(full),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!(
                "The program `{name}` was not found: {} does not exist. Check the path (it is taken from the working folder {}).",
                full.display(),
                cmd.working_dir.display()
            )),
            Err(e) => Err(format!("The program `{name}` cannot be read at {}: {e}.", full.display())),
        };
    }
    let path_var = cmd
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| OsString::from(v))
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut not_exec = None;
    for dir in std::env::split_paths(&path_var) {
        let dir = if dir.as_os_str().is_empty() { working_dir.to_path_buf() } else { working_dir.join(dir) };
        let candidate = dir.join(name);
        if let Ok(meta) = std::fs::metadata(&candidate) {
            if meta.is_file() {
                if is_executable(&meta) {
                    return Ok(candidate);
                }
                not_exec.get_or_insert(candidate);
            }
        }
    }
    if let Some(path) = not_exec {
        return Err(not_executable(&path));
    }
    if working_dir.join(name).is_file() {
        Err(format!("The program `{name}` was not found on the PATH. There is a `{name}` in the working folder: write `./{name}` to run it from there."))
    } else {
        Err(format!("The program `{name}` was not found on the PATH. Give its full path, or its path from the working folder (such as `./{name}`), or install it."))
    }
}

#[cfg(unix)]
fn text_file_busy(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ETXTBSY)
}

#[cfg(not(unix))]
fn text_file_busy(_e: &io::Error) -> bool {
    false
}

/// Why the system refused to start the program, in the user's terms.
fn spawn_error(cmd: &StepCommand, program: &Path, e: &io::Error) -> String {
    let p = program.display();
    #[cfg(unix)]
    match e.raw_os_error() {
        Some(libc::ENOENT) if cmd.through_shell => return format!("The shell {p} was not found. Untick 'run through sh' and give a program."),
        Some(libc::ENOENT) if program.is_file() => {
            return format!("`{p}` could not be started: the interpreter named on its first line (#!) was not found. Fix that line, or tick 'run through sh'.")
        }
        Some(libc::ENOENT) => return format!("The program `{}` was not found: {p} does not exist.", cmd.program),
        Some(libc::EACCES) | Some(libc::EPERM) => {
            return format!(
                "`{p}` could not be started: permission denied. Run chmod +x {p} (and check that the interpreter on its #! line and the working folder can be used), or tick 'run through sh'."
            )
        }
        Some(libc::ENOEXEC) => {
            return format!("`{p}` is not a program the system can start: a script needs a first line such as #!/bin/sh. Add one, or tick 'run through sh'.")
        }
        _ => {}
    }
    format!("`{p}` could not be started: {e}.")
}

// ---------------------------------------------------------------------
// Lines

/// Where finished lines go: cleaned, masked, cut, batched.
struct Sink<'m, F> {
    masker: &'m Masker,
    on_lines: F,
    batch: Vec<LogLine>,
    scratch: Vec<u8>,
    count: u64,
}

impl<F: FnMut(Vec<LogLine>)> Sink<'_, F> {
    /// One whole line as read, without its `\n`.
    fn line(&mut self, stream: Stream, raw: &[u8]) {
        let raw = progress_tail(raw);
        let mut scratch = std::mem::take(&mut self.scratch);
        let bytes = if raw.contains(&ESC) {
            strip_escapes(raw, &mut scratch);
            &scratch[..]
        } else {
            raw
        };
        let text = String::from_utf8_lossy(bytes);
        let masked = self.masker.mask(&text);
        self.push(stream, masked);
        self.scratch = scratch;
    }

    /// Cleaned and masked text, cut into pieces.
    fn push(&mut self, stream: Stream, text: Cow<'_, str>) {
        if text.len() <= MAX_PIECE {
            self.emit(LogLine { stream, text: text.into_owned() });
            return;
        }
        let mut rest: &str = &text;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MAX_PIECE);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.emit(LogLine { stream, text: rest[..cut].to_owned() });
            rest = &rest[cut..];
        }
    }

    fn emit(&mut self, line: LogLine) {
        self.batch.push(line);
        self.count += 1;
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            (self.on_lines)(batch);
        }
    }
}

/// A line's text after its last carriage return (a progress line's last
/// state); carriage returns right before the newline do not count.
fn progress_tail(raw: &[u8]) -> &[u8] {
    let mut end = raw.len();
    while end > 0 && raw[end - 1] == b'\r' {
        end -= 1;
    }
    let raw = &raw[..end];
    match raw.iter().rposition(|&b| b == b'\r') {
        Some(i) => &raw[i + 1..],
        None => raw,
    }
}

/// The bytes without terminal escape sequences: CSI (`ESC [` ... final
/// byte), OSC and the other string sequences (`ESC ]`, `ESC P`, `ESC X`,
/// `ESC ^`, `ESC _` ... BEL or `ESC \`), `ESC` + intermediates + final,
/// and two-byte `ESC x`. A sequence cut off by the line's end is dropped.
fn strip_escapes(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let n = raw.len();
    let mut i = 0;
    while i < n {
        match raw[i..].iter().position(|&b| b == ESC) {
            None => {
                out.extend_from_slice(&raw[i..]);
                break;
            }
            Some(k) => {
                out.extend_from_slice(&raw[i..i + k]);
                i += k + 1;
            }
        }
        let Some(&kind) = raw.get(i) else { break };
        match kind {
            b'[' => {
                i += 1;
                while i < n && (0x20..=0x3f).contains(&raw[i]) {
                    i += 1;
                }
                if i < n && (0x40..=0x7e).contains(&raw[i]) {
                    i += 1;
                }
            }
            b']' | b'P' | b'X' | b'^' | b'_' => {
                i += 1;
                while i < n {
                    if raw[i] == 0x07 {
                        i += 1;
                        break;
                    }
                    if raw[i] == ESC && raw.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            0x20..=0x2f => {
                while i < n && (0x20..=0x2f).contains(&raw[i]) {
                    i += 1;
                }
                if i < n && (0x30..=0x7e).contains(&raw[i]) {
                    i += 1;
                }
            }
            0x30..=0x7e => i += 1,
            // ESC before anything else: drop the ESC alone.
            _ => {}
        }
    }
}

/// The part of one pipe's current line read so far.
struct Pending {
    stream: Stream,
    buf: Vec<u8>,
}

impl Pending {
    fn new(stream: Stream) -> Pending {
        Pending { stream, buf: Vec::new() }
    }

    fn feed<F: FnMut(Vec<LogLine>)>(&mut self, data: &[u8], sink: &mut Sink<'_, F>) {
        let mut rest = data;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            if self.buf.is_empty() {
                sink.line(self.stream, &rest[..i]);
            } else {
                self.buf.extend_from_slice(&rest[..i]);
                sink.line(self.stream, &self.buf);
                self.buf.clear();
            }
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() {
            self.buf.extend_from_slice(rest);
            if self.buf.len() > LINE_CAP {
                self.spill(sink);
            }
        }
    }

    /// The pipe is closed (or no longer read): its last line, if any.
    fn finish<F: FnMut(Vec<LogLine>)>(&mut self, sink: &mut Sink<'_, F>) {
        if !self.buf.is_empty() {
            sink.line(self.stream, &self.buf);
            self.buf.clear();
        }
    }

    /// A line over the cap with no end in sight: hand out all of it but
    /// its tail, where a secret may continue into bytes not read yet.
    fn spill<F: FnMut(Vec<LogLine>)>(&mut self, sink: &mut Sink<'_, F>) {
        // A progress line: only what follows its last `\r` counts.
        let mut end = self.buf.len();
        while end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        if let Some(i) = self.buf[..end].iter().rposition(|&b| b == b'\r') {
            self.buf.drain(..=i);
        }
        if self.buf.len() <= LINE_CAP {
            return;
        }
        // Not inside a UTF-8 character, nor an escape sequence; carriage
        // returns at the end stay (a progress line may be redrawn next).
        let mut end = self.buf.len();
        while end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        let mut cut = utf8_complete_end(&self.buf[..end]);
        let from = cut.saturating_sub(64);
        if let Some(i) = self.buf[from..cut].iter().rposition(|&b| b == ESC) {
            cut = from + i;
        }
        let mut scratch = std::mem::take(&mut sink.scratch);
        strip_escapes(&self.buf[..cut], &mut scratch);
        let text = String::from_utf8_lossy(&scratch).into_owned();
        sink.scratch = scratch;
        let mut at = text.len().saturating_sub(sink.masker.longest().saturating_sub(1));
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if let Some(end) = sink.masker.match_across(&text, at) {
            at = end;
        }
        let masked = sink.masker.mask(&text[..at]);
        sink.push(self.stream, masked);
        let mut kept = text.as_bytes()[at..].to_vec();
        kept.extend_from_slice(&self.buf[cut..]);
        self.buf = kept;
    }
}

/// The length of the bytes without a UTF-8 character cut off at the end.
fn utf8_complete_end(buf: &[u8]) -> usize {
    let n = buf.len();
    for back in 1..=n.min(4) {
        let b = buf[n - back];
        if b & 0xc0 != 0x80 {
            let need = match b {
                0xf0.. => 4,
                0xe0.. => 3,
                0xc0.. => 2,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::procs::group_alive;

    const SECRET: &str = "s3cr3t-T0ken-value";

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        path
    }

    fn command(dir: &Path, program: &str) -> StepCommand {
        let mut cmd = StepCommand::new(program, dir);
        cmd.timeout = Duration::from_secs(20);
        cmd.grace = Duration::from_secs(2);
        cmd
    }

    struct Ran {
        outcome: StepOutcome,
        lines: Vec<LogLine>,
        batches: Vec<usize>,
        started: Option<u32>,
    }

    impl Ran {
        fn texts(&self) -> Vec<&str> {
            self.lines.iter().map(|l| l.text.as_str()).collect()
        }
    }

    async fn run(cmd: &StepCommand, masker: &Masker) -> Ran {
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
    async fn steps_that_cannot_start_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nowhere");
        let ran = run(&command(&missing, "./deploy.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert_eq!(m, &format!("The working folder {} does not exist. Set the target's working folder, or the project's repository folder.", missing.display()));
        assert_eq!(ran.outcome.pid, None);
        assert_eq!(ran.started, None);
        assert!(ran.lines.is_empty());

        let mut shell = command(&missing, "echo hi");
        shell.through_shell = true;
        assert!(matches!(run(&shell, &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.starts_with("The working folder")));

        let ran = run(&command(dir.path(), "no-such-program-xyz"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert!(m.starts_with("The program `no-such-program-xyz` was not found on the PATH"), "{m}");

        let ran = run(&command(dir.path(), "./deploy.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert!(m.starts_with("The program `./deploy.sh` was not found:"), "{m}");

        // There but not executable: by path, and by name on the PATH.
        std::fs::write(dir.path().join("deploy.sh"), "#!/bin/sh\necho hi\n").unwrap();
        let ran = run(&command(dir.path(), "./deploy.sh"), &Masker::default()).await;
        let path = dir.path().join("deploy.sh");
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert_eq!(m, &format!("`{0}` is not executable. Run chmod +x {0}, or tick 'run through sh'.", path.display()));
        let mut by_name = command(dir.path(), "deploy.sh");
        by_name.env = vec![("PATH".into(), dir.path().display().to_string())];
        assert!(matches!(run(&by_name, &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.contains("is not executable")));

        // In the working folder but not on the PATH.
        let ran = run(&command(dir.path(), "deploy.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert!(m.contains("not found on the PATH") && m.contains("write `./deploy.sh`"), "{m}");

        // A folder; an interpreter that does not exist; nothing at all.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(matches!(run(&command(dir.path(), "./sub"), &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.contains("is a folder")));
        let odd = dir.path().join("odd.sh");
        std::fs::write(&odd, "#!/no/such/interpreter\necho hi\n").unwrap();
        std::fs::set_permissions(&odd, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let ran = run(&command(dir.path(), "./odd.sh"), &Masker::default()).await;
        assert!(matches!(&ran.outcome.end, StepEnd::FailedToStart(m) if m.contains("interpreter")), "{:?}", ran.outcome);
        assert!(matches!(run(&command(dir.path(), " "), &Masker::default()).await.outcome.end, StepEnd::FailedToStart(m) if m.starts_with("No program")));
        let bare = dir.path().join("bare.sh");
        std::fs::write(&bare, "echo no first line\n").unwrap();
        std::fs::set_permissions(&bare, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let ran = run(&command(dir.path(), "./bare.sh"), &Masker::default()).await;
        let StepEnd::FailedToStart(m) = &ran.outcome.end else { panic!("{:?}", ran.outcome) };
        assert_eq!(m, &format!("`{}` is not a program the system can start: a script needs a first line such as #!/bin/sh. Add one, or tick 'run through sh'.", bare.display()));

        // A message never shows a secret, even one in a path.
        let ran = run(&command(dir.path(), &format!("./{SECRET}.sh")), &Masker::new(&[SECRET])).await;
        assert!(matches!(&ran.outcome.end, StepEnd::FailedToStart(m) if m.contains("./***.sh") && !m.contains(SECRET)), "{:?}", ran.outcome);
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

    // --- The line machinery alone, without a process.

    fn feed_all(chunks: &[&[u8]], masker: &Masker) -> Vec<String> {
        let mut got = Vec::new();
        let mut sink = Sink { masker, on_lines: |b: Vec<LogLine>| got.extend(b.into_iter().map(|l| l.text)), batch: Vec::new(), scratch: Vec::new(), count: 0 };
        let mut pending = Pending::new(Stream::Out);
        for chunk in chunks {
            pending.feed(chunk, &mut sink);
        }
        pending.finish(&mut sink);
        sink.flush();
        got
    }

    #[test]
    fn a_secret_split_at_any_read_is_masked() {
        let masker = Masker::new(&[SECRET]);
        let text = format!("x {SECRET} y\n\u{e9}\u{1F680}\n");
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            for second in cut..=bytes.len() {
                let got = feed_all(&[&bytes[..cut], &bytes[cut..second], &bytes[second..]], &masker);
                assert_eq!(got, ["x *** y", "\u{e9}\u{1F680}"], "cuts at {cut}, {second}");
            }
        }
    }

    #[test]
    fn an_overlong_line_is_cut_where_no_secret_is_split() {
        let masker = Masker::new(&[SECRET]);
        // The secret straddles the read that crosses the cap, at every
        // position, with multi-byte characters about.
        for shift in 0..SECRET.len() + 2 {
            let mut line = "\u{e9}".repeat((LINE_CAP - shift) / 2);
            line.push_str(SECRET);
            line.push_str("\u{1F680}tail");
            let bytes = line.as_bytes();
            let first = LINE_CAP + 1 - 3;
            let got = feed_all(&[&bytes[..first], &bytes[first..first + 4], &bytes[first + 4..], b"\n"], &masker);
            let joined = got.concat();
            assert_eq!(joined, line.replace(SECRET, "***"), "shift {shift}");
            assert!(got.iter().all(|p| p.len() <= MAX_PIECE));
        }
        // A progress line redrawn past the cap keeps its last state only.
        let mut chunks: Vec<Vec<u8>> = (0..40_000).map(|i| format!("\rprogress {i:>8}%").into_bytes()).collect();
        chunks.push(b"\r\n".to_vec());
        let refs: Vec<&[u8]> = chunks.iter().map(|c| c.as_slice()).collect();
        let got = feed_all(&refs, &masker);
        assert_eq!(got, ["progress    39999%"]);
    }

    #[test]
    fn escape_sequences_are_stripped() {
        let strip = |s: &[u8]| {
            let mut out = Vec::new();
            strip_escapes(s, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(strip(b"\x1b[0m\x1b[38;5;196mx\x1b[m\x1b[?25l"), "x");
        assert_eq!(strip(b"a\x1b]0;t\x07b\x1b]1;t\x1b\\c"), "abc");
        assert_eq!(strip(b"a\x1b(Bb\x1b7c\x1b=d"), "abcd");
        assert_eq!(strip(b"cut \x1b[31"), "cut ");
        assert_eq!(strip(b"cut \x1b]0;never ends"), "cut ");
        assert_eq!(strip(b"lone \x1b"), "lone ");
        assert_eq!(strip("\x1b\u{e9}t\u{e9}".as_bytes()), "\u{e9}t\u{e9}");
        assert_eq!(progress_tail(b"a\rb\r\r"), b"b");
        assert_eq!(progress_tail(b"\r"), b"");
        assert_eq!(utf8_complete_end("ab\u{1F680}".as_bytes()), 6);
        assert_eq!(utf8_complete_end(&"ab\u{1F680}".as_bytes()[..5]), 2);
        assert_eq!(utf8_complete_end(&"\u{e9}".as_bytes()[..1]), 0);
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
