#!/usr/bin/env node
// Benchmark: a deploy whose child prints 1,000,000 lines as fast as it can,
// watched in the real window. Prints the lines per second that reach the
// window through the masker, the frame times while they stream (median and
// 95th percentile, from requestAnimationFrame in the page), the peak memory
// of the app (its process and the WebKit processes under it, PSS), and the
// stored log's size.
//
//   scripts/bench.sh            (builds, then runs this under Xvfb)

import { chmodSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshHome, launch, sql } from "../tests/e2e/harness.mjs";

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 250);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))];
};

function pssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const task of safeList(`/proc/${out[i]}/task`)) {
      try {
        const kids = readFileSync(`/proc/${out[i]}/task/${task}/children`, "utf8").trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // gone
      }
    }
  }
  return out;
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const home = freshHome("bench-deploy");
const flood = join(home.root, "flood.sh");
writeFileSync(
  flood,
  `#!/bin/sh\nexec awk 'BEGIN { for (i = 0; i < ${LINES}; i++) printf "line %d of a very chatty deploy, progress %d%%\\n", i, i * 100 / ${LINES} }'\n`,
);
chmodSync(flood, 0o755);

const app = await launch(home, { testName: "bench-deploy" });
try {
  const s = app.session;
  await (await s.waitFor("[data-testid=open-sample]")).click();
  await (await s.waitFor("[data-testid=tab-deploys]")).click();
  await s.waitFor("[data-testid=deploy-development]");
  const env = sql(home, "SELECT id FROM environments WHERE name = 'development'")[0].id;
  const settings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${env}'`)[0].settings);
  settings.command = { program: flood, args: [], throughShell: false, timeoutSecs: 600 };
  settings.smoke = [];
  sql(home, `UPDATE deploy_targets SET settings = '${JSON.stringify(settings).replaceAll("'", "''")}' WHERE environment_id = '${env}'`);

  await (await s.waitFor("[data-testid=deploy-development]")).click();
  // What ships may carry a warning to confirm (a breaking change in the
  // sample's commits): confirmed as a lead would.
  await s.waitUntil(async () => (await s.findAll("[data-testid=deploy-start]:not([disabled]), [data-testid=accept-warnings]")).length > 0, "the preflight to finish");
  if ((await s.findAll("[data-testid=accept-warnings]")).length > 0) {
    await (await s.find("[data-testid=accept-warnings]")).click();
  }
  await s.waitFor("[data-testid=deploy-start]:not([disabled])");
  // Frame times from the page itself while the lines stream.
  await s.execute(`
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { window.__frames.push([t, t - last]); last = t; if (!window.__stopFrames) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  `);
  const t0 = Date.now();
  await (await s.find("[data-testid=deploy-start]")).click();
  await s.waitFor("[data-testid=run-view]");
  const owner = sql(home, "SELECT owner_pid FROM deploy_runs WHERE state = 'running'")[0]?.owner_pid;
  let peak = 0;
  const sampler = setInterval(() => {
    if (!owner) return;
    const total = descendants(owner).reduce((sum, pid) => sum + pssKiB(pid), 0);
    peak = Math.max(peak, total);
  }, 200);
  let shown = 0;
  let tLast = t0;
  // The page's clock when the first and the last line showed: frames
  // between them are the streaming ones (not the dialog closing or the
  // page settling after the run).
  let pageFirst = null;
  let pageLast = null;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [count, pageNow] = await s.execute("return [document.querySelector('[data-testid=run-log-count]')?.dataset.n ?? 0, performance.now()]");
    const n = Number(count);
    if (n > shown) {
      if (shown === 0) pageFirst = pageNow;
      shown = n;
      tLast = Date.now();
      pageLast = pageNow;
    }
    const state = await s.execute("return document.querySelector('[data-testid=run-state]')?.textContent ?? ''");
    if (state && state !== "running" && shown >= LINES) break;
    if (Date.now() > deadline) throw new Error(`only ${shown} lines reached the window`);
    // Each look runs a script in the page; look seldom, not to disturb the frames.
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  clearInterval(sampler);
  const frames = await s.execute("window.__stopFrames = true; return window.__frames");
  const streaming = frames.filter(([t]) => t >= pageFirst && t <= pageLast).map(([, dt]) => dt);
  const [run] = sql(home, "SELECT id, log_lines, log_cut, state FROM deploy_runs WHERE environment_id = '" + env + "' ORDER BY started_at DESC LIMIT 1");
  const [size] = sql(home, `SELECT count(*) AS n, coalesce(sum(length(text)), 0) AS bytes FROM deploy_log WHERE run_id = '${run.id}'`);
  const secs = (tLast - t0) / 1000;
  console.log(`Deploy log in the window (${LINES.toLocaleString()} lines from the child, release build):`);
  console.log(
    `  ${run.log_lines.toLocaleString()} lines reached the window in ${secs.toFixed(1)} s = ${Math.round(run.log_lines / secs).toLocaleString()} lines/s (run ${run.state})`,
  );
  console.log(
    `  frames while streaming: median ${pct(streaming, 0.5).toFixed(1)} ms, p95 ${pct(streaming, 0.95).toFixed(1)} ms (${(1000 / pct(streaming, 0.5)).toFixed(0)} fps), ${streaming.length} frames`,
  );
  console.log(`  peak memory of the app and its WebKit processes: ${(peak / 1024).toFixed(0)} MiB PSS`);
  console.log(
    `  stored log: ${size.n.toLocaleString()} lines kept (${run.log_cut.toLocaleString()} cut from the middle), ${(size.bytes / 1024).toFixed(0)} KiB of text`,
  );
} finally {
  await app.quit();
}
