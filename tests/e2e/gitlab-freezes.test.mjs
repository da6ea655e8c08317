// End-to-end: GitLab's deploy freeze periods kept in step with Liftoff's
// freezes. A small fake GitLab on loopback answers the Freeze Periods API as
// GitLab documents it (list, create, delete; the token in PRIVATE-TOKEN) and
// already holds one period of the team's own. The sample's production gets a
// GitLab CI target with its token in the real keychain; its target form
// says the freezes were never synced, "Sync freezes now" writes the sample's
// weekend freeze (one repeating pair) and month-end freeze (dated pairs),
// and the line then says they are in step. A second sync sends nothing new,
// and the team's period is never touched.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { addCredential, freshHome, openSampleDeploys, sql, withApp } from "./harness.mjs";

const TOKEN = "glpat-e2e-canary-5d1e";

/** GitLab's Freeze Periods API for acme/shop, with the team's own period 1. */
async function fakeGitlab() {
  const state = {
    periods: [{ id: 1, freeze_start: "0 23 * * 5", freeze_end: "0 7 * * 1", cron_timezone: "UTC", created_at: "2026-06-01T09:00:00.000Z", updated_at: "2026-06-01T09:00:00.000Z" }],
    next: 100,
    requests: [],
  };
  const base = "/api/v4/projects/acme%2Fshop/freeze_periods";
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      state.requests.push(`${req.method} ${req.url}`);
      const json = (code, value) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(value === undefined ? "" : JSON.stringify(value));
      };
      if (req.headers["private-token"] !== TOKEN) return json(401, { message: "401 Unauthorized" });
      const path = req.url.split("?")[0];
      if (req.method === "GET" && path === base) return json(200, state.periods);
      if (req.method === "POST" && path === base) {
        const p = JSON.parse(body);
        const period = { id: state.next++, ...p, created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
        state.periods.push(period);
        return json(201, period);
      }
      const id = Number(path.startsWith(`${base}/`) ? path.slice(base.length + 1) : NaN);
      if (req.method === "DELETE" && state.periods.some((p) => p.id === id)) {
        state.periods = state.periods.filter((p) => p.id !== id);
        res.writeHead(204);
        return res.end();
      }
      return json(404, { message: "404 Not Found" });
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { state, base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

test("a GitLab target's freezes: never synced, then Sync freezes now writes the sample's freezes and leaves the team's period", async () => {
  const gitlab = await fakeGitlab();
  const home = freshHome("gitlab-freezes");
  try {
    await withApp(home, { testName: "gitlab-freezes" }, async (s, app) => {
      await openSampleDeploys(s);
      const [production] = sql(home, "SELECT id, position FROM environments WHERE name = 'production'");
      await (await s.find("[data-testid=tab-environments]")).click();
      await addCredential(s, production.position + 1, "GITLAB_TOKEN", TOKEN);
      const settings = JSON.parse(sql(home, `SELECT settings FROM deploy_targets WHERE environment_id = '${production.id}'`)[0].settings);
      settings.kind = "gitlabCi";
      settings.smoke = [];
      settings.remote = { url: gitlab.base, user: "", credential: "GITLAB_TOKEN", job: "", scheduler: "", project: "acme/shop", gitRef: "main", inputs: [], acceptWarnings: false, timeoutSecs: 600 };
      sql(home, `UPDATE deploy_targets SET kind = 'gitlabCi', settings = '${JSON.stringify(settings).replaceAll("'", "''")}' WHERE environment_id = '${production.id}'`);

      await (await s.find("[data-testid=tab-deploys]")).click();
      await (await s.waitFor("[data-testid=target-production]")).click();
      await s.waitForContent("[data-testid=target-freeze-sync]", "GitLab deploy freezes: not synced yet.");
      await app.shot("gitlab-freezes-not-synced");

      await (await s.find("[data-testid=target-freeze-sync-now]")).click();
      const line = await s.waitForContent("[data-testid=target-freeze-sync]", "GitLab deploy freezes: in step, ");
      await app.shot("gitlab-freezes-in-step");
      const ours = gitlab.state.periods.filter((p) => p.id !== 1);
      assert.ok(ours.length >= 2, JSON.stringify(gitlab.state.periods));
      assert.ok((await line.text()).includes(`in step, ${ours.length} periods, synced `), await line.text());
      assert.ok(ours.every((p) => p.cron_timezone === "Europe/Berlin"), "the freezes' own zone");
      assert.ok(ours.some((p) => /^0 0 \d+ \d+ \*$/.test(p.freeze_start)), `the month-end freeze as dated pairs: ${JSON.stringify(ours)}`);
      assert.ok(gitlab.state.periods.some((p) => p.id === 1), "the team's own period stays");
      assert.equal(sql(home, "SELECT count(*) AS n FROM engine_freeze_periods")[0].n, ours.length, "each period Liftoff created is recorded");

      const posts = gitlab.state.requests.filter((r) => r.startsWith("POST")).length;
      await (await s.find("[data-testid=target-freeze-sync-now]")).click();
      await s.waitForContent("body", "GitLab deploy freezes in step");
      assert.equal(gitlab.state.requests.filter((r) => r.startsWith("POST")).length, posts, "a second sync sends nothing new");
      assert.ok(!gitlab.state.requests.some((r) => r === "DELETE /api/v4/projects/acme%2Fshop/freeze_periods/1"), "never the team's period");
      assert.ok(!(await s.find("body").then((b) => b.text())).includes(TOKEN), "the token is never shown");
    });
  } finally {
    gitlab.close();
  }
});
