// The people lane: one row per person, their working hours as a pale
// band and their busy times as a red bar inside it.

import type { TimelineData } from "../bindings";
import { firstEndingAfter, LANE_COLOURS } from "../timeline";
import { GUTTER, ROW, type Frame } from "./geometry";

/** A person's working hours or busy time, in the row of its person. */
export type Block = { start: number; end: number; row: number; busy: boolean; label: string };
export type PersonRow = { id: string; label: string };

/** The rows (one per person) and their blocks, sorted by end for drawing. */
export function availability(data: Pick<TimelineData, "people" | "work" | "busy">): { rows: PersonRow[]; blocks: Block[] } {
  const rows = data.people.map((p) => ({ id: p.id, label: p.name }));
  const rowOf = new Map(rows.map((p, i) => [p.id, i]));
  const blocks = [
    ...data.work.map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end), row: rowOf.get(w.personId) ?? 0, busy: false, label: "" })),
    ...data.busy.map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end), row: rowOf.get(b.personId) ?? 0, busy: true, label: b.summary })),
  ].sort((a, b) => a.end - b.end);
  return { rows, blocks };
}

/** Working hours and busy time in view (`blocks` sorted by end). */
export function paintAvailability(f: Frame, blocks: Block[]): void {
  const { ctx, to, width } = f;
  for (let i = firstEndingAfter(blocks, f.from); i < blocks.length; i++) {
    const b = blocks[i];
    if (b.start >= to) continue;
    const y = f.lanes.people + b.row * ROW;
    const x0 = Math.max(GUTTER, f.x(b.start));
    const x1 = Math.min(width, f.x(b.end));
    if (x1 - x0 < 0.5) continue;
    ctx.fillStyle = b.busy ? LANE_COLOURS.busy : LANE_COLOURS.work;
    ctx.fillRect(x0, y + (b.busy ? 5 : 2), x1 - x0, ROW - (b.busy ? 10 : 4));
  }
}
