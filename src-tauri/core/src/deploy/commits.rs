//! The commits a production run brought, read once from git for lead time.
//!
//! When a deploy verifies on a protected environment, the commits between
//! the version it replaced and the one it deployed (`previous_version..
//! build_ref`) are read with `announce::changes`' git runner, each with its
//! committer date, into `run_commits`. A commit counts at its first verified
//! deploy to an environment (`UNIQUE (sha, environment_id)`). Whether the
//! read worked, or why not in words, is kept in `run_commit_reads`, so that
//! the metrics can say "not measured" and why.
//!
//! Guarantee: reading commits never fails and never delays a run's end.
//! [`record_for_run`] runs after the end is written, returns nothing, and
//! any problem is written down (or, if even that fails, logged).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::announce::changes::{self, ChangesError};
use crate::store::ChangeKind;
use crate::{clock, Store};

/// At most this many commits are read for one run; a longer range is
/// recorded as not measured rather than cut.
pub const MAX_COMMITS: usize = 20_000;

/// What a run needs for its commits to be read.
struct RunFacts {
    project_id: String,
    environment_id: String,
    version: String,
    build_ref: String,
    previous_version: Option<String>,
    ended_at: String,
    eligible: bool,
}

fn facts(conn: &Connection, run_id: &str) -> rusqlite::Result<Option<RunFacts>> {
    conn.query_row(
        "SELECT r.project_id, r.environment_id, r.version, r.build_ref, r.previous_version, r.ended_at,
                r.kind = 'deploy' AND r.state = 'succeeded' AND e.protected AND r.ended_at IS NOT NULL
         FROM deploy_runs r JOIN environments e ON e.id = r.environment_id WHERE r.id = ?1",
        [run_id],
        |r| {
            Ok(RunFacts {
                project_id: r.get(0)?,
                environment_id: r.get(1)?,
                version: r.get(2)?,
                build_ref: r.get(3)?,
                previous_version: r.get(4)?,
                ended_at: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                eligible: r.get(6)?,
            })
        },
    )
    .optional()
}

/// What reading a run's commits came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Not a verified deploy on production, or read before: nothing done.
    Skipped,
    /// This many commits were read (those already counted at an earlier
    /// deploy included).
    Read(usize),
    /// Why lead time cannot be measured for this run, in words.
    NotMeasured(String),
}

/// Reads the commits of a run that verified on production, once, and
/// records them or why they could not be read. Never fails: every problem
/// is recorded in words, and a failed write is logged.
pub fn record_for_run(store: &Store, run_id: &str, now: DateTime<Utc>) -> ReadOutcome {
    let (facts, outcome) = match read_for_run(store, run_id) {
        Ok(Some(read)) => read,
        Ok(None) => return ReadOutcome::Skipped,
        Err(e) => {
            log::warn!("the commits of run {run_id} were not read for lead time: {e}");
            return ReadOutcome::Skipped;
        }
    };
    let at = clock::to_text(now);
    let written = store.write(|tx| -> rusqlite::Result<ReadOutcome> {
        tx.changed(ChangeKind::Deploy, Some(&facts.project_id), Some(run_id));
        // Another process may have read it meanwhile: the first one stands.
        if tx.query_row("SELECT 1 FROM run_commit_reads WHERE run_id = ?1", [run_id], |_| Ok(())).optional()?.is_some() {
            return Ok(ReadOutcome::Skipped);
        }
        match &outcome {
            Read::Commits(commits) => {
                let mut stmt = tx.prepare(
                    "INSERT OR IGNORE INTO run_commits (run_id, environment_id, sha, committed_at, deployed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for (sha, committed_at) in commits {
                    stmt.execute(params![run_id, facts.environment_id, sha, committed_at, facts.ended_at])?;
                }
                tx.execute(
                    "INSERT INTO run_commit_reads (run_id, environment_id, deployed_at, read_at, commits, problem) VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                    params![run_id, facts.environment_id, facts.ended_at, at, commits.len() as i64],
                )?;
                Ok(ReadOutcome::Read(commits.len()))
            }
            Read::Problem(problem) => {
                tx.execute(
                    "INSERT INTO run_commit_reads (run_id, environment_id, deployed_at, read_at, commits, problem) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                    params![run_id, facts.environment_id, facts.ended_at, at, problem],
                )?;
                Ok(ReadOutcome::NotMeasured(problem.clone()))
            }
        }
    });
    match written {
        Ok(o) => o,
        Err(e) => {
            log::warn!("the commits of run {run_id} could not be recorded for lead time: {e}");
            match outcome {
                Read::Problem(p) => ReadOutcome::NotMeasured(p),
                Read::Commits { .. } => ReadOutcome::NotMeasured(format!("not measured: the commits could not be saved ({e})")),
            }
        }
    }
}

