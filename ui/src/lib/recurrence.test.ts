import { describe, expect, it } from "vitest";
import { capitalized, describeWindow, durationText, ruleText } from "./recurrence";

// Friday 27 November 2026, 15:00 wall-clock time.
const friday = new Date(Date.UTC(2026, 10, 27, 15, 0));

describe("rules in words", () => {
  it("say the rules the freeze form offers", () => {
    expect(ruleText("FREQ=WEEKLY;BYDAY=FR", friday)).toBe("every Friday");
    expect(ruleText("FREQ=DAILY", friday)).toBe("every day");
    expect(ruleText("FREQ=MONTHLY;BYMONTHDAY=-2", friday)).toBe("the second-last day of each month");
    expect(ruleText("FREQ=YEARLY", friday)).toBe("every year on 27 November");
  });

  it("say what people type for freezes", () => {
    expect(ruleText("RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR", friday)).toBe("every Monday, Wednesday and Friday");
    expect(ruleText("FREQ=WEEKLY;BYDAY=FR,MO,TU,WE,TH", friday)).toBe("every weekday");
    expect(ruleText("FREQ=WEEKLY", friday)).toBe("every Friday");
    expect(ruleText("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", friday)).toBe("every other Tuesday");
    expect(ruleText("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,TH", friday)).toBe("every 3 weeks on Tuesday and Thursday");
    expect(ruleText("FREQ=MONTHLY;BYDAY=-1FR", friday)).toBe("the last Friday of each month");
    expect(ruleText("FREQ=MONTHLY;BYDAY=1MO", friday)).toBe("the first Monday of each month");
    expect(ruleText("FREQ=MONTHLY;BYMONTHDAY=1,15", friday)).toBe("the 1st and 15th of each month");
    expect(ruleText("FREQ=MONTHLY;BYMONTHDAY=-1", friday)).toBe("the last day of each month");
    expect(ruleText("FREQ=MONTHLY;INTERVAL=3", friday)).toBe("the 27th of every 3 months");
    expect(ruleText("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24", friday)).toBe("every year on 24 December");
    expect(ruleText("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", friday)).toBe("every year on the last Sunday of March");
    expect(ruleText("FREQ=HOURLY;INTERVAL=4", friday)).toBe("every 4 hours");
    expect(ruleText("FREQ=WEEKLY;BYDAY=FR;COUNT=4", friday)).toBe("every Friday, 4 times");
    expect(ruleText("FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231T235959Z", friday)).toBe("every Friday, until 31 December 2027");
    expect(ruleText("freq=daily;wkst=mo", friday)).toBe("every day");
  });

  it("leave alone what they cannot say right", () => {
    expect(ruleText("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR", friday)).toBeNull();
    expect(ruleText("FREQ=DAILY;BYHOUR=9,17", friday)).toBeNull();
    expect(ruleText("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=7", friday)).toBeNull();
    expect(ruleText("FREQ=FORTNIGHTLY", friday)).toBeNull();
    expect(ruleText("BYDAY=FR", friday)).toBeNull();
    expect(ruleText("FREQ=WEEKLY;BYDAY=XX", friday)).toBeNull();
  });
});

describe("windows in words", () => {
  it("say the sample's freezes and maintenance with their spans", () => {
    expect(describeWindow({ startLocal: "2026-11-27T15:00", minutes: 66 * 60, rule: "FREQ=WEEKLY;BYDAY=FR" })).toBe("every Friday from 15:00 to Monday 09:00");
    expect(describeWindow({ startLocal: "2026-11-29T00:00", minutes: 48 * 60, rule: "FREQ=MONTHLY;BYMONTHDAY=-2" })).toBe("the last 2 days of each month");
    expect(describeWindow({ startLocal: "2026-11-25T22:00", minutes: 120, rule: "FREQ=WEEKLY;BYDAY=WE" })).toBe("every Wednesday from 22:00 to midnight");
  });

  it("say other spans plainly", () => {
    expect(describeWindow({ startLocal: "2026-11-30T00:00", minutes: 24 * 60, rule: "FREQ=MONTHLY;BYMONTHDAY=-1" })).toBe("the whole last day of each month");
    // Not whole days: the rule and the span separately.
    expect(describeWindow({ startLocal: "2026-11-29T06:00", minutes: 48 * 60, rule: "FREQ=MONTHLY;BYMONTHDAY=-2" })).toBe("the second-last day of each month from 06:00, for 2 days");
    expect(describeWindow({ startLocal: "2026-11-27T09:00", minutes: 90, rule: "FREQ=DAILY" })).toBe("every day from 09:00 to 10:30");
    expect(describeWindow({ startLocal: "2026-11-27T22:00", minutes: 8 * 60, rule: "FREQ=WEEKLY;BYDAY=MO,FR" })).toBe("every Monday and Friday from 22:00 to 06:00 the next day");
    expect(describeWindow({ startLocal: "2026-12-24T00:00", minutes: 3 * 1440, rule: "FREQ=YEARLY" })).toBe("every year on 24 December from 00:00, for 3 days");
    expect(describeWindow({ startLocal: "2026-12-11T15:00", minutes: 66 * 60, rule: null })).toBe("Fri 11 Dec 2026 15:00 to Mon 14 Dec 09:00");
    expect(describeWindow({ startLocal: "2026-12-31T22:00", minutes: 240, rule: "" })).toBe("Thu 31 Dec 2026 22:00 to Fri 1 Jan 2027 02:00");
    expect(describeWindow({ startLocal: "2026-12-11T10:00", minutes: 90, rule: null })).toBe("Fri 11 Dec 2026 10:00 to 11:30");
    expect(describeWindow({ startLocal: "2026-12-11T10:00", minutes: 90, rule: "FREQ=MONTHLY;BYSETPOS=1" })).toBeNull();
    expect(capitalized("every Friday")).toBe("Every Friday");
  });

  it("say lengths in words", () => {
    expect(durationText(45)).toBe("45 minutes");
    expect(durationText(60)).toBe("1 hour");
    expect(durationText(90)).toBe("1 hour 30 minutes");
    expect(durationText(66 * 60)).toBe("2 days 18 hours");
    expect(durationText(1441)).toBe("1 day 1 minute");
  });
});
