// End-to-end: environments and credentials, with values in the real
// keychain (gnome-keyring, started by scripts/with-keyring.sh).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshHome, launch, sql } from "./harness.mjs";

const CANARY = "canary-e2e-5b1d0f-not-for-sqlite";

function keychainValue(account) {
  const r = spawnSync("secret-tool", ["lookup", "service", "liftoff", "username", account], { encoding: "utf8" });
  return r.status === 0 ? r.stdout : null;
}

async function openProject(s, name) {
  const row = await s.waitForText("[data-testid=project-row]", name);
  await row.click();
  await s.waitForText("[data-testid=project-title]", name);
  await (await s.waitFor("[data-testid=tab-environments]")).click();
  await s.waitFor("[data-testid=environment-row]");
}

test("an environment's secret lives in the keychain, survives a restart, reveals and deletes", async () => {
  const home = freshHome("credentials");
  let app = await launch(home, { testName: "credentials" });
  let account;
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=new-project]")).click();
    await (await s.waitFor("#project-name")).type("Keyed Service");
    await (await s.find("[data-testid=project-submit]")).click();
    await s.waitForText("[data-testid=project-title]", "Keyed Service");
    await (await s.waitFor("[data-testid=tab-environments]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=environment-row]")).length === 3, "the default pipeline");

    // A new environment at the end of the pipeline. (The button comes once
    // the credentials are loaded too, a moment after the rows.)
    await (await s.waitFor("[data-testid=add-environment]")).click();
    await (await s.waitFor("[data-testid=env-name]")).type("qa");
    await (await s.find("[data-testid=env-url]")).type("https://qa.example.com");
    await (await s.find("[data-testid=env-health-url]")).type("https://qa.example.com/health");
    await (await s.find("[data-testid=env-submit]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=environment-row]")).length === 4, "four environments");
    const names = sql(home, "SELECT name, position, protected FROM environments ORDER BY position");
    assert.deepEqual(names.map((e) => e.name), ["development", "staging", "production", "qa"]);
    assert.equal(names[2].protected, 1);

    // A secret for staging.
    const staging = "[data-testid=environment-row]:nth-child(2)";
    await (await s.find(`${staging} [data-testid=add-credential]`)).click();
    await (await s.waitFor(`${staging} [data-testid=cred-name]`)).type("DEPLOY_TOKEN");
    await (await s.find(`${staging} [data-testid=cred-value]`)).type(CANARY);
    await app.shot("credential-form");
    await (await s.find(`${staging} [data-testid=cred-submit]`)).click();
    await s.waitForText(`${staging} [data-testid=credential-row]`, "DEPLOY_TOKEN");
    await app.shot("credential-stored");

    const [row] = sql(home, "SELECT c.name, c.kind, e.project_id, e.id AS env FROM credentials c JOIN environments e ON e.id = c.environment_id");
    assert.deepEqual([row.name, row.kind], ["DEPLOY_TOKEN", "apiToken"]);
    account = `${row.project_id}/${row.env}/deploy_token`;
    assert.equal(keychainValue(account), CANARY, "the value is in the real keychain");
  } finally {
    await app.quit();
  }

  app = await launch(home, { testName: "credentials" });
  try {
    const s = app.session;
    await openProject(s, "Keyed Service");
    const staging = "[data-testid=environment-row]:nth-child(2)";
    await (await s.waitFor(`${staging} [data-testid=reveal]`)).click();
    const shown = await s.waitFor(`${staging} [data-testid=revealed-value]`);
    assert.equal(await shown.text(), CANARY);
    await s.execute("arguments[0].scrollIntoView({ block: 'center' })", [{ "element-6066-11e4-a52e-4f735466cecf": shown.id }]);
    await app.shot("revealed-after-restart");

    await (await s.find(`${staging} [data-testid=delete-credential]`)).click();
    await s.waitForText("[data-testid=confirm-dialog]", "removed from the keychain");
    await (await s.find("[data-testid=confirm]")).click();
    await s.waitUntil(async () => (await s.findAll(`${staging} [data-testid=credential-row]`)).length === 0, "the credential to go");
    await app.shot("credential-deleted");
  } finally {
    await app.quit();
  }

  assert.equal(keychainValue(account), null, "the keychain entry is gone");
  assert.deepEqual(sql(home, "SELECT count(*) AS n FROM credentials"), [{ n: 0 }]);

  // The secret never reached SQLite, its WAL, a backup or the app's output.
  const b64 = Buffer.from(CANARY).toString("base64");
  const files = [join(home.data, "liftoff.db"), join(home.data, "liftoff.db-wal")];
  for (const f of readdirSync(join(home.data, "backups"))) files.push(join(home.data, "backups", f));
  for (const f of files) {
    let text;
    try {
      text = readFileSync(f).toString("latin1");
    } catch {
      continue;
    }
    assert.ok(!text.includes(CANARY) && !text.includes(b64), `${f} contains the secret`);
  }
  const output = app.output.join("");
  assert.match(output, /data folder:/, "the app's log must be captured, or this check means nothing");
  assert.ok(!output.includes(CANARY) && !output.includes(b64), "the app's output contains the secret");
});

