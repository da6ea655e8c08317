//! Planning data through the public API on a real database: freeze windows,
//! the load profile, people's busy time and release windows.

use chrono::{DateTime, TimeZone, Utc};
use liftoff_core::audit::{self, Actor, AuditQuery};
use liftoff_core::environments;
use liftoff_core::people::{self, Person, PersonDraft, Role};
use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
use liftoff_core::planning::{busy, profile, PlanningError};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft, ReleaseError};
use liftoff_core::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn setup() -> (tempfile::TempDir, Store, Project, Person) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let draft = ProjectDraft { name: "Atlas".into(), time_zone: "Europe/Berlin".into(), ..Default::default() };
    let project = projects::create(&store, &draft, t0()).unwrap();
    let person = PersonDraft {
        name: "Priya Nair".into(),
        email: "priya@example.com".into(),
        role: Role::Reviewer,
        time_zone: "America/New_York".into(),
        work_start: "09:00".into(),
        work_end: "17:00".into(),
        work_days: [true, true, true, true, true, false, false],
    };
    let priya = people::create(&store, &project.id, &person, t0()).unwrap();
    (dir, store, project, priya)
}

fn weekend_freeze(env: Vec<String>) -> CalendarWindowDraft {
    CalendarWindowDraft {
        kind: Some(WindowKind::Freeze),
        name: "Weekend freeze".into(),
        reason: "Nobody is around to roll back".into(),
        start_local: "2027-01-08T15:00".into(),
        minutes: 66 * 60,
        time_zone: "Europe/Berlin".into(),
        rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
        exdates: vec!["2027-04-02T15:00".into()],
        environment_ids: env,
    }
}

