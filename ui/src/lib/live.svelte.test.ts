import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BackgroundProblem, DataChanged } from "./bindings";
import { Live, whenChanged, type Change, type EventSource } from "./live.svelte";
import { notices } from "./notices.svelte";

const WINDOW = 100;

/** A stand-in for the backend's events: the test emits them by hand. */
function fakeSource() {
  const handlers: {
    dataChanged?: (e: { payload: DataChanged }) => void;
    backgroundProblem?: (e: { payload: BackgroundProblem }) => void;
  } = {};
  const unlistened: string[] = [];
  const source: EventSource = {
    dataChanged: async (h) => {
      handlers.dataChanged = h;
      return () => unlistened.push("dataChanged");
    },
    backgroundProblem: async (h) => {
      handlers.backgroundProblem = h;
      return () => unlistened.push("backgroundProblem");
    },
  };
  return {
    source,
    unlistened,
    changed(changes: Change[], external = false) {
      handlers.dataChanged!({ payload: { changes, external } });
    },
    problem(message: string, detail: string | null = null) {
      handlers.backgroundProblem!({ payload: { message, detail } });
    },
  };
}

const change = (kind: Change["kind"], projectId: string | null = "p1"): Change => ({ kind, projectId, id: "x" });

describe("live revisions", () => {
  let live: Live;
  let events: ReturnType<typeof fakeSource>;

  beforeEach(async () => {
    vi.useFakeTimers();
    live = new Live(WINDOW);
    events = fakeSource();
    await live.start(events.source);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("bumps the revision of the kind that changed, and no other", () => {
    events.changed([change("release")]);
    expect(live.revision("release")).toBe(0); // not before the window ends
    vi.advanceTimersByTime(WINDOW);
    expect(live.revision("release")).toBe(1);
    expect(live.revision("release", "p1")).toBe(1);
    expect(live.revision("release", "p2")).toBe(0);
    expect(live.revision("person")).toBe(0);
    expect(live.revision("person", "p1")).toBe(0);
    expect(live.revision()).toBe(1);
  });

  it("counts a change without a project for every project", () => {
    events.changed([change("template", null)]);
    vi.advanceTimersByTime(WINDOW);
    expect(live.revision("template")).toBe(1);
    expect(live.revision("template", "p1")).toBe(1);
    expect(live.revision("template", "p2")).toBe(1);
    expect(live.revision("release", "p1")).toBe(0);
  });

  it("bumps every kind in every project when anything may have changed", () => {
    events.changed([change("any", null)], true);
    vi.advanceTimersByTime(WINDOW);
    for (const kind of ["project", "environment", "credential", "person", "release", "checklist", "template", "audit", "calendar", "load", "availability"] as const) {
      expect(live.revision(kind)).toBe(1);
      expect(live.revision(kind, "p1")).toBe(1);
      expect(live.revision(kind, "another")).toBe(1);
    }
  });

  it("gives one bump per debounce window for a burst", () => {
    for (let i = 0; i < 5; i++) {
      events.changed([change("checklist"), change("checklist"), change("audit")]);
      vi.advanceTimersByTime(WINDOW / 5 - 1);
    }
    vi.advanceTimersByTime(WINDOW);
    expect(live.revision("checklist", "p1")).toBe(1);
    expect(live.revision("audit", "p1")).toBe(1);
    expect(live.revision()).toBe(1);

    // The next burst, in a later window, is one more bump.
    events.changed([change("checklist")]);
    events.changed([change("checklist")]);
    vi.advanceTimersByTime(WINDOW);
    expect(live.revision("checklist", "p1")).toBe(2);
    expect(live.revision("audit", "p1")).toBe(1);
  });

  it("runs a page's refresh once per burst of relevant changes, and not at the start", () => {
    const refresh = vi.fn();
    const stop = $effect.root(() => whenChanged(["release", "checklist"], "p1", refresh, live));
    flushSync();
    expect(refresh).not.toHaveBeenCalled();

    events.changed([change("release"), change("checklist")]);
    events.changed([change("release")]);
    vi.advanceTimersByTime(WINDOW);
    flushSync();
    expect(refresh).toHaveBeenCalledTimes(1);

    // Another kind, or another project: nothing to do.
    events.changed([change("person"), change("release", "p2")]);
    vi.advanceTimersByTime(WINDOW);
    flushSync();
    expect(refresh).toHaveBeenCalledTimes(1);
    stop();
  });

  it("shows a background problem as an error notice", () => {
    events.problem("The daily backup could not be written: disk full.", "No space left on device (os error 28)");
    expect(notices.list.at(-1)).toMatchObject({
      kind: "error",
      message: "The daily backup could not be written: disk full.",
      detail: "No space left on device (os error 28)",
    });
  });

  it("stops listening", async () => {
    const other = new Live(WINDOW);
    const source = fakeSource();
    const stop = await other.start(source.source);
    stop();
    expect(source.unlistened.sort()).toEqual(["backgroundProblem", "dataChanged"]);
  });
});
