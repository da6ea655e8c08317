#!/usr/bin/env node
// Benchmark: the timeline with 1,000, 10,000 and 50,000 items and a year of
// load at one-minute resolution. For each size it starts the built app under
// the current display, fills a fresh database, opens the timeline and prints
// the time to its first render and the frame times of a scripted pan and
// zoom (median and 95th percentile), and the time one redraw takes.
//
//   scripts/bench.sh            (builds, then runs this under Xvfb)

import { freshHome, launch, sql } from "../tests/e2e/harness.mjs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const sizes = (process.env.BENCH_SIZES ?? "1000,10000,50000").split(",").map(Number);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
};

function fill(home, projectId, n) {
  const db = join(home.data, "liftoff.db");
  const now = Math.floor(Date.now() / 1000);
  const start = now - 2 * 365 * 86400;
  // Two thirds releases with windows, one third one-off freezes, spread over three years.
  const releases = Math.round((n * 2) / 3);
  const freezes = n - releases;
  const script = `
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < ${releases - 1})
INSERT INTO releases (id, project_id, version, name, scope, state, window_start, window_end, created_at, updated_at)
SELECT lower(hex(randomblob(16))), '${projectId}', 'b' || x, 'Build ' || x, '', 'planned',
       strftime('%Y-%m-%dT%H:%M:%SZ', ${start} + x * ${Math.floor((3 * 365 * 86400) / releases)}, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%SZ', ${start} + x * ${Math.floor((3 * 365 * 86400) / releases)} + 5400, 'unixepoch'),
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM k;
WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < ${freezes - 1})
INSERT INTO calendar_windows (id, project_id, kind, name, reason, start_local, minutes, time_zone, rule, exdates, created_at, updated_at)
SELECT lower(hex(randomblob(16))), '${projectId}', 'freeze', 'Freeze ' || x, '',
       strftime('%Y-%m-%dT%H:%M', ${start} + x * ${Math.floor((3 * 365 * 86400) / freezes)}, 'unixepoch'), 120, 'UTC', NULL, '[]',
       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM k;
DELETE FROM load_samples WHERE project_id = '${projectId}';
WITH RECURSIVE k(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM k WHERE x < 525599)
INSERT INTO load_samples (project_id, at, value) SELECT '${projectId}', ${now - 365 * 86400} + x * 60, abs(random() % 2000) FROM k;
COMMIT;`;
  execFileSync("sqlite3", [db], { input: script });
}

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
    await (await s.waitForContent("[data-testid=project-row]", "Northwind")).click();
    await (await s.waitFor("[data-testid=tab-timeline]")).click();
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
