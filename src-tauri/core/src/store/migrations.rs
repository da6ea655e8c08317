//! Versioned schema migrations, embedded in the binary.
//!
//! The schema version lives in SQLite's `user_version`. Every pending
//! migration is applied in one IMMEDIATE transaction together with the new
//! version number, so a database is always at exactly one known version.
//! Migrations are append-only: never edit one that has shipped.

use rusqlite::{Connection, TransactionBehavior};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    /// Rows written from Rust after the SQL, in the same transaction
    /// (for example the built-in checklist templates).
    pub seed: Option<fn(&Connection) -> rusqlite::Result<()>>,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "projects",
        sql: include_str!("../../migrations/0001_projects.sql"),
        seed: None,
    },
    Migration {
        version: 2,
        name: "environments and credentials",
        sql: include_str!("../../migrations/0002_environments_credentials.sql"),
        seed: None,
    },
    Migration {
        version: 3,
        name: "people",
        sql: include_str!("../../migrations/0003_people.sql"),
        seed: None,
    },
    Migration {
        version: 4,
        name: "releases, checklists, gate and audit log",
        sql: include_str!("../../migrations/0004_releases_checklists.sql"),
        seed: Some(crate::checklists::templates::seed_builtins),
    },
    Migration {
        version: 5,
        name: "planning: release windows, freezes, load, busy time",
        sql: include_str!("../../migrations/0005_planning.sql"),
        seed: None,
    },
];

/// The schema version this build of Liftoff writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Applies the migrations after `from` up to `to`, in one transaction.
pub fn migrate_to(conn: &mut Connection, to: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let from = current_version(&tx)?;
    for m in MIGRATIONS.iter().filter(|m| m.version > from && m.version <= to) {
        tx.execute_batch(m.sql)?;
        if let Some(seed) = m.seed {
            seed(&tx)?;
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
    fn a_failing_migration_leaves_the_version_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, LATEST).unwrap();
        // Re-running the first migration's SQL fails (the tables exist); the
        // version and the schema must be exactly as before.
        let tx = conn.transaction().unwrap();
        assert!(tx.execute_batch(MIGRATIONS[0].sql).is_err());
        drop(tx);
        assert_eq!(current_version(&conn).unwrap(), LATEST);
    }
}
