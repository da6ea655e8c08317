// Deploys: a run's live log, kept bounded, and its steps, checks and end,
// fed by the run's stream of events (the Channel of a run this window
// started) and, for runs started elsewhere (the command line, another
// Liftoff), read from the database as it grows.

import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type Decision,
  type DeployRequest,
  type LineBatch,
  type LogLine,
  type Run,
  type RunEvent,
  type RunKind,
  type RunQuery,
  type RunState,
  type TargetSettings,
} from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

/**
 * Lines kept in the window from the start of a run, and from its end. The
 * window is a view, not the record: the whole log (its first and last
 * 10,000 lines for a very long one) is in the database, searchable and
 * downloadable. Few lines on the page keep it drawing at full speed while a
 * step prints hundreds of thousands of lines a second.
 */
export const HEAD = 100;
export const TAIL = 300;
/** A gap up to this many lines is read back from the database; a larger one is skipped. */
export const FILL = 500;

/**
 * The lines of one run as the window shows them: the first {@link HEAD} and
 * the last {@link TAIL}, numbered, without gaps or repeats. Appends arrive
 * from the channel or from the database; a gap is filled from the database.
 */
export class RunLog {
  head = $state.raw<LogLine[]>([]);
  tail = $state.raw<LogLine[]>([]);
  /** Lines between head and tail that the window does not hold. */
  hidden = $state(0);
  lastSeq = $state(0);
  private pending: LogLine[] = [];
  private frame = 0;
  private filling: Promise<void> | null = null;

  constructor(readonly runId: string) {}

