//! A bounded mutation fuzz of the readers of user files other than
//! calendars: load CSVs, project files and checklist files.
//!
//! Each reader gets valid seed files (the project and checklist ones made by
//! the crate's own exports) mutated a few thousand times by a fixed-seed
//! PRNG, so every run tries the same inputs. For every input the reader must
//! not panic, must answer within [`SLOW`], and, when it refuses the file,
//! must have written nothing: the whole database (every table, every row) is
//! compared before and after. What a reader accepts is read back the way the
//! app reads it (the timeline, the weekly pattern, the exports).
//!
//! A failing input is saved under `$TMPDIR/liftoff-fuzz/` to reproduce.
//! `LIFTOFF_FUZZ_INPUTS=n` changes the number of inputs per reader and
//! `LIFTOFF_FUZZ_SEED=n` the PRNG's seed, for longer runs by hand;
//! `LIFTOFF_FUZZ_VERBOSE=1` lists the kinds of refusals, to see what the
//! mutations reach.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, Once};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use keyring::mock::MockCredential;
use liftoff_core::audit::Actor;
use liftoff_core::credentials::{self, CredentialKind};
use liftoff_core::environments::{self, EnvironmentDraft};
use liftoff_core::people::{self, PersonDraft, Role};
use liftoff_core::planning::{profile, timeline};
use liftoff_core::projects::{self, Project, ProjectDraft};
use liftoff_core::release::checklists::templates;
use liftoff_core::release::checklists::transfer::{self, FileFormat};
use liftoff_core::release::checklists::{self, ItemDraft, ItemState};
use liftoff_core::release::{self as releases, Release, ReleaseDraft};
use liftoff_core::secrets::{Keychain, SecretValue};
use liftoff_core::{sharing, Store};

/// The most one input may take, in a debug build on a busy machine.
const SLOW: Duration = Duration::from_secs(1);
/// An input still running after this is a hang: the watchdog saves it and
/// stops the test binary, which would otherwise never end.
const HANG: Duration = Duration::from_secs(30);
/// A fresh database every so many inputs, so that what the accepted inputs
/// added does not make every snapshot slower.
const ROUND: usize = 100;
/// The years a file may bring in (the load CSV's documented range).
const YEARS: std::ops::RangeInclusive<i32> = 1970..=2200;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

// ---------------------------------------------------------------- the PRNG

/// xorshift64*: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

