// What the stores share: one cache per project and domain, for every
// component that shows it. A cache loads when a component first shows it
// and follows the change events of its kinds in its project while one
// does; a change while nobody shows it only marks it stale, and the next
// component to show it loads it again. A store's own writes merge what the
// command returned (or leave it to the change event), never reload.

import { onDestroy } from "svelte";
import { whenChanged, type ChangeKind } from "./live.svelte";

export abstract class Shared {
  loaded = $state(false);
  #users = 0;
  #stale = false;
  #queue: Promise<void> = Promise.resolve();
  #first: Promise<void> | null = null;

  constructor(kinds: Exclude<ChangeKind, "any">[], projectId: string | null) {
    $effect.root(() => {
      whenChanged(kinds, projectId, () => this.#changed());
    });
  }

  /** Fetches the data. */
  protected abstract fetch(): Promise<void>;

  /** Loads it now: after any load under way, so the last answer is the newest. */
  load(): Promise<void> {
    const run = this.#queue.then(() => this.fetch()).then(() => {
      this.loaded = true;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #changed(): Promise<void> | undefined {
    // A change during the first load: that load may have read before the
    // commit, so one more follows it.
    if (!this.loaded) return this.#first ? this.load() : undefined;
    if (this.#users > 0) return this.load();
    this.#stale = true;
  }

  /**
   * Shows it in the component being set up: it is kept current while that
   * component lives. Resolves once it is loaded (at once when it is current).
   */
  use(): Promise<void> {
    this.#users++;
    onDestroy(() => {
      this.#users--;
    });
    if (this.loaded && !this.#stale) return Promise.resolve();
    if (!this.#stale && this.#first) return this.#first;
    this.#stale = false;
    const first = (this.#first = this.load());
    first.catch(() => {
      this.#first = null;
    });
    return first;
  }
}

/** One value per key, made on first ask and kept. */
export function keyed<T>(make: (key: string) => T): (key: string) => T {
  const all = new Map<string, T>();
  return (key) => {
    let value = all.get(key);
    if (!value) {
      value = make(key);
      all.set(key, value);
    }
    return value;
  };
}

/** The list with `item` in place of the one with its id (or added at the end). */
export function merged<T extends { id: string }>(list: T[], item: T): T[] {
  const at = list.findIndex((x) => x.id === item.id);
  return at < 0 ? [...list, item] : list.map((x, i) => (i === at ? item : x));
}

/** The list without the item of `id`. */
export function without<T extends { id: string }>(list: T[], id: string): T[] {
  return list.filter((x) => x.id !== id);
}
