//! Monitoring: what ran where and how it went, read from what Liftoff
//! recorded (runs, releases, announcements, the audit log).

pub mod evidence;
pub mod history;
