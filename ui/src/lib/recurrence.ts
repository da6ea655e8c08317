// Freeze and maintenance windows in words: "every Friday from 15:00 to
// Monday 09:00", "the last 2 days of each month".
//
// Liftoff stores a window as a local start, a length and an RFC 5545 rule
// (see core/src/planning/recurrence.rs). This says the common rules (the
// ones the form offers and what people type for freezes: daily, weekly on
// some days, monthly on a day or an nth weekday, yearly on a date, hourly,
// with INTERVAL, COUNT and UNTIL) as a sentence. Anything else returns null,
// and the caller shows the rule as written: a wrong sentence is worse than
// none. (The rrule package's toText was tried first: it says
// BYMONTHDAY=-2 as "every month on the 2nd last" and a monthly BYSETPOS
// rule as "every month on weekdays", and knows nothing of the window's
// length, which is what a person reads a freeze for.)

export type WindowShape = {
  /** `YYYY-MM-DDTHH:MM`, wall-clock time in the window's zone. */
  startLocal: string;
  minutes: number;
  rule: string | null;
};

const DAY_CODES = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const KNOWN = new Set(["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL", "WKST"]);
const DAY_MS = 86_400_000;

type Rule = {
  freq: string;
  interval: number;
  byDay: { n: number; day: number }[];
  byMonthDay: number[];
  byMonth: number[];
  count: number | null;
  until: string | null;
};

/** The rule's parts, or null for a rule this module does not put in words. */
function parse(text: string): Rule | null {
  const rule: Rule = { freq: "", interval: 1, byDay: [], byMonthDay: [], byMonth: [], count: null, until: null };
  const body = text.trim().replace(/^RRULE:/i, "");
  if (!body) return null;
  for (const part of body.split(";")) {
    const [rawKey, value = ""] = part.split("=");
    const key = rawKey.trim().toUpperCase();
    const v = value.trim().toUpperCase();
    if (!KNOWN.has(key) || !v) return null;
    const ints = () => v.split(",").map((x) => (/^[+-]?\d+$/.test(x) ? Number(x) : NaN));
    switch (key) {
      case "FREQ":
        rule.freq = v;
        break;
      case "INTERVAL":
        rule.interval = Number(v);
        if (!Number.isInteger(rule.interval) || rule.interval < 1) return null;
        break;
      case "BYDAY":
        for (const d of v.split(",")) {
          const m = /^([+-]?\d)?(SU|MO|TU|WE|TH|FR|SA)$/.exec(d);
          if (!m) return null;
          rule.byDay.push({ n: m[1] ? Number(m[1]) : 0, day: DAY_CODES.indexOf(m[2]) });
        }
        break;
      case "BYMONTHDAY":
        rule.byMonthDay = ints();
        if (rule.byMonthDay.some((d) => !Number.isInteger(d) || d === 0 || Math.abs(d) > 31)) return null;
        break;
      case "BYMONTH":
        rule.byMonth = ints();
        if (rule.byMonth.some((m) => !Number.isInteger(m) || m < 1 || m > 12)) return null;
        break;
      case "COUNT":
        rule.count = Number(v);
        if (!Number.isInteger(rule.count) || rule.count < 1) return null;
        break;
      case "UNTIL":
        rule.until = v;
        break;
    }
  }
  return ["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"].includes(rule.freq) ? rule : null;
}

