//! Monitoring: what runs where and how it is doing, how the team delivers
//! and where it stands, and what happened, read back from what Liftoff
//! records (issue 24). Each area is its own module; none of them writes
//! anything a run needs.

pub mod board;
pub mod dora_bands;
pub mod evidence;
pub mod health;
pub mod history;
pub mod maturity;
pub mod metrics;
