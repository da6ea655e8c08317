// Scheduled deploys: a project's list (one cache, fed by the "deploy"
// change events: the window's scheduler and the OS timer write there too),
// the missed ones nobody has acted on, the OS timer's state, and what the
// pages derive from them (the next one per environment, the marks on the
// timeline, which runs a schedule started).

import { commands, type DeployRequest, type Schedule, type ScheduleTimer } from "./bindings";
import { keyed, merged, Shared } from "./cache.svelte";
import { call } from "./ipc";
import { formatLocal, MINUTE, parseLocal } from "./timeline";

export type { Schedule, ScheduleTimer };

export class ScheduleList extends Shared {
  list = $state<Schedule[]>([]);

  constructor(readonly projectId: string) {
    super(["deploy"], projectId);
  }

  protected async fetch(): Promise<void> {
    this.list = await call(() => commands.listSchedules(this.projectId));
  }

  async add(request: DeployRequest, notBefore: string, expiresAt: string | null, why: string, actor: string | null): Promise<Schedule> {
    const s = await call(() => commands.addSchedule(request, notBefore, expiresAt, why, actor));
    this.list = merged(this.list, s).sort(bySoonest);
    return s;
  }

  async cancel(id: string, actor: string | null): Promise<Schedule> {
    const s = await call(() => commands.cancelSchedule(id, actor));
    this.list = merged(this.list, s);
    return s;
  }
}

/** A project's scheduled deploys (call `use()` while a component is set up). */
export const schedulesOf = keyed((projectId) => new ScheduleList(projectId));

/** Missed scheduled deploys nobody has acted on yet: of one project, or of all (key ""). */
export class MissedList extends Shared {
  list = $state<Schedule[]>([]);

  constructor(readonly projectId: string | null) {
    super(["deploy"], projectId);
  }

  protected async fetch(): Promise<void> {
    this.list = await call(() => commands.missedSchedules(this.projectId));
  }
}

export const missedOf = keyed((projectId) => new MissedList(projectId || null));

/** The freeze at a time and the first time after it, or null. */
export const freezeAt = (environmentId: string, at: string) => call(() => commands.scheduleFreezeAt(environmentId, at));

export const scheduleTimer = {
  state: () => call(() => commands.scheduleTimer()),
  install: () => call(() => commands.installScheduleTimer()),
  remove: () => call(() => commands.removeScheduleTimer()),
};

function bySoonest(a: Schedule, b: Schedule): number {
  return a.notBefore < b.notBefore ? -1 : a.notBefore > b.notBefore ? 1 : a.id < b.id ? -1 : 1;
}

const waiting = (s: Schedule) => s.state === "scheduled" || s.state === "claimed";

/** The environment's next scheduled deploy (still to start), or null. */
export function nextScheduled(list: Schedule[], environmentId: string): Schedule | null {
  return list.filter((s) => s.environmentId === environmentId && waiting(s)).sort(bySoonest)[0] ?? null;
}

/** The schedule that started each run, by run id. */
export function startedBy(list: Schedule[]): Map<string, Schedule> {
  return new Map(list.filter((s) => s.state === "started" && s.runId).map((s) => [s.runId!, s]));
}

export type ScheduleMark = { id: string; at: number; label: string; text: string; claimed: boolean };

/** The marks the timeline draws on the deploy runs lane: schedules still to start, by time. */
export function scheduleMarks(list: Schedule[]): ScheduleMark[] {
  return list
    .filter(waiting)
    .map((s) => ({
      id: s.id,
      at: Date.parse(s.notBefore),
      label: `${s.version} → ${s.environmentName}`,
      text: `${s.version} → ${s.environmentName}, scheduled by ${s.createdBy}${s.why ? `: ${s.why}` : ""}`,
      claimed: s.state === "claimed",
    }))
    .filter((m) => !Number.isNaN(m.at))
    .sort((a, b) => a.at - b.at);
}

/** The request a schedule asks for: "Run now" and "Reschedule" fill the Deploy dialog with it. */
export function requestOf(s: Schedule): DeployRequest {
  return { environmentId: s.environmentId, releaseId: s.releaseId, version: s.version, buildRef: s.buildRef, decisions: s.decisions, acceptWarnings: s.acceptWarnings };
}

/** The time the dialog proposes: the next quarter hour at least 5 minutes ahead, as "YYYY-MM-DD HH:MM" in `tz`. */
export function proposedTime(now: number, tz: string): string {
  const step = 15 * MINUTE;
  return formatLocal(Math.ceil((now + 5 * MINUTE) / step) * step, tz);
}

/** "YYYY-MM-DD HH:MM" in `tz` as RFC 3339 (UTC), or null when it is no such time. */
export function scheduleInstant(text: string, tz: string): string | null {
  const t = parseLocal(text, tz);
  return t === null ? null : new Date(t).toISOString();
}

/**
 * What the Deploys page opens next: "Run now" or "Reschedule" chosen where
 * that project's page is not shown (the start-up list), carried to it.
 */
export const deployIntent = $state<{
  next: { projectId: string; schedule: Schedule; later: boolean } | null;
  /** Promote from the status board's matrix: the Deploy dialog for this release and the next environment. */
  promote: { projectId: string; environmentId: string; releaseId: string; version: string; from: string | null } | null;
}>({ next: null, promote: null });
