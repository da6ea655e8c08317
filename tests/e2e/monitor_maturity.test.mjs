// End-to-end: the maturity review in the real window. On the sample
// project, production deploys recorded without smoke checks through a local
// command show as level 0 signs, each naming the runs behind it, and a run
// named there opens on the Deploys tab. Marking production's command as
// "calls our deploy system" and a smoke check as an acceptance test in the
// target form is stored, and the review changes without a reload.

import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, openSampleDeploys, sql, freshHome } from "./harness.mjs";

const DAY = 24 * 3600_000;
const text = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

async function openMaturity(s) {
  await (await s.waitFor("[data-testid=tab-maturity]")).click();
  await s.waitFor("[data-testid=maturity-level]");
}

const verdictOf = (s, key) => s.execute(`return document.querySelector('[data-testid=indication-${key}]')?.dataset.verdict ?? null`);

test("the maturity review: signs with the runs behind them, a run opened from it, and target marks that change it", async () => {
  const home = freshHome("maturity");
  const app = await launch(home, { testName: "maturity" });
  try {
    const s = app.session;
    await openSampleDeploys(s);
    const project = sql(home, "SELECT id FROM projects")[0].id;
    const prod = sql(home, "SELECT id FROM environments WHERE protected = 1")[0].id;
    // Three production deploys a few days ago with no smoke checks.
    for (let i = 1; i <= 3; i++) {
      const at = Date.now() - i * DAY;
      sql(
        home,
        `INSERT INTO deploy_runs (id, project_id, environment_id, version, kind, started_by, started_at, ended_at, state, preflight, steps, checks)
         VALUES ('e2e-run-${i}', '${project}', '${prod}', '9.0.${i}', 'deploy', 'Alex Example', '${text(at)}', '${text(at + 60_000)}', 'succeeded', '[]', '[]', '[]');`,
      );
    }
    const reached = sql(
      home,
      `SELECT count(*) AS n FROM deploy_runs r JOIN environments e ON e.id = r.environment_id
       WHERE e.protected = 1 AND r.kind = 'deploy' AND r.state IN ('succeeded', 'failedVerification') AND r.started_at >= '${text(Date.now() - 90 * DAY)}'`,
    )[0].n;
    await openMaturity(s);
    await s.waitForContent("[data-testid=maturity-summary]", `${reached} production deploy`);
    assert.equal(await (await s.find("[data-testid=maturity-level] strong")).text(), "0");
    assert.equal(await verdictOf(s, "noSmokeChecks"), "fails");
    assert.equal(await verdictOf(s, "developerMachine"), "fails");
    await s.waitForContent("[data-testid=indication-noSmokeChecks]", "ran no smoke check");
    await s.waitFor("[data-testid=maturity-next-steps]");
    await s.waitForContent("[data-testid=maturity-next-steps]", "Add smoke checks to production");
    // Every group is there: 4 signs, 5 level 1 and 6 level 2 indications.
    assert.equal((await s.findAll("[data-testid^=indication-]")).length, 15);
    await app.shot("maturity-level-0");

    // What a sign rests on: our runs, one of them opened on the Deploys tab.
    await s.execute("document.querySelector('[data-testid=indication-noSmokeChecks] details').open = true");
    await s.waitForContent("[data-testid=indication-noSmokeChecks] details", "9.0.1 to production");
    await app.shot("maturity-sign-with-its-runs");
    await s.execute(
      "[...document.querySelectorAll('[data-testid=indication-noSmokeChecks] details button')].find((b) => b.textContent.includes('9.0.1 to production')).click()",
    );
    await s.waitUntil(async () => (await s.execute("return document.querySelector('[data-testid=run-view]')?.dataset.runId ?? null")) === "e2e-run-1", "run e2e-run-1 to open");

    // Production's target: the command calls our deploy system, and a
    // smoke check is an acceptance test.
    await s.waitFor("[data-testid=target-production]");
    await (await s.find("[data-testid=target-production]")).click();
    await (await s.waitFor("[data-testid=target-calls-deploy-system]")).click();
    const smoke = await s.findAll("[data-testid^=target-smoke-acceptance-]");
    assert.ok(smoke.length > 0, "the sample's production target has a smoke check");
    await smoke[0].click();
    await app.shot("target-form-maturity-marks");
    await (await s.find("[data-testid=target-save]")).click();
    await s.waitUntil(async () => {
      const rows = sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${prod}'`);
      return rows.length === 1 && JSON.parse(rows[0].settings).callsDeploySystem === true;
    }, "the target's marks to be stored");
    const settings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${prod}'`)[0].settings);
    assert.equal(settings.acceptanceTests.length, 1);
    const firstCheck = settings.smoke[0].name;
    assert.deepEqual(settings.acceptanceTests, [firstCheck]);

    await openMaturity(s);
    await s.waitUntil(async () => (await verdictOf(s, "developerMachine")) === "holds", "the local-command sign to clear");
    assert.equal(await verdictOf(s, "noSmokeChecks"), "fails", "our three runs still had no smoke checks");
    await app.shot("maturity-after-marking-target");
  } finally {
    await app.quit();
  }
});
