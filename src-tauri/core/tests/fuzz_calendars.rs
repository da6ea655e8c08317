//! Mutated calendar files through the real import into a real database and
//! back out as the timeline reads them: no input may panic or hang, and a
//! refused file writes nothing. A bounded, seeded mutation loop (stable Rust,
//! no fuzzing engine); `LIFTOFF_FUZZ_INPUTS` changes how many inputs.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use liftoff_core::planning::busy;
use liftoff_core::Store;

#[path = "support/person.rs"]
mod support_person;
use support_person::{person_in, World};

const SEEDS: &[&str] = &[
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:(UTC+01:00) Amsterdam\\, Berlin\r\nBEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Weekly\r\nDTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin\":20270104T100000\r\nDTEND;TZID=\"(UTC+01:00) Amsterdam, Berlin\":20270104T110000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20271231T230000Z\r\nEXDATE;TZID=\"(UTC+01:00) Amsterdam, Berlin\":20270106T100000\r\nRDATE;VALUE=PERIOD:20270109T080000Z/PT3H\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20270201T090000Z\r\nDTSTART:20270201T130000Z\r\nDURATION:PT2H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nBEGIN:VEVENT\nUID:s@x\nDTSTART;TZID=America/New_York:20261102T093000\nDTEND;TZID=America/New_York:20261102T094500\nRRULE:FREQ=DAILY;COUNT=30;BYDAY=MO,TU,WE,TH,FR\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1\nEND:VEVENT\nBEGIN:VEVENT\nUID:s@x\nRECURRENCE-ID;TZID=America/New_York:20261104T093000\nDTSTART;TZID=America/New_York:20261104T140000\nDTEND;TZID=America/New_York:20261104T141500\nEND:VEVENT\nBEGIN:VEVENT\nUID:l\nDTSTART;VALUE=DATE:20261130\nDTEND;VALUE=DATE:20261202\nEND:VEVENT\nEND:VCALENDAR\n",
];

