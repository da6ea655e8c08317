// End-to-end: scheduled deploys in the real window. On the sample's
// staging, a deploy scheduled through the Deploy dialog two hours ahead is
// shown on its card and cancelled there; one scheduled a minute ahead is
// shown on the card and on the timeline, and the window's own scheduler
// starts it at its time through the same path as a Deploy click (it
// succeeds, recorded as started by its schedule); a time inside a freeze is
// refused with the first time after it, one click away. Then a schedule
// that expired while Liftoff was closed is shown as missed at the next
// start, and "Run now" opens the Deploy dialog filled with it. Settings
// shows the OS timer's state (or why this computer cannot run one).

import { test } from "node:test";
import assert from "node:assert/strict";
import { launch, openSampleDeploys, sql, freshHome, typeInto } from "./harness.mjs";

/** "YYYY-MM-DD HH:MM" of instant `ms` on the wall clock of `tz`. */
function wall(ms, tz) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const text = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Opens the Deploy dialog of staging on "Schedule for…" and types a time. */
async function scheduleDialog(s, at) {
  await s.execute("document.querySelector('[data-testid=main-content]').scrollTo(0, 0)");
  await (await s.waitFor("[data-testid=deploy-staging]")).click();
  await s.waitFor("[data-testid=preflight]");
  await (await s.waitFor("[data-testid=deploy-when-later]")).click();
  await typeInto(s, "[data-testid=schedule-at]", at);
}

