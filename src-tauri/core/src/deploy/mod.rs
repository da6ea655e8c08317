//! The deploy engine: targets, preflight, runs, locks, the log and its
//! masker, smoke checks and rollback.

pub mod exec;
pub mod mask;
pub mod smoke;