fn fuzz_seed() -> u64 {
    std::env::var("LIFTOFF_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x11f7_0ff5_eed5_2026)
}

fn inputs_per_reader(default: usize) -> usize {
    std::env::var("LIFTOFF_FUZZ_INPUTS").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

// ---------------------------------------------------------------- mutations

/// Values that break readers: far-out numbers and dates, edge times, odd
/// text. A cell or a JSON value is replaced by one of them.
const INTERESTING: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1e308",
    "-1e308",
    "1e309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "4294967296",
    "2147483648",
    "99999999999",
    "999999999999",
    "9999999999999",
    "99999999999999999999",
    "253402300800",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "1969-12-31T23:59:59Z",
    "2201-01-01T00:00:00Z",
    "+99999-01-01 00:00",
    "-5000-01-01 00:00",
    "+262142-12-31 23:59:59",
    "+262143-12-31 23:59:59",
    "-262143-01-01 00:00",
    "-262144-01-01 00:00",
    "+262143-12-31",
    "9999-12-31",
    "0000-01-01",
    "2026-02-30",
    "2026-03-29 02:30",
    "2026-10-25 02:30",
    "2026-11-01 01:30",
    "2026-02-30 10:00",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "\\u0000",
    "\\ud800",
    "\\n",
    "é",
    "😀",
    "\u{feff}",
    "\u{202e}",
    "\u{0}",
    "İ",
    "yes",
    "no",
    "done",
    "blocked",
    "n/a",
    "not applicable",
    "omar@example.com",
    "nobody@example.com",
    "Europe/Berlin",
    "Mars/Olympus",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "02:30",
    "UTC",
    "25:00",
    "24:00",
    "23:59",
    "00:00",
    "https://ci.example.com/runs/1",
    "javascript:alert(1)",
    "https://user:pw@example.com/",
    "=SUM(A1)",
    "'=x",
    "'",
    "#ff00ff",
    "Prepare",
];

/// Characters that mean something to one reader or another.
const SYNTAX: &[char] = &['"', ',', ';', '\t', '\n', '\r', '#', '{', '}', '[', ']', ':', '\\', '0', '9', '-', '+', ' ', '.', '\''];

/// Multi-byte characters, a byte-order mark, a right-to-left override, a
/// combining accent, a character whose lower case is longer.
const WIDE: &[&str] = &["é", "😀", "\u{feff}", "\u{202e}", "\u{0}", "\u{a0}", "\u{202f}", "ß", "İ", "\u{1f1e9}\u{1f1ea}", "e\u{301}", "\u{2028}"];

fn boundary(s: &str, rng: &mut Rng) -> usize {
    let mut i = rng.below(s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The span around `at` up to the nearest delimiters on both sides.
fn span_at(s: &str, at: usize, delimiters: &[char]) -> (usize, usize) {
    let start = s[..at].rfind(delimiters).map(|i| i + s[i..].chars().next().map_or(1, char::len_utf8)).unwrap_or(0);
    let end = s[at..].find(delimiters).map(|i| at + i).unwrap_or(s.len());
    (start, end)
}

fn lines(s: &str) -> Vec<&str> {
    s.split_inclusive('\n').collect()
}

/// Byte ranges of the digit runs of at least `min` digits.
fn digit_runs(s: &str, min: usize) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - start >= min {
                out.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    out
}

fn mutate_once(s: &str, rng: &mut Rng, tokens: &[&str]) -> String {
    let mut s = s.to_owned();
    match rng.below(14) {
        0 => {
            // Flip a bit; what is not UTF-8 any more becomes U+FFFD, as the
            // readers take text.
            if !s.is_empty() {
                let mut bytes = s.into_bytes();
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
                s = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        1 => {
            let i = boundary(&s, rng);
            let len = s[i..].chars().next().map_or(0, char::len_utf8);
            s.replace_range(i..i + len, &rng.pick(SYNTAX).to_string());
        }
        2 => {
            let i = boundary(&s, rng);
            s.insert_str(i, rng.pick(WIDE));
        }
        3 | 4 => {
            let mut l = lines(&s);
            if !l.is_empty() {
                let i = rng.below(l.len());
                match rng.below(3) {
                    0 => {
                        l.remove(i);
                    }
                    1 => l.insert(i, l[i]),
                    _ => {
                        let j = rng.below(l.len());
                        l.swap(i, j);
                    }
                }
                s = l.concat();
            }
        }
        5 | 6 => {
            // A cell, a JSON value or a part of a time replaced.
            let delimiters: &[char] =
                if rng.below(2) == 0 { &['"', ',', ';', '\t', '\n', '\r'] } else { &['"', ',', ';', '\t', '\n', '\r', ':', '[', ']', '{', '}', ' ', 'T'] };
            let at = boundary(&s, rng);
            let (a, b) = span_at(&s, at, delimiters);
            s.replace_range(a..b, rng.pick(INTERESTING));
        }
        7 => {
            // A number: a year, a Unix time, a value, a version.
            let runs = digit_runs(&s, 1);
            if !runs.is_empty() {
                let (a, b) = rng.pick(&runs);
                let n = rng.pick(&[
                    "0", "-0", "00", "9999", "99999", "-5000", "9223372036854775807", "9223372036854775808", "1e308", "NaN", "-1", "4294967296",
                    "99999999999", "999999999999", "9999999999999", "99999999999999", "2201", "1969",
                ]);
                s.replace_range(a..b, n);
            }
        }
        8 => {
            // The year of a date.
            let years: Vec<(usize, usize)> = digit_runs(&s, 4).into_iter().filter(|&(a, b)| b - a == 4 && s[b..].starts_with('-')).collect();
            if !years.is_empty() {
                let (a, b) = rng.pick(&years);
                let y = rng.pick(&["0000", "9999", "+99999", "-5000", "+262142", "-262143", "+262143", "1969", "2200", "2201", "1970", "-0001"]);
                s.replace_range(a..b, y);
            }
        }
        9 => {
            let i = boundary(&s, rng);
            s.truncate(i);
        }
        10 => {
            // A very long line.
            let n = 1000 + rng.below(60_000);
            let unit = rng.pick(&["a", "9", "é", "😀", "\"", ",", " ", ";"]);
            let i = boundary(&s, rng);
            s.insert_str(i, &unit.repeat(n));
        }
        11 => {
            // A token anywhere, or at the start of a line (whole lines).
            if !tokens.is_empty() {
                let i = if rng.below(2) == 0 {
                    boundary(&s, rng)
                } else {
                    let starts: Vec<usize> = std::iter::once(0).chain(s.match_indices('\n').map(|(i, _)| i + 1)).collect();
                    rng.pick(&starts)
                };
                s.insert_str(i, rng.pick(tokens));
            }
        }
        12 => {
            // Delete or repeat a span.
            let (a, b) = {
                let x = boundary(&s, rng);
                let y = boundary(&s, rng);
                (x.min(y), x.max(y))
            };
            if rng.below(2) == 0 {
                s.replace_range(a..b, "");
            } else {
                let piece = s[a..b].to_owned();
                s.insert_str(b, &piece);
            }
        }
        _ => {
            // Line endings and a byte-order mark.
            match rng.below(3) {
                0 => s = s.replace('\n', "\r\n"),
                1 => s = s.replace('\n', "\r"),
                _ => s.insert(0, '\u{feff}'),
            }
        }
    }
    s
}

fn mutate(seed: &str, rng: &mut Rng, tokens: &[&str]) -> String {
    let mut s = seed.to_owned();
    for _ in 0..1 + rng.below(3) {
        s = mutate_once(&s, rng, tokens);
    }
    s
}

// ---------------------------------------------------------------- the database

/// Every row of every table, as text, sorted (tables stored WITHOUT ROWID
/// have no rowid to order by).
fn snapshot(store: &Store) -> Vec<String> {
    let conn = store.reader().unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\""))).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| (0..n).map(|i| r.get_ref(i).map(render)).collect::<Result<Vec<_>, _>>().map(|v| v.join(" | ")))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.push(format!("{table}: {} rows", rows.len()));
        out.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    out
}

fn render(v: rusqlite::types::ValueRef) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(n) => n.to_string(),
        // Debug keeps -0.0 apart from 0.0.
        ValueRef::Real(x) => format!("{x:?}"),
        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("blob {b:02x?}"),
    }
}

