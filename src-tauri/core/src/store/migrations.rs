//! Versioned schema migrations, embedded in the binary.
//!
//! The schema version lives in SQLite's `user_version`. Every pending
//! migration is applied in one IMMEDIATE transaction together with the new
//! version number, so a database is always at exactly one known version.
//! Migrations are append-only: a file that has landed is never edited (the
//! test `tests/migrations.rs` pins each one's SHA-256), and a migration runs
//! only SQL, never today's domain code, so it writes the same thing forever.

use rusqlite::{Connection, TransactionBehavior};

/// One SQL file of a migration.
pub struct MigrationFile {
    /// Its name in `core/migrations/`, such as `0001_projects.sql`.
    pub name: &'static str,
    pub sql: &'static str,
}

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    /// Run in this order, in the migration's transaction.
    pub files: &'static [MigrationFile],
}

macro_rules! sql_file {
    ($name:literal) => {
        MigrationFile { name: $name, sql: include_str!(concat!("../../migrations/", $name)) }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "projects", files: &[sql_file!("0001_projects.sql")] },
    Migration {
        version: 2,
        name: "environments and credentials",
        files: &[sql_file!("0002_environments_credentials.sql")],
    },
    Migration { version: 3, name: "people", files: &[sql_file!("0003_people.sql")] },
    Migration {
        version: 4,
        name: "releases, checklists, gate and audit log",
        // The built-in templates as the first release wrote them, frozen:
        // editing the templates in Rust later must not change this migration.
        files: &[sql_file!("0004_releases_checklists.sql"), sql_file!("0004_seed_builtin_templates.sql")],
    },
    Migration {
        version: 5,
        name: "planning: release windows, freezes, load, busy time",
        files: &[sql_file!("0005_planning.sql")],
    },
    Migration {
        version: 6,
        name: "audit log categories for deploys, announcements and schedules",
        files: &[sql_file!("0006_audit_categories.sql")],
    },
    Migration {
        version: 7,
        name: "timeline reads by range: indexes and the load per hour",
        files: &[sql_file!("0007_timeline_reads.sql")],
    },
    Migration {
        version: 8,
        name: "deploys: targets, runs with their log, and locks",
        files: &[sql_file!("0008_deploys.sql")],
    },
    Migration {
        version: 9,
        name: "deploys: a cancel asked for from another process",
        files: &[sql_file!("0009_deploy_cancel_requests.sql")],
    },
    Migration {
        version: 10,
        name: "announcements: change items, drafts, approval and sends",
        files: &[sql_file!("0010_announcements.sql")],
    },
    Migration {
        version: 11,
        name: "busy time: whole RFC 5545 recurrence sets and zones from calendar files",
        files: &[sql_file!("0011_busy_recurrence_sets.sql")],
    },
    Migration {
        version: 12,
        name: "deploys: a run's owner named by a token that a reused pid cannot match",
        files: &[sql_file!("0012_run_owners.sql")],
    },
    Migration {
        version: 13,
        name: "announcements: the lead's words in a draft, with the template they replaced",
        files: &[sql_file!("0013_announcement_words.sql")],
    },
    Migration {
        version: 14,
        name: "deploys asked for a later time, claimed by one process",
        files: &[sql_file!("0014_deploy_schedules.sql")],
    },
    Migration {
        version: 15,
        name: "deploys on a CI/CD engine: its handle, page, words and how far its log was read",
        files: &[sql_file!("0015_remote_runs.sql")],
    },
    Migration {
        version: 16,
        name: "monitoring: commits read for lead time, the metrics' index, hotfix releases, the fail window",
        files: &[sql_file!("0016_monitoring.sql")],
    },
    Migration {
        version: 17,
        name: "status board: health samples of each environment, kept 7 days",
        files: &[sql_file!("0017_health_samples.sql")],
    },
    Migration {
        version: 18,
        name: "the deploy freeze periods Liftoff keeps on a CI/CD engine, and each engine project's last sync",
        files: &[sql_file!("0018_engine_freeze_periods.sql")],
    },
];

/// The schema version this build of Liftoff writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Applies Liftoff's migrations after the current version up to `to`, in one
/// transaction.
pub fn migrate_to(conn: &mut Connection, to: i64) -> rusqlite::Result<()> {
    migrate_with(conn, MIGRATIONS, to)
}

/// Applies the `migrations` after the current version up to `to`, in one
/// IMMEDIATE transaction: if any statement fails, nothing of any of them is
/// kept and the version stays as it was.
pub fn migrate_with(conn: &mut Connection, migrations: &[Migration], to: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from = current_version(&tx)?;
    for m in migrations.iter().filter(|m| m.version > from && m.version <= to) {
        for file in m.files {
            tx.execute_batch(file.sql)?;
        }
    }
    tx.pragma_update(None, "user_version", to.max(from))?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_dense_and_ordered() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "migration {} is out of order", m.name);
        }
    }

    #[test]
    fn every_file_belongs_to_its_version() {
        for m in MIGRATIONS {
            for f in m.files {
                assert!(f.name.starts_with(&format!("{:04}_", m.version)), "{} is listed under migration {}", f.name, m.version);
            }
        }
    }

    /// The version, every schema object (type, name, SQL) and the projects.
    type Snapshot = (i64, Vec<(String, String, Option<String>)>, Vec<String>);

    fn snapshot(conn: &Connection) -> Snapshot {
        let mut stmt = conn.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").unwrap();
        let schema = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap();
        let mut stmt = conn.prepare("SELECT name FROM projects ORDER BY name").unwrap();
        let data = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        (current_version(conn).unwrap(), schema, data)
    }

    #[test]
    fn a_failing_migration_leaves_the_version_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, LATEST).unwrap();
        conn.execute_batch(
            "INSERT INTO projects (id, name, time_zone, created_at, updated_at)
             VALUES ('p1', 'Atlas', 'Europe/Berlin', '2026-11-22T09:00:00Z', '2026-11-22T09:00:00Z');",
        )
        .unwrap();
        let before = snapshot(&conn);

        // A next migration whose first statements succeed and whose last fails.
        const BROKEN: &[MigrationFile] = &[MigrationFile {
            name: "9999_broken.sql",
            sql: "CREATE TABLE half_done (id INTEGER PRIMARY KEY);
                  INSERT INTO half_done (id) VALUES (1);
                  UPDATE projects SET name = 'Renamed';
                  INSERT INTO no_such_table VALUES (1);",
        }];
        let mut list: Vec<Migration> = MIGRATIONS.iter().map(|m| Migration { version: m.version, name: m.name, files: m.files }).collect();
        list.push(Migration { version: LATEST + 1, name: "broken", files: BROKEN });

        let err = migrate_with(&mut conn, &list, LATEST + 1).unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err}");
        assert_eq!(snapshot(&conn), before, "the version, the schema and the data are as before");
        let half: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'", [], |r| r.get(0)).unwrap();
        assert_eq!(half, 0, "no half-created table");
    }
}
