//! Reading iCalendar (`.ics`) files from people's calendar apps into busy
//! time, as RFC 5545 defines it: timed and all-day events; recurrence sets
//! of several RRULEs, RDATEs (dates, date-times and periods) and EXDATEs;
//! moved or changed instances (`RECURRENCE-ID`, one instance, or that one
//! and all later ones with `RANGE=THISANDFUTURE`); and time zones by IANA
//! name, by the names Outlook and Thunderbird write, or as the file defines
//! them in its own `VTIMEZONE` blocks.
//!
//! Free and cancelled events are skipped. Real files carry lines other apps
//! wrote carelessly: a line that cannot be read inside an event skips that
//! event (the report names the line and why), and outside events it is
//! ignored. A file that is not a calendar, or whose BEGIN and END lines do
//! not match, is refused whole with its line.
//!
//! Where writers break the RFC's rules, its sections decide: of two events
//! with one UID the higher SEQUENCE (else the first) is kept and the other
//! reported (3.8.4.7, 3.8.7.4); a change to an instance that the revised
//! series no longer has is dropped (3.8.4.4); a rule with both COUNT and
//! UNTIL loses, with a report, the part that would end it later (3.3.10);
//! a rule that ends before DTSTART leaves DTSTART as the one instance
//! (3.8.5.3).
//!
//! One file: the reader is one pass of about 770 lines (content lines,
//! zones, events, then series with their changed instances), and its
//! tests, each a small calendar file, are the other third.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use super::recurrence::{Budget, Extra, RDate, Recurrence};
use super::zone::{self, CustomZone, Observance, Zone};

pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_EVENTS: usize = 20_000;

/// A span of busy time, possibly repeating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyEvent {
    pub uid: String,
    pub summary: String,
    pub all_day: bool,
    /// Local start, length, zone, rules and exceptions.
    pub when: Recurrence,
    /// The line the event starts on.
    pub line: usize,
}

/// An event left out of an import, with the line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub reason: String,
}

/// What a calendar file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarRead {
    pub events: Vec<BusyEvent>,
    pub skipped: Vec<Skipped>,
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

/// The events of one VEVENT block, or the first line in it that could not
/// be read.
#[derive(Default)]
struct RawEvent {
    begin: usize,
    props: Vec<Prop>,
    bad: Option<Skipped>,
}

/// A VTIMEZONE block: its name, a location hint and its observances.
#[derive(Default)]
struct RawZone {
    id: String,
    location: Option<String>,
    observances: Vec<Observance>,
}

/// Reads a calendar. `default_tz` is the person's zone, used for floating
/// times and all-day events.
pub fn parse(content: &str, default_tz: Tz) -> Result<CalendarRead, IcsError> {
    parse_within(content, default_tz, &Budget::unlimited())
}

/// [`parse`] within the time left in `budget` for repeat rules (matching
/// changed instances with their series, rules with both COUNT and UNTIL).
/// What cannot be worked out in time is read as if the file were sound.
pub fn parse_within(content: &str, default_tz: Tz, budget: &Budget) -> Result<CalendarRead, IcsError> {
    if content.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let lines = unfold(content)?;
    match lines.first() {
        Some(Ok(p)) if p.name == "BEGIN" && ["VCALENDAR", "VEVENT"].contains(&p.value.trim().to_uppercase().as_str()) => {}
        first => {
            let line = first.map_or(1, |l| match l {
                Ok(p) => p.line,
                Err(s) => s.line,
            });
            return Err(err(line, "this is not an iCalendar file (it does not start with BEGIN:VCALENDAR)."));
        }
    }
    let mut zones: HashMap<String, ZoneDef> = HashMap::new();
    let mut events: Vec<RawEvent> = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut event: Option<RawEvent> = None;
    let mut raw_zone: Option<RawZone> = None;
    let mut observance: Option<(bool, Vec<Prop>)> = None;
    for line in lines {
        let p = match line {
            Ok(p) => p,
            // Inside an event the event is skipped; elsewhere the line is ignored.
            Err(bad) => {
                if let Some(e) = event.as_mut() {
                    e.bad.get_or_insert(bad);
                }
                continue;
            }
        };
        let depth_name = stack.last().map(|(s, _)| s.as_str());
        match p.name.as_str() {
            "BEGIN" => {
                let what = p.value.trim().to_uppercase();
                match what.as_str() {
                    "VEVENT" if event.is_none() => event = Some(RawEvent { begin: p.line, ..Default::default() }),
                    "VTIMEZONE" => raw_zone = Some(RawZone::default()),
                    "STANDARD" | "DAYLIGHT" if depth_name == Some("VTIMEZONE") => observance = Some((what == "DAYLIGHT", Vec::new())),
                    _ => {}
                }
                stack.push((what, p.line));
            }
            "END" => {
                let what = p.value.trim().to_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == what => {}
                    Some((open, at)) => {
                        return Err(err(p.line, format!("END:{what} closes BEGIN:{open} from line {at}; the file is damaged or cut.")));
                    }
                    None => return Err(err(p.line, format!("END:{what} has no matching BEGIN."))),
                }
                match what.as_str() {
                    "VEVENT" if !stack.iter().any(|(s, _)| s == "VEVENT") => {
                        if let Some(e) = event.take() {
                            if events.len() == MAX_EVENTS {
                                return Err(err(p.line, format!("the file has more than {MAX_EVENTS} events; export a shorter period.")));
                            }
                            events.push(e);
                        }
                    }
                    "VTIMEZONE" => {
                        if let Some(z) = raw_zone.take() {
                            if let Some(tz) = zone_of(&z) {
                                zones.insert(tzid_key(&z.id), tz);
                            }
                        }
                    }
                    "STANDARD" | "DAYLIGHT" => {
                        if let (Some(z), Some((_, props))) = (raw_zone.as_mut(), observance.take()) {
                            z.observances.extend(read_observance(&props));
                        }
                    }
                    _ => {}
                }
            }
            _ => match depth_name {
                Some("VEVENT") => {
                    if let Some(e) = event.as_mut() {
                        e.props.push(p);
                    }
                }
                Some("STANDARD" | "DAYLIGHT") => {
                    if let Some((_, props)) = observance.as_mut() {
                        props.push(p);
                    }
                }
                Some("VTIMEZONE") => {
                    if let Some(z) = raw_zone.as_mut() {
                        match p.name.as_str() {
                            "TZID" => z.id = p.value.clone(),
                            "X-LIC-LOCATION" => z.location = Some(p.value.clone()),
                            _ => {}
                        }
                    }
                }
                _ => {}
            },
        }
    }
    if let Some((open, at)) = stack.pop() {
        return Err(err(at, format!("BEGIN:{open} is never closed; the file is cut short. Export it again.")));
    }
    Ok(assemble(events, &zones, default_tz, budget))
}