#[test]
fn freeze_windows_are_stored_scoped_and_expanded_across_dst() {
    let (_dir, store, project, _) = setup();
    let prod = environments::list(&store, &project.id).unwrap().into_iter().find(|e| e.protected).unwrap();
    let w = windows::create(&store, &project.id, &weekend_freeze(vec![prod.id.clone()]), t0()).unwrap();
    assert_eq!(w.environment_ids, std::slice::from_ref(&prod.id));
    assert_eq!(windows::list(&store, &project.id).unwrap(), std::slice::from_ref(&w));

    // The spring change in Berlin: Friday 15:00 CET to Monday 09:00 CEST.
    let (spring, truncated) = windows::occurrences(&store, &project.id, utc(2027, 3, 27, 0, 0), utc(2027, 3, 28, 0, 0)).unwrap();
    assert!(!truncated);
    assert_eq!((spring[0].start.as_str(), spring[0].end.as_str()), ("2027-03-26T14:00:00Z", "2027-03-29T07:00:00Z"));
    // Good Friday is left out.
    let (easter, _) = windows::occurrences(&store, &project.id, utc(2027, 4, 3, 0, 0), utc(2027, 4, 4, 0, 0)).unwrap();
    assert!(easter.is_empty());

    let mut bad = weekend_freeze(vec!["not-an-environment".into()]);
    bad.rule = Some("FREQ=NEVER".into());
    bad.start_local = "Friday".into();
    bad.time_zone = "Europe/Atlantis".into();
    match windows::create(&store, &project.id, &bad, t0()) {
        Err(PlanningError::Invalid(f)) => {
            for field in ["startLocal", "environmentIds"] {
                assert!(f.contains_key(field), "{field}: {f:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    let mut bad = weekend_freeze(Vec::new());
    bad.rule = Some("FREQ=NEVER".into());
    assert!(matches!(windows::create(&store, &project.id, &bad, t0()), Err(PlanningError::Invalid(f)) if f.contains_key("rule")));
    assert_eq!(windows::list(&store, &project.id).unwrap().len(), 1, "nothing invalid is stored");

    let mut edited = weekend_freeze(Vec::new());
    edited.kind = Some(WindowKind::Maintenance);
    edited.rule = None;
    let w2 = windows::update(&store, &w.id, &edited, t0()).unwrap();
    assert_eq!((w2.kind, w2.environment_ids.len()), (WindowKind::Maintenance, 0));
    windows::delete(&store, &w.id).unwrap();
    assert!(windows::list(&store, &project.id).unwrap().is_empty());
}

#[test]
fn a_load_export_replaces_the_profile_and_a_bad_one_changes_nothing() {
    let (_dir, store, project, _) = setup();
    let csv = "timestamp,rpm\n2026-11-02T08:00:00Z,100\n2026-11-02T08:30:00Z,300\n2026-11-02T09:00:00Z,50\n";
    let s = profile::import_csv(&store, &project.id, csv).unwrap();
    assert_eq!((s.samples, s.peak, s.first.as_deref()), (3, 300.0, Some("2026-11-02T08:00:00Z")));
    let (pattern, _) = profile::weekly_pattern(&store, &project.id).unwrap().unwrap();
    assert_eq!(pattern.hours[0][9], 200.0, "Monday 09:00 Berlin");

    let bad = "timestamp,rpm\n2026-11-02T08:00:00Z,100\nlater,5\n";
    match profile::import_csv(&store, &project.id, bad) {
        Err(e @ PlanningError::File(_)) => assert!(e.to_string().starts_with("Line 3:") && e.to_string().ends_with("Nothing was imported."), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(profile::summary(&store, &project.id).unwrap().samples, 3);
    assert_eq!(profile::samples_between(&store, &project.id, utc(2026, 11, 2, 8, 15), utc(2026, 11, 2, 9, 0)).unwrap().len(), 1);

    let mut hours = vec![10.0; 168];
    hours[9] = 500.0;
    profile::set_pattern(&store, &project.id, &hours, t0()).unwrap();
    let (manual, _) = profile::weekly_pattern(&store, &project.id).unwrap().unwrap();
    assert_eq!(manual.hours[0][9], 500.0, "the pattern entered by hand wins");
    assert!(profile::set_pattern(&store, &project.id, &[1.0; 10], t0()).is_err());
}

const CALENDAR: &str = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nSUMMARY:Stand-up\nDTSTART;TZID=America/New_York:20261123T093000\nDURATION:PT15M\nRRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nSUMMARY:Leave\nDTSTART;VALUE=DATE:20261126\nDTEND;VALUE=DATE:20261127\nEND:VEVENT\nEND:VCALENDAR\n";

#[test]
fn calendars_become_busy_time_and_a_reimport_replaces_them() {
    let (_dir, store, project, priya) = setup();
    let report = busy::import_ics(&store, &priya.id, "/home/priya/work.ics", CALENDAR, t0()).unwrap();
    assert_eq!((report.events, report.source.as_str()), (2, "work.ics"));
    let week = busy::between(&store, &project.id, utc(2026, 11, 23, 0, 0), utc(2026, 11, 30, 0, 0)).unwrap();
    assert_eq!(week.len(), 6);
    assert_eq!(week[0].start, "2026-11-23T14:30:00Z");
    let leave = week.iter().find(|b| b.all_day).unwrap();
    assert_eq!((leave.start.as_str(), leave.end.as_str()), ("2026-11-26T05:00:00Z", "2026-11-27T05:00:00Z"), "a whole day in New York");

    // A series with an end is skipped by ranges after it.
    assert!(busy::between(&store, &project.id, utc(2026, 12, 1, 0, 0), utc(2026, 12, 8, 0, 0)).unwrap().is_empty());
    busy::import_ics(&store, &priya.id, "work.ics", &CALENDAR.replace("COUNT=5", "COUNT=1"), t0()).unwrap();
    assert_eq!(busy::between(&store, &project.id, utc(2026, 11, 23, 0, 0), utc(2026, 11, 30, 0, 0)).unwrap().len(), 2);

    let cut = &CALENDAR[..CALENDAR.len() / 2];
    let e = busy::import_ics(&store, &priya.id, "work.ics", cut, t0()).unwrap_err().to_string();
    assert!(e.starts_with("Line ") && e.contains("never closed"), "{e}");
    assert_eq!(busy::between(&store, &project.id, utc(2026, 11, 23, 0, 0), utc(2026, 11, 30, 0, 0)).unwrap().len(), 2);
}

#[test]
fn load_and_calendar_files_are_read_from_their_paths_within_their_limits() {
    let (dir, store, project, priya) = setup();
    let csv = dir.path().join("load.csv");
    std::fs::write(&csv, "timestamp,rpm\n2026-11-02T08:00:00Z,100\n2026-11-02T08:30:00Z,300\n").unwrap();
    assert_eq!(profile::import_csv_file(&store, &project.id, &csv).unwrap().samples, 2);
    let ics = dir.path().join("priya.ics");
    std::fs::write(&ics, CALENDAR).unwrap();
    let report = busy::import_ics_file(&store, &priya.id, &ics, t0()).unwrap();
    assert_eq!((report.events, report.source.as_str()), (2, "priya.ics"));

    // Too large: said in the importer's own words, without reading it all.
    let huge = dir.path().join("huge.ics");
    std::fs::File::create(&huge).unwrap().set_len(11 * 1024 * 1024).unwrap();
    let e = busy::import_ics_file(&store, &priya.id, &huge, t0()).unwrap_err().to_string();
    assert_eq!(e, "Line 0: the file is larger than 10 MB; export a shorter period from the calendar app. Nothing was imported.");
    let latin1 = dir.path().join("latin1.csv");
    std::fs::write(&latin1, b"timestamp,caf\xe9\n2026-11-02T08:00:00Z,1\n").unwrap();
    let e = profile::import_csv_file(&store, &project.id, &latin1).unwrap_err().to_string();
    assert!(e.contains("not UTF-8") && e.ends_with("Nothing was imported."), "{e}");
    assert_eq!(profile::summary(&store, &project.id).unwrap().samples, 2, "the bad file changed nothing");
}

#[test]
fn a_release_window_is_planned_checked_and_logged() {
    let (_dir, store, project, _) = setup();
    let lead = Actor { person_id: None, name: "lead".into() };
    let draft = ReleaseDraft { version: "2.4.0".into(), name: "Tax".into(), ..Default::default() };
    let r = releases::create(&store, &project.id, &draft, &lead, t0()).unwrap();
    let window = (utc(2026, 12, 1, 8, 0), utc(2026, 12, 1, 9, 30));
    let planned = releases::set_window(&store, &r.id, Some(window), None, &lead, t0()).unwrap();
    assert_eq!(planned.window_start.as_deref(), Some("2026-12-01T08:00:00Z"));
    let log = audit::list(&store, &r.id, &AuditQuery::default()).unwrap();
    // In the project's zone, as the window writes times, with the year: the log is read later.
    assert_eq!(log[0].summary, "Planned the window Tue 1 Dec 2026 09:00 to 10:30 Europe/Berlin");
    let backwards = releases::set_window(&store, &r.id, Some((window.1, window.0)), None, &lead, t0());
    assert!(matches!(backwards, Err(ReleaseError::Invalid(f)) if f.contains_key("windowEnd")));
    let cleared = releases::set_window(&store, &r.id, None, None, &lead, t0()).unwrap();
    assert!(cleared.window_start.is_none());
}

/// Weekend freezes from 6 November 2026, Priya's calendar, and a load
/// export with a busy Monday afternoon; returns the lead acting.
fn plan_a_week(store: &mut Store, project: &Project, priya: &Person) -> Actor {
    let mut freeze = weekend_freeze(Vec::new());
    freeze.start_local = "2026-11-06T15:00".into();
    windows::create(store, &project.id, &freeze, t0()).unwrap();
    busy::import_ics(store, &priya.id, "work.ics", CALENDAR, t0()).unwrap();
    profile::import_csv(store, &project.id, "2026-11-23T14:00:00Z,1000\n2026-11-23T20:00:00Z,10\n").unwrap();
    Actor { person_id: None, name: "lead".into() }
}

#[test]
fn a_release_window_is_judged_against_what_is_stored() {
    use liftoff_core::planning::picture;
    use liftoff_core::planning::window::{conflicts, suggest, ConflictKind};
    let (_dir, mut store, project, priya) = setup();
    let lead = plan_a_week(&mut store, &project, &priya);
    let mine = releases::create(&store, &project.id, &ReleaseDraft { version: "2.4.0".into(), name: "Tax".into(), ..Default::default() }, &lead, t0()).unwrap();
    let other = releases::create(&store, &project.id, &ReleaseDraft { version: "2.3.9".into(), name: "Hotfix".into(), ..Default::default() }, &lead, t0()).unwrap();
    releases::set_window(&store, &other.id, Some((utc(2026, 11, 24, 15, 0), utc(2026, 11, 24, 16, 0))), None, &lead, t0()).unwrap();

    let from = utc(2026, 11, 23, 0, 0);
    let to = utc(2026, 12, 7, 0, 0);
    let p = picture::for_release(&store, &mine.id, &[(priya.id.clone(), "reviewer".into())], from, to).unwrap();
    assert_eq!(p.freezes.len(), 1);
    assert_eq!(p.releases.len(), 1);

    // Monday 23 November 14:30Z: Priya's stand-up, and the busy hour.
    let kinds = |s, e| conflicts(&p, s, e, chrono_tz::UTC).into_iter().map(|c| c.kind).collect::<Vec<_>>();
    let k = kinds(utc(2026, 11, 23, 14, 30), utc(2026, 11, 23, 15, 0));
    assert!(k.contains(&ConflictKind::PersonBusy) && k.contains(&ConflictKind::PeakLoad), "{k:?}");
    assert!(kinds(utc(2026, 11, 24, 15, 30), utc(2026, 11, 24, 16, 30)).contains(&ConflictKind::ReleaseOverlap));
    assert!(kinds(utc(2026, 11, 27, 15, 0), utc(2026, 11, 27, 16, 0)).contains(&ConflictKind::Freeze));
    // Thursday 26 November: Priya's day off.
    assert!(kinds(utc(2026, 11, 26, 15, 0), utc(2026, 11, 26, 16, 0)).contains(&ConflictKind::PersonBusy));

    let best = suggest(&p, chrono::Duration::hours(1), from, to, chrono::Duration::minutes(15), 5, chrono_tz::Europe::Berlin);
    assert_eq!(best.len(), 5);
    for s in &best {
        assert!(conflicts(&p, s.window.start, s.window.end, chrono_tz::UTC).is_empty(), "{s:?}");
    }
}

#[test]
fn the_timeline_reads_everything_for_a_range_and_the_calendar_exports_it() {
    use liftoff_core::planning::{ics, ics_export, timeline};
    let (_dir, mut store, project, priya) = setup();
    let lead = plan_a_week(&mut store, &project, &priya);
    let r = releases::create(&store, &project.id, &ReleaseDraft { version: "2.4.0".into(), name: "Tax".into(), ..Default::default() }, &lead, t0()).unwrap();
    releases::set_window(&store, &r.id, Some((utc(2026, 11, 24, 9, 0), utc(2026, 11, 24, 10, 0))), None, &lead, t0()).unwrap();

    let t = timeline::read(&store, &project.id, utc(2026, 11, 23, 0, 0), utc(2026, 11, 30, 0, 0), 7).unwrap();
    assert_eq!(t.releases[0].window_start.as_deref(), Some("2026-11-24T09:00:00Z"));
    assert_eq!(t.windows.len(), 2, "the end of the freeze from 20 November, and the one from 27 November");
    assert_eq!(t.load.len(), 7);
    assert_eq!(t.load[0].map(|b| b.max), Some(1000.0));
    assert!(t.load[6].is_some(), "after the last sample, the expected load from the recent weeks");
    assert_eq!(t.load_peak, 1000.0);
    assert_eq!(t.work.iter().filter(|w| w.person_id == priya.id).count(), 5, "Monday to Friday");
    assert_eq!(t.work[0].start, "2026-11-23T14:00:00Z", "09:00 in New York");
    assert_eq!(t.busy.len(), 6);
    assert!(timeline::read(&store, &project.id, utc(2026, 1, 1, 0, 0), utc(2029, 1, 1, 0, 0), 10).is_err(), "bounded range");

    let text = ics_export::project_calendar(&store, &project.id, t0()).unwrap();
    let back = ics::parse(&text, chrono_tz::UTC).unwrap();
    let summaries: Vec<&str> = back.events.iter().map(|e| e.summary.as_str()).collect();
    assert_eq!(summaries, ["Release 2.4.0 – Tax (draft)", "Freeze: Weekend freeze"]);
}

/// RFC 5545 3.3.5, 3.3.6: an hour from 02:30 Berlin on the night the
/// clocks go forward starts at 01:30Z (the offset before the gap) and lasts
/// the full hour, in the timeline, in the checks and in the exported file.
#[test]
fn a_window_starting_in_the_spring_gap_is_the_same_hour_in_the_timeline_the_checks_and_the_export() {
    use liftoff_core::planning::window::{conflicts, ConflictKind};
    use liftoff_core::planning::{ics, ics_export, picture};
    let (_dir, store, project, _) = setup();
    let upgrade = CalendarWindowDraft {
        kind: Some(WindowKind::Freeze),
        name: "Database upgrade".into(),
        reason: "The primary is read-only".into(),
        start_local: "2027-03-28T02:30".into(),
        minutes: 60,
        time_zone: "Europe/Berlin".into(),
        rule: None,
        exdates: Vec::new(),
        environment_ids: Vec::new(),
    };
    windows::create(&store, &project.id, &upgrade, t0()).unwrap();
    let (from, to) = (utc(2027, 3, 27, 0, 0), utc(2027, 3, 30, 0, 0));

    let (timeline, _) = windows::occurrences(&store, &project.id, from, to).unwrap();
    let spans: Vec<(&str, &str)> = timeline.iter().map(|o| (o.start.as_str(), o.end.as_str())).collect();
    assert_eq!(spans, [("2027-03-28T01:30:00Z", "2027-03-28T02:30:00Z")]);

    let lead = Actor { person_id: None, name: "lead".into() };
    let release = releases::create(&store, &project.id, &ReleaseDraft { version: "2.4.0".into(), name: "Tax".into(), ..Default::default() }, &lead, t0()).unwrap();
    let p = picture::for_release(&store, &release.id, &[], from, to).unwrap();
    let frozen = |s, e| conflicts(&p, s, e, chrono_tz::UTC).iter().any(|c| c.kind == ConflictKind::Freeze);
    assert!(frozen(utc(2027, 3, 28, 2, 0), utc(2027, 3, 28, 2, 15)), "inside the hour");
    assert!(!frozen(utc(2027, 3, 28, 2, 30), utc(2027, 3, 28, 3, 0)), "after it");

    let text = ics_export::project_calendar(&store, &project.id, t0()).unwrap();
    assert!(text.contains("DTSTART;TZID=Europe/Berlin:20270328T023000\r\nDURATION:PT1H\r\n"), "{text}");
    let back = ics::parse(&text, chrono_tz::UTC).unwrap();
    let o = back.events[0].when.expand(from, to).unwrap().occurrences;
    assert_eq!((o.len(), o[0].start, o[0].end), (1, utc(2027, 3, 28, 1, 30), utc(2027, 3, 28, 2, 30)));
}

#[test]
fn on_call_overrides_manual_busy_time_and_a_pattern_by_hand() {
    use liftoff_core::planning::picture;
    use liftoff_core::planning::timeline;
    use liftoff_core::planning::window::ConflictKind;
    let (_dir, mut store, project, priya) = setup();
    let lead = plan_a_week(&mut store, &project, &priya);
    let r = releases::create(&store, &project.id, &ReleaseDraft { version: "2.4.0".into(), name: "Tax".into(), ..Default::default() }, &lead, t0()).unwrap();
    // Friday 27 November, 16:00-17:00 Berlin: inside the weekend freeze.
    let (s, e) = (utc(2026, 11, 27, 15, 0), utc(2026, 11, 27, 16, 0));
    releases::set_window(&store, &r.id, Some((s, e)), None, &lead, t0()).unwrap();
    assert!(releases::override_freeze(&store, &r.id, "Lena", "soon", &lead, t0()).is_err(), "a reason of a sentence is needed");
    releases::override_freeze(&store, &r.id, "Lena Fischer (CTO)", "New tax rates apply from Monday.", &lead, t0()).unwrap();
    let found = picture::check_window(&store, &r.id, s, e, chrono_tz::UTC).unwrap();
    let freeze = found.iter().find(|c| c.kind == ConflictKind::FreezeOverridden).unwrap();
    assert!(freeze.message.ends_with("overridden by decision of Lena Fischer (CTO): “New tax rates apply from Monday.”"), "{}", freeze.message);
    assert!(freeze.message.contains("(Fri 27 Nov 14:00 to Mon 30 Nov 08:00 UTC)"), "{}", freeze.message);
    // The same freeze, in the zone it was defined in, as the timeline shows it when set to that zone.
    let found = picture::check_window(&store, &r.id, s, e, chrono_tz::Europe::Berlin).unwrap();
    assert!(found[0].message.starts_with("overlaps the freeze “Weekend freeze” (Fri 27 Nov 15:00 to Mon 30 Nov 09:00 Europe/Berlin)"), "{}", found[0].message);
    // Moving the window ends the override.
    let moved = (s + chrono::Duration::hours(1), e + chrono::Duration::hours(1));
    let r2 = releases::set_window(&store, &r.id, Some(moved), None, &lead, t0()).unwrap();
    assert!(r2.freeze_override_reason.is_none());
    assert!(picture::check_window(&store, &r.id, moved.0, moved.1, chrono_tz::UTC).unwrap().iter().any(|c| c.kind == ConflictKind::Freeze));

    // Whoever is on call is needed too.
    releases::set_on_call(&store, &r.id, Some(&priya.id), &lead, t0()).unwrap();
    assert_eq!(picture::needed_people(&store, &r.id).unwrap(), [(priya.id.clone(), "on call".to_owned())]);

    // Busy time by hand shows on the timeline, and goes again.
    let b = busy::add_manual(&store, &priya.id, "Dentist", utc(2026, 11, 25, 13, 0), utc(2026, 11, 25, 14, 0), t0()).unwrap();
    assert_eq!(busy::list_manual(&store, &project.id).unwrap().len(), 1);
    let week = busy::between(&store, &project.id, utc(2026, 11, 25, 0, 0), utc(2026, 11, 26, 0, 0)).unwrap();
    assert!(week.iter().any(|x| x.summary == "Dentist" && x.start == "2026-11-25T13:00:00Z"));
    assert!(busy::add_manual(&store, &priya.id, "Backwards", utc(2026, 11, 25, 14, 0), utc(2026, 11, 25, 13, 0), t0()).is_err());
    busy::delete_manual(&store, &b.id).unwrap();
    assert!(busy::list_manual(&store, &project.id).unwrap().is_empty());

    // A pattern by hand fills the load band where there are no samples.
    profile::set_pattern(&store, &project.id, &vec![42.0; 168], t0()).unwrap();
    let t = timeline::read(&store, &project.id, utc(2027, 1, 4, 0, 0), utc(2027, 1, 5, 0, 0), 4).unwrap();
    assert!(t.load.iter().all(|b| b.map(|b| b.max) == Some(42.0)), "{:?}", t.load);
}

#[test]
fn a_drag_is_judged_in_memory_like_the_store_would_until_something_changes() {
    use liftoff_core::planning::picture::{self, DragChecks};
    use liftoff_core::planning::window::ConflictKind;
    let (_dir, mut store, project, priya) = setup();
    let lead = plan_a_week(&mut store, &project, &priya);
    let r = releases::create(&store, &project.id, &ReleaseDraft { version: "2.4.0".into(), name: "Tax".into(), ..Default::default() }, &lead, t0()).unwrap();
    releases::set_on_call(&store, &r.id, Some(&priya.id), &lead, t0()).unwrap();

    let drag = DragChecks::default();
    // Snaps of a drag across Monday to Friday afternoon: each judged as the store would judge it.
    let mut seen_kinds = Vec::new();
    let mut start = utc(2026, 11, 23, 13, 0);
    let mut gathered = None;
    while start < utc(2026, 11, 27, 17, 0) {
        let end = start + chrono::Duration::minutes(90);
        let in_memory = drag.check(&store, &r.id, start, end, chrono_tz::UTC).unwrap();
        let fresh = picture::check_window(&store, &r.id, start, end, chrono_tz::UTC).unwrap();
        assert_eq!(format!("{in_memory:?}"), format!("{fresh:?}"), "at {start}");
        seen_kinds.extend(in_memory.iter().map(|c| c.kind));
        match gathered {
            None => gathered = drag.gathered_for(),
            Some(g) => assert_eq!(drag.gathered_for(), Some(g), "gathered once for the whole drag"),
        }
        start += chrono::Duration::minutes(15);
    }
    assert!(seen_kinds.contains(&ConflictKind::Freeze) && seen_kinds.contains(&ConflictKind::PersonBusy), "{seen_kinds:?}");

    // A change to the store is seen at the next snap.
    let (s, e) = (utc(2026, 11, 24, 9, 0), utc(2026, 11, 24, 10, 0));
    assert!(drag.check(&store, &r.id, s, e, chrono_tz::UTC).unwrap().iter().all(|c| c.kind != ConflictKind::Freeze));
    let mut tuesday = weekend_freeze(Vec::new());
    tuesday.name = "Tuesday freeze".into();
    tuesday.start_local = "2026-11-24T08:00".into();
    tuesday.rule = None;
    tuesday.minutes = 240;
    tuesday.exdates = Vec::new();
    windows::create(&store, &project.id, &tuesday, t0()).unwrap();
    assert!(drag.check(&store, &r.id, s, e, chrono_tz::UTC).unwrap().iter().any(|c| c.kind == ConflictKind::Freeze));
}
