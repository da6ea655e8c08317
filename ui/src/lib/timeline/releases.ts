// The releases lane: each release's window as a bar in its state's colour
// and look, packed into rows; bars that would touch in a row are one block
// with their count; the selected and the dragged bar drawn apart, on top;
// then the labels, inside a bar or beside it, never on top of another.

import type { ReleaseState, TimelineRelease } from "../bindings";
import { firstEndingAfter, group, LabelRow, LANE_COLOURS, pack, RELEASE_COLOURS, RELEASE_LOOK, RELEASE_MARK, releaseNote, widen } from "../timeline";
import { GROUP_GAP, GUTTER, MAX_RELEASE_ROWS, MIN_BAR_PX, PAD, ROW, type Frame } from "./geometry";

// `label` goes inside the bar when it fits there; else `short` (the
// version, with a mark once the release is no plan), which the bar is
// always wide enough for, goes inside and the first of `details`
// (longest to shortest) that fits beside it. Widths are measured once,
// when first drawn.
export type Bar = {
  id: string;
  label: string;
  short: string;
  details: string[];
  state: ReleaseState;
  start: number;
  end: number;
  row: number;
  progress: number;
  ghost: boolean;
  shortPx?: number;
  labelPx?: number;
  detailPx?: number;
};

/** A release's bar, or a group of releases drawn as one block with their count, where it was drawn. */
export type DrawnRelease = { row: number; x0: number; x1: number; bars: Bar[] };
/** Where a release's label was drawn, so that a click on it selects the release. */
export type LabelHit = { id: string; row: number; x0: number; x1: number };

/** The bars of the releases that have a window, their rows, and the bars sorted by end. */
export function releaseBars(releases: TimelineRelease[]): { bars: Bar[]; byEnd: Bar[]; rows: number } {
  const withWindow = releases.filter((r) => r.windowStart && r.windowEnd);
  const spans = withWindow.map((r) => ({ id: r.id, start: Date.parse(r.windowStart!), end: Date.parse(r.windowEnd!) }));
  const rows = pack(spans, MAX_RELEASE_ROWS);
  let highest = 0;
  for (const row of rows.values()) highest = Math.max(highest, row);
  const bars = withWindow.map((r, i) => {
    const note = releaseNote(r.state, r.complete, r.items);
    const mark = RELEASE_MARK[r.state];
    const v = mark ? `${mark} ${r.version}` : r.version;
    const plan = RELEASE_LOOK[r.state] === "solid";
    return {
      id: r.id,
      label: `${v} ${r.name} · ${note}`,
      short: v,
      details: [`${r.name} · ${note}`, note, ...(plan && r.items ? [`${r.complete}/${r.items}`] : [])],
      state: r.state,
      start: spans[i].start,
      end: spans[i].end,
      row: rows.get(r.id) ?? 0,
      progress: plan && r.items ? r.complete / r.items : 0,
      ghost: false,
    };
  });
  return { bars, byEnd: [...bars].sort((a, b) => a.end - b.end), rows: Math.min(MAX_RELEASE_ROWS, highest + 1) };
}

export type ReleasesPaint = {
  bars: Bar[];
  /** The same bars sorted by end. */
  byEnd: Bar[];
  selectedId: string | null;
  /** How many conflicts the selected release's window has. */
  conflicts: number;
  /** The window of the bar being dragged, drawn where it is dragged to. */
  dragWindow: { id: string; start: number; end: number } | null;
  /** The look of a rolled-back release: stripes of its colour. */
  hatch: (colour: string) => CanvasPattern | string;
};