/// A zone a file names: an IANA zone, or the rules the file gives.
#[derive(Clone)]
enum ZoneDef {
    Iana(Tz),
    Custom(CustomZone),
}

/// The zone a VTIMEZONE block stands for: the IANA zone its name names,
/// else the rules it carries, else the IANA zone its location names.
fn zone_of(z: &RawZone) -> Option<ZoneDef> {
    if let Some(tz) = zone_named(&z.id) {
        return Some(ZoneDef::Iana(tz));
    }
    if !z.observances.is_empty() {
        return Some(ZoneDef::Custom(CustomZone { observances: z.observances.clone() }));
    }
    z.location.as_deref().and_then(zone_named).map(ZoneDef::Iana)
}

/// A STANDARD or DAYLIGHT observance; one that cannot be read is left out.
fn read_observance(props: &[Prop]) -> Option<Observance> {
    let get = |name: &str| props.iter().find(|p| p.name == name);
    let onset = get("DTSTART")?.value.trim();
    let start = NaiveDateTime::parse_from_str(onset, "%Y%m%dT%H%M%S")
        .or_else(|_| NaiveDate::parse_from_str(onset, "%Y%m%d").map(|d| d.and_time(chrono::NaiveTime::MIN)))
        .ok()?;
    let offset_from = utc_offset(&get("TZOFFSETFROM")?.value)?;
    let offset_to = utc_offset(&get("TZOFFSETTO")?.value)?;
    let rule = get("RRULE").map(|p| p.value.trim().to_owned()).filter(|r| r.is_ascii());
    let rdates = props
        .iter()
        .filter(|p| p.name == "RDATE")
        .flat_map(|p| p.value.split(','))
        .filter_map(|v| NaiveDateTime::parse_from_str(v.trim(), "%Y%m%dT%H%M%S").ok())
        .collect();
    Some(Observance { start, offset_from, offset_to, rule, rdates })
}

