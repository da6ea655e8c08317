// End-to-end: a deploy through a real Buildbot master (4.3.0 with a
// LocalWorker on loopback, from the tests' Python environment). A Buildbot
// target is set on the sample's staging through the form; Check target
// names a wrong password (a credential in the real keychain) and then finds
// the right one good, starting nothing; a deploy streams the builder's log
// live and is cancelled from the window, which the master confirms. Then
// Liftoff is killed during a build: the master goes on, and the next start
// follows the run again to its end, with its lock held meanwhile.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { addCredential, chooseValue, freePort, freshHome, launch, openSampleDeploys, sql, typeInto, withApp } from "./harness.mjs";

const repo = resolve(import.meta.dirname, "../..");
const PASSWORD = "bb-e2e-password-77c1";


/** A Buildbot master for this file's tests, started once. */
async function startMaster() {
  const python = process.env.LIFTOFF_TEST_PYTHON;
  assert.ok(python, "LIFTOFF_TEST_PYTHON must name the tests' Python environment (scripts/test.sh sets it)");
  const buildbot = join(dirname(python), "buildbot");
  const home = freshHome("buildbot-master");
  const dir = join(home.root, "master");
  execFileSync(buildbot, ["create-master", "-q", dir]);
  copyFileSync(join(repo, "src-tauri/core/tests/support/buildbot/master.cfg"), join(dir, "master.cfg"));
  const port = await freePort();
  const child = spawn(buildbot, ["start", "--nodaemon", dir], {
    env: { ...process.env, LIFTOFF_BB_PORT: String(port), LIFTOFF_BB_PASSWORD: PASSWORD, LIFTOFF_BB_CANARY: "e2e" },
    stdio: "ignore",
    detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    try {
      const body = await (await fetch(`${base}/api/v2/builders`)).json();
      if (body.builders?.length === 4) break;
    } catch {
      // not up yet
    }
    if (Date.now() - started > 90_000) throw new Error(`the Buildbot master did not answer within 90 s: ${readFileSync(join(dir, "twistd.log"), "utf8").slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    base,
    stop: () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
    /** The builds of the master, newest last. */
    builds: async () => (await (await fetch(`${base}/api/v2/builds`)).json()).builds,
  };
}

let master;
after(() => master?.stop());




async function startDeploy(s, env) {
  await (await s.waitFor(`[data-testid=deploy-${env}]:not([disabled])`)).click();
  const accept = await s.waitFor("[data-testid=accept-warnings], [data-testid=deploy-start]:not([disabled])");
  if ((await accept.attribute("data-testid")) === "accept-warnings") await accept.click();
  await (await s.waitFor("[data-testid=deploy-start]:not([disabled])")).click();
}

test("a Buildbot target set in the window: Check target names a wrong password; a deploy streams and is cancelled on the master", async () => {
  master = await startMaster();
  const home = freshHome("buildbot");
  await withApp(home, { testName: "buildbot" }, async (s, app) => {
    await openSampleDeploys(s);
    // Two passwords in the real keychain: a wrong one, and the master's.
    await (await s.find("[data-testid=tab-environments]")).click();
    await addCredential(s, 2, "BB_OLD_PASSWORD", "not-the-password-41");
    await addCredential(s, 2, "BB_PASSWORD", PASSWORD);

    await (await s.find("[data-testid=tab-deploys]")).click();
    await (await s.waitFor("[data-testid=target-staging]")).click();
    await chooseValue(s, "[data-testid=target-kind]", "buildbot");
    await typeInto(s, "[data-testid=target-remote-url]", master.base);
    await typeInto(s, "[data-testid=target-remote-user]", "lead");
    await chooseValue(s, "[data-testid=target-remote-credential]", "BB_OLD_PASSWORD");
    await typeInto(s, "[data-testid=target-remote-job]", "deploy-slow");
    await typeInto(s, "[data-testid=target-remote-scheduler]", "deploy-slow");
    // The sample's own smoke check reads its demo script's state.
    await (await s.find("[data-testid=target-smoke-remove-0]")).click();
    await (await s.find("[data-testid=target-check]")).click();
    const problem = await s.waitForContent("[data-testid=target-check-result]", "Buildbot refused the password for lead");
    assert.ok(!(await problem.text()).includes("not-the-password-41"), "the password is never shown");
    await app.shot("check-target-wrong-password");

    await chooseValue(s, "[data-testid=target-remote-credential]", "BB_PASSWORD");
    await (await s.find("[data-testid=target-check]")).click();
    await s.waitForContent("[data-testid=target-check-result]", "may start the builder “deploy-slow”");
    await app.shot("check-target-good");
    assert.equal((await master.builds()).length, 0, "Check target started nothing");
    await (await s.find("[data-testid=target-save]")).click();
    await s.waitForContent("body", "Deploy target of staging saved");
    const envId = sql(home, "SELECT id FROM environments WHERE name = 'staging'")[0].id;
    const stored = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envId}'`)[0].settings);
    assert.equal(stored.kind, "buildbot");
    assert.equal(stored.remote.credential, "BB_PASSWORD");
    assert.ok(!JSON.stringify(stored).includes(PASSWORD), "only the credential's name is stored");

    // A deploy: the builder's lines stream into the window.
    await startDeploy(s, "staging");
    await s.waitForContent("[data-testid=run-log]", "step 2");
    await s.waitForContent("[data-testid=run-remote]", "/builds/");
    await app.shot("buildbot-deploy-streaming");
    await (await s.find("[data-testid=run-cancel]")).click();
    await s.waitForContent("body", "Cancelling the run on its CI/CD engine");
    await s.waitFor("[data-testid=run-view][data-state=cancelled]", { timeoutMs: 90_000 });
    await s.waitForContent("[data-testid=run-outcome]", "Cancelled on Buildbot; it confirmed");
    await app.shot("buildbot-deploy-cancelled");
    const builds = await master.builds();
    assert.equal(builds.at(-1).results, 6, "cancelled on the master");
    const [run] = sql(home, "SELECT state, remote_ref, remote_url FROM deploy_runs WHERE state = 'cancelled'");
    assert.ok(run.remote_ref.includes("buildrequestid"), run.remote_ref);
    assert.ok(run.remote_url.startsWith(master.base), run.remote_url);
    const log = sql(home, "SELECT text FROM deploy_log").map((l) => l.text).join("\n");
    assert.ok(log.includes("Deploying 2.4.0") || log.includes("Deploying"), log.slice(0, 500));
    assert.ok(!log.includes(PASSWORD));
  });
});