/** The bars and groups in view and their labels; returns what was drawn where, for clicks. */
export function paintReleases(f: Frame, p: ReleasesPaint): { drawn: DrawnRelease[]; labelHits: LabelHit[] } {
  const { ctx, width, lanes } = f;
  const { bars, byEnd, selectedId, dragWindow } = p;
  const measure = (text: string) => ctx.measureText(text).width;
  const bad = p.conflicts > 0;
  const warn = `⚠ ${p.conflicts}`;
  const shortOf = (b: Bar) => (b.id === selectedId && bad ? `${warn} · ${b.short}` : b.short);
  const extent = (b: Bar, start = b.start, end = b.end) => {
    b.shortPx ??= measure(b.short);
    const short = b.shortPx + (b.id === selectedId && bad ? measure(`${warn} · `) : 0);
    return widen(f.x(start), f.x(end), Math.max(MIN_BAR_PX, short + 2 * PAD));
  };
  const groupPx = (n: number) => measure(`${n} releases`) + 2 * PAD;
  const byRow = new Map<number, { x0: number; x1: number; item: Bar }[]>();
  let apart: { b: Bar; x0: number; x1: number } | null = null;
  // A widened bar reaches past its window: look a little beyond the view.
  const slack = 150 * f.msPerPx;
  for (let i = firstEndingAfter(byEnd, f.from - slack); i < byEnd.length; i++) {
    const b = byEnd[i];
    if (b.start >= f.to + slack || (dragWindow && dragWindow.id === b.id)) continue;
    const e = extent(b);
    if (e.x1 < GUTTER || e.x0 > width) continue;
    if (b.id === selectedId) apart = { b, ...e };
    else {
      let row = byRow.get(b.row);
      if (!row) byRow.set(b.row, (row = []));
      row.push({ ...e, item: b });
    }
  }
  const drawn: DrawnRelease[] = [];
  for (const [row, items] of byRow) {
    for (const g of group(items, GROUP_GAP, groupPx)) drawn.push({ row, x0: g.x0, x1: g.x1, bars: g.items });
  }
  if (dragWindow) {
    const b = bars.find((x) => x.id === dragWindow.id);
    if (b) apart = { b: { ...b, start: dragWindow.start, end: dragWindow.end }, ...extent(b, dragWindow.start, dragWindow.end) };
  }
  if (apart) drawn.push({ row: apart.b.row, x0: apart.x0, x1: apart.x1, bars: [apart.b] });
  for (const d of drawn) {
    const y = lanes.releases + d.row * ROW + 2;
    if (d.bars.length > 1) {
      ctx.fillStyle = LANE_COLOURS.group;
      ctx.fillRect(d.x0, y, d.x1 - d.x0, ROW - 4);
    } else paintBar(f, p, d.bars[0], d.x0, d.x1, y);
  }
  const labelRows = new Map<number, LabelRow>();
  const labelHits: LabelHit[] = [];
  const inRowOrder = [...drawn].sort((a, b) => a.row - b.row || a.x0 - b.x0);
  inRowOrder.forEach((d, i) => {
    let row = labelRows.get(d.row);
    if (!row) labelRows.set(d.row, (row = new LabelRow(GUTTER, width)));
    const y = lanes.releases + d.row * ROW + 2 + (ROW - 6) / 2;
    const nextInRow = inRowOrder[i + 1]?.row === d.row ? inRowOrder[i + 1].x0 : undefined;
    if (d.bars.length > 1) {
      const text = `${d.bars.length} releases`;
      row.place(d.x0, d.x1, measure(text), nextInRow);
      ctx.fillStyle = "#fff";
      ctx.fillText(text, d.x0 + PAD, y);
      return;
    }
    const b = d.bars[0];
    const marked = b.id === selectedId && bad;
    const full = marked ? `${warn} · ${b.label}` : b.label;
    const fullPx = marked ? measure(full) : (b.labelPx ??= measure(b.label));
    const solid = RELEASE_LOOK[b.state] === "solid" || RELEASE_LOOK[b.state] === "done";
    ctx.fillStyle = solid ? "#fff" : f.colours.text;
    if (fullPx <= d.x1 - d.x0 - 2 * PAD) {
      row.place(d.x0, d.x1, fullPx, nextInRow);
      ctx.fillText(full, d.x0 + PAD, y);
      labelHits.push({ id: b.id, row: b.row, x0: d.x0, x1: d.x1 });
      return;
    }
    // The version inside, the rest beside it up to the next block, as
    // much of it as there is room for.
    const short = shortOf(b);
    const shortPx = measure(short);
    row.place(d.x0, d.x1, shortPx, nextInRow);
    ctx.fillText(f.clip(short, d.x1 - d.x0 - 2 * PAD), d.x0 + PAD, y);
    let end = d.x1;
    const spot = row.place(d.x1, d.x1, (b.detailPx ??= measure(b.details[0])), nextInRow);
    if (spot && !spot.inside) {
      const text = f.fit(b.details, spot.max);
      ctx.fillStyle = marked ? f.colours.danger : f.colours.text;
      ctx.fillText(text, spot.x, y);
      end = spot.x + measure(text);
    }
    labelHits.push({ id: b.id, row: b.row, x0: d.x0, x1: end });
  });
  return { drawn, labelHits };
}

