import { describe, expect, it } from "vitest";
import { dayBounds, periodBounds, verifyCommand } from "./monitor_evidence.svelte";

describe("history periods", () => {
  it("a last-N period starts N days before now and has no end", () => {
    const now = Date.parse("2026-12-07T08:00:00Z");
    expect(periodBounds("7d", now)).toEqual({ from: "2026-11-30T08:00:00Z", to: null });
    expect(periodBounds("", now)).toEqual({ from: null, to: null });
  });

  it("days run from midnight to the midnight after the last, in the project's zone", () => {
    expect(dayBounds("2026-11-01", "2026-11-30", "Europe/Berlin")).toEqual({ from: "2026-10-31T23:00:00Z", to: "2026-11-30T23:00:00Z" });
    // Across the end of summer time, and the end of a year.
    expect(dayBounds("2026-10-25", "2026-12-31", "Europe/Berlin")).toEqual({ from: "2026-10-24T22:00:00Z", to: "2026-12-31T23:00:00Z" });
    expect(dayBounds("", "2026-11-30", "UTC")).toEqual({ from: null, to: "2026-12-01T00:00:00Z" });
    expect(dayBounds("2026-11-01", "", "UTC")).toEqual({ from: "2026-11-01T00:00:00Z", to: null });
  });
});

describe("the auditor's command", () => {
  it("quotes a path a shell would split", () => {
    const head = "a".repeat(64);
    expect(verifyCommand("/tmp/evidence-2-4-0.json", head)).toBe(`liftoff evidence verify /tmp/evidence-2-4-0.json --head ${head}`);
    expect(verifyCommand("/home/me/My Files/it's.json", head)).toBe(`liftoff evidence verify '/home/me/My Files/it'\\''s.json' --head ${head}`);
  });
});
