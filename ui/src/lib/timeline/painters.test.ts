import { describe, expect, it } from "vitest";
import type { AnnouncementSend, Run, TimelineRelease, WindowOccurrence } from "../bindings";
import { LANE_COLOURS, loadColour, MINUTE, RELEASE_COLOURS } from "../timeline";
import { paintAnnouncements, sendsInOrder } from "./announcements";
import { availability, paintAvailability } from "./availability";
import { paintAxis, paintNow } from "./axis";
import { fakeFrame } from "./fakeContext";
import { freezeBands, paintFreezes } from "./freezes";
import { AXIS, FONT, GUTTER, lanes, ROW } from "./geometry";
import { paintGutter } from "./gutter";
import { paintLoad } from "./load";
import { paintReleases, releaseBars, type ReleasesPaint } from "./releases";
import { paintRuns, runBars } from "./runs";
import { paintSchedules, SCHEDULE_COLOUR } from "./schedules";

// The view: one minute a pixel from T0, 1000 px wide, so 850 minutes after the gutter.
const T0 = Date.UTC(2027, 2, 1, 6, 0);
const at = (minutes: number) => new Date(T0 + minutes * MINUTE).toISOString();
const xAt = (minutes: number) => GUTTER + minutes;
const view = () => fakeFrame(T0, MINUTE);

function window(kind: "freeze" | "maintenance", from: number, to: number, name = "Quarter close"): WindowOccurrence {
  return { windowId: name, kind, name, reason: "", environmentIds: [], scoped: false, start: at(from), end: at(to) } as WindowOccurrence;
}

function release(id: string, from: number | null, to: number | null, more: Partial<TimelineRelease> = {}): TimelineRelease {
  return {
    id,
    version: id,
    name: "Spring",
    state: "planned",
    targetDate: null,
    windowStart: from === null ? null : at(from),
    windowEnd: to === null ? null : at(to),
    environmentId: null,
    items: 4,
    complete: 1,
    ...more,
  };
}

function run(id: string, from: number, to: number | null, state: Run["state"] = "succeeded"): Run {
  return { id, version: "2.4.0", environmentName: "production", kind: "deploy", startedAt: at(from), endedAt: to === null ? null : at(to), state } as Run;
}

function send(minutes: number, kind: "send" | "export", sent: number, version = "2.4.0"): AnnouncementSend {
  return { id: `${minutes}`, version, kind, sent, startedAt: at(minutes) } as AnnouncementSend;
}

function releasesPaint(list: TimelineRelease[], more: Partial<ReleasesPaint> = {}): ReleasesPaint {
  const { bars, byEnd } = releaseBars(list);
  return { bars, byEnd, selectedId: null, conflicts: 0, dragWindow: null, hatch: (c) => c, ...more };
}

describe("geometry", () => {
  it("stacks the lanes under the axis, the people's as tall as their rows", () => {
    const one = lanes(1, 1);
    expect(one.releases).toBe(AXIS + 6);
    expect(one.freezes).toBe(one.releases + ROW + 8);
    const three = lanes(1, 3);
    expect(three.deploys - one.deploys).toBe(2 * ROW);
    // No people still keeps a row for "No people yet".
    expect(lanes(1, 0)).toEqual(one);
  });

  it("turns instants into pixels and back, and shortens text to the room there is", () => {
    const { f } = view();
    expect(f.x(T0 + 30 * MINUTE)).toBe(xAt(30));
    expect(f.tAt(xAt(30))).toBe(T0 + 30 * MINUTE);
    expect(f.to).toBe(T0 + 850 * MINUTE);
    expect(f.clip("Quarter close", 1000)).toBe("Quarter close");
    expect(f.clip("Quarter close", 48)).toBe("Quarter…");
    expect(f.clip("Quarter close", 5)).toBe("");
    expect(f.fit(["Spring · checklist 1/4", "checklist 1/4", "1/4"], 90)).toBe("checklist 1/4");
  });
});

