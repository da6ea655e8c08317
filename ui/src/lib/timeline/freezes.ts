// Freeze and maintenance windows: a wash across every lane and a band in
// the Freezes lane, with their names inside a band or beside a narrow one,
// never on top of another name.

import type { TimelineData } from "../bindings";
import { firstEndingAfter, LabelRow, LANE_COLOURS } from "../timeline";
import { AXIS, GUTTER, ROW, type Frame } from "./geometry";

export type Band = { start: number; end: number; kind: string; name: string };

/** The windows' occurrences as bands, sorted by end for drawing. */
export function freezeBands(windows: TimelineData["windows"]): Band[] {
  return windows.map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end), kind: w.kind, name: w.name })).sort((a, b) => a.end - b.end);
}

/** The bands in view (`bands` sorted by end) and their names. */
export function paintFreezes(f: Frame, bands: Band[]): void {
  const { ctx, to, width, lanes } = f;
  const shown: { x0: number; x1: number; name: string }[] = [];
  for (let i = firstEndingAfter(bands, f.from); i < bands.length; i++) {
    const b = bands[i];
    if (b.start >= to) continue;
    const x0 = Math.max(GUTTER, f.x(b.start));
    const x1 = Math.max(x0 + 2, Math.min(width, f.x(b.end)));
    const freeze = b.kind === "freeze";
    ctx.fillStyle = freeze ? LANE_COLOURS.freezeWash : LANE_COLOURS.maintenanceWash;
    ctx.fillRect(x0, AXIS, x1 - x0, lanes.height - AXIS);
    ctx.fillStyle = freeze ? LANE_COLOURS.freeze : LANE_COLOURS.maintenance;
    ctx.fillRect(x0, lanes.freezes + 3, x1 - x0, ROW - 6);
    shown.push({ x0, x1, name: b.name });
  }
  shown.sort((a, b) => a.x0 - b.x0);
  const labels = new LabelRow(GUTTER, width);
  shown.forEach((b, i) => {
    const spot = labels.place(b.x0, b.x1, ctx.measureText(b.name).width, shown[i + 1]?.x0);
    if (!spot) return;
    ctx.fillStyle = spot.inside ? "#fff" : f.colours.muted;
    ctx.fillText(f.clip(b.name, spot.max), spot.x, lanes.freezes + ROW / 2);
  });
}
