/**
 * A stored RFC 3339 timestamp as this computer's local date and time, saying
 * which zone ("Nov 28, 2026, 7:42 AM CET"): screens without a "Times in"
 * choice show times here, and say so.
 */
export function localDateTime(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short" });
}

function formatters(timeZone: string, locale: string | undefined) {
  const make = (zone: string) => ({
    day: new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric" }),
    time: new Intl.DateTimeFormat(locale, { timeZone: zone, hour: "2-digit", minute: "2-digit" }),
  });
  try {
    return make(timeZone);
  } catch {
    // A zone this computer does not know: UTC rather than nothing.
    return make("UTC");
  }
}

/**
 * A release window as wall-clock time in `timeZone`: "Thu, 3 Dec 2026, 22:00–23:30",
 * or with both days when it runs past midnight there. The caller says which zone.
 */
export function windowText(start: string, end: string, timeZone: string, locale?: string): string {
  const s = new Date(start);
  const e = new Date(end);
  if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime())) return `${start} – ${end}`;
  const { day, time } = formatters(timeZone, locale);
  return day.format(s) === day.format(e)
    ? `${day.format(s)}, ${time.format(s)}–${time.format(e)}`
    : `${day.format(s)}, ${time.format(s)} – ${day.format(e)}, ${time.format(e)}`;
}
