// End-to-end: announcements in the real window. The sample project points
// at a git repository the test makes; its changes are read from git,
// edited, drafted as an email from the built-in template, previewed in the
// sandboxed frame, approved by the reviewer, refused before production is
// verified, overridden with who and why, exported as an .eml, and sent to a
// real SMTP server (aiosmtpd) on loopback: a test send, then the audience,
// where one address is refused; a resume sends to the one added since and
// to nobody twice. The timeline's Announcements lane shows what went out.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { answerFileDialogs, fileDialogsAsked, freshHome, launch, sql, typeInto } from "./harness.mjs";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function git(dir, ...args) {
  execFileSync("git", ["-C", dir, "-c", "user.name=Ada Dev", "-c", "user.email=ada@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", ...args]);
}

function fixtureRepository(dir) {
  mkdirSync(dir);
  git(dir, "init", "-q", "-b", "main");
  const commit = (m) => git(dir, "commit", "--allow-empty", "-q", "-m", m);
  commit("feat: first release");
  git(dir, "tag", "v2.3.1");
  commit("feat(invoices): download invoices as PDF");
  commit("fix: totals round half up (#41)");
  commit("feat(api)!: remove the v1 invoices endpoint");
  commit("feat: warn about <script>alert(1)</script> in customer names");
  commit("chore: bump dependencies");
  git(dir, "tag", "v2.4.0");
}

/** aiosmtpd on loopback, saving what it receives; refuses `refuse`. */
async function smtpServer(out, refuse, extra = []) {
  const python = process.env.LIFTOFF_TEST_PYTHON || execFileSync(join(repoRoot, "scripts", "pyenv.sh"), { encoding: "utf8" }).trim();
  const script = join(repoRoot, "src-tauri", "core", "tests", "support", "smtp_server.py");
  const child = spawn(python, [script, "--out", out, "--refuse", refuse, ...extra], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(Number(String(d).trim())));
    child.once("exit", (code) => reject(new Error(`the SMTP server exited (${code})`)));
  });
  return { port, stop: () => child.stdin.end() };
}

/** Envelope recipients of every message the server saved. */
function received(out) {
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .filter((f) => f.endsWith(".rcpt"))
    .flatMap((f) => readFileSync(join(out, f), "utf8").split("\n").filter(Boolean));
}

/** Sets a text area's value with its line breaks (typing drops them). */
async function setText(s, css, text) {
  await s.waitFor(css);
  await s.execute(
    `const el = document.querySelector(${JSON.stringify(css)}); el.value = ${JSON.stringify(text)}; el.dispatchEvent(new Event('input', { bubbles: true }));`,
  );
}

async function choose(s, css, value) {
  await s.waitFor(css);
  await s.execute(
    `const el = document.querySelector(${JSON.stringify(css)}); el.value = ${JSON.stringify(value)}; el.dispatchEvent(new Event('change', { bubbles: true }));`,
  );
}

/**
 * Acts as the person `id`: every "acting as" / "You are" choice on the
 * screen (the window's header and the page may each have one).
 */
async function actAs(s, id) {
  await s.waitFor("[data-testid=acting-as]");
  await s.execute(
    `for (const el of document.querySelectorAll('[data-testid=acting-as]')) { el.value = ${JSON.stringify(id)}; el.dispatchEvent(new Event('change', { bubbles: true })); }`,
  );
}

