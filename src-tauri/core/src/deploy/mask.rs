//! Hides secret values in every line that leaves the deploy engine.
//!
//! A [`Masker`] is built once per run from the secret values the run can
//! see, and replaces every occurrence of each of them with `***`, in the
//! forms a script is likely to print them:
//!
//! - the value itself;
//! - standard and URL-safe base64: the whole value encoded alone (with and
//!   without `=` padding), and the characters that stay the same wherever
//!   the value sits inside a longer base64 stream (the value encoded after 0,
//!   1 and 2 bytes of other data, keeping only the characters that depend on
//!   the value alone, as GitHub Actions does; pieces shorter than 4
//!   characters are dropped as too common). A value encoded inside a longer
//!   stream may so leave one to three characters of its encoding visible
//!   at each end;
//! - percent-encoded: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX`, with a
//!   space as `%20` or as `+`, hex digits upper or lower case, and as
//!   `application/x-www-form-urlencoded` writes it;
//! - hexadecimal, lower and upper case (`xxd -p` and its like);
//! - JSON-escaped, without the quotes: as serde_json and JavaScript write
//!   it, and with non-ASCII escaped as `\uXXXX` as Python writes it;
//! - for a value of several lines (a key file), each of its lines too, as
//!   the log is masked one line at a time.
//!
//! A value shorter than 3 characters is not masked: hiding every `ab` in a
//! log would make it unreadable and protect little. Matching is
//! leftmost-longest, so where two variants overlap the longer one wins.

use std::borrow::Cow;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use zeroize::Zeroizing;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Values shorter than this many characters are not masked.
pub const MIN_SECRET_CHARS: usize = 3;

/// Base64 pieces taken from inside a stream shorter than this are dropped.
const MIN_PIECE: usize = 4;

/// Replaces secret values, in their usual encodings, with `***`.
#[derive(Clone, Default)]
pub struct Masker {
    finder: Option<AhoCorasick>,
    longest: usize,
    variants: usize,
    /// The values it was built from, kept to build an extended masker.
    secrets: Vec<Zeroizing<String>>,
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Masker").field("secrets", &self.secrets.len()).field("variants", &self.variants).finish()
    }
}

impl Masker {
    /// A masker for these values. Empty values and values shorter than
    /// [`MIN_SECRET_CHARS`] characters are ignored.
    pub fn new(secrets: &[&str]) -> Masker {
        let secrets: Vec<Zeroizing<String>> = secrets
            .iter()
            .filter(|s| s.chars().count() >= MIN_SECRET_CHARS)
            .map(|s| Zeroizing::new((*s).to_owned()))
            .collect();
        let mut list: Vec<Zeroizing<String>> = Vec::new();
        for secret in &secrets {
            for v in variants(secret) {
                list.push(Zeroizing::new(v));
            }
            if secret.contains('\n') {
                for line in secret.split('\n').map(|l| l.trim_end_matches('\r')) {
                    if line.trim().chars().count() >= MIN_SECRET_CHARS {
                        list.push(Zeroizing::new(line.to_owned()));
                    }
                }
            }
        }
        // Longest first: the automaton is leftmost-longest anyway, but the
        // order makes the choice plain.
        list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.as_str().cmp(b.as_str())));
        list.dedup_by(|a, b| a.as_str() == b.as_str());
        let longest = list.first().map_or(0, |v| v.len());
        let finder = if list.is_empty() {
            None
        } else {
            let patterns: Vec<&str> = list.iter().map(|v| v.as_str()).collect();
            Some(AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(patterns).expect("a masker's patterns are few and short"))
        };
        Masker { finder, longest, variants: list.len(), secrets }
    }

    /// A masker for this one's values and these.
    pub fn extended(&self, more: &[&str]) -> Masker {
        let mut all: Vec<&str> = self.secrets.iter().map(|s| s.as_str()).collect();
        all.extend_from_slice(more);
        Masker::new(&all)
    }

    /// True when it masks nothing.
    pub fn is_empty(&self) -> bool {
        self.finder.is_none()
    }

    /// The length in bytes of the longest text it masks (0 when empty).
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// The line with every occurrence of every variant replaced by `***`.
    /// Borrows the line when there is nothing to hide.
    pub fn mask<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let Some(finder) = &self.finder else {
            return Cow::Borrowed(line);
        };
        let mut found = finder.find_iter(line);
        let Some(first) = found.next() else {
            return Cow::Borrowed(line);
        };
        let mut out = String::with_capacity(line.len());
        out.push_str(&line[..first.start()]);
        out.push_str(MASK);
        let mut last = first.end();
        for m in found {
            out.push_str(&line[last..m.start()]);
            out.push_str(MASK);
            last = m.end();
        }
        out.push_str(&line[last..]);
        Cow::Owned(out)
    }

    /// Where a match that starts before `at` and ends after it ends, if one
    /// does: for cutting an overlong line where no secret is split.
    pub(crate) fn match_across(&self, text: &str, at: usize) -> Option<usize> {
        let finder = self.finder.as_ref()?;
        let from = at.saturating_sub(self.longest);
        finder.find_iter(text.as_bytes().get(from..)?).map(|m| (from + m.start(), from + m.end())).take_while(|&(s, _)| s < at).find(|&(_, e)| e > at).map(|(_, e)| e)
    }
}

