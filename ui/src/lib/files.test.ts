import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { folderOf, lastFolder, nameOf, pickOpen, pickSave } from "./files";

// The plugin's own JavaScript runs; only the IPC under it is answered here,
// as the Rust side of the dialog plugin would.
let calls: { cmd: string; options: Record<string, unknown> }[] = [];
let answer: string | null = null;

beforeEach(() => {
  localStorage.clear();
  calls = [];
  answer = null;
  delete window.__LIFTOFF_TEST_FILES__;
  mockIPC((cmd, args) => {
    calls.push({ cmd, options: (args as { options: Record<string, unknown> }).options });
    return answer;
  });
});

afterEach(() => clearMocks());

describe("paths", () => {
  it("splits Unix and Windows paths", () => {
    expect(folderOf("/home/me/a.json")).toBe("/home/me");
    expect(folderOf("/a.json")).toBe("/");
    expect(folderOf("C:\\Users\\me\\a.json")).toBe("C:\\Users\\me");
    expect(folderOf("a.json")).toBe("");
    expect(nameOf("/home/me/a.json")).toBe("a.json");
    expect(nameOf("C:\\Users\\me\\a.json")).toBe("a.json");
  });
});

describe("pickSave", () => {
  it("suggests the name in the suggested folder, then in the folder last chosen for that kind", async () => {
    answer = "/srv/share/atlas.liftoff.json";
    expect(await pickSave("project", "/home/me/Downloads/atlas-2026-11-22.liftoff.json")).toBe(answer);
    expect(calls[0].cmd).toBe("plugin:dialog|save");
    expect(calls[0].options.defaultPath).toBe("/home/me/Downloads/atlas-2026-11-22.liftoff.json");
    expect(calls[0].options.filters).toEqual([{ name: "JSON", extensions: ["json"] }]);
    expect(lastFolder("project")).toBe("/srv/share");

    await pickSave("project", "/home/me/Downloads/atlas-2026-11-23.liftoff.json");
    expect(calls[1].options.defaultPath).toBe("/srv/share/atlas-2026-11-23.liftoff.json");
    // Each kind has its own folder.
    await pickSave("calendar", "/home/me/Downloads/atlas-releases.ics");
    expect(calls[2].options.defaultPath).toBe("/home/me/Downloads/atlas-releases.ics");
    expect(calls[2].options.filters).toEqual([{ name: "Calendar", extensions: ["ics"] }]);
  });

  it("keeps the folder when the dialog is cancelled", async () => {
    localStorage.setItem("liftoff.folder.runLog", "/var/logs");
    answer = null;
    expect(await pickSave("runLog", "/home/me/Downloads/liftoff-staging.log")).toBeNull();
    expect(calls[0].options.defaultPath).toBe("/var/logs/liftoff-staging.log");
    expect(lastFolder("runLog")).toBe("/var/logs");
  });

  it("joins Windows folders with their own separator", async () => {
    localStorage.setItem("liftoff.folder.announcement", "D:\\Releases");
    await pickSave("announcement", "C:\\Users\\me\\Downloads\\release-2.4.0.eml");
    expect(calls[0].options.defaultPath).toBe("D:\\Releases\\release-2.4.0.eml");
  });
});

describe("pickOpen", () => {
  it("offers the kind's files, from the folder last used for it", async () => {
    answer = "/home/me/cal/priya.ics";
    expect(await pickOpen("peopleCalendar")).toBe(answer);
    expect(calls[0].cmd).toBe("plugin:dialog|open");
    expect(calls[0].options).toMatchObject({ multiple: false, directory: false, filters: [{ name: "Calendar (.ics)", extensions: ["ics"] }] });
    expect(calls[0].options.defaultPath).toBeUndefined();
    await pickOpen("peopleCalendar");
    expect(calls[1].options.defaultPath).toBe("/home/me/cal");
  });
});

describe("the test hook", () => {
  it("answers instead of the native dialog and records what was asked", async () => {
    window.__LIFTOFF_TEST_FILES__ = { answers: ["/tmp/e2e/a.md", null], asked: [] };
    expect(await pickSave("checklist", "/home/me/Downloads/2.4.0-tax.md")).toBe("/tmp/e2e/a.md");
    expect(await pickOpen("checklist")).toBeNull();
    expect(await pickOpen("checklist")).toBeNull();
    expect(calls).toEqual([]);
    expect(window.__LIFTOFF_TEST_FILES__.asked).toEqual([
      { mode: "save", kind: "checklist", defaultPath: "/home/me/Downloads/2.4.0-tax.md", filters: [{ name: "Markdown", extensions: ["md"] }] },
      { mode: "open", kind: "checklist", defaultPath: "/tmp/e2e", filters: [{ name: "Checklist (.json, .csv)", extensions: ["json", "csv"] }] },
      { mode: "open", kind: "checklist", defaultPath: "/tmp/e2e", filters: [{ name: "Checklist (.json, .csv)", extensions: ["json", "csv"] }] },
    ]);
  });
});
