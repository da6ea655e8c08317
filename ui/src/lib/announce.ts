// Labels and small helpers of the Announcements page.
import type { Audience, Category, ExportFormat, GateStage, Medium as Channel, Need, NeedKind, SendKind } from "./bindings";

export const CHANNELS: Channel[] = ["email", "inApp", "social", "releaseNotes"];
export const CHANNEL_LABEL: Record<Channel, string> = {
  email: "Email newsletter",
  inApp: "In-app notification",
  social: "Social post",
  releaseNotes: "Release notes",
};

export const AUDIENCES: Audience[] = ["endUsers", "admins", "developers", "internal"];
export const AUDIENCE_LABEL: Record<Audience, string> = {
  endUsers: "End users",
  admins: "Admins",
  developers: "Developers and API users",
  internal: "Internal",
};

export const CATEGORIES: Category[] = ["new", "improved", "fixed", "breaking", "deprecated", "security"];
export const CATEGORY_LABEL: Record<Category, string> = {
  new: "New",
  improved: "Improved",
  fixed: "Fixed",
  breaking: "Breaking",
  deprecated: "Deprecated",
  security: "Security",
};

export const SEND_KIND_LABEL: Record<SendKind, string> = {
  test: "Test send",
  audience: "Sent",
  export: "Exported",
};

// What each channel exports to, and whether the file goes to users (then
// it needs the approval and a verified production).
export const EXPORTS: Record<Channel, { format: ExportFormat; label: string; toUsers: boolean }[]> = {
  email: [{ format: "eml", label: "Export .eml (opens as a draft in your mail program)", toUsers: true }],
  inApp: [
    { format: "inAppJson", label: "Export in-app JSON", toUsers: true },
    { format: "atom", label: "Export release-notes feed (Atom)", toUsers: true },
  ],
  social: [],
  releaseNotes: [
    { format: "markdown", label: "Save Markdown (CHANGELOG, docs)", toUsers: false },
    { format: "html", label: "Save HTML", toUsers: false },
  ],
};

// Part names as the editor labels them.
export const PART_LABEL: Record<string, string> = {
  subject: "Subject",
  preheader: "Preheader (the line mail programs show after the subject)",
  body: "Body (Markdown)",
  text: "Text",
  link: "Link",
};

// The parts of each channel in editing order.
export const PARTS: Record<Channel, string[]> = {
  email: ["subject", "preheader", "body"],
  inApp: ["text", "link"],
  social: ["text"],
  releaseNotes: ["body"],
};

// Parts written on one line (an input rather than a text area).
export const PART_ONE_LINE: Record<string, boolean> = { subject: true, preheader: true, link: true };

// The key of a piece of the draft's words in the editor's unsaved edits.
export function pieceKey(part: string, piece: number): string {
  return `${part}:${piece}`;
}

// What each way out of a draft waits for (besides the release's gate,
// which has its own sentence): the kinds of DraftView.needs.
export const NEEDED_BY: Record<"approve" | "eml" | "usersFile" | "test" | "audience", NeedKind[]> = {
  approve: ["template", "sender"],
  eml: ["template", "approval", "sender"],
  usersFile: ["template", "approval"],
  test: ["template", "sender", "server", "testAddress"],
  audience: ["template", "approval", "sender", "server", "recipients"],
};

/** What `way` still waits for, as a sentence ("Needs …."), or "" when nothing. */
export function needsSentence(needs: Need[], way: keyof typeof NEEDED_BY): string {
  const list = needs.filter((n) => NEEDED_BY[way].includes(n.kind)).map((n) => n.text);
  return list.length ? `Needs ${list.join("; ")}.` : "";
}

// The gate panel's heading for each stage (its sentence comes from the core).
export const GATE_HEADING: Record<GateStage, string> = {
  verified: "Ready to go out.",
  overridden: "Going out before it is verified.",
  notVerified: "Not yet.",
  rolledBack: "Rolled back.",
  rolledBackAfterAnnouncing: "Rolled back after it was announced.",
  cancelled: "Cancelled.",
  correctionDue: "Correction due.",
  correctionNotNeeded: "Correction not needed.",
};
