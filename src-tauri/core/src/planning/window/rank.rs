//! [`super::suggest`] in one sweep over the candidate starts, for a quarter
//! at 5-minute steps with a department's calendars.
//!
//! Ranking needs, for every start, only whether it is ruled out (a freeze or
//! another release), its kinds of conflict and its score; the words are
//! needed only for the few windows offered. The starts lie on a grid
//! (`from + i * step`), so each busy span, freeze or release rules a run of
//! grid indices, and each working day of a person (in their zone) makes one
//! run inside working hours and one with too little time left to roll back.
//! Those runs are added into difference arrays, once per event or day, and
//! one pass over the grid reads the counts. The windows offered are judged
//! afresh by [`conflicts`] and rated by [`rate`], as before, so their scores
//! and reasons are the ones a full judgement gives.
//!
//! All times are nanoseconds since the epoch in `i128`, so that the
//! arithmetic is exact as chrono's is.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::{conflicts, localize, overlaps, rate, Occurrence, Picture, Suggestion};
use crate::planning::load::WeeklyPattern;

const NANOS: i128 = 1_000_000_000;
const DAY: i64 = 86_400;
const WEEK: i128 = 7 * DAY as i128 * NANOS;
/// Load is sampled every 15 minutes of a window.
const SAMPLE: i128 = 15 * 60 * NANOS;
/// 0001-01-01 to 1970-01-01, for [`NaiveDate::from_num_days_from_ce_opt`].
const EPOCH_FROM_CE: i64 = 719_163;

pub(super) fn suggest(p: &Picture, length: Duration, from: DateTime<Utc>, to: DateTime<Utc>, step: Duration, count: usize, shown_in: Tz) -> Vec<Suggestion> {
    let grid = Grid::new(from, to, step);
    if grid.n == 0 || count == 0 {
        return Vec::new();
    }
    let len = nanos(length);
    let n = grid.n;

    // Ruled out: any freeze or other release overlapping the window.
    let mut hard = Runs::new(n);
    for o in p.freezes.iter().flat_map(|f| &f.occurrences).chain(p.releases.iter().map(|r| &r.window)) {
        let (lo, hi) = grid.overlapping(o, len);
        hard.add(lo, hi, 1);
    }

    // People busy: each person once, however many of their spans overlap.
    let mut busy = Runs::new(n);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for person in &p.people {
        spans.clear();
        spans.extend(person.busy.iter().map(|(o, _)| grid.overlapping(o, len)).filter(|(lo, hi)| lo < hi));
        spans.sort_unstable();
        let mut merged: Option<(usize, usize)> = None;
        for &(lo, hi) in &spans {
            match &mut merged {
                Some((_, end)) if lo <= *end => *end = (*end).max(hi),
                _ => {
                    if let Some((a, b)) = merged.replace((lo, hi)) {
                        busy.add(a, b, 1);
                    }
                }
            }
        }
        if let Some((a, b)) = merged {
            busy.add(a, b, 1);
        }
    }

    // Working hours: people with the same zone, hours and days fare alike.
    let mut outside = Runs::new(n);
    let mut no_rollback = Runs::new(n);
    let rollback = nanos(p.rollback);
    let mut groups: Vec<(Tz, NaiveTime, NaiveTime, [bool; 7], i32)> = Vec::new();
    for x in &p.people {
        match groups.iter_mut().find(|g| (g.0, g.1, g.2, g.3) == (x.tz, x.work_start, x.work_end, x.work_days)) {
            Some(g) => g.4 += 1,
            None => groups.push((x.tz, x.work_start, x.work_end, x.work_days, 1)),
        }
    }
    for (tz, work_start, work_end, work_days, people) in groups {
        let zone = Offsets::new(tz, grid.at(0), grid.at(n - 1));
        grid.for_each_day(&zone, |day, lo, hi| {
            let Some(date) = date_of(day) else {
                outside.add(lo, hi, people);
                return;
            };
            if !work_days[date.weekday().num_days_from_monday() as usize] {
                outside.add(lo, hi, people);
                return;
            }
            let opens = instant(localize(tz, date.and_time(work_start)));
            let closes = instant(localize(tz, date.and_time(work_end)));
            // Inside: start >= opens and start + len <= closes.
            let (ok_lo, ok_hi) = (grid.at_or_after(opens).max(lo), grid.after(closes - len).min(hi));
            if ok_lo >= ok_hi {
                outside.add(lo, hi, people);
                return;
            }
            outside.add(lo, ok_lo, people);
            outside.add(ok_hi, hi, people);
            // Too little left: closes - (start + len) < rollback.
            no_rollback.add(grid.after(closes - len - rollback).max(ok_lo), ok_hi, people);
        });
    }

    // The day each start falls on where the times are shown.
    let mut day_of = vec![0i64; n];
    grid.for_each_day(&Offsets::new(shown_in, grid.at(0), grid.at(n - 1)), |day, lo, hi| day_of[lo..hi].fill(day));

    let mut load = Load::new(p, &grid, len);

    // The slots as the full judgement walks them: consecutive starts on one
    // day with the same kinds of conflict, each offering its best start.
    type Key = (i64, bool, i32, i32, i32);
    let mut slots: Vec<(usize, f64)> = Vec::new();
    let mut open: Option<(Key, usize, f64)> = None;
    let (mut h, mut b, mut o, mut r) = (0, 0, 0, 0);
    for (i, &day) in day_of.iter().enumerate() {
        h += hard.d[i];
        b += busy.d[i];
        o += outside.d[i];
        r += no_rollback.d[i];
        if h > 0 {
            slots.extend(open.take().map(|(_, i, score)| (i, score)));
            continue;
        }
        let share = load.as_mut().and_then(|l| l.share(&grid, i));
        let peak = share.is_some_and(|s| s >= p.peak_share);
        // Whole numbers of points, exact in f64 in any order, as `rate`
        // takes them off one conflict at a time.
        let penalty = 30 * i64::from(peak) + 60 * i64::from(b) + 80 * i64::from(o) + 40 * i64::from(r);
        let mut score = 100.0 - penalty as f64;
        if let Some(share) = share {
            score -= share * 50.0;
        }
        let key = (day, peak, b, o, r);
        match &mut open {
            Some((k, best, best_score)) if *k == key => {
                if score > *best_score {
                    (*best, *best_score) = (i, score);
                }
            }
            _ => slots.extend(open.replace((key, i, score)).map(|(_, i, score)| (i, score))),
        }
    }
    slots.extend(open.map(|(_, i, score)| (i, score)));
    // Best score first; earlier first among equals.
    slots.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<Suggestion> = Vec::new();
    for (i, score) in slots {
        if chosen.len() == count {
            break;
        }
        let start = from + step * i32::try_from(i).expect("fewer starts than an i32 counts");
        let end = start + length;
        if chosen.iter().any(|s| overlaps(&s.window, &Occurrence { start, end })) {
            continue;
        }
        let offered = rate(p, start, end, conflicts(p, start, end, shown_in));
        debug_assert_eq!(offered.score, score, "the sweep scores {start} as the full judgement does");
        chosen.push(offered);
    }
    chosen
}

