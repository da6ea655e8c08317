// Scheduled deploys on the deploy runs lane: an outlined flag at the time
// each one is due, with its version and environment where there is room.
// Drawn after the runs, so that a schedule due while a run goes on shows.

import type { ScheduleMark } from "../schedules.svelte";
import { LabelRow } from "../timeline";
import { GUTTER, ROW, type Frame } from "./geometry";

export const SCHEDULE_COLOUR = "#2d6fd8";

/** The marks in view (`marks` by time); returns how many were drawn. */
export function paintSchedules(f: Frame, marks: ScheduleMark[]): number {
  const { ctx, from, to } = f;
  const y = f.lanes.deploys + 3;
  const h = ROW - 6;
  const labels = new LabelRow(GUTTER, f.width);
  let shown = 0;
  ctx.strokeStyle = SCHEDULE_COLOUR;
  ctx.lineWidth = 1.5;
  ctx.setLineDash([3, 2]);
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i];
    if (m.at < from || m.at >= to) continue;
    const px = Math.round(f.x(m.at)) + 0.5;
    if (px < GUTTER) continue;
    shown++;
    // The pole: where the deploy is due.
    ctx.beginPath();
    ctx.moveTo(px, y);
    ctx.lineTo(px, y + h);
    ctx.stroke();
    // The flag, filled once it is claimed (starting now).
    ctx.fillStyle = m.claimed ? SCHEDULE_COLOUR : f.colours.surface;
    ctx.beginPath();
    ctx.moveTo(px, y);
    ctx.lineTo(px + 8, y + 4);
    ctx.lineTo(px, y + 8);
    ctx.lineTo(px, y);
    ctx.fill();
    ctx.stroke();
    const next = marks[i + 1];
    const text = `${m.label} (scheduled)`;
    const spot = labels.place(px + 9, px + 9, ctx.measureText(text).width, next && next.at < to ? f.x(next.at) - 2 : undefined);
    if (!spot) continue;
    ctx.fillStyle = SCHEDULE_COLOUR;
    ctx.fillText(f.clip(text, spot.max), spot.x, y + h / 2);
  }
  // The other lanes draw solid lines.
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
  return shown;
}
