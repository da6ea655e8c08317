#!/usr/bin/env node
// Benchmark: the timeline with 1,000, 10,000 and 50,000 items and a year of
// load at one-minute resolution. For each size it starts the built app under
// the current display, fills a fresh database, opens the timeline and prints
// the time to its first render and the frame times of a scripted pan and
// zoom (median and 95th percentile), and the time one redraw takes.
//
//   scripts/bench.sh            (builds, then runs this under Xvfb)

import { freshHome, launch, sql } from "../tests/e2e/harness.mjs";
import { fill } from "./bench-fill.mjs";

const sizes = (process.env.BENCH_SIZES ?? "1000,10000,50000").split(",").map(Number);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
};

console.log("Timeline benchmark (scripted pan and zoom over 240 frames; the view keeps a year of one-minute load)");
for (const n of sizes) {
  const home = freshHome(`bench-${n}`);
  // First start: make the sample project (and its schema), then fill it.
  let app = await launch(home, { testName: `bench-${n}` });
  try {
    await (await app.session.waitFor("[data-testid=open-sample]")).click();
    await app.session.waitFor("[data-testid=tab-timeline]");
  } finally {
    await app.quit();
  }
  const projectId = sql(home, "SELECT id FROM projects")[0].id;
  fill(home, projectId, n);
  app = await launch(home, { testName: `bench-${n}` });
  try {
    const s = app.session;
    // The row opens the project on its Timeline.
    await (await s.waitForContent("[data-testid=project-row]", "Northwind")).click();
    await s.waitUntil(async () => (await s.execute("return window.__liftoffTimeline?.firstRender() ?? null")) !== null, "the first render", 120000);
    const first = await s.execute("return window.__liftoffTimeline.firstRender()");
    const r = await s.execute("return window.__liftoffTimeline.bench(240)");
    const items = await s.execute("return window.__liftoffTimeline.items()");
    const frames = r.frames;
    console.log(
      `${String(n).padStart(6)} items: first render ${first.toFixed(0)} ms; frame median ${pct(frames, 0.5).toFixed(1)} ms, p95 ${pct(frames, 0.95).toFixed(1)} ms` +
        ` (${(1000 / pct(frames, 0.5)).toFixed(0)} fps); redraw median ${pct(r.draws, 0.5).toFixed(1)} ms, p95 ${pct(r.draws, 0.95).toFixed(1)} ms; ${items} items loaded for the moves`,
    );
  } finally {
    await app.quit();
  }
}
