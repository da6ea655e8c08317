// The load lane: the load as a heat band, one slice per bucket of the
// loaded range, darker towards the peak.

import type { TimelineData } from "../bindings";
import { loadColour } from "../timeline";
import { GUTTER, ROW, type Frame } from "./geometry";

/** The buckets of `data.load` in view; they split `[loadFrom, loadTo)` evenly. Nothing without load. */
export function paintLoad(f: Frame, data: Pick<TimelineData, "load" | "loadPeak">, loadFrom: number, loadTo: number): void {
  if (data.load.length === 0 || !((data.loadPeak ?? 0) > 0)) return;
  const { ctx } = f;
  const peak = data.loadPeak ?? 1;
  const slice = (loadTo - loadFrom) / data.load.length;
  const first = Math.max(0, Math.floor((f.from - loadFrom) / slice));
  const last = Math.min(data.load.length, Math.ceil((f.to - loadFrom) / slice));
  for (let i = first; i < last; i++) {
    const b = data.load[i];
    if (!b) continue;
    ctx.fillStyle = loadColour((b.max ?? 0) / peak);
    const x0 = f.x(loadFrom + i * slice);
    ctx.fillRect(Math.max(GUTTER, x0), f.lanes.load + 3, Math.max(1, slice / f.msPerPx + 0.5), ROW - 6);
  }
}
