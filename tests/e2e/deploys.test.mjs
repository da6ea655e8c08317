// End-to-end: deploys in the real window. A local command target is set on
// the sample project's staging through the form; a deploy streams its log
// live and passes its smoke check against a real HTTP server on loopback;
// production is promoted, stopped at the gate and a freeze, overridden,
// fails its smoke check and is rolled back in one click. A canary secret
// from the real keychain reaches the child but never the screen, the
// database, the downloaded log or the app's own log. Then Liftoff is killed
// during a run and started again; and a deploy from the command line shows
// up live in the open window.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { addCredential, answerFileDialogs, appBinary, chooseValue, fileDialogsAsked, freshHome, launch, openSampleDeploys, sql, typeInto } from "./harness.mjs";

const CANARY = "canary-Xq7/+v=9 \"deploy\" secret";
const b64 = Buffer.from(CANARY).toString("base64");
const hex = Buffer.from(CANARY).toString("hex");

/** A loopback server answering /health with `status()`. */
async function healthServer(status) {
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    state.hits++;
    const code = status();
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: code === 200 ? "ok" : "down" }));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  state.url = `http://127.0.0.1:${server.address().port}`;
  state.close = () => new Promise((r) => server.close(r));
  return state;
}

function script(home, name, body) {
  const path = join(home.root, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}




/** In a decider picker, "Someone else…", to type a name. */
async function chooseOther(s, testid) {
  await chooseValue(s, `[data-testid=${testid}-person]`, "__other__");
  await s.waitFor(`[data-testid=${testid}]`);
}

test("deploy staging live, promote to production past the gate and a freeze, fail verification, roll back", async () => {
  const home = freshHome("deploys");
  const health = await healthServer(() => 200);
  // Production's service breaks with 2.4.0: what the sample's demo deploy
  // last put there decides.
  const liveOnProduction = join(home.data, "demo", "state", "production.version");
  const broken = await healthServer(() => (existsSync(liveOnProduction) && readFileSync(liveOnProduction, "utf8").trim() === "2.4.0" ? 500 : 200));
  const hashFile = join(home.root, "token.sha256");
  const deploy = script(
    home,
    "deploy.sh",
    [
      'echo "deploying $LIFTOFF_VERSION to $LIFTOFF_ENVIRONMENT (run $LIFTOFF_RUN_ID)"',
      `printf '%s' "$DEPLOY_TOKEN" | sha256sum | cut -d' ' -f1 > ${hashFile}`,
      // The secret printed as it is, and base64-encoded: both must be masked.
      'echo "token is $DEPLOY_TOKEN"',
      'printf "%s" "$DEPLOY_TOKEN" | base64 -w0; echo',
      // And as hexadecimal (od, xxd and digests print bytes so).
      "printf '%s' \"$DEPLOY_TOKEN\" | od -An -tx1 | tr -d ' \\n'; echo",
      "for p in 10 50 100; do printf '\\rprogress %s%%' $p; sleep 0.3; done; echo",
      "printf '\\033[32mhealthy\\033[0m\\n'",
      "i=0; while [ $i -lt 2000 ]; do echo \"step $i\"; i=$((i+1)); done",
      "sleep 6",
      'echo "done with $LIFTOFF_VERSION"',
    ].join("\n"),
  );
  let app = await launch(home, { testName: "deploys" });
  try {
    const s = app.session;
    await openSampleDeploys(s);
    const projectId = sql(home, "SELECT id FROM projects")[0].id;
    const envs = Object.fromEntries(sql(home, "SELECT id, name FROM environments").map((e) => [e.name, e.id]));
    await app.shot("deploys-page");
    // The sample shows 2.3.1 everywhere, deployed three weeks ago.
    await s.waitForText("[data-testid=env-card-production] [data-testid=env-current]", "2.3.1");

    // A freeze on production now, whatever the weekday (the sample's own
    // freezes depend on the day the test runs).
    sql(home, `DELETE FROM calendar_windows WHERE project_id = '${projectId}'`);
    const start = new Date(Date.now() - 3600_000).toISOString().slice(0, 16);
    sql(
      home,
      `PRAGMA foreign_keys = ON;
       INSERT INTO calendar_windows (id, project_id, kind, name, reason, start_local, minutes, time_zone, scoped, created_at, updated_at)
       VALUES ('freeze-now', '${projectId}', 'freeze', 'Black Friday freeze', 'Peak sales', '${start}', 240, 'UTC', 1, '${new Date().toISOString()}', '${new Date().toISOString()}');
       INSERT INTO calendar_window_environments (window_id, environment_id) VALUES ('freeze-now', '${envs.production}');`,
    );

    // The canary secret, into the real keychain through the Environments page.
    await (await s.find("[data-testid=tab-environments]")).click();
    await addCredential(s, 2, "DEPLOY_TOKEN", CANARY);

    // A local command target on staging, through the form.
    await (await s.find("[data-testid=tab-deploys]")).click();
    await (await s.waitFor("[data-testid=target-staging]")).click();
    await typeInto(s, "[data-testid=target-program]", deploy);
    await typeInto(s, "[data-testid=target-working-dir]", home.root);
    await (await s.find("[data-testid=target-add-credential]")).click();
    await s.waitFor("[data-testid=target-credential-name-0]");
    await s.execute(
      "const el = document.querySelector('[data-testid=target-credential-name-0]'); el.value = 'DEPLOY_TOKEN'; el.dispatchEvent(new Event('change', { bubbles: true }));",
    );
    await typeInto(s, "[data-testid=target-credential-variable-0]", "DEPLOY_TOKEN");
    // The sample's own check reads the demo script's state; this target has its own.
    await (await s.find("[data-testid=target-smoke-remove-0]")).click();
    await (await s.find("[data-testid=target-add-smoke-http]")).click();
    await typeInto(s, "[data-testid=target-smoke-name-0]", "Health");
    await typeInto(s, "[data-testid=target-smoke-url-0]", `${health.url}/health`);
    await typeInto(s, "[data-testid=target-smoke-text-0]", "ok");
    await app.shot("target-form");
    await (await s.find("[data-testid=target-save]")).click();
    await s.waitUntil(async () => sql(home, `SELECT 1 FROM deploy_targets WHERE environment_id = '${envs.staging}' AND settings LIKE '%deploy.sh%'`).length === 1, "the target to be saved");
    const stored = sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envs.staging}'`)[0].settings;
    assert.ok(!stored.includes(CANARY), "a target names its credentials, never their values");

    // Deploy 2.4.0 to staging: the dialog shows preflight before anything starts.
    await (await s.waitFor("[data-testid=deploy-staging]")).click();
    await s.waitFor("[data-testid=preflight-credentials][data-outcome=pass]");
    // What ships: the commits since 2.3.1 from the sample's repository; its
    // breaking change is a warning to confirm.
    await s.waitForContent("[data-testid=shipping]", "since v2.3.1");
    await s.waitForContent("[data-testid=shipping]", "remove the v1 invoices endpoint");
    await s.waitFor("[data-testid=preflight-changes][data-outcome=warn]");
    await app.shot("staging-preflight");
    await (await s.waitFor("[data-testid=accept-warnings]")).click();
    await (await s.waitFor("[data-testid=deploy-start]:not([disabled])")).click();
    await s.waitForContent("[data-testid=run-log]", "deploying 2.4.0 to staging");
    await s.waitForContent("[data-testid=run-log]", "step 1999");
    // The run's stream drives the view: its steps move, the elapsed time
    // ticks, and the log stops following when the reader scrolls up (all
    // while the step's last sleep runs).
    await s.waitFor("[data-testid=run-step][data-state=running]");
    const elapsed = async () => (await (await s.find("[data-testid=run-elapsed]")).text()).trim();
    const first = await elapsed();
    await s.waitUntil(async () => (await elapsed()) !== first, `the elapsed time to tick past ${first}`, 5000);
    await app.shot("staging-live-log");
    await s.execute("const log = document.querySelector('[data-testid=run-log]'); log.scrollTop = -400; log.dispatchEvent(new Event('scroll'));");
    await s.waitFor("[data-testid=run-log][data-following=false]");
    await (await s.waitFor("[data-testid=run-log-jump]")).click();
    await s.waitFor("[data-testid=run-log][data-following=true]");
    await s.waitForText("[data-testid=run-state]", "succeeded", { timeoutMs: 30000 });
    await app.shot("staging-verified");

    const [run] = sql(home, `SELECT id, state, log_lines FROM deploy_runs WHERE environment_id = '${envs.staging}' AND version = '2.4.0'`);
    assert.equal(run.state, "succeeded");
    assert.ok(health.hits >= 1, "the smoke check asked the real server");
    const expected = createHash("sha256").update(CANARY).digest("hex");
    assert.equal(readFileSync(hashFile, "utf8").trim(), expected, "the child received the secret");
    const logText = sql(home, `SELECT group_concat(text, char(10)) AS t FROM deploy_log WHERE run_id = '${run.id}'`)[0].t;
    assert.ok(logText.includes("token is ***"), "the secret is masked in the stored log");
    assert.ok(!logText.includes(CANARY) && !logText.includes(b64) && !logText.includes(hex), "neither the secret nor its base64 or hex is stored");
    assert.ok(logText.includes("progress 100%") && !logText.includes("progress 10%"), "progress lines collapse");
    assert.ok(logText.includes("healthy") && !logText.includes("\u001b"), "colours are stripped cleanly");
    const screen = await s.execute("return document.body.innerText");
    assert.ok(!screen.includes(CANARY) && !screen.includes(b64), "the secret is not on the screen");
    const dump = execFileSync("sqlite3", [join(home.data, "liftoff.db"), ".dump"], { encoding: "utf8", maxBuffer: 64 << 20 });
    assert.ok(!dump.includes(CANARY) && !dump.includes(b64), "the secret is nowhere in the database");

    // The log downloads as a text file, masked.
    const logPath = join(home.root, "staging.log");
    await answerFileDialogs(s, logPath);
    await (await s.find("[data-testid=run-download]")).click();
    await s.waitForText("[data-testid=run-log-saved-path]", logPath);
    assert.ok(existsSync(logPath), "the log file");
    assert.match((await fileDialogsAsked(s))[0].defaultPath, /\/liftoff-staging-2-4-0-[0-9a-f]{6}\.log$/, "the suggested name");
    const downloaded = readFileSync(logPath, "utf8");
    assert.ok(downloaded.includes("token is ***") && !downloaded.includes(CANARY) && !downloaded.includes(b64));

    // The log's search reaches all that is kept, masked as stored; Escape in
    // the box empties it and brings the whole log back.
    const logSearch = await s.find("[data-testid=run-log-search]");
    await logSearch.type("token is\uE007");
    await s.waitForContent("[data-testid=run-log-found]", "token is ***");
    assert.ok(!(await (await s.find("[data-testid=run-log-found]")).text()).includes(CANARY), "search results are masked");
    await logSearch.type("\uE00C");
    await s.waitUntil(
      async () => s.execute(`return document.querySelector("[data-testid=run-log-found]") === null && document.querySelector("[data-testid=run-log]") !== null && document.querySelector("[data-testid=run-log-search]").value === "";`),
      "Escape to bring the whole log back",
      5000,
    );

    // Production checks its service's health, which 2.4.0 breaks.
    const prodSettings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envs.production}'`)[0].settings);
    prodSettings.smoke = [
      { kind: "http", name: "Invoices API health", url: `${broken.url}/health`, method: "GET", expectStatus: 200, expectText: null, jsonField: null, expectJson: null, maxLatencyMs: null, credential: null, withinSecs: 2 },
    ];
    sql(home, `UPDATE deploy_targets SET settings = '${JSON.stringify(prodSettings).replaceAll("'", "''")}' WHERE environment_id = '${envs.production}'`);

    await (await s.waitFor("[data-testid=deploy-production]")).click();
    await s.waitFor("[data-testid=preflight-gate][data-outcome=fail]");
    await s.waitFor("[data-testid=preflight-freeze][data-outcome=fail]");
    await s.waitForContent("[data-testid=preflight-promotion]", "verified on staging");
    await s.waitFor("[data-testid=deploy-start][disabled]");
    await app.shot("production-stopped-at-the-gate");
    // A decision stays as typed until it is recorded: a pause mid-sentence
    // records nothing and takes no field away.
    await (await s.find("[data-testid=override-gate]")).click();
    await chooseOther(s, "decision-gate-by");
    await typeInto(s, "[data-testid=decision-gate-by]", "Dana Okafor (CTO)");
    await typeInto(s, "[data-testid=decision-gate-reason]", "The tax");
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await s.findAll("[data-testid=decision-gate-reason]")).length, 1, "the field is still there after a pause");
    assert.equal((await s.findAll("[data-testid=decision-gate-recorded]")).length, 0, "nothing recorded yet");
    await (await s.find("[data-testid=decision-gate-record]")).click();
    await s.waitForText("[data-testid=decision-gate-reason-error]", "at least a sentence");
    await (await s.find("[data-testid=decision-gate-reason]")).type(" engine must switch before the month-end run.");
    await (await s.find("[data-testid=decision-gate-record]")).click();
    await s.waitFor("[data-testid=decision-gate-recorded]");
    // The freeze's decider is one of the project's people.
    await (await s.find("[data-testid=override-freeze]")).click();
    const lena = await s.execute("return [...document.querySelector('[data-testid=decision-freeze-by-person]').options].find((o) => o.value.startsWith('Lena')).value");
    await chooseValue(s, "[data-testid=decision-freeze-by-person]", lena);
    await typeInto(s, "[data-testid=decision-freeze-reason]", "Emergency: invoices are wrong without it.");
    await (await s.find("[data-testid=decision-freeze-record]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=preflight] li[data-outcome=fail] .decided")).length === 2, "both overrides to show");
    await s.waitForContent("[data-testid=decision-freeze-recorded]", "Lena Fischer (lead) decided");
    const accept = await s.findAll("[data-testid=accept-warnings]");
    if (accept.length) await accept[0].click();
    await app.shot("production-overridden");
    await (await s.waitFor("[data-testid=deploy-start]:not([disabled])")).click();
    await s.waitForText("[data-testid=run-state]", "failed verification", { timeoutMs: 60000 });
    await s.waitForContent("[data-testid=run-checks]", "Invoices API health");
    await app.shot("production-failed-verification");
    assert.equal(sql(home, "SELECT state FROM releases WHERE version = '2.4.0'")[0].state, "deploying");

    // Roll back in one click (the freeze still holds, so it asks who decided).
    await (await s.find("[data-testid=run-rollback]")).click();
    await s.waitForContent("[data-testid=rollback-summary]", "2.3.1");
    // Minutes after the deploy's override, the rollback offers to reuse it.
    await (await s.waitFor("[data-testid=reuse-decision-freeze]")).click();
    await s.waitUntil(async () => (await (await s.find("[data-testid=decision-freeze-reason]")).property("value")).startsWith("Emergency"), "the deploy's reason filled in");
    await typeInto(s, "[data-testid=decision-freeze-reason]", "Back to the last good version at once.");
    await (await s.find("[data-testid=decision-freeze-record]")).click();
    await (await s.waitFor("[data-testid=deploy-start]:not([disabled])")).click();
    await s.waitForText("[data-testid=run-state]", "succeeded", { timeoutMs: 30000 });
    await s.waitForContent("[data-testid=env-card-production] [data-testid=env-current]", "2.3.1");
    await app.shot("production-rolled-back");

    assert.equal(sql(home, "SELECT state FROM releases WHERE version = '2.4.0'")[0].state, "rolledBack");
    const runs = sql(home, `SELECT kind, version, state FROM deploy_runs WHERE environment_id = '${envs.production}' ORDER BY started_at`);
    assert.deepEqual(runs.slice(-2), [
      { kind: "deploy", version: "2.4.0", state: "failedVerification" },
      { kind: "rollback", version: "2.3.1", state: "succeeded" },
    ]);
    const actions = sql(home, "SELECT action FROM audit_log WHERE category IN ('deploy', 'gate') ORDER BY id").map((r) => r.action);
    for (const a of ["deploy.started", "deploy.succeeded", "gate.overridden", "deploy.overridden", "deploy.failedVerification", "deploy.rollbackStarted"]) {
      assert.ok(actions.includes(a), `${a} is in the audit log: ${actions}`);
    }
    // The app's own log never saw the secret either.
    const appLog = app.output.join("");
    assert.ok(!appLog.includes(CANARY) && !appLog.includes(b64), "the secret is not in Liftoff's log");

    // The timeline's deploy lane shows the runs; the release page lists them.
    await (await s.find("[data-testid=tab-timeline]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=timeline-run]")).length >= 3, "runs on the timeline");
    await app.shot("timeline-runs");
    await (await s.find("[data-testid=tab-releases]")).click();
    await (await s.waitForText("[data-testid=release-row]", "2.4.0")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=release-run]")).length === 2, "the release's two runs (staging, production)");
    await s.waitForContent("[data-testid=release-deploys]", "production");
    await app.shot("release-runs");
  } catch (e) {
    await app.shot("failure").catch(() => {});
    throw e;
  } finally {
    await app.quit();
    await health.close();
    await broken.close();
  }
});

