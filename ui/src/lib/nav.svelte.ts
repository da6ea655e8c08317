// Where the user is. The app has few places, so a small state object is the
// router.

import { clearErrors } from "./notices.svelte";

export type ProjectTab =
  | "timeline"
  | "releases"
  | "deploys"
  | "announcements"
  | "environments"
  | "people"
  | "templates"
  | "settings";

export type Route =
  | { page: "projects" }
  | { page: "new-project" }
  | { page: "project"; id: string; tab: ProjectTab; releaseId?: string; runId?: string };

export const nav = $state<{ route: Route }>({ route: { page: "projects" } });

/** Goes to `route`. Error notices are about the page left, and go with it. */
export function go(route: Route): void {
  clearErrors();
  nav.route = route;
}

export const PROJECT_TABS: { tab: ProjectTab; label: string; ready: boolean; arrives?: string }[] = [
  { tab: "timeline", label: "Timeline", ready: true },
  { tab: "releases", label: "Releases", ready: true },
  { tab: "deploys", label: "Deploys", ready: true },
  { tab: "announcements", label: "Announcements", ready: true },
  { tab: "environments", label: "Environments", ready: true },
  { tab: "people", label: "People", ready: true },
  { tab: "templates", label: "Checklist templates", ready: true },
  { tab: "settings", label: "Project settings", ready: true },
];