describe("the freezes lane", () => {
  it("paints a freeze across the whole view as one band in its lane and one wash down every lane", () => {
    const { f, ctx } = view();
    paintFreezes(f, freezeBands([window("freeze", -600, 2000)]));
    const rects = ctx.of("fillRect");
    expect(rects).toHaveLength(2);
    const [wash, band] = rects;
    expect(wash.fill).toBe(LANE_COLOURS.freezeWash);
    expect(wash.args).toEqual([GUTTER, AXIS, 1000 - GUTTER, f.lanes.height - AXIS]);
    expect(band.fill).toBe(LANE_COLOURS.freeze);
    expect(band.args).toEqual([GUTTER, f.lanes.freezes + 3, 1000 - GUTTER, ROW - 6]);
    // Its name inside, in white.
    expect(ctx.of("fillText")).toMatchObject([{ text: "Quarter close", fill: "#fff" }]);
  });

  it("paints maintenance in its own colour, a narrow one still 2 px wide with its name beside it", () => {
    const { f, ctx } = view();
    paintFreezes(f, freezeBands([window("maintenance", 100, 101, "DB")]));
    const [, band] = ctx.of("fillRect");
    expect(band.fill).toBe(LANE_COLOURS.maintenance);
    expect(band.args[0]).toBe(xAt(100));
    expect(band.args[2]).toBe(2);
    expect(ctx.of("fillText")).toMatchObject([{ text: "DB", fill: "muted" }]);
  });

  it("paints nothing without windows in view", () => {
    const { f, ctx } = view();
    paintFreezes(f, freezeBands([]));
    paintFreezes(f, freezeBands([window("freeze", -300, -10), window("freeze", 900, 1000)]));
    expect(ctx.painted).toEqual([]);
  });
});

describe("the load lane", () => {
  it("paints each bucket in view in the colour of its share of the peak", () => {
    const { f, ctx } = view();
    // Five buckets of 300 minutes from 150 minutes before the view; the last is past it.
    const load = [{ max: 10, mean: 5 }, null, { max: 40, mean: 20 }, { max: 20, mean: 10 }, { max: 40, mean: 1 }];
    paintLoad(f, { load, loadPeak: 40 }, T0 - 150 * MINUTE, T0 + 1350 * MINUTE);
    const rects = ctx.of("fillRect");
    expect(rects.map((r) => r.fill)).toEqual([loadColour(0.25), loadColour(1), loadColour(0.5)]);
    // The first starts before the view: it starts at the gutter.
    expect(rects[0].args[0]).toBe(GUTTER);
    expect(rects[1].args).toEqual([xAt(450), f.lanes.load + 3, 300.5, ROW - 6]);
  });

  it("paints nothing without load, or with a peak of nothing", () => {
    const { f, ctx } = view();
    paintLoad(f, { load: [], loadPeak: null }, T0, T0 + 900 * MINUTE);
    paintLoad(f, { load: [{ max: 0, mean: 0 }], loadPeak: 0 }, T0, T0 + 900 * MINUTE);
    expect(ctx.painted).toEqual([]);
  });
});

describe("the people lane", () => {
  const data = {
    people: [{ id: "p1", name: "Priya", role: "lead" as const, timeZone: "UTC" }, { id: "p2", name: "Omar", role: "developer" as const, timeZone: "UTC" }],
    work: [{ personId: "p2", start: at(60), end: at(540) }],
    busy: [{ personId: "p2", start: at(120), end: at(180), summary: "Dentist" }],
  } as unknown as Parameters<typeof availability>[0];

  it("paints working hours as a band in the person's row and busy time as a thinner red bar", () => {
    const { rows, blocks } = availability(data);
    expect(rows.map((r) => r.label)).toEqual(["Priya", "Omar"]);
    const { f, ctx } = fakeFrame(T0, MINUTE, 1000, 2);
    paintAvailability(f, blocks);
    const [busy, work] = ctx.of("fillRect");
    const row = f.lanes.people + ROW;
    expect(busy).toMatchObject({ fill: LANE_COLOURS.busy, args: [xAt(120), row + 5, 60, ROW - 10] });
    expect(work).toMatchObject({ fill: LANE_COLOURS.work, args: [xAt(60), row + 2, 480, ROW - 4] });
  });

  it("paints nothing for time out of view or no one", () => {
    const { blocks } = availability(data);
    const { f, ctx } = fakeFrame(T0 + 2000 * MINUTE, MINUTE);
    paintAvailability(f, blocks);
    paintAvailability(f, availability({ people: [], work: [], busy: [] } as unknown as Parameters<typeof availability>[0]).blocks);
    expect(ctx.painted).toEqual([]);
  });
});

