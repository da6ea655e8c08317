// The status board: every project's environments, one project's board and
// its release × environment matrix, and the health poll that runs while a
// board is shown.

import { onDestroy, onMount } from "svelte";
import {
  commands,
  type BoardEnvironment,
  type EnvironmentHealth,
  type HealthState,
  type Matrix,
  type ProjectBoard,
  type ProjectSummary,
  type RunState,
  type SparkBucket,
} from "./bindings";
import { call } from "./ipc";
import { reportError } from "./notices.svelte";

export type { BoardEnvironment, EnvironmentHealth, HealthState, Matrix, ProjectBoard, ProjectSummary, SparkBucket };

/** How often the board checks health while it is open. */
export const HEALTH_EVERY_MS = 60_000;

export const board = {
  all: (): Promise<ProjectSummary[]> => call(() => commands.statusBoard()),
  project: (projectId: string): Promise<ProjectBoard> => call(() => commands.projectBoard(projectId)),
  matrix: (projectId: string): Promise<Matrix> => call(() => commands.releaseMatrix(projectId, null)),
  checkHealth: (projectIds: string[]): Promise<EnvironmentHealth[]> => call(() => commands.checkHealth(projectIds)),
};

export const HEALTH_LABEL: Record<HealthState, string> = {
  up: "up",
  slow: "slow",
  down: "down",
  unchecked: "not checked",
  noUrl: "no health URL",
};

/** A run's outcome on the board, short. */
export const OUTCOME_LABEL: Record<RunState, string> = {
  running: "running",
  succeeded: "verified",
  failed: "failed",
  failedVerification: "failed verification",
  cancelled: "cancelled",
  timedOut: "timed out",
  interrupted: "interrupted",
};

/**
 * Checks the health of `projectIds()` now and then every
 * {@link HEALTH_EVERY_MS} while the component that calls this is shown
 * (it stops when the page is left), handing each fresh result to `fresh`.
 * One check at a time: a slow round is not overlapped by the next; one
 * asked for meanwhile runs once it ends.
 */
export function pollHealth(projectIds: () => string[], fresh: (health: EnvironmentHealth[]) => void): { now: () => Promise<void>; readonly checking: boolean } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running: Promise<void> | null = null;
  const state = $state({ checking: false });

  let queued: Promise<void> | null = null;

  function check(): Promise<void> {
    // Asked while a check runs (say the page's first one): one more after
    // it, so a "Check now" always sees the service as it is now.
    if (running) {
      queued ??= running.then(() => {
        queued = null;
        return check();
      });
      return queued;
    }
    const ids = projectIds();
    state.checking = ids.length > 0;
    running = (ids.length ? board.checkHealth(ids).then((h) => { if (!stopped) fresh(h); }) : Promise.resolve())
      .catch(reportError)
      .finally(() => {
        running = null;
        state.checking = false;
      });
    return running;
  }

  function loop() {
    timer = setTimeout(async () => {
      await check();
      if (!stopped) loop();
    }, HEALTH_EVERY_MS);
  }

  onMount(() => {
    void check().then(() => {
      if (!stopped) loop();
    });
  });
  onDestroy(() => {
    stopped = true;
    clearTimeout(timer);
  });
  return {
    now: check,
    /** A check is going on (shown on "Check health now"). */
    get checking() {
      return state.checking;
    },
  };
}

/** The board's environments with fresh health put in, where it is newer than what they show. */
export function withHealth<T extends { id: string; health: EnvironmentHealth }>(envs: T[], health: EnvironmentHealth[]): T[] {
  const by = new Map(health.map((h) => [h.environmentId, h]));
  return envs.map((e) => {
    const h = by.get(e.id);
    return h && (h.checkedAt ?? "") >= (e.health.checkedAt ?? "") ? { ...e, health: h } : e;
  });
}

/**
 * The sparkline's points: one per hour with samples, x from 0 to 1 along
 * the 24 hours, y from 0 (fastest) to 1 (slowest of the day); hours with a
 * failure are marked apart.
 */
export function sparkPoints(buckets: SparkBucket[]): { x: number; y: number | null; failed: boolean; bucket: SparkBucket }[] {
  const latencies = buckets.map((b) => b.latencyMs).filter((v): v is number => v !== null);
  const max = Math.max(1, ...latencies);
  const n = Math.max(1, buckets.length - 1);
  return buckets.map((b, i) => ({ x: i / n, y: b.latencyMs === null ? null : b.latencyMs / max, failed: b.failures > 0, bucket: b }));
}
