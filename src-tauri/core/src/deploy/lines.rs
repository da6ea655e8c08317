//! Bytes of log output turned into log lines: what a step's child process
//! writes, and later what a remote CI engine's log holds. Pure: no process,
//! no I/O; [`Lines`] takes byte chunks as they arrive.
//!
//! Guarantees: every line handed out is masked, stripped of terminal
//! escape sequences, valid UTF-8 (bad bytes become U+FFFD), one line
//! without its newline, at most [`MAX_PIECE`] bytes (a longer line comes
//! in pieces, never cut inside a secret); a progress line redrawn with
//! `\r` comes as its last state; a chunk may end anywhere.

use std::borrow::Cow;

use crate::deploy::mask::Masker;

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// One line of a step's output: masked, without escape sequences or its
/// newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: Stream,
    pub text: String,
}

/// The longest line handed out, in bytes; longer lines come in pieces.
pub const MAX_PIECE: usize = 64 * 1024;
/// A line is assembled up to about this many bytes before being handed
/// out in pieces without waiting for its end.
pub const LINE_CAP: usize = 1024 * 1024;
/// Lines handed to `on_lines` at most at once.
pub const BATCH: usize = 1000;
const ESC: u8 = 0x1b;

/// Log output turned into lines: bytes of each stream fed as they come,
/// in chunks cut anywhere (in a line, a UTF-8 character, an escape
/// sequence or a secret), lines handed to `on_lines` in batches.
pub struct Lines<'m, F> {
    sink: Sink<'m, F>,
    out: Pending,
    err: Pending,
}

impl<'m, F: FnMut(Vec<LogLine>)> Lines<'m, F> {
    /// Lines masked with `masker`, handed to `on_lines`.
    pub fn new(masker: &'m Masker, on_lines: F) -> Self {
        Lines {
            sink: Sink { masker, on_lines, batch: Vec::with_capacity(BATCH), scratch: Vec::new(), count: 0 },
            out: Pending::new(Stream::Out),
            err: Pending::new(Stream::Err),
        }
    }

    /// The next bytes of `stream`. The lines they end are handed out
    /// before this returns; the rest waits for more bytes or [`Self::finish`].
    pub fn feed(&mut self, stream: Stream, bytes: &[u8]) {
        let pending = match stream {
            Stream::Out => &mut self.out,
            Stream::Err => &mut self.err,
        };
        pending.feed(bytes, &mut self.sink);
        self.sink.flush();
    }

    /// Every stream has ended (or is no longer read): the last line of
    /// each, if it had no newline, handed out.
    pub fn finish(&mut self) {
        self.out.finish(&mut self.sink);
        self.err.finish(&mut self.sink);
        self.sink.flush();
    }

    /// Lines handed out so far (pieces of a long line count each).
    pub fn count(&self) -> u64 {
        self.sink.count
    }
}

/// Where finished lines go: cleaned, masked, cut, batched.
struct Sink<'m, F> {
    masker: &'m Masker,
    on_lines: F,
    batch: Vec<LogLine>,
    scratch: Vec<u8>,
    count: u64,
}

impl<F: FnMut(Vec<LogLine>)> Sink<'_, F> {
    /// One whole line as read, without its `\n`.
    fn line(&mut self, stream: Stream, raw: &[u8]) {
        let raw = progress_tail(raw);
        let mut scratch = std::mem::take(&mut self.scratch);
        let bytes = if raw.contains(&ESC) {
            strip_escapes(raw, &mut scratch);
            &scratch[..]
        } else {
            raw
        };
        let text = String::from_utf8_lossy(bytes);
        let masked = self.masker.mask(&text);
        self.push(stream, masked);
        self.scratch = scratch;
    }

    /// Cleaned and masked text, cut into pieces.
    fn push(&mut self, stream: Stream, text: Cow<'_, str>) {
        if text.len() <= MAX_PIECE {
            self.emit(LogLine { stream, text: text.into_owned() });
            return;
        }
        let mut rest: &str = &text;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MAX_PIECE);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.emit(LogLine { stream, text: rest[..cut].to_owned() });
            rest = &rest[cut..];
        }
    }

    fn emit(&mut self, line: LogLine) {
        self.batch.push(line);
        self.count += 1;
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            (self.on_lines)(batch);
        }
    }
}

/// A line's text after its last carriage return (a progress line's last
/// state); carriage returns right before the newline do not count.
fn progress_tail(raw: &[u8]) -> &[u8] {
    let mut end = raw.len();
    while end > 0 && raw[end - 1] == b'\r' {
        end -= 1;
    }
    let raw = &raw[..end];
    match raw.iter().rposition(|&b| b == b'\r') {
        Some(i) => &raw[i + 1..],
        None => raw,
    }
}

