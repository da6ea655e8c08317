// The one place errors and confirmations are shown to the user. Components
// report here; <Notices> renders the list floating over the page's lower
// right corner (never over the navigation; the page keeps room below itself
// to scroll what a notice covers above it), newest first. Validation
// errors are the exception: forms show those beside their fields.
//
// The API:
//   inform(message, options?)     a confirmation; it goes after 5 seconds
//                                 (`timeoutMs`; 10 s when it has an action),
//                                 but not while the pointer or focus is on it.
//   reportError(e, options?)      an error from something the user did: a
//                                 CommandError (its `detail` goes behind
//                                 "Details"), a string, or anything thrown.
//   showError(message, options?)  an error as it is, from background work.
//   resolved(key)                 the problem behind the errors reported with
//                                 this key is solved: they go.
//   dismiss(id)                   the user closed a notice.
//   clearErrors()                 the page changed (nav's `go()` calls it):
//                                 errors and confirmations about the page
//                                 left go with it.
//
// Options (all optional):
//   key        what the notice is about, such as "import-project" or
//              `release-state:${id}`. A new error with a key replaces the
//              older one with that key; an `inform` with a key, or
//              `resolved(key)`, removes the errors with that key (the same
//              action succeeded).
//   detail     technical text to keep behind "Details".
//   action     one button on the notice: `{ label, run }`, such as
//              `{ label: "Open folder", run: () => openFolder(path) }`. The
//              notice goes when it is pressed; if `run` throws or rejects,
//              the error is reported.
//   timeoutMs  how long an `inform` stays.
//
// Messages stay short: one longer than SUMMARY_MAX characters (or of more
// than one line) shows its first sentences, and the whole text moves to
// "Details". At most MAX_SHOWN notices are kept; older ones give way. A new
// confirmation replaces the older ones (except those with a button): only
// the latest "saved" matters.

import { CommandError, toAppError } from "./ipc";

export type NoticeAction = {
  label: string;
  run: () => void | Promise<void>;
};

export type NoticeOptions = {
  key?: string;
  detail?: string | null;
  action?: NoticeAction;
  timeoutMs?: number;
};

export type Notice = {
  id: number;
  kind: "error" | "info";
  /** One or two lines. */
  message: string;
  /** The whole message when it was shortened, and any technical text. */
  detail?: string;
  key?: string;
  action?: NoticeAction;
};

/** The most notices shown at once. */
export const MAX_SHOWN = 3;
/** Two lines of a notice, three at most. */
export const SUMMARY_MAX = 200;
const INFO_MS = 5000;
const INFO_WITH_ACTION_MS = 10000;

let nextId = 1;

/** Oldest first; <Notices> shows them newest first. */
export const notices = $state<{ list: Notice[] }>({ list: [] });

type Timer = { handle?: ReturnType<typeof setTimeout>; ms: number };
const timers = new Map<number, Timer>();

export function dismiss(id: number): void {
  clearTimeout(timers.get(id)?.handle);
  timers.delete(id);
  notices.list = notices.list.filter((n) => n.id !== id);
}

function dismissWhere(predicate: (n: Notice) => boolean): void {
  for (const n of notices.list.filter(predicate)) dismiss(n.id);
}

export function reportError(e: unknown, options: NoticeOptions = {}): void {
  const error = toAppError(e);
  push("error", error.message, { ...options, detail: options.detail ?? error.detail });
}

/**
 * For a form's catch: the per-field messages of refused input, to show
 * beside the fields. Any other error goes to the notices, and gives none.
 */
export function formErrors(e: unknown, options: NoticeOptions = {}): Record<string, string> {
  if (e instanceof CommandError && Object.keys(e.fields).length > 0) return e.fields;
  reportError(e, options);
  return {};
}

/** An error message as it is, from something the user did not start (background work). */
export function showError(message: string, options: NoticeOptions = {}): void {
  push("error", message, options);
}

