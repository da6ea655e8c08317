//! Monitoring: what runs where and how it is doing, how the team delivers
//! and where it stands, and what happened, read back from what Liftoff
//! records (issue 24).

pub mod board;
pub mod evidence;
pub mod health;
pub mod history;
pub mod maturity;
