import { describe, expect, it } from "vitest";
import { axis, DAY, formatLocal, group, HOUR, LabelRow, loadColour, groupSuggestions, pack, parseLocal, RELEASE_LOOK, releaseNote, snap, splitReasons, tickStep, ticks, widen, worstRunState, zoneOffset } from "./timeline";

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

describe("the axis", () => {
  const berlin = "Europe/Berlin";
  it("labels hours under their days", () => {
    const from = Date.UTC(2026, 11, 10, 20, 0); // Thu 21:00 Berlin
    const a = axis(from, from + 12 * HOUR, (12 * HOUR) / 900, berlin);
    expect(a.step).toBeLessThan(DAY);
    expect(a.ticks.every((t) => /^\d\d:\d\d$/.test(t.label))).toBe(true);
    expect(a.context.map((c) => c.label)).toEqual(["Thu 10 Dec", "Fri 11 Dec"]);
    expect(a.context[1].t).toBe(Date.UTC(2026, 11, 10, 23, 0));
  });

  it("labels days with their weekday, shorter when there is little room", () => {
    const from = Date.UTC(2026, 10, 28, 0, 0);
    const roomy = axis(from, from + 10 * DAY, (10 * DAY) / 900, berlin);
    expect(roomy.step).toBe(DAY);
    expect(roomy.ticks[0].label).toBe("Sun 29 Nov");
    expect(roomy.context.map((c) => c.label)).toEqual(["November 2026", "December 2026"]);
    const tight = axis(from, from + 15 * DAY, (15 * DAY) / 850, berlin);
    expect(tight.step).toBe(DAY);
    expect(tight.ticks[0].label).toBe("Sun 29");
    // Three weeks on the same width: a tick each Monday.
    const weeks = axis(from, from + 21 * DAY, (21 * DAY) / 850, berlin);
    expect(weeks.step).toBe(7 * DAY);
    expect(weeks.ticks.map((t) => t.label)).toEqual(["Mon 30 Nov", "Mon 7 Dec", "Mon 14 Dec"]);
  });

  it("labels months under their years", () => {
    const from = Date.UTC(2026, 9, 15);
    const a = axis(from, from + 120 * DAY, (400 * DAY) / 900, "UTC");
    expect(a.step).toBe(30 * DAY);
    expect(a.ticks.map((t) => t.label)).toEqual(["Nov", "Dec", "Jan", "Feb"]);
    expect(a.context.map((c) => c.label)).toEqual(["2026", "2027"]);
  });

  it("leaves room for each kind of label", () => {
    expect(tickStep(HOUR / 60)).toBe(HOUR);
    expect(tickStep(DAY / 56)).toBe(DAY);
    // 50 px a day is too little for "Wed 16" and the room around it: weeks.
    expect(tickStep(DAY / 50)).toBe(7 * DAY);
    expect(tickStep(DAY / 40)).toBe(7 * DAY);
  });
});

describe("labels", () => {
  it("go inside an item when they fit, beside it when it is narrow, and never on top of each other", () => {
    const row = new LabelRow(150, 1000);
    // A wide bar: inside.
    expect(row.place(200, 400, 80)).toEqual({ x: 204, max: 192, inside: true });
    // A 4 px block: beside it, up to the next item.
    expect(row.place(500, 504, 120, 600)).toEqual({ x: 508, max: 88, inside: false });
    // The next narrow block right after: its label starts after the last one.
    const spot = row.place(600, 604, 100);
    expect(spot?.inside).toBe(false);
    expect(spot!.x).toBeGreaterThanOrEqual(508 + 88);
    // No room left before the next item: left out.
    expect(row.place(720, 724, 100, 740)).toBeNull();
  });

  it("go left of a narrow item at the right edge", () => {
    const row = new LabelRow(150, 1000);
    expect(row.place(300, 340, 30)).toEqual({ x: 304, max: 32, inside: true });
    // 30 px of room on the right, 600 on the left: the label goes left, after the last item.
    expect(row.place(966, 976, 200)).toEqual({ x: 762, max: 616, inside: false });
    // With no room either side it is left out.
    expect(new LabelRow(150, 1000).place(150, 160, 100, 170)).toBeNull();
  });

  it("shorten a label inside a wide item rather than spill it", () => {
    const row = new LabelRow(150, 1000);
    expect(row.place(100, 240, 300)).toEqual({ x: 154, max: 82, inside: true });
  });

  it("shade load from quiet to peak", () => {
    expect(loadColour(0)).toBe("rgba(208, 138, 18, 0.100)");
    expect(loadColour(1)).toBe("rgba(208, 138, 18, 0.950)");
    expect(loadColour(7)).toBe(loadColour(1));
  });
});

