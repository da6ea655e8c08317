//! The store through its public API, on real files in a temp folder.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use liftoff_core::projects::{self, ProjectDraft};
use liftoff_core::store::{backup, migrations, DB_FILE};
use liftoff_core::{Store, StoreError};
use rusqlite::Connection;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn draft(name: &str) -> ProjectDraft {
    ProjectDraft { name: name.into(), time_zone: "Europe/Berlin".into(), ..Default::default() }
}

fn names(store: &Store) -> Vec<String> {
    let q = projects::ProjectQuery { text: String::new(), include_archived: true };
    projects::list(store, &q).unwrap().into_iter().map(|p| p.name).collect()
}

fn quarantined(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("liftoff.db.corrupt-"))
        .collect();
    found.sort();
    found
}

#[test]
fn a_fresh_store_is_migrated_with_safe_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let opened = Store::open_or_recover(dir.path(), t0()).unwrap();
    assert!(opened.recovery.is_none());
    let store = opened.store;
    assert_eq!(store.schema_version().unwrap(), migrations::LATEST);
    // The writer's settings, read inside a write (the only way to reach it).
    let (mode, fk, sync, busy) = store
        .write(|conn| -> rusqlite::Result<(String, i64, i64, i64)> {
            Ok((
                conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?,
                conn.pragma_query_value(None, "synchronous", |r| r.get(0))?,
                conn.pragma_query_value(None, "busy_timeout", |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(fk, 1);
    assert_eq!(sync, 2, "synchronous=FULL");
    assert!(busy >= 1000);
    // A brand-new database needs no backup yet.
    assert!(backup::list(&store.backups_dir()).is_empty());
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
        projects::create(&store, &draft("Atlas"), t0()).unwrap();
    }
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    assert_eq!(names(&store), ["Atlas"]);
}

#[test]
fn every_earlier_schema_migrates_after_a_backup() {
    for from in 0..migrations::LATEST {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            migrations::migrate_to(&mut conn, from).unwrap();
        }
        let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
        assert_eq!(store.schema_version().unwrap(), migrations::LATEST, "from v{from}");
        let before = backup::list(&store.backups_dir())
            .into_iter()
            .filter(|b| b.path.to_string_lossy().contains("-before-v"))
            .count();
        assert_eq!(before, usize::from(from > 0), "a pre-migration backup from v{from}");
    }
}

#[test]
fn a_newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;").unwrap();
    }
    let before = fs::read(&db).unwrap();
    match Store::open_or_recover(dir.path(), t0()) {
        Err(e @ StoreError::NewerSchema { found: 99, .. }) => {
            assert!(e.to_string().contains("newer version of Liftoff"), "{e}");
        }
        Err(other) => panic!("expected NewerSchema, got {other}"),
        Ok(_) => panic!("a newer database must be refused"),
    }
    assert_eq!(fs::read(&db).unwrap(), before);
    assert!(quarantined(dir.path()).is_empty(), "a newer database is not damaged");
}

#[test]
fn garbage_is_kept_aside_and_a_fresh_database_starts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    let garbage = b"not a database at all\n".repeat(300);
    fs::write(&db, &garbage).unwrap();
    fs::write(dir.path().join("liftoff.db-wal"), b"stale wal").unwrap();

    let opened = Store::open_or_recover(dir.path(), t0()).unwrap();
    let recovery = opened.recovery.expect("a recovery report");
    assert_eq!(recovery.problem, "the file is not a SQLite database");
    assert!(recovery.restored_from.is_none());
    assert_eq!(quarantined(dir.path()), ["liftoff.db.corrupt-20261122T090000Z", "liftoff.db.corrupt-20261122T090000Z-wal"]);
    assert_eq!(fs::read(dir.path().join("liftoff.db.corrupt-20261122T090000Z")).unwrap(), garbage);
    assert!(names(&opened.store).is_empty());
}

