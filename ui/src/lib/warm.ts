// Code a lead needs next, loaded in the background once the first screen has
// drawn: each page's code is its own chunk (loaded when the page first
// opens), and without this the first click on a project waited for its
// page's chunk and then its tab's, one after the other.

export type Loader = () => Promise<unknown>;

/**
 * Runs `loaders` one at a time, each in a task of its own after the next
 * frame, so that a click or a keystroke in between is answered between two
 * of them. A loader that fails is left: the page that needs the code loads
 * it again and says so if it cannot.
 */
export function warm(loaders: Loader[], schedule: (run: () => void) => void = afterFrame): void {
  let i = 0;
  const next = () => {
    const load = loaders[i++];
    if (!load) return;
    load()
      .catch(() => {})
      .finally(() => schedule(next));
  };
  schedule(next);
}

function afterFrame(run: () => void): void {
  requestAnimationFrame(() => setTimeout(run, 0));
}

/**
 * The project page and its Timeline, which a project opens on: the way
 * through the app most starts take. The other tabs load when they first open.
 */
export function warmFirstSteps(): void {
  warm([() => import("../components/ProjectPage.svelte"), () => import("../components/timeline/TimelinePage.svelte")]);
}
