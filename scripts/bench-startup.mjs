#!/usr/bin/env node
// Benchmark: Liftoff's start-up and idle memory side by side with an empty
// Tauri 2 app of the same stack (bench/empty-app), both timed by the same
// method in the same run, in interleaved starts, and the size of both
// binaries and packages.
//
//   scripts/bench.sh startup    (builds both, then runs this under Xvfb)
//
// Needs LIFTOFF_APP and LIFTOFF_EMPTY_APP (release binaries), optionally
// LIFTOFF_DEB and LIFTOFF_EMPTY_DEB (their .deb packages), a display,
// tauri-driver and WebKitWebDriver (only to find where things are on the
// page, before the timed starts), xev (x11-utils), xdotool, sqlite3 and the
// tests' Python environment with python-xlib (LIFTOFF_TEST_PYTHON).
// BENCH_RUNS (default 24) sets the timed starts of each case, BENCH_IDLE_MS
// (default 10000) how long an app idles before its memory is read,
// BENCH_MEMORY_RUNS (default 3) in how many of the starts it is read, and
// BENCH_LATE_MS (default 75000; 0 for none) when it is read once more, in
// one more start of the empty app and of the sample: after Liftoff's first
// upkeep (the daily backup and integrity check, a minute after start).
//
// How it measures, from outside, the same way for both apps, with nothing
// in either app's page and no WebDriver in the timed starts:
// - spawn: each app is started through a small wrapper that notes the wall
//   clock and its own pid, then execs the app (same pid);
// - window mapped: `xev` on the root window reports the MapNotify of the
//   app's top-level window (checked with its _NET_WM_PID);
// - first content: scripts/bench-pixels.py reads a region of the window
//   from the X server as fast as it answers, until it looks as it does once
//   the content is shown (99% of sampled pixels equal to a reference taken
//   in an untimed start). The region is where the content is: the empty
//   app's answer; Liftoff's empty state, or its first project row. With
//   50,000 items, also the timeline drawn: the project row (which opens the
//   project on its Timeline) clicked by xdotool as soon as it looks ready
//   (the click included), until the canvas shows release bars in their
//   colours (its look moves with the clock, so no reference image fits it);
// - the WebKit pause: in some starts of both apps WebKit takes about half a
//   second longer before the page shows. Starts are split into two modes at
//   the largest gap of each case's sorted times (when that gap is over
//   200 ms): the medians are given for each mode apart, with how many
//   starts fell in each;
// - idle memory: BENCH_IDLE_MS after the content shows, PSS
//   (/proc/PID/smaps_rollup) of the app and of its WebKit processes;
// - every start ends as a person ends it, by the window's close button
//   (WM_DELETE_WINDOW): Liftoff closes its database cleanly, so no timed
//   start is a start after a crash. The data folders are checked for that:
//   no marker in liftoff.db.open.d/ before a start and after its close.

import { spawn, execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { appEnv, freshHome, launch, sql } from "../tests/e2e/harness.mjs";
import { fill } from "./bench-fill.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 24);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 10000);
const MEMORY_RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 3);
const LATE_MS = Number(process.env.BENCH_LATE_MS ?? 75000);
const ITEMS = 50000;
const TIMEOUT_MS = 120000;
// The share of sampled pixels of a region that must equal the settled look:
// a region not drawn yet (the page's background) differs by its text or
// bars, several per cent; the timeline's "now" line moves a pixel or two
// between the reference and a start.
const MATCH = 0.99;
const here = dirname(fileURLToPath(import.meta.url));

const need = (name) => {
  const v = process.env[name];
  if (!v || !existsSync(v)) throw new Error(`${name} must point at a built binary (got ${v ?? "nothing"}); run scripts/bench.sh`);
  return v;
};
const liftoffApp = need("LIFTOFF_APP");
const emptyApp = need("LIFTOFF_EMPTY_APP");
const python = need("LIFTOFF_TEST_PYTHON");

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// The wrapper that notes when the app was spawned, and its pid.
const work = mkdtempSync(join(tmpdir(), "liftoff-bench-startup-"));
const wrapper = join(work, "spawn-wrapper.sh");
writeFileSync(wrapper, '#!/bin/bash\nprintf \'%s %s\\n\' "$EPOCHREALTIME" "$$" > "$LIFTOFF_BENCH_SPAWN"\nexec "$LIFTOFF_BENCH_TARGET" "$@"\n');
chmodSync(wrapper, 0o755);

