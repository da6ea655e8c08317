// End-to-end: a release's readiness checklist, reviewer sign-off, the
// production gate, an override and the audit log; then checklist files.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answerFileDialogs, fileDialogsAsked, freshHome, sql, withApp } from "./harness.mjs";

const ENTER = "\uE007";

function personId(home, email) {
  return sql(home, `SELECT id FROM people WHERE email = '${email}'`)[0].id;
}

async function actAs(s, id) {
  await (await s.find(`[data-testid=acting-as] option[value="${id}"]`)).click();
}

async function itemStatus(s, n) {
  const rows = await s.findAll("[data-testid=item-row]");
  return (await rows[n].text()).trim();
}

test("a release is checked, signed off, stopped at the gate, overridden and audited", async () => {
  const home = freshHome("releases");
  await withApp(home, { testName: "releases" }, async (s, app) => {
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-releases]")).click();
    const sampleRow = await s.waitForContent("[data-testid=release-row]", "Tax engine switch");
    // The list shows each release's window in the project's zone, and where its production gate stands.
    const sampleText = await sampleRow.text();
    assert.match(sampleText, /Window (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d+ [A-Z][a-z]{2}( \d{4})? 10:00 to 11:30/, sampleText);
    assert.match(sampleText, /Production gate closed: \d+ required items missing/, sampleText);
    await s.waitForText("[data-testid=releases]", "Windows in Europe/Berlin time, the project's zone.");
    await app.shot("releases-list");
    const omar = personId(home, "omar@northwind.example");
    const priya = personId(home, "priya@northwind.example");

    // A new release, its checklist from the "Release readiness" template.
    await (await s.find("[data-testid=new-release]")).click();
    await (await s.waitFor("#release-version")).type("2.5.0");
    await (await s.find("#release-name")).type("Faster invoices");
    await (await s.find("#release-date")).type("2099-12-15");
    await (await s.find("#release-scope")).type("Invoice PDFs render in the background." + ENTER);
    await (await s.find("[data-testid=release-submit]")).click();
    await s.waitForText("[data-testid=release-version]", "2.5.0");
    await s.waitForText("[data-testid=release-window]", "Not planned yet.");
    assert.equal(await (await s.find("[data-testid=release-target]")).text(), "Tue 15 Dec 2099", "a day as every screen writes it");
    // Nobody chosen: the audit log names this computer's account, and the choice says which.
    assert.match(await (await s.find("[data-testid=acting-as] option[value='']")).text(), /^Me \(.+, this computer's account\)$/);
    const source = await s.waitFor("[data-testid=checklist-source]");
    await s.waitUntil(async () => (await source.property("value")).startsWith("template:"), "the templates to load");
    await s.waitForText("[data-testid=checklist-source] option:checked", "Release readiness");
    await app.shot("release-new");
    await (await s.find("[data-testid=start-checklist-submit]")).click();
    await s.waitForText("[data-testid=progress-overall]", "0 of 25 complete (0%)");
    await s.waitForText("[data-testid=gate-verdict]", "closed");
    assert.equal((await s.findAll("[data-testid=section]")).length, 8);
    await app.shot("checklist-started");

    // The lead gives the first item an owner and a reviewer.
    await (await s.find("[data-testid=item-title]")).click();
    await (await s.waitFor(`[data-testid=item-owner] option[value="${omar}"]`)).click();
    await (await s.find(`[data-testid=item-reviewer] option[value="${priya}"]`)).click();
    // An evidence link with a token in it is flagged as it is typed, and the token can be taken out.
    await (await s.find("[data-testid=item-evidence]")).type("https://ci.example.com/runs/812?sig=5f2a9c&tab=tests");
    await s.waitForText("[data-testid=item-evidence-secret]", "This link carries a secret (sig=)");
    await s.execute("document.querySelector('[data-testid=item-evidence-secret]').scrollIntoView({ block: 'center' })");
    await app.shot("evidence-secret");
    await (await s.find("[data-testid=item-evidence-strip]")).click();
    await s.waitUntil(async () => (await (await s.find("[data-testid=item-evidence]")).property("value")) === "https://ci.example.com/runs/812?tab=tests", "the token taken out");
    assert.equal((await s.findAll("[data-testid=item-evidence-secret]")).length, 0);
    await (await s.find("[data-testid=item-save]")).click();
    await s.waitForContent("[data-testid=item-row]", "Omar Haddad · review Priya Nair");
    await s.waitForContent("[data-testid=item-history]", "owner none → Omar Haddad; reviewer none → Priya Nair");
    await app.shot("item-details");
    await (await s.find("[data-testid=item-title]")).click(); // close the details

    // The owner ticks it: it now awaits review and does not count yet.
    await actAs(s, omar);
    await (await s.find("[data-testid=item-tick]")).click();
    await s.waitForText("[data-testid=item-status]", "Awaiting review");
    await s.waitForText("[data-testid=progress-overall]", "0 of 25 complete");
    assert.match(await itemStatus(s, 0), /waits for Priya Nair/);
    assert.deepEqual((await s.findAll("[data-testid=item-sign-off]")).length, 0, "the owner cannot sign off");

    // The reviewer signs it off.
    await actAs(s, priya);
    await (await s.waitFor("[data-testid=item-sign-off]")).click();
    await s.waitForText("[data-testid=progress-overall]", "1 of 25 complete (4%)");
    await s.waitForText("[data-testid=section-count]", "1/5");
    assert.match(await itemStatus(s, 0), /Done/);

    // Keyboard: focus the second item, tick it with Space, move down, tick with x.
    await s.execute("document.querySelectorAll('[data-testid=item-row]')[1].focus()");
    await s.pressKeys(" ");
    await s.waitForText("[data-testid=progress-overall]", "2 of 25 complete");
    await s.pressKeys("jx");
    await s.waitForText("[data-testid=progress-overall]", "3 of 25 complete (12%)");
    await app.shot("checklist-signed-off");

    // An item that does not apply says why; the reason shows under it.
    await (await s.find("[data-testid=section-filter] option[value='User documentation']")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=item-row]")).length === 1, "only the User documentation item");
    await (await s.find("[data-testid=item-title]")).click();
    await (await s.waitFor("[data-testid=item-state] option[value=notApplicable]")).click();
    await (await s.find("[data-testid=item-set-state]")).click();
    await s.waitForText("[data-testid=item-reason-error]", "Say why this item does not apply");
    await (await s.find("[data-testid=item-reason]")).type("The manual ships with 2.6; this release changes no screens.");
    await (await s.find("[data-testid=item-set-state]")).click();
    await s.waitForText("[data-testid=item-status]", "Not applicable");
    await s.waitForText("[data-testid=progress-overall]", "4 of 25 complete (16%)");
    await (await s.find("[data-testid=section-filter] option[value='']")).click();

    // "Ready" needs the production gate, which lists what is missing.
    const missing = await (await s.find("[data-testid=gate-missing]")).text();
    assert.match(missing, /Backup and recovery strategy in place/);
    assert.match(await (await s.find("[data-testid=gate-production]")).text(), /21 required items must be done/);
    await (await s.find("[data-testid=move-planned]")).click();
    await s.waitForText("[data-testid=release-state]", "Planned");
    await (await s.waitFor("[data-testid=move-ready]")).click();
    // The notice is short; the gate on the release lists the items.
    await s.waitForText("[data-testid=notice]", "The production gate is closed: 21 required items are missing. See the gate on the release");
    await s.execute("document.querySelector('[data-testid=main-content]').scrollTo(0, 0)");
    await app.shot("gate-closed");
    assert.deepEqual(sql(home, "SELECT state FROM releases WHERE version = '2.5.0'"), [{ state: "planned" }]);

    // An override needs who decided and why.
    await (await s.find("[data-testid=override-gate]")).click();
    // Who decided: one of the project's people, or someone else by name.
    await s.waitFor("[data-testid=gate-override-by-person]");
    await s.execute("const el = document.querySelector('[data-testid=gate-override-by-person]'); el.value = '__other__'; el.dispatchEvent(new Event('change', { bubbles: true }));");
    await (await s.waitFor("[data-testid=gate-override-by]")).type("Lena");
    await (await s.find("[data-testid=override-submit]")).click();
    await s.waitForText("[data-testid=override-reason-error]", "at least a sentence");
    const reason = "Invoice backlog costs more than the risk; training and transfer follow in January.";
    await (await s.find("[data-testid=gate-override-by]")).type(" Fischer (CTO)");
    await (await s.find("#override-reason")).type(reason);
    await (await s.find("[data-testid=override-submit]")).click();
    await s.waitForText("[data-testid=gate-verdict]", "overridden");
    // The confirmation names who it was recorded as ("You are" in the header).
    await s.waitForContent("[data-testid=notice-message]", "recorded as");
    assert.match(await (await s.find("[data-testid=gate-override]")).text(), /Lena Fischer \(CTO\) with 21 required items missing/);
    await (await s.find("[data-testid=move-ready]")).click();
    await s.waitForText("[data-testid=release-state]", "Ready");
    // Deploys move a ready release on: the page offers the Deploys page, not a "deploying" state button.
    await s.waitForText("[data-testid=release-deploy]", "Deploy…");
    assert.equal((await s.findAll("[data-testid=move-deploying]")).length, 0);
    await s.execute("document.querySelector('[data-testid=main-content]').scrollTo(0, 0)");

    await app.shot("gate-overridden");
    // The header's buttons stay one row, at the usual size and at the smallest window.
    const actionRows = () => s.execute("return new Set([...document.querySelectorAll('.head .actions button')].map((b) => b.getBoundingClientRect().top)).size");
    assert.equal(await actionRows(), 1);
    const rect = await s.cmd("GET", "/window/rect");
    await app.resize({ width: 960, height: 620 });
    await s.waitUntil(async () => (await s.execute("return window.innerWidth")) <= 960, "the window to shrink");
    assert.equal(await actionRows(), 1);
    await app.shot("release-header-narrow");
    await app.resize({ width: rect.width, height: rect.height });

    // The audit log shows the override with its reason, filterable.
    await (await s.find("[data-testid=part-audit]")).click();
    await (await s.find("[data-testid=audit-category] option[value=gate]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=audit-entry]")).length === 1, "only the gate entry");
    const entry = await (await s.find("[data-testid=audit-entry]")).text();
    assert.match(entry, /Priya Nair/);
    assert.match(entry, /Overrode the production gate, decided by Lena Fischer \(CTO\), with 21 required items missing:/);
    assert.ok(entry.includes(reason));
    // The missing items are a list: the first few, then the rest on request.
    const listed = () => s.findAll("[data-testid=audit-details] li");
    assert.equal((await listed()).length, 4);
    assert.match(await (await listed())[0].text(), /^“Backup and recovery strategy in place” \(open, no owner\)$/);
    assert.ok(!entry.includes("nobody yet"));
    await s.execute("document.querySelector('[data-testid=audit-log]').scrollIntoView()");
    await app.shot("audit-log");
    await (await s.find("[data-testid=audit-more]")).click();
    await s.waitUntil(async () => (await listed()).length === 21, "all 21 missing items");
    await s.waitForText("[data-testid=audit-more]", "Show fewer");
    await app.shot("audit-log-expanded");
    await (await s.find("[data-testid=audit-category] option[value=item]")).click();
    await s.waitForText("[data-testid=audit-entry]", "Signed off");
  });

  // What was stored.
  const omarId = personId(home, "omar@northwind.example");
  const priyaId = personId(home, "priya@northwind.example");
  const [release] = sql(home, "SELECT id, state FROM releases WHERE version = '2.5.0'");
  assert.equal(release.state, "ready");
  const first = sql(home, `SELECT state, owner_id, reviewer_id, signed_off_by FROM checklist_items WHERE release_id = '${release.id}' ORDER BY position LIMIT 1`)[0];
  assert.deepEqual(first, { state: "done", owner_id: omarId, reviewer_id: priyaId, signed_off_by: priyaId });
  const overrides = sql(home, `SELECT decided_by, missing_items, recorded_by FROM gate_overrides WHERE release_id = '${release.id}'`);
  assert.deepEqual(overrides, [{ decided_by: "Lena Fischer (CTO)", missing_items: 21, recorded_by: "Priya Nair" }]);
  const actions = sql(home, `SELECT action, actor FROM audit_log WHERE release_id = '${release.id}' ORDER BY id`).map((r) => `${r.action} ${r.actor}`);
  assert.deepEqual(actions.slice(-5), [
    "item.state Priya Nair",
    "item.state Priya Nair",
    "release.state Priya Nair",
    "gate.overridden Priya Nair",
    "release.state Priya Nair",
  ]);
  assert.ok(actions.includes(`item.state Omar Haddad`) && actions.includes(`item.signedOff Priya Nair`), actions.join("\n"));
});

test("checklists and templates travel as Markdown, CSV and JSON; a bad file changes nothing", async () => {
  const home = freshHome("checklist-files");
  const md = join(home.root, "release.md");
  const good = join(home.root, "go-live.csv");
  const bad = join(home.root, "broken.csv");
  writeFileSync(good, "section,title,detail,required\nPrepare,Freeze announced,Tell support,yes\nPrepare,=cmd|' /C calc'!A0,,no\n");
  writeFileSync(bad, "section,title,required\nPrepare,Backups taken,yes\nPrepare,Smoke tests,perhaps\n");
  await withApp(home, { testName: "checklist-files" }, async (s, app) => {
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-releases]")).click();
    await (await s.waitForContent("[data-testid=release-row]", "Tax engine switch")).click();
    await s.waitForText("[data-testid=progress-overall]", "2 of 25 complete");

    // Markdown for a ticket.
    await (await s.find("[data-testid=part-files]")).click();
    await answerFileDialogs(s, md);
    await (await s.waitFor("[data-testid=checklist-save]")).click();
    await s.waitForText("[data-testid=checklist-export-result-path]", md);
    const [asked] = await fileDialogsAsked(s);
    assert.match(asked.defaultPath, /\/2-4-0-tax-engine-switch\.md$/, "a suggested Markdown file name");
    assert.deepEqual(asked.filters, [{ name: "Markdown", extensions: ["md"] }]);

    // A bad CSV says which line is wrong and adds nothing. The Open dialog
    // starts in the folder the checklist was saved to.
    await answerFileDialogs(s, bad);
    await (await s.find("[data-testid=checklist-import]")).click();
    await s.waitForText("[data-testid=checklist-import-error]", "Line 3, column “required”: “perhaps” is not yes or no.");
    assert.equal((await fileDialogsAsked(s))[0].defaultPath, home.root);
    await app.shot("checklist-import-refused");
    await (await s.find("[data-testid=part-checklist]")).click();
    await s.waitForText("[data-testid=progress-overall]", "2 of 25 complete");

    // Templates, shared by every project, are beside "All projects": import the good CSV as a new template.
    await (await s.find("[data-testid=nav-templates]")).click();
    await s.waitForText("[data-testid=template-row]", "Release readiness");
    await answerFileDialogs(s, good);
    await (await s.find("[data-testid=checklist-import]")).click();
    await s.waitForText("[data-testid=template-row]", "go live");
    await s.waitUntil(async () => (await s.findAll("[data-testid=template-item]")).length === 2, "the imported items in the editor");
    await app.shot("template-imported");

    // Edit it: an empty name is refused beside the field; then rename it and add an item.
    const name = await s.find("#template-name");
    // Select all and delete, as a person would (WebDriver's clear fires no input event).
    await name.type("\uE009a\uE000\uE003");
    await (await s.find("[data-testid=template-save]")).click();
    await s.waitForText("[data-testid=template-name-error]", "Give the template a name.");
    await name.type("Go-live day");
    await (await s.find("[data-testid=template-add-item]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=template-item]")).length === 3, "a third row");
    await (await s.find("[aria-label='Item 3']")).type("Rollback rehearsed");
    await (await s.find("[data-testid=template-save]")).click();
    await s.waitForText("[data-testid=template-row]", "Go-live day");
    await app.shot("template-edited");
  });
  assert.ok(existsSync(md));
  const text = readFileSync(md, "utf8");
  assert.match(text, /^# Release 2\.4\.0 – Tax engine switch/);
  assert.match(text, /## Infrastructure \(2\/5\)/);
  assert.match(text, /- \[x\] \*\*UAT and production infrastructure accepted, access granted\*\* – done, signed off by Priya Nair/);
  const items = sql(home, "SELECT i.section, i.title, i.required FROM template_items i JOIN templates t ON t.id = i.template_id WHERE t.name = 'Go-live day' ORDER BY i.position");
  assert.deepEqual(items, [
    { section: "Prepare", title: "Freeze announced", required: 1 },
    { section: "Prepare", title: "=cmd|' /C calc'!A0", required: 0 },
    { section: "Prepare", title: "Rollback rehearsed", required: 1 },
  ]);
  assert.deepEqual(sql(home, "SELECT count(*) AS n FROM checklist_items"), [{ n: 25 }], "the bad file added nothing");
});