fn difference(before: &[String], after: &[String]) -> String {
    let (b, a): (BTreeSet<&String>, BTreeSet<&String>) = (before.iter().collect(), after.iter().collect());
    let gone = b.difference(&a).take(5).map(|r| format!("  - {}", shorten(r)));
    let new = a.difference(&b).take(5).map(|r| format!("  + {}", shorten(r)));
    gone.chain(new).collect::<Vec<_>>().join("\n")
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn mock_keychain() -> Keychain {
    let entries: Arc<Mutex<HashMap<String, Arc<keyring::Entry>>>> = Arc::default();
    Keychain::with_entries(move |account| {
        Ok(entries
            .lock()
            .unwrap()
            .entry(account.to_owned())
            .or_insert_with(|| Arc::new(keyring::Entry::new_with_credential(Box::new(MockCredential::default()))))
            .clone())
    })
}

/// A database with a project in Berlin and one in New York (west of UTC,
/// where local times near the end of time overflow), each with people.
struct World {
    _dir: tempfile::TempDir,
    store: Store,
    berlin: Project,
    new_york: Project,
    release: Release,
    lead: Actor,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_or_recover(dir.path(), t0()).unwrap().store;
        let project = |name: &str, zone: &str| {
            let draft = ProjectDraft { name: name.into(), description: "Field app".into(), repository: "/srv/atlas".into(), time_zone: zone.into() };
            projects::create(&store, &draft, t0()).unwrap()
        };
        let berlin = project("Atlas", "Europe/Berlin");
        let new_york = project("Borealis", "America/New_York");
        let person = |name: &str, email: &str, role: Role, zone: &str| PersonDraft {
            name: name.into(),
            email: email.into(),
            role,
            time_zone: zone.into(),
            work_start: "09:00".into(),
            work_end: "17:30".into(),
            work_days: [true, true, true, true, true, false, false],
        };
        for p in [&berlin, &new_york] {
            people::create(&store, &p.id, &person("Omar Developer", "omar@example.com", Role::Developer, "Europe/Berlin"), t0()).unwrap();
            people::create(&store, &p.id, &person("Dana Auditor", "dana@example.com", Role::Reviewer, "America/New_York"), t0()).unwrap();
        }
        let lead = Actor { person_id: None, name: "lead".into() };
        let draft = ReleaseDraft { version: "2.4.0".into(), name: "Tax engine switch".into(), scope: "Invoices".into(), target_date: Some("2026-12-03".into()) };
        let release = releases::create(&store, &berlin.id, &draft, &lead, t0()).unwrap();
        World { _dir: dir, store, berlin, new_york, release, lead }
    }
}