fn nanos(d: Duration) -> i128 {
    i128::from(d.num_seconds()) * NANOS + i128::from(d.subsec_nanos())
}

fn instant(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * NANOS + i128::from(t.timestamp_subsec_nanos())
}

fn date_of(day: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + EPOCH_FROM_CE).ok()?)
}

/// The candidate starts `from + i * step` before `to`.
struct Grid {
    from: i128,
    step: i128,
    n: usize,
}

impl Grid {
    fn new(from: DateTime<Utc>, to: DateTime<Utc>, step: Duration) -> Grid {
        let (from, step) = (instant(from), nanos(step));
        let span = instant(to) - from;
        // A step that does not move would never end; there are no starts.
        let n = if step <= 0 || span <= 0 { 0 } else { usize::try_from((span + step - 1) / step).unwrap_or(usize::MAX) };
        Grid { from, step, n }
    }

    fn at(&self, i: usize) -> i128 {
        self.from + i as i128 * self.step
    }

    fn clamp(&self, i: i128) -> usize {
        i.clamp(0, self.n as i128) as usize
    }

    /// The first index starting at or after `t`.
    fn at_or_after(&self, t: i128) -> usize {
        self.clamp(-(self.from - t).div_euclid(self.step))
    }

    /// The first index starting after `t`.
    fn after(&self, t: i128) -> usize {
        self.clamp((t - self.from).div_euclid(self.step) + 1)
    }

    /// The indices whose window of `len` overlaps `o`: `o.start < start +
    /// len` and `start < o.end`.
    fn overlapping(&self, o: &Occurrence, len: i128) -> (usize, usize) {
        (self.after(instant(o.start) - len), self.at_or_after(instant(o.end)))
    }

