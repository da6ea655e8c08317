// Planning: the timeline's data (releases' windows, freeze and maintenance
// windows, load, people's availability) and what the timeline page changes.
// Pages read through these and follow the change events of their project
// ("release", "calendar", "load", "availability").

import {
  commands,
  type CalendarWindowDraft,
  type Release,
  type TimelineData,
} from "./bindings";
import { call, CommandError } from "./ipc";

const iso = (ms: number) => new Date(ms).toISOString();

export const planning = {
  timeline: (projectId: string, from: number, to: number, buckets: number) => call(() => commands.timeline(projectId, iso(from), iso(to), buckets)),
  conflicts: (releaseId: string, start: string, end: string, timeZone: string) => call(() => commands.windowConflicts(releaseId, start, end, timeZone)),
  suggest: (releaseId: string, minutes: number, days: number, timeZone: string) => call(() => commands.suggestWindows(releaseId, minutes, days, timeZone)),
  setWindow: (releaseId: string, start: number, end: number, actor: string | null) => call(() => commands.setReleaseWindow(releaseId, iso(start), iso(end), null, actor)),
  setOnCall: (releaseId: string, personId: string | null, actor: string | null) => call(() => commands.setReleaseOnCall(releaseId, personId, actor)),
  overrideFreeze: (releaseId: string, decidedBy: string, reason: string, actor: string | null) => call(() => commands.overrideFreeze(releaseId, decidedBy, reason, actor)),
  /** The release, or null when it is gone. */
  release: async (releaseId: string): Promise<Release | null> => {
    try {
      return (await call(() => commands.releaseView(releaseId))).release;
    } catch (e) {
      if (e instanceof CommandError && e.code === "notFound") return null;
      throw e;
    }
  },
  busyTimes: (projectId: string) => call(() => commands.listBusyTimes(projectId)),
  addBusyTime: (personId: string, summary: string, start: number, end: number) => call(() => commands.addBusyTime(personId, summary, iso(start), iso(end))),
  deleteBusyTime: (id: string) => call(() => commands.deleteBusyTime(id)),
  importBusyIcs: (personId: string, path: string) => call(() => commands.importBusyIcs(personId, path)),
  importLoadCsv: (projectId: string, path: string) => call(() => commands.importLoadCsv(projectId, path)),
  suggestedCalendarPath: (projectId: string) => call(() => commands.suggestedCalendarPath(projectId)),
  exportCalendar: (projectId: string, path: string) => call(() => commands.exportCalendar(projectId, path)),
  sends: (projectId: string) => call(() => commands.announcementSends(projectId)),
  calendarWindows: (projectId: string) => call(() => commands.listCalendarWindows(projectId)),
  saveCalendarWindow: (projectId: string, id: string | null, draft: CalendarWindowDraft) =>
    id ? call(() => commands.updateCalendarWindow(id, draft)) : call(() => commands.createCalendarWindow(projectId, draft)),
  deleteCalendarWindow: (id: string) => call(() => commands.deleteCalendarWindow(id)),
  loadPattern: (projectId: string) => call(() => commands.loadPattern(projectId)),
  setLoadPattern: (projectId: string, hours: (number | null)[]) => call(() => commands.setLoadPattern(projectId, hours)),
  clearLoadPattern: (projectId: string) => call(() => commands.clearLoadPattern(projectId)),
};

/** The timeline with a release's stored window as the command returned it, before the change event's reload. */
export function withWindow(data: TimelineData, release: Release): TimelineData {
  return { ...data, releases: data.releases.map((r) => (r.id === release.id ? { ...r, windowStart: release.windowStart, windowEnd: release.windowEnd } : r)) };
}
