//! The load profile: how busy the product is over time, from a monitoring
//! system's export (`timestamp,value`, such as requests per minute) or from
//! a weekly pattern entered by hand. The timeline draws it; window scoring
//! prefers quiet times.

use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::recurrence::localize;

/// The most samples one import takes: over a year at one-minute resolution.
pub const MAX_SAMPLES: usize = 600_000;
/// The largest file an import reads.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The years (UTC) a sample may lie in. A time outside them is a wrong
/// column or unit, not a measurement, and keeps the date arithmetic done on
/// samples (local times, four weeks back, days around) far from chrono's
/// limits, where it overflows.
pub const YEARS: RangeInclusive<i32> = 1970..=2200;
/// The largest load value: far above any real rate, and small enough that
/// the sums of a year of samples stay finite.
pub const MAX_VALUE: f64 = 1e15;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: String) -> LoadError {
    LoadError::Invalid(message)
}

/// What to tell about a file of `bytes` over [`MAX_FILE_BYTES`].
pub fn too_large(bytes: u64) -> String {
    format!("The file is {:.0} MB; a load file is at most 64 MB. Export a coarser resolution or a shorter period.", bytes as f64 / 1_048_576.0)
}

/// Reads `timestamp,value` lines. A header row is allowed. Timestamps may be
/// RFC 3339 (`2026-11-02T09:00:00Z`), Unix seconds or milliseconds, or a
/// local `YYYY-MM-DD HH:MM[:SS]`, read in `tz`. Values are non-negative
/// numbers. The samples come back in time order; a problem names its line.
pub fn parse_csv(content: &str, tz: Tz) -> Result<Vec<Sample>, LoadError> {
    if content.len() > MAX_FILE_BYTES {
        return Err(invalid(too_large(content.len() as u64)));
    }
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let delimiter = sniff_delimiter(content);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .delimiter(delimiter)
        .from_reader(content.as_bytes());
    let mut samples = Vec::new();
    let mut seen_data = false;
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map(|p| p.line()).unwrap_or(line);
                return Err(invalid(format!("Line {at}: the line cannot be read as CSV (a quote that is never closed, or text that is not UTF-8).")));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(line);
        let cells: Vec<&str> = record.iter().collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if cells.len() < 2 {
            return Err(invalid(format!(
                "Line {line}: expected a timestamp and a value separated by a comma, found “{}”.",
                shorten(&cells.join(" "))
            )));
        }
        let value = parse_number(cells[1], delimiter);
        let time = parse_time(cells[0], tz);
        if !seen_data && value.is_none() && time == Time::Unreadable {
            // The header row.
            seen_data = true;
            continue;
        }
        seen_data = true;
        let at = match time {
            Time::At(at) => at,
            Time::OutOfRange => {
                return Err(invalid(format!(
                    "Line {line}: “{}” is outside the years Liftoff reads ({} to {}). Check that the first column holds times (Unix seconds or milliseconds), or remove the line.",
                    shorten(cells[0]),
                    YEARS.start(),
                    YEARS.end()
                )))
            }
            Time::Unreadable => {
                return Err(invalid(format!(
                    "Line {line}: “{}” is not a time Liftoff reads. Use 2026-11-02T09:00:00Z, 2026-11-02 10:00, or Unix seconds.",
                    shorten(cells[0])
                )))
            }
        };
        let value = match value {
            Some(v) if (0.0..=MAX_VALUE).contains(&v) => v,
            Some(v) if v.is_finite() && v > MAX_VALUE => {
                return Err(invalid(format!(
                    "Line {line}: “{}” is larger than Liftoff reads as a load (at most 10^15). Export the values in a larger unit, such as thousands, or remove the line.",
                    shorten(cells[1])
                )))
            }
            _ => return Err(invalid(format!("Line {line}: “{}” is not a number of zero or more.", shorten(cells[1])))),
        };
        if samples.len() == MAX_SAMPLES {
            return Err(invalid(format!(
                "The file has more than {MAX_SAMPLES} samples. Export at most a year at one-minute resolution."
            )));
        }
        samples.push(Sample { at, value });
    }
    if samples.is_empty() {
        return Err(invalid("The file has no samples. Each line should be a timestamp and a value, such as 2026-11-02T09:00:00Z,1250.".into()));
    }
    samples.sort_by_key(|s| s.at);
    Ok(samples)
}