test("Liftoff killed during a run: at the next start the run is interrupted, the lock is free, and leftovers can be stopped", async () => {
  const home = freshHome("deploy-kill");
  const pidFile = join(home.root, "child.pid");
  const slow = script(home, "slow.sh", `echo "starting a long deploy"\n(sleep 120) &\necho $! > ${pidFile}\nwait`);
  let app = await launch(home, { testName: "deploy-kill" });
  let ownerPid;
  try {
    const s = app.session;
    await openSampleDeploys(s);
    const envs = Object.fromEntries(sql(home, "SELECT id, name FROM environments").map((e) => [e.name, e.id]));
    const settings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envs.development}'`)[0].settings);
    settings.command = { program: slow, args: [], throughShell: false, timeoutSecs: 600 };
    settings.smoke = [];
    sql(home, `UPDATE deploy_targets SET settings = '${JSON.stringify(settings).replaceAll("'", "''")}' WHERE environment_id = '${envs.development}'`);
    await (await s.waitFor("[data-testid=deploy-development]")).click();
    await (await s.waitFor("[data-testid=accept-warnings]")).click();
    await (await s.waitFor("[data-testid=deploy-start]:not([disabled])")).click();
    await s.waitForContent("[data-testid=run-log]", "starting a long deploy");
    await s.waitForContent("[data-testid=env-card-development] [data-testid=env-lock]", "Busy: deploying 2.4.0");
    await app.shot("running-before-kill");
    ownerPid = sql(home, "SELECT owner_pid FROM deploy_runs WHERE state = 'running'")[0].owner_pid;
  } catch (e) {
    await app.shot("failure").catch(() => {});
    await app.quit();
    throw e;
  }
  // Killed: no chance to record anything.
  process.kill(ownerPid, "SIGKILL");
  await app.quit().catch(() => {});
  const childPid = Number(readFileSync(pidFile, "utf8").trim());
  assert.ok(isAlive(childPid), "the deploy's processes outlive the killed app");

  app = await launch(home, { testName: "deploy-kill" });
  try {
    const s = app.session;
    await s.waitForContent("body", "was interrupted when Liftoff closed");
    await app.shot("told-at-start");
    const [run] = sql(home, "SELECT state, outcome FROM deploy_runs WHERE version = '2.4.0' OR state IN ('running', 'interrupted') ORDER BY started_at DESC LIMIT 1");
    assert.equal(run.state, "interrupted");
    const kept = sql(home, "SELECT text FROM deploy_log l JOIN deploy_runs r ON r.id = l.run_id WHERE r.state = 'interrupted'").map((l) => l.text);
    assert.ok(kept.includes("starting a long deploy"), `the log it had is kept: ${kept}`);
    assert.equal(sql(home, "SELECT count(*) AS n FROM deploy_locks")[0].n, 0, "the lock is released");
    assert.ok(sql(home, "SELECT 1 FROM audit_log WHERE action = 'deploy.interrupted'").length === 1);
    // The Deploys page offers to stop what is still running.
    await (await s.waitForText("[data-testid=project-row]", "Northwind Billing")).click();
    await (await s.waitFor("[data-testid=tab-deploys]")).click();
    await s.waitForContent("[data-testid=leftover]", "still running");
    await app.shot("leftover-offered");
    await (await s.find("[data-testid=stop-leftover]")).click();
    await s.waitUntil(async () => !isAlive(childPid), "the leftover process to be stopped", 15000);
    // The environment can be deployed again.
    await s.waitFor("[data-testid=deploy-development]:not([disabled])");
    await app.shot("leftover-stopped");
  } finally {
    await app.quit();
  }
});

