// End-to-end: the Metrics page for the sample project (a year of production
// history). What the cards show is checked against numbers this test counts
// itself from the database, by the rules the page states ("How Liftoff
// counts"); the CSV file is written where the Save dialog said; the fail
// window is a project setting; a release can be marked hotfix.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { answerFileDialogs, freshHome, sql, typeInto, withApp } from "./harness.mjs";

const HOUR = 3600_000;

function median(values) {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

function durationWords(h) {
  const minutes = Math.round(h * 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) {
    const [hh, mm] = [Math.floor(minutes / 60), minutes % 60];
    return mm === 0 ? `${hh} h` : `${hh} h ${mm} min`;
  }
  const hours = Math.round(h);
  const [d, hh] = [Math.floor(hours / 24), hours % 24];
  return hh === 0 ? `${d} d` : `${d} d ${hh} h`;
}

function percentWords(rate) {
  const p = rate * 100;
  return Math.abs(p - Math.round(p)) < 0.05 ? `${Math.round(p)}%` : `${p.toFixed(1)}%`;
}

function perWeekWords(v) {
  return Math.abs(v - Math.round(v)) < 0.05 ? `${Math.round(v)} a week` : `${v.toFixed(1)} a week`;
}

/** The five metrics of production runs in [from, to), counted by the page's stated rules. */
function countMetrics(home, from, to, weeks, failWindowHours) {
  const [prod] = sql(home, "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id WHERE p.name = 'Northwind Billing (sample)' AND e.protected");
  const runs = sql(
    home,
    `SELECT r.started_at, r.ended_at, r.state, r.kind, coalesce(rel.hotfix, 0) AS hotfix FROM deploy_runs r LEFT JOIN releases rel ON rel.id = r.release_id
     WHERE r.environment_id = '${prod.id}' AND r.started_at < '${to}' ORDER BY r.started_at`,
  ).map((r) => ({ ...r, end: Date.parse(r.ended_at ?? r.started_at) }));
  const reached = (r) => r.state === "succeeded" || r.state === "failedVerification";
  const deployment = (r) => r.kind === "deploy" && reached(r);
  const rework = (r) => reached(r) && (r.kind === "rollback" || r.kind === "switchBack" || (r.kind === "deploy" && r.hotfix === 1));
  const all = runs.filter(deployment).map((r) => ({ ...r, failed: r.state === "failedVerification" }));
  for (const remedy of runs.filter(rework)) {
    const before = all.filter((d) => d.end < remedy.end).at(-1);
    if (before && remedy.end - before.end <= failWindowHours * HOUR) before.failed = true;
  }
  const inside = (r) => r.started_at >= from && r.started_at < to;
  const deployments = all.filter(inside);
  const failed = deployments.filter((d) => d.failed);
  const recoveries = failed
    .map((d) => runs.find((r) => r.state === "succeeded" && r.ended_at && r.end > d.end))
    .map((next, i) => (next ? (next.end - failed[i].end) / HOUR : null))
    .filter((h) => h !== null);
  const leads = sql(
    home,
    `SELECT c.committed_at, min(c.deployed_at) AS deployed_at FROM run_commits c WHERE c.environment_id = '${prod.id}' AND c.deployed_at >= '${from}' AND c.deployed_at < '${to}' GROUP BY c.sha`,
  ).map((c) => Math.max(0, (Date.parse(c.deployed_at) - Date.parse(c.committed_at)) / HOUR));
  return {
    n: deployments.length,
    notCompleted: runs.filter((r) => inside(r) && r.kind === "deploy" && ["failed", "cancelled", "timedOut", "interrupted"].includes(r.state)).length,
    frequency: perWeekWords(deployments.length / weeks),
    lead: durationWords(median(leads)),
    fail: percentWords(failed.length / deployments.length),
    failed: failed.length,
    recovery: recoveries.length ? durationWords(median(recoveries)) : null,
    rework: percentWords(runs.filter((r) => inside(r) && rework(r)).length / deployments.length),
  };
}

async function text(s, css) {
  return (await (await s.waitFor(css)).text()).trim();
}

async function bounds(s) {
  return s.execute(`const e = document.querySelector("[data-testid=metrics-summary]"); return e ? [e.dataset.from, e.dataset.to] : null;`);
}

/** Checks each card shows what the database says, over the page's own period. */
async function assertCards(s, home, weeks, failWindowHours) {
  await s.waitUntil(async () => (await s.execute(`return document.querySelector("[data-testid=metric-deploymentFrequency-chart]")?.dataset.points`)) === String(weeks), `${weeks} weekly points`);
  const [from, to] = await bounds(s);
  const want = countMetrics(home, from, to, weeks, failWindowHours);
  assert.ok(want.n >= 5, `enough production deployments in ${weeks} weeks: ${want.n}`);
  assert.match(await text(s, "[data-testid=metrics-summary]"), new RegExp(`^${want.n} production deployments and ${want.notCompleted} deploy`));
  assert.equal(await text(s, "[data-testid=metric-deploymentFrequency-value]"), want.frequency);
  assert.equal(await text(s, "[data-testid=metric-changeLeadTime-value]"), want.lead);
  assert.equal(await text(s, "[data-testid=metric-changeFailRate-value]"), want.fail);
  assert.equal(await text(s, "[data-testid=metric-changeFailRate-secondary]"), `${want.failed} failed deployment${want.failed === 1 ? "" : "s"} of ${want.n}`);
  assert.equal(await text(s, "[data-testid=metric-reworkRate-value]"), want.rework);
  if (want.recovery) assert.equal(await text(s, "[data-testid=metric-recoveryTime-value]"), want.recovery);
  for (const key of ["deploymentFrequency", "changeLeadTime", "changeFailRate"]) {
    assert.match(await text(s, `[data-testid=metric-${key}-band]`), /^(Elite|High|Medium|Low) \(2024\)$/, key);
  }
  assert.equal(await text(s, "[data-testid=metric-reworkRate-band]"), "no DORA band");
  assert.match(await text(s, "[data-testid=metric-deploymentFrequency-sample]"), new RegExp(`Based on ${want.n} production deployments`));
  return want;
}

test("the Metrics page shows the sample's DORA metrics as the database counts them, exports them and keeps the fail window", async () => {
  const home = freshHome("monitor-metrics");
  await withApp(home, { testName: "monitor_metrics" }, async (s, app) => {
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await s.waitForText("[data-testid=project-title]", "Northwind Billing");
    await (await s.waitFor("[data-testid=tab-metrics]")).click();
    await s.waitFor("[data-testid=metric-deploymentFrequency-value]");
    await assertCards(s, home, 13, 24);
    assert.match(await text(s, "[data-testid=metric-changeFailRate-how]"), /within 24 hours/);
    await app.shot("metrics-3-months");

    // Twelve months: 52 weekly points, the two quiet weeks drawn as zeros.
    await (await s.find("[data-testid=metrics-period-twelveMonths]")).click();
    const year = await assertCards(s, home, 52, 24);
    await app.shot("metrics-12-months");

    // The CSV, where the Save dialog said: a row per week, then the period.
    const file = join(home.root, "northwind-metrics.csv");
    await answerFileDialogs(s, file);
    await (await s.find("[data-testid=metrics-export]")).click();
    await s.waitForText("[data-testid=metrics-exported-path]", file);
    const lines = readFileSync(file, "utf8").split("\r\n").filter(Boolean);
    assert.equal(lines.length, 1 + 52 + 1);
    assert.match(lines[0], /^week starting,production deployments,/);
    const whole = lines.at(-1).split(",");
    assert.equal(whole[1], String(year.n));
    const weekly = lines.slice(1, -1).map((l) => Number(l.split(",")[1]));
    assert.equal(weekly.reduce((a, b) => a + b, 0), year.n, "the weeks add up to the period");
    assert.ok(weekly.filter((n) => n === 0).length >= 2, "the quiet weeks");

    // The fail window: 48 hours, stored, and the cards count with it.
    await typeInto(s, "[data-testid=fail-window]", "48");
    await (await s.find("[data-testid=fail-window-save]")).click();
    await s.waitUntil(async () => sql(home, "SELECT fail_window_hours AS h FROM monitor_settings").at(0)?.h === 48, "the fail window stored");
    await s.waitForText("[data-testid=metric-changeFailRate-how]", "within 48 hours");
    await assertCards(s, home, 52, 48);

    // Production only: the one production environment, chosen by name.
    const options = await s.execute(`return [...document.querySelectorAll("[data-testid=metrics-environment] option")].map((o) => o.textContent.trim());`);
    assert.deepEqual(options, ["All production environments", "production"]);

    // A release marked hotfix on its page.
    await (await s.find("[data-testid=tab-releases]")).click();
    await (await s.waitForContent("[data-testid=release-row]", "Tax engine switch")).click();
    await (await s.waitFor("[data-testid=release-hotfix]")).click();
    await s.waitUntil(async () => sql(home, "SELECT hotfix FROM releases WHERE version = '2.4.0'")[0].hotfix === 1, "the hotfix flag stored");
    assert.equal(sql(home, "SELECT count(*) AS n FROM audit_log WHERE action = 'release.hotfix'")[0].n, 2, "the sample's own hotfix and this one");
  });
});
