//! Streaming ordered output to the window: lines go over a Tauri `Channel`
//! in small batches, at most one per frame, never one message per line (which
//! froze the window at 20,000 lines a second).
//!
//! The producer (a deploy step's output reader) sends lines into
//! [`LineStream`]; a task flushes a batch of at most [`MAX_LINES`] lines or
//! [`MAX_BYTES`] bytes every [`FLUSH_EVERY`], and the rest when the producer
//! is done.

use std::time::Duration;

use serde::Serialize;
use tauri::ipc::Channel;
use tokio::sync::mpsc;
use tauri::async_runtime::JoinHandle;

pub const FLUSH_EVERY: Duration = Duration::from_millis(16);
// Small messages: the window draws only the newest lines of a flood, and a
// batch this size is cheap to deliver and parse within a frame (512 lines
// and 32 KiB per batch cost frames of 40 to 75 ms in the benchmark).
pub const MAX_LINES: usize = 128;
pub const MAX_BYTES: usize = 8 * 1024;

/// Consecutive lines; `first` is the number of the first one (from 0), so
/// the window can tell a gap from a repeat.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LineBatch<T> {
    pub first: u32,
    pub lines: Vec<T>,
}

/// What a stream carries: anything with a size in bytes.
pub trait Line: Serialize + Clone + Send + 'static {
    fn bytes(&self) -> usize;
}

impl Line for String {
    fn bytes(&self) -> usize {
        self.len()
    }
}

impl Line for liftoff_core::deploy::runs::LogLine {
    fn bytes(&self) -> usize {
        self.text.len() + 16
    }
}

impl Line for liftoff_core::deploy::engine::RunEvent {
    fn bytes(&self) -> usize {
        use liftoff_core::deploy::engine::RunEvent;
        match self {
            RunEvent::Lines { lines, .. } => lines.iter().map(|l| l.text.len() + 16).sum::<usize>() + 48,
            _ => 512,
        }
    }
}

/// The sending end. Dropping it (or [`LineStream::finish`]) flushes the rest.
pub struct LineStream<T: Line> {
    tx: mpsc::Sender<T>,
    /// Items that must arrive (a step's end, the run's end): never dropped.
    urgent: mpsc::UnboundedSender<T>,
    task: JoinHandle<u32>,
}

impl<T: Line> LineStream<T> {
    /// Starts the flushing task on Tauri's async runtime.
    pub fn start(channel: Channel<LineBatch<T>>) -> LineStream<T> {
        let (tx, mut rx) = mpsc::channel::<T>(4096);
        let (urgent, mut urgent_rx) = mpsc::unbounded_channel::<T>();
        let task = tauri::async_runtime::spawn(async move {
            let mut urgent_open = true;
            let mut out = Pending { channel, batch: Vec::new(), bytes: 0, sent: 0 };
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                // A full batch waits for the next tick: the window gets at
                // most one message per frame, however fast the producer
                // is. Meanwhile the queue fills, and a producer that
                // `offer`s drops lines (numbered ones are read back from
                // the database by the window, as far as it wants them).
                let room = out.batch.len() < MAX_LINES && out.bytes < MAX_BYTES;
                tokio::select! {
                    biased;
                    item = urgent_rx.recv(), if urgent_open => match item {
                        Some(item) => {
                            out.bytes += item.bytes();
                            out.batch.push(item);
                        }
                        None => urgent_open = false,
                    },
                    line = rx.recv(), if room => match line {
                        Some(line) => {
                            out.bytes += line.bytes();
                            out.batch.push(line);
                        }
                        None => {
                            while let Ok(item) = urgent_rx.try_recv() {
                                out.batch.push(item);
                            }
                            out.flush();
                            return out.sent;
                        }
                    },
                    _ = tick.tick() => out.flush(),
                }
            }
        });
        LineStream { tx, urgent, task }
    }

    /// Queues an item that must arrive, however far behind the window is.
    pub fn must(&self, item: T) {
        let _ = self.urgent.send(item);
    }

    /// Queues one line; waits only when the window falls far behind.
    pub async fn send(&self, line: T) {
        let _ = self.tx.send(line).await;
    }

    /// Queues one line without waiting; `false` when the window is so far
    /// behind that the line was dropped (a numbered line's gap is then
    /// filled from the database by the window).
    pub fn offer(&self, line: T) -> bool {
        self.tx.try_send(line).is_ok()
    }

    /// Flushes what is left; returns how many lines were sent in all.
    pub async fn finish(self) -> u32 {
        drop(self.urgent);
        drop(self.tx);
        self.task.await.unwrap_or(0)
    }
}

struct Pending<T: Line> {
    channel: Channel<LineBatch<T>>,
    batch: Vec<T>,
    bytes: usize,
    sent: u32,
}

impl<T: Line> Pending<T> {
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.batch);
        let n = lines.len() as u32;
        if self.channel.send(LineBatch { first: self.sent, lines }).is_err() {
            // The window went away; go on draining so the producer never blocks.
            log::debug!("a line stream's window is gone");
        }
        self.sent += n;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tauri::ipc::InvokeResponseBody;

    use super::*;

    fn collecting_channel() -> (Channel<LineBatch<String>>, Arc<Mutex<Vec<serde_json::Value>>>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else { panic!("batches travel as JSON") };
            sink.lock().unwrap().push(serde_json::from_str(&json).unwrap());
            Ok(())
        });
        (channel, got)
    }

    #[test]
    fn many_lines_arrive_in_order_in_few_bounded_batches() {
        let (channel, got) = collecting_channel();
        let sent = tauri::async_runtime::block_on(async move {
            let stream = LineStream::start(channel);
            for i in 0..20_000 {
                stream.send(format!("line {i}")).await;
            }
            stream.finish().await
        });
        assert_eq!(sent, 20_000);
        let batches = got.lock().unwrap();
        let mut next = 0;
        for batch in batches.iter() {
            assert_eq!(batch["first"], next, "batches are consecutive");
            let lines = batch["lines"].as_array().unwrap();
            assert!(!lines.is_empty() && lines.len() <= MAX_LINES);
            for line in lines {
                assert_eq!(line, &format!("line {next}"));
                next += 1;
            }
        }
        assert_eq!(next, 20_000);
        assert!(batches.len() <= 20_000 / 16, "lines are batched, not sent one by one: {} messages", batches.len());
    }

    #[test]
    fn a_quiet_producer_s_line_goes_out_on_the_timer_not_only_at_the_end() {
        let (channel, got) = collecting_channel();
        tauri::async_runtime::block_on(async move {
            let stream = LineStream::start(channel);
            stream.send("first".into()).await;
            // A frame or two normally; a loaded machine gets a second.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            while got.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
                tokio::time::sleep(FLUSH_EVERY).await;
            }
            assert_eq!(got.lock().unwrap().len(), 1, "flushed on the timer while the stream is still open");
            assert_eq!(got.lock().unwrap()[0]["lines"][0], "first");
            stream.finish().await;
        });
    }
}