test("a deploy from the command line shows up live in the open window and shares its lock", async () => {
  const home = freshHome("deploy-cli");
  const app = await launch(home, { testName: "deploy-cli" });
  try {
    const s = app.session;
    await openSampleDeploys(s);
    // Locked by hand in the window: the command line is refused, naming why.
    await (await s.find("[data-testid=lock-development]")).click();
    await typeInto(s, "[data-testid=lock-reason]", "Database migration in progress");
    await (await s.find("[data-testid=lock-confirm]")).click();
    await s.waitForContent("[data-testid=env-card-development] [data-testid=env-lock]", "Database migration in progress");
    const cli = (args) =>
      new Promise((resolve) => {
        const child = spawn(appBinary(), args, { env: { ...process.env, LIFTOFF_DATA_DIR: home.data }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve({ code, out }));
      });
    const refused = await cli(["deploy", "--project", "Northwind Billing (sample)", "--env", "development", "--version", "2.4.0"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.out, /Database migration in progress/);
    await (await s.find("[data-testid=unlock-development]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=unlock-development]")).length === 0, "the lock to go");

    // 2.4.0 brings a breaking change: confirmed with --yes.
    const running = cli(["deploy", "--project", "Northwind Billing (sample)", "--env", "development", "--version", "2.4.0", "--build-ref", "v2.4.0", "--yes"]);
    // The window follows the run while the command line runs it.
    await s.waitForContent("[data-testid=run-log]", "Fetching artifact billing-2.4.0", { timeoutMs: 15000 });
    await app.shot("cli-run-live");
    const done = await running;
    assert.equal(done.code, 0, done.out);
    assert.match(done.out, /Deployed 2\.4\.0 to development/);
    await s.waitForText("[data-testid=run-state]", "succeeded", { timeoutMs: 15000 });
    await s.waitForContent("[data-testid=env-card-development] [data-testid=env-current]", "2.4.0");
    await app.shot("cli-run-done");
    // Global options may come first, as scripts write them.
    const list = await cli(["--data-dir", home.data, "runs", "--project", "Northwind Billing (sample)", "--env", "development"]);
    assert.equal(list.code, 0);
    assert.match(list.out, /2\.4\.0 .*succeeded/);

    // A run of the command line is cancelled from the window.
    const cancelled = cli(["deploy", "--project", "Northwind Billing (sample)", "--env", "development", "--version", "2.5.0-rc.1"]);
    await s.waitForContent("[data-testid=run-view]", "2.5.0-rc.1", { timeoutMs: 15000 });
    await s.waitForText("[data-testid=run-state]", "running");
    await (await s.waitFor("[data-testid=run-cancel]")).click();
    const stopped = await cancelled;
    assert.equal(stopped.code, 5, `cancelled from the window exits 5: ${stopped.out}`);
    assert.match(stopped.out, /Cancelled by/);
    await s.waitForText("[data-testid=run-state]", "cancelled", { timeoutMs: 15000 });
    await s.waitForContent("[data-testid=run-outcome]", "Cancelled by");
    await app.shot("cli-run-cancelled-from-window");
  } finally {
    await app.quit();
  }
});

test("nothing moves under the pointer: a notice floats over the page, and a hint line has its room", async () => {
  const home = freshHome("deploy-steady");
  const app = await launch(home, { testName: "deploy-steady" });
  const rect = (css) => app.session.execute(`const r = document.querySelector(${JSON.stringify(css)}).getBoundingClientRect(); return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)];`);
  try {
    const s = app.session;
    await openSampleDeploys(s);
    // A run of the history, its download button at the foot of the view
    // (the sample's year of history lists 30 runs below it).
    await (await s.waitFor("[data-testid=history-row] button, [data-testid=history-row] a")).click();
    await s.waitFor("[data-testid=run-download]");
    await s.execute("document.querySelector('[data-testid=run-download]').scrollIntoView({ block: 'end' })");
    const before = await rect("[data-testid=run-download]");
    const logPath = join(home.root, "run.log");
    await answerFileDialogs(s, logPath);
    await (await s.find("[data-testid=run-download]")).click();
    await s.waitForContent("[data-testid=notice-message]", "Saved the log");
    assert.deepEqual(await rect("[data-testid=run-download]"), before, "the notice moved the button it appeared near");
    // The notice floats beside the navigation, not over it.
    const [noticeX] = await rect("[data-testid=notice]");
    const [, , sidebarWidth] = await rect("nav");
    assert.ok(noticeX >= sidebarWidth, `the notice (x ${noticeX}) stays off the navigation (${sidebarWidth} px)`);
    await app.shot("notice-floats");

    // In the Deploy dialog, ticking the warning's box moves no button.
    await s.execute("document.querySelector('[data-testid=main-content]').scrollTo(0, 0)");
    await (await s.waitFor("[data-testid=deploy-staging]")).click();
    await s.waitFor("[data-testid=preflight]");
    await s.waitUntil(async () => (await s.findAll("[data-testid=deploy-why-not], [data-testid=deploy-start]:not([disabled])")).length > 0, "preflight to settle");
    // 2.4.0's planned window is ahead: deploying now is a warning to confirm.
    const accept = await s.waitFor("[data-testid=accept-warnings]");
    const start = await rect("[data-testid=deploy-start]");
    await accept.click();
    await s.waitFor("[data-testid=deploy-start]:not([disabled])");
    assert.deepEqual(await rect("[data-testid=deploy-start]"), start, "ticking the box moved the Deploy button");
    await app.shot("deploy-dialog-steady");
  } finally {
    await app.quit();
  }
});

/** Running: it exists and is not a zombie (this machine's init may not reap orphans). */
function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}
