//! Monitoring: what Liftoff recorded, read back for the lead.
//!
//! Each area is its own module; none of them writes anything a run needs.

pub mod commits;
pub mod dora_bands;
pub mod metrics;
