// End-to-end: projects in the real app, in a real window.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { appBinary, appEnv, appPids, freshHome, launch, sql } from "./harness.mjs";

async function fillProjectForm(s, { name, description, repository, timeZone }) {
  const nameInput = await s.waitFor("#project-name");
  await nameInput.clear();
  if (name) await nameInput.type(name);
  if (description) await (await s.find("#project-description")).type(description);
  if (repository) await (await s.find("#project-repository")).type(repository);
  if (timeZone) {
    const tz = await s.find("#project-timeZone");
    await tz.clear();
    await tz.type(timeZone);
  }
}

/**
 * The texts on screen drawn in a monospace family. The first screens use
 * none: on Linux a second family costs the page's process its font file
 * (0.24 MB) and the first layout a fontconfig lookup.
 */
const monospaceOnScreen = (s) =>
  s.execute(`return [...document.querySelectorAll("body *")]
    .filter((e) => e.childElementCount === 0 && e.textContent.trim() && e.getClientRects().length && /mono/i.test(getComputedStyle(e).fontFamily))
    .map((e) => e.textContent.trim());`);

test("a new project is stored and is still there after a restart", async () => {
  const home = freshHome("create");
  let app = await launch(home, { testName: "create-project" });
  try {
    const s = app.session;
    await s.waitForText("[data-testid=empty-state]", "Open the sample project");
    await app.shot("empty-state");
    assert.deepEqual(await monospaceOnScreen(s), []);

    await (await s.find("[data-testid=new-project]")).click();
    await fillProjectForm(s, {
      name: "Atlas Mobile",
      description: "The field-service app for 3,000 technicians.",
      repository: "git@git.example.com:atlas/mobile.git",
      timeZone: "America/New_York",
    });
    await app.shot("new-project-form");
    await (await s.find("[data-testid=project-submit]")).click();
    await s.waitForText("[data-testid=project-title]", "Atlas Mobile");
    await app.shot("project-created");
  } finally {
    await app.quit();
  }

  const rows = sql(home, "SELECT name, description, repository, time_zone, archived_at FROM projects");
  assert.deepEqual(rows, [
    {
      name: "Atlas Mobile",
      description: "The field-service app for 3,000 technicians.",
      repository: "git@git.example.com:atlas/mobile.git",
      time_zone: "America/New_York",
      archived_at: null,
    },
  ]);

  app = await launch(home, { testName: "create-project" });
  try {
    const s = app.session;
    const row = await s.waitForText("[data-testid=project-row]", "Atlas Mobile");
    assert.match(await row.text(), /America\/New_York/);
    assert.match(await row.text(), /git@git\.example\.com:atlas\/mobile\.git/);
    assert.deepEqual(await monospaceOnScreen(s), []);
    await app.shot("after-restart");
    // A project opens on its Timeline, and later on the tab it was left on.
    await row.click();
    await s.waitFor("[data-testid=timeline]");
    // A new project's timeline says what to do first.
    assert.match(await (await s.waitFor("[data-testid=timeline-empty]")).text(), /No release in view\.\s*Add a release and the people who ship it, then plan its window here\./);
    await app.shot("opened-on-its-timeline");
    const current = () => s.execute(`return document.querySelector("[aria-current=page]")?.dataset.testid ?? null`);
    assert.equal(await current(), "tab-timeline");
    // Its People button leads there.
    await (await s.find("[data-testid=timeline-empty-people]")).click();
    await s.waitForText(".tab-title", "People");
    await (await s.find("[data-testid=nav-projects]")).click();
    await (await s.waitForText("[data-testid=project-row]", "Atlas Mobile")).click();
    await s.waitForText(".tab-title", "People");
    assert.equal(await current(), "tab-people");
  } finally {
    await app.quit();
  }
});

test("--data-dir opens the window on that folder", async () => {
  const home = freshHome("data-dir-flag");
  const other = join(home.root, "elsewhere");
  // No LIFTOFF_DATA_DIR: the option alone decides.
  const app = await launch(home, { testName: "data-dir-flag", env: { LIFTOFF_DATA_DIR: "" }, args: ["--data-dir", other] });
  try {
    const s = app.session;
    await s.waitForContent("[data-testid=data-dir]", other);
    assert.ok(existsSync(join(other, "liftoff.db")), "the database is in the folder given");
    assert.ok(!existsSync(join(home.data, "liftoff.db")), "and not in the default one");
    // The webview's cache and storage too: the folder is the whole data folder.
    await s.execute("localStorage.setItem('probe', 'x')");
    await s.waitUntil(async () => existsSync(join(other, "webview")), "the webview's data in the folder given");
    for (const outside of [join(home.xdgData, "dev.liftoff.app"), join(home.cache, "dev.liftoff.app")]) {
      const left = existsSync(outside) ? readdirSync(outside) : [];
      assert.deepEqual(left, [], `nothing written to ${outside}`);
    }
  } finally {
    await app.quit();
  }
});