// Every top-level window mapped on the display, with when it was seen.
const maps = [];
const xev = spawn("stdbuf", ["-oL", "xev", "-root", "-event", "substructure"], { stdio: ["ignore", "pipe", "ignore"] });
let xevText = "";
xev.stdout.on("data", (d) => {
  const at = now();
  xevText += d.toString();
  let m;
  const re = /MapNotify event[^\n]*\n[^\n]*window (0x[0-9a-f]+), override NO\n/g;
  let last = 0;
  while ((m = re.exec(xevText))) {
    maps.push({ at, window: Number.parseInt(m[1], 16) });
    last = re.lastIndex;
  }
  xevText = xevText.slice(last).slice(-4096);
});

// The pixel watcher: one request at a time, each answered before the next.
const pixels = spawn(python, [join(here, "bench-pixels.py")], { stdio: ["pipe", "pipe", "inherit"] });
let pixelWaiter = null;
createInterface({ input: pixels.stdout }).on("line", (l) => pixelWaiter?.(JSON.parse(l)));
function ask(req) {
  return new Promise((resolve, reject) => {
    pixelWaiter = (a) => (a.error ? reject(new Error(`${req.cmd}: ${a.error}`)) : resolve(a));
    pixels.stdin.write(JSON.stringify(req) + "\n");
  });
}
await sleep(300);

// The processes of an app: itself and every descendant, with their names.
function processTree(root) {
  const parent = new Map();
  const name = new Map();
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      name.set(Number(p), stat.slice(stat.indexOf("(") + 1, close));
      parent.set(Number(p), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  }
  return tree.filter((p) => name.has(p)).map((pid) => ({ pid, name: name.get(pid) }));
}

/** PSS in KiB of the app and its WebKit processes, and which were counted. */
function memory(root) {
  let kib = 0;
  const counted = [];
  for (const { pid, name } of processTree(root)) {
    if (pid !== root && !name.startsWith("WebKit")) continue;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      kib += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)[1]);
      counted.push(pid === root ? "app" : name);
    } catch {
      // gone meanwhile
    }
  }
  return { kib, counted };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes that have this data folder open (their markers), and the old single marker. */
function openMarkers(home) {
  const dir = join(home.data, "liftoff.db.open.d");
  const markers = existsSync(dir) ? readdirSync(dir) : [];
  if (existsSync(join(home.data, "liftoff.db.open"))) markers.push("liftoff.db.open");
  return markers;
}

// Release bar colours of the timeline (TimelineCanvas.svelte's COLORS):
// opaque pixels of these mean the releases are drawn.
const BAR_COLORS = ["#8a90a8", "#4b4fd1", "#2f9e6e", "#d08a12", "#2f7a5a", "#c62f3b", "#b7bccc"].map((h) => parseInt(h.slice(1), 16));

const cases = [
  { key: "empty", label: "empty app", app: emptyApp, content: "[data-testid=first-content]" },
  { key: "db0", label: "empty data folder", app: liftoffApp, content: "[data-testid=empty-state]" },
  { key: "sample", label: "sample project", app: liftoffApp, content: "[data-testid=project-row]" },
  {
    key: "items",
    label: `${ITEMS.toLocaleString("en")} items`,
    app: liftoffApp,
    content: "[data-testid=project-row]",
    canvas: "[data-testid=timeline-canvas]",
  },
];

function copyHome(template, name) {
  const home = freshHome(name);
  rmSync(home.root, { recursive: true, force: true });
  cpSync(template.root, home.root, { recursive: true });
  return home;
}

/**
 * Moves the pointer off every window (the screen's far corner), so that no
 * hover style differs between the reference and a timed start.
 */
function parkPointer() {
  execFileSync("xdotool", ["mousemove", "1439", "899"]);
}

