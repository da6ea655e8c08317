// The column on the left: each lane's name, the people's names, the zone
// the axis is in, and what an empty lane says in view. Painted last, over
// whatever reached past the left edge.

import { AXIS, BOLD, FONT, GUTTER, ROW, type Frame } from "./geometry";

export type GutterPaint = {
  people: { label: string }[];
  tz: string;
  /** How many runs and sends were painted: none says so in its lane. */
  runsShown: number;
  sendsShown: number;
};

export function paintGutter(f: Frame, p: GutterPaint): void {
  const { ctx, lanes } = f;
  ctx.fillStyle = f.colours.sidebar;
  ctx.fillRect(0, 0, GUTTER, lanes.height);
  ctx.fillStyle = f.colours.text;
  ctx.font = BOLD;
  ctx.fillText("Releases", 10, lanes.releases + ROW / 2);
  ctx.fillText("Freezes", 10, lanes.freezes + ROW / 2);
  ctx.fillText("Load", 10, lanes.load + ROW / 2);
  ctx.fillText("Deploy runs", 10, lanes.deploys + ROW / 2);
  ctx.fillText("Announcements", 10, lanes.announcements + ROW / 2);
  ctx.font = FONT;
  p.people.forEach((person, i) => ctx.fillText(f.clip(person.label, GUTTER - 16), 10, lanes.people + i * ROW + ROW / 2));
  if (p.people.length === 0) {
    ctx.fillStyle = f.colours.muted;
    ctx.fillText("No people yet", 10, lanes.people + ROW / 2);
  }
  ctx.fillStyle = f.colours.muted;
  if (p.runsShown === 0) ctx.fillText("No deploy runs in view", GUTTER + 8, lanes.deploys + ROW / 2);
  if (p.sendsShown === 0) ctx.fillText("No announcement went out in view", GUTTER + 8, lanes.announcements + ROW / 2);
  ctx.fillText(f.clip(p.tz, GUTTER - 16), 10, AXIS - 8);
}
