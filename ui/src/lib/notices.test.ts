import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommandError } from "./ipc";
import { go } from "./nav.svelte";
import {
  dismiss,
  hold,
  inform,
  MAX_SHOWN,
  notices,
  release,
  reportError,
  resolved,
  runAction,
  showError,
  summarize,
  SUMMARY_MAX,
} from "./notices.svelte";

const messages = () => notices.list.map((n) => n.message);

beforeEach(() => {
  vi.useFakeTimers();
  for (const n of [...notices.list]) dismiss(n.id);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("notices", () => {
  it("an error stays until dismissed; a confirmation goes after 5 seconds", () => {
    showError("The mail server refused the login.");
    inform("Release saved.");
    expect(messages()).toEqual(["The mail server refused the login.", "Release saved."]);
    vi.advanceTimersByTime(5000);
    expect(messages()).toEqual(["The mail server refused the login."]);
    vi.advanceTimersByTime(60_000);
    expect(messages()).toEqual(["The mail server refused the login."]);
    dismiss(notices.list[0].id);
    expect(notices.list).toEqual([]);
  });

  it("a confirmation stays while it is pointed at or focused", () => {
    inform("Saved /home/me/release.md.");
    const id = notices.list[0].id;
    vi.advanceTimersByTime(4000);
    hold(id);
    vi.advanceTimersByTime(30_000);
    expect(messages()).toEqual(["Saved /home/me/release.md."]);
    release(id);
    vi.advanceTimersByTime(5000);
    expect(notices.list).toEqual([]);
  });

  it("errors go when the page changes; confirmations stay", () => {
    reportError(new CommandError({ code: "validation", message: "The file is empty.", fields: null, detail: null }));
    inform("Project “Atlas” imported.");
    go({ page: "project", id: "p1", tab: "releases" });
    expect(messages()).toEqual(["Project “Atlas” imported."]);
  });

  it("an error goes when the same action later succeeds, and only that one", () => {
    reportError("x", { key: "import-project" });
    showError("The daily backup could not be written.");
    expect(notices.list.map((n) => n.kind)).toEqual(["error", "error"]);
    inform("Project “Atlas” imported.", { key: "import-project" });
    expect(messages()).toEqual(["The daily backup could not be written.", "Project “Atlas” imported."]);

    reportError(new CommandError({ code: "validation", message: "A release can go from planned to draft, not to ready.", fields: null, detail: null }), { key: "release-state:r1" });
    resolved("release-state:r1");
    expect(messages()).not.toContain("A release can go from planned to draft, not to ready.");
  });

  it("a new error about the same thing replaces the older one", () => {
    showError("The file is empty.", { key: "import" });
    showError("Line 3: “x” is not a date.", { key: "import" });
    expect(messages()).toEqual(["Line 3: “x” is not a date."]);
  });

  it("a new confirmation replaces the older ones, but not one with a button", () => {
    inform("Saved /home/me/notes.md.", { action: { label: "Open folder", run: () => {} } });
    inform("Release 2.5.0 created.");
    inform("Checklist started with 25 items.");
    expect(messages()).toEqual(["Saved /home/me/notes.md.", "Checklist started with 25 items."]);
  });

  it("the same message twice is shown once", () => {
    showError("The keychain is locked.");
    showError("The keychain is locked.");
    expect(messages()).toEqual(["The keychain is locked."]);
  });

  it("keeps only the newest few", () => {
    for (let i = 1; i <= MAX_SHOWN + 2; i++) showError(`Problem ${i}.`);
    expect(notices.list).toHaveLength(MAX_SHOWN);
    expect(messages().at(-1)).toBe(`Problem ${MAX_SHOWN + 2}.`);
    expect(messages()).not.toContain("Problem 1.");
  });

  it("shows a command's technical detail behind Details, not in the message", () => {
    reportError(
      new CommandError({
        code: "validation",
        message: "The file is not valid JSON (it ends in the middle of a text on line 47). Export it again from Liftoff, or fix the file.",
        fields: null,
        detail: "EOF while parsing a string at line 47 column 15",
      }),
    );
    const [n] = notices.list;
    expect(n.message).not.toContain("EOF");
    expect(n.detail).toBe("EOF while parsing a string at line 47 column 15");
  });

  it("summarizes a long message to its first sentences, the whole of it behind Details", () => {
    const long =
      "The production gate is closed: 14 required items are missing. " +
      Array.from({ length: 14 }, (_, i) => `Item number ${i + 1} of the readiness checklist is still open.`).join(" ");
    showError(long, { detail: "gate: production" });
    const [n] = notices.list;
    // As many whole sentences as fit in about two lines.
    expect(n.message).toBe(
      "The production gate is closed: 14 required items are missing. Item number 1 of the readiness checklist is still open. Item number 2 of the readiness checklist is still open.",
    );
    expect(n.message.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(n.detail).toBe(`${long}\n\ngate: production`);
  });

  it("cuts one overlong sentence at a word, and keeps a short message as it is", () => {
    const { summary, shortened } = summarize(`Could not read ${"very ".repeat(60)}long.`);
    expect(shortened).toBe(true);
    expect(summary.endsWith("…")).toBe(true);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
    expect(summary).not.toMatch(/ …$/);
    expect(summarize("Release saved.")).toEqual({ summary: "Release saved.", shortened: false });
    expect(summarize("First line.\nSecond line.")).toEqual({ summary: "First line.", shortened: true });
  });

  it("runs an action button once and goes; a failing action is reported", async () => {
    const run = vi.fn();
    inform("Saved /home/me/release.md.", { action: { label: "Open folder", run } });
    expect(notices.list[0].action?.label).toBe("Open folder");
    vi.advanceTimersByTime(5000);
    expect(notices.list).toHaveLength(1); // a notice with a button stays longer
    await runAction(notices.list[0].id);
    expect(run).toHaveBeenCalledTimes(1);
    expect(notices.list).toEqual([]);

    inform("Saved.", { action: { label: "Open folder", run: () => Promise.reject(new Error("No file manager is installed.")) } });
    await runAction(notices.list[0].id);
    expect(notices.list.map((n) => [n.kind, n.message])).toEqual([["error", "No file manager is installed."]]);
  });
});

describe("a change of page", () => {
  it("takes the old page's errors and earlier confirmations with it, not the one that led there", () => {
    vi.useFakeTimers();
    try {
      inform("Saved the settings.", { timeoutMs: 60_000 });
      vi.advanceTimersByTime(3000);
      go({ page: "projects" });
      expect(messages()).toEqual([]);
      reportError("The server refused the login.");
      inform("Project “Atlas” imported.");
      go({ page: "project", id: "p1", tab: "releases" });
      expect(messages()).toEqual(["Project “Atlas” imported."]);
    } finally {
      vi.useRealTimers();
    }
  });
});