/**
 * One release's block from `x0` to `x1` at `y`, in its state's colour and
 * look: a plan solid with its checklist progress along the bottom, one
 * that went out solid, one rolled back hatched, one cancelled an outline.
 * The selected one is framed (in red when its window has conflicts).
 */
function paintBar(f: Frame, p: ReleasesPaint, b: Bar, x0: number, x1: number, y: number) {
  const { ctx } = f;
  const w = x1 - x0;
  const h = ROW - 4;
  const colour = RELEASE_COLOURS[b.state];
  const look = RELEASE_LOOK[b.state];
  ctx.globalAlpha = b.ghost ? 0.35 : 1;
  if (look === "solid" || look === "done") {
    ctx.fillStyle = colour;
    ctx.fillRect(x0, y, w, h);
    if (look === "solid") {
      ctx.fillStyle = "rgba(255,255,255,0.35)";
      ctx.fillRect(x0, y + ROW - 8, w * b.progress, 4);
    }
  } else {
    ctx.fillStyle = f.colours.surface;
    ctx.fillRect(x0, y, w, h);
    if (look === "hatched") {
      ctx.globalAlpha = b.ghost ? 0.2 : 0.45;
      ctx.fillStyle = p.hatch(colour);
      ctx.fillRect(x0, y, w, h);
      ctx.globalAlpha = b.ghost ? 0.35 : 1;
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    if (look === "outline") ctx.setLineDash([4, 3]);
    ctx.strokeRect(x0 + 0.75, y + 0.75, w - 1.5, h - 1.5);
    ctx.setLineDash([]);
  }
  ctx.globalAlpha = 1;
  if (b.id === p.selectedId) {
    const bad = p.conflicts > 0;
    ctx.strokeStyle = bad ? f.colours.danger : f.colours.text;
    ctx.lineWidth = bad ? 3 : 2;
    ctx.strokeRect(x0 - 1, y - 1, w + 2, ROW - 2);
  }
}

/**
 * A maker of diagonal stripes of a colour on `ctx` (the look of a
 * rolled-back release, the legend's too), each colour's tile made once.
 */
export function hatches(ctx: CanvasRenderingContext2D): (colour: string) => CanvasPattern | string {
  const made = new Map<string, CanvasPattern | null>();
  return (colour) => {
    if (!made.has(colour)) {
      const tile = document.createElement("canvas");
      tile.width = tile.height = 6;
      const t = tile.getContext("2d");
      if (t) {
        t.strokeStyle = colour;
        t.lineWidth = 1.6;
        t.beginPath();
        for (const o of [-6, 0, 6]) {
          t.moveTo(o, 6);
          t.lineTo(o + 6, 0);
        }
        t.stroke();
      }
      made.set(colour, t ? ctx.createPattern(tile, "repeat") : null);
    }
    return made.get(colour) ?? colour;
  };
}
