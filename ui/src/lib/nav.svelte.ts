// Where the user is. The app has few places, so a small state object is the
// router.

import { clearErrors } from "./notices.svelte";

export type ProjectTab =
  | "timeline"
  | "status"
  | "releases"
  | "deploys"
  | "history"
  | "announcements"
  | "metrics"
  | "maturity"
  | "environments"
  | "people"
  | "settings";

export type Route =
  | { page: "projects" }
  | { page: "new-project" }
  // Templates are shared by every project, so they sit beside the projects.
  | { page: "templates" }
  // Every project's environments on one screen.
  | { page: "board" }
  | { page: "project"; id: string; tab: ProjectTab; releaseId?: string; runId?: string };

export const nav = $state<{ route: Route }>({ route: { page: "projects" } });

// The tab each project was last seen on in this window, so that coming back
// to a project from the list or the sidebar finds it as it was left.
const lastTab = new Map<string, ProjectTab>();

/** Goes to `route`. Error notices are about the page left, and go with it. */
export function go(route: Route): void {
  clearErrors();
  if (route.page === "project") lastTab.set(route.id, route.tab);
  nav.route = route;
}

/**
 * Opens a project from the list or the sidebar: on the tab it was last seen
 * on in this window, else on its Timeline, where a lead plans (a new project
 * opens on its settings instead, by its own route).
 */
export function openProject(id: string): void {
  go({ page: "project", id, tab: lastTab.get(id) ?? "timeline" });
}

/** Forgets the tabs seen (for tests). */
export function forgetTabs(): void {
  lastTab.clear();
}

export const PROJECT_TABS: { tab: ProjectTab; label: string }[] = [
  { tab: "timeline", label: "Timeline" },
  { tab: "status", label: "Status" },
  { tab: "releases", label: "Releases" },
  { tab: "deploys", label: "Deploys" },
  { tab: "history", label: "History" },
  { tab: "announcements", label: "Announcements" },
  { tab: "metrics", label: "Metrics" },
  { tab: "maturity", label: "Maturity" },
  { tab: "environments", label: "Environments" },
  { tab: "people", label: "People" },
  { tab: "settings", label: "Project settings" },
];