// ---------------------------------------------------------------- the loop

/// What a reader did with one input.
enum Outcome {
    Imported,
    /// Refused, with the message the user would see.
    Refused(String),
    /// Imported, but reading it back went wrong: what went wrong.
    Broken(String),
}

thread_local! {
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Keeps the panics of fuzzed inputs (with where they happened) for the
/// report instead of printing each of thousands.
fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{message} (at {at})"));
            } else {
                default(info);
            }
        }));
    });
}

/// Stops the test binary when one input runs for [`HANG`], after saving it:
/// a reader that loops forever would otherwise hang the test run.
struct Watchdog {
    current: Arc<Mutex<Option<(Instant, String)>>>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start(reader: &'static str) -> Watchdog {
        let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::default();
        let (stop, stopped) = mpsc::channel::<()>();
        let watched = current.clone();
        let thread = std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_millis(250)) {
                if let Some((start, input)) = &*watched.lock().unwrap() {
                    if start.elapsed() > HANG {
                        let path = save(reader, "hang", input);
                        eprintln!("{reader}: an input has run for {:?}; it is saved as {}", start.elapsed(), path.display());
                        std::process::abort();
                    }
                }
            }
        });
        Watchdog { current, stop: Some(stop), thread: Some(thread) }
    }

    fn arm(&self, input: &str) {
        *self.current.lock().unwrap() = Some((Instant::now(), input.to_owned()));
    }

    fn disarm(&self) {
        *self.current.lock().unwrap() = None;
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A message's words without what it quotes from the file or its numbers,
/// to count the kinds of refusals.
fn shape(message: &str) -> String {
    let mut quoted = 0;
    let mut out = String::new();
    for c in message.chars() {
        match c {
            '“' => {
                quoted += 1;
                if quoted == 1 {
                    out.push('…');
                }
            }
            '”' => quoted = (quoted - 1).max(0),
            c if quoted == 0 && !c.is_ascii_digit() => out.push(c),
            _ => {}
        }
    }
    out.chars().take(90).collect()
}

fn save(reader: &str, what: &str, input: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("liftoff-fuzz");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{reader}-{what}-{:016x}.txt", fnv(input)));
    let _ = std::fs::write(&path, input);
    path
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// A reader under test: its seeds, tokens worth inserting, and how to call
/// it on a world.
struct Reader<'a> {
    name: &'static str,
    seeds: &'a [String],
    tokens: &'a [&'a str],
    inputs: usize,
    call: &'a dyn Fn(&World, &str, usize) -> Outcome,
}

