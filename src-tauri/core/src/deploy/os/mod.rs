//! What the deploy engine asks of the operating system, one file per
//! family, so that the rest of `deploy` has no `#[cfg]`: process groups,
//! signals, exit statuses and permissions (`unix.rs`; `other.rs` where
//! there are none), and the process table read from `/proc` (`procfs.rs`
//! on Linux; `noproc.rs` elsewhere, where nothing is found that way).

#[cfg(not(target_os = "linux"))]
mod noproc;
#[cfg(not(unix))]
mod other;
#[cfg(target_os = "linux")]
mod procfs;
#[cfg(unix)]
mod unix;

#[cfg(not(target_os = "linux"))]
pub use noproc::{scan, start_time};
#[cfg(not(unix))]
pub use other::*;
#[cfg(target_os = "linux")]
pub use procfs::{scan, start_time};
#[cfg(unix)]
pub use unix::*;

/// Whether the process table is read (from `/proc`): processes are then
/// found by their environment too, and zombies told apart from the live.
pub const PROCESS_TABLE: bool = cfg!(target_os = "linux");

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

/// One live process, as the process table shows it.
pub struct Entry<'a> {
    pub pid: u32,
    /// The program's name, as the system shows it.
    pub name: &'a str,
    /// When it started, in clock ticks since boot.
    pub start: u64,
    /// Its process group.
    pub group: u32,
    /// Its environment (`NAME=value`, NUL-separated), when asked for and
    /// readable.
    pub environ: Option<&'a [u8]>,
}

/// Why the system refused to start a program, where it says.
pub enum Refusal {
    /// The program, or the interpreter its `#!` line names, is missing.
    Missing,
    /// Not executable, or something on its way cannot be entered.
    Denied,
    /// Not a format the system can run (a script without a `#!` line).
    NotAProgram,
}
