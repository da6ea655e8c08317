// The announcements lane: a dot where each announcement went out, with
// what and to whom; sends close together on screen (of one version) share
// one dot and one label.

import type { AnnouncementSend } from "../bindings";
import { LabelRow } from "../timeline";
import { GUTTER, ROW, type Frame } from "./geometry";

/** The sends in the order they went out: sort them once, not per frame. */
export function sendsInOrder(sends: AnnouncementSend[]): AnnouncementSend[] {
  return [...sends].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** The sends in view (`sends` in the order they went out); returns how many were. */
export function paintAnnouncements(f: Frame, sends: AnnouncementSend[]): number {
  const { ctx, from, to } = f;
  let shown = 0;
  const groups: { px: number; version: string; sent: number; exported: number }[] = [];
  for (const snd of sends) {
    const t = Date.parse(snd.startedAt);
    if (t < from || t >= to) continue;
    const px = f.x(t);
    const last = groups[groups.length - 1];
    const g = last && px - last.px < 160 && last.version === snd.version ? last : { px, version: snd.version, sent: 0, exported: 0 };
    if (g !== last) groups.push(g);
    if (snd.kind === "export") g.exported++;
    else g.sent += snd.sent;
    shown++;
  }
  const labels = new LabelRow(GUTTER, f.width);
  const y = f.lanes.announcements + ROW / 2;
  groups.forEach((g, i) => {
    ctx.fillStyle = f.colours.accent;
    ctx.beginPath();
    ctx.arc(g.px, y, 5, 0, Math.PI * 2);
    ctx.fill();
    const what = [g.sent ? `${g.sent} sent` : "", g.exported ? "exported" : ""].filter(Boolean).join(", ");
    const text = `${g.version}: ${what}`;
    const spot = labels.place(g.px - 5, g.px + 4, ctx.measureText(text).width, groups[i + 1] ? groups[i + 1].px - 6 : undefined);
    if (!spot) return;
    ctx.fillStyle = f.colours.text;
    ctx.fillText(f.clip(text, spot.max), spot.x, y);
  });
  return shown;
}
