import { describe, expect, it } from "vitest";
import type { ChecklistItem, Release, ReleaseView } from "./bindings";
import { gateText, isForward, manualMoves, matches, offersDeploy, showsGate, withItem, withRelease } from "./releases.svelte";

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

describe("moves made by deploys", () => {
  it("leaves deploying and verified to deploys, and offers a deploy instead", () => {
    expect(manualMoves(["planned", "deploying", "cancelled"])).toEqual(["planned", "cancelled"]);
    expect(offersDeploy(["planned", "deploying", "cancelled"])).toBe(true);
    expect(manualMoves(["verified", "rolledBack"])).toEqual(["rolledBack"]);
    expect(offersDeploy(["verified", "rolledBack"])).toBe(true);
    expect(offersDeploy(["released", "rolledBack"])).toBe(false);
    expect(offersDeploy(["planned", "cancelled"])).toBe(false);
  });
});

describe("gateText", () => {
  const gate = (state: "open" | "closed" | "overridden", missing: number) => ({ environmentName: "production", state, missing });
  it("says open, closed with what is missing, or overridden", () => {
    expect(gateText(gate("open", 0), 25)).toBe("Production gate open");
    expect(gateText(gate("closed", 21), 25)).toBe("Production gate closed: 21 required items missing");
    expect(gateText(gate("closed", 1), 25)).toBe("Production gate closed: 1 required item missing");
    expect(gateText(gate("closed", 0), 0)).toBe("Production gate closed: no checklist yet");
    expect(gateText(gate("overridden", 3), 25)).toBe("Production gate overridden (3 required items missing)");
  });
  it("is shown only until the release ships", () => {
    expect(showsGate("planned")).toBe(true);
    expect(showsGate("released")).toBe(false);
    expect(showsGate("cancelled")).toBe(false);
  });
});

describe("a release screen's writes", () => {
  const view = (items: ChecklistItem[]): ReleaseView => ({ release: { id: "r1", name: "Spring" } as Release, items, progress: {} as ReleaseView["progress"], gates: [] });

  it("put the item a write returned in its place, or at the end when it is new", () => {
    const a = item({ id: "a" });
    const b = item({ id: "b" });
    const ticked = item({ id: "a", state: "done", complete: true });
    expect(withItem(view([a, b]), ticked).items).toEqual([ticked, b]);
    const added = item({ id: "c" });
    expect(withItem(view([a, b]), added).items.map((i) => i.id)).toEqual(["a", "b", "c"]);
  });

  it("put the release a write returned in the view, the rest as it was", () => {
    const before = view([item({ id: "a" })]);
    const moved = { id: "r1", name: "Spring", state: "planned" } as Release;
    const after = withRelease(before, moved);
    expect(after.release).toBe(moved);
    expect(after.items).toBe(before.items);
  });
});
