import { describe, expect, it } from "vitest";
import type { ChecklistItem } from "./bindings";
import { isForward, matches } from "./releases.svelte";

function item(over: Partial<ChecklistItem>): ChecklistItem {
  return {
    id: "i1",
    releaseId: "r1",
    position: 0,
    section: "Prepare",
    title: "Backups taken",
    detail: "",
    required: true,
    ownerId: null,
    ownerName: null,
    reviewerId: null,
    reviewerName: null,
    dueDate: null,
    state: "open",
    stateReason: "",
    signedOffBy: null,
    signedOffAt: null,
    evidence: "",
    notes: "",
    updatedAt: "2026-11-22T09:00:00Z",
    status: "open",
    complete: false,
    overdue: false,
    ...over,
  };
}

describe("checklist filters", () => {
  it("find a person's items as owner or as reviewer", () => {
    const owned = item({ ownerId: "omar" });
    const reviewed = item({ reviewerId: "omar" });
    const other = item({ ownerId: "priya" });
    expect([owned, reviewed, other].filter((i) => matches(i, "all", "", "omar"))).toEqual([owned, reviewed]);
  });

  it("combine state, section and overdue", () => {
    const waiting = item({ state: "done", status: "awaitingReview", reviewerId: "priya" });
    const late = item({ section: "Verify", overdue: true });
    expect(matches(waiting, "awaitingReview", "", null)).toBe(true);
    expect(matches(waiting, "complete", "", null)).toBe(false);
    expect(matches(late, "overdue", "Verify", null)).toBe(true);
    expect(matches(late, "overdue", "Prepare", null)).toBe(false);
  });
});

describe("state buttons", () => {
  it("mark only the next step forward as the main action", () => {
    expect(isForward("planned", "ready")).toBe(true);
    expect(isForward("ready", "planned")).toBe(false);
    expect(isForward("ready", "cancelled")).toBe(false);
  });
});
