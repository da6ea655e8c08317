import { describe, expect, it } from "vitest";
import { formatDate, formatSpan, formatTime, localDateTime, relativeTime, timeText } from "./format";

const MIN = 60_000;
const HOUR = 60 * MIN;
// "Now" in these tests: Sunday 6 December 2026, 12:00 UTC.
const now = Date.UTC(2026, 11, 6, 12, 0);

describe("formatTime", () => {
  it("writes a time as the wall clock shows it in the zone, with its weekday", () => {
    const t = "2026-12-11T14:00:00Z";
    expect(formatTime(t, "Europe/Berlin", { now })).toBe("Fri 11 Dec 15:00");
    expect(formatTime(t, "UTC", { now })).toBe("Fri 11 Dec 14:00");
    expect(formatTime(t, "America/New_York", { now })).toBe("Fri 11 Dec 09:00");
    expect(formatTime(t, "Asia/Kolkata", { now })).toBe("Fri 11 Dec 19:30");
  });

  it("names the zone when asked, by the name the project gives it", () => {
    expect(formatTime("2026-12-11T14:00:00Z", "Europe/Berlin", { now, withZone: true })).toBe("Fri 11 Dec 15:00 Europe/Berlin");
  });

  it("takes the day, weekday and all, from the zone", () => {
    // 23:30 UTC on Friday is already Saturday in Berlin and in Kiribati (UTC+14).
    const t = Date.UTC(2026, 11, 11, 23, 30);
    expect(formatTime(t, "Europe/Berlin", { now })).toBe("Sat 12 Dec 00:30");
    expect(formatTime(t, "Pacific/Kiritimati", { now })).toBe("Sat 12 Dec 13:30");
    expect(formatTime(t, "America/Los_Angeles", { now })).toBe("Fri 11 Dec 15:30");
  });

  it("follows daylight saving time on both changes", () => {
    // Berlin springs forward at 02:00 on 28 March 2027: 01:30 UTC is 03:30 CEST.
    expect(formatTime(Date.UTC(2027, 2, 28, 0, 30), "Europe/Berlin", { now })).toBe("Sun 28 Mar 2027 01:30");
    expect(formatTime(Date.UTC(2027, 2, 28, 1, 30), "Europe/Berlin", { now })).toBe("Sun 28 Mar 2027 03:30");
    // It falls back at 03:00 on 25 October 2026: 02:30 comes twice.
    expect(formatTime(Date.UTC(2026, 9, 25, 0, 30), "Europe/Berlin", { now })).toBe("Sun 25 Oct 02:30");
    expect(formatTime(Date.UTC(2026, 9, 25, 1, 30), "Europe/Berlin", { now })).toBe("Sun 25 Oct 02:30");
    // New York falls back a week later.
    expect(formatTime(Date.UTC(2026, 10, 1, 5, 30), "America/New_York", { now })).toBe("Sun 1 Nov 01:30");
    expect(formatTime(Date.UTC(2026, 10, 1, 6, 30), "America/New_York", { now })).toBe("Sun 1 Nov 01:30");
    // London is on GMT in winter, BST in summer.
    expect(formatTime(Date.UTC(2026, 6, 1, 12, 0), "Europe/London", { now })).toBe("Wed 1 Jul 13:00");
  });

  it("writes the year only when it is not this year in the zone", () => {
    expect(formatTime(Date.UTC(2027, 0, 5, 9, 0), "Europe/Berlin", { now })).toBe("Tue 5 Jan 2027 10:00");
    expect(formatTime(Date.UTC(2025, 8, 15, 9, 0), "UTC", { now })).toBe("Mon 15 Sep 2025 09:00");
    // New Year's Eve 23:30 UTC: next year in Berlin, this year in London.
    const eve = Date.UTC(2026, 11, 31, 23, 30);
    expect(formatTime(eve, "Europe/Berlin", { now })).toBe("Fri 1 Jan 2027 00:30");
    expect(formatTime(eve, "Europe/London", { now })).toBe("Thu 31 Dec 23:30");
    // And from the other side: when it is already 2027 in Berlin, 2026 is named.
    expect(formatTime(Date.UTC(2026, 11, 31, 12, 0), "Europe/Berlin", { now: eve })).toBe("Thu 31 Dec 2026 13:00");
    expect(formatTime(Date.UTC(2026, 11, 11, 14, 0), "UTC", { now, year: "always" })).toBe("Fri 11 Dec 2026 14:00");
  });

  it("falls back to UTC, named, for a zone this computer does not know, and gives back what is not a time", () => {
    expect(formatTime("2026-12-11T14:00:00Z", "Mars/Olympus", { now, withZone: true })).toBe("Fri 11 Dec 14:00 UTC");
    expect(formatTime("soon", "UTC")).toBe("soon");
  });
});

