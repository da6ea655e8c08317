// What every painter of the timeline shares: the sizes, where each lane
// is, one frame's scale (instant ↔ pixel) and colours, and fitting text
// into the room there is. The painters (one per lane, and the axis) are
// the other files here; TimelineCanvas.svelte calls them in order.

import { SANS } from "../fonts";
import type { View } from "../timeline";

/** The lane names' column on the left. */
export const GUTTER = 150;
/** The axis's height at the top. */
export const AXIS = 40;
/** One row of a lane. */
export const ROW = 22;
export const MAX_RELEASE_ROWS = 6;
/** A run is at least this wide, so that a 70-second run shows at any zoom. */
export const MIN_RUN_PX = 6;
/**
 * A release's block is at least this wide, and wide enough for its
 * version inside, centred on its window: a 90-minute window is a
 * visible, clickable block with its label at any zoom.
 */
export const MIN_BAR_PX = 10;
/** Room between a label and the edge of its block. */
export const PAD = 5;
/** Blocks closer than this (px) in one row are drawn as one group. */
export const GROUP_GAP = 3;

export const FONT = `12px ${SANS}`;
export const BOLD = `600 12px ${SANS}`;

/** The top of each lane, top to bottom, and the drawing's height. */
export type Lanes = { releases: number; freezes: number; load: number; people: number; deploys: number; announcements: number; height: number };

/** The lanes for `releaseRows` rows of releases and `personRows` people. */
export function lanes(releaseRows: number, personRows: number): Lanes {
  const releases = AXIS + 6;
  const freezes = releases + releaseRows * ROW + 8;
  const load = freezes + ROW + 6;
  const people = load + ROW + 8;
  const deploys = people + Math.max(1, personRows) * ROW + 8;
  const announcements = deploys + ROW + 4;
  const height = announcements + ROW + 8;
  return { releases, freezes, load, people, deploys, announcements, height };
}

/** Where instant `t` is drawn in `view` (px from the canvas's left). */
export const xOf = (view: View, t: number) => GUTTER + (t - view.start) / view.msPerPx;
/** The instant drawn at `px` in `view`. */
export const tOf = (view: View, px: number) => view.start + (px - GUTTER) * view.msPerPx;

/** The page's colours the drawing uses (CSS custom properties), read once per frame. */
export type Palette = { text: string; muted: string; accent: string; danger: string; border: string; surface: string; sidebar: string };

/** The palette from the canvas's computed style; a colour not set is grey. */
export function palette(style: { getPropertyValue(name: string): string }): Palette {
  const color = (name: string) => style.getPropertyValue(name).trim() || "#888";
  return {
    text: color("--text"),
    muted: color("--muted"),
    accent: color("--accent"),
    danger: color("--danger"),
    border: color("--border"),
    surface: color("--surface"),
    sidebar: color("--sidebar"),
  };
}

/** One frame: where to paint, the view's scale, the lanes and the colours. */
export class Frame {
  /** The first instant in view. */
  readonly from: number;
  /** The instant at the right edge. */
  readonly to: number;
  readonly start: number;
  readonly msPerPx: number;

  constructor(
    readonly ctx: CanvasRenderingContext2D,
    view: View,
    readonly width: number,
    readonly lanes: Lanes,
    readonly colours: Palette,
  ) {
    this.start = view.start;
    this.msPerPx = view.msPerPx;
    this.from = view.start;
    this.to = this.tAt(width);
  }

  /** Where instant `t` is drawn. */
  x(t: number): number {
    return GUTTER + (t - this.start) / this.msPerPx;
  }

  /** The instant drawn at `px`. */
  tAt(px: number): number {
    return this.start + (px - GUTTER) * this.msPerPx;
  }

  /** `text` as drawn: itself, else shortened with "…" to fit `max` px, else "". */
  clip(text: string, max: number): string {
    const ctx = this.ctx;
    if (ctx.measureText(text).width <= max) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid) + "…").width <= max) lo = mid;
      else hi = mid - 1;
    }
    return lo > 0 ? text.slice(0, lo) + "…" : "";
  }

  /** The first of `texts` (longest first) that fits in `max`, else the last shortened. */
  fit(texts: string[], max: number): string {
    return texts.find((t) => this.ctx.measureText(t).width <= max) ?? this.clip(texts[texts.length - 1], max);
  }

  measure(text: string): number {
    return this.ctx.measureText(text).width;
  }
}
