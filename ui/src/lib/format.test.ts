import { describe, expect, it } from "vitest";
import { localDateTime, windowText } from "./format";

describe("windowText", () => {
  it("shows the window in the project's zone, on one day when it fits", () => {
    // 21:00–22:30 UTC is 22:00–23:30 in Berlin in winter.
    expect(windowText("2026-12-03T21:00:00Z", "2026-12-03T22:30:00Z", "Europe/Berlin", "en-GB")).toBe("Thu, 3 Dec 2026, 22:00–23:30");
  });

  it("names both days when the window crosses midnight there", () => {
    expect(windowText("2026-12-03T22:00:00Z", "2026-12-04T01:00:00Z", "Europe/Berlin", "en-GB")).toBe(
      "Thu, 3 Dec 2026, 23:00 – Fri, 4 Dec 2026, 02:00",
    );
    // The same window in New York falls on one day.
    expect(windowText("2026-12-03T22:00:00Z", "2026-12-04T01:00:00Z", "America/New_York", "en-GB")).toBe("Thu, 3 Dec 2026, 17:00–20:00");
  });

  it("falls back to UTC for an unknown zone and to the raw text for bad times", () => {
    expect(windowText("2026-12-03T21:00:00Z", "2026-12-03T22:00:00Z", "Mars/Olympus", "en-GB")).toBe("Thu, 3 Dec 2026, 21:00–22:00");
    expect(windowText("soon", "later", "UTC")).toBe("soon – later");
  });
});

describe("localDateTime", () => {
  it("says which zone a time is in", () => {
    const text = localDateTime("2026-11-28T06:42:00Z");
    expect(text).toMatch(/2026/);
    // The short zone name (UTC, CET, GMT+1, ...) ends the text.
    expect(text).toMatch(/(UTC|GMT|[A-Z]{2,5})[+-]?\d*$/);
  });

  it("gives back what is not a time", () => {
    expect(localDateTime("soon")).toBe("soon");
  });
});
