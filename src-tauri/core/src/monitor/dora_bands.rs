//! DORA's software delivery performance clusters, shipped as data with the
//! report and year they come from, shown beside each measured value.
//!
//! Source: the Accelerate State of DevOps Report 2024 (DORA, Google Cloud),
//! chapter "Software delivery performance", the table of the four clusters
//! (elite 19% of respondents, high 22%, medium 35%, low 25%).
//!
//! How far the values were confirmed when they were entered: the elite
//! cluster (deploys on demand, several a day; recovery in under an hour;
//! a change fail rate of 5%) is confirmed by several public summaries of the
//! 2024 report. The high, medium and low rows are entered as the report's
//! table gives them to our best knowledge, but could not be checked against
//! the report's own text while this was written; check them against the
//! report's table before relying on them. In 2024 the clusters are not
//! ordered on every metric: medium has a lower change fail rate (10%) than
//! high (20%), and high and medium share a recovery time (under a day).
//! The 2024 report introduced rework rate but formed its clusters on the
//! four older metrics only, so rework rate has no band.
//!
//! A new report is a new table here with its year; the old one stays, so
//! that a value is always shown with the year of the band beside it.

use serde::Serialize;

/// The year of the report the bands come from.
pub const YEAR: u16 = 2024;
pub const SOURCE: &str = "Accelerate State of DevOps Report 2024 (DORA)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

impl Band {
    pub fn label(self) -> &'static str {
        match self {
            Band::Elite => "Elite",
            Band::High => "High",
            Band::Medium => "Medium",
            Band::Low => "Low",
        }
    }
}

/// One cluster's value of one metric, in the report's words.
#[derive(Debug, Clone, Copy)]
pub struct Cluster {
    pub band: Band,
    pub words: &'static str,
}

pub const DEPLOYMENT_FREQUENCY: [Cluster; 4] = [
    Cluster { band: Band::Elite, words: "on demand (multiple deploys per day)" },
    Cluster { band: Band::High, words: "between once per day and once per week" },
    Cluster { band: Band::Medium, words: "between once per week and once per month" },
    Cluster { band: Band::Low, words: "between once per month and once every six months" },
];

pub const CHANGE_LEAD_TIME: [Cluster; 4] = [
    Cluster { band: Band::Elite, words: "less than one day" },
    Cluster { band: Band::High, words: "between one day and one week" },
    Cluster { band: Band::Medium, words: "between one week and one month" },
    Cluster { band: Band::Low, words: "between one month and six months" },
];

pub const CHANGE_FAIL_RATE: [Cluster; 4] = [
    Cluster { band: Band::Elite, words: "5%" },
    Cluster { band: Band::High, words: "20%" },
    Cluster { band: Band::Medium, words: "10%" },
    Cluster { band: Band::Low, words: "40%" },
];
/// The change fail rates above as fractions, for the nearest cluster.
const CHANGE_FAIL_RATE_VALUES: [(Band, f64); 4] = [(Band::Elite, 0.05), (Band::High, 0.20), (Band::Medium, 0.10), (Band::Low, 0.40)];

pub const RECOVERY_TIME: [Cluster; 4] = [
    Cluster { band: Band::Elite, words: "less than one hour" },
    Cluster { band: Band::High, words: "less than one day" },
    Cluster { band: Band::Medium, words: "less than one day" },
    Cluster { band: Band::Low, words: "between one week and one month" },
];

const HOUR: f64 = 1.0;
const DAY: f64 = 24.0 * HOUR;
const WEEK: f64 = 7.0 * DAY;
const MONTH: f64 = 30.0 * DAY;

/// The cluster a number of production deploys per week falls in: more
/// than one a day is elite, at least one a week high, at least one a month
/// medium, fewer low.
pub fn deployment_frequency(per_week: f64) -> Band {
    if per_week > 7.0 {
        Band::Elite
    } else if per_week >= 1.0 {
        Band::High
    } else if per_week >= 7.0 / 30.0 {
        Band::Medium
    } else {
        Band::Low
    }
}

/// The cluster a median lead time in hours falls in.
pub fn change_lead_time(hours: f64) -> Band {
    if hours < DAY {
        Band::Elite
    } else if hours <= WEEK {
        Band::High
    } else if hours <= MONTH {
        Band::Medium
    } else {
        Band::Low
    }
}

/// The cluster whose change fail rate is nearest `rate` (the 2024
/// clusters are points, not ranges, and not in order).
pub fn change_fail_rate(rate: f64) -> Band {
    let mut best = CHANGE_FAIL_RATE_VALUES[0];
    for c in CHANGE_FAIL_RATE_VALUES {
        if (rate - c.1).abs() < (rate - best.1).abs() {
            best = c;
        }
    }
    best.0
}

/// The cluster a median recovery time in hours falls in: under an hour
/// elite; under a day high (medium gives the same); longer low.
pub fn recovery_time(hours: f64) -> Band {
    if hours < HOUR {
        Band::Elite
    } else if hours < DAY {
        Band::High
    } else {
        Band::Low
    }
}

/// The report's words for each cluster of a metric, as one line.
pub fn table_words(clusters: &[Cluster; 4]) -> String {
    clusters.iter().map(|c| format!("{} {}", c.band.label().to_lowercase(), c.words)).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_in_the_report_clusters() {
        assert_eq!(deployment_frequency(10.0), Band::Elite);
        assert_eq!(deployment_frequency(2.0), Band::High);
        assert_eq!(deployment_frequency(0.5), Band::Medium);
        assert_eq!(deployment_frequency(0.1), Band::Low);
        assert_eq!(change_lead_time(5.0), Band::Elite);
        assert_eq!(change_lead_time(48.0), Band::High);
        assert_eq!(change_lead_time(24.0 * 10.0), Band::Medium);
        assert_eq!(change_lead_time(24.0 * 60.0), Band::Low);
        assert_eq!(change_fail_rate(0.0), Band::Elite);
        assert_eq!(change_fail_rate(0.12), Band::Medium);
        assert_eq!(change_fail_rate(0.19), Band::High);
        assert_eq!(change_fail_rate(0.5), Band::Low);
        assert_eq!(recovery_time(0.5), Band::Elite);
        assert_eq!(recovery_time(3.0), Band::High);
        assert_eq!(recovery_time(72.0), Band::Low);
    }
}
