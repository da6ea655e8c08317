// DORA's metrics: one cache per project, environment and period, following
// the project's "deploy" (runs and their commits) and "release" (the hotfix
// flag) changes, and "project" (the fail window); the fail window setting
// and a release's hotfix flag.

import { commands, type Dora, type Measured, type Metric, type MonitorSettings, type Period, type Point } from "./bindings";
import { keyed, Shared } from "./cache.svelte";
import { call } from "./ipc";

export type { Dora, Measured, Metric, MonitorSettings, Period, Point };

export const PERIODS: { period: Period; label: string }[] = [
  { period: "threeMonths", label: "3 months" },
  { period: "sixMonths", label: "6 months" },
  { period: "twelveMonths", label: "12 months" },
];

export class MetricsData extends Shared {
  data = $state<Dora | null>(null);

  constructor(
    readonly projectId: string,
    readonly environmentId: string | null,
    readonly period: Period,
  ) {
    super(["deploy", "release", "project"], projectId);
  }

  protected async fetch(): Promise<void> {
    this.data = await call(() => commands.doraMetrics(this.projectId, this.environmentId, this.period));
  }
}

/** The metrics of `projectId|environmentId|period` (environment "" is all production environments). */
export const metricsOf = keyed((key) => {
  const [projectId, environmentId, period] = key.split("|");
  return new MetricsData(projectId, environmentId || null, period as Period);
});

export const metricsKey = (projectId: string, environmentId: string | null, period: Period) => `${projectId}|${environmentId ?? ""}|${period}`;

export const monitorMetrics = {
  settings: (projectId: string) => call(() => commands.monitorSettings(projectId)),
  setFailWindow: (projectId: string, hours: number, actor: string | null) => call(() => commands.setFailWindow(projectId, hours, actor)),
  suggestedPath: (projectId: string, period: Period) => call(() => commands.suggestedMetricsPath(projectId, period)),
  exportCsv: (projectId: string, environmentId: string | null, period: Period, path: string) => call(() => commands.exportMetrics(projectId, environmentId, period, path)),
  hotfix: (releaseId: string) => call(() => commands.releaseHotfix(releaseId)),
  setHotfix: (releaseId: string, hotfix: boolean, actor: string | null) => call(() => commands.setReleaseHotfix(releaseId, hotfix, actor)),
};

/** A value in the metric's unit, as the card shows it on the chart's axis. */
export function axisWords(unit: string, v: number): string {
  if (v === 0) return unit === "ratio" ? "0%" : "0";
  if (unit === "ratio") return `${Math.round(v * 100)}%`;
  if (unit === "hours") return v >= 48 ? `${Math.round(v / 24)} d` : v >= 1 ? `${Math.round(v)} h` : `${Math.round(v * 60)} min`;
  return Number.isInteger(v) ? `${v}` : v.toFixed(1);
}
