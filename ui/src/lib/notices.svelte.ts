// The one place errors and confirmations are shown to the user. Components
// report here; <Notices> renders the list. Validation errors are the
// exception: forms show those beside their fields.

import { CommandError, toAppError } from "./ipc";

export type Notice = {
  id: number;
  kind: "error" | "info";
  message: string;
};

let nextId = 1;

export const notices = $state<{ list: Notice[] }>({ list: [] });

export function dismiss(id: number): void {
  notices.list = notices.list.filter((n) => n.id !== id);
}

export function reportError(e: unknown): void {
  const error = toAppError(e);
  push("error", error.message);
}

/**
 * For a form's catch: the per-field messages of refused input, to show
 * beside the fields. Any other error goes to the notices, and gives none.
 */
export function formErrors(e: unknown): Record<string, string> {
  if (e instanceof CommandError && Object.keys(e.fields).length > 0) return e.fields;
  reportError(e);
  return {};
}

/** An error message as it is, from something the user did not start (background work). */
export function showError(message: string): void {
  push("error", message);
}

export function inform(message: string, timeoutMs = 5000): void {
  const id = push("info", message);
  setTimeout(() => dismiss(id), timeoutMs);
}

function push(kind: Notice["kind"], message: string): number {
  // The same message twice in a row is shown once.
  const last = notices.list.at(-1);
  if (last && last.kind === kind && last.message === message) return last.id;
  const id = nextId++;
  notices.list = [...notices.list, { id, kind, message }];
  return id;
}

/** The props every draft form takes: a draft to start from, and what to do with it. */
export type DraftFormProps<T> = {
  initial: T;
  submitLabel: string;
  onSubmit: (draft: T) => Promise<void>;
  onCancel: () => void;
};