/** Starts the app directly (no WebDriver); returns its pid and spawn time. */
async function start(c, home, tag) {
  parkPointer();
  const spawnFile = join(work, `spawn-${tag}`);
  rmSync(spawnFile, { force: true });
  const child = spawn(wrapper, [], { env: appEnv(home, { LIFTOFF_BENCH_SPAWN: spawnFile, LIFTOFF_BENCH_TARGET: c.app, RUST_LOG: "warn" }), stdio: "ignore" });
  for (let i = 0; !existsSync(spawnFile) || !readFileSync(spawnFile, "utf8").includes("\n"); i++) {
    if (i > 2000) throw new Error(`${c.label}: the app did not start`);
    await sleep(2);
  }
  const [spawned, pidText] = readFileSync(spawnFile, "utf8").trim().split(" ");
  return { child, pid: Number(pidText), spawnAt: Number(spawned) * 1000 };
}

/**
 * Closes the window as its close button does, and waits for the app and its
 * WebKit processes to end. Returns null when it closed cleanly, or what went
 * wrong.
 */
async function close(pid, window) {
  const tree = processTree(pid).map((p) => p.pid);
  let problem = null;
  try {
    await ask({ cmd: "close", window });
  } catch (e) {
    problem = `the close request failed (${e.message})`;
  }
  const until = Date.now() + 15000;
  while (alive(pid) && Date.now() < until) await sleep(20);
  if (alive(pid)) problem ??= "the app was still running 15 s after the close and was killed";
  const rest = Date.now() + 5000;
  while (tree.some(alive) && Date.now() < rest) await sleep(20);
  for (const p of tree.filter(alive)) process.kill(p, "SIGKILL");
  return problem;
}

/** Clicks the project row ([x, y, width, height]) of `window` from the X server, as a person would: near its left edge, where its name is. */
const clickRow = (window, r) => execFileSync("xdotool", ["mousemove", "--window", String(window), String(r[0] + 20), String(r[1] + r[3] / 2), "click", "1"]);

/** Where things are on each case's page, and what its content looks like: from an untimed start over WebDriver, then a direct one. */
async function calibrate(c, template) {
  const home = copyHome(template, `bench-startup-${c.key}-calibrate`);
  const rect = (css) => `const r = document.querySelector(${JSON.stringify(css)}).getBoundingClientRect(); return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];`;
  const found = {};
  const app = await launch(home, { testName: `bench-startup-${c.key}`, application: c.app });
  try {
    const s = app.session;
    await s.waitFor(c.content, { timeoutMs: 60000 });
    await sleep(1500);
    found.content = await s.execute(rect(c.content));
    // Liftoff's own start-up marks (ui/src/main.ts, App.svelte): where the
    // page's time goes, in ms from its navigation start.
    found.marks = await s.execute(
      `const r = (x) => Math.round(x);
       const parts = performance.getEntriesByType("mark").filter((m) => m.name.startsWith("liftoff:")).map((m) => m.name.slice(8) + " " + r(m.startTime));
       const fcp = performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint");
       return parts.length ? [...parts, "first paint " + (fcp ? r(fcp.startTime) : "n/a")].join(", ") : null;`,
    );
    if (c.canvas) {
      await (await s.find(c.content)).click();
      await s.waitFor(c.canvas, { timeoutMs: 60000 });
      found.canvas = await s.execute(rect(c.canvas));
    }
  } finally {
    await app.quit();
  }
  rmSync(home.root, { recursive: true, force: true });
  // The references, from a direct start as the timed ones are.
  const run = copyHome(template, `bench-startup-${c.key}-reference`);
  const { pid } = await start(c, run, `${c.key}-reference`);
  const { window } = await ask({ cmd: "window", pid, timeout: 60000 });
  await sleep(4000);
  const clip = (r) => [Math.max(0, r[0]), Math.max(0, r[1]), Math.max(1, r[2]), Math.max(1, r[3])];
  found.contentRef = join(work, `${c.key}-content.raw`);
  await ask({ cmd: "grab", window, region: clip(found.content), out: found.contentRef });
  if (c.canvas) {
    clickRow(window, found.content);
    // Drawn means the release bars show (BAR_COLORS): checked here once.
    await ask({ cmd: "wait", window, region: clip(found.canvas), colors: BAR_COLORS, count: 50, timeout: 60000 });
  }
  const refClose = await close(pid, window);
  if (refClose) throw new Error(`${c.label}: the reference start did not close: ${refClose}`);
  rmSync(run.root, { recursive: true, force: true });
  found.clip = clip;
  return found;
}