#[test]
fn a_damaged_database_is_restored_from_the_newest_intact_backup() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
        projects::create(&store, &draft("Before backup"), t0()).unwrap();
        store.daily_maintenance(t0()).unwrap().expect("a daily backup");
        projects::create(&store, &draft("After backup"), t0()).unwrap();
    }
    // A newer backup that is itself damaged must be skipped.
    fs::write(dir.path().join("backups/liftoff-20261122T100000Z-daily.db"), b"broken").unwrap();
    // Damage the database: overwrite its pages after the header.
    let db = dir.path().join(DB_FILE);
    let mut bytes = fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    fs::write(&db, &bytes).unwrap();

    let later = t0() + Duration::hours(2);
    let opened = Store::open_or_recover(dir.path(), later).unwrap();
    let recovery = opened.recovery.expect("a recovery report");
    assert!(recovery.restored_from.unwrap().ends_with("liftoff-20261122T090000Z-daily.db"));
    assert_eq!(recovery.restored_backup_taken_at.as_deref(), Some("2026-11-22T09:00:00Z"));
    assert_eq!(names(&opened.store), ["Before backup"]);
    assert_eq!(quarantined(dir.path()).len(), 1);
}

#[test]
fn an_unreadable_database_is_kept_aside() {
    // A folder where the file should be cannot be read as a database, for
    // any user (file permissions would not stop root).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    fs::create_dir(&db).unwrap();
    fs::write(db.join("keep-me.txt"), b"precious").unwrap();

    let opened = Store::open_or_recover(dir.path(), t0()).unwrap();
    let recovery = opened.recovery.expect("a recovery report");
    assert!(recovery.problem.starts_with("the file cannot be read"), "{}", recovery.problem);
    let kept = quarantined(dir.path());
    assert_eq!(kept.len(), 1);
    assert_eq!(fs::read(dir.path().join(&kept[0]).join("keep-me.txt")).unwrap(), b"precious");
    assert!(names(&opened.store).is_empty());
}

#[test]
fn daily_backups_are_taken_once_a_day_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    assert!(store.daily_maintenance(t0()).unwrap().is_some());
    assert!(store.daily_maintenance(t0() + Duration::hours(5)).unwrap().is_none());
    for day in 1..=20 {
        store.daily_maintenance(t0() + Duration::days(day)).unwrap();
    }
    let kept = backup::list(&store.backups_dir());
    assert_eq!(kept.len() as i64, backup::KEEP_DAYS + 1, "14 days back, plus today's");
    assert!(kept.iter().all(|b| backup::is_intact(&b.path)));
}

#[test]
fn the_upkeep_removes_what_interrupted_and_pruned_backups_left_and_keeps_the_backups() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let yesterday = store.daily_maintenance(t0() - Duration::days(1)).unwrap().expect("a daily backup");
    let backups = store.backups_dir();
    // A daily backup cut short by a power cut: a database-sized .partial
    // and its journal, last written two hours ago.
    let partial = backups.join("liftoff-20261120T090000Z-daily.db.partial");
    fs::copy(&yesterday, &partial).unwrap();
    let journal = backups.join("liftoff-20261120T090000Z-daily.db.partial-journal");
    fs::write(&journal, b"journal").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    for path in [&partial, &journal] {
        fs::File::options().write(true).open(path).unwrap().set_modified(two_hours_ago).unwrap();
    }
    // A pruned backup's -wal and -shm.
    let stray = [backups.join("liftoff-20261001T090000Z-daily.db-wal"), backups.join("liftoff-20261001T090000Z-daily.db-shm")];
    for path in &stray {
        fs::write(path, b"stray").unwrap();
    }

    let today = store.daily_maintenance(t0()).unwrap().expect("today's backup");
    for gone in [&partial, &journal].into_iter().chain(&stray) {
        assert!(!gone.exists(), "{} is still there", gone.display());
    }
    let mut left: Vec<String> = fs::read_dir(&backups).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["liftoff-20261121T090000Z-daily.db", "liftoff-20261122T090000Z-daily.db"]);
    let kept: Vec<_> = backup::list(&backups).into_iter().map(|b| b.path).collect();
    assert_eq!(kept, [today, yesterday]);
    assert!(kept.iter().all(|b| backup::is_intact(b)));
}

