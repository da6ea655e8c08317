//! Deploy history on a fixed set of runs: every filter, keyset paging
//! through runs that started in the same second, a run recorded between two
//! pages, each release's path, and the CSV with formulas neutralised.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use liftoff_core::audit::Actor;
use liftoff_core::deploy::runs::{RunKind, RunState};
use liftoff_core::environments;
use liftoff_core::monitor::history::{self, HistoryCursor, HistoryFilter};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::{self as releases, ReleaseDraft};
use liftoff_core::Store;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    project: Project,
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_or_recover(dir.path(), Utc::now()).unwrap().store);
        let project = projects::create(
            &store,
            &ProjectDraft { name: "Billing".into(), description: String::new(), repository: String::new(), time_zone: "UTC".into() },
            Utc::now(),
        )
        .unwrap();
        Fixture { _dir: dir, store, project }
    }

    fn env(&self, name: &str) -> String {
        environments::list(&self.store, &self.project.id).unwrap().into_iter().find(|e| e.name == name).unwrap().id
    }

    fn release(&self, version: &str) -> String {
        let lead = Actor { person_id: None, name: "Lena".into() };
        releases::create(&self.store, &self.project.id, &ReleaseDraft { version: version.into(), name: format!("Release {version}"), scope: String::new(), target_date: None }, &lead, Utc::now())
            .unwrap()
            .id
    }

    #[allow(clippy::too_many_arguments)]
    fn run(&self, id: &str, env: &str, release: Option<&str>, version: &str, kind: &str, state: &str, who: &str, started: &str, secs: i64, previous: Option<&str>) {
        let env = self.env(env);
        let ended = (at(started) + chrono::Duration::seconds(secs)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, kind, previous_version, started_by, started_at, ended_at, state, outcome)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    rusqlite::params![id, self.project.id, env, release, version, kind, previous, who, started, ended, state, format!("{state} in {secs} s")],
                )
            })
            .unwrap();
    }
}

/// Nine runs; three start in the same second (ties on started_at).
fn fixture() -> (Fixture, String, String) {
    let f = Fixture::new();
    let r240 = f.release("2.4.0");
    let r241 = f.release("2.4.1");
    f.run("a1", "development", Some(&r240), "2.4.0", "deploy", "succeeded", "Lena", "2026-11-02T09:00:00Z", 60, None);
    f.run("a2", "staging", Some(&r240), "2.4.0", "deploy", "failed", "Omar", "2026-11-03T09:00:00Z", 30, None);
    f.run("a3", "staging", Some(&r240), "2.4.0", "deploy", "succeeded", "omar", "2026-11-03T10:00:00Z", 65, None);
    f.run("a4", "production", Some(&r240), "2.4.0", "deploy", "succeeded", "Lena", "2026-11-04T09:00:00Z", 70, Some("2.3.1"));
    f.run("b1", "development", Some(&r241), "2.4.1", "deploy", "succeeded", "Priya", "2026-11-05T09:00:00Z", 61, None);
    f.run("b3", "staging", Some(&r241), "2.4.1", "deploy", "failedVerification", "Priya", "2026-11-05T09:00:00Z", 62, None);
    f.run("b2", "production", Some(&r241), "2.4.1", "deploy", "failedVerification", "Lena", "2026-11-05T09:00:00Z", 63, Some("2.4.0"));
    f.run("c1", "production", Some(&r240), "2.4.0", "rollback", "succeeded", "Lena", "2026-11-05T09:30:00Z", 20, Some("2.4.1"));
    f.run("c2", "production", None, "2.3.1", "rollback", "succeeded", "=cmd|' /C calc'!A0", "2026-11-06T08:00:00Z", 20, Some("2.4.0"));
    (f, r240, r241)
}

fn ids(filter: &HistoryFilter, f: &Fixture) -> Vec<String> {
    history::page(&f.store, &f.project.id, filter, None, 100).unwrap().runs.into_iter().map(|r| r.id).collect()
}