/** One timed start: spawn, first content, memory (if asked; again at lateMs if given), close. */
async function measure(c, home, where, withMemory, tag, lateMs = 0) {
  const before = openMarkers(home);
  const mapsBefore = maps.length;
  const { pid, spawnAt } = await start(c, home, tag);
  let window;
  try {
    ({ window } = await ask({ cmd: "window", pid, timeout: TIMEOUT_MS }));
    const wait = (region, ref) =>
      ask({ cmd: "wait", window, region: where.clip(region), ref, match: MATCH, timeout: TIMEOUT_MS }).catch((e) => {
        // What the screen showed instead, to look at.
        const shot = join(tmpdir(), `liftoff-bench-startup-${tag}-failed.png`);
        execFileSync("import", ["-window", "root", shot]);
        throw new Error(`${c.label}: ${e.message}, waiting for the region ${JSON.stringify(where.clip(region))}; the screen then: ${shot}`);
      });
    const first = await wait(where.content, where.contentRef);
    let content = first.at;
    if (c.canvas) {
      clickRow(window, where.content);
      // The timeline's look moves with the clock (its range starts from now):
      // drawn means its release bars show, in their colours.
      content = (await ask({ cmd: "wait", window, region: where.clip(where.canvas), colors: BAR_COLORS, count: 50, timeout: TIMEOUT_MS })).at;
    }
    const mapped = maps.slice(mapsBefore).find((m) => m.window === window)?.at ?? null;
    let mem = null;
    let late = null;
    if (withMemory) {
      await sleep(Math.max(0, content + IDLE_MS - now()));
      mem = memory(pid);
    }
    if (lateMs) {
      await sleep(Math.max(0, content + lateMs - now()));
      late = memory(pid);
    }
    const problem = await close(pid, window);
    const after = c.app === liftoffApp ? openMarkers(home) : [];
    return {
      mapped: mapped === null ? null : mapped - spawnAt,
      list: first.at - spawnAt,
      content: content - spawnAt,
      memKiB: mem?.kib ?? null,
      lateMemKiB: late?.kib ?? null,
      counted: mem?.counted ?? [],
      cleanStart: before.length === 0,
      // null when the close was clean.
      closeProblem: problem ?? (after.length ? `its open marker stayed (${after.join(", ")})` : null),
    };
  } catch (e) {
    if (window) await close(pid, window).catch(() => {});
    for (const p of processTree(pid).map((p) => p.pid).filter(alive)) process.kill(p, "SIGKILL");
    throw e;
  }
}

// The data folders, made once: the empty app's, an empty one for Liftoff,
// the sample project, and the sample with 50,000 items and a year of
// one-minute load. Each is then opened and closed once by its close button,
// so that it starts clean (the WebDriver session that made it does not
// close the app cleanly). Each timed start is on a fresh copy.
console.log(
  `Start-up and memory against an empty Tauri 2 app (${RUNS} interleaved starts of each case, timed from outside by the same method; PSS ${IDLE_MS / 1000} s after the content shows, median of ${MEMORY_RUNS}; 1 MB = 10^6 bytes)`,
);
const templates = {};
templates.empty = freshHome("bench-startup-empty-app");
templates.db0 = freshHome("bench-startup-db0");
{
  const app = await launch(templates.db0, { testName: "bench-startup-db0", application: liftoffApp });
  try {
    await app.session.waitFor("[data-testid=empty-state]", { timeoutMs: 60000 });
  } finally {
    await app.quit();
  }
}
templates.sample = copyHome(templates.db0, "bench-startup-sample");
{
  const app = await launch(templates.sample, { testName: "bench-startup-sample", application: liftoffApp });
  try {
    await (await app.session.waitFor("[data-testid=open-sample]", { timeoutMs: 60000 })).click();
    await app.session.waitFor("[data-testid=tab-timeline]");
  } finally {
    await app.quit();
  }
}
templates.items = copyHome(templates.sample, "bench-startup-items");
fill(templates.items, sql(templates.items, "SELECT id FROM projects")[0].id, ITEMS);
for (const c of cases.slice(1)) {
  // A clean close of each Liftoff folder: the next start is not a start after a crash.
  const { pid } = await start(c, templates[c.key], `${c.key}-clean`);
  const { window } = await ask({ cmd: "window", pid, timeout: 60000 });
  await sleep(3000);
  const problem = await close(pid, window);
  if (problem || openMarkers(templates[c.key]).length) throw new Error(`${c.label}: the data folder was not closed cleanly: ${problem ?? "its open marker stayed"}`);
}
const where = {};
for (const c of cases) where[c.key] = await calibrate(c, templates[c.key]);

