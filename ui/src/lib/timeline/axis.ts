// The time axis and its grid: ticks below, the day (or month, or year)
// they are in above, the first of those kept at the left edge; and the
// line at now.

import { axis, DAY, LabelRow, ticks } from "../timeline";
import { AXIS, BOLD, FONT, GUTTER, type Frame } from "./geometry";

/** The axis's labels and the grid lines down through every lane, in `tz`. */
export function paintAxis(f: Frame, tz: string): void {
  const { ctx, from, to, width, lanes } = f;
  const a = axis(from, to, f.msPerPx, tz);
  ctx.strokeStyle = f.colours.border;
  ctx.lineWidth = 1;
  if (a.step === 7 * DAY) {
    // Weeks are labelled; days get faint lines.
    ctx.globalAlpha = 0.45;
    for (const t of ticks(from, to, DAY, tz)) {
      const px = Math.round(f.x(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, AXIS - 4);
      ctx.lineTo(px, lanes.height);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }
  const tickLabels = new LabelRow(GUTTER, width, 16, 4);
  ctx.fillStyle = f.colours.muted;
  a.ticks.forEach((tick, i) => {
    const px = Math.round(f.x(tick.t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(px, AXIS - 14);
    ctx.lineTo(px, lanes.height);
    ctx.stroke();
    const next = a.ticks[i + 1] ? f.x(a.ticks[i + 1].t) : f.x(tick.t + a.step);
    const spot = tickLabels.place(px - 1, next, ctx.measureText(tick.label).width);
    // A tick's label belongs right of its own tick: never beside the next.
    if (spot?.inside) ctx.fillText(f.clip(tick.label, spot.max), spot.x, AXIS - 8);
  });
  ctx.font = BOLD;
  ctx.fillStyle = f.colours.text;
  const contextLabels = new LabelRow(GUTTER, width, 16, 4);
  a.context.forEach((c, i) => {
    const x0 = f.x(c.t);
    const x1 = a.context[i + 1] ? f.x(a.context[i + 1].t) : width;
    if (i > 0) {
      ctx.beginPath();
      ctx.moveTo(Math.round(x0) + 0.5, 2);
      ctx.lineTo(Math.round(x0) + 0.5, AXIS - 14);
      ctx.stroke();
    }
    const spot = contextLabels.place(Math.max(GUTTER - 1, x0 - 1), x1, ctx.measureText(c.label).width);
    if (spot) ctx.fillText(f.clip(c.label, spot.max), spot.x, 11);
  });
  ctx.font = FONT;
}

/** The red line at `now`, when it is in view. */
export function paintNow(f: Frame, now: number): void {
  const { ctx } = f;
  const x = f.x(now);
  if (x < GUTTER || x > f.width) return;
  ctx.strokeStyle = f.colours.danger;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, AXIS - 14);
  ctx.lineTo(x, f.lanes.height);
  ctx.stroke();
}