/// Runs `reader` on the empty input, its seeds and `reader.inputs` mutated
/// seeds; fails listing every distinct problem with a saved input for each.
fn fuzz(reader: Reader) {
    quiet_panics();
    let watchdog = Watchdog::start(reader.name);
    let mut rng = Rng::new(fuzz_seed() ^ fnv(reader.name));
    let mut problems: Vec<(String, usize, PathBuf)> = Vec::new();
    let mut problem = |kind: String, input: &str| {
        // One entry per kind of problem (a panic's message and place), with
        // the first input that showed it.
        let key: String = kind.lines().next().unwrap_or_default().to_owned();
        match problems.iter_mut().find(|(k, ..)| k.lines().next() == Some(key.as_str())) {
            Some((_, n, _)) => *n += 1,
            None => problems.push((kind, 1, save(reader.name, "input", input))),
        }
    };
    let (mut imported, mut refused, mut slowest) = (0usize, 0usize, Duration::ZERO);
    let mut refusals: HashMap<String, usize> = HashMap::new();
    let started = Instant::now();
    let mut world = World::new();
    let mut before = snapshot(&world.store);
    let total = reader.inputs + reader.seeds.len() + 1;
    for i in 0..total {
        if i > 0 && i % ROUND == 0 {
            world = World::new();
            before = snapshot(&world.store);
        }
        let input = match i {
            0 => String::new(),
            i if i <= reader.seeds.len() => reader.seeds[i - 1].clone(),
            _ => {
                let seed = &reader.seeds[rng.below(reader.seeds.len())];
                mutate(seed, &mut rng, reader.tokens)
            }
        };
        watchdog.arm(&input);
        FUZZING.with(|f| f.set(true));
        let start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| (reader.call)(&world, &input, i)));
        let took = start.elapsed();
        FUZZING.with(|f| f.set(false));
        watchdog.disarm();
        slowest = slowest.max(took);
        if took > SLOW {
            problem(format!("took more than {SLOW:?}\n  ({took:?})"), &input);
        }
        match result {
            Err(_) => {
                problem(format!("panicked: {}", LAST_PANIC.with(|p| p.borrow().clone())), &input);
                // It may have been after the import.
                before = snapshot(&world.store);
            }
            Ok(Outcome::Broken(what)) => {
                // It was imported all the same.
                problem(what, &input);
                imported += 1;
                before = snapshot(&world.store);
            }
            Ok(Outcome::Imported) => {
                imported += 1;
                before = snapshot(&world.store);
            }
            Ok(Outcome::Refused(message)) => {
                refused += 1;
                *refusals.entry(shape(&message)).or_default() += 1;
                if 0 < i && i <= reader.seeds.len() {
                    panic!("{}: seed {i} was refused: {message}", reader.name);
                }
                if message.trim().is_empty() {
                    problem("refused with an empty message".into(), &input);
                }
                let after = snapshot(&world.store);
                if after != before {
                    problem(format!("refused but wrote\n  (“{}”):\n{}", shorten(&message), difference(&before, &after)), &input);
                    before = after;
                }
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{}: {total} inputs ({imported} imported, {refused} refused) in {:.1} s, {:.2} ms an input, slowest {:.0} ms",
        reader.name,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / total as f64,
        slowest.as_secs_f64() * 1000.0
    );
    if std::env::var_os("LIFTOFF_FUZZ_VERBOSE").is_some() {
        let mut kinds: Vec<_> = refusals.into_iter().collect();
        kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
        for (shape, n) in kinds {
            println!("  {n:5} {shape}");
        }
    }
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .iter()
            .map(|(kind, n, path)| {
                let input = std::fs::read_to_string(path).unwrap_or_default();
                format!("- {kind}\n  ({n} input(s); the first, saved as {}, begins {:?})", path.display(), shorten(&input))
            })
            .collect();
        panic!("{}: {} kind(s) of problem:\n{}", reader.name, problems.len(), list.join("\n"));
    }
}

// ---------------------------------------------------------------- load CSV

