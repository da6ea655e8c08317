#!/usr/bin/env node
// Benchmark: Liftoff's start-up and idle memory side by side with an empty
// Tauri 2 app of the same stack (bench/empty-app), measured the same way in
// the same run, in interleaved runs, and the size of both packages.
//
//   scripts/bench.sh            (builds both, then runs this under Xvfb)
//
// Needs LIFTOFF_APP and LIFTOFF_EMPTY_APP (release binaries), optionally
// LIFTOFF_DEB and LIFTOFF_EMPTY_DEB (their .deb packages), a display,
// tauri-driver, WebKitWebDriver, xev and xprop (x11-utils), stdbuf, sqlite3.
// BENCH_RUNS (default 7) sets the runs of each case, BENCH_IDLE_MS (default
// 5000) how long each app idles before its memory is read.
//
// How it measures, from outside, with nothing special in either app:
// - spawn: each app is started through a small wrapper that notes the wall
//   clock and its own pid, then execs the app (same pid);
// - window mapped: `xev` on the root window reports the MapNotify of the
//   app's top-level window (checked with its _NET_WM_PID);
// - first content: over WebDriver (tauri-driver), a script in the page checks
//   once per frame (requestAnimationFrame) whether the real content is there
//   and notes the wall clock of the first frame that has it; the empty app's
//   page paints nothing else, so for it the first contentful paint (Paint
//   Timing) is used, which does not depend on when WebDriver gets in. Liftoff: the
//   projects page's empty state (empty database); the project list with the
//   sample project (sample, and 50,000 items); the timeline of the project
//   with 50,000 items drawn: the script clicks the project, then its
//   Timeline tab, as soon as each shows, and waits until the canvas shows
//   release bars. The empty app: its page shows the answer of its command;
// - idle memory: after BENCH_IDLE_MS with the content shown, PSS
//   (/proc/PID/smaps_rollup) of the app and of its WebKit processes
//   (WebKitWebProcess, WebKitNetworkProcess).

import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshHome, launch, sql } from "../tests/e2e/harness.mjs";
import { fill } from "./bench-fill.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
const ITEMS = 50000;
const TIMEOUT_MS = 120000;

const need = (name) => {
  const v = process.env[name];
  if (!v || !existsSync(v)) throw new Error(`${name} must point at a built binary (got ${v ?? "nothing"}); run scripts/bench.sh`);
  return v;
};
const liftoffApp = need("LIFTOFF_APP");
const emptyApp = need("LIFTOFF_EMPTY_APP");

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
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
    maps.push({ at, window: m[1] });
    last = re.lastIndex;
  }
  xevText = xevText.slice(last).slice(-4096);
});
await sleep(300);