const TOKENS: &[&str] = &[
    "é", "😀", "\u{feff}", "\\", ";", ":", ",", "\"", "\r\n ", "\n", "=", "/", "Z", "T", "-", "+", "99999999T999999", "00000000", "18000101T000000Z",
    "22001231T235959Z", "FREQ=HOURLY;COUNT=1000000;BYMONTH=2;BYMONTHDAY=30", "FREQ=SECONDLY", "BYDAY=MO\u{e9}", "RANGE=THISANDFUTURE", "P9999999W",
    "PT-1H", "VALUE=PERIOD", "BEGIN:VEVENT", "END:VEVENT", "TZID=", "+2400", "-9999", "RDATE:", "EXDATE:",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A char boundary in `s` near a random position.
fn at(s: &str, rng: &mut Rng) -> usize {
    let mut i = rng.below(s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(seed: &str, rng: &mut Rng) -> String {
    let mut s = seed.to_owned();
    for _ in 0..1 + rng.below(4) {
        let lines: Vec<&str> = s.split_inclusive('\n').collect();
        if lines.is_empty() {
            return s;
        }
        s = match rng.below(7) {
            0 => {
                let i = at(&s, rng);
                format!("{}{}{}", &s[..i], TOKENS[rng.below(TOKENS.len())], &s[i..])
            }
            1 => {
                let (i, j) = (at(&s, rng), at(&s, rng));
                let (i, j) = (i.min(j), i.max(j).min(i.min(j) + 20));
                let j = (j..=s.len()).find(|k| s.is_char_boundary(*k)).unwrap_or(s.len());
                format!("{}{}", &s[..i], &s[j..])
            }
            2 => {
                let k = rng.below(lines.len());
                lines.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, l)| *l).collect()
            }
            3 => {
                let k = rng.below(lines.len());
                let mut out: Vec<&str> = lines.clone();
                out.insert(k, lines[rng.below(lines.len())]);
                out.concat()
            }
            4 => s.chars().map(|c| if c.is_ascii_digit() && rng.below(6) == 0 { char::from(b'0' + rng.below(10) as u8) } else { c }).collect(),
            5 => s[..at(&s, rng)].to_owned(),
            _ => {
                let i = at(&s, rng);
                format!("{}{}{}", &s[..i], "9".repeat(1 + rng.below(30)), &s[i..])
            }
        };
    }
    s
}

fn snapshot(store: &Store) -> Vec<String> {
    let conn = store.reader().unwrap();
    let mut stmt = conn.prepare("SELECT id, source, summary, start_local, minutes, time_zone, coalesce(rule, ''), exdates, coalesce(extra, '') FROM busy_times ORDER BY id").unwrap();
    stmt.query_map([], |r| Ok((0..9).map(|i| r.get::<_, String>(i).unwrap_or_else(|_| r.get::<_, i64>(i).map(|n| n.to_string()).unwrap_or_default())).collect::<Vec<_>>().join("|")))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn mutated_calendars_never_panic_hang_or_write_after_an_error() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let World { store, project_id, person_id, .. } = &person_in("Europe/Berlin", t0);
    let inputs: usize = std::env::var("LIFTOFF_FUZZ_INPUTS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let (mut imported, mut refused, mut slowest) = (0, 0, Duration::ZERO);
    let started = Instant::now();
    for i in 0..inputs {
        let input = mutate(SEEDS[i % SEEDS.len()], &mut rng);
        let before = snapshot(store);
        let began = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let r = busy::import_ics(store, person_id, "fuzz.ics", &input, t0);
            if r.is_ok() {
                // The timeline reads what was stored, a year either side.
                busy::between(store, project_id, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap()).map(|_| ())?;
            }
            r.map(|_| ())
        }));
        let took = began.elapsed();
        slowest = slowest.max(took);
        let path = std::env::temp_dir().join(format!("liftoff-fuzz-calendar-{i}.ics"));
        match outcome {
            Err(_) => {
                std::fs::write(&path, &input).unwrap();
                panic!("input {i} panicked; saved as {}", path.display());
            }
            Ok(Ok(())) => imported += 1,
            Ok(Err(e)) => {
                refused += 1;
                let message = e.to_string();
                assert!(message.contains("Line ") || message.contains("longer than"), "input {i}: a refusal names its line: {message}");
                if snapshot(store) != before {
                    std::fs::write(&path, &input).unwrap();
                    panic!("input {i} was refused ({message}) but changed the database; saved as {}", path.display());
                }
            }
        }
        assert!(took < Duration::from_secs(15), "input {i} took {took:?}");
    }
    println!("{inputs} mutated calendars in {:.1?}: {imported} imported, {refused} refused, slowest {slowest:.1?}", started.elapsed());
}

#[test]
fn rules_that_never_occur_cannot_make_an_import_slow() {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let World { store, project_id, person_id, .. } = &person_in("Europe/Berlin", t0);
    // 200 events whose hourly rule asks for 30 February.
    let events: String = (0..200)
        .map(|i| format!("BEGIN:VEVENT\nUID:{i}\nDTSTART:20270101T{:02}0000Z\nDURATION:PT1H\nRRULE:FREQ=HOURLY;COUNT=1000000;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\n", i % 24))
        .collect();
    let began = Instant::now();
    let report = busy::import_ics(store, person_id, "never.ics", &format!("BEGIN:VCALENDAR\n{events}END:VCALENDAR\n"), t0).unwrap();
    let took = began.elapsed();
    println!("200 never-occurring rules: {} imported, {} skipped, in {took:.1?}", report.events, report.skipped.len());
    assert!(took < Duration::from_secs(busy::BUDGET_SECONDS + 10), "{took:?}");
    // What did not fit in the budget is skipped, with the reason, not lost silently.
    if report.events < 200 {
        let last = report.skipped.last().expect("a reason for the events left out");
        assert!(last.reason.contains("took longer than Liftoff allows") && last.reason.contains("later events were skipped"), "{last:?}");
    }
    // Reading them back is bounded as well.
    let began = Instant::now();
    busy::between(store, project_id, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap()).ok();
    assert!(began.elapsed() < Duration::from_secs(busy::BUDGET_SECONDS + 10));
}
