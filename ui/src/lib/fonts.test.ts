import { afterEach, describe, expect, it, vi } from "vitest";

async function fontsOn(platform: string, userAgent = "") {
  vi.resetModules();
  vi.stubGlobal("navigator", { platform, userAgent });
  return import("./fonts");
}

describe("fonts", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("names the generic families under WebKitGTK, which knows no system-ui", async () => {
    const f = await fontsOn("Linux x86_64");
    expect([f.generic, f.SANS, f.MONO]).toEqual([true, "sans-serif", "monospace"]);
    expect((await fontsOn("", "Mozilla/5.0 (X11; FreeBSD amd64) AppleWebKit/605.1.15")).generic).toBe(true);
  });

  it("names the system's fonts first on macOS, Windows and Android", async () => {
    for (const platform of ["MacIntel", "Win32", "Linux armv8l; Android"]) {
      const f = await fontsOn(platform);
      expect([f.SANS, f.MONO]).toEqual(["system-ui, sans-serif", "ui-monospace, monospace"]);
    }
  });

  it("gives the page both as custom properties", async () => {
    const f = await fontsOn("Linux x86_64");
    const root = document.createElement("div");
    f.applyFonts(root);
    expect(root.style.getPropertyValue("--sans")).toBe("sans-serif");
    expect(root.style.getPropertyValue("--mono")).toBe("monospace");
  });
});