/// Every form of one value that the masker looks for.
fn variants(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    let bytes = secret.as_bytes();
    for engine in [&STANDARD, &URL_SAFE] {
        out.push(engine.encode(bytes));
        for offset in 0..3usize {
            let mut data = vec![0u8; offset];
            data.extend_from_slice(bytes);
            let encoded = Zeroizing::new(engine.encode(&data));
            data.iter_mut().for_each(|b| *b = 0);
            // Character i holds bits 6i..6i+6; keep those that lie wholly
            // within the value's bits 8*offset..8*(offset+len).
            let start = (8 * offset).div_ceil(6);
            let end = (8 * (offset + bytes.len())) / 6;
            if end >= start + MIN_PIECE {
                out.push(encoded[start..end].to_owned());
            }
        }
    }
    out.push(STANDARD_NO_PAD.encode(bytes));
    out.push(URL_SAFE_NO_PAD.encode(bytes));
    for space_plus in [false, true] {
        for upper in [true, false] {
            out.push(percent_encode(bytes, space_plus, upper));
        }
    }
    out.push(url::form_urlencoded::byte_serialize(bytes).collect());
    // Hexadecimal (as `xxd -p`, `od`, `hexdump` or a digest tool prints
    // bytes), lower and upper case.
    for hex in [b"0123456789abcdef", b"0123456789ABCDEF"] {
        out.push(bytes.iter().flat_map(|b| [hex[(b >> 4) as usize] as char, hex[(b & 15) as usize] as char]).collect());
    }
    let json = serde_json::to_string(secret).expect("a string serializes");
    out.push(json[1..json.len() - 1].to_owned());
    out.push(json_ascii(secret));
    out
}

fn percent_encode(bytes: &[u8], space_plus: bool, upper: bool) -> String {
    let hex: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else if b == b' ' && space_plus {
            out.push('+');
        } else {
            out.push('%');
            out.push(hex[(b >> 4) as usize] as char);
            out.push(hex[(b & 15) as usize] as char);
        }
    }
    out
}