test("Liftoff killed during a Buildbot deploy: the master goes on, and the next start follows the run to its end", async () => {
  master ??= await startMaster();
  const home = freshHome("buildbot-kill");
  const app = await launch(home, { testName: "buildbot-kill" });
  let ownerPid;
  try {
    const s = app.session;
    await openSampleDeploys(s);
    await (await s.find("[data-testid=tab-environments]")).click();
    await addCredential(s, 2, "BB_PASSWORD", PASSWORD);
    const envId = sql(home, "SELECT id FROM environments WHERE name = 'staging'")[0].id;
    const settings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envId}'`)[0].settings);
    settings.kind = "buildbot";
    settings.smoke = [];
    settings.remote = {
      url: master.base,
      user: "lead",
      credential: "BB_PASSWORD",
      job: "deploy-pause",
      scheduler: "deploy-pause",
      inputs: [{ name: "version", value: "$LIFTOFF_VERSION" }],
      acceptWarnings: false,
      timeoutSecs: 600,
    };
    sql(home, `UPDATE deploy_targets SET kind = 'buildbot', settings = '${JSON.stringify(settings).replaceAll("'", "''")}' WHERE environment_id = '${envId}'`);
    await (await s.find("[data-testid=tab-deploys]")).click();
    await startDeploy(s, "staging");
    await s.waitForContent("[data-testid=run-log]", "Deploying 2.4.0");
    await app.shot("buildbot-before-kill");
    ownerPid = sql(home, "SELECT owner_pid FROM deploy_runs WHERE state = 'running'")[0].owner_pid;
  } catch (e) {
    await app.shot("failure").catch(() => {});
    await app.quit();
    throw e;
  }
  process.kill(ownerPid, "SIGKILL");
  await app.quit().catch(() => {});
  const [left] = sql(home, "SELECT state FROM deploy_runs ORDER BY started_at DESC LIMIT 1");
  assert.equal(left.state, "running");

  await withApp(home, { testName: "buildbot-kill" }, async (s, app) => {
    await s.waitForContent("body", "went on on its CI/CD engine while no Liftoff process followed it; Liftoff follows it again");
    await app.shot("buildbot-followed-again-notice");
    await (await s.waitForText("[data-testid=project-row]", "Northwind Billing")).click();
    await (await s.waitFor("[data-testid=tab-deploys]")).click();
    await s.waitFor("[data-testid=run-view][data-state=succeeded]", { timeoutMs: 90_000 });
    await s.waitForContent("[data-testid=run-log]", "after the pause");
    await app.shot("buildbot-followed-to-the-end");
    const [run] = sql(home, "SELECT id, state FROM deploy_runs ORDER BY started_at DESC LIMIT 1");
    assert.equal(run.state, "succeeded");
    const lines = sql(home, `SELECT text FROM deploy_log WHERE run_id = '${run.id}'`).map((l) => l.text);
    assert.equal(lines.filter((l) => l === "Deploying 2.4.0").length, 1, "no line read twice");
    assert.equal(sql(home, "SELECT count(*) AS n FROM deploy_locks")[0].n, 0, "the lock is released at the end");
    assert.equal(sql(home, "SELECT count(*) AS n FROM audit_log WHERE action = 'deploy.interrupted'")[0].n, 0);
  });
});