const LOAD_SEEDS: &[&str] = &[
    // RFC 3339 (UTC and offsets), Unix seconds and milliseconds, local times
    // (one in the spring-forward gap, one in the autumn hour that happens twice).
    "timestamp,requests_per_minute\n\
     2026-11-02T09:00:00Z,1200.5\n\
     2026-11-02T09:01:00+00:00,1250\n\
     2026-11-02T10:02:00+01:00,1190\n\
     1793610180,900\n\
     1793610240000,950\n\
     2026-11-02 11:00,300\n\
     2026-11-02 11:01:30,310\n\
     2026-03-29 02:30,12\n\
     2026-10-25 02:30,14\n\
     2026-11-03T08:00,400\n",
    // A spreadsheet in a `;` locale: quoted header, decimal commas, a BOM.
    "\u{feff}\"Zeit\";\"Anfragen\"\n2026-11-02 10:00;1.234,5\n2026-11-02 10:01;17\n2026-11-09 10:00;\"2.000,25\"\n",
    // Tabs, comments, blank lines, no header.
    "# exported by Grafana\n2026-11-02T09:00:00Z\t5\n\n# gap\n2026-11-02T09:01:00Z\t6\n1793613600\t7\n",
    // Quoted thousands in a comma file, CRLF line ends.
    "\"timestamp\",\"value\"\r\n\"2026-11-02T09:00:00Z\",\"1,234\"\r\n\"2026-11-02T09:01:00Z\",\"2,000.5\"\r\n1793610300,0\r\n",
];

/// Four weeks, one sample an hour, in Unix seconds: a weekly pattern to read.
fn four_weeks_of_hours() -> String {
    let start = Utc.with_ymd_and_hms(2026, 10, 5, 0, 0, 0).unwrap().timestamp();
    let mut csv = String::from("time,load\n");
    for h in 0..28 * 24 {
        csv.push_str(&format!("{},{}\n", start + h * 3600, (h * 37) % 500));
    }
    csv
}


/// Imports a load CSV, then reads it back as the timeline and window
/// scoring do.
fn load_csv(world: &World, input: &str, i: usize) -> Outcome {
    let project = if i.is_multiple_of(2) { &world.berlin } else { &world.new_york };
    let summary = match profile::import_csv(&world.store, &project.id, input) {
        Ok(s) => s,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    // Read first, so that a panic in it shows whatever else is wrong.
    if let Err(e) = profile::weekly_pattern(&world.store, &project.id) {
        return Outcome::Broken(format!("imported, but the weekly pattern cannot be read\n  {e}"));
    }
    let time = |t: Option<&str>| t.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    let (Some(first), Some(last)) = (time(summary.first.as_deref()), time(summary.last.as_deref())) else {
        return Outcome::Broken(format!("imported, but the summary's first and last sample are not RFC 3339\n  {summary:?}"));
    };
    for t in [first, last] {
        if !YEARS.contains(&t.year()) {
            return Outcome::Broken(format!("imported a sample outside the years {YEARS:?}\n  at {t}"));
        }
    }
    let day = chrono::Duration::days(1);
    for (from, to, buckets) in [(first - day, first + day * 30, 400), (last - day * 30, last + day, 200), (first - day, first + day, 2000)] {
        match timeline::read(&world.store, &project.id, from, to, buckets) {
            Ok(data) => {
                let numbers = data.load.iter().flatten().flat_map(|b| [b.max, b.mean]).chain([data.load_peak]);
                if let Some(bad) = numbers.into_iter().find(|v| !v.is_finite() || *v < 0.0) {
                    return Outcome::Broken(format!("imported, but the timeline shows a load that is not a finite number\n  {bad}"));
                }
            }
            Err(e) => return Outcome::Broken(format!("imported, but the timeline cannot be read\n  from {from} to {to}: {e}")),
        }
    }
    Outcome::Imported
}

#[test]
fn load_csv_reader_survives_mutated_files() {
    let mut seeds: Vec<String> = LOAD_SEEDS.iter().map(|s| s.to_string()).collect();
    seeds.push(four_weeks_of_hours());
    fuzz(Reader {
        name: "load-csv",
        seeds: &seeds,
        tokens: &[
            "timestamp,value\n",
            // Two huge values in one hour: their sum is infinite.
            ",1e308\n2026-11-02T09:00:30Z,1e308\n",
            // The ends of chrono's range: placed in New York, the first overflowed.
            "+262142-12-31 23:59:59,1\n",
            "-262143-01-01 00:00,1\n",
            "9999-12-31T23:59:59Z,1\n",
            "99999999999,1\n",
            "#",
            "\"",
            ";",
            ",",
            "\t",
            "\n",
            "1e308",
            "NaN",
            ",1\n",
        ],
        inputs: inputs_per_reader(3000),
        call: &load_csv,
    });
}

// ---------------------------------------------------------------- project files

/// A project as "Export project" writes it: environments (a fourth one
/// added), a credential's name, people in two zones.
fn project_file() -> String {
    let world = World::new();
    let store = &world.store;
    let qa = EnvironmentDraft { name: "qa".into(), url: "https://qa.example.com".into(), health_url: "https://qa.example.com/health".into(), colour: "#123456".into(), protected: false };
    environments::create(store, &world.berlin.id, &qa, t0()).unwrap();
    let staging = environments::list(store, &world.berlin.id).unwrap()[1].id.clone();
    credentials::add(store, &mock_keychain(), &staging, "DEPLOY_TOKEN", CredentialKind::ApiToken, &SecretValue::new("fuzz-secret"), t0()).unwrap();
    sharing::export(store, &world.berlin.id, t0()).unwrap()
}

/// Imports a project file, then reads the project back and exports it.
fn project_import(world: &World, input: &str, _: usize) -> Outcome {
    let report = match sharing::import(&world.store, input, t0()) {
        Ok(r) => r,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let id = &report.project.id;
    if let Err(e) = people::list(&world.store, id) {
        return Outcome::Broken(format!("imported, but its people cannot be listed\n  {e}"));
    }
    // The timeline places its people's working hours in their zones.
    if let Err(e) = timeline::read(&world.store, id, t0() - chrono::Duration::days(1), t0() + chrono::Duration::days(14), 200) {
        return Outcome::Broken(format!("imported, but its timeline cannot be read\n  {e}"));
    }
    match sharing::export(&world.store, id, t0()) {
        // What was imported exports and imports again.
        Ok(json) => match sharing::import(&world.store, &json, t0()) {
            Ok(_) => Outcome::Imported,
            Err(e) => Outcome::Broken(format!("imported, but its own export is refused\n  {e}")),
        },
        Err(e) => Outcome::Broken(format!("imported, but cannot be exported\n  {e}")),
    }
}

#[test]
fn project_file_reader_survives_mutated_files() {
    let file = project_file();
    let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&file).unwrap()).unwrap();
    fuzz(Reader {
        name: "project-file",
        seeds: &[file, compact],
        tokens: &["null", "true", "[]", "{}", "\"\"", ",", "\"", "1e999", "-1", "18446744073709551616", "\"version\": 2,", "\"x\": 1,", "\\u0000", "\\ud83d"],
        inputs: inputs_per_reader(3000),
        call: &project_import,
    });
}

