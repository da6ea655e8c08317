import { describe, expect, it } from "vitest";
import type { EnvironmentHealth, SparkBucket } from "./bindings";
import { sparkPoints, withHealth } from "./monitor_board.svelte";

function health(environmentId: string, checkedAt: string | null, state: EnvironmentHealth["state"]): EnvironmentHealth {
  return { environmentId, state, words: state, checkedAt, status: null, latencyMs: null, lastFailure: null, sparkline: [] };
}

describe("withHealth", () => {
  it("puts in fresh health, never an older check over a newer one", () => {
    const envs = [
      { id: "a", health: health("a", "2026-12-07T09:00:00Z", "up") },
      { id: "b", health: health("b", "2026-12-07T09:05:00Z", "up") },
      { id: "c", health: health("c", null, "unchecked") },
    ];
    const out = withHealth(envs, [health("a", "2026-12-07T09:01:00Z", "down"), health("b", "2026-12-07T09:04:00Z", "down"), health("c", "2026-12-07T09:01:00Z", "slow")]);
    expect(out.map((e) => e.health.state)).toEqual(["down", "up", "slow"]);
  });
});

describe("sparkPoints", () => {
  it("scales latency to the day's slowest hour and marks failed hours", () => {
    const b = (latencyMs: number | null, failures = 0): SparkBucket => ({ start: "", samples: 1, failures, latencyMs });
    const points = sparkPoints([b(50), b(null, 2), b(200)]);
    expect(points.map((p) => [p.x, p.y, p.failed])).toEqual([
      [0, 0.25, false],
      [0.5, null, true],
      [1, 1, false],
    ]);
  });
});
