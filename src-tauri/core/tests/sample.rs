//! The sample project shows what Liftoff does: a planned window with one
//! conflict to resolve (a needed person's calendar), health URLs a real
//! service answers, and a git history to announce from.

use std::io::{Read, Write};

use chrono::Utc;
use liftoff_core::announce;
use liftoff_core::audit::Actor;
use liftoff_core::planning::picture;
use liftoff_core::{environments, release as releases, sample, Store};

#[test]
fn the_sample_has_one_conflict_working_health_urls_and_changes_to_announce() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), Utc::now()).unwrap().store;
    let project = sample::open_sample_project(&store, Utc::now()).unwrap();
    let release = releases::list(&store, &project.id, None).unwrap().into_iter().find(|r| r.release.version == "2.4.0").unwrap().release;

    // The planned window: exactly one conflict, Omar's dentist appointment.
    let start = chrono::DateTime::parse_from_rfc3339(release.window_start.as_deref().unwrap()).unwrap().with_timezone(&Utc);
    let end = chrono::DateTime::parse_from_rfc3339(release.window_end.as_deref().unwrap()).unwrap().with_timezone(&Utc);
    let conflicts = picture::check_window(&store, &release.id, start, end, chrono_tz::Europe::Berlin).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(conflicts[0].message.contains("Omar") && conflicts[0].message.contains("Dentist"), "{conflicts:?}");
    // The same time a week before or after is clear: the conflict can be
    // resolved (one of the two may meet the month-end freeze).
    let clear = [-7, 7].iter().any(|d| {
        let shift = chrono::Duration::days(*d);
        picture::check_window(&store, &release.id, start + shift, end + shift, chrono_tz::Europe::Berlin).unwrap().is_empty()
    });
    assert!(clear, "a week either way has no conflict");

    // Each environment's health URL is answered by the demo service.
    let envs = environments::list(&store, &project.id).unwrap();
    assert_eq!(envs.len(), 3);
    let port = sample::start_demo_service(&store).unwrap().expect("the sample's service runs");
    for env in &envs {
        assert_eq!(env.health_url, format!("http://127.0.0.1:{port}/{}/health", env.name));
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET /{}/health HTTP/1.1\r\nHost: localhost\r\n\r\n", env.name).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"status\":\"ok\""), "{answer}");
    }

    // The repository holds 2.3.1..2.4.0 in conventional commits.
    let lead = Actor { person_id: None, name: "Lena".into() };
    let report = announce::read_changes(&store, &release.id, None, None, &lead, Utc::now()).unwrap();
    assert_eq!((report.from_ref.as_deref(), report.to_ref.as_str(), report.commits), (Some("v2.3.1"), "v2.4.0", 6));
    assert!(report.list.items.iter().any(|i| i.breaking));
}