test("a GitHub Actions target in the window: its own fields, a missing repository named, and a refused token named by Check target", async () => {
  // A GitHub Enterprise Server that refuses every token, as GitHub answers.
  const asked = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" }));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const home = freshHome("github-target");
  try {
    await withApp(home, { testName: "github-target" }, async (s, app) => {
      await openSampleDeploys(s);
      await (await s.find("[data-testid=tab-environments]")).click();
      await addCredential(s, 2, "GITHUB_TOKEN", "ghp_e2e_canary_0b7c");
      await (await s.find("[data-testid=tab-deploys]")).click();
      await (await s.waitFor("[data-testid=target-staging]")).click();
      await chooseValue(s, "[data-testid=target-kind]", "githubActions");
      await s.waitFor("[data-testid=target-remote-project]");
      assert.equal((await s.findAll("[data-testid=target-remote-scheduler]")).length, 0, "no Buildbot field for GitHub");
      await typeInto(s, "[data-testid=target-remote-url]", base);
      await chooseValue(s, "[data-testid=target-remote-credential]", "GITHUB_TOKEN");
      await typeInto(s, "[data-testid=target-remote-job]", "deploy.yml");
      await (await s.find("[data-testid=target-smoke-remove-0]")).click();
      await (await s.find("[data-testid=target-save]")).click();
      await s.waitForContent("[data-testid=target-errors]", "Give the repository as owner/name");
      await app.shot("github-target-missing-repository");
      await typeInto(s, "[data-testid=target-remote-project]", "acme/shop");
      await (await s.find("[data-testid=target-check]")).click();
      const result = await s.waitForContent("[data-testid=target-check-result]", "401");
      assert.ok(!(await result.text()).includes("ghp_e2e_canary_0b7c"), "the token is never shown");
      await app.shot("github-target-token-refused");
      assert.ok(asked.length > 0 && asked.every((a) => a.startsWith("GET ")), `Check target only reads: ${asked}`);
      await (await s.find("[data-testid=target-save]")).click();
      await s.waitForContent("body", "Deploy target of staging saved");
      const envId = sql(home, "SELECT id FROM environments WHERE name = 'staging'")[0].id;
      const stored = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envId}'`)[0].settings);
      assert.equal(stored.kind, "githubActions");
      assert.deepEqual([stored.remote.project, stored.remote.job, stored.remote.gitRef], ["acme/shop", "deploy.yml", "main"]);
    });
  } finally {
    server.close();
  }
});