// ---------------------------------------------------------------- checklist files

/// A release's checklist with owners, a reviewer, due dates, every state,
/// evidence and notes, exported as JSON and CSV; a built-in template
/// exported the same ways.
fn checklist_files() -> Vec<String> {
    let world = World::new();
    let store = &world.store;
    let people = people::list(store, &world.berlin.id).unwrap();
    let id_of = |role: Role| people.iter().find(|p| p.role == role).unwrap().id.clone();
    let (omar, dana) = (id_of(Role::Developer), id_of(Role::Reviewer));
    let items = [
        ("Prepare", "Backups taken", "Nightly and an extra one", Some(&omar), None, Some("2026-12-01"), ItemState::Done, ""),
        ("Prepare", "=Formula-looking title", "", Some(&omar), Some(&dana), None, ItemState::Open, ""),
        ("Verify", "Smoke tests pass", "Café, naïve, 😀", None, Some(&dana), Some("2026-12-03"), ItemState::Blocked, "Waiting for \"staging\", again"),
        ("Verify", "Legacy report", "", Some(&dana), None, None, ItemState::NotApplicable, "Retired in 2.3"),
    ];
    for (section, title, detail, owner, reviewer, due, state, reason) in items {
        let draft = ItemDraft {
            section: section.into(),
            title: title.into(),
            detail: detail.into(),
            required: state != ItemState::NotApplicable,
            owner_id: owner.cloned(),
            reviewer_id: reviewer.cloned(),
            due_date: due.map(str::to_owned),
            evidence: if state == ItemState::Done { "https://ci.example.com/runs/812".into() } else { String::new() },
            notes: "Line one\nline two".into(),
        };
        let item = checklists::add_item(store, &world.release.id, &draft, &world.lead, t0()).unwrap();
        if state != ItemState::Open {
            checklists::set_item_state(store, &item.id, state, reason, &world.lead, t0()).unwrap();
        }
    }
    let template = templates::list(store).unwrap().into_iter().next().unwrap().id;
    let mut files = Vec::new();
    for format in [FileFormat::Json, FileFormat::Csv] {
        files.push(transfer::export_checklist(store, &world.release.id, format, t0(), today()).unwrap());
        files.push(transfer::export_template(store, &template, format, t0()).unwrap());
    }
    files
}

