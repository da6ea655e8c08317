// The announcement domain's commands: change items, drafts, their words,
// settings, sends. Pages call these (never the commands) and follow the
// "announcement" change events of their project.

import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type AnnounceSettings,
  type Audience,
  type ExportFormat,
  type ItemEdit,
  type Medium,
  type SendKind,
  type SendProgress,
  type WordsEdit,
} from "./bindings";
import { call } from "./ipc";

export const announcements = {
  settings: (projectId: string) => call(() => commands.announceSettings(projectId)),
  setSettings: (projectId: string, settings: AnnounceSettings, actor: string | null) =>
    call(() => commands.setAnnounceSettings(projectId, settings, actor)),
  readRecipientsFile: (path: string) => call(() => commands.readRecipientsFile(path)),
  readCaCertificate: (path: string) => call(() => commands.readCaCertificate(path)),
  overview: (releaseId: string) => call(() => commands.announcementsOverview(releaseId)),
  overrideGate: (releaseId: string, decidedBy: string, reason: string, actor: string | null) => call(() => commands.overrideAnnounceGate(releaseId, decidedBy, reason, actor)),
  changeItems: (releaseId: string) => call(() => commands.changeItems(releaseId)),
  readChanges: (releaseId: string, from: string | null, to: string | null, actor: string | null) => call(() => commands.readChanges(releaseId, from, to, actor)),
  addChangeItem: (releaseId: string, edit: ItemEdit, actor: string | null) => call(() => commands.addChangeItem(releaseId, edit, actor)),
  updateChangeItem: (itemId: string, edit: ItemEdit, actor: string | null) => call(() => commands.updateChangeItem(itemId, edit, actor)),
  deleteChangeItem: (itemId: string, actor: string | null) => call(() => commands.deleteChangeItem(itemId, actor)),
  draftView: (draftId: string) => call(() => commands.draftView(draftId)),
  createDraft: (releaseId: string, channel: Medium, audience: Audience, actor: string | null) => call(() => commands.createDraft(releaseId, channel, audience, actor)),
  updateDraft: (draftId: string, parts: { [key in string]: string }, actor: string | null) => call(() => commands.updateDraft(draftId, parts, actor)),
  setDraftWords: (draftId: string, edits: WordsEdit[], actor: string | null) => call(() => commands.setDraftWords(draftId, edits, actor)),
  keepDraftWords: (draftId: string, part: string, piece: number, actor: string | null) => call(() => commands.keepDraftWords(draftId, part, piece, actor)),
  useTemplateWords: (draftId: string, part: string, piece: number, actor: string | null) => call(() => commands.useTemplateWords(draftId, part, piece, actor)),
  resetDraft: (draftId: string, actor: string | null) => call(() => commands.resetDraft(draftId, actor)),
  saveProjectTemplate: (draftId: string, actor: string | null) => call(() => commands.saveProjectTemplate(draftId, actor)),
  setDraftReviewer: (draftId: string, personId: string | null, actor: string | null) => call(() => commands.setDraftReviewer(draftId, personId, actor)),
  approveDraft: (draftId: string, actor: string | null) => call(() => commands.approveDraft(draftId, actor)),
  templateVariables: () => call(() => commands.templateVariables()),
  suggestedPath: (draftId: string, format: ExportFormat) => call(() => commands.suggestedAnnouncementPath(draftId, format)),
  exportDraft: (draftId: string, format: ExportFormat, path: string, actor: string | null) => call(() => commands.exportDraft(draftId, format, path, actor)),
  copyText: (draftId: string, format: string, actor: string | null) => call(() => commands.copyText(draftId, format, actor)),
  startSend: (draftId: string, kind: SendKind, retryFailed: boolean, actor: string | null, progress: Channel<SendProgress>) =>
    call(() => commands.startSend(draftId, kind, retryFailed, actor, progress)),
  cancelSend: (sendId: string) => call(() => commands.cancelSend(sendId)),
  deliveries: (sendId: string) => call(() => commands.sendDeliveries(sendId)),
};