/// Spreadsheets in many locales write `;` between cells (with a decimal
/// comma); some exports use tabs. The first data line decides.
fn sniff_delimiter(content: &str) -> u8 {
    let first = content.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
    if first.contains(';') {
        b';'
    } else if first.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

/// A value as spreadsheets write it: `1250`, `1250.5`, a quoted `"1,250"`
/// (thousands) in a comma file, `1.250,5` (decimal comma) in a `;` file.
fn parse_number(cell: &str, delimiter: u8) -> Option<f64> {
    let cell = cell.replace([' ', '\u{a0}', '\u{202f}'], "");
    let normal = if delimiter == b';' && cell.contains(',') {
        cell.replace('.', "").replace(',', ".")
    } else {
        cell.replace(',', "")
    };
    normal.parse::<f64>().ok()
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// A cell read as a time.
#[derive(Debug, PartialEq)]
enum Time {
    At(DateTime<Utc>),
    /// A time, but outside [`YEARS`].
    OutOfRange,
    Unreadable,
}

fn parse_time(s: &str, tz: Tz) -> Time {
    let within = |t: DateTime<Utc>| if YEARS.contains(&t.year()) { Time::At(t) } else { Time::OutOfRange };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return within(t.with_timezone(&Utc));
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than an i64 holds is far out too.
        let Ok(n) = s.parse::<i64>() else { return Time::OutOfRange };
        // Milliseconds from 2001 on have 13 digits; seconds have 10.
        let t = if s.len() >= 13 { Utc.timestamp_millis_opt(n).single() } else { Utc.timestamp_opt(n, 0).single() };
        return t.map_or(Time::OutOfRange, within);
    }
    match ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"].iter().find_map(|f| NaiveDateTime::parse_from_str(s, f).ok()) {
        // Checked before it is placed in the zone: near chrono's limits
        // (years ±262142) that overflows.
        Some(local) if YEARS.contains(&local.year()) => within(localize(tz, local)),
        Some(_) => Time::OutOfRange,
        None => Time::Unreadable,
    }
}

/// A typical week: the load per hour of each weekday (Monday first), local
/// to the project's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyPattern {
    pub hours: [[f64; 24]; 7],
}

impl WeeklyPattern {
    /// The mean of the samples for each weekday and hour.
    pub fn from_samples(samples: &[Sample], tz: Tz) -> WeeklyPattern {
        let mut sum = [[0.0; 24]; 7];
        let mut count = [[0u32; 24]; 7];
        for s in samples {
            let local = s.at.with_timezone(&tz);
            let (d, h) = (local.weekday().num_days_from_monday() as usize, local.hour() as usize);
            sum[d][h] += s.value;
            count[d][h] += 1;
        }
        let mut hours = [[0.0; 24]; 7];
        for d in 0..7 {
            for h in 0..24 {
                if count[d][h] > 0 {
                    hours[d][h] = sum[d][h] / f64::from(count[d][h]);
                }
            }
        }
        WeeklyPattern { hours }
    }

    /// The pattern from hourly aggregates (each placed by its hour's start).
    pub fn from_hours(hours: &[Hour], tz: Tz) -> WeeklyPattern {
        let mut sum = [[0.0; 24]; 7];
        let mut count = [[0u32; 24]; 7];
        for h in hours {
            let local = h.at.with_timezone(&tz);
            let (d, hour) = (local.weekday().num_days_from_monday() as usize, local.hour() as usize);
            sum[d][hour] += h.total;
            count[d][hour] += h.samples;
        }
        let mut out = [[0.0; 24]; 7];
        for d in 0..7 {
            for hour in 0..24 {
                if count[d][hour] > 0 {
                    out[d][hour] = sum[d][hour] / f64::from(count[d][hour]);
                }
            }
        }
        WeeklyPattern { hours: out }
    }

    pub fn at(&self, t: DateTime<Utc>, tz: Tz) -> f64 {
        let local = t.with_timezone(&tz);
        self.hours[local.weekday().num_days_from_monday() as usize][local.hour() as usize]
    }

    /// The busiest hour's load, to scale against.
    pub fn peak(&self) -> f64 {
        self.hours.iter().flatten().copied().fold(0.0, f64::max)
    }
}

/// The highest and mean load in each of `buckets` equal slices of
/// `[from, to)`, for drawing; `None` where there are no samples. `samples`
/// must be in time order.
pub fn buckets(samples: &[Sample], from: DateTime<Utc>, to: DateTime<Utc>, buckets: usize) -> Vec<Option<(f64, f64)>> {
    let first = samples.partition_point(|s| s.at < from);
    let spans = samples[first..].iter().take_while(|s| s.at < to).map(|s| Hour { at: s.at, max: s.value, total: s.value, samples: 1 });
    summarize(spans, from, to, buckets)
}

/// The load of one hour (or any span starting at `at`): its peak, the sum
/// of its samples and how many there were. Kept beside the samples so that
/// wide views need not read every sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hour {
    pub at: DateTime<Utc>,
    pub max: f64,
    pub total: f64,
    pub samples: u32,
}

