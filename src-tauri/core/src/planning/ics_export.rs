//! Writing a calendar (`.ics`) that Google Calendar, Outlook and Thunderbird
//! import: release windows as events, freezes as (recurring) events in their
//! own time zone.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::recurrence::Recurrence;

/// One event to write.
#[derive(Debug, Clone)]
pub enum CalendarEntry {
    /// A fixed span, such as a release window.
    Fixed { uid: String, summary: String, description: String, start: DateTime<Utc>, end: DateTime<Utc> },
    /// A possibly recurring window in a named zone, such as a freeze.
    Repeating { uid: String, summary: String, description: String, when: Recurrence },
}

/// The project's calendar: every release with a planned window, and every
/// freeze and maintenance window with its recurrence.
pub fn project_calendar(store: &crate::Store, project_id: &str, now: DateTime<Utc>) -> Result<String, super::PlanningError> {
    use super::windows::{self, WindowKind};
    let project = crate::projects::get(store, project_id).map_err(|_| super::PlanningError::ProjectNotFound)?;
    let mut entries = Vec::new();
    for r in crate::releases::list(store, project_id, None).map_err(|_| super::PlanningError::ProjectNotFound)? {
        let r = r.release;
        let (Some(s), Some(e)) = (&r.window_start, &r.window_end) else { continue };
        let parse = |t: &str| DateTime::parse_from_rfc3339(t).map(|x| x.with_timezone(&Utc)).ok();
        let (Some(start), Some(end)) = (parse(s), parse(e)) else { continue };
        entries.push(CalendarEntry::Fixed {
            uid: format!("release-{}@liftoff", r.id),
            summary: format!("Release {} – {} ({})", r.version, r.name, r.state.label()),
            description: r.scope.clone(),
            start,
            end,
        });
    }
    for w in windows::list(store, project_id)? {
        let what = if w.kind == WindowKind::Freeze { "Freeze" } else { "Maintenance" };
        entries.push(CalendarEntry::Repeating {
            uid: format!("window-{}@liftoff", w.id),
            summary: format!("{what}: {}", w.name),
            description: w.reason.clone(),
            when: windows::recurrence_of(&w)?,
        });
    }
    Ok(write(&format!("{} releases", project.name), &entries, now))
}

/// The calendar text, with CRLF line ends and lines folded at 75 octets as
/// RFC 5545 asks.
pub fn write(name: &str, entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Liftoff//Release calendar//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for e in entries {
        lines.push("BEGIN:VEVENT".into());
        match e {
            CalendarEntry::Fixed { uid, summary, description, start, end } => {
                lines.push(format!("UID:{}", escape(uid)));
                lines.push(format!("DTSTAMP:{stamp}"));
                lines.push(format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ")));
                lines.push(format!("DTEND:{}", end.format("%Y%m%dT%H%M%SZ")));
                lines.push(format!("SUMMARY:{}", escape(summary)));
                if !description.is_empty() {
                    lines.push(format!("DESCRIPTION:{}", escape(description)));
                }
            }
            CalendarEntry::Repeating { uid, summary, description, when } => {
                let local = |t: &NaiveDateTime| t.format("%Y%m%dT%H%M%S").to_string();
                let end = when.start + chrono::Duration::minutes(when.minutes);
                lines.push(format!("UID:{}", escape(uid)));
                lines.push(format!("DTSTAMP:{stamp}"));
                lines.push(format!("DTSTART;TZID={}:{}", when.time_zone, local(&when.start)));
                lines.push(format!("DTEND;TZID={}:{}", when.time_zone, local(&end)));
                if let Some(rule) = when.rule.as_deref().filter(|r| !r.trim().is_empty()) {
                    lines.push(format!("RRULE:{}", rule.trim().trim_start_matches("RRULE:")));
                }
                if !when.exdates.is_empty() {
                    let list: Vec<String> = when.exdates.iter().map(local).collect();
                    lines.push(format!("EXDATE;TZID={}:{}", when.time_zone, list.join(",")));
                }
                lines.push(format!("SUMMARY:{}", escape(summary)));
                if !description.is_empty() {
                    lines.push(format!("DESCRIPTION:{}", escape(description)));
                }
                lines.push("TRANSP:OPAQUE".into());
            }
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace("\r\n", "\\n").replace('\n', "\\n")
}

/// Folds a content line at 75 octets, never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::ics;
    use crate::planning::testing::*;

    #[test]
    fn a_written_calendar_reads_back_the_same() {
        let freeze = Recurrence {
            start: local(2027, 1, 8, 15, 0),
            minutes: 66 * 60,
            time_zone: "Europe/Berlin".into(),
            rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
            exdates: vec![local(2027, 4, 2, 15, 0)],
        };
        let entries = [
            CalendarEntry::Fixed {
                uid: "release-1@liftoff".into(),
                summary: "Release 2.4.0: Tax engine switch, with a very long name that has to be folded over lines".into(),
                description: "Scope: invoices; PDFs\nOwner: Lena".into(),
                start: utc(2027, 3, 2, 8, 0),
                end: utc(2027, 3, 2, 9, 30),
            },
            CalendarEntry::Repeating { uid: "freeze-1@liftoff".into(), summary: "Freeze: weekend".into(), description: String::new(), when: freeze.clone() },
        ];
        let text = write("Northwind Billing", &entries, utc(2026, 11, 22, 12, 0));
        assert!(text.lines().all(|l| l.len() <= 76), "folded");
        assert!(text.contains("\r\n "), "long lines are folded");
        assert!(text.contains("SUMMARY:Release 2.4.0: Tax engine switch\\, with"));
        let back = ics::parse(&text, berlin()).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].summary, "Release 2.4.0: Tax engine switch, with a very long name that has to be folded over lines");
        assert_eq!(back[0].when.expand(utc(2027, 3, 1, 0, 0), utc(2027, 3, 3, 0, 0)).unwrap().occurrences[0].start, utc(2027, 3, 2, 8, 0));
        assert_eq!(back[1].when, freeze);
    }
}
