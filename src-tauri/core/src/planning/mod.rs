//! Planning the release window: recurring windows in named time zones (for
//! freezes and maintenance), and later the load, availability and scoring
//! the timeline uses.

pub mod ics;
pub mod ics_export;
pub mod load;
pub mod recurrence;
pub mod window;

/// Times for the planning tests, written as they read.
#[cfg(test)]
pub(crate) mod testing {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use chrono_tz::Tz;

    pub fn berlin() -> Tz {
        "Europe/Berlin".parse().unwrap()
    }

    pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        local(y, m, d, h, min).and_utc()
    }
}