test("compose from git, preview, approve, refused until verified, export the .eml, send to a real SMTP server and resume", async () => {
  const home = freshHome("announce");
  const repo = join(home.root, "repo");
  fixtureRepository(repo);
  const out = join(home.root, "mail");
  const smtp = await smtpServer(out, "refused@example.com");
  const app = await launch(home, { testName: "announce" });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await s.waitForText("[data-testid=project-title]", "Northwind Billing");
    const projectId = sql(home, "SELECT id FROM projects")[0].id;
    sql(home, `UPDATE projects SET repository = '${repo}' WHERE id = '${projectId}'`);
    const release = sql(home, "SELECT id FROM releases WHERE version = '2.4.0'")[0].id;

    // 1. What changed, from git.
    await (await s.waitFor("[data-testid=tab-announcements]")).click();
    await s.waitFor("[data-testid=announcements-page]");
    await s.waitUntil(async () => (await s.execute("return document.querySelector('[data-testid=announce-release]')?.selectedOptions[0]?.textContent ?? ''")).includes("2.4.0"), "2.4.0 picked");
    await (await s.waitFor("[data-testid=read-changes]:not([disabled])")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=change-item]")).length === 5, "five change items");
    const items = sql(home, `SELECT text, category, included, pr FROM change_items WHERE release_id = '${release}' ORDER BY position`);
    assert.equal(items.find((i) => i.text.includes("v1 invoices")).category, "breaking");
    assert.equal(items.find((i) => i.text.includes("Totals")).pr, 41);
    assert.equal(items.find((i) => i.text.includes("Bump")).included, 0, "chores are left out");
    // The lead words one for users.
    const pdf = await s.execute(
      "return [...document.querySelectorAll('[data-testid=item-text]')].findIndex((el) => el.value.includes('PDF'))",
    );
    await s.execute(
      `const el = document.querySelectorAll('[data-testid=item-text]')[${pdf}]; el.value = 'Invoices can be downloaded as PDF'; el.dispatchEvent(new Event('change', { bubbles: true }));`,
    );
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM change_items WHERE text = 'Invoices can be downloaded as PDF' AND edited = 1").length === 1, "the edit to be saved");
    await app.shot("announce-changes");

    // A tag that does not exist says which do, and keeps the items.
    await typeInto(s, "[data-testid=changes-to]", "v9.9");
    await (await s.find("[data-testid=read-changes]")).click();
    await s.waitForContent("[data-testid=read-error]", "v2.4.0");
    assert.equal(sql(home, `SELECT COUNT(*) AS n FROM change_items WHERE release_id = '${release}'`)[0].n, 5);
    await typeInto(s, "[data-testid=changes-to]", "v2.4.0");

    // Settings: help links, the loopback mail server, the audience.
    await (await s.find("[data-testid=section-settings]")).click();
    await typeInto(s, "[data-testid=support-helpdesk]", "https://help.northwind.example");
    await typeInto(s, "[data-testid=support-feedback]", "https://northwind.example/feedback");
    await (await s.find("[data-testid=smtp-on]")).click();
    await typeInto(s, "[data-testid=smtp-host]", "127.0.0.1");
    await choose(s, "[data-testid=smtp-security]", "plain");
    await typeInto(s, "[data-testid=smtp-port]", String(smtp.port));
    await typeInto(s, "[data-testid=sender-name]", "Northwind Billing – Team");
    await typeInto(s, "[data-testid=sender-address]", "news@northwind.example");
    await typeInto(s, "[data-testid=test-address]", "lead@northwind.example");
    // The audience from a file, read by Liftoff from the path the Open dialog gave.
    const users = join(home.root, "end-users.txt");
    writeFileSync(users, "ann@example.com\nrefused@example.com\nBo Berg <bo@example.com>\n");
    await answerFileDialogs(s, users);
    await (await s.find("[data-testid=recipients-endUsers-load]")).click();
    const area = await s.find("[data-testid=recipients-endUsers]");
    await s.waitUntil(async () => (await area.property("value")) === readFileSync(users, "utf8"), "the file's addresses in the list");
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM announce_settings WHERE settings LIKE '%bo@example.com%'").length === 1, "the settings to be saved");
    // Port 25-style plain SMTP is for this computer only: the field says so.
    await app.shot("announce-settings");

    // 2. A draft from the built-in email template, previewed.
    await (await s.find("[data-testid=section-drafts]")).click();
    await (await s.waitFor("[data-testid=new-draft]")).click();
    await s.waitFor("[data-testid=preview]");
    await s.waitForContent("[data-testid=draft-approval]", "Not approved");
    const draft = sql(home, `SELECT id FROM announcements WHERE release_id = '${release}'`)[0].id;
    assert.equal((await s.findAll("[data-testid=template-error]")).length, 0);
    await app.shot("announce-draft-preview");

    // A typo in the template (behind "Customize template") names its line;
    // fixing it clears the error.
    await s.execute("document.querySelector('[data-testid=customize-template]').open = true");
    const body = await s.execute("return document.querySelector('[data-testid=part-body]').value");
    await s.execute(
      `const el = document.querySelector('[data-testid=part-body]'); el.value = ${JSON.stringify(body + "\n{{ relase.version }}")}; el.dispatchEvent(new Event('input', { bubbles: true }));`,
    );
    await (await s.find("[data-testid=save-template]")).click();
    await s.waitForContent("[data-testid=template-error]", "relase");
    await app.shot("announce-template-error");
    await s.execute(
      `const el = document.querySelector('[data-testid=part-body]'); el.value = ${JSON.stringify(body)}; el.dispatchEvent(new Event('input', { bubbles: true }));`,
    );
    await (await s.find("[data-testid=save-template]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=template-error]")).length === 0, "the error to go");

    // The preview is served with its own, script-free policy.
    await s.execute("document.querySelector('[data-testid=preview-dark]').click()");
    await app.shot("announce-preview-dark");

    // 3. Review: Omar reviews; acting as Omar approves.
    const omar = sql(home, "SELECT id FROM people WHERE name LIKE 'Omar%'")[0].id;
    await choose(s, "[data-testid=draft-reviewer]", omar);
    await s.waitUntil(async () => sql(home, `SELECT 1 FROM announcements WHERE id = '${draft}' AND reviewer_id = '${omar}'`).length === 1, "the reviewer");
    await actAs(s, omar);
    await (await s.waitFor("[data-testid=approve-draft]:not([disabled])")).click();
    await s.waitForContent("[data-testid=draft-approval]", "Approved by Omar");

    // 4. Not before production is verified: the gate says why, and the
    // buttons that reach users wait.
    await s.waitForContent("[data-testid=announce-gate]", "not verified on production");
    await s.waitFor("[data-testid=send-audience][disabled]");
    await s.waitFor("[data-testid=export-eml][disabled]");
    await app.shot("announce-refused-until-verified");

    // A test send to the lead goes anyway.
    await (await s.find("[data-testid=send-test]")).click();
    await s.waitUntil(async () => received(out).includes("lead@northwind.example"), "the test message to arrive", 20000);

    // Announce anyway, with who decided and why (audited).
    await (await s.find("[data-testid=announce-override]")).click();
    // The decider is one of the project's people, or someone else by name;
    // a reason of a few characters is refused as the deploy gate's is.
    await s.waitFor("[data-testid=override-by-person]");
    await s.execute("const el = document.querySelector('[data-testid=override-by-person]'); el.value = '__other__'; el.dispatchEvent(new Event('change', { bubbles: true }));");
    await typeInto(s, "[data-testid=override-by]", "Dana Okafor (CTO)");
    await typeInto(s, "[data-testid=override-reason]", "PDF");
    await (await s.find("[data-testid=override-confirm]")).click();
    await s.waitForContent("#err-reason", "at least a sentence");
    await typeInto(s, "[data-testid=override-reason]", "Customers asked for the PDF export; the deploy is tonight.");
    await (await s.find("[data-testid=override-confirm]")).click();
    await s.waitForContent("[data-testid=announce-gate]", "decided to announce it anyway");
    assert.equal(sql(home, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'announcement.overridden'")[0].n, 1);

    // 5. The .eml, where the test says.
    const emlPath = join(home.root, "announcement.eml");
    await answerFileDialogs(s, emlPath);
    await (await s.waitFor("[data-testid=export-eml]:not([disabled])")).click();
    await s.waitForText("[data-testid=export-result-path]", emlPath);
    assert.ok(existsSync(emlPath), "the .eml file");
    const [asked] = await fileDialogsAsked(s);
    assert.deepEqual([asked.kind, asked.defaultPath.split("/").at(-1)], ["announcement", "release-2.4.0.eml"]);
    const parsed = JSON.parse(
      execFileSync(
        "python3",
        [
          "-c",
          `import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
print(json.dumps({"subject": m["subject"], "from": m["from"], "type": m.get_content_type(), "unsent": m["X-Unsent"], "id": m["Message-ID"], "date": m["Date"],
  "parts": [p.get_content_type() for p in m.iter_parts()], "text": m.get_body(("plain",)).get_content(), "html": m.get_body(("html",)).get_content()}))`,
          emlPath,
        ],
        { encoding: "utf8" },
      ),
    );
    assert.equal(parsed.type, "multipart/alternative");
    assert.deepEqual(parsed.parts, ["text/plain", "text/html"]);
    assert.equal(parsed.unsent, "1");
    assert.ok(parsed.id && parsed.date);
    assert.ok(parsed.subject.includes("2.4.0"), parsed.subject);
    assert.ok(parsed.from.includes("Northwind Billing – Team"), parsed.from);
    assert.ok(parsed.text.includes("Invoices can be downloaded as PDF"));
    assert.ok(parsed.html.includes("https://help.northwind.example"), "the help block is in the email");
    assert.ok(!parsed.html.includes("<script"), "a script from a commit never reaches the HTML");

    // 6. Send to end users: one address refused, the others get it.
    await (await s.waitFor("[data-testid=send-audience]:not([disabled])")).click();
    await s.waitForContent("[data-testid=send-failures]", "refused@example.com", { timeoutMs: 30000 });
    await s.waitUntil(async () => sql(home, "SELECT COUNT(*) AS n FROM announce_sends WHERE state = 'running'")[0].n === 0, "the send to finish", 30000);
    await s.waitForContent("[data-testid=send-progress]", "3 of 3");
    await app.shot("announce-sent-with-a-refusal");
    assert.deepEqual(received(out).filter((r) => r !== "lead@northwind.example").sort(), ["ann@example.com", "bo@example.com"]);
    const failed = sql(home, "SELECT address, error FROM announce_deliveries WHERE state = 'failed'");
    assert.equal(failed.length, 1);
    assert.match(failed[0].error, /550/);

    // Resume after adding one more: only the new address gets it.
    await (await s.find("[data-testid=section-settings]")).click();
    await setText(s, "[data-testid=recipients-endUsers]", "ann@example.com\nrefused@example.com\nBo Berg <bo@example.com>\ncy@example.com");
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM announce_settings WHERE settings LIKE '%cy@example.com%'").length === 1, "the new recipient");
    await (await s.find("[data-testid=section-drafts]")).click();
    await (await s.waitFor("[data-testid=send-audience]:not([disabled])")).click();
    await s.waitUntil(async () => received(out).includes("cy@example.com"), "the resumed send", 20000);
    await s.waitUntil(async () => sql(home, "SELECT COUNT(*) AS n FROM announce_sends WHERE state = 'running'")[0].n === 0, "the send to finish");
    const all = received(out);
    for (const a of ["ann@example.com", "bo@example.com", "cy@example.com"]) {
      assert.equal(all.filter((r) => r === a).length, 1, `${a} got it exactly once`);
    }
    assert.ok(!all.includes("refused@example.com"));
    const sent = sql(home, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'announcement.sent'")[0].n;
    assert.equal(sent, 2, "each send is in the audit log");
    await s.waitFor("[data-testid=send-history]");
    await app.shot("announce-history");

    // The timeline's Announcements lane shows when each went out.
    await (await s.find("[data-testid=tab-timeline]")).click();
    await s.waitFor("canvas");
    await app.shot("announce-timeline");
  } finally {
    await app.quit();
    smtp.stop();
  }
});

/** A company CA and a certificate for 127.0.0.1 signed by it, made with openssl. */
function companyCa(dir) {
  mkdirSync(dir, { recursive: true });
  const ssl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl("req", ...ec, "-x509", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Northwind internal CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  ssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
  ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
  const fingerprint = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", join(dir, "ca.pem")], { encoding: "utf8" }).trim().split("=").pop();
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key"), fingerprint };
}

test("a company mail server: STARTTLS with the company's own CA, added in the mail settings", async () => {
  const home = freshHome("announce-ca");
  const certs = companyCa(join(home.root, "pki"));
  const out = join(home.root, "mail");
  const smtp = await smtpServer(out, "nobody@example.com", ["--starttls", certs.cert, certs.key]);
  const app = await launch(home, { testName: "announce-ca" });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await s.waitForText("[data-testid=project-title]", "Northwind Billing");
    await (await s.waitFor("[data-testid=tab-announcements]")).click();
    await s.waitFor("[data-testid=announcements-page]");
    // The sections show once the release's announcements are read.
    await (await s.waitFor("[data-testid=section-settings]")).click();
    await (await s.waitFor("[data-testid=smtp-on]")).click();
    await typeInto(s, "[data-testid=smtp-host]", "127.0.0.1");
    await choose(s, "[data-testid=smtp-security]", "startTls");
    await typeInto(s, "[data-testid=smtp-port]", String(smtp.port));
    await typeInto(s, "[data-testid=sender-address]", "news@northwind.example");
    await typeInto(s, "[data-testid=test-address]", "lead@northwind.example");
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM announce_settings WHERE settings LIKE '%startTls%'").length === 1, "the settings to be saved");

    // Without the company CA, a test send fails and says where it goes.
    await (await s.find("[data-testid=section-drafts]")).click();
    await (await s.waitFor("[data-testid=new-draft]")).click();
    await s.waitFor("[data-testid=preview]");
    await (await s.waitFor("[data-testid=send-test]")).click();
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM announce_sends WHERE kind = 'test' AND state = 'stopped' AND note LIKE '%Company CA certificate%'").length === 1, "the test send to stop at TLS", 30000);
    // The reason is on the page, in the history of what went out.
    await (await s.waitFor("[data-testid=section-drafts]")).click();
    await s.waitForContent("[data-testid=send-note]", "Company CA certificate");
    await app.shot("announce-ca-missing");

    // A file that is not a certificate is refused beside the field.
    await (await s.find("[data-testid=section-settings]")).click();
    const notPem = join(home.root, "not-a-cert.crt");
    writeFileSync(notPem, "hello");
    await answerFileDialogs(s, notPem);
    await (await s.waitFor("[data-testid=smtp-ca-choose]")).click();
    await s.waitForContent("#err-cacertificate", "PEM");
    // The CA file, shown by the fingerprint openssl gives.
    await answerFileDialogs(s, certs.ca);
    await (await s.find("[data-testid=smtp-ca-choose]")).click();
    await s.waitForText("[data-testid=smtp-ca-fingerprint]", certs.fingerprint);
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM announce_settings WHERE settings LIKE '%caCertificate%BEGIN CERTIFICATE%'").length === 1, "the CA to be saved");
    await app.shot("announce-ca-settings");

    // Now the test send goes through TLS to the company server.
    await (await s.find("[data-testid=section-drafts]")).click();
    await (await s.waitFor("[data-testid=send-test]")).click();
    await s.waitUntil(async () => received(out).includes("lead@northwind.example"), "the test message to arrive over TLS", 30000);
    await app.shot("announce-ca-sent");
  } catch (e) {
    await app.shot("failure").catch(() => {});
    throw e;
  } finally {
    await app.quit();
    smtp.stop();
  }
});

/** A date as the drafts read it: `2026-12-15` is `15 December 2026`. */
function inWords(iso) {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

/** Scrolls the element matching `css` to the top of the page's own scrolling area. */
async function scrollTo(s, css) {
  await s.execute(`document.querySelector(${JSON.stringify(css)})?.scrollIntoView({ block: "start" })`);
}

/** Shots of the drafts at 1280x820 and at the smallest window, 960x620. */
async function shotsAtBothSizes(s, app, label, css) {
  for (const [width, height] of [
    [1280, 820],
    [960, 620],
  ]) {
    await app.resize({ width, height });
    await s.waitUntil(async () => (await s.execute("return window.innerWidth")) <= width, `the window at ${width}`);
    if (css) await scrollTo(s, css);
    await app.shot(`${label}-${width}`);
  }
  await app.resize({ width: 1280, height: 820 });
  // Back as the test found it: the page laid out at the wide size again and
  // scrolled to its top, so that the next click finds the section buttons
  // where a person would (CI once clicked one while the page was still
  // scrolled to the last shot's section at the narrow size).
  await s.waitUntil(async () => (await s.execute("return window.innerWidth")) > 960, "the window back at 1280");
  await s.execute(`document.querySelector("[data-testid=main-content]")?.scrollTo(0, 0)`);
}

test("a lead's words, not template code; copy that follows the release's state; an .eml that needs only a sender", async () => {
  const home = freshHome("announce-words");
  const repo = join(home.root, "repo");
  fixtureRepository(repo);
  let app = await launch(home, { testName: "announce-words" });
  const draftWhere = (release) => `SELECT id, parts, words, approved_digest FROM announcements WHERE release_id = '${release}' AND channel = 'email'`;
  let release;
  try {
    const s = app.session;
    await app.resize({ width: 1280, height: 820 });
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await s.waitForText("[data-testid=project-title]", "Northwind Billing");
    const projectId = sql(home, "SELECT id FROM projects")[0].id;
    sql(home, `UPDATE projects SET repository = '${repo}' WHERE id = '${projectId}'`);
    const r = sql(home, "SELECT id, target_date FROM releases WHERE version = '2.4.0'")[0];
    release = r.id;
    const date = inWords(r.target_date);
    assert.ok(r.target_date > new Date().toISOString().slice(0, 10), "the sample's 2.4.0 is still to come");

    await (await s.waitFor("[data-testid=tab-announcements]")).click();
    await s.waitFor("[data-testid=announcements-page]");
    await (await s.waitFor("[data-testid=read-changes]:not([disabled])")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=change-item]")).length === 5, "five change items");

    // 5. Words, not template code: the draft reads as its readers will
    // read it, the items a list of their own, the template tucked away.
    await (await s.find("[data-testid=section-drafts]")).click();
    await (await s.waitFor("[data-testid=new-draft]")).click();
    await s.waitFor("[data-testid=draft-words]");
    const opening = await (await s.waitFor("[data-testid=words-body-0]")).property("value");
    assert.equal(opening, `Hello,\n\nNorthwind Billing (sample) 2.4.0 (Tax engine switch) will be available on ${date}. Here is what changed.`);
    const shown = await s.execute("return [...document.querySelectorAll('[data-testid=draft-words] textarea, [data-testid=draft-words] input')].map((e) => e.value).join('\\n')");
    assert.ok(!shown.includes("{%") && !shown.includes("{{"), shown);
    assert.ok(!shown.includes(r.target_date), "dates in words, never ISO");
    assert.equal(await s.execute("return document.querySelector('[data-testid=customize-template]').open"), false, "the template is behind its disclosure");
    const listed = sql(home, `SELECT COUNT(*) AS n FROM change_items WHERE release_id = '${release}' AND included = 1 AND audiences LIKE '%endUsers%'`)[0].n;
    assert.equal((await s.findAll("[data-testid=words-item]")).length, listed, "the draft's items, one input each");
    await s.waitForContent("[data-testid=draft-timing]", "The approval covers both");
    await shotsAtBothSizes(s, app, "words", "[data-testid=drafts]");

    // The lead changes one sentence of the opening and writes the preheader;
    // and rewords an item in place.
    const mine = opening.replace("Here is what changed.", "Here is what changes for you.");
    await setText(s, "[data-testid=words-body-0]", mine);
    await setText(s, "[data-testid=words-preheader-0]", "Invoices as PDF, and three more changes.");
    await (await s.find("[data-testid=save-draft]:not([disabled])")).click();
    await s.waitUntil(async () => sql(home, draftWhere(release))[0]?.parts.includes("what changes for you"), "the words to be saved");
    const stored = sql(home, draftWhere(release))[0];
    assert.ok(JSON.parse(stored.parts).body.includes("{% block changes %}"), "the list stays the template's");
    assert.deepEqual(Object.keys(JSON.parse(stored.words)).sort(), ["body", "preheader"]);
    const pdf = await s.execute("return [...document.querySelectorAll('[data-testid=words-item]')].findIndex((el) => el.value.includes('PDF'))");
    assert.ok(pdf >= 0);
    await s.execute(
      `const el = document.querySelectorAll('[data-testid=words-item]')[${pdf}]; el.value = 'Download any invoice as a PDF'; el.dispatchEvent(new Event('change', { bubbles: true }));`,
    );
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM change_items WHERE text = 'Download any invoice as a PDF' AND edited = 1").length === 1, "the item's edit");

    // A new commit, read again from git: the list takes it, the words stay;
    // the preheader counted the items, and the page says it was written before.
    git(repo, "commit", "--allow-empty", "-q", "-m", "feat: remind customers of unpaid invoices");
    git(repo, "tag", "-f", "v2.4.0");
    await (await s.find("[data-testid=section-changes]")).click();
    await (await s.waitFor("[data-testid=read-changes]:not([disabled])")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=change-item]")).length === 6, "six change items");
    await (await s.find("[data-testid=section-drafts]")).click();
    await s.waitUntil(
      async () => (await s.execute("return [...document.querySelectorAll('[data-testid=words-item]')].map((e) => e.value).join('|')")).includes("Remind customers"),
      "the new item in the draft's list",
    );
    assert.equal(await (await s.find("[data-testid=words-body-0]")).property("value"), mine, "the lead's words are kept");
    const items = await s.execute("return [...document.querySelectorAll('[data-testid=words-item]')].map((e) => e.value)");
    assert.ok(items.includes("Download any invoice as a PDF"), items.join("|"));
    await s.waitForContent("[data-testid=words-preheader] [data-testid=words-stale]", `with ${listed + 1} changes`);
    assert.equal(await (await s.find("[data-testid=words-preheader-0]")).property("value"), "Invoices as PDF, and three more changes.");
    assert.equal((await s.findAll("[data-testid=words-body] [data-testid=words-stale]")).length, 0, "the opening does not count the items");
    await shotsAtBothSizes(s, app, "words-written-before", "[data-testid=words-preheader]");
    await (await s.find("[data-testid=keep-words]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=words-stale]")).length === 0, "the notice to go once the words are kept");
    assert.ok(JSON.parse(sql(home, draftWhere(release))[0].words).preheader["0"].wrote.includes(`with ${listed + 1} changes`));

    // 7. Approving an email and its .eml wait for a sender, and say so beside
    // the buttons, before any dialog.
    const omar = sql(home, "SELECT id FROM people WHERE name LIKE 'Omar%'")[0].id;
    await choose(s, "[data-testid=draft-reviewer]", omar);
    await actAs(s, omar);
    await s.waitForContent("[data-testid=approve-needs]", "a From address (Settings, Sender)");
    await s.waitFor("[data-testid=approve-draft][disabled]");
    await s.waitForContent("[data-testid=export-eml-needs]", "a From address");
    await s.waitForContent("[data-testid=export-eml-needs]", "Omar");
    await s.waitFor("[data-testid=export-eml][disabled]");
    await s.waitForContent("[data-testid=preview-from]", "nobody yet");
    await scrollTo(s, "[aria-label=Review]");
    await app.shot("needs-a-sender");

    // A sender and no mail server at all.
    await (await s.find("[data-testid=section-settings]")).click();
    await typeInto(s, "[data-testid=sender-name]", "Northwind Billing");
    await typeInto(s, "[data-testid=sender-address]", "news@northwind.example");
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, `SELECT settings FROM announce_settings WHERE settings LIKE '%news@northwind.example%'`).length === 1, "the sender to be saved");
    const saved = JSON.parse(sql(home, "SELECT settings FROM announce_settings")[0].settings);
    assert.deepEqual([saved.sender, saved.smtp], [{ name: "Northwind Billing", address: "news@northwind.example" }, null]);
    await (await s.find("[data-testid=section-drafts]")).click();
    await s.waitForContent("[data-testid=preview-from]", "Northwind Billing <news@northwind.example>");
    await (await s.waitFor("[data-testid=approve-draft]:not([disabled])")).click();
    await s.waitForContent("[data-testid=draft-approval]", "Approved by Omar");

    // 6. The release is not verified: the Deliver section's own sentence.
    await s.waitForText(
      "[data-testid=deliver-waiting]",
      "Exports for users and sending wait until 2.4.0 runs verified on production, or someone decides to announce it anyway.",
    );
    await (await s.find("[data-testid=announce-override]")).click();
    await s.waitFor("[data-testid=override-by-person]");
    await s.execute("const el = document.querySelector('[data-testid=override-by-person]'); el.value = '__other__'; el.dispatchEvent(new Event('change', { bubbles: true }));");
    await typeInto(s, "[data-testid=override-by]", "Dana Okafor (CTO)");
    await typeInto(s, "[data-testid=override-reason]", "Customers asked for the PDF export; the deploy is on its date.");
    await (await s.find("[data-testid=override-confirm]")).click();
    await s.waitForContent("[data-testid=announce-gate]", "decided to announce it anyway");
    assert.equal((await s.findAll("[data-testid=export-eml-needs]")).length, 0, "nothing missing any more");

    // The .eml: a sender, no mail server.
    const emlPath = join(home.root, "words.eml");
    await answerFileDialogs(s, emlPath);
    await (await s.waitFor("[data-testid=export-eml]:not([disabled])")).click();
    await s.waitForText("[data-testid=export-result-path]", emlPath);
    assert.equal((await fileDialogsAsked(s)).length, 1);
    const eml = JSON.parse(
      execFileSync(
        "python3",
        [
          "-c",
          `import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
print(json.dumps({"from": m["from"], "text": m.get_body(("plain",)).get_content()}))`,
          emlPath,
        ],
        { encoding: "utf8" },
      ),
    );
    assert.equal(eml.from, "Northwind Billing <news@northwind.example>");
    assert.ok(eml.text.includes(`will be available on ${date}. Here is what changes for you.`), eml.text);
    assert.ok(eml.text.includes("Remind customers") && eml.text.includes("Download any invoice as a PDF"), eml.text);
    assert.ok(!eml.text.includes(r.target_date) && !eml.text.includes("is now available"), eml.text);

    // The mail server, its port, security, user name and rate: recipients
    // read none of them, and the approval stands.
    const digest = sql(home, draftWhere(release))[0].approved_digest;
    await (await s.find("[data-testid=section-settings]")).click();
    await (await s.waitFor("[data-testid=smtp-on]")).click();
    await typeInto(s, "[data-testid=smtp-host]", "127.0.0.1");
    await choose(s, "[data-testid=smtp-security]", "plain");
    await typeInto(s, "[data-testid=smtp-port]", "2525");
    await typeInto(s, "[data-testid=smtp-username]", "lena");
    await typeInto(s, "[data-testid=rate]", "30");
    await typeInto(s, "[data-testid=test-address]", "lead@northwind.example");
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, "SELECT 1 FROM announce_settings WHERE settings LIKE '%2525%'").length === 1, "the server to be saved");
    await shotsAtBothSizes(s, app, "settings", "[data-testid=sender]");
    await (await s.find("[data-testid=section-drafts]")).click();
    await s.waitForContent("[data-testid=draft-approval]", "Approved by Omar");
    assert.equal(sql(home, draftWhere(release))[0].approved_digest, digest);
    await shotsAtBothSizes(s, app, "deliver", "[aria-label=Deliver]");

    // Who it comes from is read by recipients: a new sender name in Settings
    // withdraws the approval in the same write, audited with its cause, and
    // the name set back does not bring the approval back.
    await (await s.find("[data-testid=section-settings]")).click();
    await s.waitFor("[data-testid=sender-name]");
    const senderName = await s.execute("return document.querySelector('[data-testid=sender-name]').value");
    await typeInto(s, "[data-testid=sender-name]", "Northwind Billing Team");
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, draftWhere(release))[0].approved_digest === null, "the approval to be withdrawn");
    assert.equal(sql(home, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'announcement.approvalWithdrawn' AND summary LIKE '%the announcement settings changed'")[0].n, 1);
    await typeInto(s, "[data-testid=sender-name]", senderName);
    await (await s.find("[data-testid=save-announce-settings]")).click();
    await s.waitUntil(async () => sql(home, `SELECT 1 FROM announce_settings WHERE settings LIKE '%${senderName}%'`).length === 1, "the name to be set back");
    await (await s.find("[data-testid=section-drafts]")).click();
    await s.waitForContent("[data-testid=draft-approval]", "Approval withdrawn: changed since");
    await s.waitFor("[data-testid=approve-draft]:not([disabled])");
    assert.equal(sql(home, draftWhere(release))[0].approved_digest, null, "setting the name back does not bring the approval back");
    await app.shot("approval-withdrawn-by-settings");

    // 6. A release rolled back before anything about it went out: nothing to
    // correct, no "announce anyway", and its own sentence beside the buttons.
    const old = sql(home, "SELECT id FROM releases WHERE version = '2.3.1'")[0].id;
    sql(home, `UPDATE releases SET state = 'rolledBack' WHERE id = '${old}'`);
    await s.waitUntil(
      async () => (await s.execute("return [...document.querySelectorAll('[data-testid=announce-release] option')].map((o) => o.textContent).join('|')")).includes("2.3.1 · Dunning fixes (rolled back)"),
      "the rollback to show",
    );
    await choose(s, "[data-testid=announce-release]", old);
    await s.waitForContent("[data-testid=announce-gate]", "2.3.1 was rolled back before anything about it went out, so there is nothing to correct.");
    const gate = await s.execute("return document.querySelector('[data-testid=announce-gate]').textContent");
    assert.ok(gate.includes("Rolled back.") && !gate.includes("correction instead") && !gate.includes("Send the correction"), gate);
    assert.equal((await s.findAll("[data-testid=announce-override]")).length, 0, "no deciding to announce a rolled-back release");
    await (await s.find("[data-testid=section-drafts]")).click();
    await (await s.waitFor("[data-testid=new-draft]")).click();
    await s.waitForText("[data-testid=deliver-waiting]", "Exports for users and sending are closed while 2.3.1 is rolled back.");
    assert.equal(sql(home, `SELECT COUNT(*) AS n FROM announcements WHERE release_id = '${old}' AND correction = 1`)[0].n, 0);
    await shotsAtBothSizes(s, app, "rolled-back", "[data-testid=announce-gate]");
  } catch (e) {
    await app.shot("failure").catch(() => {});
    throw e;
  } finally {
    await app.quit();
  }

  // The same pages in the dark.
  app = await launch(home, { testName: "announce-words", env: { GTK_THEME: "Adwaita:dark" } });
  try {
    const s = app.session;
    await (await s.waitForText("[data-testid=project-row]", "Northwind Billing")).click();
    await (await s.waitFor("[data-testid=tab-announcements]")).click();
    await s.waitFor("[data-testid=announcements-page]");
    assert.equal(await s.execute("return matchMedia('(prefers-color-scheme: dark)').matches"), true);
    await choose(s, "[data-testid=announce-release]", release);
    await (await s.waitFor("[data-testid=section-drafts]")).click();
    await s.waitFor("[data-testid=draft-words]");
    await shotsAtBothSizes(s, app, "dark-words", "[data-testid=drafts]");
    await shotsAtBothSizes(s, app, "dark-deliver", "[aria-label=Deliver]");
    await (await s.find("[data-testid=section-settings]")).click();
    await shotsAtBothSizes(s, app, "dark-settings", "[data-testid=sender]");
    const old = sql(home, "SELECT id FROM releases WHERE version = '2.3.1'")[0].id;
    await choose(s, "[data-testid=announce-release]", old);
    await (await s.find("[data-testid=section-drafts]")).click();
    await s.waitForContent("[data-testid=announce-gate]", "nothing to correct");
    await s.waitFor("[data-testid=deliver-waiting]");
    await shotsAtBothSizes(s, app, "dark-rolled-back", "[data-testid=announce-gate]");
  } catch (e) {
    await app.shot("failure").catch(() => {});
    throw e;
  } finally {
    await app.quit();
  }
});