/** "Monday, Wednesday and Friday". */
function list(words: string[]): string {
  return words.length < 2 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** "1st", "22nd", "13th". */
function ordinalNumber(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
}

const NTH = ["", "first", "second", "third", "fourth", "fifth"];

/** 1 → "first", -1 → "last", -2 → "second-last". */
function nth(n: number): string | null {
  if (n === -1) return "last";
  if (n < -1 && n >= -5) return `${NTH[-n]}-last`;
  return NTH[n] || null;
}

/** BYMONTHDAY as words: 15 → "the 15th", -1 → "the last day", -2 → "the second-last day". */
function monthDay(d: number): string {
  return d > 0 ? `the ${ordinalNumber(d)}` : d === -1 ? "the last day" : `the ${nth(d) ?? `${ordinalNumber(-d)}-last`} day`;
}

/** "every Friday", "every weekday", "every Monday and Thursday". */
function everyDays(days: number[]): string {
  const set = [...new Set(days)].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
  if (set.length === 7) return "every day";
  if (set.length === 5 && [1, 2, 3, 4, 5].every((d) => set.includes(d))) return "every weekday";
  return `every ${list(set.map((d) => DAY_NAMES[d]))}`;
}

/** "each month", "every other month", "every 3 months". */
function each(unit: string, interval: number): string {
  return interval === 1 ? `each ${unit}` : interval === 2 ? `every other ${unit}` : `every ${interval} ${unit}s`;
}

/** The wall-clock parts of `YYYY-MM-DDTHH:MM` (as a UTC date), or null. */
function wallClock(startLocal: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(startLocal);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  return Number.isNaN(d.getTime()) ? null : d;
}

function until(text: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(text);
  return m ? `${Number(m[3])} ${MONTH_NAMES[Number(m[2]) - 1]} ${m[1]}` : text;
}

/**
 * How often a rule repeats, in words: "every Friday", "the second-last day
 * of each month", "every year on 24 December". `start` (the first start, as
 * wall-clock time) fills in what the rule leaves to it. Null for a rule not
 * put in words here.
 */
export function ruleText(ruleText: string, start: Date): string | null {
  const r = parse(ruleText);
  if (!r) return null;
  const weekday = start.getUTCDay();
  let text: string | null = null;
  const plainDays = r.byDay.every((d) => d.n === 0);
  switch (r.freq) {
    case "HOURLY":
      if (r.byDay.length || r.byMonthDay.length || r.byMonth.length) return null;
      text = r.interval === 1 ? "every hour" : `every ${r.interval} hours`;
      break;
    case "DAILY":
      if (r.byMonthDay.length || r.byMonth.length || !plainDays) return null;
      if (r.byDay.length) {
        if (r.interval !== 1) return null;
        text = everyDays(r.byDay.map((d) => d.day));
      } else text = r.interval === 1 ? "every day" : r.interval === 2 ? "every other day" : `every ${r.interval} days`;
      break;
    case "WEEKLY": {
      if (r.byMonthDay.length || r.byMonth.length || !plainDays) return null;
      const days = r.byDay.length ? r.byDay.map((d) => d.day) : [weekday];
      const every = everyDays(days);
      if (r.interval === 1) text = every;
      else if (r.interval === 2) text = every.replace(/^every /, "every other ");
      else text = `every ${r.interval} weeks on ${every.replace(/^every /, "")}`;
      break;
    }
    case "MONTHLY": {
      if (r.byMonth.length || (r.byDay.length && r.byMonthDay.length)) return null;
      const months = each("month", r.interval);
      if (r.byDay.length) {
        if (plainDays) {
          if (r.interval !== 1) return null;
          text = everyDays(r.byDay.map((d) => d.day));
        } else {
          const words = r.byDay.map((d) => (d.n === 0 ? null : nth(d.n) && `${nth(d.n)} ${DAY_NAMES[d.day]}`));
          if (words.some((w) => !w)) return null;
          text = `the ${list(words as string[])} of ${months}`;
        }
      } else {
        const days = r.byMonthDay.length ? r.byMonthDay : [start.getUTCDate()];
        const words = days.map(monthDay);
        // "the 1st and the 15th" reads as "the 1st and 15th".
        text = `${list(words.map((w, i) => (i > 0 && /^the \d/.test(w) ? w.slice(4) : w)))} of ${months}`;
      }
      break;
    }
    case "YEARLY": {
      const years = r.interval === 1 ? "every year" : r.interval === 2 ? "every other year" : `every ${r.interval} years`;
      const month = r.byMonth.length ? r.byMonth : [start.getUTCMonth() + 1];
      if (month.length !== 1) return null;
      const monthName = MONTH_NAMES[month[0] - 1];
      if (r.byDay.length) {
        if (r.byMonthDay.length || r.byDay.length !== 1 || !r.byMonth.length) return null;
        const d = r.byDay[0];
        if (d.n === 0 || !nth(d.n)) return null;
        text = `${years} on the ${nth(d.n)} ${DAY_NAMES[d.day]} of ${monthName}`;
      } else {
        const days = r.byMonthDay.length ? r.byMonthDay : [start.getUTCDate()];
        if (days.length !== 1) return null;
        text = days[0] > 0 ? `${years} on ${days[0]} ${monthName}` : `${years} on ${monthDay(days[0])} of ${monthName}`;
      }
      break;
    }
  }
  if (text === null) return null;
  if (r.count) text += r.count === 1 ? ", once" : `, ${r.count} times`;
  if (r.until) text += `, until ${until(r.until)}`;
  return text;
}

/** A length in words: "45 minutes", "1 hour 30 minutes", "2 days 18 hours". */
export function durationText(minutes: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [days ? plural(days, "day") : "", hours ? plural(hours, "hour") : "", mins ? plural(mins, "minute") : ""].filter(Boolean);
  return parts.length ? parts.join(" ") : "0 minutes";
}

const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
const shortDay = (d: Date) => `${DAY_NAMES[d.getUTCDay()].slice(0, 3)} ${d.getUTCDate()} ${MONTH_NAMES[d.getUTCMonth()].slice(0, 3)}`;

/**
 * A window as a sentence, in its own zone's wall-clock time: "every Friday
 * from 15:00 to Monday 09:00", "the last 2 days of each month", "every day
 * from 22:00 to midnight", or for a one-off window "Fri 11 Dec 2026 15:00
 * to Mon 14 Dec 09:00". Null when its rule is not put in words here.
 */
export function describeWindow(w: WindowShape): string | null {
  const start = wallClock(w.startLocal);
  if (!start || !(w.minutes > 0)) return null;
  const end = new Date(start.getTime() + w.minutes * 60_000);
  const sameDay = end.getTime() - Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()) < DAY_MS;
  const midnightAfter = end.getTime() === Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()) + DAY_MS;
  if (!w.rule?.trim()) {
    const to = sameDay ? hhmm(end) : `${shortDay(end)}${end.getUTCFullYear() !== start.getUTCFullYear() ? ` ${end.getUTCFullYear()}` : ""} ${hhmm(end)}`;
    return `${shortDay(start)} ${start.getUTCFullYear()} ${hhmm(start)} to ${to}`;
  }
  const repeats = ruleText(w.rule, start);
  const r = parse(w.rule);
  if (!repeats || !r) return null;

  // Whole last days of the month: BYMONTHDAY=-2 from 00:00 for 48 hours.
  if (r.freq === "MONTHLY" && r.byMonthDay.length === 1 && !r.byDay.length && r.byMonthDay[0] < 0 && hhmm(start) === "00:00" && w.minutes === -r.byMonthDay[0] * 1440) {
    const n = -r.byMonthDay[0];
    const rest = repeats.replace(/^.*? of /, "");
    return n === 1 ? `the whole last day of ${rest}` : `the last ${n} days of ${rest}`;
  }

  const from = hhmm(start);
  let span: string;
  if (sameDay) span = `from ${from} to ${hhmm(end)}`;
  else if (midnightAfter) span = `from ${from} to midnight`;
  else if (w.minutes < 7 * 1440 && r.freq === "WEEKLY" && (r.byDay.length <= 1)) {
    // One weekday: the end falls on the same weekday every time.
    span = `from ${from} to ${DAY_NAMES[end.getUTCDay()]} ${hhmm(end)}`;
  } else if (w.minutes < 1440) span = `from ${from} to ${hhmm(end)} the next day`;
  else span = `from ${from}, for ${durationText(w.minutes)}`;
  return `${repeats} ${span}`;
}

/** The sentence with a capital letter, for the start of a line. */
export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