describe("suggestions", () => {
  it("say what they share once and what sets each apart", () => {
    const { shared, own } = splitReasons([
      ["no freeze", "load 6% of the weekly peak", "Omar at work and free"],
      ["no freeze", "load 9% of the weekly peak", "Omar at work and free"],
      ["no freeze", "load 6% of the weekly peak", "Omar at work and free"],
    ]);
    expect(shared).toEqual(["no freeze", "Omar at work and free"]);
    expect(own).toEqual([["load 6% of the weekly peak"], ["load 9% of the weekly peak"], ["load 6% of the weekly peak"]]);
    expect(splitReasons([["no freeze"]])).toEqual({ shared: [], own: [["no freeze"]] });
  });

  it("that differ only by their day are one entry with the other days", () => {
    const at = (day: number, h: number, score: number, reasons = ["no freeze", "load 6% of the weekly peak"]) => ({
      start: new Date(Date.UTC(2026, 11, day, h - 1)).toISOString(),
      end: new Date(Date.UTC(2026, 11, day, h, 30)).toISOString(),
      score,
      reasons,
    });
    const list = [at(1, 11, 96.9), at(2, 11, 96.9), at(2, 15, 96.9), at(3, 11, 96.9), at(4, 11, 94, ["no freeze", "load 12% of the weekly peak"])];
    expect(groupSuggestions(list, "Europe/Berlin")).toEqual([
      { first: 0, sameTime: [1, 3] },
      { first: 2, sameTime: [] },
      { first: 4, sameTime: [] },
    ]);
    // 11:00 in Berlin is 05:00 in New York on each of those days too: still one entry.
    expect(groupSuggestions(list, "America/New_York")[0]).toEqual({ first: 0, sameTime: [1, 3] });
  });
});

describe("bars and runs", () => {
  it("are at least wide enough for their label, about the middle of their window", () => {
    // A 90-minute window 4 px wide, a version 30 px wide with 5 px either side.
    expect(widen(500, 504, 40)).toEqual({ x0: 482, x1: 522 });
    // A wide window keeps its own edges.
    expect(widen(100, 300, 40)).toEqual({ x0: 100, x1: 300 });
  });

  it("that would touch in a row are one group, wide enough for its count", () => {
    const item = (id: string, x0: number, w = 6) => ({ x0, x1: x0 + w, item: id });
    const countPx = (n: number) => 40 + n;
    // Five runs in eleven minutes at Hours zoom (40 s a pixel): 4 px apart.
    const five = [0, 4, 8, 12, 16].map((dx, i) => item(`run${i}`, 300 + dx));
    const groups = group([...five, item("later", 600)], 3, countPx);
    expect(groups.map((g) => g.items)).toEqual([["run0", "run1", "run2", "run3", "run4"], ["later"]]);
    // The group reaches far enough for "5 runs"; a single run keeps its size.
    expect(groups[0]).toMatchObject({ x0: 300, x1: 345 });
    expect(groups[1]).toMatchObject({ x0: 600, x1: 606 });
  });

  it("join a group that its count made wide enough to reach them", () => {
    const countPx = () => 50;
    const items = [
      { x0: 100, x1: 106, item: "a" },
      { x0: 108, x1: 114, item: "b" },
      // 30 px after b: apart from b, but inside the 50 px that "2 runs" needs.
      { x0: 144, x1: 150, item: "c" },
      { x0: 200, x1: 206, item: "d" },
    ];
    expect(group(items, 3, countPx).map((g) => g.items)).toEqual([["a", "b", "c"], ["d"]]);
  });

  it("sort what they are given and keep items apart that do not touch", () => {
    const groups = group(
      [
        { x0: 50, x1: 60, item: "second" },
        { x0: 10, x1: 20, item: "first" },
      ],
      3,
      () => 100,
    );
    expect(groups.map((g) => g.items)).toEqual([["first"], ["second"]]);
    expect(group([], 3, () => 0)).toEqual([]);
  });

  it("in a group take the colour of the run that most needs a look", () => {
    expect(worstRunState(["succeeded", "succeeded", "failedVerification", "succeeded", "succeeded"])).toBe("failedVerification");
    expect(worstRunState(["succeeded", "running"])).toBe("running");
    expect(worstRunState(["cancelled", "failed", "timedOut"])).toBe("failed");
    expect(worstRunState(["succeeded"])).toBe("succeeded");
  });

  it("of releases that are no plan any more look different, and say so", () => {
    expect(RELEASE_LOOK.planned).toBe("solid");
    expect(RELEASE_LOOK.released).toBe("done");
    expect(RELEASE_LOOK.rolledBack).toBe("hatched");
    expect(RELEASE_LOOK.cancelled).toBe("outline");
    expect(releaseNote("planned", 2, 40)).toBe("checklist 2/40");
    expect(releaseNote("draft", 0, 0)).toBe("no checklist");
    expect(releaseNote("rolledBack", 2, 40)).toBe("rolled back");
    expect(releaseNote("released", 40, 40)).toBe("released");
  });
});
