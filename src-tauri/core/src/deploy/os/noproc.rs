//! No process table to read (not Linux): no process is found by its
//! environment, and a start time is never known.

use super::Entry;

/// Nothing to call `f` for.
pub fn scan(_f: impl FnMut(Entry<'_>), _environ: bool) {}

pub fn start_time(_pid: u32) -> Option<u64> {
    None
}