const results = Object.fromEntries(cases.map((c) => [c.key, []]));
for (let round = 0; round <= RUNS; round++) {
  // Rotate the order, so that no case always follows the same one. Round 0
  // warms the caches and is not counted.
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length];
    const home = copyHome(templates[c.key], `bench-startup-${c.key}-${round}`);
    try {
      const r = await measure(c, home, where[c.key], round > 0 && round <= MEMORY_RUNS, `${c.key}-${round}`);
      if (round > 0) results[c.key].push(r);
      if (process.env.BENCH_VERBOSE) console.log(round, c.label, JSON.stringify(r));
    } finally {
      rmSync(home.root, { recursive: true, force: true });
    }
  }
}
// Memory after the first minute: one more start of the empty app and of the
// sample, read at IDLE_MS and again at LATE_MS.
const late = {};
if (LATE_MS) {
  for (const c of [cases[0], cases[2]]) {
    const home = copyHome(templates[c.key], `bench-startup-${c.key}-late`);
    try {
      late[c.key] = await measure(c, home, where[c.key], true, `${c.key}-late`, LATE_MS);
      if (process.env.BENCH_VERBOSE) console.log("late", c.label, JSON.stringify(late[c.key]));
    } finally {
      rmSync(home.root, { recursive: true, force: true });
    }
  }
}
xev.kill();
pixels.stdin.end();
for (const t of Object.values(templates)) rmSync(t.root, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });

/**
 * The starts split at the largest gap of their sorted times, when that gap
 * is over 200 ms: the quick mode, and the starts with the WebKit pause.
 */
function modes(xs) {
  const s = [...xs].sort((a, b) => a - b);
  let at = -1;
  let gap = 200;
  for (let i = 1; i < s.length; i++) {
    if (s[i] - s[i - 1] > gap) {
      gap = s[i] - s[i - 1];
      at = i;
    }
  }
  return at < 0 ? { quick: s, paused: [] } : { quick: s.slice(0, at), paused: s.slice(at) };
}

const fmtMs = (v) => (v === null ? "n/a" : `${v.toFixed(0)} ms`);
const fmtMB = (v) => (v === null ? "n/a" : `${((v * 1024) / 1e6).toFixed(1)} MB`);
const ratio = (base, value) => (base === null || value === null ? "n/a" : `${(value / base).toFixed(2)}x`);
const rows = [];
const field = (key, f) => results[key].map((r) => r[f]).filter((x) => x !== null && x !== undefined);
const E = "empty";
const emptyModes = modes(field(E, "content"));
const modeNote = (m) => `${m.quick.length} quick, ${m.paused.length} paused`;
for (const c of cases.slice(1)) {
  rows.push([`window mapped, ${c.label}`, fmtMs(median(field(E, "mapped"))), fmtMs(median(field(c.key, "mapped"))), ratio(median(field(E, "mapped")), median(field(c.key, "mapped"))), "", ""]);
}
const contentCases = [
  ["first content, empty data folder", "db0", "content", "1.15x"],
  ["first content, sample project", "sample", "content", "1.15x"],
  [`first content, ${cases[3].label} (project list)`, "items", "list", "1.15x"],
  [`first content, ${cases[3].label}, timeline drawn (click included)`, "items", "content", "1.5x"],
];
for (const [label, key, f, aim] of contentCases) {
  const m = modes(field(key, f));
  const base = median(emptyModes.quick);
  rows.push([`${label}, quick starts`, fmtMs(base), fmtMs(median(m.quick)), ratio(base, median(m.quick)), aim, `Liftoff ${modeNote(m)}; empty app ${modeNote(emptyModes)}`]);
  const pbase = median(emptyModes.paused);
  rows.push([`${label}, starts with the WebKit pause`, fmtMs(pbase), fmtMs(median(m.paused)), ratio(pbase, median(m.paused)), "", ""]);
  const all = median(field(key, f));
  rows.push([`${label}, all starts`, fmtMs(median(field(E, "content"))), fmtMs(all), ratio(median(field(E, "content")), all), "", ""]);
}
for (const c of cases.slice(1)) {
  const base = median(field(E, "memKiB"));
  const value = median(field(c.key, "memKiB"));
  rows.push([`idle memory (PSS), ${c.label}${c.key === "items" ? " (timeline open)" : ""}`, fmtMB(base), fmtMB(value), ratio(base, value), c.key === "items" ? "" : "1.15x", ""]);
}
const size = (v) => (v && existsSync(v) ? statSync(v).size / 1024 : null);
rows.push([".deb package", fmtMB(size(process.env.LIFTOFF_EMPTY_DEB)), fmtMB(size(process.env.LIFTOFF_DEB)), ratio(size(process.env.LIFTOFF_EMPTY_DEB), size(process.env.LIFTOFF_DEB)), "< 6 MB", ""]);
rows.push(["binary (stripped)", fmtMB(size(emptyApp)), fmtMB(size(liftoffApp)), ratio(size(emptyApp), size(liftoffApp)), "", ""]);

