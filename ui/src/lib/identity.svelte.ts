// Who the user is in a project, for the whole window: one choice ("You
// are", in the project's header), remembered per project on this computer,
// and recorded with everything they do (deploys, decisions, approvals).
// Pages read it here, so a change shows everywhere at once.

import { app } from "./app.svelte";
import { commands, type Person } from "./bindings";
import { call } from "./ipc";
import { actorChosen, loadActor, saveActor } from "./releases.svelte";

class Identity {
  #version = $state(0);
  /** The people of each project, as "You are" last listed them. */
  #people = new Map<string, Person[]>();

  /** The person's id, or null for this computer's account. Reactive. */
  of(projectId: string): string | null {
    void this.#version;
    return loadActor(projectId);
  }

  /** The project's people, for names (the header lists them). */
  remember(projectId: string, people: Person[]): void {
    this.#people.set(projectId, people);
    this.#version++;
  }

  /** Who acts, by name: the person, or this computer's account. */
  name(projectId: string): string {
    const id = this.of(projectId);
    const person = id ? this.#people.get(projectId)?.find((p) => p.id === id) : undefined;
    return person?.name ?? (app.account ? `${app.account} (this computer's account)` : "this computer's account");
  }

  /** For a confirmation of something recorded with a person: " (recorded as Lena Fischer)". */
  recordedAs(projectId: string): string {
    return ` (recorded as ${this.name(projectId)})`;
  }

  set(projectId: string, personId: string | null): void {
    saveActor(projectId, personId);
    this.#version++;
  }

  /**
   * The first time a project opens: the person whose email is git's
   * user.email here, or whose name is this computer's account.
   */
  async suggest(projectId: string): Promise<void> {
    if (actorChosen(projectId)) return;
    const suggested = await call(() => commands.suggestedPerson(projectId));
    if (!actorChosen(projectId)) this.set(projectId, suggested);
  }
}

export const identity = new Identity();
