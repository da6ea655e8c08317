//! Migrations that never change: each landed file is pinned by its SHA-256,
//! and real databases written by earlier released versions of Liftoff
//! (`tests/fixtures/schema-vN.db`, see the README there) migrate to the
//! latest schema with their data intact.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use liftoff_core::store::{backup, migrations, DB_FILE};
use liftoff_core::Store;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

/// Every migration file that has landed, with its SHA-256. A landed file is
/// never edited: a change to the schema or its data is a new migration.
/// A new file is pinned here when it is added.
const LANDED: &[(&str, &str)] = &[
    ("0001_projects.sql", "4605c59a26b6cbc890fd301c22f58d8a41d08dbfaaa81c21649e76b4aaaad453"),
    ("0002_environments_credentials.sql", "589d3b36dcd9f5a19d43f9436e0edc7d53c47c4d7cc72346ad1065b440e029db"),
    ("0003_people.sql", "c5c255a65c3f34f877fc40c8d63d4907f590bdbe1eb711d457dfc816f0499663"),
    ("0004_releases_checklists.sql", "f5beb4e49aebc6f8a742fd11dbec29312b1efbf8a929c5429711a572e92813c9"),
    ("0004_seed_builtin_templates.sql", "54c4b1a7a7d1cd5acee739f7577ad2c9d9869fc17962e979269459022186c7f3"),
    ("0005_planning.sql", "7676104317c3818d2297c21cec04d527c6d55472b198453bb635d396a8f715b3"),
    ("0006_audit_categories.sql", "1a614f5702d5c484bbf9f2012d9396428934bd124498d2cc6f8fc9dea2d19ee9"),
    ("0007_timeline_reads.sql", "c5d24638678181ce6c2d19382619ed134ab8cdfb36a8a08164d7903523786734"),
    ("0008_deploys.sql", "68d0a4b649b96694d1faf670d888149d6ef4b8733d6942d03ed99b269caebb06"),
    ("0009_deploy_cancel_requests.sql", "b420bf7f6300c49ba2a9432fca3e3db1581c6a18f3855a6ca8fcd0ab1c0442ae"),
    ("0010_announcements.sql", "12e4a80bbfe3c4c33e8da9ee0e26c686d5c1a131e2becfde448816adb87e5735"),
    ("0011_busy_recurrence_sets.sql", "b3786bcb9976b9457943e5a03d43dd63c1317e0ea2c10b62181d30074b95115a"),
    ("0012_run_owners.sql", "aa3cd3f4909572ced481e65949d93942ffcd15852435666e5e8b642d36ab4b0e"),
    ("0013_announcement_words.sql", "a8b69aff8bf2b1a178b7d86cb1b5b95eff76f4f6294892b0e54438fd3424b8c0"),
    ("0014_deploy_schedules.sql", "0e9450edbd8fdbcd385c1b7b70bd96d8ccb3522e5efc828f7a1df5fdac135bcd"),
    ("0015_remote_runs.sql", "8ed64820d8a3fcef02e71ad97734c301441281be58a36f9bc4ca9312456e5a7f"),
    ("0016_monitoring.sql", "daf8225dce4d1e123c37649684979a71be0b3e3a250b3299f65cbf3ae3751eb9"),
    ("0017_health_samples.sql", "5eabb4c9ed5d265218a03e47e8086520c1790657a40356aa43947e0c9db16865"),
    ("0018_engine_freeze_periods.sql", "ea22f24565761996acfd5fabd2b4033b8caa6867e080df199959dbadb1131b7c"),
];

fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn landed_migrations_are_never_edited() {
    for (name, pinned) in LANDED {
        let path = migrations_dir().join(name);
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{name} has landed and must stay in {}: {e}", migrations_dir().display()));
        let actual = sha256(&bytes);
        assert_eq!(
            &actual,
            pinned,
            "migration {} has landed and must never be edited: add a new migration instead ({name} now has SHA-256 {actual})",
            &name[..4]
        );
    }
}

