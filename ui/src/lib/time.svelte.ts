// What every shown time needs besides the formatter (format.ts): the zone
// the page shows times in, and a clock that ticks for "3 min ago".
//
// The zone comes from the page: the project's page provides the project's
// zone to everything inside it, the timeline the zone its "Times in" choice
// names; outside a project it is this computer's zone.

import { getContext, setContext } from "svelte";
import { createSubscriber } from "svelte/reactivity";
import { localZone } from "./format";

const ZONE = Symbol("shown time zone");

/** Times inside the calling component are in `zone()` (call during its set-up). */
export function provideZone(zone: () => string): void {
  setContext(ZONE, zone);
}

/** The zone times are shown in where the calling component sits (call during its set-up). */
export function shownZone(): () => string {
  return getContext<(() => string) | undefined>(ZONE) ?? localZone;
}

// One timer for every relative time on screen, running only while one is.
const TICK = 20_000;
const subscribe = createSubscriber((update) => {
  const timer = setInterval(update, TICK);
  return () => clearInterval(timer);
});

/** Now, read so that whoever reads it (an effect, a template) runs again as time passes. */
export function ticking(): number {
  subscribe();
  return Date.now();
}
