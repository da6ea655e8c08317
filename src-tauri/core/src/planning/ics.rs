//! Reading iCalendar (`.ics`) files from people's calendar apps into busy
//! time: timed and all-day events, recurring ones with their exceptions,
//! and the time zones Google, Outlook and Thunderbird write.
//!
//! Free and cancelled events are skipped. A moved or changed instance of a
//! recurring event (`RECURRENCE-ID`) replaces the original one. A problem
//! names its line, and nothing is imported.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use super::recurrence::Recurrence;

pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_EVENTS: usize = 20_000;

/// A span of busy time, possibly repeating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyEvent {
    pub uid: String,
    pub summary: String,
    pub all_day: bool,
    /// Local start, length, zone, rule and exceptions.
    pub when: Recurrence,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Line {line}: {message}")]
pub struct IcsError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> IcsError {
    IcsError { line, message: message.into() }
}

/// One unfolded content line: `NAME;PARAM=V:VALUE`, with where it started.
#[derive(Debug, Clone)]
struct Prop {
    line: usize,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Prop {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What to tell about a file over [`MAX_FILE_BYTES`].
pub fn too_large() -> IcsError {
    err(0, "the file is larger than 10 MB; export a shorter period from the calendar app.")
}

/// Reads a calendar. `default_tz` is the person's zone, used for floating
/// times and all-day events.
pub fn parse(content: &str, default_tz: Tz) -> Result<Vec<BusyEvent>, IcsError> {
    if content.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let props = unfold(content)?;
    if props.first().map(|p| (p.name.as_str(), p.value.to_uppercase())) != Some(("BEGIN", "VCALENDAR".into())) {
        return Err(err(props.first().map_or(1, |p| p.line), "this is not an iCalendar file (it does not start with BEGIN:VCALENDAR)."));
    }
    // Zones declared in the file, by TZID: a known IANA name, if any.
    let mut zones: HashMap<String, Option<Tz>> = HashMap::new();
    let mut events: Vec<Vec<Prop>> = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut current_event: Option<Vec<Prop>> = None;
    let mut current_zone: Option<(String, Option<Tz>)> = None;
    for p in props {
        match p.name.as_str() {
            "BEGIN" => {
                let what = p.value.to_uppercase();
                match what.as_str() {
                    "VEVENT" => current_event = Some(Vec::new()),
                    "VTIMEZONE" => current_zone = Some((String::new(), None)),
                    _ => {}
                }
                stack.push((what, p.line));
            }
            "END" => {
                let what = p.value.to_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == what => {}
                    Some((open, at)) => {
                        return Err(err(p.line, format!("END:{what} closes BEGIN:{open} from line {at}; the file is damaged or cut.")));
                    }
                    None => return Err(err(p.line, format!("END:{what} has no matching BEGIN."))),
                }
                match what.as_str() {
                    "VEVENT" => {
                        if let Some(e) = current_event.take() {
                            if events.len() == MAX_EVENTS {
                                return Err(err(p.line, format!("the file has more than {MAX_EVENTS} events; export a shorter period.")));
                            }
                            events.push(e);
                        }
                    }
                    "VTIMEZONE" => {
                        if let Some((id, tz)) = current_zone.take() {
                            let tz = tz.or_else(|| zone_named(&id));
                            zones.insert(id, tz);
                        }
                    }
                    _ => {}
                }
            }
            _ => {
                let depth_is_event = stack.last().is_some_and(|(s, _)| s == "VEVENT");
                if depth_is_event {
                    if let Some(e) = current_event.as_mut() {
                        e.push(p);
                    }
                } else if let Some((id, tz)) = current_zone.as_mut() {
                    match p.name.as_str() {
                        "TZID" => *id = p.value.clone(),
                        "X-LIC-LOCATION" => *tz = zone_named(&p.value),
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some((open, at)) = stack.pop() {
        return Err(err(at, format!("BEGIN:{open} is never closed; the file is cut short. Export it again.")));
    }

    let mut out: Vec<BusyEvent> = Vec::new();
    let mut moved: Vec<(String, NaiveDateTime)> = Vec::new();
    for props in &events {
        if let Some(event) = read_event(props, &zones, default_tz, &mut moved)? {
            out.push(event);
        }
    }
    // A moved instance replaces the original occurrence of its series.
    for (uid, original) in moved {
        if let Some(series) = out.iter_mut().find(|e| e.uid == uid && e.when.rule.is_some()) {
            series.when.exdates.push(original);
        }
    }
    Ok(out)
}

fn read_event(
    props: &[Prop],
    zones: &HashMap<String, Option<Tz>>,
    default_tz: Tz,
    moved: &mut Vec<(String, NaiveDateTime)>,
) -> Result<Option<BusyEvent>, IcsError> {
    let get = |name: &str| props.iter().find(|p| p.name == name);
    let begin = props.first().map_or(0, |p| p.line);
    let free = get("TRANSP").is_some_and(|p| p.value.eq_ignore_ascii_case("TRANSPARENT"))
        || get("STATUS").is_some_and(|p| p.value.eq_ignore_ascii_case("CANCELLED"))
        || get("X-MICROSOFT-CDO-BUSYSTATUS").is_some_and(|p| p.value.eq_ignore_ascii_case("FREE"));
    let uid = get("UID").map(|p| p.value.clone()).unwrap_or_default();
    let start_prop = get("DTSTART").ok_or_else(|| err(begin, "an event has no start (DTSTART)."))?;
    let start = read_time(start_prop, zones, default_tz)?;
    // Times of exceptions are compared in the series' own wall-clock time.
    let in_series_zone = |t: Time| -> NaiveDateTime {
        if t.tz == start.tz || t.all_day {
            t.local
        } else {
            super::recurrence::localize(t.tz, t.local).with_timezone(&start.tz).naive_local()
        }
    };
    if let Some(rid) = get("RECURRENCE-ID") {
        moved.push((uid.clone(), in_series_zone(read_time(rid, zones, default_tz)?)));
    }
    if free {
        return Ok(None);
    }
    let minutes = if let Some(end_prop) = get("DTEND") {
        let end = read_time(end_prop, zones, default_tz)?;
        // Both ends are in local time of their own zones; compare as instants
        // when the zones differ, else as wall-clock times.
        if end.tz == start.tz {
            (end.local - start.local).num_minutes()
        } else {
            (super::recurrence::localize(end.tz, end.local) - super::recurrence::localize(start.tz, start.local)).num_minutes()
        }
    } else if let Some(d) = get("DURATION") {
        duration(&d.value).ok_or_else(|| err(d.line, format!("“{}” is not a duration such as PT1H or P1D.", d.value)))?.num_minutes()
    } else if start.all_day {
        24 * 60
    } else {
        0
    };
    if minutes <= 0 {
        // A reminder at one instant takes no time.
        return Ok(None);
    }
    let mut exdates = Vec::new();
    for ex in props.iter().filter(|p| p.name == "EXDATE") {
        for one in ex.value.split(',') {
            let single = Prop { value: one.trim().to_owned(), ..ex.clone() };
            exdates.push(in_series_zone(read_time(&single, zones, default_tz)?));
        }
    }
    let rule = get("RRULE").map(|p| p.value.clone());
    let when = Recurrence { start: start.local, minutes, time_zone: start.tz.name().to_owned(), rule, exdates };
    if let Err(e) = when.validate() {
        let line = get("RRULE").map_or(start_prop.line, |p| p.line);
        return Err(err(line, e.to_string()));
    }
    let summary = get("SUMMARY").map(|p| unescape(&p.value)).unwrap_or_else(|| "Busy".to_owned());
    Ok(Some(BusyEvent { uid, summary, all_day: start.all_day, when }))
}

struct Time {
    local: NaiveDateTime,
    tz: Tz,
    all_day: bool,
}

fn read_time(p: &Prop, zones: &HashMap<String, Option<Tz>>, default_tz: Tz) -> Result<Time, IcsError> {
    let v = p.value.trim();
    if p.param("VALUE").is_some_and(|t| t.eq_ignore_ascii_case("DATE")) || (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())) {
        let day = NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| err(p.line, format!("“{v}” is not a date such as 20261124.")))?;
        return Ok(Time { local: day.and_hms_opt(0, 0, 0).expect("midnight exists"), tz: default_tz, all_day: true });
    }
    let bad = || err(p.line, format!("“{v}” is not a date and time such as 20261124T090000."));
    if let Some(utc) = v.strip_suffix('Z') {
        let local = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
        return Ok(Time { local, tz: Tz::UTC, all_day: false });
    }
    let local = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad())?;
    let tz = match p.param("TZID") {
        None => default_tz,
        Some(id) => match zones.get(id).copied().flatten().or_else(|| zone_named(id)) {
            Some(tz) => tz,
            None => {
                return Err(err(p.line, format!("the time zone “{id}” is not one Liftoff knows. Export the calendar with standard (IANA) time zones.")));
            }
        },
    };
    Ok(Time { local, tz, all_day: false })
}

/// A zone by IANA name, by the Windows names Outlook writes, or by
/// Thunderbird's `/mozilla.org/…/Europe/Berlin` form.
fn zone_named(id: &str) -> Option<Tz> {
    let id = id.trim().trim_matches('"');
    if let Ok(tz) = id.parse::<Tz>() {
        return Some(tz);
    }
    // Thunderbird and others prefix a path: try the last two, then one, parts.
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    for take in [3, 2, 1] {
        if parts.len() >= take {
            if let Ok(tz) = parts[parts.len() - take..].join("/").parse::<Tz>() {
                return Some(tz);
            }
        }
    }
    let windows = match id {
        "W. Europe Standard Time" => "Europe/Berlin",
        "Central Europe Standard Time" => "Europe/Budapest",
        "Central European Standard Time" => "Europe/Warsaw",
        "Romance Standard Time" => "Europe/Paris",
        "GMT Standard Time" => "Europe/London",
        "Greenwich Standard Time" => "Atlantic/Reykjavik",
        "E. Europe Standard Time" => "Europe/Chisinau",
        "FLE Standard Time" => "Europe/Kiev",
        "Russian Standard Time" => "Europe/Moscow",
        "Eastern Standard Time" => "America/New_York",
        "Central Standard Time" => "America/Chicago",
        "Mountain Standard Time" => "America/Denver",
        "Pacific Standard Time" => "America/Los_Angeles",
        "India Standard Time" => "Asia/Kolkata",
        "China Standard Time" => "Asia/Shanghai",
        "Tokyo Standard Time" => "Asia/Tokyo",
        "AUS Eastern Standard Time" => "Australia/Sydney",
        "UTC" | "Coordinated Universal Time" => "UTC",
        _ => return None,
    };
    windows.parse().ok()
}

/// ISO 8601 durations as iCalendar uses them: `P1W`, `P1DT2H`, `PT30M`.
fn duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let s = s.strip_prefix('P')?;
    let (date, time) = s.split_once('T').unwrap_or((s, ""));
    let mut total = Duration::zero();
    let mut read = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut n = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                n.push(c);
            } else {
                let secs = units.iter().find(|(u, _)| *u == c)?.1;
                let part = Duration::try_seconds(n.parse::<i64>().ok()?.checked_mul(secs)?)?;
                total = total.checked_add(&part)?;
                n.clear();
            }
        }
        n.is_empty().then_some(())
    };
    read(date, &[('W', 7 * 86_400), ('D', 86_400)])?;
    read(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    Some(if negative { -total } else { total })
}

