import { describe, expect, it } from "vitest";
import { DAY, formatLocal, HOUR, pack, parseLocal, snap, ticks, zoneOffset } from "./timeline";

describe("time zones", () => {
  it("know Berlin's offsets on both sides of a change", () => {
    expect(zoneOffset(Date.UTC(2027, 2, 28, 0, 30), "Europe/Berlin")).toBe(HOUR);
    expect(zoneOffset(Date.UTC(2027, 2, 28, 1, 30), "Europe/Berlin")).toBe(2 * HOUR);
  });

  it("read and write wall-clock times in a zone", () => {
    const t = parseLocal("2027-03-26 15:00", "Europe/Berlin");
    expect(t).toBe(Date.UTC(2027, 2, 26, 14, 0));
    expect(formatLocal(Date.UTC(2027, 2, 29, 7, 0), "Europe/Berlin")).toBe("2027-03-29 09:00");
    expect(parseLocal("2027-03-26T15:00", "America/New_York")).toBe(Date.UTC(2027, 2, 26, 19, 0));
    expect(parseLocal("next friday", "UTC")).toBeNull();
  });
});

describe("ticks", () => {
  it("fall on local midnights across a change", () => {
    const days = ticks(Date.UTC(2027, 2, 27, 0), Date.UTC(2027, 2, 30, 0), DAY, "Europe/Berlin");
    expect(days).toEqual([Date.UTC(2027, 2, 27, 23), Date.UTC(2027, 2, 28, 22), Date.UTC(2027, 2, 29, 22)]);
  });

  it("snap to 15 minutes", () => {
    expect(snap(Date.UTC(2027, 0, 1, 9, 7))).toBe(Date.UTC(2027, 0, 1, 9, 0));
    expect(snap(Date.UTC(2027, 0, 1, 9, 8))).toBe(Date.UTC(2027, 0, 1, 9, 15));
  });
});

describe("packing", () => {
  it("puts overlapping spans on separate rows and caps the rows", () => {
    const rows = pack(
      [
        { id: "a", start: 0, end: 10 },
        { id: "b", start: 5, end: 15 },
        { id: "c", start: 10, end: 20 },
        { id: "d", start: 6, end: 8 },
      ],
      2,
    );
    expect(rows.get("a")).toBe(0);
    expect(rows.get("b")).toBe(1);
    expect(rows.get("c")).toBe(0);
    expect(rows.get("d")).toBe(1);
  });
});
