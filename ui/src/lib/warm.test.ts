import { describe, expect, it } from "vitest";
import { warm, type Loader } from "./warm";

describe("warm", () => {
  it("loads one at a time, in order, each in its own turn, and goes on past a failure", async () => {
    const log: string[] = [];
    const turns: (() => void)[] = [];
    const loader = (name: string, fail = false): Loader => () => {
      log.push(`start ${name}`);
      return fail ? Promise.reject(new Error("no chunk")) : Promise.resolve(name);
    };
    warm([loader("page"), loader("timeline", true), loader("releases")], (run) => turns.push(run));
    // Nothing starts before its turn.
    expect(log).toEqual([]);
    for (const expected of ["page", "timeline", "releases"]) {
      expect(turns.length).toBe(1);
      turns.shift()!();
      expect(log.at(-1)).toBe(`start ${expected}`);
      // The next one is scheduled only once this one has settled.
      expect(turns.length).toBe(0);
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(log).toEqual(["start page", "start timeline", "start releases"]);
    // After the last, nothing more is scheduled but the end.
    turns.shift()?.();
    expect(turns.length).toBe(0);
  });
});
