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
//! Elsewhere than Linux only the group is used (no `/proc`). What differs
//! between systems lives in [`super::os`].
//!
//! A process is named by its pid and its start time, so a pid reused by an
//! unrelated process is never signalled: the start time is read again just
//! before each signal.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::os::{self, Signal};

pub use super::os::start_time;

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

/// The live processes (not zombies) of the run: members of `group` and
/// holders of the run's cookie; never this process.
pub fn of_run(run_id: Option<&str>, group: Option<u32>) -> Vec<Proc> {
    let mut found = BTreeMap::new();
    os::scan(|e| {
        let in_group = group.is_some_and(|g| g > 1 && e.group == g);
        if in_group || run_id.is_some_and(|id| e.environ.is_some_and(|env| has_cookie(env, id))) {
            found.insert(e.pid, proc_of(&e));
        }
    }, run_id.is_some());
    // Without a process table the group's members cannot be listed: the
    // group stands for them.
    if !os::PROCESS_TABLE {
        if let Some(g) = group {
            if group_alive(g) {
                found.insert(g, Proc { pid: g, name: "process group".into(), start: 0 });
            }
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
    os::scan(|e| {
        if let Some(env) = e.environ {
            if let Some(id) = run_ids.iter().find(|id| has_cookie(env, id)) {
                out.entry(id.clone()).or_default().push(proc_of(&e));
            }
        }
    }, true);
    out
}

fn proc_of(e: &os::Entry<'_>) -> Proc {
    Proc { pid: e.pid, name: e.name.to_owned(), start: e.start }
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
            os::signal_group(g, if kill { Signal::Kill } else { Signal::Term });
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

/// Signals one process, if it is still the one found (same start time).
fn signal_process(p: &Proc, signal: Signal) {
    if p.pid <= 1 || p.pid == std::process::id() {
        return;
    }
    if p.start != 0 && start_time(p.pid) != Some(p.start) {
        return;
    }
    os::signal_pid(p.pid, signal);
}

/// Whether the process group still has a live member. Zombies (exited,
/// not yet reaped by their parent) do not count where the process table is
/// read: where init does not reap orphans (some containers), they would
/// otherwise keep a group alive forever.
pub fn group_alive(pgid: u32) -> bool {
    if !os::PROCESS_TABLE {
        return os::group_exists(pgid);
    }
    if pgid <= 1 {
        return false;
    }
    let mut alive = false;
    os::scan(|e| alive |= e.group == pgid, false);
    alive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_matches_whole_variables_only() {
        let env = b"PATH=/bin\0LIFTOFF_RUN_ID=abc\0X=1\0";
        assert!(has_cookie(env, "abc"));
        assert!(!has_cookie(env, "ab"));
        assert!(!has_cookie(b"LIFTOFF_RUN_ID=abcd\0", "abc"));
    }
}