const CHECKLIST_TOKENS: &[&str] = &[
    "null", "true", "[]", "{}", "\"\"", ",", "\"", "'", "=", "\n", "\r\n", "section,title\n", "required,", "owner,", "due,", "state,", "2026-13-45", "9999-12-31",
    "\"kind\": \"checklist\",", "\"kind\": \"template\",", "\"version\": 2,", "\\u0000",
];

fn template_import(world: &World, input: &str, _: usize) -> Outcome {
    match transfer::import_template(&world.store, "fuzzed-template.csv", input, t0()) {
        Ok(t) => match transfer::export_template(&world.store, &t.id, FileFormat::Markdown, t0()) {
            Ok(_) => Outcome::Imported,
            Err(e) => Outcome::Broken(format!("imported, but cannot be exported\n  {e}")),
        },
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

fn checklist_import(world: &World, input: &str, _: usize) -> Outcome {
    match transfer::import_checklist(&world.store, &world.release.id, "fuzzed-checklist.csv", input, &world.lead, t0()) {
        Ok(_) => {
            for format in [FileFormat::Json, FileFormat::Csv, FileFormat::Markdown] {
                if let Err(e) = transfer::export_checklist(&world.store, &world.release.id, format, t0(), today()) {
                    return Outcome::Broken(format!("imported, but the checklist cannot be exported as {format:?}\n  {e}"));
                }
            }
            Outcome::Imported
        }
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

#[test]
fn checklist_file_readers_survive_mutated_files() {
    let files = checklist_files();
    fuzz(Reader { name: "checklist-template", seeds: &files, tokens: CHECKLIST_TOKENS, inputs: inputs_per_reader(2000), call: &template_import });
    fuzz(Reader { name: "checklist", seeds: &files, tokens: CHECKLIST_TOKENS, inputs: inputs_per_reader(2000), call: &checklist_import });
}


// ---------------------------------------------------------------- the harness itself

/// The loop reports a panic, a slow input and a write before a refusal: a
/// reader that does each of them is caught.
#[test]
fn the_harness_catches_panics_slow_inputs_and_writes_before_a_refusal() {
    fn misbehaving(world: &World, _: &str, i: usize) -> Outcome {
        match i {
            0 | 1 => Outcome::Imported,
            2 => {
                std::thread::sleep(SLOW + Duration::from_millis(100));
                Outcome::Imported
            }
            3 => panic!("a reader bug"),
            _ => {
                let draft = ProjectDraft { name: format!("Half {i}"), time_zone: "UTC".into(), ..Default::default() };
                projects::create(&world.store, &draft, t0()).unwrap();
                Outcome::Refused("Line 1: not read.".into())
            }
        }
    }
    let seeds = ["x".to_owned()];
    let report = catch_unwind(|| fuzz(Reader { name: "harness", seeds: &seeds, tokens: &[], inputs: 3, call: &misbehaving }))
        .expect_err("the harness reports the problems");
    let report = report.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(report.contains("3 kind(s) of problem"), "{report}");
    assert!(report.contains("- took more than 1s"), "{report}");
    assert!(report.contains("- panicked: a reader bug (at "), "{report}");
    assert!(report.contains("- refused but wrote\n  (“Line 1: not read.”):\n"), "{report}");
    assert!(report.contains("\n  - projects: 2 rows\n"), "{report}");
}