#[test]
fn every_migration_file_is_pinned_and_embedded() {
    let mut on_disk: Vec<String> = fs::read_dir(migrations_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    on_disk.sort();
    let pinned: Vec<&str> = LANDED.iter().map(|(n, _)| *n).collect();
    assert_eq!(on_disk, pinned, "pin the SHA-256 of every migration file in LANDED");
    let embedded: Vec<&str> = migrations::MIGRATIONS.iter().flat_map(|m| m.files.iter().map(|f| f.name)).collect();
    assert_eq!(embedded, pinned, "every migration file is run, in the order of its name");
    for m in migrations::MIGRATIONS {
        for f in m.files {
            let expected = LANDED.iter().find(|(n, _)| *n == f.name).unwrap().1;
            assert_eq!(sha256(f.sql.as_bytes()), expected, "migration {} embeds {} as it is on disk", m.version, f.name);
        }
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

fn fixture(version: i64) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/schema-v{version}.db"))
}

/// Opens a committed fixture without writing anything beside it (a
/// database in WAL mode would otherwise get a -shm and a -wal file).
fn open_fixture(version: i64) -> Connection {
    let uri = format!("file:{}?immutable=1", fixture(version).display());
    Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI).unwrap()
}

fn open_read_only(path: &Path) -> Connection {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// Every table with its columns, as the schema `conn` holds describes them.
fn tables(conn: &Connection) -> Vec<(String, Vec<String>)> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let names: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    names
        .into_iter()
        .map(|t| {
            let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid")).unwrap();
            let cols = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
            (t, cols)
        })
        .collect()
}

/// The rows of `table` in `columns`, in a stable order.
fn rows(conn: &Connection, table: &str, columns: &[String]) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(&format!("SELECT {} FROM {table}", columns.join(", "))).unwrap();
    let mut rows: Vec<Vec<Value>> = stmt
        .query_map([], |r| (0..columns.len()).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort_by_cached_key(|r| format!("{r:?}"));
    rows
}

/// Copies the fixture of `version` into a data folder and opens it with the
/// store, which migrates it. Returns the folder, the store and the fixture.
fn migrate_fixture(version: i64) -> (tempfile::TempDir, Store, Connection) {
    let original = open_fixture(version);
    assert_eq!(migrations::current_version(&original).unwrap(), version, "the fixture's own version");
    let dir = tempfile::tempdir().unwrap();
    fs::copy(fixture(version), dir.path().join(DB_FILE)).unwrap();
    let opened = Store::open_or_recover(dir.path(), now()).unwrap();
    assert!(opened.recovery.is_none(), "a released schema is not damaged");
    assert_eq!(opened.store.schema_version().unwrap(), migrations::LATEST);
    (dir, opened.store, original)
}

/// Every row of every table the old schema had is still there, with the
/// same values in the old columns.
fn assert_every_row_survives(original: &Connection, store: &Store) {
    for (table, columns) in tables(original) {
        assert_eq!(rows(&store.reader().unwrap(), &table, &columns), rows(original, &table, &columns), "the rows of {table}");
    }
}

/// The backup written before migrating holds the old version, whole.
fn assert_backed_up_before(store: &Store, original: &Connection, version: i64) {
    let before: Vec<_> = backup::list(&store.backups_dir())
        .into_iter()
        .filter(|b| b.path.to_string_lossy().ends_with(&format!("-before-v{}.db", migrations::LATEST)))
        .collect();
    assert_eq!(before.len(), 1, "one backup before the migration");
    let copy = open_read_only(&before[0].path);
    assert_eq!(migrations::current_version(&copy).unwrap(), version);
    for (table, columns) in tables(original) {
        assert_eq!(rows(&copy, &table, &columns), rows(original, &table, &columns), "the backup's {table}");
    }
}

fn text(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

type TemplateRows = (Vec<Vec<Value>>, Vec<Vec<Value>>);

/// The built-in templates and their items, all columns but the timestamps.
fn builtin_templates(conn: &Connection) -> TemplateRows {
    let templates = rows_in_order(
        conn,
        "SELECT rowid, id, name, description, builtin_key FROM templates WHERE builtin_key IS NOT NULL ORDER BY rowid",
    );
    let items = rows_in_order(
        conn,
        "SELECT i.rowid, i.id, i.template_id, i.position, i.section, i.title, i.detail, i.required
         FROM template_items i JOIN templates t ON t.id = i.template_id
         WHERE t.builtin_key IS NOT NULL ORDER BY i.rowid",
    );
    (templates, items)
}

fn rows_in_order(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect()).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn migration_4_writes_the_templates_the_released_seed_wrote() {
    // schema-v5.db was made by the released code, whose migration 4 wrote
    // the built-in templates from Rust; the frozen SQL writes the same rows.
    let released = open_fixture(5);
    let mut fresh = Connection::open_in_memory().unwrap();
    migrations::migrate_to(&mut fresh, 4).unwrap();
    let (templates, items) = builtin_templates(&fresh);
    assert_eq!(templates.len(), 3);
    assert_eq!(items.len(), count(&fresh, "template_items") as usize);
    assert_eq!((templates, items), builtin_templates(&released));

    // Written at migration time, as the seed did, in the same format.
    let stamps = text(&fresh, "SELECT DISTINCT created_at || ' ' || updated_at FROM templates");
    assert_eq!(stamps.len(), 1, "{stamps:?}");
    let (created, updated) = stamps[0].split_once(' ').unwrap();
    assert_eq!(created, updated);
    let at = DateTime::parse_from_rfc3339(created).unwrap();
    assert_eq!(created, liftoff_core::clock::to_text(at.with_timezone(&Utc)), "the seed's own format");
}

#[test]
fn a_schema_v3_database_migrates_with_its_data() {
    let (_dir, store, original) = migrate_fixture(3);
    assert_every_row_survives(&original, &store);
    assert_backed_up_before(&store, &original, 3);
    let reader = store.reader().unwrap();
    let conn: &Connection = &reader;

    assert_eq!(text(conn, "SELECT name FROM projects ORDER BY name"), ["Atlas", "Old portal"]);
    let atlas: (String, String, String, Option<String>) = conn
        .query_row("SELECT description, repository, time_zone, archived_at FROM projects WHERE name = 'Atlas'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(atlas, ("Payments gateway".into(), "https://git.example.com/atlas.git".into(), "Europe/Berlin".into(), None));
    assert_eq!(
        text(conn, "SELECT archived_at FROM projects WHERE name = 'Old portal'"),
        ["2026-11-20T09:00:00Z"]
    );
    assert_eq!(
        text(
            conn,
            "SELECT e.name FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.name = 'Atlas' ORDER BY e.position"
        ),
        ["development", "staging", "production", "qa"]
    );
    assert_eq!(count(conn, "environments"), 7);
    assert_eq!(
        text(conn, "SELECT c.name || ' ' || c.kind || ' ' || e.name FROM credentials c JOIN environments e ON e.id = c.environment_id ORDER BY c.name"),
        ["DB_PASSWORD password qa", "DEPLOY_TOKEN apiToken production"]
    );
    assert_eq!(
        text(conn, "SELECT name || ' ' || email || ' ' || role || ' ' || time_zone FROM people ORDER BY name"),
        ["Dana Lead dana@example.com lead Europe/Berlin", "Sam Reviewer sam@example.com reviewer America/New_York"]
    );
    // Migration 4 gave it the built-in templates the released seed wrote.
    assert_eq!(builtin_templates(conn), builtin_templates(&open_fixture(5)));
}

#[test]
fn a_schema_v5_database_migrates_with_its_data() {
    let (_dir, store, original) = migrate_fixture(5);
    assert_every_row_survives(&original, &store);
    assert_backed_up_before(&store, &original, 5);
    let reader = store.reader().unwrap();
    let conn: &Connection = &reader;

    assert_eq!(text(conn, "SELECT name FROM projects"), ["Northwind Billing (sample)"]);
    assert_eq!(count(conn, "environments"), 3);
    assert_eq!(text(conn, "SELECT name FROM credentials ORDER BY name"), ["DEPLOY_TOKEN", "SMTP_PASSWORD"]);
    assert_eq!(count(conn, "people"), 4);
    let release: (String, String, String, String) = conn
        .query_row("SELECT name, state, window_start, window_end FROM releases WHERE version = '2.4.0'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(release, ("Tax engine switch".into(), "planned".into(), "2026-12-01T09:00:00Z".into(), "2026-12-01T10:30:00Z".into()));
    assert_eq!(count(conn, "checklist_items"), 25);
    assert_eq!(
        text(conn, "SELECT state || ' ' || (signed_off_by IS NOT NULL) FROM checklist_items ORDER BY position LIMIT 5"),
        ["done 1", "done 1", "done 0", "open 0", "open 0"]
    );
    assert_eq!(
        text(conn, "SELECT state_reason FROM checklist_items WHERE state = 'notApplicable'"),
        ["No user documentation ships with this release."]
    );
    assert_eq!(text(conn, "SELECT decided_by FROM gate_overrides"), ["Lena Fischer (CTO)"]);
    assert_eq!(
        text(conn, "SELECT name FROM calendar_windows ORDER BY name"),
        ["Database maintenance", "Month-end billing run", "Weekend freeze"]
    );
    assert_eq!(count(conn, "load_samples"), 28 * 24 * 4);
    assert_eq!(text(conn, "SELECT summary FROM busy_times"), ["Dentist"]);
    assert_eq!(
        text(conn, "SELECT name FROM templates ORDER BY rowid"),
        ["Release readiness", "Delivery day", "Deployment maturity review", "Hotfix"]
    );
}

#[test]
fn the_rebuilt_audit_log_keeps_its_rows_takes_new_categories_and_stays_append_only() {
    let (_dir, store, original) = migrate_fixture(5);
    let columns: Vec<String> = tables(&original).into_iter().find(|(t, _)| t == "audit_log").unwrap().1;
    let before = rows_in_order(&original, "SELECT * FROM audit_log ORDER BY id");
    assert!(before.len() > 10, "the fixture has audit rows");
    assert_eq!(rows_in_order(&store.reader().unwrap(), &format!("SELECT {} FROM audit_log ORDER BY id", columns.join(", "))), before);
    let categories = text(&store.reader().unwrap(), "SELECT DISTINCT category FROM audit_log ORDER BY category");
    assert!(categories.len() >= 3, "{categories:?}");

    // The indexes and the trigger are back as migration 4 made them.
    let schema = |conn: &Connection| {
        text(conn, "SELECT name || ': ' || sql FROM sqlite_master WHERE tbl_name = 'audit_log' AND type IN ('index', 'trigger') ORDER BY name")
    };
    assert_eq!(schema(&store.reader().unwrap()), schema(&original));
    assert_eq!(schema(&store.reader().unwrap()).len(), 3);

    // Another connection to the file, as the test's own writer.
    let writer = Connection::open(store.db_path()).unwrap();
    let conn = &writer;
    let project: String = conn.query_row("SELECT id FROM projects", [], |r| r.get(0)).unwrap();
    let insert = |category: &str| {
        conn.execute(
            "INSERT INTO audit_log (project_id, at, actor, category, action, summary) VALUES (?1, '2026-11-28T12:00:00Z', 'Lena Fischer', ?2, 'test', 'A test entry')",
            [&project, category],
        )
    };
    for category in ["deploy", "announcement", "schedule", "release", "gate"] {
        insert(category).unwrap_or_else(|e| panic!("{category}: {e}"));
    }
    assert!(insert("party").is_err(), "an unknown category is still refused");
    // A new entry never takes the id of an older one.
    let max_before: i64 = original.query_row("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'", [], |r| r.get(0)).unwrap();
    let first_new: i64 = conn.query_row("SELECT min(id) FROM audit_log WHERE action = 'test'", [], |r| r.get(0)).unwrap();
    assert_eq!(first_new, max_before + 1);

    let err = conn.execute("UPDATE audit_log SET summary = 'rewritten' WHERE category = 'deploy'", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 1", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let fk: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 0);
}
