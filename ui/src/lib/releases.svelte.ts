// Releases, their checklists and who the user is acting as.

import {
  commands,
  type AuditCategory,
  type ChecklistItem,
  type GateBrief,
  type ItemDraft,
  type ItemStatus,
  type ReleaseState,
  type ReleaseView,
} from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

export const RELEASE_STATES: { state: ReleaseState; label: string; verb: string }[] = [
  { state: "draft", label: "Draft", verb: "Back to draft" },
  { state: "planned", label: "Planned", verb: "Mark planned" },
  { state: "ready", label: "Ready", verb: "Mark ready" },
  { state: "deploying", label: "Deploying", verb: "Start deploying" },
  { state: "verified", label: "Verified", verb: "Mark verified" },
  { state: "released", label: "Released", verb: "Mark released" },
  { state: "rolledBack", label: "Rolled back", verb: "Roll back…" },
  { state: "cancelled", label: "Cancelled", verb: "Cancel release…" },
];

/** Moves that should say why (they are read later in the audit log). */
export const NEEDS_REASON: ReleaseState[] = ["rolledBack", "cancelled"];

export function stateLabel(state: ReleaseState): string {
  return RELEASE_STATES.find((s) => s.state === state)?.label ?? state;
}

/** Whether moving `from` → `to` is the release's next step forward. */
export function isForward(from: ReleaseState, to: ReleaseState): boolean {
  const at = (s: ReleaseState) => RELEASE_STATES.findIndex((x) => x.state === s);
  return !NEEDS_REASON.includes(to) && at(to) > at(from);
}

export function stateVerb(state: ReleaseState): string {
  return RELEASE_STATES.find((s) => s.state === state)?.verb ?? state;
}

/**
 * States a release reaches only by deploying: a run to a protected
 * environment starts "deploying", its passing smoke checks make it
 * "verified". The release page offers "Deploy…" instead of these moves.
 */
export const MOVED_BY_DEPLOYS: ReleaseState[] = ["deploying", "verified"];

/** The state moves a release page offers as buttons, from `next`. */
export function manualMoves(next: ReleaseState[]): ReleaseState[] {
  return next.filter((s) => !MOVED_BY_DEPLOYS.includes(s));
}

/** Whether the release's next step is a deploy (it is ready, or one is under way). */
export function offersDeploy(next: ReleaseState[]): boolean {
  return next.some((s) => MOVED_BY_DEPLOYS.includes(s));
}

/** Whether a list shows the release's gate: only while it has yet to ship. */
export function showsGate(state: ReleaseState): boolean {
  return ["draft", "planned", "ready", "deploying"].includes(state);
}

/** A release's gate in a few words, for the list of releases. */
export function gateText(gate: GateBrief, items: number): string {
  const env = gate.environmentName.charAt(0).toUpperCase() + gate.environmentName.slice(1);
  const missing = `${gate.missing} required item${gate.missing === 1 ? "" : "s"} missing`;
  switch (gate.state) {
    case "open":
      return `${env} gate open`;
    case "overridden":
      return `${env} gate overridden (${missing})`;
    case "closed":
      return items === 0 ? `${env} gate closed: no checklist yet` : `${env} gate closed: ${missing}`;
  }
}

export const STATUS_LABELS: Record<ItemStatus, string> = {
  open: "Open",
  blocked: "Blocked",
  awaitingReview: "Awaiting review",
  done: "Done",
  notApplicable: "Not applicable",
};

export const AUDIT_CATEGORIES: { category: AuditCategory; label: string }[] = [
  { category: "release", label: "Release" },
  { category: "checklist", label: "Checklist" },
  { category: "item", label: "Items" },
  { category: "gate", label: "Gate and overrides" },
];

// Who the user acts as, per project: a person's id, or null for "me (this
// computer's account)". Kept on this computer only.
const ACTOR_KEY = "liftoff.actingAs.";

/** Stored for "me (this computer's account)", chosen on purpose. */
const ACCOUNT = "-";
// When storage is refused (private mode, a full disk): this session only.
const fallback = new Map<string, string>();

function stored(projectId: string): string | null {
  try {
    return localStorage.getItem(ACTOR_KEY + projectId);
  } catch {
    return fallback.get(projectId) ?? null;
  }
}

export function loadActor(projectId: string): string | null {
  const v = stored(projectId);
  return v && v !== ACCOUNT ? v : null;
}

/** Whether "You are" was ever set for the project (by the user or its default). */
export function actorChosen(projectId: string): boolean {
  return stored(projectId) !== null;
}

export function saveActor(projectId: string, personId: string | null): void {
  const v = personId ?? ACCOUNT;
  try {
    localStorage.setItem(ACTOR_KEY + projectId, v);
  } catch {
    fallback.set(projectId, v);
  }
}

export function draftOf(item: ChecklistItem): ItemDraft {
  return {
    section: item.section,
    title: item.title,
    detail: item.detail,
    required: item.required,
    ownerId: item.ownerId,
    reviewerId: item.reviewerId,
    dueDate: item.dueDate,
    evidence: item.evidence,
    notes: item.notes,
  };
}

/**
 * One release's screen: its view, reloaded after every change, the user's
 * or anyone else's (create it while a component is set up).
 */
export class ReleaseScreen {
  view = $state<ReleaseView | null>(null);

  constructor(
    readonly projectId: string,
    readonly releaseId: string,
  ) {
    // The view holds the release, its checklist, gates (environments) and names (people).
    whenChanged(["release", "checklist", "environment", "person"], projectId, () => (this.view ? this.load() : undefined));
  }

  async load(): Promise<void> {
    this.view = await call(() => commands.releaseView(this.releaseId));
  }

  /** Runs a change, then reloads whether or not it succeeded. */
  async change<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await call(f);
    } finally {
      await this.load();
    }
  }
}

export type ItemFilter = "all" | "open" | "awaitingReview" | "blocked" | "complete" | "overdue";

export const ITEM_FILTERS: { filter: ItemFilter; label: string }[] = [
  { filter: "all", label: "All items" },
  { filter: "open", label: "Open" },
  { filter: "awaitingReview", label: "Awaiting review" },
  { filter: "blocked", label: "Blocked" },
  { filter: "overdue", label: "Overdue" },
  { filter: "complete", label: "Complete" },
];

/** Whether `item` passes the filters; `person` matches as owner or reviewer. */
export function matches(item: ChecklistItem, filter: ItemFilter, section: string, person: string | null): boolean {
  if (section && item.section !== section) return false;
  if (person && item.ownerId !== person && item.reviewerId !== person) return false;
  switch (filter) {
    case "all":
      return true;
    case "open":
      return item.status === "open";
    case "awaitingReview":
      return item.status === "awaitingReview";
    case "blocked":
      return item.status === "blocked";
    case "overdue":
      return item.overdue;
    case "complete":
      return item.complete;
  }
}