/// `+0130` or `-053000` as seconds east of UTC; at most a day.
fn utc_offset(v: &str) -> Option<i32> {
    let v = v.trim();
    let (sign, digits) = match v.as_bytes().first()? {
        b'+' => (1, &v[1..]),
        b'-' => (-1, &v[1..]),
        _ => return None,
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits.get(r).map_or(0, |d| d.parse::<i32>().unwrap_or(0));
    let (h, m, s) = (n(0..2), n(2..4), n(4..6));
    (h < 24 && m < 60 && s < 60).then_some(sign * (h * 3600 + m * 60 + s))
}

/// TZIDs compare without quotes and backslash escapes (`Bangkok\, Hanoi`).
fn tzid_key(id: &str) -> String {
    let id = id.trim().trim_matches('"');
    let mut out = String::with_capacity(id.len());
    let mut chars = id.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An event read, before instances are matched with their series.
struct Read {
    uid: String,
    line: usize,
    free: bool,
    summary: String,
    start: Time,
    minutes: i64,
    rules: Vec<(String, usize)>,
    rdates: Vec<RDate>,
    exdates: Vec<Time>,
    /// RECURRENCE-ID and whether it has RANGE=THISANDFUTURE.
    instance: Option<(Time, bool)>,
    sequence: i64,
    /// Parts of the event left out, for the import report.
    notes: Vec<Skipped>,
}

/// The copy of a series kept for a UID.
struct Series {
    /// Where its busy event is in the output.
    index: usize,
    sequence: i64,
    line: usize,
    /// Its recurrence as the file gives it, before changed instances apply.
    as_read: Recurrence,
}

/// Matches moved instances with their series and makes the busy events.
fn assemble(raw: Vec<RawEvent>, zones: &HashMap<String, ZoneDef>, default_tz: Tz, budget: &Budget) -> CalendarRead {
    let mut skipped = Vec::new();
    let mut reads: Vec<Read> = Vec::new();
    for e in raw {
        if let Some(bad) = e.bad {
            skipped.push(Skipped { line: bad.line, reason: format!("{} The event from line {} was skipped.", bad.reason, e.begin) });
            continue;
        }
        match read_event(&e, zones, default_tz, budget) {
            Ok(Some(mut r)) => {
                if !r.free {
                    skipped.append(&mut r.notes);
                }
                reads.push(r);
            }
            Ok(None) => {}
            Err(IcsError { line, message }) => skipped.push(Skipped { line, reason: format!("{} The event from line {} was skipped.", capitalize(&message), e.begin) }),
        }
    }
    // Series by UID; instances apply to the series with their UID. Free
    // series are kept until then: their busy instances still count.
    let mut out: Vec<(BusyEvent, bool)> = Vec::new();
    let mut series_of: HashMap<String, Series> = HashMap::new();
    let (series, mut instances): (Vec<Read>, Vec<Read>) = reads.into_iter().partition(|r| r.instance.is_none());
    for r in series {
        // One UID names one event (RFC 5545 3.8.4.7): two copies without
        // RECURRENCE-ID are two versions of it, and the higher SEQUENCE is
        // the newer (3.8.7.4). With equal SEQUENCEs the first in the file
        // is kept, as the reference reading (recurring-ical-events) keeps
        // it, so that both read the same busy time. A copy left out that
        // would have added other busy time is reported with its line: two
        // different events an app gave one UID must not lose one silently.
        let event = busy_event(&r);
        match series_of.get_mut(&r.uid).filter(|_| !r.uid.is_empty()) {
            Some(kept) => {
                let replaces = r.sequence > kept.sequence;
                let (kept_line, left_out_line) = if replaces { (r.line, kept.line) } else { (kept.line, r.line) };
                let (left_out, left_out_free, kept_when) = if replaces { (&out[kept.index].0, out[kept.index].1, &event.when) } else { (&event, r.free, &out[kept.index].0.when) };
                if !left_out_free && left_out.when != *kept_when {
                    let why = if r.sequence == kept.sequence {
                        format!("It has the UID and the SEQUENCE of the event from line {kept_line}: one UID is one event (RFC 5545 3.8.4.7), and of two copies with the same SEQUENCE the first in the file is kept.")
                    } else {
                        format!("It has the UID of the event from line {kept_line} and a lower SEQUENCE: one UID is one event (RFC 5545 3.8.4.7), and the higher SEQUENCE is its newer version (3.8.7.4).")
                    };
                    skipped.push(Skipped { line: left_out_line, reason: format!("{why} The event from line {left_out_line} was skipped.") });
                }
                if replaces {
                    *kept = Series { index: kept.index, sequence: r.sequence, line: r.line, as_read: event.when.clone() };
                    out[kept.index] = (event, r.free);
                }
            }
            None => {
                series_of.insert(r.uid.clone(), Series { index: out.len(), sequence: r.sequence, line: r.line, as_read: event.when.clone() });
                out.push((event, r.free));
            }
        }
    }
    instances.sort_by_key(|r| r.instance.as_ref().map(|(t, _)| t.local));
    // The parts of series after a RANGE=THISANDFUTURE change.
    let mut parts: Vec<(BusyEvent, bool)> = Vec::new();
    for r in instances {
        let Some((id, future)) = &r.instance else { continue };
        let Some(series) = series_of.get(&r.uid) else {
            // An instance without its series is an event of its own.
            out.push((busy_event(&r), r.free));
            continue;
        };
        let index = series.index;
        let master = &out[index].0;
        let Ok(zone) = master.when.zone() else { continue };
        let original = if id.all_day || master.all_day || id.tz_name == master.when.time_zone { id.local } else { zone.local(id.zone.localize(id.local)) };
        if master.when.exdates.contains(&original) {
            // The series no longer has this instance: its change went with it.
            continue;
        }
        if r.sequence < series.sequence && !series.as_read.starts_at(original, budget).unwrap_or(true) {
            // A change to an earlier version of the series (a lower
            // SEQUENCE) of an instance the revised series no longer has:
            // the revision took it away, and the change with it (RFC 5545
            // 3.8.4.4, 3.8.7.4).
            continue;
        }
        if *future {
            // This instance and all later ones move as it moved (RFC 5545 3.2.13).
            let mut rest = master.clone();
            rest.when.extra.before = None;
            rest.when.extra.from = Some(original);
            rest.when.extra.shift = (zone.local(r.start.zone.localize(r.start.local)) - original).num_minutes();
            rest.when.minutes = r.minutes;
            rest.summary = r.summary.clone();
            rest.line = r.line;
            let before = &mut out[index].0.when.extra.before;
            *before = Some(before.map_or(original, |b| b.min(original)));
            for (earlier, _) in parts.iter_mut().filter(|(e, _)| e.uid == r.uid) {
                if earlier.when.extra.before.is_none_or(|b| b > original) {
                    earlier.when.extra.before = Some(original);
                }
            }
            parts.push((rest, r.free));
        } else {
            out[index].0.when.exdates.push(original);
            for (part, _) in parts.iter_mut().filter(|(e, _)| e.uid == r.uid) {
                part.when.exdates.push(original);
            }
            out.push((busy_event(&r), r.free));
        }
    }
    out.extend(parts);
    let mut events = Vec::new();
    for (e, free) in out {
        if free {
            continue;
        }
        match e.when.validate() {
            Ok(()) => events.push(e),
            Err(problem) => skipped.push(Skipped { line: e.line, reason: format!("{problem} The event from line {} was skipped.", e.line) }),
        }
    }
    skipped.sort_by_key(|s| s.line);
    CalendarRead { events, skipped }
}

fn busy_event(r: &Read) -> BusyEvent {
    let in_series_zone = |t: &Time| -> NaiveDateTime {
        // A floating series compares its exceptions by the times written.
        if t.tz_name == r.start.tz_name || t.all_day || r.start.floating {
            t.local
        } else {
            r.start.zone.local(t.zone.localize(t.local))
        }
    };
    // A changed instance is that one occurrence, whatever rules it repeats.
    let single = r.instance.is_some();
    let mut rules = r.rules.iter().map(|(x, _)| x.clone()).filter(|_| !single);
    // An instant with periods (RDATE;VALUE=PERIOD) is busy in the periods only.
    let (minutes, instant) = match r.rdates.iter().find_map(|d| d.minutes) {
        Some(period) if r.minutes == 0 => (period, Some(r.start.local).filter(|t| !r.rdates.iter().any(|d| d.start == *t))),
        _ => (r.minutes, None),
    };
    let when = Recurrence {
        start: r.start.local,
        minutes,
        time_zone: r.start.tz_name.clone(),
        rule: rules.next(),
        exdates: r.exdates.iter().map(in_series_zone).chain(instant).collect(),
        extra: Extra { rules: rules.collect(), rdates: if single { Vec::new() } else { r.rdates.clone() }, zone: r.start.custom.clone(), ..Default::default() },
    };
    BusyEvent { uid: r.uid.clone(), summary: r.summary.clone(), all_day: r.start.all_day, when, line: r.line }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn read_event(e: &RawEvent, zones: &HashMap<String, ZoneDef>, default_tz: Tz, budget: &Budget) -> Result<Option<Read>, IcsError> {
    let props = &e.props;
    let get = |name: &str| props.iter().find(|p| p.name == name);
    let free = get("TRANSP").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("TRANSPARENT"))
        || get("STATUS").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"))
        || get("X-MICROSOFT-CDO-BUSYSTATUS").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("FREE"));
    let uid = get("UID").map(|p| p.value.clone()).unwrap_or_default();
    let Some(start_prop) = get("DTSTART") else {
        // Not busy time at all (a note or a to-do written as an event).
        return Ok(None);
    };
    let start = read_time(start_prop, zones, default_tz)?;
    let instance = match get("RECURRENCE-ID") {
        Some(p) => Some((read_time(p, zones, default_tz)?, p.param("RANGE").is_some_and(|r| r.eq_ignore_ascii_case("THISANDFUTURE")))),
        None => None,
    };
    let minutes = if let Some(end_prop) = get("DTEND") {
        let end = read_time(end_prop, zones, default_tz)?;
        // Both ends are in local time of their own zones; compare as instants
        // when the zones differ, else as wall-clock times.
        if end.tz_name == start.tz_name || end.all_day {
            (end.local - start.local).num_minutes()
        } else {
            (end.zone.localize(end.local) - start.zone.localize(start.local)).num_minutes()
        }
    } else if let Some(d) = get("DURATION") {
        duration(&d.value).ok_or_else(|| err(d.line, format!("“{}” is not a duration such as PT1H or P1D.", d.value.trim())))?.num_minutes()
    } else if start.all_day {
        24 * 60
    } else {
        0
    };
    if minutes < 0 {
        let end = get("DTEND").map_or(start_prop.line, |p| p.line);
        return Err(err(end, "the event ends before it starts (RFC 5545 3.8.2.2)."));
    }
    let mut exdates = Vec::new();
    for ex in props.iter().filter(|p| p.name == "EXDATE") {
        for one in ex.value.split(',').filter(|v| !v.trim().is_empty()) {
            let single = Prop { value: one.trim().to_owned(), ..ex.clone() };
            exdates.push(read_time(&single, zones, default_tz)?);
        }
    }
    let mut rdates = Vec::new();
    for rd in props.iter().filter(|p| p.name == "RDATE") {
        for one in rd.value.split(',').filter(|v| !v.trim().is_empty()) {
            rdates.push(read_rdate(rd, one.trim(), &start, zones, default_tz)?);
        }
    }
    let mut notes = Vec::new();
    let mut rules = Vec::new();
    for p in props.iter().filter(|p| p.name == "RRULE") {
        let rule = p.value.trim().to_owned();
        // Both COUNT and UNTIL (RFC 5545 3.3.10 allows one): the part that
        // would end the series later is left out and reported, so the event
        // keeps the occurrences both parts allow.
        let series = Recurrence { start: start.local, minutes: 1, time_zone: start.tz_name.clone(), extra: Extra { zone: start.custom.clone(), ..Extra::default() }, ..Recurrence::default() };
        match series.without_later_end(&rule, budget) {
            Some((kept, left_out)) => {
                notes.push(Skipped {
                    line: p.line,
                    reason: format!(
                        "The rule has both COUNT and UNTIL, which RFC 5545 3.3.10 does not allow: {left_out} was left out, and the series ends where the other part ends it. The event from line {} was kept.",
                        e.begin
                    ),
                });
                rules.push((kept, p.line));
            }
            None => rules.push((rule, p.line)),
        }
    }
    if minutes == 0 && (instance.is_some() || !rules.is_empty() || !rdates.iter().any(|r: &RDate| r.minutes.is_some())) {
        // A reminder at one instant takes no time.
        return Ok(None);
    }
    for (rule, line) in &rules {
        // Checked on its own so that the message names its line.
        let alone = Recurrence { start: start.local, minutes: 1, time_zone: "UTC".into(), rule: Some(rule.clone()), ..Default::default() };
        alone.validate().map_err(|e| err(*line, e.to_string()))?;
    }
    let summary = get("SUMMARY").map(|p| unescape(&p.value)).filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "Busy".to_owned());
    let sequence = get("SEQUENCE").and_then(|p| p.value.trim().parse().ok()).unwrap_or(0);
    Ok(Some(Read { uid, line: e.begin, free, summary, start, minutes: minutes.max(0), rules, rdates, exdates, instance, sequence, notes }))
}