  /** Lines from the channel; shown at the next animation frame. */
  receive(lines: LogLine[]): void {
    this.pending.push(...lines);
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        const batch = this.pending;
        this.pending = [];
        this.add(batch);
      });
    }
  }

  /** Adds lines in order; returns false when there was a gap before them. */
  add(lines: LogLine[]): boolean {
    const fresh = lines.filter((l) => l.seq > this.lastSeq);
    if (fresh.length === 0) return true;
    const gap = fresh[0].seq - this.lastSeq - 1;
    if (gap > 0 && (gap <= FILL || this.head.length < HEAD)) {
      // The channel dropped a few lines while the window was busy, or they
      // came before the run's id was known (the start of the log is always
      // shown): read them back.
      void this.catchUp();
      return false;
    }
    // A flood: the lines in between are in the database, not on the page.
    if (gap > 0) this.hidden += gap;
    const last = fresh[fresh.length - 1].seq;
    // The database cuts the middle of a very long log: a jump inside a page.
    for (let i = 1; i < fresh.length; i++) this.hidden += Math.max(0, fresh[i].seq - fresh[i - 1].seq - 1);
    const head = this.head.length < HEAD ? fresh.splice(0, HEAD - this.head.length) : [];
    if (head.length) this.head = [...this.head, ...head];
    if (fresh.length) {
      const tail = this.tail.concat(fresh);
      const over = tail.length - TAIL;
      if (over > 0) this.hidden += over;
      this.tail = over > 0 ? tail.slice(over) : tail;
    }
    this.lastSeq = last;
    return true;
  }

  /**
   * Reads the stored lines after the last one shown. With `total` (the
   * lines the run has printed so far), a window far behind skips to the
   * last {@link TAIL} lines.
   */
  catchUp(total?: number): Promise<void> {
    if (this.filling) return this.filling;
    if (total !== undefined && total - this.lastSeq > TAIL + HEAD && this.head.length >= HEAD) {
      this.hidden += total - TAIL - this.lastSeq;
      this.lastSeq = total - TAIL;
    }
    this.filling = (async () => {
      try {
        for (let round = 0; round < 4; round++) {
          const page = await call(() => commands.runLog(this.runId, this.lastSeq, 5000, null));
          if (page.lines.length === 0) break;
          const first = page.lines[0].seq;
          if (first > this.lastSeq + 1) {
            // Cut in the database: count it and carry on after the cut.
            this.hidden += first - this.lastSeq - 1;
            this.lastSeq = first - 1;
          }
          this.add(page.lines);
          if (page.lines.length < 5000) break;
        }
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }
}

/**
 * A run as it is now, from its record and then its events: the window
 * follows a run it started without reading the database.
 */
export function applyEvent(run: Run, event: RunEvent): Run {
  switch (event.type) {
    case "step": {
      if (event.runId !== run.id || event.index >= run.steps.length) return run;
      const steps = run.steps.slice();
      steps[event.index] = event.step;
      return { ...run, steps };
    }
    case "check":
      if (event.runId !== run.id) return run;
      return { ...run, checks: [...run.checks.filter((c) => c.name !== event.result.name), event.result] };
    case "remote":
      if (event.runId !== run.id) return run;
      return { ...run, remoteRef: event.remoteRef, remoteUrl: event.remoteUrl ?? run.remoteUrl, remoteStatus: event.remoteStatus };
    case "ended":
      return event.run.id === run.id ? event.run : run;
    default:
      return run;
  }
}

/**
 * A channel for a run's events: lines go to `log` (the log shown for that
 * run, whichever object holds it), everything else to `onEvent`.
 */
export function channelFor(log: (runId: string) => RunLog | null, onEvent: (event: RunEvent) => void): Channel<LineBatch<RunEvent>> {
  const channel = new Channel<LineBatch<RunEvent>>();
  channel.onmessage = (batch) => {
    for (const event of batch.lines) {
      if (event.type === "lines") log(event.runId)?.receive(event.lines);
      else onEvent(event);
    }
  };
  return channel;
}

/** What the log shows of a long run, in words. */
export function logCutText(shownHead: number, shownTail: number, total: number): string {
  return `Showing the first ${shownHead.toLocaleString()} and newest ${shownTail.toLocaleString()} lines; all ${total.toLocaleString()} are kept: search or download the log.`;
}

export const STATE_LABEL: Record<RunState, string> = {
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  failedVerification: "failed verification",
  cancelled: "cancelled",
  timedOut: "timed out",
  interrupted: "interrupted",
};

/** A run's colour where it is drawn (the timeline's lane). */
export const RUN_COLOURS: Record<RunState, string> = {
  running: "#2d6fd8",
  succeeded: "#2f9e6e",
  failed: "#c62f3b",
  timedOut: "#c62f3b",
  failedVerification: "#e07a1f",
  cancelled: "#8a90a8",
  interrupted: "#8a90a8",
};

const KIND_LABEL: Record<RunKind, string> = { deploy: "deploy", rollback: "rollback", switchBack: "switch back" };

export const runKindLabel = (kind: RunKind): string => KIND_LABEL[kind] ?? kind;

export function runTitle(run: Run): string {
  const what = run.kind === "rollback" ? "Rollback to" : run.kind === "switchBack" ? "Switch back to" : "Deploy";
  return `${what} ${run.version} on ${run.environmentName}`;
}

/** A run's span in ms; a running run (or one without an end) reaches `now`. */
export function runSpan(run: Pick<Run, "startedAt" | "endedAt">, now: number): { start: number; end: number } {
  const start = Date.parse(run.startedAt);
  const ended = run.endedAt ? Date.parse(run.endedAt) : NaN;
  return { start, end: Number.isNaN(ended) ? Math.max(start, now) : ended };
}

/** A duration in words: "45 s", "1 min 10 s", "2 h 5 min". */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** The time from `start` to `end` (now while it runs), in words. */
export function duration(start: string, end: string | null, now = Date.now()): string {
  const ms = (end ? Date.parse(end) : now) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? durationText(ms) : "";
}

export function msText(ms: number | null): string {
  if (ms === null) return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// The deploy domain's commands: targets, runs, their logs, locks. Pages
// read them through these and follow the "deploy" change events of their
// project; a run this window starts streams over its Channel.
export const deploys = {
  status: (projectId: string) => call(() => commands.deployStatus(projectId)),
  runs: (projectId: string, query: RunQuery) => call(() => commands.listRuns(projectId, query)),
  leftovers: (projectId: string) => call(() => commands.deployLeftovers(projectId)),
  run: (runId: string) => call(() => commands.getRun(runId)),
  searchLog: (runId: string, search: string) => call(() => commands.runLog(runId, 0, 2000, search)),
  suggestedLogPath: (runId: string) => call(() => commands.suggestedRunLogPath(runId)),
  saveLog: (runId: string, path: string) => call(() => commands.saveRunLog(runId, path)),
  preflight: (request: DeployRequest) => call(() => commands.deployPreflight(request)),
  shipping: (request: DeployRequest) => call(() => commands.deployShipping(request)),
  rollbackPreflight: (environmentId: string, decisions: Decision[]) => call(() => commands.rollbackPreflight(environmentId, decisions)),
  start: (request: DeployRequest, actor: string | null, events: Channel<LineBatch<RunEvent>>) => call(() => commands.startDeploy(request, actor, events)),
  startRollback: (environmentId: string, decisions: Decision[], actor: string | null, events: Channel<LineBatch<RunEvent>>) =>
    call(() => commands.startRollback(environmentId, decisions, actor, events)),
  cancel: (runId: string, actor: string | null) => call(() => commands.cancelDeploy(runId, actor)),
  startRerun: (runId: string, actor: string | null, events: Channel<LineBatch<RunEvent>>) => call(() => commands.startRerun(runId, actor, events)),
  answerApproval: (runId: string, approve: boolean, comment: string, actor: string | null) =>
    call(() => commands.answerDeployApproval(runId, approve, comment, actor)),
  lock: (environmentId: string, reason: string, actor: string | null) => call(() => commands.lockEnvironment(environmentId, reason, actor)),
  unlock: (environmentId: string, actor: string | null) => call(() => commands.unlockEnvironment(environmentId, actor)),
  stopLeftover: (runId: string, actor: string | null) => call(() => commands.stopLeftover(runId, actor)),
  target: (environmentId: string) => call(() => commands.getDeployTarget(environmentId)),
  setTarget: (environmentId: string, settings: TargetSettings) => call(() => commands.setDeployTarget(environmentId, settings)),
  checkTarget: (environmentId: string, settings: TargetSettings) => call(() => commands.checkDeployTarget(environmentId, settings)),
  clearTarget: (environmentId: string) => call(() => commands.clearDeployTarget(environmentId)),
  freezeStatus: (environmentId: string) => call(() => commands.engineFreezeStatus(environmentId)),
  syncFreezes: (projectId: string) => call(() => commands.syncEngineFreezes(projectId)),
};

/** A release's deploy runs (create it while a component is set up): they follow the project's deploy changes. */
export class ReleaseRuns {
  list = $state<Run[] | null>(null);

  constructor(
    readonly projectId: string,
    readonly releaseId: string,
  ) {
    whenChanged(["deploy"], projectId, () => this.load());
  }

  async load(): Promise<void> {
    this.list = await deploys.runs(this.projectId, { environmentId: null, releaseId: this.releaseId, from: null, to: null, limit: 100 });
  }
}
