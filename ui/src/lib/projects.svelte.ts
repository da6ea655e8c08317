// Projects as the UI knows them: fetched from the backend and cached here,
// in one place. Components read `projects` and call its methods; they never
// call project commands themselves. The list follows the change events; a
// write does not reload it.

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

  /** Takes every project (archived ones included), as the start-up answer
   * brings them, as the list when no search is typed. */
  seed(all: Project[]): void {
    this.list = this.includeArchived ? all : all.filter((p) => !p.archivedAt);
    this.anyExist = all.length > 0;
    this.loaded = true;
  }

  async refresh(): Promise<void> {
    if (!this.text) {
      // No search: one question answers both.
      this.seed(await call(() => commands.listProjects({ text: "", includeArchived: true })));
      return;
    }
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
    return this.#added(await call(() => commands.createProject(draft)));
  }

  /** Saves a project's edit; `actor` is who acts (what drafts' approvals
   * it withdraws are recorded as theirs). */
  async update(id: string, draft: ProjectDraft, actor: string | null): Promise<Project> {
    const project = await call(() => commands.updateProject(id, draft, actor));
    this.#merge(project);
    return project;
  }

  async setArchived(id: string, archived: boolean): Promise<Project> {
    const project = await call(() => commands.setProjectArchived(id, archived));
    this.#merge(project);
    return project;
  }

  async remove(id: string): Promise<void> {
    await call(() => commands.deleteProject(id));
    this.list = this.list.filter((p) => p.id !== id);
  }

  /** The last import, so the imported project can list the secrets to fill in. */
  lastImport = $state<ImportReport | null>(null);

  /** Imports the project file at `path`. */
  async importFile(path: string): Promise<ImportReport> {
    const report = await call(() => commands.importProject(path));
    this.lastImport = report;
    this.#added(report.project);
    return report;
  }

  async openSample(): Promise<Project> {
    return this.#added(await call(() => commands.openSampleProject()));
  }

  /**
   * A new project is listed at once, before the page changes: the sidebar
   * does not move under the pointer when the change event's reload comes.
   */
  #added(project: Project): Project {
    if (!this.list.some((p) => p.id === project.id)) this.list = [...this.list, project].sort((a, b) => Number(!!a.archivedAt) - Number(!!b.archivedAt) || a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
    this.anyExist = true;
    return project;
  }

  /** An archived project leaves a list that hides them; a changed one is shown as it is now. */
  #merge(project: Project): void {
    this.list = this.list.flatMap((p) => (p.id !== project.id ? [p] : project.archivedAt && !this.includeArchived ? [] : [project]));
  }

  /** The path Liftoff suggests for the project's export. */
  suggestedExportPath(id: string): Promise<string> {
    return call(() => commands.suggestedExportPath(id));
  }

  /** Writes the project file; resolves to the path written. */
  exportFile(id: string, path: string): Promise<string> {
    return call(() => commands.exportProject(id, path));
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