/// One RDATE value: a date, a date-time or a period (`start/end` or
/// `start/duration`), as a local start in the event's zone.
fn read_rdate(p: &Prop, value: &str, start: &Time, zones: &HashMap<String, ZoneDef>, default_tz: Tz) -> Result<RDate, IcsError> {
    let (first, period_end) = match value.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (value, None),
    };
    let at = read_time(&Prop { value: first.to_owned(), ..p.clone() }, zones, default_tz)?;
    let local = |t: &Time| if t.tz_name == start.tz_name || t.all_day { t.local } else { start.zone.local(t.zone.localize(t.local)) };
    let minutes = match period_end {
        None => None,
        Some(end) if end.starts_with(['P', '+', '-']) => {
            Some(duration(end).ok_or_else(|| err(p.line, format!("“{end}” is not a duration such as PT1H.")))?.num_minutes())
        }
        Some(end) => {
            let end = read_time(&Prop { value: end.to_owned(), ..p.clone() }, zones, default_tz)?;
            Some((end.zone.localize(end.local) - at.zone.localize(at.local)).num_minutes())
        }
    };
    if minutes.is_some_and(|m| m <= 0) {
        return Err(err(p.line, format!("the period “{value}” ends before it starts.")));
    }
    Ok(RDate { start: local(&at), minutes })
}

