//! Monitoring: what runs where and how it is doing, read from what Liftoff
//! records.

pub mod board;
pub mod health;