const header = ["", "empty app", "Liftoff", "ratio", "aim", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i === 0 || i === r.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ").trimEnd();
console.log(line(header));
for (const r of rows) console.log(line(r));
const spread = (key, f) => {
  const xs = field(key, f);
  return xs.length ? `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms` : "n/a";
};
console.log(`spread of first content: empty app ${spread(E, "content")}, empty data folder ${spread("db0", "content")}, sample ${spread("sample", "content")}, ${cases[3].label} list ${spread("items", "list")}, timeline ${spread("items", "content")}`);
if (LATE_MS) {
  // One start each: PSS moves by a few MB between starts with what else maps
  // the same libraries, so this says how each app's memory moves, not a ratio.
  const moved = (r) => (r ? `${fmtMB(r.memKiB)} at ${IDLE_MS / 1000} s, ${fmtMB(r.lateMemKiB)} at ${LATE_MS / 1000} s` : "n/a");
  console.log(`memory after the first minute (one start each; Liftoff's first upkeep, the daily backup and integrity check, runs at 60 s): empty app ${moved(late.empty)}; Liftoff with the sample ${moved(late.sample)}`);
}
const all = Object.values(results).flat();
const counted = new Set(all.flatMap((r) => r.counted));
console.log(`memory counts: ${[...counted].join(", ")}`);
const liftoffRuns = cases.slice(1).flatMap((c) => results[c.key].map((r) => ({ ...r, label: c.label })));
if (late.sample) liftoffRuns.push({ ...late.sample, label: "sample project, late memory start" });
console.log(
  `Liftoff's data folders: ${liftoffRuns.filter((r) => r.cleanStart).length} of ${liftoffRuns.length} timed starts began clean (no open marker), ${liftoffRuns.filter((r) => r.closeProblem === null).length} closed cleanly by the close button`,
);
for (const r of liftoffRuns.filter((r) => r.closeProblem !== null)) console.log(`  not closed cleanly (${r.label}): ${r.closeProblem}`);
for (const c of cases) {
  if (where[c.key].marks) console.log(`page marks, ${c.label} (one start over WebDriver, ms from navigation start): ${where[c.key].marks}`);
}
// Where the timeline case's time goes in its quick starts: until the list
// shows, then from the click on the project row (xdotool and the pixel
// watcher included) until the bars are drawn.
const quickItems = results.items.filter((r) => r.content <= Math.max(...modes(field("items", "content")).quick));
console.log(
  `timeline case, quick starts, medians: start to list shown ${fmtMs(median(quickItems.map((r) => r.list)))}, list shown to timeline drawn (the click) ${fmtMs(median(quickItems.map((r) => r.content - r.list)))}`,
);
const missing = all.filter((r) => r.mapped === null).length;
if (missing) console.log(`warning: ${missing} starts saw no MapNotify of the app's window`);
