// End-to-end: the deploy history and the release evidence file in the real
// window. The sample project gets sixty more past runs (written to its
// database as the command line would have left them); the History tab
// shows the first page, "Load more" brings the rest, filters narrow it, a
// run opens on the Deploys tab, and the CSV is saved. Then the release page
// exports the evidence file, shows its head hash, and the app's own command
// line (`liftoff evidence verify`) says the saved file is intact against it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerFileDialogs, appBinary, chooseValue, freshHome, sql, withApp } from "./harness.mjs";

const rows = (s) => s.execute("return document.querySelectorAll('[data-testid=history-row]').length");
const cells = (s, column) =>
  s.execute(`return [...document.querySelectorAll('[data-testid=history-row]')].map((r) => r.children[${column}].textContent.trim())`);

/** The app binary's command line, as an auditor would run it. */
function liftoff(home, ...args) {
  return spawnSync(appBinary(), args, { env: { ...process.env, LIFTOFF_DATA_DIR: home.data }, encoding: "utf8", timeout: 60000 });
}

test("history: a page, load more, filters, a run opened, the CSV; evidence exported from the release page and verified", async () => {
  const home = freshHome("history");
  await withApp(home, { testName: "history" }, async (s, app) => {
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await s.waitForText("[data-testid=project-title]", "Northwind Billing");

    // Sixty more runs of 2.3.x in the weeks before, by two people, some failed.
    const [{ n: before }] = sql(home, "SELECT count(*) AS n FROM deploy_runs");
    sql(
      home,
      `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 60)
       INSERT INTO deploy_runs (id, project_id, environment_id, version, kind, started_by, started_at, ended_at, state, outcome)
       SELECT printf('hist-%03d', i), e.project_id, e.id, printf('2.3.0-rc%d', i), 'deploy',
              CASE WHEN i % 2 = 0 THEN 'CI bot' ELSE 'Omar Haddad' END,
              strftime('%Y-%m-%dT%H:%M:%SZ', 'now', printf('-%d hours', 24 * 30 + i * 5)),
              strftime('%Y-%m-%dT%H:%M:%SZ', 'now', printf('-%d hours', 24 * 30 + i * 5), '+95 seconds'),
              CASE WHEN i % 7 = 0 THEN 'failed' ELSE 'succeeded' END, 'past run'
       FROM k JOIN environments e ON e.name = CASE i % 3 WHEN 0 THEN 'development' WHEN 1 THEN 'staging' ELSE 'production' END
       JOIN projects p ON p.id = e.project_id AND p.name LIKE 'Northwind%'`,
    );
    const [{ n: total }] = sql(home, "SELECT count(*) AS n FROM deploy_runs");
    assert.equal(total, before + 60);

    await (await s.waitFor("[data-testid=tab-history]")).click();
    await s.waitFor("[data-testid=history-table]");
    await s.waitUntil(async () => (await rows(s)) === 50, "the first page of 50 runs");
    const first = await cells(s, 1);
    // Newest first, as the database orders them (the sample's year of
    // history and the runs above interleave).
    const newest = sql(home, "SELECT version FROM deploy_runs ORDER BY started_at DESC, id DESC LIMIT 50").map((r) => r.version);
    assert.deepEqual(first, newest, "the first page is the 50 newest runs");
    await s.waitForText("[data-testid=history-count]", "50 runs shown.");
    await s.waitFor("[data-testid=release-path][data-version='2.3.1']");
    const readStops = () =>
      s.execute(
        "return [...document.querySelectorAll(\"[data-testid=release-path][data-version='2.3.1'] [data-testid=path-stop]\")].map((li) => li.textContent.replace(/\\s+/g, ' ').trim())",
      );
    await s.waitUntil(async () => (await readStops()).length === 3, "2.3.1's path through the three environments");
    const stops = await readStops();
    assert.deepEqual(stops.map((t) => t.split(" ")[0]), ["development", "staging", "production"], "the path in pipeline order");
    assert.ok(stops.every((t) => t.includes("verified")), `2.3.1 verified on each: ${stops}`);
    await app.shot("first-page");

    for (let shown = 50; shown < total; shown += 50) {
      await (await s.find("[data-testid=history-more]")).click();
      await s.waitUntil(async () => (await rows(s)) === Math.min(total, shown + 50), `${Math.min(total, shown + 50)} runs after Load more`);
    }
    await s.waitForText("[data-testid=history-count]", `${total} runs shown, all of them.`);
    assert.equal((await s.findAll("[data-testid=history-more]")).length, 0, "nothing more to load");
    const ids = await s.execute("return [...document.querySelectorAll('[data-testid=history-row]')].map((r) => r.dataset.runId)");
    assert.equal(new Set(ids).size, ids.length, "no run twice across pages");
    await app.shot("loaded-more");

    // Filters: production, then only failed runs there, then by who.
    const production = sql(home, "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE e.name = 'production' AND p.name LIKE 'Northwind%'")[0].id;
    await chooseValue(s, "[data-testid=history-environment]", production);
    const [{ n: onProduction }] = sql(home, `SELECT count(*) AS n FROM deploy_runs WHERE environment_id = '${production}'`);
    await s.waitUntil(async () => (await rows(s)) === Math.min(onProduction, 50), `the first ${Math.min(onProduction, 50)} of the ${onProduction} runs on production`);
    assert.ok((await cells(s, 0)).every((v) => v === "production"));
    await chooseValue(s, "[data-testid=history-state]", "failed");
    const [{ n: failedThere }] = sql(home, `SELECT count(*) AS n FROM deploy_runs WHERE environment_id = '${production}' AND state = 'failed'`);
    await s.waitUntil(async () => (await rows(s)) === Math.min(failedThere, 50), `the ${failedThere} failed runs on production`);
    assert.ok((await cells(s, 3)).every((v) => v === "failed"));
    await app.shot("filtered");
    await (await s.find("[data-testid=history-clear]")).click();
    await chooseValue(s, "[data-testid=history-who]", "CI bot");
    await s.waitUntil(async () => (await rows(s)) === 30, "the 30 runs of the CI bot");
    assert.ok((await cells(s, 4)).every((v) => v === "CI bot"));

    // The CSV of what the filter shows.
    const csv = join(home.root, "history.csv");
    await answerFileDialogs(s, csv);
    await (await s.find("[data-testid=history-csv]")).click();
    await s.waitForText("[data-testid=history-csv-saved-path]", csv);
    const lines = readFileSync(csv, "utf8").trim().split("\r\n");
    assert.equal(lines[0], "run,environment,version,kind,state,started by,started at,ended at,duration (s),outcome,release");
    assert.equal(lines.length, 31, "a header and the 30 filtered runs");
    assert.ok(lines.slice(1).every((l) => l.includes(",CI bot,")));

    // A run opens on the Deploys tab.
    await (await s.find("[data-testid=history-clear]")).click();
    await s.waitUntil(async () => (await rows(s)) === 50, "the first page again");
    const runId = await s.execute("return document.querySelector('[data-testid=history-row]').dataset.runId");
    await (await s.find("[data-testid=history-row] [data-testid=history-open-run]")).click();
    await s.waitFor(`[data-testid=run-view][data-run-id='${runId}']`);
    await app.shot("run-opened");

    // The evidence file of 2.3.1, from its release page.
    await (await s.find("[data-testid=tab-releases]")).click();
    await (await s.waitForContent("[data-testid=release-row]", "2.3.1")).click();
    await s.waitForText("[data-testid=release-version]", "2.3.1");
    const file = join(home.root, "evidence-2.3.1.json");
    await answerFileDialogs(s, file);
    await (await s.waitFor("[data-testid=evidence-with-logs]")).click();
    await (await s.find("[data-testid=evidence-export-button]")).click();
    const headEl = await s.waitFor("[data-testid=evidence-head]", { timeoutMs: 30000 });
    const head = (await headEl.text()).trim();
    assert.match(head, /^[0-9a-f]{64}$/);
    await s.waitForText("[data-testid=evidence-verify-command]", `liftoff evidence verify ${file} --head ${head}`);
    await s.execute("document.querySelector('[data-testid=evidence-result]').scrollIntoView({ block: 'center' })");
    await app.shot("evidence-exported");

    assert.ok(existsSync(file));
    const evidence = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(evidence.format, "liftoff.evidence");
    assert.equal(evidence.entries.at(-1).hash, head, "the head shown is the file's last hash");
    const [{ n: releaseRuns }] = sql(home, "SELECT count(*) AS n FROM deploy_runs r JOIN releases rel ON rel.id = r.release_id WHERE rel.version = '2.3.1'");
    assert.ok(releaseRuns > 0);
    assert.equal(evidence.entries.filter((e) => e.kind === "run").length, releaseRuns, "the release's runs, not the others");
    const [recorded] = sql(home, "SELECT summary FROM audit_log WHERE action = 'release.evidenceExported'");
    assert.ok(recorded.summary.includes(head), recorded.summary);

    // The auditor's check, with the app binary's command line.
    const ok = liftoff(home, "evidence", "verify", file, "--head", head);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^Intact/);
    // The file without its last entry: only the head shows it.
    const cut = join(home.root, "cut.json");
    writeFileSync(cut, JSON.stringify({ ...evidence, entries: evidence.entries.slice(0, -1) }, null, 2));
    assert.equal(liftoff(home, "evidence", "verify", cut).status, 0);
    const caught = liftoff(home, "evidence", "verify", cut, "--head", head);
    assert.equal(caught.status, 1, caught.stdout + caught.stderr);
    assert.match(caught.stdout, /^Not intact: entry \d+/);
  });
});
