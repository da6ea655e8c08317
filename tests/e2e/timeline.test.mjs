// End-to-end: the timeline. Import a calendar and a load export, see them,
// drag a release into a freeze and see the conflict, apply a suggestion,
// export the calendar; a damaged calendar changes nothing.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshHome, sql, withApp } from "./harness.mjs";

const HOUR = 3600_000;

function calendar() {
  // Priya's stand-up every weekday at 09:30 London, and a day of leave.
  const day = new Date(Date.now() + 2 * 86400_000).toISOString().slice(0, 10).replaceAll("-", "");
  return [
    "BEGIN:VCALENDAR",
    "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
    "BEGIN:VEVENT",
    "UID:standup@northwind.example",
    "SUMMARY:Team stand-up",
    "DTSTART;TZID=Europe/London:20261102T093000",
    "DURATION:PT30M",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "END:VEVENT",
    "BEGIN:VEVENT",
    "UID:leave@northwind.example",
    "SUMMARY:Annual leave",
    `DTSTART;VALUE=DATE:${day}`,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
}

function loadCsv() {
  // A week of requests per minute, hourly: busy afternoons.
  const lines = ["timestamp,requests_per_minute"];
  const start = Math.floor(Date.now() / HOUR) * HOUR - 7 * 24 * HOUR;
  for (let h = 0; h < 7 * 24; h++) {
    const t = start + h * HOUR;
    const hour = new Date(t).getUTCHours();
    lines.push(`${new Date(t).toISOString()},${hour >= 12 && hour < 17 ? 2400 : 150}`);
  }
  return lines.join("\n") + "\n";
}

/** The release bars the canvas lists as its fallback content, once the view has settled. */
const bars = (s) =>
  s.execute(`return [...document.querySelectorAll("[data-testid=timeline-bar]")].map((b) => ({
    id: b.dataset.releaseId, x: Number(b.dataset.x), y: Number(b.dataset.y), label: b.textContent }))`);
const msPerPx = (s) => s.execute(`return Number(document.querySelector("[data-testid=timeline-bars]").dataset.msPerPx)`);

test("the timeline shows imports, flags a window dragged into a freeze, applies a suggestion and exports the calendar", async () => {
  const home = freshHome("timeline");
  const ics = join(home.root, "priya.ics");
  const broken = join(home.root, "broken.ics");
  const csv = join(home.root, "load.csv");
  const exported = join(home.root, "northwind.ics");
  writeFileSync(ics, calendar());
  writeFileSync(broken, calendar().replace("END:VEVENT\r\nBEGIN:VEVENT", "BEGIN:VEVENT"));
  writeFileSync(csv, loadCsv());

  await withApp(home, { testName: "timeline" }, async (s, app) => {
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-timeline]")).click();
    const release0 = sql(home, "SELECT id FROM releases WHERE version = '2.4.0'")[0];
    // The first view frames the next planned release: its bar is on screen.
    await s.waitUntil(async () => (await bars(s)).some((b) => b.id === release0.id), "the release's bar in the first view");
    await app.shot("first-view");
    const priya = sql(home, "SELECT id FROM people WHERE email = 'priya@northwind.example'")[0].id;
    const release = sql(home, "SELECT id, window_start FROM releases WHERE version = '2.4.0'")[0];

    // Priya's calendar and a load export.
    await (await s.find(`[data-testid=busy-person] option[value="${priya}"]`)).click();
    await (await s.find("[data-testid=ics-file]")).type(ics);
    await s.waitForText("[data-testid=notice]", "2 busy events for Priya Nair imported from priya.ics");
    await (await s.find("[data-testid=load-file]")).type(csv);
    await s.waitForText("[data-testid=notice]", "168 samples imported from load.csv");
    assert.deepEqual(sql(home, "SELECT count(*) AS n FROM busy_times"), [{ n: 2 }]);
    assert.deepEqual(sql(home, "SELECT count(*) AS n FROM load_samples"), [{ n: 168 }]);

    // A damaged calendar names its line and changes nothing.
    await (await s.find("[data-testid=ics-file]")).type(broken);
    await s.waitForText("[data-testid=timeline-import-error]", "Line 14: END:VCALENDAR closes BEGIN:VEVENT from line 3");
    assert.deepEqual(sql(home, "SELECT count(*) AS n FROM busy_times"), [{ n: 2 }]);
    await s.execute("document.querySelector('[data-testid=main-content]').scrollTo(0, 0)");
    await app.shot("imports");

    // Drag the release's bar into the weekend freeze.
    const start = Date.parse(release.window_start);
    const freeze = sql(home, "SELECT start_local FROM calendar_windows WHERE name = 'Weekend freeze'")[0];
    assert.ok(freeze);
    // The first Friday 16:00 Berlin after the window (15:00 UTC in winter).
    let friday = new Date(start);
    friday.setUTCHours(15, 0, 0, 0);
    while (friday.getUTCDay() !== 5 || friday.getTime() <= start) friday = new Date(friday.getTime() + 24 * HOUR);
    await s.waitUntil(async () => (await bars(s)).some((b) => b.id === release.id), "the release's bar on screen");
    const bar = (await bars(s)).find((b) => b.id === release.id);
    assert.match(bar.label, /^2\.4\.0 /, "the bar is described for screen readers");
    const dx = Math.round((friday.getTime() - start) / (await msPerPx(s)));
    await s.drag(bar.x, bar.y, bar.x + dx, bar.y);
    await s.waitForText("[data-testid=conflicts]", "overlaps the freeze “Weekend freeze”");
    await app.shot("dragged-into-freeze");

    // An emergency release inside the freeze needs who decided and why.
    await (await s.waitFor("[data-testid=override-freeze]")).click();
    await (await s.waitFor("[data-testid=freeze-override-by]")).type("Lena Fischer (CTO)");
    await (await s.find("[data-testid=freeze-override-submit]")).click();
    await s.waitForText("[data-testid=freeze-override-reason-error]", "Explain the decision");
    await (await s.find("[data-testid=freeze-override-reason]")).type("The tax authority's new rates apply from Monday.");
    await (await s.find("[data-testid=freeze-override-submit]")).click();
    await s.waitForText("[data-testid=conflicts]", "overridden by decision of Lena Fischer (CTO): “The tax authority's new rates apply from Monday.”");
    await app.shot("freeze-overridden");
    const override = sql(home, `SELECT reason FROM audit_log WHERE release_id = '${release.id}' AND action = 'freeze.overridden'`);
    assert.deepEqual(override, [{ reason: "The tax authority's new rates apply from Monday." }]);
    await s.waitUntil(async () => sql(home, `SELECT window_start FROM releases WHERE id = '${release.id}'`)[0].window_start !== release.window_start, "the moved window to be stored");
    const moved = Date.parse(sql(home, `SELECT window_start FROM releases WHERE id = '${release.id}'`)[0].window_start);
    assert.equal(moved % (15 * 60_000), 0, "snapped to 15 minutes");
    assert.ok(Math.abs(moved - friday.getTime()) <= HOUR, `moved to about Friday 16:00 Berlin, got ${new Date(moved).toISOString()}`);

    // Suggestions, each with its reasons; apply the best.
    await (await s.find("[data-testid=suggest-windows]")).click();
    const list = await s.waitFor("[data-testid=suggestions]");
    assert.match(await list.text(), /no freeze; load \d+% of the weekly peak/);
    await app.shot("suggestions");
    await (await s.find("[data-testid=apply-suggestion-0]")).click();
    await s.waitFor("[data-testid=no-conflicts]");
    await app.shot("suggestion-applied");
    const applied = sql(home, `SELECT window_start, window_end FROM releases WHERE id = '${release.id}'`)[0];
    assert.notEqual(Date.parse(applied.window_start), moved);
    assert.equal(Date.parse(applied.window_end) - Date.parse(applied.window_start), 90 * 60_000, "the window keeps its length");

    // Share the calendar.
    const path = await s.find("[data-testid=calendar-path]");
    await path.clear();
    await path.type(exported + "\uE007");
    await s.waitForText("[data-testid=calendar-exported]", exported);
    await app.shot("calendar-exported");
    const log = sql(home, `SELECT action FROM audit_log WHERE release_id = '${release.id}' AND action = 'release.window'`);
    assert.ok(log.length >= 3, "every planned window is in the audit log");
  });

  assert.ok(existsSync(exported));
  const text = readFileSync(exported, "utf8");
  assert.match(text, /^BEGIN:VCALENDAR\r\n/);
  assert.match(text, /SUMMARY:Release 2\.4\.0 – Tax engine switch \(planned\)/);
  assert.match(text, /SUMMARY:Freeze: Weekend freeze/);
  assert.match(text, /RRULE:FREQ=WEEKLY;BYDAY=FR/);
});