#[test]
fn opening_leaves_the_daily_backup_to_the_background() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open_or_recover(dir.path(), t0()).unwrap());
    let store = Store::open_or_recover(dir.path(), t0() + Duration::days(1)).unwrap().store;
    assert!(backup::list(&store.backups_dir()).is_empty(), "start-up copies nothing");
    assert!(store.daily_maintenance(t0() + Duration::days(1)).unwrap().is_some(), "the upkeep takes it");
}

#[test]
fn projects_from_schema_1_get_the_default_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        migrations::migrate_to(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO projects (id, name, time_zone, created_at, updated_at) VALUES ('p1', 'Old', 'UTC', 'x', 'x')",
            [],
        )
        .unwrap();
    }
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let envs = liftoff_core::environments::list(&store, "p1").unwrap();
    let names: Vec<_> = envs.iter().map(|e| (e.name.as_str(), e.protected)).collect();
    assert_eq!(names, [("development", false), ("staging", false), ("production", true)]);
}

/// Writes `sql` into the database file behind the store's back, as a
/// damaged disk or a hand edit would (CHECK constraints off).
fn damage(dir: &Path, sql: &str) {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch(&format!("PRAGMA ignore_check_constraints = ON; {sql}")).unwrap();
}

#[test]
fn a_damaged_json_column_is_reported_with_its_table_and_row_not_read_as_empty() {
    use liftoff_core::environments;
    use liftoff_core::planning::windows::{self, CalendarWindowDraft, WindowKind};
    use liftoff_core::planning::PlanningError;
    use liftoff_core::rules::{ErrorKind, Kind};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let project = projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let prod = environments::list(&store, &project.id).unwrap().into_iter().find(|e| e.protected).unwrap();
    let freeze = CalendarWindowDraft {
        kind: Some(WindowKind::Freeze),
        name: "Weekend freeze".into(),
        reason: "Nobody is around to roll back".into(),
        start_local: "2027-01-08T15:00".into(),
        minutes: 60,
        time_zone: "Europe/Berlin".into(),
        rule: Some("FREQ=WEEKLY;BYDAY=FR".into()),
        exdates: vec!["2027-04-02T15:00".into()],
        environment_ids: vec![prod.id],
    };
    let w = windows::create(&store, &project.id, &freeze, t0()).unwrap();
    damage(dir.path(), &format!("UPDATE calendar_windows SET exdates = '[\"2027-04-02T1' WHERE id = '{}'", w.id));

    let e = windows::list(&store, &project.id).unwrap_err();
    match &e {
        PlanningError::Store(StoreError::DamagedValue { table, id, column, .. }) => {
            assert_eq!((*table, id.as_str(), *column), ("calendar_windows", w.id.as_str(), "exdates"));
        }
        other => panic!("expected a damaged value, got {other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Damaged);
    let message = e.to_string();
    assert!(message.starts_with(&format!("Liftoff cannot read the exdates stored for calendar window {}: the value is damaged", w.id)), "{message}");
    assert!(message.contains("Restore the database from a backup"), "{message}");
    assert!(e.detail().is_some_and(|d| d.contains("EOF")), "{:?}", e.detail());
}

#[test]
fn an_unknown_enum_text_is_reported_with_its_table_and_row_not_read_as_a_default() {
    use liftoff_core::people::{self, PersonDraft, PersonError, Role};
    use liftoff_core::rules::{ErrorKind, Kind};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    let project = projects::create(&store, &draft("Atlas"), t0()).unwrap();
    let person = PersonDraft {
        name: "Dana Reviewer".into(),
        email: "dana@example.com".into(),
        role: Role::Reviewer,
        time_zone: "UTC".into(),
        work_start: "09:00".into(),
        work_end: "17:00".into(),
        work_days: [true, true, true, true, true, false, false],
    };
    let dana = people::create(&store, &project.id, &person, t0()).unwrap();
    // Before, an unknown role quietly read as "developer".
    damage(dir.path(), &format!("UPDATE people SET role = 'captain' WHERE id = '{}'", dana.id));

    let e = people::list(&store, &project.id).unwrap_err();
    match &e {
        PersonError::Store(StoreError::DamagedValue { table, id, column, .. }) => {
            assert_eq!((*table, id.as_str(), *column), ("people", dana.id.as_str(), "role"));
        }
        other => panic!("expected a damaged value, got {other:?}"),
    }
    assert_eq!(e.kind(), ErrorKind::Damaged);
    assert!(e.to_string().starts_with(&format!("Liftoff cannot read the role stored for person {}: the value is damaged", dana.id)), "{e}");
    assert!(e.detail().is_some_and(|d| d.contains("“captain”")), "{:?}", e.detail());
}

/// About 3 MB of pages in a table of their own, more than a connection's
/// cache holds (2 MB).
fn fill_3mb(store: &Store) {
    store
        .write(|tx| tx.execute_batch("CREATE TABLE filler(x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 750) INSERT INTO filler SELECT randomblob(4000) FROM n;"))
        .unwrap();
}

fn read_filler(store: &Store) -> i64 {
    store.read(|c| c.query_row("SELECT sum(length(x)) FROM filler", [], |r| r.get(0)).map_err(StoreError::from)).unwrap()
}

#[test]
fn the_upkeep_reads_do_not_leave_the_whole_file_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    fill_3mb(&store);
    store.release_memory();
    let low = 256 * 1024;
    assert!(store.cache_bytes() < low, "after a release: {} bytes", store.cache_bytes());
    // A read of every page fills its reader's cache, which stays with the
    // reader in the pool: the measure sees it.
    assert_eq!(read_filler(&store), 3_000_000);
    assert!(store.cache_bytes() > 1_500_000, "after a full read: {} bytes", store.cache_bytes());
    store.release_memory();
    assert!(store.cache_bytes() < low, "after a release: {} bytes", store.cache_bytes());

    // The integrity check and the daily backup read every page too, and
    // leave nothing cached behind them.
    assert_eq!(store.integrity_problem().unwrap(), None);
    assert!(store.cache_bytes() < low, "after the integrity check: {} bytes", store.cache_bytes());
    store.daily_maintenance(t0()).unwrap().expect("a daily backup");
    assert!(store.cache_bytes() < low, "after the daily backup: {} bytes", store.cache_bytes());
}

#[test]
fn the_check_after_a_crash_does_not_leave_the_whole_file_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
        fill_3mb(&store);
        // Ends as after kill -9: its open marker stays.
        store.abandon_for_tests();
    }
    let opened = Store::open_or_recover(dir.path(), t0()).unwrap();
    assert!(opened.checked_after_crash, "the start after the crash checks the whole file");
    assert!(opened.store.cache_bytes() < 256 * 1024, "after the full check: {} bytes", opened.store.cache_bytes());
}

#[test]
fn the_caches_go_back_once_the_store_has_been_idle_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
    fill_3mb(&store);
    read_filler(&store);
    assert!(!store.release_memory_when_idle(std::time::Duration::from_secs(3600)), "used a moment ago");
    assert!(store.cache_bytes() > 1_500_000, "kept while in use: {} bytes", store.cache_bytes());
    std::thread::sleep(std::time::Duration::from_millis(60));
    assert!(store.release_memory_when_idle(std::time::Duration::from_millis(50)));
    assert!(store.cache_bytes() < 256 * 1024, "given back: {} bytes", store.cache_bytes());
    assert!(!store.release_memory_when_idle(std::time::Duration::ZERO), "nothing was used since");
    // A read, then a write: each counts as use.
    read_filler(&store);
    assert!(store.release_memory_when_idle(std::time::Duration::ZERO));
    projects::create(&store, &draft("After the release"), t0()).unwrap();
    assert!(store.release_memory_when_idle(std::time::Duration::ZERO));
    assert_eq!(names(&store), ["After the release"], "the data is all there");
}