/// The bytes without terminal escape sequences: CSI (`ESC [` ... final
/// byte), OSC and the other string sequences (`ESC ]`, `ESC P`, `ESC X`,
/// `ESC ^`, `ESC _` ... BEL or `ESC \`), `ESC` + intermediates + final,
/// and two-byte `ESC x`. A sequence cut off by the line's end is dropped.
fn strip_escapes(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let n = raw.len();
    let mut i = 0;
    while i < n {
        match raw[i..].iter().position(|&b| b == ESC) {
            None => {
                out.extend_from_slice(&raw[i..]);
                break;
            }
            Some(k) => {
                out.extend_from_slice(&raw[i..i + k]);
                i += k + 1;
            }
        }
        let Some(&kind) = raw.get(i) else { break };
        match kind {
            b'[' => {
                i += 1;
                while i < n && (0x20..=0x3f).contains(&raw[i]) {
                    i += 1;
                }
                if i < n && (0x40..=0x7e).contains(&raw[i]) {
                    i += 1;
                }
            }
            b']' | b'P' | b'X' | b'^' | b'_' => {
                i += 1;
                while i < n {
                    if raw[i] == 0x07 {
                        i += 1;
                        break;
                    }
                    if raw[i] == ESC && raw.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            0x20..=0x2f => {
                while i < n && (0x20..=0x2f).contains(&raw[i]) {
                    i += 1;
                }
                if i < n && (0x30..=0x7e).contains(&raw[i]) {
                    i += 1;
                }
            }
            0x30..=0x7e => i += 1,
            // ESC before anything else: drop the ESC alone.
            _ => {}
        }
    }
}

/// The part of one pipe's current line read so far.
struct Pending {
    stream: Stream,
    buf: Vec<u8>,
}

impl Pending {
    fn new(stream: Stream) -> Pending {
        Pending { stream, buf: Vec::new() }
    }

    fn feed<F: FnMut(Vec<LogLine>)>(&mut self, data: &[u8], sink: &mut Sink<'_, F>) {
        let mut rest = data;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            if self.buf.is_empty() {
                sink.line(self.stream, &rest[..i]);
            } else {
                self.buf.extend_from_slice(&rest[..i]);
                sink.line(self.stream, &self.buf);
                self.buf.clear();
            }
            rest = &rest[i + 1..];
        }
        if !rest.is_empty() {
            self.buf.extend_from_slice(rest);
            if self.buf.len() > LINE_CAP {
                self.spill(sink);
            }
        }
    }

    /// The pipe is closed (or no longer read): its last line, if any.
    fn finish<F: FnMut(Vec<LogLine>)>(&mut self, sink: &mut Sink<'_, F>) {
        if !self.buf.is_empty() {
            sink.line(self.stream, &self.buf);
            self.buf.clear();
        }
    }

    /// A line over the cap with no end in sight: hand out all of it but
    /// its tail, where a secret may continue into bytes not read yet.
    fn spill<F: FnMut(Vec<LogLine>)>(&mut self, sink: &mut Sink<'_, F>) {
        // A progress line: only what follows its last `\r` counts.
        let mut end = self.buf.len();
        while end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        if let Some(i) = self.buf[..end].iter().rposition(|&b| b == b'\r') {
            self.buf.drain(..=i);
        }
        if self.buf.len() <= LINE_CAP {
            return;
        }
        // Not inside a UTF-8 character, nor an escape sequence; carriage
        // returns at the end stay (a progress line may be redrawn next).
        let mut end = self.buf.len();
        while end > 0 && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        let mut cut = utf8_complete_end(&self.buf[..end]);
        let from = cut.saturating_sub(64);
        if let Some(i) = self.buf[from..cut].iter().rposition(|&b| b == ESC) {
            cut = from + i;
        }
        let mut scratch = std::mem::take(&mut sink.scratch);
        strip_escapes(&self.buf[..cut], &mut scratch);
        let text = String::from_utf8_lossy(&scratch).into_owned();
        sink.scratch = scratch;
        let mut at = text.len().saturating_sub(sink.masker.longest().saturating_sub(1));
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if let Some(end) = sink.masker.match_across(&text, at) {
            at = end;
        }
        let masked = sink.masker.mask(&text[..at]);
        sink.push(self.stream, masked);
        let mut kept = text.as_bytes()[at..].to_vec();
        kept.extend_from_slice(&self.buf[cut..]);
        self.buf = kept;
    }
}

/// The length of the bytes without a UTF-8 character cut off at the end.
fn utf8_complete_end(buf: &[u8]) -> usize {
    let n = buf.len();
    for back in 1..=n.min(4) {
        let b = buf[n - back];
        if b & 0xc0 != 0x80 {
            let need = match b {
                0xf0.. => 4,
                0xe0.. => 3,
                0xc0.. => 2,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-T0ken-value";

    fn feed_all(chunks: &[&[u8]], masker: &Masker) -> Vec<String> {
        let mut got = Vec::new();
        let mut lines = Lines::new(masker, |b: Vec<LogLine>| got.extend(b.into_iter().map(|l| l.text)));
        for chunk in chunks {
            lines.feed(Stream::Out, chunk);
        }
        lines.finish();
        got
    }

    #[test]
    fn a_secret_split_at_any_read_is_masked() {
        let masker = Masker::new(&[SECRET]);
        let text = format!("x {SECRET} y\n\u{e9}\u{1F680}\n");
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            for second in cut..=bytes.len() {
                let got = feed_all(&[&bytes[..cut], &bytes[cut..second], &bytes[second..]], &masker);
                assert_eq!(got, ["x *** y", "\u{e9}\u{1F680}"], "cuts at {cut}, {second}");
            }
        }
    }

    #[test]
    fn an_overlong_line_is_cut_where_no_secret_is_split() {
        let masker = Masker::new(&[SECRET]);
        // The secret straddles the read that crosses the cap, at every
        // position, with multi-byte characters about.
        for shift in 0..SECRET.len() + 2 {
            let mut line = "\u{e9}".repeat((LINE_CAP - shift) / 2);
            line.push_str(SECRET);
            line.push_str("\u{1F680}tail");
            let bytes = line.as_bytes();
            let first = LINE_CAP + 1 - 3;
            let got = feed_all(&[&bytes[..first], &bytes[first..first + 4], &bytes[first + 4..], b"\n"], &masker);
            let joined = got.concat();
            assert_eq!(joined, line.replace(SECRET, "***"), "shift {shift}");
            assert!(got.iter().all(|p| p.len() <= MAX_PIECE));
        }
        // A progress line redrawn past the cap keeps its last state only.
        let mut chunks: Vec<Vec<u8>> = (0..40_000).map(|i| format!("\rprogress {i:>8}%").into_bytes()).collect();
        chunks.push(b"\r\n".to_vec());
        let refs: Vec<&[u8]> = chunks.iter().map(|c| c.as_slice()).collect();
        let got = feed_all(&refs, &masker);
        assert_eq!(got, ["progress    39999%"]);
    }

    #[test]
    fn escape_sequences_are_stripped() {
        let strip = |s: &[u8]| {
            let mut out = Vec::new();
            strip_escapes(s, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(strip(b"\x1b[0m\x1b[38;5;196mx\x1b[m\x1b[?25l"), "x");
        assert_eq!(strip(b"a\x1b]0;t\x07b\x1b]1;t\x1b\\c"), "abc");
        assert_eq!(strip(b"a\x1b(Bb\x1b7c\x1b=d"), "abcd");
        assert_eq!(strip(b"cut \x1b[31"), "cut ");
        assert_eq!(strip(b"cut \x1b]0;never ends"), "cut ");
        assert_eq!(strip(b"lone \x1b"), "lone ");
        assert_eq!(strip("\x1b\u{e9}t\u{e9}".as_bytes()), "\u{e9}t\u{e9}");
        assert_eq!(progress_tail(b"a\rb\r\r"), b"b");
        assert_eq!(progress_tail(b"\r"), b"");
        assert_eq!(utf8_complete_end("ab\u{1F680}".as_bytes()), 6);
        assert_eq!(utf8_complete_end(&"ab\u{1F680}".as_bytes()[..5]), 2);
        assert_eq!(utf8_complete_end(&"\u{e9}".as_bytes()[..1]), 0);
    }

    #[test]
    fn bad_bytes_progress_lines_and_colours_are_cleaned() {
        let chunks: [&[u8]; 10] = [
            b"bad \xff\xfe bytes\n",
            b"10%\r50%\r100%\n",
            b"\x1b[1;31mred\x1b[0m plain \x1b[2K\x1b(Bok\n",
            b"\x1b]0;a title\x07after osc \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n",
            b"crlf line\r\n",
            b"\xc3",
            b"\xa9 split\n",
            b"tab\there\n\n",
            b"progress 1\r",
            b"progress 2\r\n",
        ];
        assert_eq!(
            feed_all(&chunks, &Masker::default()),
            ["bad \u{FFFD}\u{FFFD} bytes", "100%", "red plain ok", "after osc link", "crlf line", "\u{e9} split", "tab\there", "", "progress 2"]
        );
    }

    #[test]
    fn streams_stay_apart_and_lines_come_in_batches() {
        let mut batches = Vec::new();
        let masker = Masker::default();
        let mut lines = Lines::new(&masker, |b: Vec<LogLine>| batches.push(b));
        lines.feed(Stream::Out, b"out one\nout ");
        lines.feed(Stream::Err, b"err one\nerr two");
        lines.feed(Stream::Out, b"two\n");
        let many = "x\n".repeat(BATCH + 1);
        lines.feed(Stream::Out, many.as_bytes());
        lines.finish();
        assert_eq!(lines.count(), 4 + BATCH as u64 + 1);
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 1, 1, BATCH, 1, 1]);
        let first: Vec<(Stream, &str)> = batches.iter().take(3).flatten().map(|l| (l.stream, l.text.as_str())).collect();
        assert_eq!(first, [(Stream::Out, "out one"), (Stream::Err, "err one"), (Stream::Out, "out two")]);
        assert_eq!(batches.last().unwrap()[0], LogLine { stream: Stream::Err, text: "err two".into() });
    }
}
