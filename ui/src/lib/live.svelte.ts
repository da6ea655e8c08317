// Live data. After every committed write (the user's own, a background
// task's, or another process's on the same database) the backend sends
// `dataChanged` with what changed. This module listens once, at start, and
// keeps a revision counter per kind of data; caches and pages read the
// counters in an effect (`whenChanged`) and fetch again when they move.
// Nothing re-reads "just in case": no event, no fetch.

import { untrack } from "svelte";
import { events, type BackgroundProblem, type Change, type ChangeKind, type DataChanged } from "./bindings";
import { reportError, showError } from "./notices.svelte";

export type { Change, ChangeKind };

/** Subscribes a handler; resolves to the function that unsubscribes it. */
export type Listen<T> = (handler: (event: { payload: T }) => void) => Promise<() => void>;
export type EventSource = {
  dataChanged: Listen<DataChanged>;
  backgroundProblem: Listen<BackgroundProblem>;
};

/** Changes arriving within this time of the first one make one bump. */
export const DEBOUNCE_MS = 100;

export class Live {
  // Counter keys: "all" (every batch), "any" (anything may have changed),
  // "k:<kind>" (any change of that kind), "u:<kind>" (that kind, no project
  // given), "p:<kind>:<projectId>" (that kind in that project).
  #counts = $state<Record<string, number>>({});
  #pending: Change[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly debounceMs = DEBOUNCE_MS) {}

  /**
   * A number that changes when data of `kind` changes (in `projectId`, when
   * given; a change without a project counts for every project). Without a
   * kind: changes on every batch. Reactive: read it in `$effect`/`$derived`.
   */
  revision(kind?: Exclude<ChangeKind, "any">, projectId?: string | null): number {
    const c = this.#counts;
    if (!kind) return c.all ?? 0;
    if (!projectId) return (c.any ?? 0) + (c[`k:${kind}`] ?? 0);
    return (c.any ?? 0) + (c[`u:${kind}`] ?? 0) + (c[`p:${kind}:${projectId}`] ?? 0);
  }

  /** Takes a batch of changes; they count once the debounce window ends. */
  receive(changes: Change[]): void {
    this.#pending.push(...changes);
    this.#timer ??= setTimeout(() => this.flush(), this.debounceMs);
  }

  /** Bumps every counter the pending changes touch, each once. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const changes = this.#pending;
    this.#pending = [];
    if (changes.length === 0) return;
    const keys = new Set(["all"]);
    for (const { kind, projectId } of changes) {
      if (kind === "any") {
        keys.add("any");
        continue;
      }
      keys.add(`k:${kind}`);
      keys.add(projectId ? `p:${kind}:${projectId}` : `u:${kind}`);
    }
    for (const key of keys) this.#counts[key] = (this.#counts[key] ?? 0) + 1;
  }

  /** Listens to the backend's events; resolves to the function that stops it. */
  async start(source: EventSource): Promise<() => void> {
    const stops = await Promise.all([
      source.dataChanged((e) => this.receive(e.payload.external && e.payload.changes.length === 0 ? [{ kind: "any", projectId: null, id: null }] : e.payload.changes)),
      source.backgroundProblem((e) => showError(e.payload.message, { detail: e.payload.detail })),
    ]);
    return () => {
      for (const stop of stops) stop();
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#pending = [];
    };
  }
}

export const live = new Live();

let started: Promise<() => void> | undefined;

/** Starts listening to the backend, once; call where the app starts. */
export function startLive(): Promise<() => void> {
  started ??= live
    .start({
      dataChanged: (handler) => events.dataChanged.listen(handler),
      backgroundProblem: (handler) => events.backgroundProblem.listen(handler),
    })
    .catch((e) => {
      started = undefined;
      reportError(e);
      return () => {};
    });
  return started;
}

/**
 * Runs `refresh` whenever data of one of `kinds` changes (in `projectId`,
 * when given), not at the start: the caller loads its data itself. Changes
 * that arrive while a refresh runs give one more refresh after it. Call it
 * while a component (or an `$effect.root`) is being set up.
 */
export function whenChanged(
  kinds: Exclude<ChangeKind, "any">[],
  projectId: string | null,
  refresh: () => unknown,
  counter: Live = live,
): void {
  let seen: number | undefined;
  let running = false;
  let again = false;

  async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await refresh();
      } while (again);
    } catch (e) {
      reportError(e);
    } finally {
      running = false;
    }
  }

  $effect(() => {
    let sum = 0;
    for (const kind of kinds) sum += counter.revision(kind, projectId);
    if (seen !== undefined && sum !== seen) untrack(run);
    seen = sum;
  });
}