fn unescape(s: &str) -> String {
    s.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")
}

/// Joins folded lines and splits each into name, parameters and value.
fn unfold(content: &str) -> Result<Vec<Prop>, IcsError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (i, raw) in content.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t']) {
            match logical.last_mut() {
                Some((_, line)) => line.push_str(rest),
                None => return Err(err(i + 1, "the file starts with a continued line.")),
            }
        } else if !raw.is_empty() {
            logical.push((i + 1, raw.to_owned()));
        }
    }
    logical.into_iter().map(|(line, text)| split_line(line, &text)).collect()
}

fn split_line(line: usize, text: &str) -> Result<Prop, IcsError> {
    // The value starts at the first ':' outside quotes.
    let mut quoted = false;
    let mut colon = None;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(colon) = colon else {
        return Err(err(line, format!("“{}” is not a NAME:value line.", text.chars().take(40).collect::<String>())));
    };
    let (head, value) = (&text[..colon], &text[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().trim().to_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(err(line, format!("“{name}” is not a property name.")));
    }
    let params = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_uppercase(), v.trim().trim_matches('"').to_owned()))
        .collect();
    Ok(Prop { line, name, params, value: value.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::testing::*;
    use chrono::{DateTime, Utc};



    const GOOGLE: &str = "BEGIN:VCALENDAR\r
PRODID:-//Google Inc//Google Calendar 70.9054//EN\r
VERSION:2.0\r
BEGIN:VTIMEZONE\r
TZID:America/New_York\r
X-LIC-LOCATION:America/New_York\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:-0500\r
TZOFFSETTO:-0400\r
DTSTART:19700308T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:standup@example.com\r
SUMMARY:Team stand-up\r
DTSTART;TZID=America/New_York:20261102T093000\r
DTEND;TZID=America/New_York:20261102T094500\r
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r
EXDATE;TZID=America/New_York:20261126T093000\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:standup@example.com\r
RECURRENCE-ID;TZID=America/New_York:20261124T093000\r
SUMMARY:Team stand-up (moved)\r
DTSTART;TZID=America/New_York:20261124T140000\r
DTEND;TZID=America/New_York:20261124T141500\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:leave@example.com\r
SUMMARY:Out of office\r
DTSTART;VALUE=DATE:20261130\r
DTEND;VALUE=DATE:20261202\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lunch@example.com\r
SUMMARY:Lunch (free)\r
TRANSP:TRANSPARENT\r
DTSTART:20261124T170000Z\r
DURATION:PT1H\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:review@example.com\r
SUMMARY:Design review\\, with Finance\r
DTSTART:20261125T150000Z\r
DURATION:PT1H30M\r
END:VEVENT\r
END:VCALENDAR\r
";

    #[test]
    fn reads_a_google_calendar_export() {
        let events = parse(GOOGLE, berlin()).unwrap();
        let summaries: Vec<&str> = events.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(summaries, ["Team stand-up", "Team stand-up (moved)", "Out of office", "Design review, with Finance"], "the free lunch is skipped");

        let standup = &events[0];
        assert_eq!(standup.when.time_zone, "America/New_York");
        assert_eq!(standup.when.minutes, 15);
        // The week of 23 November: Monday, Wednesday (Tuesday moved, Thursday excluded), Friday.
        let week = standup.when.expand(utc(2026, 11, 23, 0, 0), utc(2026, 11, 28, 0, 0)).unwrap().occurrences;
        let starts: Vec<DateTime<Utc>> = week.iter().map(|o| o.start).collect();
        assert_eq!(starts, [utc(2026, 11, 23, 14, 30), utc(2026, 11, 25, 14, 30), utc(2026, 11, 27, 14, 30)]);
        let moved = events[1].when.expand(utc(2026, 11, 24, 0, 0), utc(2026, 11, 25, 0, 0)).unwrap().occurrences;
        assert_eq!(moved[0].start, utc(2026, 11, 24, 19, 0));

        let leave = &events[2];
        assert!(leave.all_day);
        assert_eq!(leave.when.minutes, 2 * 24 * 60);
        let o = leave.when.expand(utc(2026, 11, 1, 0, 0), utc(2026, 12, 31, 0, 0)).unwrap().occurrences;
        assert_eq!((o[0].start, o[0].end), (utc(2026, 11, 29, 23, 0), utc(2026, 12, 1, 23, 0)), "whole days in the person's zone");
        assert_eq!(events[3].when.minutes, 90);
    }

    #[test]
    fn reads_outlook_and_thunderbird_zone_names_and_folded_lines() {
        let outlook = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:1\nSUMMARY:Steering \n committee\nDTSTART;TZID=W. Europe Standard Time:20261124T100000\nDTEND;TZID=W. Europe Standard Time:20261124T110000\nEND:VEVENT\nEND:VCALENDAR\n";
        let e = parse(outlook, Tz::UTC).unwrap();
        assert_eq!(e[0].summary, "Steering committee");
        assert_eq!(e[0].when.time_zone, "Europe/Berlin");
        let thunderbird = outlook.replace("W. Europe Standard Time", "/mozilla.org/20070129_1/Europe/Berlin");
        assert_eq!(parse(&thunderbird, Tz::UTC).unwrap()[0].when.time_zone, "Europe/Berlin");
    }

    #[test]
    fn a_bad_file_names_the_line() {
        let cut = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:20261124T100000Z\n";
        assert_eq!(parse(cut, berlin()).unwrap_err().to_string(), "Line 2: BEGIN:VEVENT is never closed; the file is cut short. Export it again.");
        let bad_date = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:2026-11-24\nDTEND:20261124T110000Z\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(parse(bad_date, berlin()).unwrap_err().line, 4);
        let unknown_zone = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART;TZID=Narnia/Cair Paravel:20261124T100000\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(unknown_zone, berlin()).unwrap_err().to_string().starts_with("Line 4: the time zone “Narnia/Cair Paravel”"));
        let bad_rule = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:20261124T100000Z\nDURATION:PT1H\nRRULE:FREQ=OFTEN\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(parse(bad_rule, berlin()).unwrap_err().line, 6);
        assert!(parse("hello", berlin()).unwrap_err().to_string().contains("not a NAME:value line"));
        assert!(parse("BEGIN:VCARD\nEND:VCARD\n", berlin()).unwrap_err().to_string().contains("not an iCalendar file"));
        let crossed = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(crossed, berlin()).unwrap_err().to_string().starts_with("Line 3: END:VCALENDAR closes BEGIN:VEVENT from line 2"));
    }

    #[test]
    fn durations() {
        assert_eq!(duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(duration("P1DT2H"), Some(Duration::hours(26)));
        assert_eq!(duration("P2W"), Some(Duration::days(14)));
        assert_eq!(duration("1H"), None);
        assert_eq!(duration("PT1X"), None);
        assert_eq!(duration("PT9999999999999999S"), None, "too long, not a panic");
    }
}
