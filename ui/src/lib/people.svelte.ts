// A project's people, fetched and cached here.

import { commands, type Person, type PersonDraft, type Role } from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

export class PeopleCache {
  list = $state<Person[]>([]);
  loaded = $state(false);

  /** Create it while a component is set up: once loaded, it follows changes. */
  constructor(readonly projectId: string) {
    whenChanged(["person"], projectId, () => (this.loaded ? this.load() : undefined));
  }

  async load(): Promise<void> {
    this.list = await call(() => commands.listPeople(this.projectId));
    this.loaded = true;
  }

  async create(draft: PersonDraft): Promise<Person> {
    const person = await call(() => commands.createPerson(this.projectId, draft));
    await this.load();
    return person;
  }

  async update(id: string, draft: PersonDraft): Promise<Person> {
    const person = await call(() => commands.updatePerson(id, draft));
    await this.load();
    return person;
  }

  async remove(id: string): Promise<void> {
    try {
      await call(() => commands.deletePerson(id));
    } finally {
      await this.load();
    }
  }
}

export const ROLES: { role: Role; label: string }[] = [
  { role: "lead", label: "Lead" },
  { role: "developer", label: "Developer" },
  { role: "reviewer", label: "Reviewer (auditor)" },
  { role: "admin", label: "Admin" },
  { role: "support", label: "Support" },
];

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

export function roleLabel(role: Role): string {
  return ROLES.find((r) => r.role === role)?.label ?? role;
}

export function daysLabel(days: boolean[]): string {
  const on = WEEKDAYS.filter((_, i) => days[i]);
  if (on.length === 5 && days.slice(0, 5).every(Boolean)) return "Mon–Fri";
  return on.join(", ");
}