describe("the releases lane", () => {
  it("paints a planned release over its window, its progress along the bottom and its label inside", () => {
    const { f, ctx } = view();
    const { drawn, labelHits } = paintReleases(f, releasesPaint([release("2.4.0", 100, 400)]));
    const [bar, progress] = ctx.of("fillRect");
    const y = f.lanes.releases + 2;
    expect(bar).toMatchObject({ fill: RELEASE_COLOURS.planned, args: [xAt(100), y, 300, ROW - 4] });
    expect(progress.args).toEqual([xAt(100), y + ROW - 8, 75, 4]);
    expect(ctx.texts()).toEqual(["2.4.0 Spring · checklist 1/4"]);
    expect(drawn).toEqual([{ row: 0, x0: xAt(100), x1: xAt(400), bars: [expect.objectContaining({ id: "2.4.0" })] }]);
    expect(labelHits).toEqual([{ id: "2.4.0", row: 0, x0: xAt(100), x1: xAt(400) }]);
  });

  it("frames the selected release in red with its conflicts counted before its version", () => {
    const { f, ctx } = view();
    paintReleases(f, releasesPaint([release("2.4.0", 100, 130)], { selectedId: "2.4.0", conflicts: 2 }));
    expect(ctx.of("strokeRect")).toMatchObject([{ stroke: "danger" }]);
    expect(ctx.texts()[0]).toBe("⚠ 2 · 2.4.0");
    // The rest beside it, in red.
    expect(ctx.of("fillText")[1]).toMatchObject({ fill: "danger" });
  });

  it("paints releases that would touch as one block with their count", () => {
    const { f, ctx } = view();
    const { drawn } = paintReleases(f, releasesPaint([release("2.4.0", 100, 102), release("2.4.1", 104, 106), release("2.5.0", 600, 700)]));
    expect(drawn.map((d) => d.bars.length).sort()).toEqual([1, 2]);
    expect(ctx.of("fillRect").filter((r) => r.fill === LANE_COLOURS.group)).toHaveLength(1);
    expect(ctx.texts()).toContain("2 releases");
  });

  it("paints a rolled-back release hatched and a cancelled one as an outline", () => {
    const { f, ctx } = view();
    paintReleases(f, releasesPaint([release("1.0", 100, 300, { state: "rolledBack" }), release("0.9", 400, 600, { state: "cancelled" })], { hatch: () => "stripes" }));
    expect(ctx.of("fillRect").map((r) => r.fill)).toEqual(["surface", "stripes", "surface"]);
    expect(ctx.of("strokeRect").map((r) => r.stroke)).toEqual([RELEASE_COLOURS.rolledBack, RELEASE_COLOURS.cancelled]);
  });

  it("paints nothing when no release has a window in view", () => {
    const { f, ctx } = view();
    const { drawn } = paintReleases(f, releasesPaint([release("2.4.0", null, null), release("2.3.0", -900, -600)]));
    expect(drawn).toEqual([]);
    expect(ctx.painted).toEqual([]);
  });
});

describe("the deploy runs lane", () => {
  it("paints a running run up to now, at least 6 px wide, with its label", () => {
    const { f, ctx } = view();
    const now = T0 + 300 * MINUTE;
    const drawn = paintRuns(f, runBars([run("r1", 100, null, "running")], now), now);
    expect(drawn).toHaveLength(1);
    expect(ctx.of("fillRect")[0].args).toEqual([xAt(100), f.lanes.deploys + 3, 200, ROW - 6]);
    expect(ctx.texts()).toEqual(["2.4.0 → production"]);
  });

  it("paints runs seconds apart as one block coloured by the one that needs a look most", () => {
    const { f, ctx } = view();
    const bars = runBars([run("a", 100, 101), run("b", 102, 103, "failed"), run("c", 104, 105)], T0);
    const drawn = paintRuns(f, bars, T0);
    expect(drawn).toHaveLength(1);
    expect(drawn[0].items.map((r) => r.id)).toEqual(["a", "b", "c"]);
    expect(ctx.of("fillRect")[0].fill).toBe("#c62f3b");
    expect(ctx.texts()).toEqual(["3 runs"]);
  });

  it("paints nothing without runs in view", () => {
    const { f, ctx } = view();
    expect(paintRuns(f, [], T0)).toEqual([]);
    expect(paintRuns(f, runBars([run("old", -500, -400)], T0), T0)).toEqual([]);
    expect(ctx.painted).toEqual([]);
  });
});

