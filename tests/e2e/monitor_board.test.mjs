// End-to-end: the status board in the real window. The sample project's
// staging answers its health check from a healthy loopback server and
// production from a failing one (503); development has no health URL. The
// global Status board shows staging up and production down, and the checks
// are stored in SQLite; the project's Status tab shows each environment's
// card with the failure in words and the sparkline, and "Check health now"
// sees staging go down. In the release × environment matrix, 2.4.0 (verified
// on development) offers Promote to staging, which opens the Deploy dialog
// on the Deploys tab filled with that release and environment, preflight
// running as usual.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { freshHome, sql, withApp } from "./harness.mjs";

/** A loopback server answering every request with `status()`. */
async function healthServer(status) {
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    state.hits++;
    const code = status();
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: code === 200 ? "ok" : "down" }));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${server.address().port}/health`;
  state.close = () => new Promise((r) => server.close(r));
  return state;
}

const text = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const card = (env) => `[data-testid=board-env][data-environment=${env}]`;

test("status board: healthy and failing health servers, stored samples, matrix Promote opens the Deploy dialog", async () => {
  const home = freshHome("monitor-board");
  let stagingStatus = 200;
  const healthy = await healthServer(() => stagingStatus);
  const failing = await healthServer(() => 503);
  try {
    await withApp(home, { testName: "monitor-board" }, async (s, app) => {
      await (await s.waitFor("[data-testid=open-sample]")).click();
      await s.waitForText("[data-testid=project-title]", "Northwind Billing");
      const project = sql(home, "SELECT id FROM projects")[0].id;
      const envs = Object.fromEntries(sql(home, "SELECT id, name FROM environments").map((e) => [e.name, e.id]));
      const release = sql(home, "SELECT id FROM releases WHERE version = '2.4.0'")[0].id;
      // Health URLs: staging healthy, production failing, development none.
      // 2.4.0 verified on development an hour ago: the next step is staging.
      const now = Date.now();
      sql(
        home,
        `UPDATE environments SET health_url = '${healthy.url}' WHERE id = '${envs.staging}';
         UPDATE environments SET health_url = '${failing.url}' WHERE id = '${envs.production}';
         UPDATE environments SET health_url = '' WHERE id = '${envs.development}';
         INSERT INTO deploy_runs (id, project_id, environment_id, release_id, version, kind, started_by, started_at, ended_at, state, outcome)
         VALUES ('run-dev-240', '${project}', '${envs.development}', '${release}', '2.4.0', 'deploy', 'Omar Haddad', '${text(now - 3600_000)}', '${text(now - 3540_000)}', 'succeeded', '2.4.0 deployed and verified by its smoke checks.');`,
      );

      // 1. The global board: one row for the project, a chip per environment.
      await (await s.waitFor("[data-testid=nav-board]")).click();
      await s.waitFor("[data-testid=board-project]");
      await s.waitFor("[data-testid=board-chip][data-environment=staging][data-health=up]", { timeoutMs: 30000 });
      await s.waitFor("[data-testid=board-chip][data-environment=production][data-health=down]", { timeoutMs: 30000 });
      await s.waitForContent("[data-testid=board-chip][data-environment=production]", "down");
      await s.waitForContent("[data-testid=board-chip][data-environment=staging]", "2.3.1");
      await s.waitForContent("[data-testid=board-chip][data-environment=development]", "no health URL");
      await s.waitForContent("[data-testid=board-chip][data-environment=development]", "2.4.0");
      await s.waitForContent("[data-testid=board-down-words]", "production is down: The service answered with an error (503 Service Unavailable).");
      await app.shot("global-board");
      assert.ok(healthy.hits >= 1 && failing.hits >= 1, "both servers were asked");

      // The checks were stored: one per environment with a health URL.
      const samples = sql(home, "SELECT environment_id, ok, status, latency_ms, message FROM health_samples ORDER BY at");
      const of = (env) => samples.filter((x) => x.environment_id === envs[env]);
      assert.ok(of("staging").length >= 1 && of("staging").every((x) => x.ok === 1 && x.status === 200), JSON.stringify(samples));
      assert.ok(of("production").length >= 1 && of("production").every((x) => x.ok === 0 && x.status === 503), JSON.stringify(samples));
      assert.match(of("production")[0].message, /503 Service Unavailable\). It is reachable but unhealthy/);
      assert.equal(of("development").length, 0, "no URL, no check");

      // 2. The project's Status tab: cards in pipeline order with health in words.
      await (await s.find("[data-testid=board-project] button.link")).click();
      await s.waitFor("[data-testid=tab-status]");
      await s.waitFor(`${card("production")} [data-testid=health][data-state=down]`, { timeoutMs: 30000 });
      await s.waitForContent(`${card("production")} [data-testid=health-words]`, "The service answered with an error (503 Service Unavailable). It is reachable but unhealthy.");
      await s.waitFor(`${card("staging")} [data-testid=health][data-state=up]`);
      await s.waitForContent(`${card("staging")} [data-testid=health-words]`, "The health check answered 200 OK.");
      await s.waitFor(`${card("staging")} [data-testid=health-sparkline]`);
      await s.waitForContent(`${card("development")} [data-testid=health-words]`, "no health URL — add one in Environments");
      await s.waitForContent(`${card("development")} [data-testid=board-running]`, "2.4.0");
      await s.waitForContent(`${card("production")} [data-testid=board-running]`, "2.3.1");
      await s.waitForContent(`${card("production")} [data-testid=board-running]`, "deployed by Lena Fischer");
      const order = await s.execute("return [...document.querySelectorAll('[data-testid=board-env]')].map((e) => e.dataset.environment)");
      assert.deepEqual(order, ["development", "staging", "production"], "pipeline order");
      await app.shot("project-status");

      // Check health now: staging's service breaks; the card says so, with
      // the failure in words, and it is stored.
      stagingStatus = 500;
      await (await s.find("[data-testid=board-check-now]")).click();
      await s.waitFor(`${card("staging")} [data-testid=health][data-state=down]`, { timeoutMs: 30000 });
      await s.waitForContent(`${card("staging")} [data-testid=health-words]`, "500 Internal Server Error");
      const staging = sql(home, `SELECT ok, status FROM health_samples WHERE environment_id = '${envs.staging}' ORDER BY at DESC, rowid DESC LIMIT 1`)[0];
      assert.deepEqual(staging, { ok: 0, status: 500 });

      // 3. The matrix: 2.4.0 verified on development, Promote to staging.
      const row = "[data-testid=matrix-row][data-version='2.4.0']";
      await s.waitForContent(`${row} [data-testid=matrix-cell][data-environment=development]`, "verified");
      await s.waitForContent(`${row} [data-testid=matrix-promote]`, "Promote to staging");
      const promotes = await s.findAll("[data-testid=matrix-row][data-version='2.3.1'] [data-testid=matrix-promote]");
      assert.equal(promotes.length, 0, "2.3.1 verified everywhere: nothing to promote");
      await s.execute("document.querySelector(\"[data-testid=release-matrix]\").scrollIntoView()");
      await app.shot("release-matrix");
      await (await s.find(`${row} [data-testid=matrix-promote]`)).click();
      await s.waitFor("[data-testid=deploy-dialog]");
      await s.waitForContent("[data-testid=deploy-promote]", "Promoting 2.4.0, verified on development, to the next environment");
      const picked = await s.execute(
        "return [document.querySelector('[data-testid=deploy-environment]').value, document.querySelector('[data-testid=deploy-release]').value]",
      );
      assert.deepEqual(picked, [envs.staging, release], "the Deploy dialog is filled with staging and 2.4.0");
      // Preflight runs as for any deploy of staging: the lock is free.
      await s.waitFor("[data-testid=preflight] [data-testid=preflight-lock]");
      await app.shot("promote-dialog");
      assert.equal(sql(home, `SELECT count(*) AS n FROM deploy_runs WHERE environment_id = '${envs.staging}' AND version = '2.4.0'`)[0].n, 0, "nothing deployed until the lead presses Deploy");
    });
  } finally {
    await healthy.close();
    await failing.close();
  }
});