export function inform(message: string, options: NoticeOptions = {}): void {
  if (options.key) resolved(options.key);
  const id = push("info", message, options);
  const ms = options.timeoutMs ?? (options.action ? INFO_WITH_ACTION_MS : INFO_MS);
  timers.set(id, { ms });
  release(id);
}

/** The errors reported with `key` are out of date: what failed has worked since. */
export function resolved(key: string): void {
  dismissWhere((n) => n.kind === "error" && n.key === key);
}

/**
 * The page changed: its errors are out of date, and so are confirmations
 * of what was done there before; a confirmation of what just led here (an
 * import that opens the project it made) stays.
 */
export function clearErrors(): void {
  const now = Date.now();
  dismissWhere((n) => n.kind === "error" || now - (born.get(n.id) ?? now) > JUST_NOW_MS);
}

/** When each notice appeared, by id. */
const born = new Map<number, number>();
/** A confirmation younger than this belongs to the page it led to. */
const JUST_NOW_MS = 1500;

/** The pointer or focus is on a notice: it stays while it is read. */
export function hold(id: number): void {
  const timer = timers.get(id);
  if (timer) clearTimeout(timer.handle);
}

/** The pointer or focus left a notice: a confirmation's time starts again. */
export function release(id: number): void {
  const timer = timers.get(id);
  if (!timer) return;
  clearTimeout(timer.handle);
  timer.handle = setTimeout(() => dismiss(id), timer.ms);
}

/** Presses a notice's button: runs its action, and the notice goes. */
export async function runAction(id: number): Promise<void> {
  const notice = notices.list.find((n) => n.id === id);
  if (!notice?.action) return;
  dismiss(id);
  try {
    await notice.action.run();
  } catch (e) {
    reportError(e);
  }
}

/**
 * A message short enough for a notice: the whole message when it fits in
 * SUMMARY_MAX characters on one line; otherwise the first sentences that do
 * (or the first sentence cut at a word, with "…"), and `shortened` set.
 */
export function summarize(message: string): { summary: string; shortened: boolean } {
  const text = message.trim();
  if (text.length <= SUMMARY_MAX && !text.includes("\n")) return { summary: text, shortened: false };
  const firstLine = text.split("\n")[0].trim();
  const sentences = firstLine.match(/[^.!?]+(?:[.!?]+["”’)]*|$)\s*/g) ?? [firstLine];
  let summary = "";
  for (const sentence of sentences) {
    if ((summary + sentence).trim().length > SUMMARY_MAX) break;
    summary += sentence;
  }
  summary = summary.trim();
  if (!summary) {
    const cut = firstLine.slice(0, SUMMARY_MAX - 1);
    const space = cut.lastIndexOf(" ");
    summary = `${(space > SUMMARY_MAX / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:(]+$/, "")}…`;
  }
  return { summary, shortened: summary !== text };
}

function push(kind: Notice["kind"], message: string, options: NoticeOptions): number {
  const { summary, shortened } = summarize(message);
  const parts = [shortened ? message.trim() : "", options.detail?.trim() ?? ""].filter(Boolean);
  const notice: Notice = { id: nextId++, kind, message: summary };
  if (parts.length) notice.detail = parts.join("\n\n");
  if (options.key) notice.key = options.key;
  if (options.action) notice.action = options.action;
  // The same message again, or a new error about the same thing, replaces
  // the older notice: it is shown once, as the newest.
  dismissWhere(
    (n) =>
      (n.kind === kind && n.message === notice.message && n.detail === notice.detail) ||
      (kind === "error" && n.kind === "error" && notice.key !== undefined && n.key === notice.key) ||
      (kind === "info" && n.kind === "info" && !n.action),
  );
  notices.list = [...notices.list, notice];
  born.set(notice.id, Date.now());
  while (notices.list.length > MAX_SHOWN) dismiss(notices.list[0].id);
  return notice.id;
}

/** The props every draft form takes: a draft to start from, and what to do with it. */
export type DraftFormProps<T> = {
  initial: T;
  submitLabel: string;
  onSubmit: (draft: T) => Promise<void>;
  onCancel: () => void;
};
