import { afterEach, describe, expect, it, vi } from "vitest";
import type { LogLine, LogPage, Run, StepRecord } from "./bindings";

// The database side of a run's log: what `runLog` would return.
const stored: LogLine[] = [];
vi.mock("./bindings", () => ({
  commands: {
    runLog: async (_runId: string, afterSeq: number, limit: number): Promise<LogPage> => {
      const lines = stored.filter((l) => l.seq > afterSeq).slice(0, limit);
      return { lines, total: stored.length, cut: 0 };
    },
  },
}));

const { RunLog, HEAD, TAIL, duration, applyEvent, logCutText } = await import("./deploys.svelte");

const line = (seq: number): LogLine => ({ seq, stream: "out", text: `line ${seq}` });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i));

afterEach(() => {
  stored.length = 0;
});

describe("a run's log in the window", () => {
  it("takes lines in order once, ignoring repeats", () => {
    const log = new RunLog("r");
    expect(log.add(range(1, 3))).toBe(true);
    expect(log.add(range(2, 5))).toBe(true);
    expect([...log.head, ...log.tail].map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(log.lastSeq).toBe(5);
  });

  it("keeps the head and the tail of a long log, counting what it leaves out", () => {
    const log = new RunLog("r");
    const total = HEAD + TAIL + 12_345;
    for (let from = 1; from <= total; from += 1000) log.add(range(from, Math.min(total, from + 999)));
    expect(log.head).toHaveLength(HEAD);
    expect(log.tail).toHaveLength(TAIL);
    expect(log.head[0].seq).toBe(1);
    expect(log.tail.at(-1)!.seq).toBe(total);
    expect(log.hidden).toBe(12_345);
  });

  it("skips a flood's middle rather than reading it all back", () => {
    const log = new RunLog("r");
    log.add(range(1, HEAD + 10));
    expect(log.add(range(50_001, 50_010))).toBe(true);
    expect(log.hidden).toBe(50_000 - HEAD - 10);
    expect(log.lastSeq).toBe(50_010);
  });

  it("fills a gap from the database", async () => {
    stored.push(...range(1, 10));
    const log = new RunLog("r");
    log.add(range(1, 2));
    // Lines 3 to 7 were dropped on the way: the next batch starts at 8.
    expect(log.add(range(8, 10))).toBe(false);
    await log.catchUp();
    expect([...log.head, ...log.tail].map((l) => l.seq)).toEqual(range(1, 10).map((l) => l.seq));
  });

  it("reads a run started elsewhere from the database, across a cut", async () => {
    stored.push(...range(1, 3), ...range(50, 52));
    const log = new RunLog("r");
    await log.catchUp();
    expect([...log.head, ...log.tail].map((l) => l.seq)).toEqual([1, 2, 3, 50, 51, 52]);
    expect(log.hidden).toBe(46);
  });
});

describe("durations", () => {
  it("reads as a person would say them", () => {
    const t = "2026-11-28T10:00:00Z";
    expect(duration(t, "2026-11-28T10:00:42Z")).toBe("42 s");
    expect(duration(t, "2026-11-28T10:01:14Z")).toBe("1 min 14 s");
    expect(duration(t, "2026-11-28T12:05:00Z")).toBe("2 h 5 min");
  });
});

describe("a run followed by its events", () => {
  const step = (name: string, state: StepRecord["state"]): StepRecord => ({ name, state, startedAt: null, endedAt: null, durationMs: null, detail: "" });
  const run = {
    id: "r1",
    state: "running",
    steps: [step("Deploy", "pending"), step("Smoke: health", "pending")],
    checks: [],
  } as unknown as Run;

  it("moves its steps, adds its checks and ends as recorded, ignoring other runs' events", () => {
    let r = applyEvent(run, { type: "step", runId: "r1", index: 0, step: step("Deploy", "running") });
    expect(r.steps.map((s) => s.state)).toEqual(["running", "pending"]);
    expect(run.steps[0].state).toBe("pending");
    r = applyEvent(r, { type: "step", runId: "other", index: 1, step: step("x", "failed") });
    expect(r.steps[1].state).toBe("pending");
    const check = { name: "health", passed: true, attempts: 1, elapsedMs: 5, status: 200, latencyMs: 5, detail: "200 OK" };
    r = applyEvent(r, { type: "check", runId: "r1", result: check });
    r = applyEvent(r, { type: "check", runId: "r1", result: check });
    expect(r.checks).toHaveLength(1);
    const ended = { ...r, state: "succeeded", outcome: "verified" } as Run;
    expect(applyEvent(r, { type: "ended", run: ended }).state).toBe("succeeded");
    expect(applyEvent(r, { type: "ended", run: { ...ended, id: "r2" } }).state).toBe("running");
  });

  it("says what a long log shows and where the rest is", () => {
    expect(logCutText(100, 300, 1_000_000)).toBe("Showing the first 100 and newest 300 lines; all 1,000,000 are kept: search or download the log.");
  });
});
