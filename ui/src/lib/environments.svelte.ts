// A project's environments and their credentials, fetched and cached here.
// Credential values are never cached: `reveal` returns one for the caller
// to show briefly.

import {
  commands,
  type Credential,
  type CredentialKind,
  type Environment,
  type EnvironmentDraft,
} from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

export class PipelineCache {
  environments = $state<Environment[]>([]);
  credentials = $state<Record<string, Credential[]>>({});
  loaded = $state(false);

  /** Create it while a component is set up: once loaded, it follows changes. */
  constructor(readonly projectId: string) {
    whenChanged(["environment", "credential"], projectId, () => (this.loaded ? this.load() : undefined));
  }

  async load(): Promise<void> {
    this.environments = await call(() => commands.listEnvironments(this.projectId));
    const entries = await Promise.all(
      this.environments.map(async (e) => [e.id, await call(() => commands.listCredentials(e.id))] as const),
    );
    this.credentials = Object.fromEntries(entries);
    this.loaded = true;
  }

  async create(draft: EnvironmentDraft): Promise<Environment> {
    const env = await call(() => commands.createEnvironment(this.projectId, draft));
    await this.load();
    return env;
  }

  async update(id: string, draft: EnvironmentDraft): Promise<Environment> {
    const env = await call(() => commands.updateEnvironment(id, draft));
    await this.load();
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
    try {
      await call(() => commands.deleteEnvironment(id));
    } finally {
      await this.load();
    }
  }

  async addCredential(environmentId: string, name: string, kind: CredentialKind, value: string): Promise<void> {
    await call(() => commands.addCredential(environmentId, name, kind, value));
    await this.loadCredentials(environmentId);
  }

  async replaceCredential(environmentId: string, id: string, value: string): Promise<void> {
    await call(() => commands.replaceCredential(id, value));
    await this.loadCredentials(environmentId);
  }

  async reveal(environmentId: string, id: string): Promise<string> {
    const value = await call(() => commands.revealCredential(id));
    await this.loadCredentials(environmentId);
    return value;
  }

  async removeCredential(environmentId: string, id: string): Promise<void> {
    try {
      await call(() => commands.deleteCredential(id));
    } finally {
      await this.loadCredentials(environmentId);
    }
  }

  async loadCredentials(environmentId: string): Promise<void> {
    const list = await call(() => commands.listCredentials(environmentId));
    this.credentials = { ...this.credentials, [environmentId]: list };
  }
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
