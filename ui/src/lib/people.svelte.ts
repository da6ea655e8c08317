// A project's people: one cache per project, shared by every page that
// names them (the People tab, "You are", pickers), fed by the change events.

import { commands, type Person, type PersonDraft, type Role } from "./bindings";
import { keyed, merged, Shared, without } from "./cache.svelte";
import { call } from "./ipc";

export class PeopleCache extends Shared {
  list = $state<Person[]>([]);

  constructor(readonly projectId: string) {
    super(["person"], projectId);
  }

  /** Loads it again now and resolves to what it holds. */
  async fresh() {
    await this.load();
    return this.list;
  }

  protected async fetch(): Promise<void> {
    this.list = await call(() => commands.listPeople(this.projectId));
  }

  async create(draft: PersonDraft): Promise<Person> {
    const person = await call(() => commands.createPerson(this.projectId, draft));
    this.list = merged(this.list, person);
    return person;
  }

  async update(id: string, draft: PersonDraft): Promise<Person> {
    const person = await call(() => commands.updatePerson(id, draft));
    this.list = merged(this.list, person);
    return person;
  }

  async remove(id: string): Promise<void> {
    await call(() => commands.deletePerson(id));
    this.list = without(this.list, id);
  }
}

/** The people of a project (call `use()` while a component is set up). */
export const peopleOf = keyed((projectId) => new PeopleCache(projectId));

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
