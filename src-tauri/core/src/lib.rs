//! Liftoff's core: the domain, the store and the rules.
//!
//! Everything a user can do is a function here first; the Tauri shell only
//! adapts these functions to commands. This crate must never depend on
//! `tauri`, so that all of it can be tested without a window.

pub mod announce;
pub mod audit;
pub mod clock;
pub mod connection;
pub mod credentials;
pub mod demo_service;
pub mod deploy;
pub mod environments;
pub mod files;
pub mod http;
pub mod monitor;
pub mod people;
pub mod planning;
pub mod projects;
pub mod release;
pub mod rules;
pub mod sample;
pub mod secrets;
pub mod sharing;
pub mod store;
pub mod time_zones;

pub use store::{Opened, Recovery, Store, StoreError};
