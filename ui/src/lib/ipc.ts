// The one door to the backend. Every command goes through `call`, which turns
// whatever a rejected invoke carries (the command's `{ code, message,
// fields, detail }`, or a bare string from Tauri itself, such as an ACL
// denial) into one `AppError` shape. `message` is for the user; `detail` is
// technical text (a parser's or the OS's words) for "Details".

import type { AppError, ErrorCode } from "./bindings";

export type { AppError, ErrorCode };

export class CommandError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, string>;
  readonly detail: string | null;

  constructor(error: AppError) {
    super(error.message);
    this.name = "CommandError";
    this.code = error.code;
    this.fields = normalizeFields(error.fields);
    this.detail = error.detail ?? null;
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
  "damaged",
  "startup",
  "conflict",
  "cancelled",
  "external",
  "internal",
];

export function toAppError(e: unknown): AppError {
  if (e instanceof CommandError) {
    return { code: e.code, message: e.message, fields: e.fields, detail: e.detail };
  }
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message, fields, detail } = e as { code: unknown; message: unknown; fields?: unknown; detail?: unknown };
    if (typeof message === "string" && CODES.includes(code as ErrorCode)) {
      return {
        code: code as ErrorCode,
        message,
        fields: (fields ?? null) as AppError["fields"],
        detail: typeof detail === "string" && detail ? detail : null,
      };
    }
  }
  if (typeof e === "string" && e.length > 0) {
    // Tauri's own refusals (an ACL denial, a command it cannot find) are a
    // fault in Liftoff, not something the user can fix.
    return { code: "internal", message: "Liftoff refused the request (an internal error). Restart Liftoff; if it happens again, report it.", fields: null, detail: e };
  }
  if (e instanceof Error && e.message) {
    return { code: "internal", message: e.message, fields: null, detail: null };
  }
  return { code: "internal", message: "Something went wrong. Try again.", fields: null, detail: null };
}

/** Runs a generated command, rejecting with a `CommandError` on failure. */
export async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (e) {
    throw new CommandError(toAppError(e));
  }
}
