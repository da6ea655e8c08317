// Starts the real Liftoff binary in a real window through tauri-driver and
// WebKitWebDriver, one data folder per test, and keeps a screenshot of every
// step under target/e2e-screenshots/.
//
// Needs: a display (the test script runs this under Xvfb), tauri-driver and
// WebKitWebDriver on PATH, and LIFTOFF_APP pointing at the built binary.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Session } from "./webdriver.mjs";

const repo = resolve(import.meta.dirname, "../..");
export const screenshotDir = process.env.LIFTOFF_SCREENSHOTS ?? join(repo, "target", "e2e-screenshots");

export function appBinary() {
  const app = process.env.LIFTOFF_APP;
  if (!app || !existsSync(app)) {
    throw new Error(`LIFTOFF_APP must point at the built Liftoff binary (got ${app ?? "nothing"}). Run the tests with scripts/test.sh.`);
  }
  return app;
}

// Homes made by this file's tests: removed when every test of the file
// passed (each test file runs in its own process); kept to look at when
// one failed.
const homes = [];
process.on("exit", (code) => {
  if (code !== 0 || process.exitCode) return;
  for (const root of homes) rmSync(root, { recursive: true, force: true });
});

/** A fresh, empty home for one test: data folder and XDG dirs. */
export function freshHome(name) {
  const root = mkdtempSync(join(tmpdir(), `liftoff-e2e-${name}-`));
  homes.push(root);
  const dirs = {
    root,
    data: join(root, "data"),
    config: join(root, "config"),
    cache: join(root, "cache"),
    xdgData: join(root, "share"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return dirs;
}

// Screenshot numbers continue across restarts within one test.
const steps = new Map();

export async function freePort() {
  return (await freePorts(1))[0];
}

/**
 * `n` distinct free loopback ports. All are held open until the last is
 * found, so two calls in a row cannot hand out the same port.
 */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      await new Promise((resolveListen, reject) => {
        server.on("error", reject);
        server.listen(0, "127.0.0.1", resolveListen);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(() => done()))));
  }
}

/** The driver did not come up: worth another try on new ports. */
class DriverNotReady extends Error {}

async function waitForDriver(base, child, output) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new DriverNotReady(`tauri-driver exited (${child.exitCode}): ${output.join("")}`);
    // WebKitWebDriver could not take its port (another process took it
    // between our look and its start): tauri-driver lives on without it.
    if (/Unable to listen/.test(output.join(""))) throw new DriverNotReady(`the native driver could not listen: ${output.join("")}`);
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DriverNotReady(`tauri-driver did not start: ${output.join("")}`);
}

/** Starts tauri-driver on two fresh ports and waits until it answers. */
async function startDriver(env) {
  for (let attempt = 1; ; attempt++) {
    const [port, nativePort] = await freePorts(2);
    const output = [];
    const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    driver.stdout.on("data", (d) => output.push(d.toString()));
    driver.stderr.on("data", (d) => output.push(d.toString()));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForDriver(base, driver, output);
      return { driver, base, output };
    } catch (e) {
      stopDriver(driver);
      // A port taken by another process is worth a second pair of ports;
      // three failures in a row are not chance.
      if (!(e instanceof DriverNotReady) || attempt === 3) throw e;
      console.log(`tauri-driver not ready on ports ${port}/${nativePort} (attempt ${attempt}), trying new ports`);
    }
  }
}

function stopDriver(driver) {
  // A driver left running would keep the test process alive.
  driver.kill("SIGTERM");
  driver.stdout.destroy();
  driver.stderr.destroy();
}

/** The environment of an app started with `home` as its world. */
export function appEnv(home, extra = {}) {
  return {
    ...process.env,
    LIFTOFF_DATA_DIR: home.data,
    XDG_CONFIG_HOME: home.config,
    XDG_CACHE_HOME: home.cache,
    XDG_DATA_HOME: home.xdgData,
    WEBKIT_DISABLE_DMABUF_RENDERER: "1",
    RUST_LOG: process.env.RUST_LOG ?? "info",
    ...extra,
  };
}

/**
 * Starts Liftoff with `home` as its world and returns a handle with the
 * WebDriver session. `quit()` ends the app. `application` starts another
 * binary instead (the benchmark's empty app, or a wrapper around Liftoff).
 */
