import { describe, expect, it } from "vitest";
import { needsSentence } from "./announce";
import type { Need } from "./bindings";

describe("what a way out of a draft waits for", () => {
  const needs: Need[] = [
    { kind: "approval", text: "Omar Haddad's approval" },
    { kind: "sender", text: "a From address (Settings, Sender)" },
    { kind: "server", text: "a mail server (Settings, Mail server)" },
  ];

  it("names only what that way needs, in one sentence", () => {
    expect(needsSentence(needs, "eml")).toBe("Needs Omar Haddad's approval; a From address (Settings, Sender).");
    expect(needsSentence(needs, "approve")).toBe("Needs a From address (Settings, Sender).");
    expect(needsSentence(needs, "usersFile")).toBe("Needs Omar Haddad's approval.");
  });

  it("is empty when nothing is missing", () => {
    expect(needsSentence([], "audience")).toBe("");
    expect(needsSentence([{ kind: "server", text: "a mail server" }], "eml")).toBe("");
  });
});