describe("formatDate", () => {
  it("writes a calendar date as its day, wherever one is", () => {
    expect(formatDate("2026-12-04", "Europe/Berlin", { now })).toBe("Fri 4 Dec");
    expect(formatDate("2026-12-04", "Pacific/Kiritimati", { now })).toBe("Fri 4 Dec");
    expect(formatDate("2027-02-01", "UTC", { now })).toBe("Mon 1 Feb 2027");
    expect(formatDate("2026-02-30", "UTC", { now })).toBe("2026-02-30");
  });

  it("writes an instant as the day it falls on in the zone", () => {
    expect(formatDate("2026-12-11T23:30:00Z", "Europe/Berlin", { now })).toBe("Sat 12 Dec");
    expect(formatDate("2026-12-11T23:30:00Z", "America/New_York", { now })).toBe("Fri 11 Dec");
  });
});

describe("formatSpan", () => {
  it("names the zone once, and the second day only when it differs", () => {
    expect(formatSpan("2026-12-03T09:00:00Z", "2026-12-03T10:30:00Z", "Europe/Berlin", { now })).toBe("Thu 3 Dec 10:00 to 11:30 Europe/Berlin");
    expect(formatSpan(Date.UTC(2026, 11, 11, 14), Date.UTC(2026, 11, 14, 8), "Europe/Berlin", { now })).toBe("Fri 11 Dec 15:00 to Mon 14 Dec 09:00 Europe/Berlin");
    // The same span in New York falls on one day.
    expect(formatSpan("2026-12-03T22:00:00Z", "2026-12-04T01:00:00Z", "America/New_York", { now })).toBe("Thu 3 Dec 17:00 to 20:00 America/New_York");
    expect(formatSpan("2026-12-03T22:00:00Z", "2026-12-04T01:00:00Z", "Europe/Berlin", { now, withZone: false })).toBe("Thu 3 Dec 23:00 to Fri 4 Dec 02:00");
  });

  it("shows the wall clock across a daylight-saving change", () => {
    // Two hours that the clocks in Berlin show as three.
    expect(formatSpan(Date.UTC(2027, 2, 28, 0, 0), Date.UTC(2027, 2, 28, 2, 0), "Europe/Berlin", { now })).toBe("Sun 28 Mar 2027 01:00 to 04:00 Europe/Berlin");
  });

  it("gives back what is not a time", () => {
    expect(formatSpan("soon", "later", "UTC")).toBe("soon to later");
  });
});

describe("relativeTime", () => {
  it("says recent events relatively, up to a day", () => {
    expect(relativeTime(now - 20_000, now)).toBe("just now");
    expect(relativeTime(now - MIN, now)).toBe("1 min ago");
    expect(relativeTime(now - 3 * MIN - 59_000, now)).toBe("3 min ago");
    expect(relativeTime(now - 59 * MIN - 59_000, now)).toBe("59 min ago");
    expect(relativeTime(now - HOUR, now)).toBe("1 h ago");
    expect(relativeTime(now - 23 * HOUR - 59 * MIN, now)).toBe("23 h ago");
  });

  it("leaves older and later times to be written exactly", () => {
    expect(relativeTime(now - 24 * HOUR, now)).toBeNull();
    expect(relativeTime(now + 5 * MIN, now)).toBeNull();
    // A clock a few seconds ahead of this one still reads as now.
    expect(relativeTime(now + 30_000, now)).toBe("just now");
    expect(relativeTime("soon", now)).toBeNull();
  });
});

describe("timeText", () => {
  it("shows a recent event relatively with the exact time, year and zone on hover", () => {
    const t = new Date(now - 3 * MIN).toISOString();
    expect(timeText(t, "Europe/Berlin", { now })).toEqual({ text: "3 min ago", title: "Sun 6 Dec 2026 12:57 Europe/Berlin", iso: "2026-12-06T11:57:00.000Z" });
  });

  it("shows anything older exactly, naming the zone when asked", () => {
    const t = now - 3 * 24 * HOUR;
    expect(timeText(t, "Europe/Berlin", { now }).text).toBe("Thu 3 Dec 13:00");
    expect(timeText(t, "Europe/Berlin", { now, withZone: true }).text).toBe("Thu 3 Dec 13:00 Europe/Berlin");
    expect(timeText(now - MIN, "UTC", { now, relative: false }).text).toBe("Sun 6 Dec 11:59");
  });

  it("gives back what is not a time, without a title", () => {
    expect(timeText("soon", "UTC", { now })).toEqual({ text: "soon", title: "", iso: "" });
  });
});

describe("localDateTime", () => {
  it("writes a time in this computer's zone, named", () => {
    expect(localDateTime("2026-11-28T06:42:00Z")).toMatch(/^Sat 28 Nov( 2026)? \d\d:\d\d [A-Za-z_]+(\/[A-Za-z_+-]+)*$/);
  });

  it("gives back what is not a time", () => {
    expect(localDateTime("soon")).toBe("soon");
  });
});