struct Time {
    local: NaiveDateTime,
    /// Written without a zone (RFC 5545 3.3.5, form #1).
    floating: bool,
    zone: Zone,
    tz_name: String,
    /// The rules of a zone the file defined, to store with the event.
    custom: Option<CustomZone>,
    all_day: bool,
}

fn read_time(p: &Prop, zones: &HashMap<String, ZoneDef>, default_tz: Tz) -> Result<Time, IcsError> {
    let v = p.value.trim();
    let in_range = |t: NaiveDateTime| -> Result<NaiveDateTime, IcsError> {
        if zone::in_range(t) {
            Ok(t)
        } else {
            Err(err(p.line, format!("“{v}” is outside the years {} to {} Liftoff plans in.", zone::YEARS.start(), zone::YEARS.end())))
        }
    };
    let iana = |tz: Tz| (Zone::Iana(tz), tz.name().to_owned(), None);
    if p.param("VALUE").is_some_and(|t| t.eq_ignore_ascii_case("DATE")) || (v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit())) {
        let day = NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| err(p.line, format!("“{v}” is not a date such as 20261124.")))?;
        let (zone, tz_name, custom) = iana(default_tz);
        return Ok(Time { local: in_range(day.and_time(chrono::NaiveTime::MIN))?, floating: true, zone, tz_name, custom, all_day: true });
    }
    let bad = || err(p.line, format!("“{v}” is not a date and time such as 20261124T090000."));
    if let Some(utc) = v.strip_suffix('Z').or_else(|| v.strip_suffix('z')) {
        let local = in_range(NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").map_err(|_| bad())?)?;
        let (zone, tz_name, custom) = iana(Tz::UTC);
        return Ok(Time { local, floating: false, zone, tz_name, custom, all_day: false });
    }
    let local = in_range(NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| bad())?)?;
    let (zone, tz_name, custom) = match p.param("TZID") {
        None => iana(default_tz),
        Some(id) => {
            let key = tzid_key(id);
            match zones.get(&key) {
                Some(ZoneDef::Iana(tz)) => iana(*tz),
                Some(ZoneDef::Custom(c)) => (Zone::custom(c), key.clone(), Some(c.clone())),
                None => match zone_named(&key) {
                    Some(tz) => iana(tz),
                    None => {
                        return Err(err(
                            p.line,
                            format!("the time zone “{key}” is neither one Liftoff knows nor defined in the file (VTIMEZONE). Export the calendar with its time zones included."),
                        ));
                    }
                },
            }
        }
    };
    let floating = p.param("TZID").is_none();
    Ok(Time { local, floating, zone, tz_name, custom, all_day: false })
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
/// A line that cannot be read is kept as the reason, for the event it is in.
fn unfold(content: &str) -> Result<Vec<Result<Prop, Skipped>>, IcsError> {
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
    Ok(logical.into_iter().map(|(line, text)| split_line(line, &text)).collect())
}

