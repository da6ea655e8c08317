//! Finds and stops every process a run started, including those that left
//! its process group or session.
//!
//! A run's processes are found two ways, and stopping uses both:
//! - its **process group** (each step starts one): the step and whatever it
//!   forks, until something calls `setsid` or `setpgid`;
//! - its **cookie**: every step gets `LIFTOFF_RUN_ID=<run id>` in its
//!   environment, and processes inherit it across `setsid`, double forks
//!   and `nohup`. On Linux, `/proc/<pid>/environ` is read for it, as
//!   Jenkins' process-tree killer and the GitHub Actions runner find escaped
//!   processes. Only processes of the same user can be read, which are the
//!   only ones a step can start. A process that clears its own environment
//!   (`env -i`) and leaves the group escapes; cgroups would catch it but
//!   need the user's systemd, which Liftoff does not require.
//!
//! Elsewhere than Linux only the group is used (no `/proc`).
//!
//! A process is named by its pid and its start time, so a pid reused by an
//! unrelated process is never signalled: the start time is read again just
//! before each signal.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The environment variable that marks a run's processes.
pub const COOKIE: &str = "LIFTOFF_RUN_ID";
/// How often a stopping run is looked at again.
pub const POLL: Duration = Duration::from_millis(20);
/// How long after KILL processes may take to go before giving up (one stuck
/// in the kernel cannot be killed).
pub const KILL_WAIT: Duration = Duration::from_secs(1);

/// A process of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Proc {
    pub pid: u32,
    /// The program's name, as the system shows it.
    pub name: String,
    /// When it started, in clock ticks since boot (0 where unknown): with
    /// the pid, what names this process and no other.
    #[serde(skip)]
    pub start: u64,
}

impl Proc {
    /// `sleep (4242), sh (4243)`, at most eight named.
    pub fn describe(list: &[Proc]) -> String {
        let mut out: Vec<String> = list.iter().take(8).map(|p| format!("{} ({})", p.name, p.pid)).collect();
        if list.len() > 8 {
            out.push(format!("and {} more", list.len() - 8));
        }
        out.join(", ")
    }
}

/// What stopping found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Processes signalled.
    pub found: Vec<Proc>,
    /// Whether TERM did not suffice within the grace period.
    pub killed: bool,
    /// Processes still there when stopping gave up.
    pub left: Vec<Proc>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// The live processes (not zombies) of the run: members of `group` and
/// holders of the run's cookie; never this process.
pub fn of_run(run_id: Option<&str>, group: Option<u32>) -> Vec<Proc> {
    let mut found = BTreeMap::new();
    scan(|p, group_of, environ| {
        let in_group = group.is_some_and(|g| g > 1 && group_of == g);
        if in_group || run_id.is_some_and(|id| environ.is_some_and(|e| has_cookie(e, id))) {
            found.insert(p.pid, p);
        }
    }, run_id.is_some());
    #[cfg(all(unix, not(target_os = "linux")))]
    if let Some(g) = group {
        if group_alive(g) {
            found.insert(g, Proc { pid: g, name: "process group".into(), start: 0 });
        }
    }
    found.into_values().collect()
}

/// The live processes holding any of these runs' cookies, by run, in one
/// look at the system.
pub fn of_runs(run_ids: &[String]) -> BTreeMap<String, Vec<Proc>> {
    let mut out: BTreeMap<String, Vec<Proc>> = BTreeMap::new();
    if run_ids.is_empty() {
        return out;
    }
    scan(|p, _, environ| {
        if let Some(e) = environ {
            if let Some(id) = run_ids.iter().find(|id| has_cookie(e, id)) {
                out.entry(id.clone()).or_default().push(p);
            }
        }
    }, true);
    out
}

fn has_cookie(environ: &[u8], run_id: &str) -> bool {
    let want = format!("{COOKIE}={run_id}");
    environ.split(|b| *b == 0).any(|var| var == want.as_bytes())
}

/// Stops the run's processes: TERM to all, up to `grace` for them to go
/// (processes that appear meanwhile get TERM too), then KILL to those
/// left. Blocks the calling thread: call it from `spawn_blocking` in async
/// code.
pub fn stop(run_id: Option<&str>, group: Option<u32>, grace: Duration) -> Stopped {
    let mut out = Stopped::default();
    let started = Instant::now();
    let kill_at = started.checked_add(grace).unwrap_or(started + Duration::from_secs(3600));
    let mut termed: Vec<(u32, u64)> = Vec::new();
    let mut give_up: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let live = of_run(run_id, group);
        if live.is_empty() {
            return out;
        }
        let kill = now >= kill_at;
        if kill {
            out.killed = true;
            let until = *give_up.get_or_insert(now + KILL_WAIT);
            if now >= until {
                out.left = live;
                return out;
            }
        }
        if let Some(g) = group {
            signal_group(g, if kill { Signal::Kill } else { Signal::Term });
        }
        for p in live {
            let key = (p.pid, p.start);
            if kill || !termed.contains(&key) {
                signal_process(&p, if kill { Signal::Kill } else { Signal::Term });
                if !termed.contains(&key) {
                    termed.push(key);
                    out.found.push(p);
                }
            }
        }
        std::thread::sleep(POLL);
    }
}

