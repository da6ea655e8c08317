import { describe, expect, it } from "vitest";
import { call, CommandError, toAppError } from "./ipc";

describe("toAppError", () => {
  it("keeps a command's error as it is", () => {
    const e = { code: "validation", message: "Give the project a name.", fields: { name: "Give the project a name." }, detail: null };
    expect(toAppError(e)).toEqual(e);
  });

  it("keeps the technical detail apart from the message", () => {
    const e = toAppError({ code: "keychain", message: "Liftoff cannot reach the system keychain.", fields: null, detail: "DBus error: ServiceUnknown" });
    expect(e.message).toBe("Liftoff cannot reach the system keychain.");
    expect(e.detail).toBe("DBus error: ServiceUnknown");
    expect(new CommandError(e).detail).toBe("DBus error: ServiceUnknown");
  });

  it("turns a bare string from Tauri into an internal error, its text as the detail", () => {
    const e = toAppError("command create_project not allowed by ACL");
    expect(e.code).toBe("internal");
    expect(e.message).not.toContain("ACL");
    expect(e.detail).toBe("command create_project not allowed by ACL");
  });

  it("does not trust an object with an unknown code", () => {
    expect(toAppError({ code: "weird", message: "x" }).code).toBe("internal");
  });

  it("has a fallback for nothing useful", () => {
    expect(toAppError(undefined).message).toBe("Something went wrong. Try again.");
  });
});

describe("call", () => {
  it("rejects with a CommandError carrying the fields", async () => {
    const failing = () => Promise.reject({ code: "validation", message: "Bad", fields: { name: "Give the project a name." } });
    const err = await call(failing).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err.code).toBe("validation");
    expect(err.fields).toEqual({ name: "Give the project a name." });
  });

  it("passes results through", async () => {
    expect(await call(() => Promise.resolve(42))).toBe(42);
  });
});
