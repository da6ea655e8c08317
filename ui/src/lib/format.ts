// One way to write a time, on every screen: "Fri 11 Dec 15:00" in the zone
// the project is set to (or the one the timeline is switched to), the year
// after the month when it is not this year there, and the zone by its IANA
// name where the text has to say it ("Fri 11 Dec 15:00 to 16:30
// Europe/Berlin"). Recent events read as "3 min ago", with the exact time
// (year and zone always) for the hover title. The Rust core writes the
// times in its messages the same way (core/src/clock.rs, `words`).
//
// Intl turns instants into wall-clock numbers in the zone; the words
// (weekdays, months) are fixed English, as the rest of the app is, so that
// "Sep" is "Sep" whatever this computer's ICU calls it.

export type TimeInput = string | number | Date;

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The computer's own zone, by its IANA name. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

const partFormats = new Map<string, Intl.DateTimeFormat>();

/** A zone Intl knows: `zone` itself, else UTC (which is then named). */
export function knownZone(zone: string): string {
  if (partFormats.has(zone)) return zone;
  try {
    partFormats.set(
      zone,
      new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }),
    );
    return zone;
  } catch {
    return zone === "UTC" ? zone : knownZone("UTC");
  }
}

type Wall = { year: number; month: number; day: number; weekday: number; hh: string; mm: string };

/** Instant `ms` as the wall clock shows it in `zone`. */
function wall(ms: number, zone: string): Wall {
  const f = partFormats.get(knownZone(zone))!;
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  const hour = p.hour % 24;
  return {
    year: p.year,
    month: p.month - 1,
    day: p.day,
    // The weekday of that calendar day, whatever the zone.
    weekday: new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay(),
    hh: String(hour).padStart(2, "0"),
    mm: String(p.minute).padStart(2, "0"),
  };
}

/** Milliseconds of a stored time (RFC 3339), a number or a Date; NaN if it is none. */
export function toMs(t: TimeInput): number {
  if (typeof t === "number") return t;
  if (t instanceof Date) return t.getTime();
  return Date.parse(t);
}

export type Options = {
  /** What "this year" is measured from; the year is written when it differs. */
  now?: number;
  /** "always": the year whatever `now` is (hover titles, exact records). */
  year?: "auto" | "always";
  /** Say the zone after the time: "… 15:00 Europe/Berlin". */
  withZone?: boolean;
};

function dayText(w: Wall, zone: string, { now = Date.now(), year = "auto" }: Options): string {
  const showYear = year === "always" || w.year !== wall(now, zone).year;
  return `${WEEKDAYS[w.weekday]} ${w.day} ${MONTHS[w.month]}${showYear ? ` ${w.year}` : ""}`;
}

/**
 * "Fri 11 Dec 15:00" in `zone`; "Fri 11 Dec 2025 15:00" when that is not
 * this year there; "… 15:00 Europe/Berlin" with `withZone`. Text that is
 * not a time is given back as it is.
 */
export function formatTime(t: TimeInput, zone: string, options: Options = {}): string {
  const ms = toMs(t);
  if (Number.isNaN(ms)) return String(t);
  const z = knownZone(zone);
  const w = wall(ms, z);
  return `${dayText(w, z, options)} ${w.hh}:${w.mm}${options.withZone ? ` ${z}` : ""}`;
}

/**
 * A day: "Fri 11 Dec" (with its year when not this year). A calendar date
 * ("2026-12-11", such as a due date) is that day wherever one is; an
 * instant is the day it falls on in `zone`.
 */
export function formatDate(d: TimeInput, zone: string, options: Options = {}): string {
  const m = typeof d === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(d.trim()) : null;
  if (m) {
    const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    // Not a day of the calendar (2026-02-30): as written.
    if (date.getUTCMonth() !== +m[2] - 1 || date.getUTCDate() !== +m[3]) return String(d);
    const w: Wall = { year: date.getUTCFullYear(), month: date.getUTCMonth(), day: date.getUTCDate(), weekday: date.getUTCDay(), hh: "00", mm: "00" };
    return dayText(w, knownZone(zone), options);
  }
  const ms = toMs(d);
  if (Number.isNaN(ms)) return String(d);
  const z = knownZone(zone);
  return dayText(wall(ms, z), z, options);
}

/**
 * A span, naming its zone once: "Fri 11 Dec 15:00 to 16:30 Europe/Berlin"
 * within a day, "Fri 11 Dec 15:00 to Mon 14 Dec 09:00 Europe/Berlin" across
 * days.
 */
export function formatSpan(start: TimeInput, end: TimeInput, zone: string, options: Options = {}): string {
  const s = toMs(start);
  const e = toMs(end);
  if (Number.isNaN(s) || Number.isNaN(e)) return `${start} to ${end}`;
  const z = knownZone(zone);
  const a = wall(s, z);
  const b = wall(e, z);
  const sameDay = a.year === b.year && a.month === b.month && a.day === b.day;
  const to = sameDay ? `${b.hh}:${b.mm}` : `${dayText(b, z, options)} ${b.hh}:${b.mm}`;
  return `${dayText(a, z, options)} ${a.hh}:${a.mm} to ${to}${options.withZone === false ? "" : ` ${z}`}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How long ago `t` was, for events of the last day: "just now" (under a
 * minute, or up to a minute ahead: clocks differ a little), "3 min ago",
 * "5 h ago". `null` for anything older, or later, which is written exactly.
 */
export function relativeTime(t: TimeInput, now = Date.now()): string | null {
  const ms = toMs(t);
  if (Number.isNaN(ms)) return null;
  const ago = now - ms;
  if (ago < -MINUTE || ago >= 24 * HOUR) return null;
  if (ago < MINUTE) return "just now";
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  return `${Math.floor(ago / HOUR)} h ago`;
}

/**
 * What a screen shows of one time and what its hover title says: a recent
 * event relative ("3 min ago"), anything else exact (`withZone` to name the
 * zone there); the title is always the exact time with its year and zone.
 */
export function timeText(
  t: TimeInput,
  zone: string,
  { now = Date.now(), relative = true, withZone = false }: { now?: number; relative?: boolean; withZone?: boolean } = {},
): { text: string; title: string; iso: string } {
  const ms = toMs(t);
  if (Number.isNaN(ms)) return { text: String(t), title: "", iso: "" };
  const title = formatTime(ms, zone, { year: "always", withZone: true });
  const text = (relative && relativeTime(ms, now)) || formatTime(ms, zone, { now, withZone });
  return { text, title, iso: new Date(ms).toISOString() };
}

/**
 * A stored time in this computer's zone, named: for the few places outside
 * a project. Pages show times with the `Time` component, which follows the
 * project's zone and says recent events relatively.
 */
export function localDateTime(rfc3339: string): string {
  return formatTime(rfc3339, localZone(), { withZone: true });
}