fn split_line(line: usize, text: &str) -> Result<Prop, Skipped> {
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
        return Err(Skipped { line, reason: format!("“{}” is not a NAME:value line.", text.chars().take(40).collect::<String>()) });
    };
    let (head, value) = (&text[..colon], &text[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().trim().to_uppercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Skipped { line, reason: format!("“{}” is not a property name.", name.chars().take(40).collect::<String>()) });
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
        let read = parse(GOOGLE, berlin()).unwrap();
        assert_eq!(read.skipped, []);
        let events = read.events;
        let summaries: Vec<&str> = events.iter().map(|e| e.summary.as_str()).collect();
        assert_eq!(summaries, ["Team stand-up", "Out of office", "Design review, with Finance", "Team stand-up (moved)"], "the free lunch is skipped");

        let standup = &events[0];
        assert_eq!(standup.when.time_zone, "America/New_York");
        assert_eq!(standup.when.minutes, 15);
        // The week of 23 November: Monday, Wednesday (Tuesday moved, Thursday excluded), Friday.
        let week = standup.when.expand(utc(2026, 11, 23, 0, 0), utc(2026, 11, 28, 0, 0)).unwrap().occurrences;
        let starts: Vec<DateTime<Utc>> = week.iter().map(|o| o.start).collect();
        assert_eq!(starts, [utc(2026, 11, 23, 14, 30), utc(2026, 11, 25, 14, 30), utc(2026, 11, 27, 14, 30)]);
        let moved = events[3].when.expand(utc(2026, 11, 24, 0, 0), utc(2026, 11, 25, 0, 0)).unwrap().occurrences;
        assert_eq!(moved[0].start, utc(2026, 11, 24, 19, 0));

        let leave = &events[1];
        assert!(leave.all_day);
        assert_eq!(leave.when.minutes, 2 * 24 * 60);
        let o = leave.when.expand(utc(2026, 11, 1, 0, 0), utc(2026, 12, 31, 0, 0)).unwrap().occurrences;
        assert_eq!((o[0].start, o[0].end), (utc(2026, 11, 29, 23, 0), utc(2026, 12, 1, 23, 0)), "whole days in the person's zone");
        assert_eq!(events[2].when.minutes, 90);
    }

    #[test]
    fn reads_outlook_and_thunderbird_zone_names_and_folded_lines() {
        let outlook = "BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:W. Europe Standard Time\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:1\nSUMMARY:Steering \n committee\nDTSTART;TZID=W. Europe Standard Time:20261124T100000\nDTEND;TZID=W. Europe Standard Time:20261124T110000\nEND:VEVENT\nEND:VCALENDAR\n";
        let e = parse(outlook, Tz::UTC).unwrap().events;
        assert_eq!(e[0].summary, "Steering committee");
        assert_eq!(e[0].when.time_zone, "Europe/Berlin");
        let thunderbird = outlook.replace("W. Europe Standard Time", "/mozilla.org/20070129_1/Europe/Berlin");
        assert_eq!(parse(&thunderbird, Tz::UTC).unwrap().events[0].when.time_zone, "Europe/Berlin");
    }

    #[test]
    fn a_bad_file_names_the_line() {
        let cut = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:20261124T100000Z\n";
        assert_eq!(parse(cut, berlin()).unwrap_err().to_string(), "Line 2: BEGIN:VEVENT is never closed; the file is cut short. Export it again.");
        // An event that cannot be read is skipped with its line; the rest is kept.
        let good = "BEGIN:VEVENT\nUID:ok\nDTSTART:20261124T100000Z\nDURATION:PT1H\nEND:VEVENT\n";
        let with = |bad: &str| format!("BEGIN:VCALENDAR\n{good}BEGIN:VEVENT\nUID:1\n{bad}END:VEVENT\nEND:VCALENDAR\n");
        let skipped = |bad: &str| {
            let read = parse(&with(bad), berlin()).unwrap();
            assert_eq!(read.events.len(), 1, "{bad}");
            assert_eq!(read.skipped.len(), 1, "{bad}");
            (read.skipped[0].line, read.skipped[0].reason.clone())
        };
        assert_eq!(skipped("DTSTART:2026-11-24\nDTEND:20261124T110000Z\n").0, 9);
        let (line, why) = skipped("DTSTART;TZID=Narnia/Cair Paravel:20261124T100000\nDURATION:PT1H\n");
        assert_eq!(line, 9);
        assert!(why.starts_with("The time zone “Narnia/Cair Paravel” is neither"), "{why}");
        assert_eq!(skipped("DTSTART:20261124T100000Z\nDURATION:PT1H\nRRULE:FREQ=OFTEN\n").0, 11);
        // The rrule crate slices weekdays as bytes: a non-ASCII one is refused, not a panic.
        let (line, why) = skipped("DTSTART:20261124T100000Z\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;BYDAY=MO\u{e9}\n");
        assert_eq!(line, 11);
        assert!(why.contains("“é” does not belong in a rule"), "{why}");
        assert!(skipped("DTSTART:99991124T100000Z\nDURATION:PT1H\n").1.contains("outside the years 1800 to 2200"));
        assert!(skipped("X-APPLE-RADIUS=49.9\nDTSTART:20261124T100000Z\nDURATION:PT1H\n").1.contains("is not a NAME:value line"));
        // Outside events a line that cannot be read is ignored.
        let stray = with("DTSTART:20261124T100000Z\nDURATION:PT1H\n").replacen("BEGIN:VEVENT", "X-WR-CALNAME=Broken\nBEGIN:VEVENT", 1);
        assert_eq!(parse(&stray, berlin()).unwrap().events.len(), 2);
        assert!(parse("hello", berlin()).unwrap_err().to_string().contains("not an iCalendar file"));
        assert!(parse("BEGIN:VCARD\nEND:VCARD\n", berlin()).unwrap_err().to_string().contains("not an iCalendar file"));
        let crossed = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR\n";
        assert!(parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nX\nEND:VEVENT\nEND:VCALENDA\n", berlin()).is_err(), "a bad END refuses the whole file");
        assert!(parse(crossed, berlin()).unwrap_err().to_string().starts_with("Line 3: END:VCALENDAR closes BEGIN:VEVENT from line 2"));
    }

    fn occurrences(text: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let read = parse(text, berlin()).unwrap();
        assert_eq!(read.skipped, [], "{text}");
        let mut all: Vec<_> = read.events.iter().flat_map(|e| e.when.expand(from, to).unwrap().occurrences).map(|o| (o.start, o.end)).collect();
        all.sort();
        all
    }

    fn calendar(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{}END:VCALENDAR\r\n", body.lines().map(|l| format!("{}\r\n", l.trim())).collect::<String>())
    }

    #[test]
    fn the_recurrence_set_is_dtstart_rrules_and_rdates_minus_exdates() {
        let text = calendar(
            "BEGIN:VEVENT
            UID:set
            DTSTART:20270104T090000Z
            DTEND:20270104T100000Z
            RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2
            RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=1
            RDATE:20270108T090000Z,20270109T120000Z
            RDATE;VALUE=PERIOD:20270110T080000Z/PT3H,20270111T080000Z/20270111T083000Z
            RDATE;VALUE=DATE:20270112
            EXDATE:20270111T090000Z
            END:VEVENT",
        );
        let got = occurrences(&text, utc(2027, 1, 1, 0, 0), utc(2027, 2, 1, 0, 0));
        let h = |d, h, m| utc(2027, 1, d, h, m);
        assert_eq!(
            got,
            [
                (h(4, 9, 0), h(4, 10, 0)),
                (h(6, 9, 0), h(6, 10, 0)),
                (h(8, 9, 0), h(8, 10, 0)),
                (h(9, 12, 0), h(9, 13, 0)),
                (h(10, 8, 0), h(10, 11, 0)),
                (h(11, 8, 0), h(11, 8, 30)),
                // A date in a UTC series: its midnight, in the series' zone.
                (h(12, 0, 0), h(12, 1, 0)),
            ]
        );
    }

    #[test]
    fn a_moved_instance_is_one_instance_and_thisandfuture_moves_the_rest() {
        // The moved instance repeats the series' RRULE, as several clients write it.
        let text = calendar(
            "BEGIN:VEVENT
            UID:s
            DTSTART:20270104T090000Z
            DURATION:PT1H
            RRULE:FREQ=DAILY;COUNT=6
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID:20270105T090000Z
            DTSTART:20270105T150000Z
            DURATION:PT30M
            RRULE:FREQ=DAILY;COUNT=6
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            RECURRENCE-ID;RANGE=THISANDFUTURE:20270107T090000Z
            DTSTART:20270107T110000Z
            DURATION:PT2H
            END:VEVENT",
        );
        let got = occurrences(&text, utc(2027, 1, 1, 0, 0), utc(2027, 2, 1, 0, 0));
        let h = |d, h, m| utc(2027, 1, d, h, m);
        assert_eq!(
            got,
            [
                (h(4, 9, 0), h(4, 10, 0)),
                (h(5, 15, 0), h(5, 15, 30)),
                (h(6, 9, 0), h(6, 10, 0)),
                (h(7, 11, 0), h(7, 13, 0)),
                (h(8, 11, 0), h(8, 13, 0)),
                (h(9, 11, 0), h(9, 13, 0)),
            ]
        );
    }

    type Spans = Vec<(DateTime<Utc>, DateTime<Utc>)>;

    /// Every occurrence of a read, and its report.
    fn read_with_report(text: &str) -> (Spans, Vec<Skipped>) {
        let read = parse(text, berlin()).unwrap();
        let (from, to) = (utc(2026, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0));
        let mut all: Vec<_> = read.events.iter().flat_map(|e| e.when.expand(from, to).unwrap().occurrences).map(|o| (o.start, o.end)).collect();
        all.sort();
        (all, read.skipped)
    }

    #[test]
    fn a_change_to_an_instance_the_revised_series_no_longer_has_adds_no_busy_time() {
        // The series was Tuesdays at 09:00 (SEQUENCE 1), when 5 January
        // was moved; it is now Mondays at 10:00 (SEQUENCE 2). A change of
        // SEQUENCE 1 to an instance the series still has still applies.
        let text = calendar(
            "BEGIN:VEVENT
            UID:s
            SEQUENCE:2
            DTSTART:20270104T100000Z
            DURATION:PT1H
            RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            SEQUENCE:1
            RECURRENCE-ID:20270105T090000Z
            DTSTART:20270105T150000Z
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            SEQUENCE:1
            RECURRENCE-ID:20270118T100000Z
            DTSTART:20270118T120000Z
            DURATION:PT1H
            END:VEVENT
            BEGIN:VEVENT
            UID:s
            SEQUENCE:2
            RECURRENCE-ID:20270111T100000Z
            DTSTART:20270111T160000Z
            DURATION:PT1H
            END:VEVENT",
        );
        let (got, skipped) = read_with_report(&text);
        assert_eq!(skipped, []);
        let h = |d, h| (utc(2027, 1, d, h, 0), utc(2027, 1, d, h + 1, 0));
        assert_eq!(got, [h(4, 10), h(11, 16), h(18, 12), h(25, 10)], "nothing on 5 January");
        // The same stale change with the series' own SEQUENCE is the
        // person's calendar as it stands: kept.
        let (got, _) = read_with_report(&text.replacen("SEQUENCE:1", "SEQUENCE:2", 1));
        assert!(got.contains(&h(5, 15)), "{got:?}");
    }

    #[test]
    fn a_rule_that_ends_before_it_starts_is_one_occurrence() {
        let text = calendar(
            "BEGIN:VEVENT
            UID:u
            DTSTART:20270104T100000Z
            DURATION:PT1H
            RRULE:FREQ=DAILY;UNTIL=20270101T000000Z
            END:VEVENT",
        );
        let (got, skipped) = read_with_report(&text);
        assert_eq!(skipped, []);
        assert_eq!(got, [(utc(2027, 1, 4, 10, 0), utc(2027, 1, 4, 11, 0))], "DTSTART is the first instance (RFC 5545 3.8.5.3)");
    }

    #[test]
    fn of_two_events_with_one_uid_one_is_kept_and_the_other_reported() {
        let two = |first: &str, second: &str| {
            calendar(&format!(
                "BEGIN:VEVENT
                UID:d
                {first}
                DTSTART:20270104T100000Z
                DURATION:PT1H
                END:VEVENT
                BEGIN:VEVENT
                UID:d
                {second}
                DTSTART:20270106T100000Z
                DURATION:PT1H
                END:VEVENT"
            ))
        };
        let monday = (utc(2027, 1, 4, 10, 0), utc(2027, 1, 4, 11, 0));
        let wednesday = (utc(2027, 1, 6, 10, 0), utc(2027, 1, 6, 11, 0));
        // The same SEQUENCE: the first in the file, as the reference reads it.
        let (got, skipped) = read_with_report(&two("SEQUENCE:0", "SEQUENCE:0"));
        assert_eq!(got, [monday]);
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(skipped[0].line, 9);
        assert!(skipped[0].reason.starts_with("It has the UID and the SEQUENCE of the event from line 3"), "{}", skipped[0].reason);
        assert!(skipped[0].reason.ends_with("The event from line 9 was skipped."), "{}", skipped[0].reason);
        // A higher SEQUENCE is the newer version, wherever it is.
        let (got, skipped) = read_with_report(&two("SEQUENCE:1", "SEQUENCE:2"));
        assert_eq!(got, [wednesday]);
        assert_eq!(skipped[0].line, 3);
        assert!(skipped[0].reason.contains("from line 9 and a lower SEQUENCE"), "{}", skipped[0].reason);
        let (got, skipped) = read_with_report(&two("SEQUENCE:2", "SEQUENCE:1"));
        assert_eq!((got, skipped[0].line), (vec![monday], 9));
        // The same event exported twice is no loss to report.
        let (got, skipped) = read_with_report(&two("SEQUENCE:0", "SEQUENCE:0").replace("20270106T100000Z", "20270104T100000Z"));
        assert_eq!((got, skipped), (vec![monday], vec![]));
    }

    #[test]
    fn a_rule_with_count_and_until_keeps_its_event_without_one_of_them() {
        let text = calendar(
            "BEGIN:VEVENT
            UID:c
            DTSTART:20270104T100000Z
            DURATION:PT1H
            RRULE:FREQ=DAILY;COUNT=3;UNTIL=20270110T000000Z
            END:VEVENT
            BEGIN:VEVENT
            UID:c2
            DTSTART:20270204T100000Z
            DURATION:PT1H
            RRULE:FREQ=DAILY;COUNT=10;UNTIL=20270207T000000Z
            END:VEVENT",
        );
        let (got, skipped) = read_with_report(&text);
        let days = |m, d: &[u32]| d.iter().map(|d| (utc(2027, m, *d, 10, 0), utc(2027, m, *d, 11, 0))).collect::<Vec<_>>();
        assert_eq!(got, [days(1, &[4, 5, 6]), days(2, &[4, 5, 6])].concat(), "each series ends where the first of its two parts ends it");
        let lines: Vec<usize> = skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [7, 13], "{skipped:?}");
        assert!(skipped[0].reason.contains("RFC 5545 3.3.10") && skipped[0].reason.contains("UNTIL=20270110T000000Z was left out"), "{}", skipped[0].reason);
        assert!(skipped[0].reason.ends_with("The event from line 3 was kept."), "{}", skipped[0].reason);
        assert!(skipped[1].reason.contains("COUNT=10 was left out"), "{}", skipped[1].reason);
    }

    #[test]
    fn zones_the_file_defines_under_names_that_are_not_iana_ones() {
        // Outlook's display name with escaped commas, used with and without quotes.
        let text = calendar(
            "BEGIN:VTIMEZONE
            TZID:(UTC+01:00) Amsterdam\\, Berlin\\, Bern
            BEGIN:STANDARD
            DTSTART:16011028T030000
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
            TZOFFSETFROM:+0200
            TZOFFSETTO:+0100
            END:STANDARD
            BEGIN:DAYLIGHT
            DTSTART:16010325T020000
            RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
            TZOFFSETFROM:+0100
            TZOFFSETTO:+0200
            END:DAYLIGHT
            END:VTIMEZONE
            BEGIN:VTIMEZONE
            TZID:Unused zone
            END:VTIMEZONE
            BEGIN:VEVENT
            UID:w
            DTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern\":20270326T150000
            DTEND;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern\":20270329T090000
            RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=2
            END:VEVENT",
        );
        let got = occurrences(&text, utc(2027, 3, 1, 0, 0), utc(2027, 5, 1, 0, 0));
        // Friday 15:00 CET to Monday 09:00 CEST, then a week later in summer time.
        assert_eq!(got, [(utc(2027, 3, 26, 14, 0), utc(2027, 3, 29, 7, 0)), (utc(2027, 4, 2, 13, 0), utc(2027, 4, 5, 7, 0))]);
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