test("a second start on the same data folder shows the open window and exits; another folder gets a window of its own", async () => {
  const home = freshHome("single-instance");
  const app = await launch(home, { testName: "single-instance" });
  let other;
  try {
    const s = app.session;
    await s.waitFor("[data-testid=empty-state]");
    const first = appPids(appBinary(), home);
    assert.equal(first.length, 1);
    // The same folder, written another way (a trailing slash): the start
    // hands over to the open window and exits at once, without a window.
    const started = Date.now();
    const second = spawnSync(appBinary(), [], { env: appEnv(home, { LIFTOFF_DATA_DIR: `${home.data}/` }), encoding: "utf8", timeout: 30000 });
    assert.equal(second.status, 0, `${second.error ?? ""} ${second.stderr}`);
    assert.ok(Date.now() - started < 10000, `it handed over in ${Date.now() - started} ms`);
    assert.deepEqual(appPids(appBinary(), home), first, "still the one Liftoff on this folder");
    await s.waitFor("[data-testid=empty-state]");
    // Another folder: a Liftoff of its own, which stays.
    const elsewhere = freshHome("single-instance-other");
    other = spawn(appBinary(), [], { env: appEnv(elsewhere), stdio: "ignore" });
    await s.waitUntil(async () => appPids(appBinary(), elsewhere).length === 1, "a Liftoff on the other folder");
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(other.exitCode, null, "the Liftoff on the other folder keeps running");
    await app.shot("after-second-start");
  } finally {
    if (other && other.exitCode === null) other.kill("SIGKILL");
    await app.quit();
  }
});

test("an empty name is refused beside the field and nothing is stored", async () => {
  const home = freshHome("empty-name");
  const app = await launch(home, { testName: "empty-name" });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=new-project]")).click();
    await fillProjectForm(s, { name: "", description: "No name given", repository: "not a repo", timeZone: "Mars/Base" });
    await (await s.find("[data-testid=project-submit]")).click();

    const nameError = await s.waitForText("[data-testid=project-name-error]", "Give the project a name.");
    assert.ok(await nameError.displayed());
    assert.equal(await (await s.find("#project-name")).attribute("aria-invalid"), "true");
    await s.waitForText("[data-testid=project-repository-error]", "Enter a local folder");
    await s.waitForText("[data-testid=project-timeZone-error]", "“Mars/Base” is not a time zone");
    await app.shot("inline-errors");

    // The user's input is still there to correct.
    assert.equal(await (await s.find("#project-description")).property("value"), "No name given");
  } finally {
    await app.quit();
  }
  assert.deepEqual(sql(home, "SELECT count(*) AS n FROM projects"), [{ n: 0 }]);
});

test("a corrupt database at startup is kept aside and the app works", async () => {
  const home = freshHome("corrupt");
  const garbage = Buffer.from("this is not a SQLite database, it is a damaged file\n".repeat(100));
  writeFileSync(join(home.data, "liftoff.db"), garbage);

  const app = await launch(home, { testName: "corrupt-db" });
  try {
    const s = app.session;
    const banner = await s.waitForText("[data-testid=recovery-banner]", "damaged database");
    const text = await banner.text();
    assert.match(text, /not a SQLite database/);
    assert.match(text, /started with an empty database/);
    await app.shot("recovery-message");

    await (await s.find("[data-testid=new-project]")).click();
    await fillProjectForm(s, { name: "After the crash" });
    await (await s.find("[data-testid=project-submit]")).click();
    await s.waitForText("[data-testid=project-title]", "After the crash");
    await app.shot("working-after-recovery");
  } finally {
    await app.quit();
  }

  const kept = readdirSync(home.data).filter((f) => f.startsWith("liftoff.db.corrupt-"));
  assert.equal(kept.length, 1, `expected one quarantined file, found ${kept}`);
  assert.deepEqual(readFileSync(join(home.data, kept[0])), garbage, "the damaged file must be kept byte for byte");
  assert.deepEqual(sql(home, "SELECT name FROM projects"), [{ name: "After the crash" }]);
});

test("a database from a newer Liftoff is refused and left unchanged", async () => {
  const home = freshHome("newer");
  const db = join(home.data, "liftoff.db");
  execFileSync("sqlite3", [db, "CREATE TABLE future (x); PRAGMA user_version = 99;"]);
  const before = readFileSync(db);

  const app = await launch(home, { testName: "newer-db" });
  try {
    const problem = await app.session.waitForText("[data-testid=startup-problem]", "newer version of Liftoff");
    assert.match(await problem.text(), /schema 99/);
    await app.shot("newer-database");
  } finally {
    await app.quit();
  }
  assert.deepEqual(readFileSync(db), before, "the newer database must not be touched");
});

