//! Timestamps as Liftoff stores them: RFC 3339 in UTC, second precision.
//!
//! Text sorts in time order in this form, so SQLite can compare and index it.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The compact form used in file names: `20261122T143000Z`.
pub fn to_file_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn from_file_stamp(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn file_stamp_round_trips() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 5).unwrap();
        assert_eq!(to_file_stamp(t), "20261122T143005Z");
        assert_eq!(from_file_stamp("20261122T143005Z"), Some(t));
        assert_eq!(from_file_stamp("2026-11-22"), None);
    }

    #[test]
    fn text_is_utc_seconds() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assert_eq!(to_text(t), "2026-03-01T00:00:00Z");
    }
}
