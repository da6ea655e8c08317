// Pure helpers of the timeline: time zones, ticks and their labels,
// snapping, packing, and placing labels so that none overprints another.
// The drawing itself is in timeline/ (a painter per lane); these are tested alone.

import type { ReleaseState, RunState } from "./bindings";

/** What the timeline shows: its left edge and its zoom. */
export type View = { start: number; msPerPx: number };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const SNAP = 15 * MINUTE;

/** Release bars by state; the legend and the canvas share these. */
export const RELEASE_COLOURS: Record<ReleaseState, string> = {
  draft: "#8a90a8",
  planned: "#4b4fd1",
  ready: "#2f9e6e",
  deploying: "#d08a12",
  verified: "#2f9e6e",
  released: "#2f7a5a",
  rolledBack: "#c62f3b",
  cancelled: "#b7bccc",
};

/** The other colours of the drawing, named for what they show. */
export const LANE_COLOURS = {
  freeze: "rgba(75, 79, 209, 0.55)",
  freezeWash: "rgba(75, 79, 209, 0.10)",
  maintenance: "rgba(120, 120, 140, 0.5)",
  maintenanceWash: "rgba(120, 120, 140, 0.10)",
  work: "rgba(47, 158, 110, 0.18)",
  busy: "rgba(198, 47, 59, 0.55)",
  /** Several releases (or runs) drawn as one block with their count. */
  group: "#5e6580",
};

/** The load band's colour at `share` of the peak (0 to 1). */
export function loadColour(share: number): string {
  return `rgba(208, 138, 18, ${(0.1 + 0.85 * Math.min(1, Math.max(0, share))).toFixed(3)})`;
}

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

// No 12-hour step: "00:00" and "12:00" say less than a day with its weekday.
const STEPS = [15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, DAY, 7 * DAY, 30 * DAY];

/**
 * A tick step that leaves room for its labels: hours ("14:00") need less
 * room than days ("Fri 11"). `minPx` overrides both.
 */
export function tickStep(msPerPx: number, minPx?: number): number {
  // A day's short label ("Wed 16") is about 44 px, with the room beside it 54.
  return STEPS.find((s) => s / msPerPx >= (minPx ?? (s >= DAY ? 54 : 44))) ?? 90 * DAY;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Instant `t` as wall-clock parts in `tz`. */
function wall(t: number, tz: string) {
  const d = new Date(t + zoneOffset(t, tz));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    hh: String(d.getUTCHours()).padStart(2, "0"),
    mm: String(d.getUTCMinutes()).padStart(2, "0"),
  };
}

/** "Fri 11 Dec" of instant `t` in `tz`: the axis's day labels (no year: the row above says it). */
export function formatDay(t: number, tz: string): string {
  const w = wall(t, tz);
  return `${WEEKDAYS[w.weekday]} ${w.day} ${MONTHS[w.month]}`;
}

export type AxisLabel = { t: number; label: string };
export type Axis = {
  step: number;
  /** Each tick: an hour, a day, a week or a month. */
  ticks: AxisLabel[];
  /**
   * The larger unit above the ticks (the day at hour steps, the month at
   * day steps, the year at month steps), its first entry the one already
   * under way at `from`, so the top row always says where the view is.
   */
  context: AxisLabel[];
};

/**
 * The labels of the time axis over `[from, to)` in `tz`: at hour steps
 * hours ("14:00") under their days ("Fri 11 Dec"); at day and week steps
 * weekday and date ("Fri 11 Dec", or "Fri 11" where there is little room)
 * under their months ("December 2026"); at month steps months under years.
 */