test("the sample project opens, and a project can be archived, restored and deleted", async () => {
  const home = freshHome("lifecycle");
  const app = await launch(home, { testName: "lifecycle" });
  try {
    const s = app.session;
    await s.waitFor("[data-testid=open-sample]");
    // Under WebKitGTK the page asks for the generic families (ui/src/lib/fonts.ts).
    assert.deepEqual(
      await s.execute(`const st = getComputedStyle(document.documentElement); return [st.fontFamily, st.getPropertyValue("--mono").trim()];`),
      ["sans-serif", "monospace"],
    );
    // Once the first screen is drawn, the project page's and the timeline's
    // code load in the background (lib/warm.ts): their stylesheets are in
    // the page before either opens.
    const warmed = () => s.execute(`return ["ProjectPage", "TimelinePage"].filter((n) => document.querySelector('link[rel=stylesheet][href*="/' + n + '-"]'));`);
    const deadline = Date.now() + 10000;
    while ((await warmed()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await warmed(), ["ProjectPage", "TimelinePage"]);
    await (await s.find("[data-testid=open-sample]")).click();
    await s.waitForText("[data-testid=project-title]", "Northwind Billing (sample)");
    // The sample opens on its timeline, with its planned release.
    await s.waitFor("[data-testid=timeline-canvas], canvas");
    // Its data is in once the planned release is selected.
    await s.waitForText("[data-testid=selected-release] h3", "2.4.0");
    assert.equal(await s.execute(`return document.querySelector("[data-testid=timeline-empty]") === null`), true, "the sample's timeline has releases");
    await app.shot("sample-project");

    // The list's search: a text field with the searchbox role (WebKitGTK's
    // <input type=search> costs the page's process an SVG document), which
    // Escape and its clear button empty.
    await (await s.find("[data-testid=nav-projects]")).click();
    const box = await s.waitFor("[data-testid=project-search]");
    assert.equal(
      await s.execute(`const b = document.querySelector("[data-testid=project-search]"); return [b.type, b.getAttribute("role"), document.querySelectorAll("input[type=search]").length].join(" ");`),
      "text searchbox 0",
    );
    await box.type("zzz");
    await s.waitForText("[data-testid=no-match]", "No projects match “zzz”");
    await box.type("\uE00C");
    await s.waitFor("[data-testid=project-row]");
    assert.equal(await s.execute(`return document.querySelector("[data-testid=project-search]").value;`), "");
    await box.type("northwind q");
    await s.waitFor("[data-testid=no-match]");
    await app.shot("search-no-match");
    await (await s.find("[data-testid=search-clear]")).click();
    await s.waitFor("[data-testid=project-row]");
    assert.equal(
      await s.execute(`const b = document.querySelector("[data-testid=project-search]"); return [b.value, document.activeElement === b, document.querySelector("[data-testid=search-clear]") === null].join(" ");`),
      " true true",
    );
    await (await s.find("[data-testid=project-row]")).click();
    await (await s.waitFor("[data-testid=tab-settings]")).click();

    // The tab's code loads as it first opens.
    await (await s.waitFor("[data-testid=archive-toggle]")).click();
    await s.waitForText("[data-testid=archive-toggle]", "Restore project");
    assert.equal(sql(home, "SELECT archived_at IS NOT NULL AS archived FROM projects")[0].archived, 1);

    await (await s.find("[data-testid=archive-toggle]")).click();
    await s.waitForText("[data-testid=archive-toggle]", "Archive project");
    assert.equal(sql(home, "SELECT archived_at IS NOT NULL AS archived FROM projects")[0].archived, 0);

    await (await s.find("[data-testid=delete-project]")).click();
    await s.waitForText("[data-testid=confirm-dialog]", "cannot be undone");
    await app.shot("delete-confirmation");
    await (await s.find("[data-testid=confirm]")).click();
    await s.waitForText("[data-testid=empty-state]", "Open the sample project");
    await app.shot("after-delete");
  } finally {
    await app.quit();
  }
  assert.deepEqual(sql(home, "SELECT count(*) AS n FROM projects"), [{ n: 0 }]);
});

test("the window comes back at the size and place it was left", async () => {
  const home = freshHome("window");
  const stateFile = join(home.config, "dev.liftoff.app", ".window-state.json");
  let app = await launch(home, { testName: "window-state" });
  try {
    const s = app.session;
    await s.waitFor("[data-testid=empty-state]");
    await app.resize({ x: 60, y: 40, width: 1100, height: 700 });
    await s.waitUntil(() => existsSync(stateFile), "the saved window state");
    await app.shot("moved-and-resized");
  } finally {
    await app.quit();
  }

  app = await launch(home, { testName: "window-state" });
  try {
    const s = app.session;
    await s.waitFor("[data-testid=empty-state]");
    const rect = await s.cmd("GET", "/window/rect");
    assert.deepEqual(
      { x: rect.x, y: rect.y, width: rect.width, height: rect.height },
      { x: 60, y: 40, width: 1100, height: 700 },
    );
    await app.shot("restored");
  } finally {
    await app.quit();
  }
});

test("the theme follows the operating system's dark setting", async () => {
  const home = freshHome("dark");
  const app = await launch(home, { testName: "dark-theme", env: { GTK_THEME: "Adwaita:dark" } });
  try {
    const s = app.session;
    await s.waitFor("[data-testid=empty-state]");
    const [dark, background] = await s.execute(
      "return [matchMedia('(prefers-color-scheme: dark)').matches, getComputedStyle(document.documentElement).backgroundColor]",
    );
    assert.equal(dark, true, "WebKit should report the dark GTK theme to the page");
    assert.equal(background, "rgb(20, 22, 31)");
    await app.shot("dark");
  } finally {
    await app.quit();
  }
});
