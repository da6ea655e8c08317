// Files the way desktop apps do them: the native Save and Open dialogs,
// starting in the folder last used for that kind of file. The dialogs only
// choose a path; Liftoff's commands read and write the file.
//
// The end-to-end tests cannot click a native dialog. They answer it through
// `window.__LIFTOFF_TEST_FILES__` instead (set over WebDriver): each dialog
// asked is recorded there and takes the next answer (a path, or null for
// Cancel). Everything after the dialog runs as it does for a person. The
// hook changes nothing unless a script in the window sets it, and such a
// script could call the commands itself.

import { open, save, type DialogFilter } from "@tauri-apps/plugin-dialog";
import { commands } from "./bindings";
import { call } from "./ipc";

/** Kinds of file, each remembering its own last folder. */
export type FileKind =
  | "project" // project files, exported and imported
  | "checklist" // checklists and templates, exported and imported
  | "calendar" // the project's calendar, exported
  | "metrics" // DORA metrics, exported
  | "runLog" // deploy logs
  | "announcement" // announcement exports
  | "loadCsv" // monitoring exports, imported
  | "peopleCalendar" // people's calendars, imported
  | "recipients" // recipient lists, imported
  | "certificate" // a mail server's CA certificate, read
  | "history" // deploy history CSVs
  | "evidence"; // release evidence files

/** What the Open dialog offers, per kind of file. */
const OPEN_FILTERS: Partial<Record<FileKind, DialogFilter[]>> = {
  project: [{ name: "Liftoff project (.json)", extensions: ["json"] }],
  checklist: [{ name: "Checklist (.json, .csv)", extensions: ["json", "csv"] }],
  loadCsv: [{ name: "Monitoring export (.csv)", extensions: ["csv", "txt"] }],
  peopleCalendar: [{ name: "Calendar (.ics)", extensions: ["ics"] }],
  recipients: [{ name: "Recipients (.csv, .txt)", extensions: ["csv", "txt"] }],
  certificate: [{ name: "Certificate (.pem, .crt, .cer)", extensions: ["pem", "crt", "cer"] }],
};

/** Names of the file types Liftoff saves, by extension. */
const SAVE_TYPES: Record<string, string> = {
  json: "JSON",
  csv: "CSV",
  md: "Markdown",
  ics: "Calendar",
  log: "Log",
  eml: "Email",
  atom: "Atom feed",
  html: "HTML",
};

export type DialogRequest = {
  mode: "save" | "open";
  kind: FileKind;
  defaultPath: string | null;
  filters: DialogFilter[];
};

type TestFiles = { answers: (string | null)[]; asked: DialogRequest[] };

declare global {
  interface Window {
    __LIFTOFF_TEST_FILES__?: TestFiles;
  }
}

/** The folder part of a path (Unix or Windows), or "" if it has none. */
export function folderOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return "";
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** The file name part of a path. */
export function nameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return path.slice(cut + 1);
}

function join(folder: string, name: string): string {
  const separator = folder.includes("\\") && !folder.includes("/") ? "\\" : "/";
  return folder.endsWith(separator) ? folder + name : folder + separator + name;
}

const folderKey = (kind: FileKind) => `liftoff.folder.${kind}`;

/** The folder a dialog for this kind of file last chose, if any. */
export function lastFolder(kind: FileKind): string | null {
  try {
    return localStorage.getItem(folderKey(kind));
  } catch {
    return null;
  }
}

function remember(kind: FileKind, path: string) {
  const folder = folderOf(path);
  if (!folder) return;
  try {
    localStorage.setItem(folderKey(kind), folder);
  } catch {
    // Private storage off: the dialog starts in the suggested folder again.
  }
}

async function ask(request: DialogRequest): Promise<string | null> {
  const test = window.__LIFTOFF_TEST_FILES__;
  if (test) {
    test.asked.push(request);
    return test.answers.length ? (test.answers.shift() ?? null) : null;
  }
  const options = { defaultPath: request.defaultPath ?? undefined, filters: request.filters };
  const chosen = request.mode === "save" ? await save(options) : await open({ ...options, multiple: false, directory: false });
  return typeof chosen === "string" ? chosen : null;
}

/**
 * Asks where to save a file of this kind, suggesting `suggestedPath`'s name
 * in the folder last used for the kind (else `suggestedPath`'s own folder).
 * Returns the path chosen, or null if the user cancelled. The dialog has
 * asked before the user chose an existing file.
 */
export async function pickSave(kind: FileKind, suggestedPath: string): Promise<string | null> {
  const name = nameOf(suggestedPath);
  const folder = lastFolder(kind);
  const extension = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  const filters = extension ? [{ name: SAVE_TYPES[extension] ?? extension.toUpperCase(), extensions: [extension] }] : [];
  const chosen = await ask({ mode: "save", kind, defaultPath: folder ? join(folder, name) : suggestedPath, filters });
  if (chosen) remember(kind, chosen);
  return chosen;
}

/**
 * Asks which file of this kind to open, starting in the folder last used
 * for the kind. Returns its path, or null if the user cancelled.
 */
export async function pickOpen(kind: FileKind): Promise<string | null> {
  const chosen = await ask({ mode: "open", kind, defaultPath: lastFolder(kind), filters: OPEN_FILTERS[kind] ?? [] });
  if (chosen) remember(kind, chosen);
  return chosen;
}

/** Opens the folder that holds `path` in the system's file manager. */
export function showInFolder(path: string): Promise<null> {
  return call(() => commands.showInFolder(path));
}
