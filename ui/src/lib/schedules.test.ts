import { describe, expect, it, vi } from "vitest";
import type { Schedule } from "./bindings";

vi.mock("./bindings", () => ({ commands: {} }));
vi.mock("./live.svelte", () => ({ whenChanged: () => undefined }));

const { nextScheduled, startedBy, scheduleMarks, requestOf, proposedTime, scheduleInstant } = await import("./schedules.svelte");

const base: Schedule = {
  id: "s1",
  projectId: "p",
  environmentId: "staging",
  environmentName: "staging",
  releaseId: null,
  version: "1.0",
  buildRef: "",
  decisions: [],
  acceptWarnings: false,
  notBefore: "2026-12-08T06:00:00Z",
  expiresAt: "2026-12-08T07:00:00Z",
  why: "",
  state: "scheduled",
  stateReason: "",
  runId: null,
  createdBy: "Dana",
  createdAt: "2026-12-07T10:00:00Z",
};
const s = (over: Partial<Schedule>): Schedule => ({ ...base, ...over });

describe("scheduled deploys on the pages", () => {
  it("shows each environment's soonest deploy still to start, not ended ones", () => {
    const list = [
      s({ id: "late", notBefore: "2026-12-09T06:00:00Z" }),
      s({ id: "done", notBefore: "2026-12-07T06:00:00Z", state: "started", runId: "r1" }),
      s({ id: "gone", notBefore: "2026-12-07T07:00:00Z", state: "cancelled" }),
      s({ id: "soon", notBefore: "2026-12-08T05:00:00Z", state: "claimed" }),
      s({ id: "prod", environmentId: "production", notBefore: "2026-12-01T00:00:00Z" }),
    ];
    expect(nextScheduled(list, "staging")?.id).toBe("soon");
    expect(nextScheduled(list, "production")?.id).toBe("prod");
    expect(nextScheduled(list, "qa")).toBeNull();
  });

  it("knows which runs a schedule started", () => {
    const by = startedBy([s({ id: "a", state: "started", runId: "r1" }), s({ id: "b", state: "missed" }), s({ id: "c" })]);
    expect([...by.keys()]).toEqual(["r1"]);
    expect(by.get("r1")?.id).toBe("a");
  });

  it("marks the timeline with deploys still to start, by time, claimed ones filled", () => {
    const marks = scheduleMarks([
      s({ id: "b", notBefore: "2026-12-08T08:00:00Z", why: "Before the shop opens" }),
      s({ id: "a", notBefore: "2026-12-08T07:00:00Z", state: "claimed" }),
      s({ id: "x", state: "missed" }),
      s({ id: "bad", notBefore: "not a time" }),
    ]);
    expect(marks.map((m) => [m.id, m.claimed])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    expect(marks[1].text).toBe("1.0 → staging, scheduled by Dana: Before the shop opens");
  });

  it("fills the Deploy dialog with what a missed schedule asked for", () => {
    const d = { check: "freeze", decidedBy: "Dana", reason: "Hotfix for the close" };
    expect(requestOf(s({ releaseId: "rel", version: "2.0", buildRef: "v2.0", decisions: [d], acceptWarnings: true }))).toEqual({
      environmentId: "staging",
      releaseId: "rel",
      version: "2.0",
      buildRef: "v2.0",
      decisions: [d],
      acceptWarnings: true,
    });
  });
});

describe("the time a deploy is scheduled for", () => {
  it("is typed in the project's zone and stored in UTC", () => {
    expect(scheduleInstant("2026-12-08 06:00", "Europe/Berlin")).toBe("2026-12-08T05:00:00.000Z");
    expect(scheduleInstant("2026-07-08T06:00", "Europe/Berlin")).toBe("2026-07-08T04:00:00.000Z");
    expect(scheduleInstant("tomorrow", "UTC")).toBeNull();
  });

  it("is proposed at the next quarter hour at least five minutes ahead", () => {
    const now = Date.parse("2026-12-08T05:11:00Z");
    expect(proposedTime(now, "Europe/Berlin")).toBe("2026-12-08 06:30");
    expect(proposedTime(Date.parse("2026-12-08T05:05:00Z"), "UTC")).toBe("2026-12-08 05:15");
  });
});
