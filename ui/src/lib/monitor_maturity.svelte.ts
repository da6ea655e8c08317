// The project's maturity review, read when its page opens and again on any
// change that can move it: runs, releases, checklists (the lead's answers),
// environments and targets, people, freezes and maintenance windows, load.

import { commands, type Indication, type Maturity } from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

export class MaturityReview {
  current = $state<Maturity | null>(null);

  constructor(readonly projectId: string) {
    whenChanged(["deploy", "release", "checklist", "environment", "person", "calendar", "load", "audit"], projectId, () => this.load());
  }

  async load(): Promise<void> {
    this.current = await call(() => commands.maturity(this.projectId));
  }
}

/** Whether the indication counts towards its level. */
export function holds(i: Indication): boolean {
  return i.verdict === "holds" || (i.verdict === "answered" && i.answer === "Yes");
}

/** The word shown beside an indication. A level 0 sign "holds" when it was not seen. */
export function verdictLabel(i: Indication): string {
  switch (i.verdict) {
    case "holds":
      return i.level === 0 ? "Not seen" : "Met";
    case "fails":
      return i.level === 0 ? "Seen" : "Not met";
    case "notMeasured":
      return "Not measured";
    case "answered":
      return i.answer === "Yes" ? "Yes" : "No";
    case "unanswered":
      return "Not answered";
  }
}