/// [`buckets`] from hourly aggregates, for views where a bucket spans an
/// hour or more.
pub fn hourly_buckets(hours: &[Hour], from: DateTime<Utc>, to: DateTime<Utc>, buckets: usize) -> Vec<Option<(f64, f64)>> {
    summarize(hours.iter().copied().filter(|h| h.at >= from && h.at < to), from, to, buckets)
}

fn summarize(spans: impl Iterator<Item = Hour>, from: DateTime<Utc>, to: DateTime<Utc>, buckets: usize) -> Vec<Option<(f64, f64)>> {
    let mut out = vec![None; buckets];
    let span = (to - from).num_milliseconds();
    if buckets == 0 || span <= 0 {
        return out;
    }
    let mut acc: Vec<(f64, f64, u32)> = vec![(0.0, 0.0, 0); buckets];
    for h in spans {
        let i = (((h.at - from).num_milliseconds() as i128 * buckets as i128) / span as i128) as usize;
        let a = &mut acc[i.min(buckets - 1)];
        a.0 = a.0.max(h.max);
        a.1 += h.total;
        a.2 += h.samples;
    }
    for (slot, (max, sum, n)) in out.iter_mut().zip(acc) {
        if n > 0 {
            *slot = Some((max, sum / f64::from(n)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::testing::*;



    #[test]
    fn reads_the_usual_export_forms() {
        let csv = "timestamp,requests_per_minute\n\
                   2026-11-02T09:01:00Z,1250\n\
                   2026-11-02T09:00:00+00:00,1200.5\n\
                   1793610180,900\n\
                   1793610240000,950\n\
                   2026-11-02 11:00,300\n";
        let s = parse_csv(csv, berlin()).unwrap();
        assert_eq!(s.len(), 5);
        assert_eq!(s[0], Sample { at: utc(2026, 11, 2, 9, 0), value: 1200.5 }, "sorted by time");
        assert!(s.iter().any(|x| x.at == utc(2026, 11, 2, 10, 0) && x.value == 300.0), "local times are read in the project's zone");
        assert!(s.iter().any(|x| x.value == 950.0 && x.at == Utc.timestamp_millis_opt(1_793_610_240_000).unwrap()));
    }

    #[test]
    fn spreadsheet_exports_in_other_locales() {
        let quoted = "\u{feff}\"timestamp\",\"value\"\n\"2026-11-02T09:00:00Z\",\"1,234\"\n\"2026-11-02T09:01:00Z\",\"2,000.5\"\n";
        let s = parse_csv(quoted, berlin()).unwrap();
        assert_eq!(s.iter().map(|x| x.value).collect::<Vec<_>>(), [1234.0, 2000.5]);
        let semicolons = "Zeit;Anfragen\n2026-11-02 10:00;1.234,5\n2026-11-02 10:01;17\n";
        let s = parse_csv(semicolons, berlin()).unwrap();
        assert_eq!(s.iter().map(|x| x.value).collect::<Vec<_>>(), [1234.5, 17.0]);
        let tabs = "2026-11-02T09:00:00Z\t5\n# a comment\n\n2026-11-02T09:01:00Z\t6\n";
        assert_eq!(parse_csv(tabs, berlin()).unwrap().len(), 2);
        // A quote never closed swallows the lines after it: refused, naming where it starts.
        let unclosed = "2026-11-02T09:00:00Z,1\n2026-11-02T09:01:00Z,\"2\n2026-11-02T09:02:00Z,3\n";
        assert!(parse_csv(unclosed, berlin()).unwrap_err().to_string().starts_with("Line 2: "));
    }

    #[test]
    fn problems_name_the_line() {
        let bad_time = "timestamp,value\n2026-11-02T09:00:00Z,1\nyesterday,2\n";
        assert_eq!(
            parse_csv(bad_time, berlin()).unwrap_err().to_string(),
            "Line 3: “yesterday” is not a time Liftoff reads. Use 2026-11-02T09:00:00Z, 2026-11-02 10:00, or Unix seconds."
        );
        let bad_value = "2026-11-02T09:00:00Z,1\n2026-11-02T09:01:00Z,-4\n";
        assert!(parse_csv(bad_value, berlin()).unwrap_err().to_string().starts_with("Line 2: “-4” is not a number"));
        let one_cell = "2026-11-02T09:00:00Z\n";
        assert!(parse_csv(one_cell, berlin()).unwrap_err().to_string().starts_with("Line 1: expected a timestamp and a value"));
        assert!(parse_csv("timestamp,value\n", berlin()).unwrap_err().to_string().contains("no samples"));
    }

    #[test]
    fn far_out_times_and_huge_values_are_refused_naming_the_line() {
        let far = [
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2201-01-01T00:00:00Z",
            // Unix seconds in 5138, milliseconds in 2286, more than an i64.
            "99999999999",
            "9999999999999",
            "99999999999999999999",
            // Local times near chrono's limits: placing them in a zone west
            // of UTC overflowed.
            "+262142-12-31 23:59:59",
            "-262143-01-01 00:00",
            "+99999-01-01 00:00",
            "-5000-01-01 00:00",
        ];
        for time in far {
            let csv = format!("timestamp,value\n2026-11-02T09:00:00Z,1\n{time},2\n");
            for tz in [berlin(), chrono_tz::America::New_York] {
                let e = parse_csv(&csv, tz).unwrap_err().to_string();
                assert!(e.starts_with(&format!("Line 3: “{time}” is outside the years Liftoff reads (1970 to 2200).")), "{e}");
            }
        }
        // The ends of the range are read.
        let ends = "1970-01-01T00:00:00Z,1\n2200-12-31T23:59:59Z,2\n2200-12-31 12:00,3\n";
        assert_eq!(parse_csv(ends, chrono_tz::America::New_York).unwrap().len(), 3);

        let huge = "2026-11-02T09:00:00Z,1e308\n2026-11-02T09:01:00Z,1e308\n";
        let e = parse_csv(huge, berlin()).unwrap_err().to_string();
        assert!(e.starts_with("Line 1: “1e308” is larger than Liftoff reads as a load (at most 10^15)."), "{e}");
        assert_eq!(parse_csv("2026-11-02T09:00:00Z,1e15\n", berlin()).unwrap()[0].value, MAX_VALUE);
    }

    #[test]
    fn hourly_aggregates_summarize_like_the_samples() {
        let samples: Vec<Sample> =
            (0..600).map(|m| Sample { at: utc(2026, 11, 2, 0, 0) + chrono::Duration::minutes(m), value: ((m * 37) % 101) as f64 }).collect();
        let mut hours: Vec<Hour> = Vec::new();
        for s in &samples {
            let at = DateTime::from_timestamp(s.at.timestamp() / 3600 * 3600, 0).unwrap();
            match hours.last_mut() {
                Some(h) if h.at == at => {
                    h.max = h.max.max(s.value);
                    h.total += s.value;
                    h.samples += 1;
                }
                _ => hours.push(Hour { at, max: s.value, total: s.value, samples: 1 }),
            }
        }
        let (from, to) = (utc(2026, 11, 2, 0, 0), utc(2026, 11, 2, 10, 0));
        assert_eq!(hourly_buckets(&hours, from, to, 5), buckets(&samples, from, to, 5), "two hours a bucket");
        assert_eq!(WeeklyPattern::from_hours(&hours, chrono_tz::UTC).hours, WeeklyPattern::from_samples(&samples, chrono_tz::UTC).hours);
    }

    #[test]
    fn a_weekly_pattern_from_samples() {
        // Monday 2 November 2026, 09:00 and 10:00 Berlin (08:00Z, 09:00Z).
        let samples = [
            Sample { at: utc(2026, 11, 2, 8, 10), value: 100.0 },
            Sample { at: utc(2026, 11, 2, 8, 20), value: 300.0 },
            Sample { at: utc(2026, 11, 9, 8, 30), value: 200.0 },
            Sample { at: utc(2026, 11, 2, 9, 0), value: 50.0 },
        ];
        let w = WeeklyPattern::from_samples(&samples, berlin());
        assert_eq!(w.hours[0][9], 200.0);
        assert_eq!(w.hours[0][10], 50.0);
        assert_eq!(w.peak(), 200.0);
        assert_eq!(w.at(utc(2026, 11, 16, 8, 45), berlin()), 200.0);
    }

    #[test]
    fn buckets_summarize_for_drawing() {
        let samples: Vec<Sample> = (0..60).map(|m| Sample { at: utc(2026, 11, 2, 9, m), value: f64::from(m) }).collect();
        let b = buckets(&samples, utc(2026, 11, 2, 9, 0), utc(2026, 11, 2, 11, 0), 4);
        assert_eq!(b[0], Some((29.0, 14.5)));
        assert_eq!(b[1], Some((59.0, 44.5)));
        assert_eq!(b[2], None);
    }

    #[test]
    fn a_year_at_one_minute_is_taken_whole() {
        let start = utc(2026, 1, 1, 0, 0).timestamp();
        let mut csv = String::from("timestamp,value\n");
        for m in 0..525_600i64 {
            csv.push_str(&format!("{},{}\n", start + m * 60, m % 1000));
        }
        let s = parse_csv(&csv, berlin()).unwrap();
        assert_eq!(s.len(), 525_600);
        assert_eq!(s[525_599].at, utc(2026, 12, 31, 23, 59));
    }
}