/// JSON string content with every non-ASCII character as `\uXXXX`.
fn json_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn the_value_itself_is_masked_and_nothing_else_changes() {
        let m = Masker::new(&["hunter2-canary"]);
        assert_eq!(m.mask("token=hunter2-canary; next hunter2-canary."), "token=***; next ***.");
        let plain = "nothing to hide here: hunter2 canary, hunter2-canar";
        assert!(matches!(m.mask(plain), Cow::Borrowed(_)));
        assert_eq!(m.mask(plain), plain);
        assert_eq!(m.mask(""), "");
        // The longest form is the hexadecimal of the 14 bytes.
        assert_eq!(m.longest(), 2 * "hunter2-canary".len());
    }

    #[test]
    fn an_empty_masker_borrows() {
        let m = Masker::new(&[]);
        assert!(m.is_empty());
        assert_eq!(m.longest(), 0);
        assert!(matches!(m.mask("anything at all"), Cow::Borrowed("anything at all")));
        let short = Masker::new(&["", "ab"]);
        assert!(short.is_empty(), "values under 3 characters are not masked");
        assert_eq!(Masker::new(&["abc"]).mask("xabcx"), "x***x");
    }

    #[test]
    fn base64_at_every_offset_of_a_stream_is_masked() {
        let secret = "s3cr3t-V@lue/with+stuff";
        let m = Masker::new(&[secret]);
        // Alone, with padding: wholly hidden.
        assert_eq!(m.mask(&format!("auth: {}", b64(secret.as_bytes()))), "auth: ***");
        assert_eq!(m.mask(&STANDARD_NO_PAD.encode(secret)), "***");
        assert_eq!(m.mask(&URL_SAFE.encode(secret)), "***");
        // Inside a longer stream (as in Basic auth "user:secret"), at each
        // of the three offsets: the value's own characters are hidden, at
        // most 3 characters at each end stay.
        for prefix in ["", "u:", "us:", "use:", "user:", "admin-user:"] {
            let encoded = b64(format!("{prefix}{secret}!!tail").as_bytes());
            let masked = m.mask(&encoded);
            assert!(masked.contains(MASK), "prefix {prefix:?}: {encoded} -> {masked}");
            let visible = masked.replace(MASK, "");
            assert!(visible.len() + 28 <= encoded.len(), "prefix {prefix:?}: too much left: {masked}");
        }
        let basic = format!("Authorization: Basic {}", b64(format!("deploy:{secret}").as_bytes()));
        assert!(m.mask(&basic).contains(MASK), "{}", m.mask(&basic));
    }

    #[test]
    fn hex_in_either_case_is_masked() {
        let secret = "tok-9Z/é";
        let m = Masker::new(&[secret]);
        let lower: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        let upper = lower.to_uppercase();
        assert_eq!(m.mask(&format!("xxd: {lower}")), "xxd: ***");
        assert_eq!(m.mask(&format!("HEX={upper};")), "HEX=***;");
        // Mixed case is not a form tools write.
        let mixed = format!("{}{}", &lower[..4], &upper[4..]);
        assert_eq!(m.mask(&mixed), mixed);
    }

    #[test]
    fn url_and_json_forms_are_masked() {
        let secret = "p@ss/w+rd \"q\"\\é€";
        let m = Masker::new(&[secret]);
        let forms = [
            "p%40ss%2Fw%2Brd%20%22q%22%5C%C3%A9%E2%82%AC".to_owned(),
            "p%40ss%2Fw%2Brd+%22q%22%5C%C3%A9%E2%82%AC".to_owned(),
            "p%40ss%2fw%2brd%20%22q%22%5c%c3%a9%e2%82%ac".to_owned(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
            r#"p@ss/w+rd \"q\"\\é€"#.to_owned(),
            r#"p@ss/w+rd \"q\"\\\u00e9\u20ac"#.to_owned(),
            serde_json::to_string(secret).unwrap(),
        ];
        for form in &forms {
            let line = format!("before {form} after");
            let masked = m.mask(&line);
            assert!(masked == "before *** after" || masked == "before \"***\" after", "{form} -> {masked}");
        }
        assert_eq!(m.mask(&format!("raw: {secret}")), "raw: ***");
        // A JSON body as a script would print it.
        let body = serde_json::json!({ "user": "deploy", "token": secret }).to_string();
        let masked = m.mask(&body);
        assert_eq!(masked, r#"{"token":"***","user":"deploy"}"#);
    }

    #[test]
    fn special_characters_newlines_and_non_ascii() {
        let secret = "line1-abc\nline2-\u{1F680}-xyz\n";
        let m = Masker::new(&[secret]);
        assert_eq!(m.mask("got line1-abc and line2-\u{1F680}-xyz"), "got *** and ***");
        assert_eq!(m.mask(&serde_json::to_string(secret).unwrap()), "\"***\"");
        assert_eq!(m.mask(&b64(secret.as_bytes())), "***");
        // Replacement keeps the text around it byte for byte.
        let around = "é€ \t\u{1F680} ";
        assert_eq!(m.mask(&format!("{around}line1-abc{around}")), format!("{around}***{around}"));
    }

    #[test]
    fn many_secrets_and_overlaps() {
        let secrets: Vec<String> = (0..200).map(|i| format!("secret-number-{i:03}-{}", i * 7919)).collect();
        let refs: Vec<&str> = secrets.iter().map(|s| s.as_str()).collect();
        let m = Masker::new(&refs);
        for (i, s) in secrets.iter().enumerate().step_by(17) {
            let line = format!("{i}: {s} and {} and {s}", b64(s.as_bytes()));
            assert_eq!(m.mask(&line), format!("{i}: *** and *** and ***"));
        }
        // Overlapping values: the longer one wins, nothing is left over.
        let m = Masker::new(&["abcdef", "abcdefghij", "defghi"]);
        assert_eq!(m.mask("xabcdefghijx abcdefx defghix"), "x***x ***x ***x");
        assert_eq!(m.longest(), 2 * "abcdefghij".len(), "its hexadecimal");
        let m2 = Masker::new(&["first-one"]).extended(&["second-one"]);
        assert_eq!(m2.mask("first-one second-one"), "*** ***");
        assert!(!format!("{m2:?}").contains("first-one"));
    }

    #[test]
    fn a_match_across_a_cut_is_found() {
        let m = Masker::new(&["topsecret"]);
        let text = "aaaa topsecret bbb";
        assert_eq!(m.match_across(text, 8), Some(14));
        assert_eq!(m.match_across(text, 5), None, "a match starting at the cut is not across it");
        assert_eq!(m.match_across(text, 14), None);
        assert_eq!(m.match_across(text, 2), None);
    }

    #[test]
    fn base64_pieces_are_the_stable_characters() {
        // "abc" at offset 0 encodes to 4 stable characters; at offset 1 only
        // 3 are stable, too few to keep.
        let v = variants("abc");
        assert!(v.contains(&"YWJj".to_owned()));
        let one = b64(b"\0abc");
        assert!(!v.contains(&one[2..5].to_owned()));
        // Each kept piece appears in the encoding of any stream holding
        // the value at that offset.
        let secret = "0123456789";
        for offset in 0..3usize {
            let start = (8 * offset).div_ceil(6);
            let end = (8 * (offset + secret.len())) / 6;
            let piece = &b64(&[&b"\0\0"[..offset], secret.as_bytes()].concat())[start..end];
            for lead in [&b"\xff\xfe"[..offset], &b"zz"[..offset]] {
                for tail in ["", "x", "yy", "zzz"] {
                    let stream = b64(&[lead, secret.as_bytes(), tail.as_bytes()].concat());
                    assert!(stream.contains(piece), "offset {offset}: {piece} not in {stream}");
                }
            }
        }
    }
}
