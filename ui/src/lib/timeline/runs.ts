// The deploy runs lane: a bar per run, a running one reaching now, every
// one at least MIN_RUN_PX wide; runs that would touch are one block with
// their count, coloured by the one that most needs a look.

import type { Run, RunState } from "../bindings";
import { RUN_COLOURS, runKindLabel, runSpan, STATE_LABEL } from "../deploys.svelte";
import { group, LabelRow, worstRunState, type Group } from "../timeline";
import { GROUP_GAP, GUTTER, MIN_RUN_PX, PAD, ROW, type Frame } from "./geometry";

// A running run has no end yet: it is drawn up to now.
export type RunBar = { id: string; label: string; text: string; state: RunState; start: number; end: number; running: boolean };

/** The runs as bars, by start; `now` is where running ones end. */
export function runBars(runs: Run[], now: number): RunBar[] {
  // A run that ended without an end time recorded shows as a sliver.
  return runs
    .map((r) => ({
      id: r.id,
      label: `${r.version} → ${r.environmentName}`,
      text: `${r.version} → ${r.environmentName}, ${runKindLabel(r.kind)}, ${STATE_LABEL[r.state]}`,
      state: r.state,
      ...runSpan(r, r.state === "running" ? now : Date.parse(r.startedAt)),
      running: r.state === "running",
    }))
    .sort((a, b) => a.start - b.start);
}

/** The runs in view, alone or in groups, with their labels; returns the groups drawn (one run is a group of one). */
export function paintRuns(f: Frame, bars: RunBar[], now: number): Group<RunBar>[] {
  const { ctx, from, to, width } = f;
  const visible: { x0: number; x1: number; item: RunBar }[] = [];
  for (const r of bars) {
    const end = r.running ? Math.max(r.end, now) : r.end;
    if (end <= from || r.start >= to) continue;
    const x0 = f.x(r.start);
    visible.push({ x0, x1: Math.max(x0 + MIN_RUN_PX, f.x(end)), item: r });
  }
  if (visible.length === 0) return [];
  const drawn = group(visible, GROUP_GAP, (n) => ctx.measureText(`${n} runs`).width + 2 * PAD);
  const y = f.lanes.deploys + 3;
  const labels = new LabelRow(GUTTER, width);
  drawn.forEach((g, i) => {
    const several = g.items.length > 1;
    ctx.fillStyle = RUN_COLOURS[several ? worstRunState(g.items.map((r) => r.state)) : g.items[0].state];
    ctx.fillRect(g.x0, y, g.x1 - g.x0, ROW - 6);
    if (several) {
      // Where each run starts, as a notch along the bottom of the block.
      ctx.fillStyle = "rgba(255,255,255,0.7)";
      for (const r of g.items) ctx.fillRect(Math.min(g.x1 - 2, Math.max(g.x0, f.x(r.start))), y + ROW - 9, 1.5, 3);
    }
    const text = several ? `${g.items.length} runs` : g.items[0].label;
    const spot = labels.place(g.x0, g.x1, ctx.measureText(text).width, drawn[i + 1]?.x0);
    if (!spot) return;
    ctx.fillStyle = spot.inside ? "#fff" : f.colours.text;
    ctx.fillText(f.clip(text, spot.max), spot.x, y + (ROW - 6) / 2);
  });
  return drawn;
}