export async function launch(home, { testName, env: extraEnv = {}, application = appBinary(), args = [] } = {}) {
  const env = appEnv(home, extraEnv);
  const { driver, base, output } = await startDriver(env);
  let session;
  try {
    session = await Session.create(base, { browserName: "wry", "tauri:options": { application, args } });
  } catch (e) {
    stopDriver(driver);
    throw e;
  }
  const app = {
    session,
    home,
    output,
    /**
     * Saves a screenshot of the window, named after the test and the step.
     * It is taken from the X display (what a person would see), not with
     * WebDriver's screenshot command: WebKitWebDriver waits for a repaint
     * that a static page under Xvfb never makes, and hangs.
     */
    async shot(label) {
      mkdirSync(screenshotDir, { recursive: true });
      const step = (steps.get(testName) ?? 0) + 1;
      steps.set(testName, step);
      const file = join(screenshotDir, `${testName ?? "e2e"}-${String(step).padStart(2, "0")}-${label}.png`);
      const { x, y, width, height } = await session.cmd("GET", "/window/rect");
      // Let the last change paint before capturing.
      await new Promise((r) => setTimeout(r, 300));
      execFileSync("import", ["-window", "root", "-crop", `${width}x${height}+${Math.max(0, x)}+${Math.max(0, y)}`, "+repage", file]);
      return file;
    },
    /**
     * Sets the window's size (and position, if given) from the X server, as
     * a window manager would, and waits until WebDriver reports it.
     * WebDriver's own Set Window Rect is not used: WebKitWebDriver at times
     * never answers it (seen in CI and here after a few resizes), and the
     * whole session hangs with it.
     */
    async resize(rect) {
      const pid = appPids(application, home)[0];
      if (!pid) throw new Error("the app is not running");
      const now = await session.cmd("GET", "/window/rect");
      if (Object.entries(rect).every(([k, v]) => now[k] === v)) return;
      const wid = execFileSync("xdotool", ["search", "--onlyvisible", "--pid", String(pid)], { encoding: "utf8" }).trim().split("\n")[0];
      if (!wid) throw new Error(`no visible window of the app (pid ${pid})`);
      if (rect.x !== undefined) execFileSync("xdotool", ["windowmove", wid, String(rect.x), String(rect.y)]);
      if (rect.width !== undefined) execFileSync("xdotool", ["windowsize", wid, String(rect.width), String(rect.height)]);
      await session.waitUntil(
        async () => {
          const r = await session.cmd("GET", "/window/rect");
          return Object.entries(rect).every(([k, v]) => r[k] === v);
        },
        `the window at ${JSON.stringify(rect)}`,
      );
    },
    async quit() {
      try {
        await session.delete();
      } catch (e) {
        // The driver is stopped below either way; a test's own error, if
        // any, is the one to report, not this one.
        console.log(`ending the WebDriver session: ${e.message}`);
      } finally {
        driver.kill("SIGTERM");
        await new Promise((r) => (driver.exitCode !== null ? r() : driver.once("exit", r)));
        // A WebKit helper process of the app can outlive it and keep these
        // pipes open, which would keep the test process alive for ever.
        driver.stdout.destroy();
        driver.stderr.destroy();
        // Liftoff runs once per data folder: a start on the same folder
        // before this one has gone would hand over to it (and the next
        // session would wait for a window that never comes). Wait until no
        // process of this app on this folder is left; one that lingers
        // past 10 s is killed, as a person would end a stuck app.
        for (let waited = 0; appPids(application, home).length && waited < 10000; waited += 50) {
          await new Promise((r) => setTimeout(r, 50));
        }
        for (const pid of appPids(application, home)) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone meanwhile
          }
        }
        for (let waited = 0; appPids(application, home).length && waited < 2000; waited += 50) {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
  };
  return app;
}

/** The live (not zombie) processes of `application` that run with `home`'s data folder. */
export function appPids(application, home) {
  let exe;
  try {
    exe = realpathSync(application);
  } catch {
    return [];
  }
  const wanted = `LIFTOFF_DATA_DIR=${home.data}\0`;
  const found = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/exe`) !== exe) continue;
      if (/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))) continue;
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(wanted)) found.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * Launches Liftoff, runs `steps(session, app)`, and quits. On a failure it
 * keeps a screenshot and prints the end of the app's log first.
 */
export async function withApp(home, options, steps) {
  const app = await launch(home, options);
  try {
    return await steps(app.session, app);
  } catch (e) {
    await app.shot("failure").catch(() => {});
    console.log(app.output.join("").slice(-3000));
    throw e;
  } finally {
    await app.quit();
  }
}

/** Runs a query on the app's SQLite file with the sqlite3 command-line tool. */
export function sql(home, query) {
  const out = execFileSync("sqlite3", ["-json", join(home.data, "liftoff.db"), query], { encoding: "utf8" });
  return out.trim() ? JSON.parse(out) : [];
}

/**
 * Adds a credential to the environment in `row` (1-based) of the open
 * Environments page; its value goes to the keychain.
 */
export async function addCredential(s, row, name, value) {
  const env = `[data-testid=environment-row]:nth-child(${row})`;
  await (await s.waitFor(`${env} [data-testid=add-credential]`)).click();
  await (await s.waitFor(`${env} [data-testid=cred-name]`)).type(name);
  await (await s.find(`${env} [data-testid=cred-value]`)).type(value);
  await (await s.find(`${env} [data-testid=cred-submit]`)).click();
  await s.waitForText(`${env} [data-testid=credential-row]`, name);
}

/**
 * Answers the next native file dialogs (Save or Open) with these paths, in
 * order; `null` is Cancel. A native GTK dialog cannot be clicked over
 * WebDriver: the window's file layer (ui/src/lib/files.ts) takes these
 * answers instead, and records what it was asked. Everything after the
 * dialog (Liftoff reading or writing the file) runs as for a person.
 */
export async function answerFileDialogs(s, ...answers) {
  await s.execute("window.__LIFTOFF_TEST_FILES__ = { answers: arguments[0], asked: [] };", [answers]);
}

/** The file dialogs asked since `answerFileDialogs`: `{ mode, kind, defaultPath, filters }`. */
export async function fileDialogsAsked(s) {
  return s.execute("return window.__LIFTOFF_TEST_FILES__ ? window.__LIFTOFF_TEST_FILES__.asked : [];");
}

/**
 * An `xdg-open` for `home` that only writes down what it was asked to open
 * (in `home.root/opened.txt`), so that "Open folder" can be checked without
 * a file manager. Pass the result as `launch`'s `env`.
 */
export function recordingOpener(home) {
  const bin = join(home.root, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${join(home.root, "opened.txt")}'\n`, { mode: 0o755 });
  return { PATH: `${bin}:${process.env.PATH}` };
}

