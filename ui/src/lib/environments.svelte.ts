// A project's environments and their credentials: one cache per project,
// shared by every page that shows them, fed by the change events.
// Credential values are never cached: `reveal` returns one for the caller
// to show briefly.

import {
  commands,
  type ConnectionReport,
  type ConnectionTest,
  type Credential,
  type CredentialKind,
  type Environment,
  type EnvironmentDraft,
  type UrlSecrets,
} from "./bindings";
import { keyed, merged, Shared, without } from "./cache.svelte";
import { call } from "./ipc";

export class PipelineCache extends Shared {
  environments = $state<Environment[]>([]);
  credentials = $state<Record<string, Credential[]>>({});

  constructor(readonly projectId: string) {
    super(["environment", "credential"], projectId);
  }

  protected async fetch(): Promise<void> {
    const environments = await call(() => commands.listEnvironments(this.projectId));
    const entries = await Promise.all(
      environments.map(async (e) => [e.id, await call(() => commands.listCredentials(e.id))] as const),
    );
    this.environments = environments;
    this.credentials = Object.fromEntries(entries);
  }

  async create(draft: EnvironmentDraft): Promise<Environment> {
    const env = await call(() => commands.createEnvironment(this.projectId, draft));
    this.environments = merged(this.environments, env);
    this.credentials = { [env.id]: [], ...this.credentials };
    return env;
  }

  async update(id: string, draft: EnvironmentDraft): Promise<Environment> {
    const env = await call(() => commands.updateEnvironment(id, draft));
    this.environments = merged(this.environments, env);
    return env;
  }

  /** Moves an environment one stage earlier (-1) or later (+1). */
  async move(id: string, delta: -1 | 1): Promise<void> {
    const ids = this.environments.map((e) => e.id);
    const from = ids.indexOf(id);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= ids.length) return;
    [ids[from], ids[to]] = [ids[to], ids[from]];
    this.environments = await call(() => commands.reorderEnvironments(this.projectId, ids));
  }

  async remove(id: string): Promise<void> {
    await call(() => commands.deleteEnvironment(id));
    this.environments = without(this.environments, id);
  }

  async addCredential(environmentId: string, name: string, kind: CredentialKind, value: string): Promise<void> {
    const credential = await call(() => commands.addCredential(environmentId, name, kind, value));
    this.#mergeCredential(environmentId, credential);
  }

  async replaceCredential(environmentId: string, id: string, value: string): Promise<void> {
    const credential = await call(() => commands.replaceCredential(id, value));
    this.#mergeCredential(environmentId, credential);
  }

  /** The secret's value (its use is recorded; the change event brings that). */
  reveal(id: string): Promise<string> {
    return call(() => commands.revealCredential(id));
  }

  async removeCredential(environmentId: string, id: string): Promise<void> {
    await call(() => commands.deleteCredential(id));
    this.credentials = { ...this.credentials, [environmentId]: without(this.credentials[environmentId] ?? [], id) };
  }

  #mergeCredential(environmentId: string, credential: Credential): void {
    this.credentials = { ...this.credentials, [environmentId]: merged(this.credentials[environmentId] ?? [], credential) };
  }
}

/** A project's environments and credentials (call `use()` while a component is set up). */
export const pipelineOf = keyed((projectId) => new PipelineCache(projectId));

/** Tries an environment's health URL (with a credential, that counts as its use). */
export function testConnection(test: ConnectionTest): Promise<ConnectionReport> {
  return call(() => commands.testConnection(test));
}

/** The secrets a link carries in its query. */
export function findUrlSecrets(link: string): Promise<UrlSecrets> {
  return call(() => commands.findUrlSecrets(link));
}

export const CREDENTIAL_KINDS: { kind: CredentialKind; label: string }[] = [
  { kind: "apiToken", label: "API token" },
  { kind: "password", label: "Password" },
  { kind: "sshKeyPassphrase", label: "SSH key passphrase" },
  { kind: "smtpPassword", label: "SMTP password" },
  { kind: "other", label: "Other secret" },
];

export function kindLabel(kind: CredentialKind): string {
  return CREDENTIAL_KINDS.find((k) => k.kind === kind)?.label ?? kind;
}

/** A secret taken out of a health-check URL, kept as a credential when the environment is saved. */
export type PendingCredential = {
  name: string;
  value: string;
  /** The URL as it was typed, with the secret. */
  original: string;
};

/** The credential name suggested for a secret found in a health-check URL: `token` → `HEALTH_TOKEN`. */
export function healthCredentialName(param: string): string {
  const word = param
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return word ? `HEALTH_${word}` : "HEALTH_TOKEN";
}

/** Lists parameter names for a sentence: `token=`, or `key=` and `sig=`. */
export function paramList(names: string[]): string {
  const quoted = names.map((n) => `${n}=`);
  return quoted.length <= 1 ? (quoted[0] ?? "") : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}
