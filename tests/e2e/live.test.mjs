// End-to-end: changes made by another process show up on the open page by
// themselves. The other process is the sqlite3 command-line tool writing to
// the app's database while the app runs; Liftoff notices the commit (SQLite's
// data_version), tells the window, and the page fetches again.

import { test } from "node:test";
import assert from "node:assert/strict";
import { freshHome, launch, sql } from "./harness.mjs";

// What "by themselves" means: well within this, without any user action.
const LIVE_MS = 2000;

// Liftoff stores times to the second. Each write elsewhere gets a later
// second than anything before it, so that `updated_at` really changes.
let ahead = 0;
const stamp = () => new Date(Date.now() + ++ahead * 1000).toISOString().replace(/\.\d+Z$/, "Z");

/** Writes as another process would: the sqlite3 tool, waiting if the app is writing. */
function writeElsewhere(home, statement) {
  sql(home, `PRAGMA busy_timeout = 5000; ${statement}`);
}

/** Waits for `text` in `css`, and says how long it took after `since`. */
async function appearsWithin(s, css, text, since) {
  await s.waitForText(css, text, { timeoutMs: LIVE_MS });
  return Date.now() - since;
}

test("a project renamed and a person added by another process show on the open pages", async () => {
  const home = freshHome("live");
  const app = await launch(home, { testName: "live" });
  try {
    const s = app.session;

    // A project, made through the UI; its page stays open.
    await (await s.waitFor("[data-testid=new-project]")).click();
    const name = await s.waitFor("#project-name");
    await name.clear();
    await name.type("Atlas Mobile");
    const tz = await s.find("#project-timeZone");
    await tz.clear();
    await tz.type("Europe/Berlin");
    await (await s.find("[data-testid=project-submit]")).click();
    await s.waitForText("[data-testid=project-title]", "Atlas Mobile");
    const projectId = sql(home, "SELECT id FROM projects WHERE name = 'Atlas Mobile'")[0].id;
    await app.shot("project-open");

    // Renamed elsewhere: the page's title, the sidebar and the settings form follow.
    let since = Date.now();
    writeElsewhere(home, `UPDATE projects SET name = 'Renamed elsewhere', updated_at = '${stamp()}' WHERE id = '${projectId}'`);
    const took = await appearsWithin(s, "[data-testid=project-title]", "Renamed elsewhere", since);
    // The sidebar shows the name in capitals (CSS); compare what it holds.
    await s.waitUntil(
      async () => (await s.execute("return document.querySelector('[data-testid=current-project-title]').textContent")) === "Renamed elsewhere",
      "the sidebar to show the new name",
      LIVE_MS,
    );
    await s.waitUntil(async () => (await (await s.find("#project-name")).property("value")) === "Renamed elsewhere", "the settings form to show the new name", LIVE_MS);
    await app.shot("renamed-elsewhere");
    console.log(`project rename shown after ${took} ms`);

    // The people page, with the add form open and half filled in.
    await (await s.find("[data-testid=tab-people]")).click();
    await (await s.waitFor("[data-testid=add-person]")).click();
    await (await s.waitFor("#person-name")).type("Half typed");

    since = Date.now();
    writeElsewhere(
      home,
      `INSERT INTO people (id, project_id, name, email, role, time_zone, work_start, work_end, work_days, created_at, updated_at)
       VALUES (lower(hex(randomblob(16))), '${projectId}', 'Priya Nair', 'priya@atlas.example', 'reviewer', 'Europe/London',
               '09:00', '17:00', 31, '${stamp()}', '${stamp()}')`,
    );
    const tookPerson = await appearsWithin(s, "[data-testid=person-row]", "Priya Nair", since);
    // What the user was typing is still there.
    assert.equal(await (await s.find("#person-name")).property("value"), "Half typed");
    await app.shot("person-added-elsewhere");
    console.log(`added person shown after ${tookPerson} ms`);

    // The project list follows too.
    await s.execute("[...document.querySelectorAll('nav.sidebar button')].find((b) => b.textContent.includes('All projects')).click()");
    await s.waitForText("[data-testid=project-row]", "Renamed elsewhere");
    since = Date.now();
    writeElsewhere(home, `UPDATE projects SET name = 'Atlas Field Service', updated_at = '${stamp()}' WHERE id = '${projectId}'`);
    const tookList = await appearsWithin(s, "[data-testid=project-row]", "Atlas Field Service", since);
    await app.shot("project-list-follows");
    console.log(`project list updated after ${tookList} ms`);
  } finally {
    await app.quit();
  }

  assert.deepEqual(sql(home, "SELECT name FROM projects"), [{ name: "Atlas Field Service" }]);
  assert.deepEqual(sql(home, "SELECT name FROM people"), [{ name: "Priya Nair" }]);
});
