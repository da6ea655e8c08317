//! Planning the release window: recurring windows in named time zones (for
//! freezes and maintenance), and later the load, availability and scoring
//! the timeline uses.

pub mod ics;
pub mod load;
pub mod recurrence;
