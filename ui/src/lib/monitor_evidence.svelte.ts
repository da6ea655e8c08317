// Deploy history and the release evidence file: a project's runs read page
// by page (each page starts after the last run shown, so a run recorded
// meanwhile never shifts what "Load more" brings), release paths, and the
// two files (the history CSV and the evidence file) saved where the Save
// dialog says.

import {
  commands,
  type EvidenceOptions,
  type EvidenceSaved,
  type HistoryCursor,
  type HistoryFilter,
  type HistoryRun,
  type ReleasePath,
} from "./bindings";
import { call } from "./ipc";
import { pickSave } from "./files";
import { parseLocal } from "./timeline";

/** Runs per page. */
export const PAGE = 50;
/** The most runs one read brings back (the backend's own limit). */
const MAX_PAGE = 500;

export const NO_FILTER: HistoryFilter = { environmentId: null, releaseId: null, state: null, kind: null, who: null, from: null, to: null };

/** The project's runs that pass a filter, newest first, as far as the lead has paged. */
export class DeployHistory {
  runs = $state.raw<HistoryRun[]>([]);
  next = $state.raw<HistoryCursor | null>(null);
  loading = $state(false);
  loaded = $state(false);
  private filter: HistoryFilter = NO_FILTER;
  private generation = 0;

  constructor(readonly projectId: string) {}

  /** The first page for `filter`, replacing what was shown. */
  async show(filter: HistoryFilter): Promise<void> {
    this.filter = filter;
    await this.read(PAGE);
  }

  /**
   * Reads again as many runs as are shown (at least a page): what a change
   * event calls, so a lead who loaded three pages keeps seeing three pages.
   */
  async refresh(): Promise<void> {
    await this.read(Math.min(MAX_PAGE, Math.max(PAGE, this.runs.length)));
  }

  private async read(limit: number): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await call(() => commands.historyPage(this.projectId, this.filter, null, limit));
      if (generation !== this.generation) return;
      this.runs = page.runs;
      this.next = page.next;
      this.loaded = true;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** The next page, after the last run shown. */
  async more(): Promise<void> {
    const after = this.next;
    if (!after || this.loading) return;
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await call(() => commands.historyPage(this.projectId, this.filter, after, PAGE));
      if (generation !== this.generation) return;
      this.runs = [...this.runs, ...page.runs];
      this.next = page.next;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Asks where to save the filtered runs as CSV and saves them; null if cancelled. */
  async saveCsv(): Promise<string | null> {
    const suggested = await call(() => commands.suggestedHistoryCsvPath(this.projectId));
    const chosen = await pickSave("history", suggested);
    if (!chosen) return null;
    return call(() => commands.saveHistoryCsv(this.projectId, this.filter, chosen));
  }
}

export function starters(projectId: string): Promise<string[]> {
  return call(() => commands.historyStarters(projectId));
}

export function releasePaths(projectId: string, releaseId: string | null = null): Promise<ReleasePath[]> {
  return call(() => commands.releasePaths(projectId, releaseId));
}

/** Asks where to save the release's evidence file, exports it there; null if cancelled. */
export async function exportEvidence(releaseId: string, options: EvidenceOptions, actor: string | null): Promise<EvidenceSaved | null> {
  const suggested = await call(() => commands.suggestedEvidencePath(releaseId));
  const chosen = await pickSave("evidence", suggested);
  if (!chosen) return null;
  return call(() => commands.exportEvidence(releaseId, options, chosen, actor));
}

/** The command an auditor runs to check the file against its head hash. */
export function verifyCommand(path: string, head: string): string {
  const quoted = /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
  return `liftoff evidence verify ${quoted} --head ${head}`;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** A period's start and end (RFC 3339) for the filter, from a choice such as "7d". */
export function periodBounds(period: string, now = Date.now()): { from: string | null; to: string | null } {
  const days = { "24h": 1, "7d": 7, "30d": 30, "90d": 90, "365d": 365 }[period];
  if (!days) return { from: null, to: null };
  return { from: iso(now - days * 86_400_000), to: null };
}

/**
 * Whole days `fromDay` to `toDay` (YYYY-MM-DD, both included, either may be
 * empty) in the zone `zone`, as the filter's bounds: from the first day's
 * midnight there to the midnight after the last.
 */
export function dayBounds(fromDay: string, toDay: string, zone: string): { from: string | null; to: string | null } {
  const start = fromDay ? parseLocal(`${fromDay} 00:00`, zone) : null;
  let end: number | null = null;
  if (toDay) {
    const [y, m, d] = toDay.split("-").map(Number);
    const next = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
    end = parseLocal(`${next} 00:00`, zone);
  }
  return { from: start === null ? null : iso(start), to: end === null ? null : iso(end) };
}