enum Read {
    Commits(Vec<(String, String)>),
    Problem(String),
}

#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("{0}")]
    Store(#[from] crate::StoreError),
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
}

/// Reads from git; `None` when the run is not one whose commits count.
fn read_for_run(store: &Store, run_id: &str) -> Result<Option<(RunFacts, Read)>, ReadError> {
    let (facts, repository) = {
        let conn = store.reader()?;
        if conn.query_row("SELECT 1 FROM run_commit_reads WHERE run_id = ?1", [run_id], |_| Ok(())).optional()?.is_some() {
            return Ok(None);
        }
        let Some(facts) = facts(&conn, run_id)? else { return Ok(None) };
        if !facts.eligible {
            return Ok(None);
        }
        let repository: String =
            conn.query_row("SELECT repository FROM projects WHERE id = ?1", [&facts.project_id], |r| r.get(0)).optional()?.unwrap_or_default();
        (facts, repository)
    };
    let folder = match repository_folder(&repository) {
        Ok(f) => f,
        Err(problem) => return Ok(Some((facts, Read::Problem(problem)))),
    };
    let to = if facts.build_ref.trim().is_empty() { facts.version.clone() } else { facts.build_ref.trim().to_owned() };
    let read = match commits_between(&folder, facts.previous_version.as_deref(), &to) {
        Ok(commits) => Read::Commits(commits),
        Err(problem) => Read::Problem(problem),
    };
    Ok(Some((facts, read)))
}

/// The project's repository as a local folder, or why lead time cannot be
/// measured from it.
fn repository_folder(repository: &str) -> Result<PathBuf, String> {
    let repo = repository.trim();
    if repo.is_empty() {
        return Err("not measured: the project has no repository. Set its repository folder (a local git clone) in the project's settings.".into());
    }
    if repo.contains("://") || repo.starts_with("git@") {
        return Err("not measured: the project's repository is a remote address. Set a local clone's folder in the project's settings.".into());
    }
    Ok(PathBuf::from(repo))
}

/// The commits from `previous` (or the tag before `to` when there was no
/// previous version) to `to`, with UTC committer dates, or the problem in
/// words.
fn commits_between(folder: &std::path::Path, previous: Option<&str>, to: &str) -> Result<Vec<(String, String)>, String> {
    let words = |e: ChangesError| match e {
        ChangesError::UnknownRef { name, .. } => {
            format!("not measured: the repository has no tag or reference “{name}”. Tag each release's commit (v1.2.3), or give the build reference when deploying.")
        }
        other => format!("not measured: {other}"),
    };
    let (from, to) = changes::resolve_range(folder, previous, to).map_err(words)?;
    let from = match from {
        Some(f) => Some(f),
        None => match changes::previous_tag(folder, &to).map_err(words)? {
            Some(tag) => Some(tag),
            None => return Err("not measured: this is the first version deployed and the repository has no earlier tag to count its commits from.".into()),
        },
    };
    let raw = changes::commit_times(folder, from.as_deref(), &to, MAX_COMMITS).map_err(words)?;
    Ok(raw
        .into_iter()
        .filter_map(|(sha, at)| DateTime::parse_from_rfc3339(&at).ok().map(|t| (sha, clock::to_text(t.with_timezone(&Utc)))))
        .collect())
}

/// Records commits as read for a run that ran before (the sample project's
/// history): each with its committer date, counted at this run unless an
/// earlier one brought it to the environment.
pub(crate) fn insert_past_in(tx: &Connection, run_id: &str, environment_id: &str, deployed_at: &str, commits: &[(String, String)]) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached("INSERT OR IGNORE INTO run_commits (run_id, environment_id, sha, committed_at, deployed_at) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (sha, committed_at) in commits {
        stmt.execute(params![run_id, environment_id, sha, committed_at, deployed_at])?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO run_commit_reads (run_id, environment_id, deployed_at, read_at, commits, problem) VALUES (?1, ?2, ?3, ?3, ?4, NULL)",
        params![run_id, environment_id, deployed_at, commits.len() as i64],
    )?;
    Ok(())
}