/** What the recording opener was asked to open, one line per argument. */
export function opened(home) {
  const file = join(home.root, "opened.txt");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Opens the sample project (from the empty start screen) on its Deploys page. */
export async function openSampleDeploys(s) {
  await (await s.waitFor("[data-testid=open-sample]")).click();
  await s.waitForText("[data-testid=project-title]", "Northwind Billing");
  await (await s.waitFor("[data-testid=tab-deploys]")).click();
  await s.waitFor("[data-testid=env-card-staging]");
}

/** Replaces the text of the input matching `css`, typing as a person would. */
export async function typeInto(s, css, text) {
  const el = await s.waitFor(css);
  await el.clear();
  await el.type(text);
}

/** Chooses `value` in the select matching `css`. */
export async function chooseValue(s, css, value) {
  await s.waitFor(css);
  await s.execute(`const el = document.querySelector(${JSON.stringify(css)}); el.value = ${JSON.stringify(value)}; el.dispatchEvent(new Event('change', { bubbles: true }));`);
}

/**
 * Records every notice the window shows from now on, so that a test can
 * check one appeared even when a slow machine polls after its few seconds
 * on screen are over (notices go by themselves).
 */
export async function recordNotices(s) {
  await s.execute(`
    window.__LIFTOFF_NOTICES_SEEN__ = [];
    const seen = () => document.querySelectorAll("[data-testid=notice]").forEach((n) => window.__LIFTOFF_NOTICES_SEEN__.push(n.textContent));
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, characterData: true });
  `);
}

/** Waits until a notice with `text` has been shown since {@link recordNotices}. */
export async function waitForNotice(s, text, timeoutMs = 30000) {
  await s.waitUntil(async () => (await s.execute("return window.__LIFTOFF_NOTICES_SEEN__ || []")).some((t) => t.includes(text)), `a notice “${text}”`, timeoutMs);
}