function windowPid(window) {
  try {
    const out = execFileSync("xprop", ["-id", window, "_NET_WM_PID"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return Number(/= (\d+)/.exec(out)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

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

// Runs in the page, over WebDriver, until `at` is set: checks once per frame
// whether the first content is there.
const PROBE = `
const goal = arguments[0];
if (!window.__liftoffBench) {
  const now = () => performance.timeOrigin + performance.now();
  const b = { installedAt: now(), at: null, listAt: null, earlyContent: false, earlyList: false, error: null };
  window.__liftoffBench = b;
  const withText = (css, text) => [...document.querySelectorAll(css)].find((e) => (e.textContent || "").includes(text));
  const colors = new Set(goal.colors || []);
  const drawn = () => {
    const c = document.querySelector(goal.canvas);
    if (!c || !c.width || !c.height) return false;
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 255 && colors.has((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]) && ++n >= 50) return true;
    }
    return false;
  };
  let tabClicked = false;
  const check = (first) => {
    try {
      if (goal.kind === "text") return !!withText(goal.css, goal.text);
      const row = withText(goal.row, goal.rowText);
      if (row && b.listAt === null) {
        b.listAt = now();
        b.earlyList = first;
        row.click();
      }
      const tab = document.querySelector(goal.tab);
      if (tab && !tabClicked) {
        tabClicked = true;
        tab.click();
      }
      return drawn();
    } catch (e) {
      b.error = String(e);
      return false;
    }
  };
  const tick = () => {
    if (check(false)) b.at = now();
    else requestAnimationFrame(tick);
  };
  if (check(true)) {
    b.at = now();
    b.earlyContent = true;
  } else requestAnimationFrame(tick);
}
// First contentful paint: for the empty app, whose page paints nothing
// before its content, this is when the content first shows, whenever
// WebDriver first reaches the page.
const fcp = performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint");
window.__liftoffBench.fcp = fcp ? performance.timeOrigin + fcp.startTime : null;
return window.__liftoffBench;
`;

// Release bar colours of the timeline (TimelineCanvas.svelte's COLORS):
// opaque pixels of these mean the releases are drawn.
const BAR_COLORS = ["#8a90a8", "#4b4fd1", "#2f9e6e", "#d08a12", "#2f7a5a", "#c62f3b", "#b7bccc"].map((h) => parseInt(h.slice(1), 16));

const cases = [
  { key: "empty", label: "empty app", app: emptyApp, goal: { kind: "text", css: "[data-testid=first-content]", text: "Hello", paint: true } },
  { key: "db0", label: "empty database", app: liftoffApp, goal: { kind: "text", css: "[data-testid=empty-state]", text: "Open the sample project" } },
  { key: "sample", label: "sample project", app: liftoffApp, goal: { kind: "text", css: "[data-testid=project-row]", text: "Northwind" } },
  {
    key: "items",
    label: `${ITEMS.toLocaleString("en")} items`,
    app: liftoffApp,
    goal: {
      kind: "timeline",
      row: "[data-testid=project-row]",
      rowText: "Northwind",
      tab: "[data-testid=tab-timeline]",
      canvas: "[data-testid=timeline-canvas]",
      colors: BAR_COLORS,
    },
  },
];

function copyHome(template, name) {
  const home = freshHome(name);
  rmSync(home.root, { recursive: true, force: true });
  cpSync(template.root, home.root, { recursive: true });
  return home;
}

/** Starts `app` with `home`, measures, idles, reads memory, quits. */
async function measure(c, home) {
  const spawnFile = join(work, `spawn-${c.key}`);
  rmSync(spawnFile, { force: true });
  const mapsBefore = maps.length;
  const app = await launch(home, {
    testName: `bench-startup-${c.key}`,
    application: wrapper,
    env: { LIFTOFF_BENCH_SPAWN: spawnFile, LIFTOFF_BENCH_TARGET: c.app },
  });
  let pid;
  try {
    const [spawned, pidText] = readFileSync(spawnFile, "utf8").trim().split(" ");
    const spawnAt = Number(spawned) * 1000;
    pid = Number(pidText);
    const sessionReady = now() - spawnAt;
    const deadline = Date.now() + TIMEOUT_MS;
    let b;
    for (;;) {
      b = await app.session.execute(PROBE, [c.goal]);
      if (b.at !== null) break;
      if (Date.now() > deadline) throw new Error(`${c.label}: no first content after ${TIMEOUT_MS} ms (${b.error ?? "no error"})`);
      await sleep(50);
    }
    let content = b.at;
    let late = b.earlyContent || b.earlyList;
    if (c.goal.paint) {
      for (let i = 0; i < 20 && b.fcp === null; i++) {
        await sleep(50);
        b = await app.session.execute(PROBE, [c.goal]);
      }
      if (b.fcp !== null) {
        content = b.fcp;
        late = false;
      }
    }
    let mapped = null;
    for (const m of maps.slice(mapsBefore)) {
      if (windowPid(m.window) === pid) {
        mapped = m.at - spawnAt;
        break;
      }
    }
    await sleep(IDLE_MS);
    const mem = memory(pid);
    return {
      mapped,
      content: content - spawnAt,
      list: b.listAt === null ? null : b.listAt - spawnAt,
      session: b.installedAt - spawnAt,
      sessionReady,
      late,
      memKiB: mem.kib,
      counted: mem.counted,
    };
  } finally {
    await app.quit();
    // The app and its WebKit processes end with the session; wait for them
    // so that the next run starts on a quiet machine.
    const tree = pid ? processTree(pid).map((p) => p.pid) : [];
    const until = Date.now() + 5000;
    while (tree.some(alive) && Date.now() < until) await sleep(50);
    for (const p of tree.filter(alive)) process.kill(p, "SIGKILL");
  }
}

// The databases, made once: empty (schema only), the sample project, and
// the sample project with 50,000 items and a year of one-minute load. Each
// run starts on a fresh copy of its home; an extra first round warms caches
// and is not counted.
console.log(`Start-up and memory against an empty Tauri 2 app (median of ${RUNS} interleaved runs; spawn to the window mapped and to first content; PSS after ${IDLE_MS / 1000} s idle; 1 MB = 10^6 bytes)`);
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

const results = Object.fromEntries(cases.map((c) => [c.key, []]));
for (let round = 0; round <= RUNS; round++) {
  // Rotate the order, so that no case always follows the same one.
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length];
    const home = copyHome(templates[c.key], `bench-startup-${c.key}-${round}`);
    try {
      const r = await measure(c, home);
      if (round > 0) results[c.key].push(r);
      if (process.env.BENCH_VERBOSE) console.log(round, c.label, JSON.stringify(r));
    } finally {
      rmSync(home.root, { recursive: true, force: true });
    }
  }
}
xev.kill();
for (const t of Object.values(templates)) rmSync(t.root, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });

const med = (key, field) => {
  const xs = results[key].map((r) => r[field]).filter((x) => x !== null && x !== undefined);
  return xs.length ? median(xs) : null;
};
const range = (key, field) => {
  const xs = results[key].map((r) => r[field]).filter((x) => x !== null && x !== undefined);
  return xs.length ? `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}` : "";
};
const rows = [];
const row = (metric, base, value, unit, aim, note = "") => {
  const fmt = (v) => (v === null ? "n/a" : unit === "ms" ? `${v.toFixed(0)} ms` : `${((v * 1024) / 1e6).toFixed(1)} MB`);
  const ratio = base === null || value === null ? "n/a" : `${(value / base).toFixed(2)}x`;
  rows.push([metric, fmt(base), fmt(value), ratio, aim, note]);
};
const E = "empty";
for (const c of cases.slice(1)) row(`window mapped, ${c.label}`, med(E, "mapped"), med(c.key, "mapped"), "ms", "1.15x", `Liftoff ${range(c.key, "mapped")} ms`);
row("first content, empty database", med(E, "content"), med("db0", "content"), "ms", "1.15x", `Liftoff ${range("db0", "content")} ms`);
row("first content, sample project", med(E, "content"), med("sample", "content"), "ms", "1.15x", `Liftoff ${range("sample", "content")} ms`);
row(`first content, ${cases[3].label} (project list)`, med(E, "content"), med("items", "list"), "ms", "1.15x", `Liftoff ${range("items", "list")} ms`);
row(`first content, ${cases[3].label} (timeline drawn)`, med(E, "content"), med("items", "content"), "ms", "1.15x", `Liftoff ${range("items", "content")} ms; clicks included`);
for (const c of cases.slice(1)) row(`idle memory (PSS), ${c.label}${c.key === "items" ? " (timeline open)" : ""}`, med(E, "memKiB"), med(c.key, "memKiB"), "MB", "1.15x");
const size = (v) => (v && existsSync(v) ? statSync(v).size / 1024 : null);
row(".deb package", size(process.env.LIFTOFF_EMPTY_DEB), size(process.env.LIFTOFF_DEB), "MB", "< 6 MB");
row("binary", size(emptyApp), size(liftoffApp), "MB", "");

const header = ["metric", "empty app", "Liftoff", "ratio", "aim", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i === 0 || i === r.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ").trimEnd();
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log(`empty app: first content ${range(E, "content")} ms, window mapped ${range(E, "mapped")} ms over the runs`);
const lateRuns = Object.values(results).flat().filter((r) => r.late).length;
if (lateRuns) console.log(`warning: in ${lateRuns} runs the content was already there when the page was first reached over WebDriver: those times are upper bounds`);
const missing = Object.values(results).flat().filter((r) => r.mapped === null).length;
if (missing) console.log(`warning: ${missing} runs saw no MapNotify of the app's window`);
const counted = new Set(Object.values(results).flat().flatMap((r) => r.counted));
console.log(`memory counts: ${[...counted].join(", ")}; first WebDriver contact ${median(Object.values(results).flat().map((r) => r.session)).toFixed(0)} ms after spawn (median)`);
