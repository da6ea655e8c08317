//! A run's log: lines as the engine writes them (head and tail kept when
//! a log runs long), read back a page at a time or whole. Owns
//! `deploy_log`.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::DeployError;
use crate::Store;

/// Lines kept from the start and the end of a long log; the middle is cut.
pub const HEAD_LINES: i64 = 10_000;
pub const TAIL_LINES: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum LogStream {
    Out,
    Err,
    Liftoff,
}

impl LogStream {
    pub(crate) fn code(self) -> i64 {
        match self {
            LogStream::Out => 0,
            LogStream::Err => 1,
            LogStream::Liftoff => 2,
        }
    }
    fn parse(n: i64) -> LogStream {
        match n {
            0 => LogStream::Out,
            1 => LogStream::Err,
            _ => LogStream::Liftoff,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    /// The line's number in the run, from 1.
    pub seq: i32,
    pub stream: LogStream,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
    pub lines: Vec<LogLine>,
    /// Lines the run printed in all.
    pub total: i32,
    /// Lines cut from the middle (after line [`HEAD_LINES`]).
    pub cut: i32,
}

/// Stored lines after `after_seq`, at most `limit`; with `search`, only
/// lines containing it (ignoring case).
pub fn log(store: &Store, run_id: &str, after_seq: i64, limit: i64, search: Option<&str>) -> Result<LogPage, DeployError> {
    let conn = store.reader()?;
    let (total, cut): (i32, i32) = conn
        .query_row("SELECT log_lines, log_cut FROM deploy_runs WHERE id = ?1", params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(DeployError::RunNotFound)?;
    let pattern = search.map(str::trim).filter(|s| !s.is_empty()).map(|s| format!("%{}%", crate::rules::escape_like(s)));
    let mut stmt = conn.prepare_cached(
        "SELECT seq, stream, text FROM deploy_log WHERE run_id = ?1 AND seq > ?2
           AND (?3 IS NULL OR text LIKE ?3 ESCAPE '\\') ORDER BY seq LIMIT ?4",
    )?;
    let lines = stmt
        .query_map(params![run_id, after_seq, pattern, limit.clamp(1, 50_000)], |r| {
            Ok(LogLine { seq: r.get(0)?, stream: LogStream::parse(r.get(1)?), text: r.get(2)? })
        })?
        .collect::<Result<_, _>>()?;
    Ok(LogPage { lines, total, cut })
}

/// The whole stored log as text for a download, with the cut marked.
pub fn log_text(store: &Store, run_id: &str) -> Result<String, DeployError> {
    let run = super::get(store, run_id)?;
    let conn = store.reader()?;
    let mut out = format!(
        "# Liftoff deploy log: {} {} to {} ({}), started {} by {}, {}\n",
        run.kind.as_str(),
        run.version,
        run.environment_name,
        run.id,
        run.started_at,
        run.started_by,
        run.state.label()
    );
    let mut stmt = conn.prepare_cached("SELECT seq, stream, text FROM deploy_log WHERE run_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query(params![run_id])?;
    let mut last = 0i64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        if seq > last + 1 && last > 0 {
            out.push_str(&format!("[… {} lines cut here: Liftoff keeps the first {HEAD_LINES} and the last {TAIL_LINES} lines …]\n", seq - last - 1));
        }
        last = seq;
        let prefix = match LogStream::parse(r.get(1)?) {
            LogStream::Out => "",
            LogStream::Err => "[stderr] ",
            LogStream::Liftoff => "[liftoff] ",
        };
        out.push_str(prefix);
        out.push_str(r.get_ref(2)?.as_str().unwrap_or(""));
        out.push('\n');
    }
    if !run.outcome.is_empty() {
        out.push_str(&format!("# {}\n", run.outcome));
    }
    Ok(out)
}

/// Appends lines to a run's log in batches, keeping the head and the tail.
pub(crate) struct LogWriter {
    run_id: String,
    next_seq: i64,
    pending: Vec<(i64, LogStream, String)>,
    stored_cut_to: i64,
}

impl LogWriter {
    pub fn new(run_id: &str) -> LogWriter {
        LogWriter { run_id: run_id.into(), next_seq: 1, pending: Vec::new(), stored_cut_to: HEAD_LINES }
    }

    /// Goes on with a run's log after another process wrote it: the next
    /// line follows the `lines` stored (the middle up to `cut` dropped).
    pub fn resume(run_id: &str, lines: i64, cut: i64) -> LogWriter {
        LogWriter { run_id: run_id.into(), next_seq: lines.max(0) + 1, pending: Vec::new(), stored_cut_to: cut.max(HEAD_LINES) }
    }

    /// Queues a line; returns its number.
    pub fn push(&mut self, stream: LogStream, text: String) -> i64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.push((seq, stream, text));
        // Between flushes, lines that will surely be cut are dropped, so
        // memory stays bounded however fast the child prints.
        if self.pending.len() > (TAIL_LINES as usize) * 2 {
            self.pending.retain(|(s, _, _)| *s <= HEAD_LINES || *s > seq - TAIL_LINES);
        }
        seq
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn total(&self) -> i64 {
        self.next_seq - 1
    }

    /// Writes the queued lines, drops the middle of a long log, and counts.
    pub fn flush(&mut self, store: &Store) -> Result<(), DeployError> {
        let batch = self.take();
        let result = batch.write(store);
        self.settle(batch, &result);
        result
    }

    /// The queued lines, to write without holding the writer (see
    /// [`LogBatch::write`]); hand them back with [`LogWriter::settle`].
    pub fn take(&mut self) -> LogBatch {
        let total = self.total();
        LogBatch {
            run_id: self.run_id.clone(),
            lines: std::mem::take(&mut self.pending),
            total,
            cut_to: (total - TAIL_LINES).max(HEAD_LINES),
            stored_cut_to: self.stored_cut_to,
        }
    }

    /// After a write: counts what was cut, or keeps the lines for the next
    /// try rather than lose them.
    pub fn settle(&mut self, batch: LogBatch, result: &Result<(), DeployError>) {
        if result.is_ok() {
            self.stored_cut_to = self.stored_cut_to.max(batch.cut_to);
        } else {
            let mut back = batch.lines;
            back.append(&mut self.pending);
            self.pending = back;
        }
    }
}

/// Lines taken from a [`LogWriter`] to be written.
pub(crate) struct LogBatch {
    run_id: String,
    lines: Vec<(i64, LogStream, String)>,
    total: i64,
    cut_to: i64,
    stored_cut_to: i64,
}

impl LogBatch {
    /// Writes the lines, drops the middle of a long log, and counts. Not
    /// reported as a data change: the run's live stream carries the lines,
    /// and its start and end are reported. Batches may be written in any
    /// order (lines by number, counts only grow).
    pub fn write(&self, store: &Store) -> Result<(), DeployError> {
        store.write_unreported(|tx| self.write_in(tx))
    }

    /// [`Self::write`] inside the caller's transaction.
    pub fn write_in(&self, tx: &Connection) -> Result<(), DeployError> {
        let cut = (self.total - HEAD_LINES - TAIL_LINES).max(0);
        {
            {
                let mut insert = tx.prepare_cached("INSERT OR REPLACE INTO deploy_log (run_id, seq, stream, text) VALUES (?1, ?2, ?3, ?4)")?;
                for (seq, stream, text) in &self.lines {
                    if *seq > HEAD_LINES && *seq <= self.cut_to {
                        continue;
                    }
                    insert.execute(params![self.run_id, seq, stream.code(), text])?;
                }
            }
            if self.cut_to > self.stored_cut_to {
                tx.execute(
                    "DELETE FROM deploy_log WHERE run_id = ?1 AND seq > ?2 AND seq <= ?3",
                    params![self.run_id, self.stored_cut_to, self.cut_to],
                )?;
            }
            super::count_log_in(tx, &self.run_id, self.total, cut)?;
            Ok::<_, DeployError>(())
        }
    }
}

/// Writes a past run's lines, on stdout, numbered from 1.
pub(crate) fn insert_lines_in(tx: &Connection, run_id: &str, lines: &[String]) -> rusqlite::Result<()> {
    for (seq, text) in lines.iter().enumerate() {
        tx.execute("INSERT INTO deploy_log (run_id, seq, stream, text) VALUES (?1, ?2, 0, ?3)", params![run_id, seq as i64 + 1, text])?;
    }
    Ok(())
}