/**
 * A GitHub Enterprise Server on loopback, as its REST API documents it: a
 * dispatch returns the run, which waits for production's reviewers until
 * someone approves it, then succeeds with its job's log (a 302 to another
 * host, where the token must not go).
 */
async function fakeGithub(token, { approval = true, failFirst = false } = {}) {
  const state = { approved: approval ? null : "approved", attempt: 1, requests: [] };
  const logs = createServer((req, res) => {
    state.requests.push({ host: "logs", method: req.method, url: req.url, auth: req.headers.authorization });
    res.writeHead(200, { "content-type": "text/plain" });
    const said = failFirst && req.url.startsWith("/job/1.") ? "migration failed: lock timeout" : approval ? "deployed 2.4.0 after approval" : "deployed 2.4.0 on the second attempt";
    res.end(`2025-03-04T12:00:12.0000000Z ##[group]Run ./deploy.sh\n2025-03-04T12:00:13.0000000Z ${said}\n2025-03-04T12:00:14.0000000Z ##[endgroup]\n`);
  });
  await new Promise((r) => logs.listen(0, "127.0.0.1", r));
  const logsBase = `http://127.0.0.1:${logs.address().port}`;
  const api = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      state.requests.push({ host: "api", method: req.method, url: req.url, auth: req.headers.authorization, body });
      const json = (code, value) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return json(401, { message: "Bad credentials" });
      const run = "/api/v3/repos/acme/shop/actions/runs/77";
      const done = state.approved === "approved";
      const conclusion = failFirst && state.attempt === 1 ? "failure" : "success";
      if (req.method === "POST" && req.url === "/api/v3/repos/acme/shop/actions/workflows/deploy.yml/dispatches") {
        state.dispatch = JSON.parse(body);
        return json(200, { workflow_run_id: 77, html_url: "https://github.example.com/acme/shop/actions/runs/77" });
      }
      if (req.method === "GET" && req.url === run) {
        return json(200, { id: 77, status: done ? "completed" : "waiting", conclusion: done ? conclusion : null, html_url: "https://github.example.com/acme/shop/actions/runs/77", display_title: "Deploy" });
      }
      if (req.method === "GET" && req.url.startsWith(`${run}/jobs`)) {
        return json(200, { total_count: 1, jobs: [{ id: 9 + state.attempt, run_id: 77, name: "deploy", status: done ? "completed" : "waiting", conclusion: done ? conclusion : null }] });
      }
      if (req.method === "POST" && req.url === `${run}/rerun-failed-jobs`) {
        state.attempt++;
        return json(201, {});
      }
      if (req.url === `${run}/pending_deployments`) {
        if (req.method === "POST") {
          state.approved = JSON.parse(body).state;
          state.comment = JSON.parse(body).comment;
          return json(200, [{ id: 1, environment: "production" }]);
        }
        return json(200, done ? [] : [{ environment: { id: 5, name: "production" }, current_user_can_approve: true, reviewers: [{ type: "User", reviewer: { login: "octocat" } }] }]);
      }
      if (req.method === "GET" && /^\/api\/v3\/repos\/acme\/shop\/actions\/jobs\/\d+\/logs$/.test(req.url)) {
        res.writeHead(302, { location: `${logsBase}/job/${state.attempt}.txt?sig=abc` });
        return res.end();
      }
      json(404, { message: "Not Found" });
    });
  });
  await new Promise((r) => api.listen(0, "127.0.0.1", r));
  state.base = `http://127.0.0.1:${api.address().port}`;
  state.close = () => Promise.all([new Promise((r) => api.close(r)), new Promise((r) => logs.close(r))]);
  return state;
}

/** The sample's staging deploys through deploy.yml of acme/shop on `base`, with GITHUB_TOKEN. */
function githubTargetOnStaging(home, base) {
  const envId = sql(home, "SELECT id FROM environments WHERE name = 'staging'")[0].id;
  const settings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${envId}'`)[0].settings);
  settings.kind = "githubActions";
  settings.smoke = [];
  settings.remote = {
    url: base,
    user: "",
    credential: "GITHUB_TOKEN",
    job: "deploy.yml",
    scheduler: "",
    project: "acme/shop",
    gitRef: "main",
    inputs: [{ name: "version", value: "$LIFTOFF_VERSION" }],
    acceptWarnings: false,
    timeoutSecs: 600,
  };
  sql(home, `UPDATE deploy_targets SET kind = 'githubActions', settings = '${JSON.stringify(settings).replaceAll("'", "''")}' WHERE environment_id = '${envId}'`);
}