describe("the announcements lane", () => {
  it("paints sends of one version close together as one dot with one label", () => {
    const { f, ctx } = view();
    const shown = paintAnnouncements(f, sendsInOrder([send(130, "export", 0), send(100, "send", 12), send(500, "send", 3, "2.5.0")]));
    expect(shown).toBe(3);
    expect(ctx.of("arc").map((a) => a.args[0])).toEqual([xAt(100), xAt(500)]);
    expect(ctx.texts()).toEqual(["2.4.0: 12 sent, exported", "2.5.0: 3 sent"]);
  });

  it("paints nothing when none went out in view", () => {
    const { f, ctx } = view();
    expect(paintAnnouncements(f, [])).toBe(0);
    expect(paintAnnouncements(f, [send(-10, "send", 1)])).toBe(0);
    expect(ctx.painted).toEqual([]);
  });
});

describe("the axis", () => {
  it("labels the hours under their day, in the zone", () => {
    const { f, ctx } = view();
    paintAxis(f, "UTC");
    const texts = ctx.texts();
    expect(texts).toContain("07:00");
    expect(texts).toContain("Mon 1 Mar");
    // The day's name in bold, the font back to normal after.
    expect(ctx.of("fillText").find((t) => t.text === "Mon 1 Mar")?.font).toMatch(/^600/);
    expect(ctx.font).toBe(FONT);
  });

  it("draws now as a red line when it is in view, and nothing when not", () => {
    const { f, ctx } = view();
    paintNow(f, T0 - MINUTE);
    expect(ctx.painted).toEqual([]);
    paintNow(f, T0 + 60 * MINUTE);
    expect(ctx.of("moveTo")).toMatchObject([{ args: [xAt(60), AXIS - 14] }]);
    expect(ctx.of("stroke")).toMatchObject([{ stroke: "danger" }]);
  });
});

describe("the gutter", () => {
  it("names the lanes and the people, and says when a lane has nothing in view", () => {
    const { f, ctx } = view();
    paintGutter(f, { people: [{ label: "Priya" }], tz: "Europe/Berlin", runsShown: 0, sendsShown: 2 });
    const texts = ctx.texts();
    expect(texts).toEqual(expect.arrayContaining(["Releases", "Freezes", "Load", "Deploy runs", "Announcements", "Priya", "Europe/Berlin", "No deploy runs in view"]));
    expect(texts).not.toContain("No announcement went out in view");
    expect(texts).not.toContain("No people yet");
  });
});

describe("the scheduled deploys on the deploy runs lane", () => {
  const mark = (id: string, minutes: number, claimed = false) => ({ id, at: T0 + minutes * MINUTE, label: `${id} → staging`, text: "", claimed });

  it("flags each one in view at its time, filled once claimed, with its label", () => {
    const { f, ctx } = view();
    const shown = paintSchedules(f, [mark("2.4.0", -30), mark("2.4.1", 100), mark("2.4.2", 400, true), mark("2.5.0", 5000)]);
    expect(shown).toBe(2);
    const poles = ctx.of("moveTo").filter((p, i, all) => i === 0 || p.args[0] !== all[i - 1].args[0]);
    expect(poles.map((p) => p.args)).toEqual([
      [xAt(100) + 0.5, f.lanes.deploys + 3],
      [xAt(400) + 0.5, f.lanes.deploys + 3],
    ]);
    expect(ctx.of("fill").map((p) => p.fill)).toEqual([f.colours.surface, SCHEDULE_COLOUR]);
    expect(ctx.texts()).toEqual(["2.4.1 → staging (scheduled)", "2.4.2 → staging (scheduled)"]);
  });
});
