// Pure helpers of the timeline: time zones, ticks, snapping and packing.
// The drawing itself is in Timeline.svelte; these are tested alone.

/** What the timeline shows: its left edge and its zoom. */
export type View = { start: number; msPerPx: number };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const SNAP = 15 * MINUTE;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at instant `t`, in milliseconds. */
export function zoneOffset(t: number, tz: string): number {
  let f = offsetFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    offsetFormats.set(tz, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant of wall-clock time `local` (ms as if UTC) in `tz`. */
export function zonedToUtc(local: number, tz: string): number {
  let t = local - zoneOffset(local, tz);
  // Twice: the offset at the guess may differ from the offset at the answer.
  t = local - zoneOffset(t, tz);
  return t;
}

/** Reads "YYYY-MM-DD HH:MM" (or with a T) as wall-clock time in `tz`. */
export function parseLocal(text: string, tz: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const local = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  return Number.isNaN(local) ? null : zonedToUtc(local, tz);
}

/** "YYYY-MM-DD HH:MM" of instant `t` in `tz`. */
export function formatLocal(t: number, tz: string): string {
  const d = new Date(t + zoneOffset(t, tz));
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

export function snap(t: number, step = SNAP): number {
  return Math.round(t / step) * step;
}

const STEPS = [15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 7 * DAY, 30 * DAY];

/** A tick step that leaves at least `minPx` between ticks. */
export function tickStep(msPerPx: number, minPx = 56): number {
  return STEPS.find((s) => s / msPerPx >= minPx) ?? 90 * DAY;
}

/**
 * Tick instants in `[from, to)` at `step`, aligned to wall-clock boundaries
 * in `tz` (midnights, whole hours); month steps fall on the 1st.
 */
export function ticks(from: number, to: number, step: number, tz: string): number[] {
  const out: number[] = [];
  if (step >= 30 * DAY) {
    const d = new Date(from + zoneOffset(from, tz));
    let y = d.getUTCFullYear();
    let m = d.getUTCMonth();
    for (let i = 0; i < 400; i++) {
      const t = zonedToUtc(Date.UTC(y, m, 1), tz);
      if (t >= to) break;
      if (t >= from) out.push(t);
      m += step >= 90 * DAY ? 3 : 1;
      if (m > 11) {
        y += Math.floor(m / 12);
        m %= 12;
      }
    }
    return out;
  }
  const unit = step >= DAY ? DAY : step;
  let local = Math.floor((from + zoneOffset(from, tz)) / unit) * unit;
  if (step === 7 * DAY) {
    // Weeks start on Monday (1 January 1970 was a Thursday).
    const dow = (Math.floor(local / DAY) + 3) % 7;
    local -= dow * DAY;
  }
  for (let i = 0; i < 2000; i++, local += step) {
    const t = zonedToUtc(local, tz);
    if (t >= to) break;
    if (t >= from) out.push(t);
  }
  return out;
}

export type Span = { id: string; start: number; end: number };

/**
 * Rows for spans so that none overlaps another in its row; spans beyond
 * `maxRows` share the last row. Returns the row of each span by id.
 */
export function pack(spans: Span[], maxRows: number): Map<string, number> {
  const sorted = [...spans].sort((a, b) => a.start - b.start || a.end - b.end);
  const rowEnds: number[] = [];
  const rows = new Map<string, number>();
  for (const s of sorted) {
    let row = rowEnds.findIndex((end) => end <= s.start);
    if (row === -1) {
      row = rowEnds.length < maxRows ? rowEnds.length : maxRows - 1;
    }
    rowEnds[row] = Math.max(rowEnds[row] ?? 0, s.end);
    rows.set(s.id, row);
  }
  return rows;
}

/** The first index of a sorted array of spans whose end is after `t`. */
export function firstEndingAfter<T extends { end: number }>(sortedByEnd: T[], t: number): number {
  let lo = 0;
  let hi = sortedByEnd.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedByEnd[mid].end <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

