// End-to-end: the people of a project.

import { test } from "node:test";
import assert from "node:assert/strict";
import { freshHome, launch, sql } from "./harness.mjs";

test("people are added with their role and hours, checked inline, and kept", async () => {
  const home = freshHome("people");
  let app = await launch(home, { testName: "people" });
  try {
    const s = app.session;
    await (await s.waitFor("[data-testid=open-sample]")).click();
    await (await s.waitFor("[data-testid=tab-people]")).click();
    // The sample project comes with its team.
    await s.waitForText("[data-testid=person-row]", "Priya Nair");

    await (await s.waitFor("[data-testid=add-person]")).click();
    await (await s.waitFor("#person-name")).type("Dana Okafor");
    await (await s.find("#person-email")).type("dana@northwind");
    await (await s.find("#person-role option[value=reviewer]")).click();
    const tz = await s.find("#person-tz");
    await tz.clear();
    await tz.type("America/New_York");
    await (await s.find("[data-testid=person-submit]")).click();
    await s.waitForText("[data-testid=person-email-error]", "Enter an email address");
    // The "You are" choice shows its whole text at this width (it was cut
    // after "this computer's accou").
    assert.deepEqual(
      await s.execute(`const sel = document.querySelector("[data-testid=acting-as]");
        const st = getComputedStyle(sel);
        const ctx = document.createElement("canvas").getContext("2d");
        ctx.font = st.fontWeight + " " + st.fontSize + " " + st.fontFamily;
        const text = sel.options[sel.selectedIndex].text;
        return [innerWidth, text.endsWith("this computer's account)"), ctx.measureText(text).width <= sel.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight)];`),
      [1280, true, true],
    );
    await app.shot("invalid-email");
    assert.deepEqual(sql(home, "SELECT count(*) AS n FROM people WHERE name = 'Dana Okafor'"), [{ n: 0 }]);

    const email = await s.find("#person-email");
    await email.clear();
    await email.type("dana@northwind.example");
    await (await s.find("[data-testid=person-submit]")).click();
    await s.waitForText("[data-testid=person-row]", "Dana Okafor");
    await app.shot("person-added");
  } finally {
    await app.quit();
  }

  assert.deepEqual(sql(home, "SELECT name, email, role, time_zone, work_start, work_end, work_days FROM people WHERE name = 'Dana Okafor'"), [
    {
      name: "Dana Okafor",
      email: "dana@northwind.example",
      role: "reviewer",
      time_zone: "America/New_York",
      work_start: "09:00",
      work_end: "17:00",
      work_days: 31,
    },
  ]);

  app = await launch(home, { testName: "people" });
  try {
    const s = app.session;
    await (await s.waitForText("[data-testid=project-row]", "Northwind")).click();
    await (await s.waitFor("[data-testid=tab-people]")).click();
    const row = await s.waitForText("[data-testid=person-row]", "Dana Okafor");
    const text = await row.text();
    assert.match(text, /Reviewer \(auditor\)/);
    assert.match(text, /Mon–Fri 09:00–17:00/);
  } finally {
    await app.quit();
  }
});