test("a GitHub Actions deploy from the window waits for approval, is approved in Liftoff (audited), and ends with its job's log", async () => {
  const TOKEN = "ghp_e2e_approval_5a1d";
  const github = await fakeGithub(TOKEN);
  const home = freshHome("github-approval");
  try {
    await withApp(home, { testName: "github-approval" }, async (s, app) => {
      await openSampleDeploys(s);
      await (await s.find("[data-testid=tab-environments]")).click();
      await addCredential(s, 2, "GITHUB_TOKEN", TOKEN);
      githubTargetOnStaging(home, github.base);
      await (await s.find("[data-testid=tab-deploys]")).click();
      await startDeploy(s, "staging");
      await s.waitForContent("[data-testid=run-approval]", "waiting for approval on GitHub Actions (production; reviewers: octocat");
      await app.shot("github-waiting-for-approval");
      await typeInto(s, "[data-testid=run-approval-comment]", "Checked the release notes");
      await (await s.find("[data-testid=run-approve]")).click();
      await s.waitFor("[data-testid=run-view][data-state=succeeded]", { timeoutMs: 60_000 });
      await s.waitForContent("[data-testid=run-log]", "deployed 2.4.0 after approval");
      await app.shot("github-approved-and-deployed");
      assert.equal(github.approved, "approved");
      assert.equal(github.comment, "Checked the release notes");
      assert.equal(github.dispatch.inputs.version, "2.4.0");
      assert.ok(github.dispatch.inputs.liftoff_run_id, "the run's id goes as an input");
      assert.ok(github.requests.filter((r) => r.host === "logs").every((r) => !r.auth), "the token never goes to the log host");
      const [audit] = sql(home, "SELECT action, reason FROM audit_log WHERE action = 'deploy.approved'");
      assert.equal(audit.reason, "Checked the release notes");
      const log = sql(home, "SELECT text FROM deploy_log").map((l) => l.text).join("\n");
      assert.ok(!log.includes(TOKEN));
    });
  } finally {
    await github.close();
  }
});

test("a GitHub Actions deploy that failed is run again on the engine as a new run, which succeeds", async () => {
  const TOKEN = "ghp_e2e_rerun_91c3";
  const github = await fakeGithub(TOKEN, { approval: false, failFirst: true });
  const home = freshHome("github-rerun");
  try {
    await withApp(home, { testName: "github-rerun" }, async (s, app) => {
      await openSampleDeploys(s);
      await (await s.find("[data-testid=tab-environments]")).click();
      await addCredential(s, 2, "GITHUB_TOKEN", TOKEN);
      githubTargetOnStaging(home, github.base);
      await (await s.find("[data-testid=tab-deploys]")).click();
      await startDeploy(s, "staging");
      await s.waitFor("[data-testid=run-view][data-state=failed]", { timeoutMs: 60_000 });
      await s.waitForContent("[data-testid=run-log]", "migration failed: lock timeout");
      await s.waitForContent("[data-testid=run-outcome]", "failed on GitHub Actions");
      await app.shot("github-failed");
      await (await s.find("[data-testid=run-rerun]")).click();
      await s.waitFor("[data-testid=run-view][data-state=succeeded]", { timeoutMs: 60_000 });
      await s.waitForContent("[data-testid=run-log]", "deployed 2.4.0 on the second attempt");
      await app.shot("github-rerun-succeeded");
      assert.equal(github.attempt, 2, "the failed jobs ran again");
      const runs = sql(home, "SELECT state FROM deploy_runs WHERE remote_ref IS NOT NULL ORDER BY started_at");
      assert.deepEqual(runs.map((r) => r.state), ["failed", "succeeded"], "two Liftoff runs");
    });
  } finally {
    await github.close();
  }
});
