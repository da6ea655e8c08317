// The one door to the backend. Every command goes through `call`, which turns
// whatever a rejected invoke carries (the command's `{ code, message,
// fields }`, or a bare string from Tauri itself, such as an ACL denial) into
// one `AppError` shape.

import type { AppError, ErrorCode } from "./bindings";

export type { AppError, ErrorCode };

export class CommandError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, string>;

  constructor(error: AppError) {
    super(error.message);
    this.name = "CommandError";
    this.code = error.code;
    this.fields = normalizeFields(error.fields);
  }
}

function normalizeFields(fields: AppError["fields"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fields) return out;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === "string") out[key] = value;
  }
  return out;
}

const CODES: readonly ErrorCode[] = [
  "validation",
  "notFound",
  "keychain",
  "database",
  "startup",
  "conflict",
  "cancelled",
  "external",
  "internal",
];

export function toAppError(e: unknown): AppError {
  if (e instanceof CommandError) {
    return { code: e.code, message: e.message, fields: e.fields };
  }
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message, fields } = e as { code: unknown; message: unknown; fields?: unknown };
    if (typeof message === "string" && CODES.includes(code as ErrorCode)) {
      return { code: code as ErrorCode, message, fields: (fields ?? null) as AppError["fields"] };
    }
  }
  if (typeof e === "string" && e.length > 0) {
    return { code: "internal", message: `Liftoff refused the request: ${e}`, fields: null };
  }
  if (e instanceof Error && e.message) {
    return { code: "internal", message: e.message, fields: null };
  }
  return { code: "internal", message: "Something went wrong. Try again.", fields: null };
}

/** Runs a generated command, rejecting with a `CommandError` on failure. */
export async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (e) {
    throw new CommandError(toAppError(e));
  }
}
