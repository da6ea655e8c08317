// End-to-end: export a project on one machine, import it on another.

import { execFileSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addCredential, answerFileDialogs, fileDialogsAsked, freshHome, launch, opened, recordingOpener, sql, withApp } from "./harness.mjs";

const CANARY = "canary-share-e2e-0c7d";

test("a project travels as a file with credential names only, and a bad file changes nothing", async () => {
  const first = freshHome("export");
  const file = join(first.root, "northwind.liftoff.json");
  let app = await launch(first, { testName: "share", env: recordingOpener(first) });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-environments]")).click();
    await addCredential(s, 2, "DEPLOY_TOKEN", CANARY);

    await (await s.find("[data-testid=tab-settings]")).click();
    await answerFileDialogs(s, file);
    await (await s.waitFor("[data-testid=export-project]")).click();
    await s.waitForText("[data-testid=export-result-path]", file);
    const [asked] = await fileDialogsAsked(s);
    assert.equal(asked.mode, "save");
    assert.match(asked.defaultPath, /\/northwind-billing-sample-\d{4}-\d\d-\d\d\.liftoff\.json$/, "the suggested name");
    assert.deepEqual(asked.filters, [{ name: "JSON", extensions: ["json"] }]);
    await app.shot("exported");

    // Open folder: the folder of the file, through the desktop's opener.
    await (await s.find("[data-testid=export-result-open-folder]")).click();
    await s.waitUntil(async () => opened(first).includes(first.root), "the folder opened");

    // The next export starts in the folder chosen last, and replaces the
    // file the Save dialog confirmed, whole.
    writeFileSync(file, "an older export");
    await answerFileDialogs(s, file);
    await (await s.find("[data-testid=export-project]")).click();
    await s.waitUntil(async () => readFileSync(file, "utf8").includes("liftoff.project"), "the file replaced");
    const [again] = await fileDialogsAsked(s);
    assert.equal(again.defaultPath.slice(0, again.defaultPath.lastIndexOf("/")), first.root);
  } finally {
    await app.quit();
  }
  assert.ok(existsSync(file));
  const exported = readFileSync(file, "utf8");
  assert.ok(exported.includes("\"DEPLOY_TOKEN\""), "credential names travel");
  assert.ok(!exported.includes(CANARY) && !exported.includes(Buffer.from(CANARY).toString("base64")), "values never do");

  const second = freshHome("import");
  const truncated = join(second.root, "truncated.liftoff.json");
  writeFileSync(truncated, exported.slice(0, exported.length / 2));
  app = await launch(second, { testName: "share" });
  try {
    const s = app.session;
    await s.waitFor("[data-testid=empty-state]");
    await answerFileDialogs(s, truncated);
    await (await s.find("[data-testid=import-project]")).click();
    await s.waitForText("[data-testid=notice]", "The file is not valid JSON (");
    const [asked] = await fileDialogsAsked(s);
    assert.deepEqual([asked.mode, asked.filters], ["open", [{ name: "Liftoff project (.json)", extensions: ["json"] }]]);
    await app.shot("truncated-file");
    assert.deepEqual(sql(second, "SELECT count(*) AS n FROM projects"), [{ n: 0 }]);

    await answerFileDialogs(s, file);
    await (await s.find("[data-testid=import-project]")).click();
    const toFill = await s.waitForText("[data-testid=secrets-to-fill]", "DEPLOY_TOKEN");
    assert.match(await toFill.text(), /DEPLOY_TOKEN \(API token\) in staging/);
    await s.waitForText("[data-testid=project-title]", "Northwind Billing (sample)");
    await app.shot("imported");
  } finally {
    await app.quit();
  }
  assert.deepEqual(sql(second, "SELECT name FROM environments ORDER BY position").map((r) => r.name), ["development", "staging", "production"]);
  assert.deepEqual(sql(second, "SELECT count(*) AS n FROM credentials"), [{ n: 0 }], "no credential row without its value");
});

// The other tests answer the dialogs through the test hook; this one leaves
// it unset, so the plugin and the window's permission to use it are real.
test("without the test hook, the desktop's own Open and Save dialogs open", async () => {
  const home = freshHome("native-dialogs");
  await withApp(home, { testName: "native-dialogs" }, async (s, app) => {
    await (await s.waitFor("[data-testid=import-project]")).click();
    await s.waitUntil(async () => topWindows().includes("Open File"), "the GTK Open dialog");
    // The dialog is modal: go on with clicks from the page's script.
    const click = (testid) => s.execute(`document.querySelector('[data-testid=${testid}]').click()`);
    const present = (testid) => s.execute(`return !!document.querySelector('[data-testid=${testid}]')`);
    await click("open-sample");
    await s.waitUntil(() => present("tab-settings"), "the sample project");
    await click("tab-settings");
    await s.waitUntil(() => present("export-project"), "the export button");
    await click("export-project");
    await s.waitUntil(async () => topWindows().includes("Save File"), "the GTK Save dialog");
    await app.shot("native-save-dialog");
    assert.deepEqual(await s.execute("return [...document.querySelectorAll('[data-testid=notice]')].map((n) => n.textContent)"), [], "no error");
  }).finally(closeFileDialogs);
});

/**
 * The dialogs belong to the desktop portal (xdg-desktop-portal-gtk), which
 * outlives the app in the tests' shared D-Bus session: left open, they
 * would cover the screen of the tests after this one and take their
 * pointer. Close their client (the portal starts again when asked).
 */
async function closeFileDialogs() {
  const ids = () =>
    execFileSync("xwininfo", ["-root", "-children"], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes('"Open File"') || line.includes('"Save File"'))
      .map((line) => line.trim().split(/\s+/)[0]);
  for (const id of ids()) {
    try {
      execFileSync("xkill", ["-id", id], { stdio: "ignore" });
    } catch {
      // Gone already.
    }
  }
  const deadline = Date.now() + 5000;
  while (ids().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(ids(), [], "the desktop's file dialogs are closed");
}

/** The names of the X display's top-level windows. */
function topWindows() {
  return execFileSync("xwininfo", ["-root", "-children"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split('"')[1])
    .filter(Boolean);
}
