//! Systems without Unix process groups or signals: a step is one process,
//! stopped by its handle; permissions are left for the system to judge.

use std::fs::Metadata;
use std::io;
use std::path::Path;
use std::process::ExitStatus;

use super::{Refusal, Signal};

/// Whether a step's processes form a group that can be signalled at once.
pub const GROUPS: bool = false;

/// No groups here: the step runs in Liftoff's.
pub fn own_group(_command: &mut tokio::process::Command) {}

pub fn signal_group(_pgid: u32, _signal: Signal) -> bool {
    false
}

pub fn signal_pid(_pid: u32, _signal: Signal) {}

pub fn group_exists(_pgid: u32) -> bool {
    false
}

pub fn exit_signal(_status: &ExitStatus) -> Option<i32> {
    None
}

pub fn can_enter(_dir: &Path) -> bool {
    true
}

pub fn is_executable(_meta: &Metadata) -> bool {
    true
}

pub fn text_file_busy(_e: &io::Error) -> bool {
    false
}

pub fn refusal(_e: &io::Error) -> Option<Refusal> {
    None
}
