import { describe, expect, it } from "vitest";
import type { Indication } from "./bindings";
import { holds, verdictLabel } from "./monitor_maturity.svelte";

const base: Indication = { key: "k", level: 1, title: "t", verdict: "holds", measured: "", threshold: "", detail: "", answer: null, basis: [], basisTotal: 0 };

describe("maturity indications", () => {
  it("a level 0 sign reads as seen or not seen", () => {
    expect(verdictLabel({ ...base, level: 0, verdict: "fails" })).toBe("Seen");
    expect(verdictLabel({ ...base, level: 0, verdict: "holds" })).toBe("Not seen");
    expect(verdictLabel({ ...base, verdict: "fails" })).toBe("Not met");
  });
  it("only a Yes answer counts", () => {
    expect(holds({ ...base, verdict: "answered", answer: "Yes" })).toBe(true);
    expect(holds({ ...base, verdict: "answered", answer: "No" })).toBe(false);
    expect(holds({ ...base, verdict: "notMeasured" })).toBe(false);
    expect(verdictLabel({ ...base, verdict: "unanswered" })).toBe("Not answered");
  });
});