test("schedule a deploy in the window: shown, cancelled, started at its time, refused in a freeze, missed while closed", async () => {
  const home = freshHome("schedules");
  let app = await launch(home, { testName: "schedules" });
  try {
    const s = app.session;
    await openSampleDeploys(s);
    const project = sql(home, "SELECT id, time_zone FROM projects")[0];
    const tz = project.time_zone;
    const envs = Object.fromEntries(sql(home, "SELECT id, name FROM environments").map((e) => [e.name, e.id]));
    // The sample's freezes depend on the weekday the test runs: one of its
    // own on staging instead, from three to five hours ahead.
    const freezeStart = Math.ceil((Date.now() + 3 * HOUR) / HOUR) * HOUR;
    sql(
      home,
      `PRAGMA foreign_keys = ON;
       DELETE FROM calendar_windows WHERE project_id = '${project.id}';
       INSERT INTO calendar_windows (id, project_id, kind, name, reason, start_local, minutes, time_zone, scoped, created_at, updated_at)
       VALUES ('freeze-later', '${project.id}', 'freeze', 'Quarter close', 'Books closing', '${new Date(freezeStart).toISOString().slice(0, 16)}', 120, 'UTC', 1, '${text(Date.now())}', '${text(Date.now())}');
       INSERT INTO calendar_window_environments (window_id, environment_id) VALUES ('freeze-later', '${envs.staging}');`,
    );

    // 1. Two hours ahead, then cancelled from the card.
    await scheduleDialog(s, wall(Date.now() + 2 * HOUR, tz));
    await typeInto(s, "[data-testid=schedule-why]", "After the stand-up");
    await app.shot("dialog-schedule-later");
    await (await s.waitFor("[data-testid=schedule-confirm]:not([disabled])")).click();
    await s.waitForContent("[data-testid=env-card-staging] [data-testid=env-scheduled]", "Scheduled: 2.4.0 at");
    await s.waitForContent("[data-testid=env-card-staging] [data-testid=env-scheduled]", "After the stand-up");
    await app.shot("card-shows-schedule");
    await (await s.find("[data-testid=cancel-schedule-staging]")).click();
    await s.waitUntil(async () => (await s.findAll("[data-testid=env-card-staging] [data-testid=env-scheduled]")).length === 0, "the cancelled schedule to leave the card");
    const cancelled = sql(home, "SELECT state, state_reason FROM deploy_schedules");
    assert.equal(cancelled.length, 1);
    assert.equal(cancelled[0].state, "cancelled");
    assert.match(cancelled[0].state_reason, /^cancelled by /);

    // 2. Inside the freeze: refused, with the first time after it offered.
    await scheduleDialog(s, wall(freezeStart + 30 * MINUTE, tz));
    await s.waitForContent("[data-testid=schedule-clash]", "inside the freeze “Quarter close”");
    await (await s.find("[data-testid=schedule-confirm]:not([disabled])")).click();
    await s.waitForContent("#schedule-at-error", "is inside the freeze “Quarter close” on staging. The first time after it is");
    await app.shot("freeze-refused-with-first-good-time");
    assert.equal(sql(home, "SELECT count(*) AS n FROM deploy_schedules WHERE state = 'scheduled'")[0].n, 0, "nothing scheduled in the freeze");
    await (await s.find("[data-testid=schedule-use-first-good-time]")).click();
    await s.waitUntil(async () => (await s.execute("return document.querySelector('[data-testid=schedule-at]').value")) === wall(freezeStart + 2 * HOUR, tz), "the freeze's end to be the time typed");
    await s.waitUntil(async () => (await s.findAll("[data-testid=schedule-clash]")).length === 0, "the clash to go");
    await app.shot("first-good-time-chosen");
    // Not this one: closed without scheduling.
    await (await s.find("[data-testid=deploy-dialog] .buttons button[type=button]")).click();

    // 3. A minute ahead (the next whole minute at least 20 s away): on the
    // card and the timeline, then started by the window at its time.
    const due = Math.ceil((Date.now() + 20_000) / MINUTE) * MINUTE;
    await scheduleDialog(s, wall(due, tz));
    // 2.4.0's planned window is ahead: a warning, accepted now for then.
    await (await s.waitFor("[data-testid=accept-warnings]")).click();
    await typeInto(s, "[data-testid=schedule-why]", "Before the shop opens");
    await (await s.waitFor("[data-testid=schedule-confirm]:not([disabled])")).click();
    await s.waitForContent("[data-testid=env-card-staging] [data-testid=env-scheduled]", "Before the shop opens");
    const scheduled = sql(home, "SELECT id, version, not_before, accept_warnings, created_by FROM deploy_schedules WHERE state = 'scheduled'");
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0].not_before, text(due));
    assert.equal(scheduled[0].accept_warnings, 1);
    await app.shot("card-shows-due-soon");
    if (Date.now() < due - 8000) {
      await (await s.find("[data-testid=tab-timeline]")).click();
      await s.waitFor(`[data-testid=timeline-schedule][data-schedule-id="${scheduled[0].id}"]`);
      await app.shot("timeline-shows-schedule");
      await (await s.find("[data-testid=tab-deploys]")).click();
    }
    // The window's scheduler looks every 30 s (on :00 and :30): it starts
    // it within a few seconds of its time, through preflight again.
    await s.waitFor("[data-testid=history-row] [data-testid=run-scheduled]", { timeoutMs: Math.max(0, due - Date.now()) + 45_000 });
    const started = sql(home, `SELECT state, run_id FROM deploy_schedules WHERE id = '${scheduled[0].id}'`)[0];
    assert.equal(started.state, "started");
    const run = () => sql(home, `SELECT id, state, version, started_by, started_at FROM deploy_runs WHERE id = '${started.run_id}'`)[0];
    assert.equal(run().version, scheduled[0].version);
    assert.equal(run().started_by, scheduled[0].created_by, "started as who scheduled it");
    assert.ok(Date.parse(run().started_at) >= due, "not before its time");
    assert.ok(Date.parse(run().started_at) < due + 35_000, `started soon after its time (${run().started_at})`);
    await s.waitUntil(async () => run().state !== "running", "the scheduled run to end", 60_000);
    assert.equal(run().state, "succeeded");
    await s.waitFor(`[data-testid=history-row][data-state=succeeded] [data-testid=run-scheduled]`);
    const audit = sql(home, "SELECT action FROM audit_log WHERE category = 'schedule' ORDER BY id").map((a) => a.action);
    assert.deepEqual(audit, ["schedule.added", "schedule.cancelled", "schedule.added", "schedule.started"]);
    await s.execute("document.querySelector('[data-testid=run-scheduled]').scrollIntoView({ block: 'center' })");
    await app.shot("started-by-schedule");

    // Settings: the OS timer for when Liftoff is closed, and its limits.
    await (await s.find("[data-testid=tab-settings]")).click();
    await s.waitForContent("[data-testid=schedule-timer-state]", "scheduled deploys start");
    const unavailable = await s.findAll("[data-testid=schedule-timer-unavailable]");
    if (unavailable.length) {
      // No user systemd here: said, and nothing to switch on.
      await s.waitForContent("[data-testid=schedule-timer-unavailable]", "systemd");
      assert.equal(await s.execute("return document.querySelector('[data-testid=schedule-timer-toggle]').disabled"), true);
    }
    await app.shot("settings-timer");
  } finally {
    await app.quit();
  }

  // 4. Missed while closed: due two hours ago, its latest start an hour ago
  // (on a staging where nothing has happened since: a run or a schedule
  // there after its time would settle it).
  const project = sql(home, "SELECT id, time_zone FROM projects")[0];
  const staging = sql(home, "SELECT id FROM environments WHERE name = 'staging'")[0].id;
  const now = Date.now();
  sql(
    home,
    `INSERT INTO deploy_schedules (id, project_id, environment_id, version, not_before, expires_at, why, state, created_by, created_at, updated_at)
     VALUES ('missed-1', '${project.id}', '${staging}', '2.4.1', '${text(now - 2 * HOUR)}', '${text(now - HOUR)}', 'Hotfix before the weekend', 'scheduled', 'Dana', '${text(now - 3 * HOUR)}', '${text(now - 3 * HOUR)}');
     DELETE FROM deploy_schedules WHERE id <> 'missed-1';
     DELETE FROM deploy_runs WHERE started_at > '${text(now - 2 * HOUR)}' AND environment_id = '${staging}';`,
  );
  app = await launch(home, { testName: "schedules" });
  try {
    const s = app.session;
    // At start, before any project is opened.
    await s.waitForContent("[data-testid=missed-schedule]", "The deploy of 2.4.1 to staging");
    // Its latest start in words, in the project's zone.
    await s.waitForContent("[data-testid=missed-schedule]", `${wall(now - HOUR, project.time_zone).slice(11)} ${project.time_zone}) passed`);
    assert.equal(sql(home, "SELECT state FROM deploy_schedules WHERE id = 'missed-1'")[0].state, "missed");
    await app.shot("missed-at-start");
    await (await s.find("[data-testid=missed-run-now]")).click();
    await s.waitFor("[data-testid=deploy-dialog]");
    await s.waitUntil(async () => (await s.execute("return document.querySelector('[data-testid=deploy-version]').value")) === "2.4.1", "the dialog filled with the missed deploy");
    assert.equal(await s.execute("return document.querySelector('[data-testid=deploy-environment]').selectedOptions[0].textContent"), "staging");
    await s.waitForContent("[data-testid=deploy-from-schedule]", "scheduled by Dana");
    await s.waitFor("[data-testid=preflight]");
    await app.shot("run-now-prefilled");
  } finally {
    await app.quit();
  }
});
