// End-to-end: export a project on one machine, import it on another.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addCredential, freshHome, launch, sql } from "./harness.mjs";

const CANARY = "canary-share-e2e-0c7d";

test("a project travels as a file with credential names only, and a bad file changes nothing", async () => {
  const first = freshHome("export");
  const file = join(first.root, "northwind.liftoff.json");
  let app = await launch(first, { testName: "share" });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-environments]")).click();
    await addCredential(s, 2, "DEPLOY_TOKEN", CANARY);

    await (await s.find("[data-testid=tab-settings]")).click();
    const pathInput = await s.waitFor("[data-testid=export-path]");
    await s.waitUntil(async () => (await pathInput.property("value")).endsWith(".liftoff.json"), "a suggested file name");
    await pathInput.clear();
    await pathInput.type(file);
    await (await s.find("[data-testid=export-project]")).click();
    await s.waitForText("[data-testid=export-result]", file);
    await app.shot("exported");

    // Liftoff never overwrites a file. (Enter submits: the toast may cover the button.)
    await pathInput.type("\uE007");
    await s.waitForText("[data-testid=export-path-error]", "already exists");
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
    await (await s.find("[data-testid=import-file]")).type(truncated);
    await s.waitForText("[data-testid=notice]", "The file is not valid JSON (");
    await app.shot("truncated-file");
    assert.deepEqual(sql(second, "SELECT count(*) AS n FROM projects"), [{ n: 0 }]);

    await (await s.find("[data-testid=import-file]")).type(file);
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