/// Sends the signal to every process of the group; false if there is no
/// such group (or not on Unix). Refuses groups 0 and 1 (`kill(0)` is our
/// own group, `kill(-1)` every process we may signal).
#[cfg(unix)]
pub fn signal_group(pgid: u32, signal: Signal) -> bool {
    let Some(group) = libc::pid_t::try_from(pgid).ok().filter(|&g| g > 1) else { return false };
    let signal = match signal {
        Signal::Term => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: kill has no memory effects; the id is a group's (negative, < -1).
    unsafe { libc::kill(-group, signal) == 0 }
}

#[cfg(not(unix))]
pub fn signal_group(_pgid: u32, _signal: Signal) -> bool {
    false
}

/// Signals one process, if it is still the one found (same start time).
#[cfg(unix)]
fn signal_process(p: &Proc, signal: Signal) {
    let Ok(pid) = libc::pid_t::try_from(p.pid) else { return };
    if pid <= 1 || p.pid == std::process::id() {
        return;
    }
    if p.start != 0 && start_time(p.pid) != Some(p.start) {
        return;
    }
    let signal = match signal {
        Signal::Term => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    };
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(pid, signal) };
}

#[cfg(not(unix))]
fn signal_process(_p: &Proc, _signal: Signal) {}

/// Whether the process group still has a live member. Zombies (exited,
/// not yet reaped by their parent) do not count: where init does not reap
/// orphans (some containers), they would otherwise keep a group alive
/// forever.
pub fn group_alive(pgid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        if pgid <= 1 {
            return false;
        }
        let mut alive = false;
        scan(|_, group_of, _| alive |= group_of == pgid, false);
        alive
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let Some(group) = libc::pid_t::try_from(pgid).ok().filter(|&g| g > 1) else { return false };
        // SAFETY: signal 0 only checks that the group exists.
        unsafe { libc::kill(-group, 0) == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) }
    }
    #[cfg(not(unix))]
    {
        let _ = pgid;
        false
    }
}

/// When the process started, in clock ticks since boot (Linux), if it is
/// running (not a zombie).
pub fn start_time(pid: u32) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(&stat).filter(|s| s.live).map(|s| s.start)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

struct Stat<'a> {
    name: &'a str,
    live: bool,
    group: u32,
    start: u64,
}

/// `pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
/// majflt cmajflt utime stime cutime cstime priority nice threads
/// itrealvalue starttime ...`; comm may hold spaces and ')'.
fn parse_stat(stat: &str) -> Option<Stat<'_>> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat.get(close + 1..)?.split_ascii_whitespace().collect();
    let state = *fields.first()?;
    Some(Stat { name, live: !matches!(state, "Z" | "X" | "x"), group: fields.get(2)?.parse().ok()?, start: fields.get(19)?.parse().ok()? })
}

/// Calls `f` for every live process but this one, with its group and (when
/// `environ` is asked for and readable) its environment.
#[cfg(target_os = "linux")]
fn scan(mut f: impl FnMut(Proc, u32, Option<&[u8]>), environ: bool) {
    use std::io::Read;
    let Ok(entries) = std::fs::read_dir("/proc") else { return };
    let me = std::process::id();
    let mut stat = String::new();
    let mut env = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        stat.clear();
        let dir = entry.path();
        let Ok(mut file) = std::fs::File::open(dir.join("stat")) else { continue };
        if file.read_to_string(&mut stat).is_err() {
            continue;
        }
        let Some(s) = parse_stat(&stat) else { continue };
        if !s.live {
            continue;
        }
        env.clear();
        let environ = environ && std::fs::File::open(dir.join("environ")).and_then(|mut e| e.read_to_end(&mut env)).is_ok();
        f(Proc { pid, name: s.name.to_owned(), start: s.start }, s.group, environ.then_some(&env[..]));
    }
}

#[cfg(not(target_os = "linux"))]
fn scan(_f: impl FnMut(Proc, u32, Option<&[u8]>), _environ: bool) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names_are_read() {
        let line = "4242 (a (b) c) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.name, "a (b) c");
        assert_eq!(s.group, 4240);
        assert_eq!(s.start, 987654);
        assert!(s.live);
        assert!(!parse_stat("7 (z) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0").unwrap().live);
    }

    #[test]
    fn the_cookie_matches_whole_variables_only() {
        let env = b"PATH=/bin\0LIFTOFF_RUN_ID=abc\0X=1\0";
        assert!(has_cookie(env, "abc"));
        assert!(!has_cookie(env, "ab"));
        assert!(!has_cookie(b"LIFTOFF_RUN_ID=abcd\0", "abc"));
    }
}
