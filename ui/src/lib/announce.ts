// Labels and small helpers of the Announcements page.
import type { Audience, Category, ExportFormat, Medium as Channel, SendKind } from "./bindings";

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
