//! Monitoring: what Liftoff recorded, read back for the lead (issue 24).

pub mod maturity;
