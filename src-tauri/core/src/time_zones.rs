//! IANA time zone names: the list the UI offers and the check inputs pass.

use chrono_tz::{Tz, TZ_VARIANTS};

/// Every IANA zone name Liftoff knows, sorted.
pub fn all() -> Vec<String> {
    let mut names: Vec<String> = TZ_VARIANTS.iter().map(|tz| tz.name().to_owned()).collect();
    names.sort();
    names
}

pub fn parse(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The zone to suggest for a new project: the given system zone if Liftoff
/// knows it, UTC otherwise.
pub fn suggested(system_zone: Option<&str>) -> String {
    match system_zone.and_then(parse) {
        Some(tz) => tz.name().to_owned(),
        None => "UTC".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_common_zones_and_rejects_made_up_ones() {
        assert!(parse("Europe/Berlin").is_some());
        assert!(parse("America/New_York").is_some());
        assert!(parse("Mars/Olympus_Mons").is_none());
        assert!(all().iter().any(|z| z == "Asia/Kolkata"));
    }

    #[test]
    fn suggestion_falls_back_to_utc() {
        assert_eq!(suggested(Some("Europe/Berlin")), "Europe/Berlin");
        assert_eq!(suggested(Some("nonsense")), "UTC");
        assert_eq!(suggested(None), "UTC");
    }
}
