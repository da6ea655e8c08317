// A stand-in for CanvasRenderingContext2D in the painters' tests: it
// records every call that paints (with the colours and font in force) and
// measures text as 6 px a character.

import { FONT, Frame, lanes, type Palette } from "./geometry";

export type Painted = { op: string; args: number[]; text?: string; fill: unknown; stroke: unknown; font: string; alpha: number };

export const PALETTE: Palette = { text: "text", muted: "muted", accent: "accent", danger: "danger", border: "border", surface: "surface", sidebar: "sidebar" };

export class FakeContext {
  painted: Painted[] = [];
  fillStyle: unknown = "#000";
  strokeStyle: unknown = "#000";
  lineWidth = 1;
  font = FONT;
  globalAlpha = 1;
  textBaseline = "middle";

  measureText(text: string) {
    return { width: text.length * 6 };
  }

  #record(op: string, args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : undefined;
    const numbers = (text === undefined ? args : args.slice(1)).filter((a): a is number => typeof a === "number");
    this.painted.push({ op, args: numbers, text, fill: this.fillStyle, stroke: this.strokeStyle, font: this.font, alpha: this.globalAlpha });
  }

  fillRect(...a: number[]) { this.#record("fillRect", a); }
  strokeRect(...a: number[]) { this.#record("strokeRect", a); }
  fillText(text: string, x: number, y: number) { this.#record("fillText", [text, x, y]); }
  moveTo(...a: number[]) { this.#record("moveTo", a); }
  lineTo(...a: number[]) { this.#record("lineTo", a); }
  arc(...a: number[]) { this.#record("arc", a); }
  stroke() { this.#record("stroke", []); }
  fill() { this.#record("fill", []); }
  beginPath() {}
  setLineDash() {}

  /** The calls of one kind. */
  of(op: string): Painted[] {
    return this.painted.filter((p) => p.op === op);
  }

  /** The texts painted, in order. */
  texts(): string[] {
    return this.of("fillText").map((p) => p.text ?? "");
  }
}

/** A frame on a fake context: `width` px, from `start` at `msPerPx`, one row of releases and of people. */
export function fakeFrame(start: number, msPerPx: number, width = 1000, people = 1): { f: Frame; ctx: FakeContext } {
  const ctx = new FakeContext();
  const f = new Frame(ctx as unknown as CanvasRenderingContext2D, { start, msPerPx }, width, lanes(1, people), PALETTE);
  return { f, ctx };
}
