// Projects as the UI knows them: fetched from the backend and cached here,
// in one place. Components read `projects` and call its methods; they never
// call project commands themselves.

import { commands, type ImportReport, type Project, type ProjectDraft } from "./bindings";
import { call } from "./ipc";
import { whenChanged } from "./live.svelte";

class ProjectCache {
  /** The projects matching the current search. */
  list = $state<Project[]>([]);
  text = $state("");
  includeArchived = $state(false);
  /** Whether any project exists at all, whatever the search. */
  anyExist = $state(false);
  loaded = $state(false);

  async refresh(): Promise<void> {
    const query = { text: this.text, includeArchived: this.includeArchived };
    this.list = await call(() => commands.listProjects(query));
    this.anyExist =
      this.list.length > 0 ||
      (await call(() => commands.listProjects({ text: "", includeArchived: true }))).length > 0;
    this.loaded = true;
  }

  /** The project, from the list when it is there (unless `fresh`). */
  async get(id: string, fresh = false): Promise<Project | undefined> {
    const cached = fresh ? undefined : this.list.find((p) => p.id === id);
    if (cached) return cached;
    const all = await call(() => commands.listProjects({ text: "", includeArchived: true }));
    return all.find((p) => p.id === id);
  }

  async create(draft: ProjectDraft): Promise<Project> {
    const project = await call(() => commands.createProject(draft));
    await this.refresh();
    return project;
  }

  async update(id: string, draft: ProjectDraft): Promise<Project> {
    const project = await call(() => commands.updateProject(id, draft));
    await this.refresh();
    return project;
  }

  async setArchived(id: string, archived: boolean): Promise<Project> {
    const project = await call(() => commands.setProjectArchived(id, archived));
    await this.refresh();
    return project;
  }

  async remove(id: string): Promise<void> {
    await call(() => commands.deleteProject(id));
    await this.refresh();
  }

  /** The last import, so the imported project can list the secrets to fill in. */
  lastImport = $state<ImportReport | null>(null);

  /** Imports the project file at `path`. */
  async importFile(path: string): Promise<ImportReport> {
    const report = await call(() => commands.importProject(path));
    this.lastImport = report;
    await this.refresh();
    return report;
  }

  async openSample(): Promise<Project> {
    const project = await call(() => commands.openSampleProject());
    await this.refresh();
    return project;
  }
}

export const projects = new ProjectCache();

// Once loaded, the list follows changes made anywhere.
$effect.root(() => {
  whenChanged(["project"], null, () => (projects.loaded ? projects.refresh() : undefined));
});

let zones: Promise<string[]> | undefined;

/** IANA time zone names, fetched once. */
export function timeZones(): Promise<string[]> {
  zones ??= call(() => commands.listTimeZones());
  return zones;
}

export function suggestedTimeZone(): Promise<string> {
  return call(() => commands.suggestedTimeZone());
}
