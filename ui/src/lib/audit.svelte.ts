// A release's audit log as pages show it: one query's entries, loaded by
// the page and again whenever the change events name the audit log of the
// release's project.

import { commands, type AuditEntry, type AuditQuery } from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

export class AuditTrail {
  entries = $state<AuditEntry[]>([]);
  /** Everyone who appears in the log, for its filter. */
  actors = $state<string[]>([]);

  /** Create it while a component is set up; `query` is read at each load. */
  constructor(
    readonly projectId: string,
    readonly releaseId: () => string,
    readonly query: () => AuditQuery,
  ) {
    whenChanged(["audit"], projectId, () => this.load());
  }

  async load(): Promise<void> {
    const log = await call(() => commands.listAuditLog(this.releaseId(), this.query()));
    this.entries = log.entries;
    this.actors = log.actors;
  }
}