test("a missing keychain is a clear message and stores nothing", async () => {
  const home = freshHome("no-keychain");
  // A D-Bus session bus with no service directories: nothing can start a
  // Secret Service on it.
  const config = join(home.root, "bus.conf");
  writeFileSync(
    config,
    `<busconfig><type>session</type><listen>unix:tmpdir=${home.root}</listen>
     <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`,
  );
  const daemon = spawn("dbus-daemon", ["--config-file", config, "--nofork", "--print-address"], { stdio: ["ignore", "pipe", "inherit"] });
  const bus = await new Promise((resolve) => daemon.stdout.once("data", (d) => resolve(d.toString().trim().split("\n")[0])));
  const app = await launch(home, { testName: "no-keychain", env: { DBUS_SESSION_BUS_ADDRESS: bus } });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-environments]")).click();
    await s.waitFor("[data-testid=environment-row]");
    const prod = "[data-testid=environment-row]:nth-child(3)";
    await (await s.find(`${prod} [data-testid=add-credential]`)).click();
    await (await s.waitFor(`${prod} [data-testid=cred-name]`)).type("DB_PASSWORD");
    await (await s.find(`${prod} [data-testid=cred-value]`)).type(CANARY);
    await (await s.find(`${prod} [data-testid=cred-submit]`)).click();
    const notice = await s.waitForText("[data-testid=notice-message]", "was not saved");
    const text = await notice.text();
    assert.match(text, /Liftoff cannot reach the system keychain \(no Secret Service is running\)/);
    assert.doesNotMatch(text, /DBus|org\.freedesktop/, "the D-Bus words stay behind Details");
    assert.ok(!text.includes(CANARY));
    await app.shot("no-keychain-message");
    // The system's words are there for whoever needs them, behind Details.
    await (await s.find("[data-testid=notice-details] summary")).click();
    const details = await s.waitForText("[data-testid=notice-details]", "org.freedesktop");
    assert.ok(!(await details.text()).includes(CANARY));
    await app.shot("no-keychain-details");
  } finally {
    await app.quit();
    daemon.kill();
  }
  assert.deepEqual(sql(home, "SELECT count(*) AS n FROM credentials"), [{ n: 0 }]);
});

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("test connection sends the credential to the health check, never to another host", async () => {
  const otherRequests = [];
  const other = await listen((req, res) => {
    otherRequests.push(req.headers.authorization ?? null);
    res.end("ok");
  });
  const otherPort = other.address().port;
  const service = await listen((req, res) => {
    if (req.url === "/moved") {
      res.writeHead(302, { Location: `http://localhost:${otherPort}/health` });
      return res.end();
    }
    const ok = req.headers.authorization === `Bearer ${CANARY}`;
    res.writeHead(ok ? 200 : 401);
    res.end(ok ? "healthy" : "who are you?");
  });
  const base = `http://127.0.0.1:${service.address().port}`;

  const home = freshHome("connection");
  const app = await launch(home, { testName: "test-connection" });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-environments]")).click();
    const staging = "[data-testid=environment-row]:nth-child(2)";
    await (await s.waitFor(`${staging} button.small`)).click(); // Edit
    // A health URL pasted with its token in the query: the form says so, and
    // keeps the token as a credential instead of in the URL.
    const health = await s.waitFor(`${staging} [data-testid=env-health-url]`);
    // The sample's own health URL (its demo service) is replaced.
    await health.clear();
    await health.type(`${base}/health?token=${CANARY}&verbose=1`);
    await s.waitForText(`${staging} [data-testid=env-health-secret]`, "This health-check URL carries a secret (token=)");
    await app.shot("health-url-secret");
    await (await s.find(`${staging} [data-testid=env-keep-credential]`)).click();
    assert.equal(await health.property("value"), `${base}/health?verbose=1`);
    assert.equal(await (await s.find(`${staging} [data-testid=env-pending-credential-name]`)).property("value"), "HEALTH_TOKEN");
    assert.equal((await s.findAll(`${staging} [data-testid=env-health-secret]`)).length, 0);
    await app.shot("health-url-secret-kept");
    await (await s.find(`${staging} [data-testid=env-submit]`)).click();
    await s.waitForText(`${staging} .urls`, `${base}/health?verbose=1`);
    await s.waitForText(`${staging} [data-testid=credential-row]`, "HEALTH_TOKEN");
    assert.equal((await s.findAll(`${staging} [data-testid=env-row-secret]`)).length, 0);
    const [stored] = sql(home, "SELECT health_url FROM environments WHERE name = 'staging'");
    assert.equal(stored.health_url, `${base}/health?verbose=1`, "the token is not stored in the URL");

    // Without a credential the service refuses.
    await (await s.find(`${staging} [data-testid=test-connection]`)).click();
    await s.waitForText(`${staging} [data-testid=connection-report]`, "wants a credential (401");

    // With it, the check passes.
    await (await s.find(`${staging} [data-testid=conn-credential] option:nth-child(2)`)).click();
    await (await s.find(`${staging} [data-testid=test-connection]`)).click();
    await s.waitForText(`${staging} [data-testid=connection-report]`, "answered 200 OK");
    await app.shot("connection-ok");

    // A redirect to another host stops before the credential leaves.
    await (await s.find(`${staging} button.small`)).click();
    const moved = await s.waitFor(`${staging} [data-testid=env-health-url]`);
    await moved.clear();
    await moved.type(`${base}/moved`);
    await (await s.find(`${staging} [data-testid=env-submit]`)).click();
    await s.waitForText(`${staging} .urls`, `${base}/moved`);
    await (await s.find(`${staging} [data-testid=conn-credential] option:nth-child(2)`)).click();
    await (await s.find(`${staging} [data-testid=test-connection]`)).click();
    await s.waitForText(`${staging} [data-testid=connection-report]`, "redirected to localhost, another host");
    await app.shot("cross-host-redirect");
  } finally {
    await app.quit();
    service.close();
    other.close();
  }
  assert.deepEqual(otherRequests, [], "the other host must not be contacted with the credential");
  const [row] = sql(home, "SELECT last_used_at FROM credentials WHERE name = 'HEALTH_TOKEN'");
  assert.ok(row.last_used_at, "the test counts as a use of the credential");
  const db = readFileSync(join(home.data, "liftoff.db")).toString("latin1");
  assert.ok(!db.includes(CANARY), "the token from the URL is in the keychain only");
});
