// Where the user is. The app has few places, so a small state object is the
// router.

import { clearErrors } from "./notices.svelte";

export type ProjectTab =
  | "timeline"
  | "releases"
  | "deploys"
  | "announcements"
  | "metrics"
  | "environments"
  | "people"
  | "settings";

export type Route =
  | { page: "projects" }
  | { page: "new-project" }
  // Templates are shared by every project, so they sit beside the projects.
  | { page: "templates" }
  | { page: "project"; id: string; tab: ProjectTab; releaseId?: string; runId?: string };

export const nav = $state<{ route: Route }>({ route: { page: "projects" } });

/** Goes to `route`. Error notices are about the page left, and go with it. */
export function go(route: Route): void {
  clearErrors();
  nav.route = route;
}

export const PROJECT_TABS: { tab: ProjectTab; label: string }[] = [
  { tab: "timeline", label: "Timeline" },
  { tab: "releases", label: "Releases" },
  { tab: "deploys", label: "Deploys" },
  { tab: "announcements", label: "Announcements" },
  { tab: "metrics", label: "Metrics" },
  { tab: "environments", label: "Environments" },
  { tab: "people", label: "People" },
  { tab: "settings", label: "Project settings" },
];
