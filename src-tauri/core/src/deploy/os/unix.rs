//! Unix: each step in a process group of its own, signalled as a whole;
//! exit statuses with their signal; permissions and `errno` read as such.

use std::fs::Metadata;
use std::io;
use std::path::Path;
use std::process::ExitStatus;

use super::{Refusal, Signal};

/// Whether a step's processes form a group that can be signalled at once.
pub const GROUPS: bool = true;

fn number(signal: Signal) -> libc::c_int {
    match signal {
        Signal::Term => libc::SIGTERM,
        Signal::Kill => libc::SIGKILL,
    }
}

/// The command will start a process group of its own (its id is the
/// process's).
pub fn own_group(command: &mut tokio::process::Command) {
    command.process_group(0);
}

/// Sends the signal to every process of the group; false if there is no
/// such group. Refuses groups 0 and 1 (`kill(0)` is our own group,
/// `kill(-1)` every process we may signal).
pub fn signal_group(pgid: u32, signal: Signal) -> bool {
    let Some(group) = libc::pid_t::try_from(pgid).ok().filter(|&g| g > 1) else { return false };
    // SAFETY: kill has no memory effects; the id is a group's (negative, < -1).
    unsafe { libc::kill(-group, number(signal)) == 0 }
}

/// Sends the signal to one process.
pub fn signal_pid(pid: u32, signal: Signal) {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return };
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(pid, number(signal)) };
}

/// Whether the group exists (zombies included: without a process table
/// they cannot be told apart).
pub fn group_exists(pgid: u32) -> bool {
    let Some(group) = libc::pid_t::try_from(pgid).ok().filter(|&g| g > 1) else { return false };
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::kill(-group, 0) == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) }
}

/// The signal that killed the process, if one did.
pub fn exit_signal(status: &ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// Whether this user may enter the folder (search permission).
pub fn can_enter(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return true };
    // SAFETY: c is a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
}

/// Whether any execute bit is set.
pub fn is_executable(meta: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

/// The file is still open for writing somewhere (`ETXTBSY`).
pub fn text_file_busy(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ETXTBSY)
}

/// What a failed start's `errno` says.
pub fn refusal(e: &io::Error) -> Option<Refusal> {
    match e.raw_os_error()? {
        libc::ENOENT => Some(Refusal::Missing),
        libc::EACCES | libc::EPERM => Some(Refusal::Denied),
        libc::ENOEXEC => Some(Refusal::NotAProgram),
        _ => None,
    }
}
