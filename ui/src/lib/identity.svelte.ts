// Who the user is in a project, for the whole window: one choice ("You
// are", in the project's header), remembered per project on this computer,
// and recorded with everything they do (deploys, decisions, approvals).
// Pages read it here, so a change shows everywhere at once.

import { commands } from "./bindings";
import { call } from "./ipc";
import { actorChosen, loadActor, saveActor } from "./releases.svelte";

class Identity {
  #version = $state(0);

  /** The person's id, or null for this computer's account. Reactive. */
  of(projectId: string): string | null {
    void this.#version;
    return loadActor(projectId);
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
