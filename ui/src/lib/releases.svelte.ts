// Releases, their checklists and who the user is acting as.

import {
  commands,
  type AuditCategory,
  type ChecklistItem,
  type ChecklistSource,
  type FileFormat,
  type GateBrief,
  type ItemDraft,
  type ItemState,
  type ItemStatus,
  type Release,
  type ReleaseDraft,
  type ReleaseState,
  type ReleaseSummary,
  type ReleaseView,
  type Template,
  type TemplateDraft,
} from "./bindings";
import { keyed, merged, Shared, without } from "./cache.svelte";
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
 * One release's screen: its view, loaded once and again on every change
 * the events name in its project (create it while a component is set up),
 * and the actions taken on it. A write puts what its command returns (the
 * release, an item, a gate) into the view at once; what follows from it
 * (progress, the gates, the audit) comes with the change event's reload.
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

  /** Runs one of the screen's writes and puts what it returned into the view (when `merge` is given). */
  async #write<T>(write: () => Promise<T>, merge?: (view: ReleaseView, result: T) => ReleaseView): Promise<T> {
    const result = await call(write);
    if (merge && this.view) this.view = merge(this.view, result);
    return result;
  }

  update(draft: ReleaseDraft, actor: string | null): Promise<Release> {
    return this.#write(() => commands.updateRelease(this.releaseId, draft, actor), withRelease);
  }

  setState(to: ReleaseState, reason: string, actor: string | null): Promise<Release> {
    return this.#write(() => commands.setReleaseState(this.releaseId, to, reason, actor), withRelease);
  }

  /** Starts the checklist from a template or another release; resolves to the items added. */
  startChecklist(source: ChecklistSource, actor: string | null): Promise<number> {
    return this.#write(() => commands.startChecklist(this.releaseId, source, actor));
  }

  /** Adds the items of a JSON or CSV file; resolves to how many. */
  importChecklist(path: string, actor: string | null): Promise<number> {
    return this.#write(() => commands.importChecklist(this.releaseId, path, actor));
  }

  async overrideGate(environmentId: string, decidedBy: string, reason: string, actor: string | null): Promise<void> {
    await this.#write(() => commands.overrideGate(this.releaseId, environmentId, decidedBy, reason, actor), (v, gate) => ({
      ...v,
      gates: v.gates.map((g) => (g.environmentId === gate.environmentId ? gate : g)),
    }));
  }

  async withdrawGateOverride(id: string, reason: string, actor: string | null): Promise<void> {
    await this.#write(() => commands.withdrawGateOverride(id, reason, actor));
  }

  addItem(draft: ItemDraft, actor: string | null): Promise<ChecklistItem> {
    return this.#write(() => commands.addChecklistItem(this.releaseId, draft, actor), withItem);
  }

  updateItem(id: string, draft: ItemDraft, actor: string | null): Promise<ChecklistItem> {
    return this.#write(() => commands.updateChecklistItem(id, draft, actor), withItem);
  }

  setItemState(id: string, to: ItemState, reason: string, actor: string | null): Promise<ChecklistItem> {
    return this.#write(() => commands.setChecklistItemState(id, to, reason, actor), withItem);
  }

  reviewItem(id: string, approve: boolean, note: string, actor: string | null): Promise<ChecklistItem> {
    return this.#write(() => commands.reviewChecklistItem(id, approve, note, actor), withItem);
  }

  async deleteItem(id: string, actor: string | null): Promise<void> {
    await this.#write(() => commands.deleteChecklistItem(id, actor), (v) => ({ ...v, items: without(v.items, id) }));
  }
}

/** The view with the release as a write returned it. */
export function withRelease(view: ReleaseView, release: Release): ReleaseView {
  return { ...view, release };
}

/** The view with the item as a write returned it (a new one at the end). */
export function withItem(view: ReleaseView, item: ChecklistItem): ReleaseView {
  return { ...view, items: merged(view.items, item) };
}

/** A project's releases, for every page that lists them (call `use()` while a component is set up). */
export class ReleaseList extends Shared {
  all = $state<ReleaseSummary[]>([]);

  constructor(readonly projectId: string) {
    super(["release", "checklist"], projectId);
  }

  /** Loads it again now and resolves to what it holds. */
  async fresh() {
    await this.load();
    return this.all;
  }

  protected async fetch(): Promise<void> {
    this.all = await call(() => commands.listReleases(this.projectId, null));
  }

  /** The releases in `state` (all of them without one), in the list's order. */
  inState(state: ReleaseState | null): ReleaseSummary[] {
    return state ? this.all.filter((r) => r.release.state === state) : this.all;
  }

  create(draft: ReleaseDraft, actor: string | null): Promise<Release> {
    return call(() => commands.createRelease(this.projectId, draft, actor));
  }
}

export const releasesOf = keyed((projectId) => new ReleaseList(projectId));

/** The checklist templates, shared by all projects. */
class TemplateList extends Shared {
  list = $state<Template[]>([]);

  constructor() {
    super(["template"], null);
  }

  protected async fetch(): Promise<void> {
    this.list = await call(() => commands.listTemplates());
  }

  async save(id: string | null, draft: TemplateDraft): Promise<Template> {
    const saved = id ? await call(() => commands.updateTemplate(id, draft)) : await call(() => commands.createTemplate(draft));
    this.list = merged(this.list, saved);
    return saved;
  }

  /** Puts a built-in template back as Liftoff ships it. */
  async reset(id: string): Promise<Template> {
    const t = await call(() => commands.resetTemplate(id));
    this.list = merged(this.list, t);
    return t;
  }

  async remove(id: string): Promise<void> {
    await call(() => commands.deleteTemplate(id));
    this.list = without(this.list, id);
  }

  async importFile(path: string): Promise<Template> {
    const t = await call(() => commands.importTemplate(path));
    this.list = merged(this.list, t);
    return t;
  }
}

export const templates = new TemplateList();

/** Checklists and templates as files and text: exactly one of `releaseId` and `templateId`. */
export const checklistFiles = {
  suggestedPath: (releaseId: string | null, templateId: string | null, format: FileFormat) =>
    call(() => commands.suggestedChecklistPath(releaseId, templateId, format)),
  save: (releaseId: string | null, templateId: string | null, format: FileFormat, path: string) =>
    call(() => commands.saveChecklistFile(releaseId, templateId, format, path)),
  text: (releaseId: string | null, templateId: string | null, format: FileFormat) =>
    releaseId ? call(() => commands.exportChecklistText(releaseId, format)) : call(() => commands.exportTemplateText(templateId!, format)),
};

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