    /// Calls `f(day, lo, hi)` for each run of indices `lo..hi` whose starts
    /// fall on one local day (days since 1970-01-01) in `zone`, in order.
    fn for_each_day(&self, zone: &Offsets, mut f: impl FnMut(i64, usize, usize)) {
        for (k, &(since, offset)) in zone.spans.iter().enumerate() {
            let lo = self.at_or_after(i128::from(since) * NANOS);
            let hi = zone.spans.get(k + 1).map_or(self.n, |s| self.at_or_after(i128::from(s.0) * NANOS));
            if lo >= hi {
                continue;
            }
            let day = |i: usize| (seconds(self.at(i)) + i64::from(offset)).div_euclid(DAY);
            for d in day(lo)..=day(hi - 1) {
                let midnight = |d: i64| i128::from(d * DAY - i64::from(offset)) * NANOS;
                let (a, b) = (self.at_or_after(midnight(d)).max(lo), self.at_or_after(midnight(d + 1)).min(hi));
                if a < b {
                    f(d, a, b);
                }
            }
        }
    }
}

fn seconds(t: i128) -> i64 {
    t.div_euclid(NANOS) as i64
}

/// Counts added over runs of indices, read by a running sum.
struct Runs {
    d: Vec<i32>,
}

impl Runs {
    fn new(n: usize) -> Runs {
        Runs { d: vec![0; n + 1] }
    }

    fn add(&mut self, lo: usize, hi: usize, v: i32) {
        if lo < hi {
            self.d[lo] += v;
            self.d[hi] -= v;
        }
    }
}

/// A zone's offsets from UTC over a stretch of time: `(since, seconds)`
/// pairs, the first from the beginning of time. Changes are found by
/// asking the zone every hour and narrowing to the second where it changed
/// (zones change months apart, never twice in an hour).
struct Offsets {
    spans: Vec<(i64, i32)>,
}

impl Offsets {
    fn new(tz: Tz, from: i128, to: i128) -> Offsets {
        let at = |t: i64| DateTime::from_timestamp(t, 0).map_or(0, |t| tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc());
        let (from, to) = (seconds(from), seconds(to) + 1);
        let mut spans = vec![(i64::MIN, at(from))];
        let mut t = from;
        while t < to {
            let next = (t + 3600).min(to);
            let current = spans.last().map_or(0, |s| s.1);
            if at(next) != current {
                let (mut same, mut changed) = (t, next);
                while changed - same > 1 {
                    let mid = same + (changed - same) / 2;
                    if at(mid) == current {
                        same = mid;
                    } else {
                        changed = mid;
                    }
                }
                spans.push((changed, at(changed)));
            }
            t = next;
        }
        Offsets { spans }
    }

    fn span_of(&self, secs: i64) -> usize {
        self.spans.partition_point(|s| s.0 <= secs) - 1
    }
}

/// The mean load of each window as a share of the weekly peak, summed in
/// the order the full judgement sums it (so the same to the last bit).
struct Load<'a> {
    pattern: &'a WeeklyPattern,
    zone: Offsets,
    peak: f64,
    samples: i128,
    /// Windows that see the same local times see the same load; with many
    /// samples a window, sums are kept by local start in the week.
    seen: Option<HashMap<i128, f64>>,
}

impl<'a> Load<'a> {
    fn new(p: &'a Picture, grid: &Grid, len: i128) -> Option<Load<'a>> {
        let (pattern, tz) = p.load.as_ref()?;
        let peak = pattern.peak();
        let samples = if len <= 0 { 0 } else { (len + SAMPLE - 1) / SAMPLE };
        if peak <= 0.0 || samples == 0 {
            return None;
        }
        let last = grid.at(grid.n - 1) + (samples - 1) * SAMPLE;
        Some(Load { pattern, zone: Offsets::new(*tz, grid.at(0), last), peak, samples, seen: (samples > 8).then(HashMap::new) })
    }

    fn share(&mut self, grid: &Grid, i: usize) -> Option<f64> {
        let start = grid.at(i);
        let last = start + (self.samples - 1) * SAMPLE;
        let k = self.zone.span_of(seconds(start));
        let offset = self.zone.spans[k].1;
        let one_offset = self.zone.spans.get(k + 1).is_none_or(|s| seconds(last) < s.0);
        let key = (start + i128::from(offset) * NANOS).rem_euclid(WEEK);
        if let (true, Some(sum)) = (one_offset, self.seen.as_ref().and_then(|s| s.get(&key))) {
            return Some(sum / self.samples as f64 / self.peak);
        }
        let mut sum = 0.0;
        for j in 0..self.samples {
            let secs = seconds(start + j * SAMPLE);
            let local = secs + i64::from(self.zone.spans[self.zone.span_of(secs)].1);
            let weekday = (local.div_euclid(DAY) + 3).rem_euclid(7) as usize;
            sum += self.pattern.hours[weekday][(local.rem_euclid(DAY) / 3600) as usize];
        }
        if let (true, Some(seen)) = (one_offset, self.seen.as_mut()) {
            seen.insert(key, sum);
        }
        Some(sum / self.samples as f64 / self.peak)
    }
}