#[test]
fn pages_walk_every_run_newest_first_once_through_ties_on_the_start() {
    let (f, _, _) = fixture();
    let everything = ids(&HistoryFilter::default(), &f);
    assert_eq!(everything, ["c2", "c1", "b3", "b2", "b1", "a4", "a3", "a2", "a1"], "newest first, ties by id descending");

    for size in 1..=4 {
        let mut seen = Vec::new();
        let mut after: Option<HistoryCursor> = None;
        loop {
            let page = history::page(&f.store, &f.project.id, &HistoryFilter::default(), after.as_ref(), size).unwrap();
            assert!(page.runs.len() <= size as usize);
            seen.extend(page.runs.iter().map(|r| r.id.clone()));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, everything, "page size {size}");
    }

    // A page boundary inside the tie (b3 | b2 b1) and a run recorded in
    // between at the newest time: the next page goes on after b3, as if
    // nothing had been added.
    let first = history::page(&f.store, &f.project.id, &HistoryFilter::default(), None, 3).unwrap();
    assert_eq!(first.runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["c2", "c1", "b3"]);
    assert_eq!(first.next, Some(HistoryCursor { started_at: "2026-11-05T09:00:00Z".into(), id: "b3".into() }));
    f.run("z9", "development", None, "2.5.0", "deploy", "succeeded", "Lena", "2026-11-07T08:00:00Z", 5, None);
    f.run("b0", "development", None, "2.4.1", "deploy", "cancelled", "Lena", "2026-11-05T09:00:00Z", 5, None);
    let second = history::page(&f.store, &f.project.id, &HistoryFilter::default(), first.next.as_ref(), 3).unwrap();
    assert_eq!(second.runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["b2", "b1", "b0"]);
    let third = history::page(&f.store, &f.project.id, &HistoryFilter::default(), second.next.as_ref(), 3).unwrap();
    assert_eq!(third.runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a4", "a3", "a2"]);
    let last = history::page(&f.store, &f.project.id, &HistoryFilter::default(), third.next.as_ref(), 3).unwrap();
    assert_eq!(last.runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a1"]);
    assert_eq!(last.next, None, "the last page says so");
}

#[test]
fn each_filter_keeps_only_its_runs() {
    let (f, r240, r241) = fixture();
    let prod = f.env("production");
    let by = |filter: HistoryFilter| ids(&filter, &f);
    assert_eq!(by(HistoryFilter { environment_id: Some(prod.clone()), ..Default::default() }), ["c2", "c1", "b2", "a4"]);
    assert_eq!(by(HistoryFilter { release_id: Some(r241.clone()), ..Default::default() }), ["b3", "b2", "b1"]);
    assert_eq!(by(HistoryFilter { release_id: Some(r240), kind: Some(RunKind::Deploy), ..Default::default() }), ["a4", "a3", "a2", "a1"]);
    assert_eq!(by(HistoryFilter { state: Some(RunState::FailedVerification), ..Default::default() }), ["b3", "b2"]);
    assert_eq!(by(HistoryFilter { kind: Some(RunKind::Rollback), ..Default::default() }), ["c2", "c1"]);
    assert_eq!(by(HistoryFilter { who: Some("OMAR".into()), ..Default::default() }), ["a3", "a2"], "who ignores case");
    assert_eq!(
        by(HistoryFilter { from: Some("2026-11-03T00:00:00Z".into()), to: Some("2026-11-05T09:00:00Z".into()), ..Default::default() }),
        ["a4", "a3", "a2"],
        "from is inclusive, to is not"
    );
    // A time with an offset means the same instant.
    assert_eq!(by(HistoryFilter { from: Some("2026-11-05T10:30:00+01:00".into()), ..Default::default() }), ["c2", "c1"]);
    assert_eq!(by(HistoryFilter { environment_id: Some(prod), state: Some(RunState::Succeeded), kind: Some(RunKind::Deploy), ..Default::default() }), ["a4"]);
    assert!(by(HistoryFilter { environment_id: Some(f.env("staging")), kind: Some(RunKind::Rollback), ..Default::default() }).is_empty());
    let bad = history::page(&f.store, &f.project.id, &HistoryFilter { from: Some("yesterday".into()), ..Default::default() }, None, 10).unwrap_err();
    assert!(bad.to_string().contains("yesterday"), "{bad}");

    let run = &history::page(&f.store, &f.project.id, &HistoryFilter::default(), None, 1).unwrap().runs[0];
    assert_eq!((run.environment_name.as_str(), run.duration_secs, run.kind, run.state), ("production", Some(20), RunKind::Rollback, RunState::Succeeded));
    let starters = history::starters(&f.store, &f.project.id).unwrap();
    assert!(starters.contains(&"Lena".to_owned()) && starters.contains(&"Priya".to_owned()), "{starters:?}");
}

#[test]
fn a_release_path_shows_where_it_first_verified_its_rollbacks_and_its_announcement() {
    let (f, r240, r241) = fixture();
    let paths = history::paths(&f.store, &f.project.id, None, 10).unwrap();
    assert_eq!(paths.iter().map(|p| p.version.as_str()).collect::<Vec<_>>(), ["2.4.1", "2.4.0"], "newest release first");
    let p = paths.iter().find(|p| p.release_id == r240).unwrap();
    let stops: Vec<(&str, Option<&str>, i32, i32)> =
        p.stops.iter().map(|s| (s.environment_name.as_str(), s.first_verified_at.as_deref(), s.runs, s.unsuccessful)).collect();
    assert_eq!(
        stops,
        [
            ("development", Some("2026-11-02T09:01:00Z"), 1, 0),
            ("staging", Some("2026-11-03T10:01:05Z"), 2, 1),
            ("production", Some("2026-11-04T09:01:10Z"), 1, 0),
        ]
    );
    assert_eq!(p.stops[1].first_verified_run_id.as_deref(), Some("a3"));
    assert_eq!(p.stops[1].latest_state, Some(RunState::Succeeded));
    // 2.4.0 was rolled back from production by c2 (to 2.3.1); c1 rolled back 2.4.1.
    assert_eq!(p.rollbacks.iter().map(|r| (r.run_id.as_str(), r.to_version.as_str())).collect::<Vec<_>>(), [("c2", "2.3.1")]);
    assert_eq!((p.announced_at.as_deref(), p.announcement_sends), (None, 0));

    let q = paths.iter().find(|p| p.release_id == r241).unwrap();
    assert!(q.stops.iter().all(|s| s.first_verified_at.is_none() || s.environment_name == "development"));
    assert_eq!(q.stops[2].latest_state, Some(RunState::FailedVerification));
    assert_eq!(q.rollbacks.iter().map(|r| (r.run_id.as_str(), r.kind)).collect::<Vec<_>>(), [("c1", RunKind::Rollback)]);

    // An announcement sent to an audience marks the path; a test send does not.
    f.store
        .write(|tx| {
            tx.execute(
                "INSERT INTO announcements (id, release_id, channel, audience, parts, created_at, updated_at)
                 VALUES ('an1', ?1, 'email', 'endUsers', '{}', '2026-11-04T10:00:00Z', '2026-11-04T10:00:00Z')",
                [&r240],
            )?;
            for (id, kind, at) in [("s1", "test", "2026-11-04T10:05:00Z"), ("s2", "audience", "2026-11-04T11:00:00Z")] {
                tx.execute(
                    "INSERT INTO announce_sends (id, announcement_id, release_id, kind, audience, started_by, started_at, finished_at, state, subject, text, html)
                     VALUES (?1, 'an1', ?2, ?3, 'endUsers', 'Lena', ?4, ?4, 'done', 'New', 'text', '<p>html</p>')",
                    rusqlite::params![id, r240, kind, at],
                )?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
    let p = history::paths(&f.store, &f.project.id, Some(&r240), 10).unwrap().remove(0);
    assert_eq!((p.announced_at.as_deref(), p.announcement_sends), (Some("2026-11-04T11:00:00Z"), 1));

    // Lead time: 2.4.1 never verified on production; 2.4.0 did, with no
    // commit read, then with two commits (10 h and 30 h before it ended).
    assert_eq!(q.lead_time.words, "Lead time: not measured yet: it has not verified on production.");
    assert_eq!(p.lead_time.commits, 0);
    assert_eq!(p.lead_time.words, "Lead time: not measured: no commit of it was read when it verified on production.");
    let on_production = p.stops[2].first_verified_run_id.clone().unwrap();
    let production = p.stops[2].environment_id.clone();
    f.store
        .write(|tx| {
            for (sha, at) in [("aaa1", "2026-11-03T23:01:10Z"), ("bbb2", "2026-11-03T03:01:10Z")] {
                tx.execute(
                    "INSERT INTO run_commits (run_id, environment_id, sha, committed_at, deployed_at) SELECT id, ?2, ?3, ?4, ended_at FROM deploy_runs WHERE id = ?1",
                    rusqlite::params![on_production, production, sha, at],
                )?;
            }
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
    let p = history::paths(&f.store, &f.project.id, Some(&r240), 10).unwrap().remove(0);
    let ended = history::page(&f.store, &f.project.id, &Default::default(), None, 100).unwrap().runs.into_iter().find(|r| r.id == on_production).unwrap().ended_at.unwrap();
    assert_eq!(ended, "2026-11-04T09:01:10Z", "the lead times below count to this end");
    assert_eq!((p.lead_time.commits, p.lead_time.median_hours, p.lead_time.longest_hours), (2, Some(20.0), Some(30.0)));
    assert_eq!(p.lead_time.words, "Lead time: median 20 h (2 commits), the longest 30 h.");
}

#[test]
fn the_csv_has_every_filtered_run_and_no_cell_a_spreadsheet_would_run() {
    let (f, _, _) = fixture();
    // More runs than one page holds, so that the export walks the pages.
    for i in 0..(history::MAX_PAGE + 20) {
        let started = at("2026-10-01T00:00:00Z") + chrono::Duration::minutes(i as i64);
        f.run(&format!("m{i:04}"), "development", None, "+2.0", "deploy", "succeeded", "@bot", &started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), 1, None);
    }
    let text = history::csv(&f.store, &f.project.id, &HistoryFilter::default()).unwrap();
    assert!(text.ends_with("\r\n"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), history::CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 9 + history::MAX_PAGE as usize + 20);
    assert_eq!(rows.iter().map(|r| r[0].to_owned()).collect::<HashSet<_>>().len(), rows.len(), "no run twice");
    let c2 = rows.iter().find(|r| &r[0] == "c2").unwrap();
    assert_eq!(&c2[5], "'=cmd|' /C calc'!A0", "a formula is written as text");
    assert_eq!((&c2[1], &c2[3], &c2[4], &c2[8], &c2[10]), ("production", "rollback", "succeeded", "20", ""));
    let a4 = rows.iter().find(|r| &r[0] == "a4").unwrap();
    assert_eq!((&a4[10], &a4[6], &a4[7]), ("2.4.0", "2026-11-04T09:00:00Z", "2026-11-04T09:01:10Z"));
    let m = rows.iter().find(|r| &r[0] == "m0000").unwrap();
    assert_eq!((&m[2], &m[5]), ("'+2.0", "'@bot"));
    for row in &rows {
        for cell in row.iter() {
            assert!(!matches!(cell.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')), "{cell}");
        }
    }
    // The filter applies to the export too.
    let only = history::csv(&f.store, &f.project.id, &HistoryFilter { kind: Some(RunKind::Rollback), ..Default::default() }).unwrap();
    assert_eq!(only.lines().count(), 3);
}