export function axis(from: number, to: number, msPerPx: number, tz: string): Axis {
  const step = tickStep(msPerPx);
  const instants = ticks(from, to, step, tz);
  if (step < DAY) {
    const first = wall(from, tz);
    const dayStart = zonedToUtc(Date.UTC(first.year, first.month, first.day), tz);
    const context = [dayStart, ...ticks(from, to, DAY, tz).filter((t) => t > dayStart)].map((t) => ({ t, label: formatDay(t, tz) }));
    return { step, ticks: instants.map((t) => { const w = wall(t, tz); return { t, label: `${w.hh}:${w.mm}` }; }), context };
  }
  if (step < 30 * DAY) {
    // "Sun 13 Dec" is about 76 px; with the room between labels, 86.
    const roomy = step / msPerPx >= 86;
    const label = (t: number) => (roomy ? formatDay(t, tz) : formatDay(t, tz).replace(/ \w+$/, ""));
    const first = wall(from, tz);
    const monthStart = zonedToUtc(Date.UTC(first.year, first.month, 1), tz);
    const context = [monthStart, ...ticks(from, to, 30 * DAY, tz).filter((t) => t > monthStart)].map((t) => {
      const w = wall(t, tz);
      return { t, label: `${MONTH_NAMES[w.month]} ${w.year}` };
    });
    return { step, ticks: instants.map((t) => ({ t, label: label(t) })), context };
  }
  const first = wall(from, tz);
  const yearStart = zonedToUtc(Date.UTC(first.year, 0, 1), tz);
  const years: number[] = [yearStart];
  for (let y = first.year + 1; ; y++) {
    const t = zonedToUtc(Date.UTC(y, 0, 1), tz);
    if (t >= to) break;
    years.push(t);
  }
  return {
    step,
    ticks: instants.map((t) => ({ t, label: MONTHS[wall(t, tz).month] })),
    context: years.map((t) => ({ t, label: String(wall(t, tz).year) })),
  };
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


/** Where a label goes in a row of labels, and how wide it may be. */
export type LabelSpot = { x: number; max: number; inside: boolean };

/**
 * Places the labels of one row left to right so that none overprints
 * another: a label goes inside its item when it fits there, beside it when
 * the item is too narrow (on the right up to the next item, or on the left
 * when there is more room there, as at the right edge of the view), and is
 * shortened to the room there is, or left out when there is too little.
 * Call `place` in order of the items' left edges.
 */
export class LabelRow {
  /** Where the next label may start. */
  private free: number;
  /** The right end of the items placed so far. */
  private itemsEnd = -Infinity;

  constructor(
    left: number,
    private readonly right: number,
    private readonly minPx = 28,
    private readonly gap = 6,
  ) {
    this.free = left + 4;
  }

  /**
   * A spot for a label `textPx` wide, of an item drawn from `x0` to `x1`;
   * `next` is where the row's next item starts (beside labels stop there).
   */
  place(x0: number, x1: number, textPx: number, next = Infinity): LabelSpot | null {
    const pad = 4;
    const insideFrom = Math.max(x0 + pad, this.free);
    const insideRoom = x1 - pad - insideFrom;
    let spot: LabelSpot | null = null;
    if (textPx <= insideRoom || insideRoom >= 60) {
      spot = { x: insideFrom, max: insideRoom, inside: true };
    } else {
      const rightX = Math.max(x1 + pad, this.free);
      const rightRoom = Math.min(next, this.right) - pad - rightX;
      const leftRoom = x0 - pad - Math.max(this.free, this.itemsEnd + this.gap);
      const enough = Math.min(this.minPx, textPx);
      const onRight = { x: rightX, max: rightRoom, inside: false };
      const onLeft = { x: x0 - pad - Math.min(textPx, leftRoom), max: leftRoom, inside: false };
      // Whole on the right, else whole on the left, else shortened (right first).
      if (rightRoom >= textPx) spot = onRight;
      else if (leftRoom >= textPx) spot = onLeft;
      else if (rightRoom >= enough) spot = onRight;
      else if (leftRoom >= enough) spot = onLeft;
    }
    this.itemsEnd = Math.max(this.itemsEnd, x1);
    if (!spot) return null;
    this.free = Math.max(this.free, spot.x + Math.min(textPx, spot.max) + this.gap);
    return spot;
  }
}

/**
 * How a release's bar looks besides its colour: a plan is a solid bar with
 * its checklist progress; one that went out ("done") is solid with a tick
 * and no progress; one rolled back is hatched; a cancelled one an outline.
 * The legend draws the same.
 */
export type BarLook = "solid" | "done" | "hatched" | "outline";
export const RELEASE_LOOK: Record<ReleaseState, BarLook> = {
  draft: "solid",
  planned: "solid",
  ready: "solid",
  deploying: "solid",
  verified: "done",
  released: "done",
  rolledBack: "hatched",
  cancelled: "outline",
};

/** What a release's label says after its version and name: its checklist while it is a plan, else its state. */
export function releaseNote(state: ReleaseState, complete: number, items: number): string {
  if (state === "draft" || state === "planned" || state === "ready") return items ? `checklist ${complete}/${items}` : "no checklist";
  return { deploying: "deploying", verified: "verified", released: "released", rolledBack: "rolled back", cancelled: "cancelled" }[state];
}

/** The mark before the version of a release that is no longer a plan. */
export const RELEASE_MARK: Partial<Record<ReleaseState, string>> = { verified: "✓", released: "✓", rolledBack: "↩", cancelled: "✕" };

/**
 * The drawn extent of an item from `x0` to `x1`: at least `minPx` wide,
 * widened about its middle, so that a 90-minute window is a block with room
 * for its version at any zoom.
 */
export function widen(x0: number, x1: number, minPx: number): { x0: number; x1: number } {
  if (x1 - x0 >= minPx) return { x0, x1 };
  const mid = (x0 + x1) / 2;
  return { x0: mid - minPx / 2, x1: mid + minPx / 2 };
}

export type Group<T> = { x0: number; x1: number; items: T[] };

/**
 * The items of one row (their drawn extents) as groups, so that no two
 * blocks overlap or crowd each other: an item that starts less than `gap`
 * px after the end of the group before it joins that group. A group of n
 * items (n > 1) is one block at least `minPx(n)` wide, room for its count,
 * which may take in the items after it too. Groups come left to right,
 * their items in order of their left edges.
 */
export function group<T>(items: { x0: number; x1: number; item: T }[], gap: number, minPx: (n: number) => number): Group<T>[] {
  const out: Group<T>[] = [];
  for (const it of [...items].sort((a, b) => a.x0 - b.x0)) {
    const last = out[out.length - 1];
    if (last && it.x0 < last.x1 + gap) {
      last.items.push(it.item);
      last.x1 = Math.max(last.x1, it.x1, last.x0 + minPx(last.items.length));
    } else {
      out.push({ x0: it.x0, x1: it.x1, items: [it.item] });
    }
  }
  return out;
}

// From the state that needs a look most to the one that needs it least.
const RUN_CONCERN: RunState[] = ["failed", "timedOut", "failedVerification", "running", "interrupted", "cancelled", "succeeded"];

/** The state a group of runs is coloured by: the one that most needs a look. */
export function worstRunState(states: RunState[]): RunState {
  return RUN_CONCERN.find((s) => states.includes(s)) ?? "succeeded";
}

/**
 * What sets each of several suggestions apart: the reasons all of them
 * share (said once), and each one's own. A suggestion with nothing of its
 * own is as good as the others for the same reasons.
 */
export function splitReasons(lists: string[][]): { shared: string[]; own: string[][] } {
  if (lists.length < 2) return { shared: [], own: lists.map((l) => [...l]) };
  const shared = lists[0].filter((r) => lists.every((l) => l.includes(r)));
  return { shared, own: lists.map((l) => l.filter((r) => !shared.includes(r))) };
}

type Ranked = { start: string; end: string; score: number | null; reasons: string[] };

/**
 * Suggestions that differ only by their day (the same time of day in `tz`,
 * the same length, score and reasons) as one entry: the best, and the other
 * days it is just as good on. Indexes into `list`, in rank order.
 */
export function groupSuggestions(list: Ranked[], tz: string): { first: number; sameTime: number[] }[] {
  const key = (s: Ranked) => {
    const start = Date.parse(s.start);
    return JSON.stringify([formatLocal(start, tz).slice(11), Date.parse(s.end) - start, s.score, s.reasons]);
  };
  const groups: { key: string; first: number; sameTime: number[] }[] = [];
  list.forEach((s, i) => {
    const k = key(s);
    const g = groups.find((g) => g.key === k);
    if (g) g.sameTime.push(i);
    else groups.push({ key: k, first: i, sameTime: [] });
  });
  return groups.map(({ first, sameTime }) => ({ first, sameTime }));
}
