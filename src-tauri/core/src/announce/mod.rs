//! Announcements: what users are told about a release, composed from what
//! actually shipped, reviewed, and sent once production is verified.

pub mod changes;
pub mod mail;
pub mod render;
