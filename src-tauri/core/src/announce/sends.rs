//! Sends: a test to the lead's own address, a send to an audience, or an
//! export for sending. Each is recorded with the message as it went out and
//! one row per recipient, written before ('sending') and after ('sent' or
//! 'failed') each SMTP transaction, so a resume sends only to those not yet
//! reached, and nobody twice.

use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::drafts::{self, Draft};
use super::mail::{self, DeliveryState, Email, Mailer, Recipient, SendEvent, SendOptions};
use super::render::{Channel, Rendered};
use super::settings::{self, AnnounceSettings};
use super::{record, AnnounceError};
use crate::audit::Actor;
use crate::release::{self as releases, Release, ReleaseState};
use crate::secrets::Keychain;
use crate::store::ChangeKind;
use crate::{clock, credentials, Store};
use crate::store::column::{self, stored_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum SendKind {
    Test,
    Audience,
    Export,
}

stored_text!(SendKind { Test => "test", Audience => "audience", Export => "export" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum SendState {
    Running,
    Done,
    Stopped,
}

stored_text!(SendState { Running => "running", Done => "done", Stopped => "stopped" });

/// One send of a draft (a test, to its audience, or an export) with its
/// tally.
// Not named `Send`: that would shadow the `Send` trait where imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AnnouncementSend {
    pub id: String,
    pub announcement_id: String,
    pub release_id: String,
    pub version: String,
    pub channel: Channel,
    pub kind: SendKind,
    pub audience: String,
    pub started_by: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub state: SendState,
    pub note: String,
    pub total: u32,
    pub sent: u32,
    pub failed: u32,
    /// Left at "sending" when the app stopped mid-message: never resent.
    pub unknown: u32,
    pub pending: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub address: String,
    pub line: u32,
    pub state: String,
    pub error: String,
    pub at: Option<String>,
}

/// SendProgress of a send, as it goes.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendProgress {
    pub send_id: String,
    pub done: u32,
    pub total: u32,
    pub sent: u32,
    pub failed: u32,
    pub current: Option<String>,
}

const SEND_COLUMNS: &str = "s.id, s.announcement_id, s.release_id, r.version, a.channel, s.kind, s.audience, s.started_by, s.started_at,
    s.finished_at, s.state, s.note,
    (SELECT COUNT(*) FROM announce_deliveries d WHERE d.send_id = s.id),
    (SELECT COUNT(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'sent'),
    (SELECT COUNT(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'failed'),
    (SELECT COUNT(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'sending'),
    (SELECT COUNT(*) FROM announce_deliveries d WHERE d.send_id = s.id AND d.state = 'pending')";

fn send_from_row(r: &rusqlite::Row) -> rusqlite::Result<AnnouncementSend> {
    let (id, channel, kind, state): (String, String, String, String) = (r.get(0)?, r.get(4)?, r.get(5)?, r.get(10)?);
    Ok(AnnouncementSend {
        id: r.get(0)?,
        announcement_id: r.get(1)?,
        release_id: r.get(2)?,
        version: r.get(3)?,
        channel: column::text("announcements", &r.get::<_, String>(1)?, "channel", &channel)?,
        kind: column::text("announce_sends", &id, "kind", &kind)?,
        audience: r.get(6)?,
        started_by: r.get(7)?,
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
        state: column::text("announce_sends", &id, "state", &state)?,
        note: r.get(11)?,
        total: r.get(12)?,
        sent: r.get(13)?,
        failed: r.get(14)?,
        unknown: r.get(15)?,
        pending: r.get(16)?,
    })
}

fn sends_where(conn: &Connection, filter: &str, key: &str) -> Result<Vec<AnnouncementSend>, AnnounceError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SEND_COLUMNS} FROM announce_sends s JOIN announcements a ON a.id = s.announcement_id JOIN releases r ON r.id = s.release_id
         WHERE {filter} ORDER BY s.started_at DESC, s.id DESC"
    ))?;
    let rows = stmt.query_map(params![key], send_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The sends of a release, newest first.
pub fn list(store: &Store, release_id: &str) -> Result<Vec<AnnouncementSend>, AnnounceError> {
    sends_where(&*store.reader()?, "s.release_id = ?1", release_id)
}

/// The sends of a project (for the timeline), newest first.
pub fn list_for_project(conn: &Connection, project_id: &str) -> Result<Vec<AnnouncementSend>, AnnounceError> {
    sends_where(conn, "r.project_id = ?1 AND s.kind <> 'test'", project_id)
}

pub fn get(store: &Store, send_id: &str) -> Result<AnnouncementSend, AnnounceError> {
    get_in(&*store.reader()?, send_id)
}

fn get_in(conn: &Connection, send_id: &str) -> Result<AnnouncementSend, AnnounceError> {
    sends_where(conn, "s.id = ?1", send_id)?.into_iter().next().ok_or(AnnounceError::SendNotFound)
}

/// The recipients of a send that were not reached, with why.
pub fn deliveries(store: &Store, send_id: &str) -> Result<Vec<Delivery>, AnnounceError> {
    let conn = store.reader()?;
    let mut stmt = conn.prepare("SELECT address, line, state, error, at FROM announce_deliveries WHERE send_id = ?1 ORDER BY line, address")?;
    let rows = stmt
        .query_map(params![send_id], |r| Ok(Delivery { address: r.get(0)?, line: r.get(1)?, state: r.get(2)?, error: r.get(3)?, at: r.get(4)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// What an email without a sender is refused with.
pub(crate) const NO_SENDER: &str = "The email needs a sender: give the address it comes from under Settings, Sender.";
/// What sending without a mail server is refused with.
pub(crate) const NO_SERVER: &str = "Sending from Liftoff needs your mail server: set it under Settings, Mail server (SMTP). An .eml needs only the sender.";

/// The email a draft makes, from the settings' sender: all an `.eml` needs.
fn email_of(settings: &AnnounceSettings, rendered: &Rendered) -> Result<Email, AnnounceError> {
    if !settings.sender.is_set() {
        return Err(AnnounceError::Refused(NO_SENDER.into()));
    }
    Ok(Email {
        from_name: settings.sender.name.trim().to_owned(),
        from_address: settings.sender.address.trim().to_owned(),
        reply_to: None,
        subject: rendered.text_of("subject").trim().to_owned(),
        text: rendered.text_of_body(),
        html: rendered.email_html(false),
    })
}

fn email_draft(draft: &Draft) -> Result<(), AnnounceError> {
    if draft.channel != Channel::Email {
        return Err(AnnounceError::Refused("Only an email draft is sent by mail. Export or copy the others.".into()));
    }
    Ok(())
}

/// Starts a send: a test to the settings' test address (the draft only has
/// to render), or to the draft's audience (approved, production verified).
/// The recipients already reached by an earlier send of this draft are
/// left out; failed ones are tried again only with `retry_failed`.
pub fn start(store: &Store, draft_id: &str, kind: SendKind, retry_failed: bool, actor: &Actor, now: DateTime<Utc>) -> Result<AnnouncementSend, AnnounceError> {
    store.write(|tx| {
        let (draft, release, rendered) = match kind {
            SendKind::Test => drafts::for_test_in(tx, draft_id)?,
            _ => drafts::ready_in(tx, draft_id)?,
        };
        email_draft(&draft)?;
        let settings = settings::get_in(tx, &release.project_id)?;
        let email = email_of(&settings, &rendered)?;
        if settings.smtp.is_none() {
            return Err(AnnounceError::Refused(NO_SERVER.into()));
        }
        let running: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM announce_sends WHERE announcement_id = ?1 AND state = 'running')",
            params![draft_id],
            |r| r.get(0),
        )?;
        if running {
            return Err(AnnounceError::AlreadySending);
        }
        let recipients: Vec<Recipient> = match kind {
            SendKind::Test => {
                if settings.test_address.is_empty() {
                    return Err(AnnounceError::Refused("Give your own address for test sends in the announcement settings.".into()));
                }
                mail::parse_recipients(&settings.test_address)?
            }
            _ => {
                let all = settings.recipients_of(draft.audience)?;
                let reached = reached_in(tx, draft_id, retry_failed)?;
                all.into_iter().filter(|r| !reached.contains(&r.address.to_lowercase())).collect()
            }
        };
        if recipients.is_empty() {
            return Err(AnnounceError::Refused(match kind {
                SendKind::Test => "There is no test address.".into(),
                _ => format!(
                    "Everyone in {} has been sent this announcement already (or failed; tick “Try failed addresses again”). Add recipients in Settings to send to more.",
                    draft.audience.label().to_lowercase()
                ),
            }));
        }
        let at = clock::to_text(now);
        let id = uuid::Uuid::now_v7().to_string();
        if kind == SendKind::Audience {
            // A resume: the addresses a stopped send never tried move to this one.
            tx.execute(
                "DELETE FROM announce_deliveries WHERE state = 'pending' AND send_id IN
                     (SELECT id FROM announce_sends WHERE announcement_id = ?1 AND kind = 'audience')",
                params![draft_id],
            )?;
        }
        tx.execute(
            "INSERT INTO announce_sends (id, announcement_id, release_id, kind, audience, started_by, started_at, state, subject, text, html)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9, ?10)",
            params![id, draft_id, release.id, kind.as_str(), draft.audience.as_str(), actor.name, at, email.subject, email.text, email.html],
        )?;
        let mut insert = tx.prepare("INSERT OR IGNORE INTO announce_deliveries (send_id, address, name, line, state) VALUES (?1, ?2, ?3, ?4, 'pending')")?;
        for r in &recipients {
            insert.execute(params![id, r.address, r.name, r.line])?;
        }
        tx.changed(ChangeKind::Announcement, Some(&release.project_id), Some(&id));
        get_in(tx, &id)
    })
}

/// Addresses (lower-case) an earlier audience send of this draft reached,
/// or may have reached (left at "sending"), or failed unless retried.
fn reached_in(conn: &Connection, draft_id: &str, retry_failed: bool) -> Result<std::collections::HashSet<String>, AnnounceError> {
    let mut stmt = conn.prepare(
        "SELECT lower(d.address) FROM announce_deliveries d JOIN announce_sends s ON s.id = d.send_id
         WHERE s.announcement_id = ?1 AND s.kind = 'audience' AND (d.state IN ('sent', 'sending') OR (d.state = 'failed' AND NOT ?2))",
    )?;
    let set = stmt.query_map(params![draft_id, retry_failed], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(set)
}

/// Sends what [`start`] prepared, one message per recipient, recording each
/// before and after its SMTP transaction. Blocking: run it off the UI's
/// thread. `extra_root_pem` trusts one more certificate authority (tests).
pub fn run(
    store: &Store,
    keychain: &Keychain,
    send_id: &str,
    cancel: &AtomicBool,
    extra_root_pem: Option<&[u8]>,
    on_progress: &mut dyn FnMut(SendProgress),
    now: impl Fn() -> DateTime<Utc>,
) -> Result<AnnouncementSend, AnnounceError> {
    let (send, settings, email, recipients, project_id) = {
        let conn = store.reader()?;
        let send = get_in(&conn, send_id)?;
        let project_id = crate::release::get_in(&conn, &send.release_id)?.ok_or(AnnounceError::ReleaseNotFound)?.project_id;
        let settings = settings::get_in(&conn, &project_id)?;
        let (subject, text, html): (String, String, String) =
            conn.query_row("SELECT subject, text, html FROM announce_sends WHERE id = ?1", params![send_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let smtp = settings.smtp_settings().ok_or_else(|| AnnounceError::Refused(NO_SERVER.into()))?;
        let email = Email { from_name: smtp.from_name, from_address: smtp.from_address, reply_to: None, subject, text, html };
        let mut stmt = conn.prepare("SELECT address, name, line FROM announce_deliveries WHERE send_id = ?1 AND state = 'pending' ORDER BY line, address")?;
        let recipients = stmt
            .query_map(params![send_id], |r| Ok(Recipient { address: r.get(0)?, name: r.get(1)?, line: r.get(2)? }))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        (send, settings, email, recipients, project_id)
    };
    let outcome = deliver(store, keychain, &send, &settings, &email, &recipients, cancel, extra_root_pem, on_progress, &now);
    let note = match &outcome {
        Ok(summary) => match (&summary.stopped, summary.deferred.as_slice()) {
            (Some(stopped), _) => stopped.clone(),
            (None, []) => String::new(),
            (None, deferred) => format!(
                "{} recipient{} still deferred by their mail server after {} tries ({}). Nothing went out to {}; resume later to try again.",
                deferred.len(),
                if deferred.len() == 1 { " was" } else { "s were" },
                mail::DEFERRED_ROUNDS + 1,
                deferred.iter().take(3).map(|d| d.error.message.as_str()).collect::<Vec<_>>().join(" "),
                if deferred.len() == 1 { "it" } else { "them" }
            ),
        },
        Err(e) => e.to_string(),
    };
    finish(store, &send, &project_id, &note, now())?;
    outcome?;
    get(store, send_id)
}

#[allow(clippy::too_many_arguments)]
fn deliver(
    store: &Store,
    keychain: &Keychain,
    send: &AnnouncementSend,
    settings: &AnnounceSettings,
    email: &Email,
    recipients: &[Recipient],
    cancel: &AtomicBool,
    extra_root_pem: Option<&[u8]>,
    on_progress: &mut dyn FnMut(SendProgress),
    now: &dyn Fn() -> DateTime<Utc>,
) -> Result<mail::SendSummary, AnnounceError> {
    let smtp = settings.smtp_settings().ok_or_else(|| AnnounceError::Refused(NO_SERVER.into()))?;
    let password = match &settings.smtp_credential_id {
        Some(id) => Some(Zeroizing::new(credentials::reveal(store, keychain, id, now())?.expose().to_owned())),
        None => None,
    };
    let mut mailer = Mailer::new(smtp, password)?;
    if let Some(ca) = &settings.ca_certificate {
        mailer = mailer.with_extra_root_certificate(ca.pem.as_bytes())?;
    }
    if let Some(pem) = extra_root_pem {
        mailer = mailer.with_extra_root_certificate(pem)?;
    }
    let total = send.total;
    let mut progress = SendProgress { send_id: send.id.clone(), done: send.sent + send.failed + send.unknown, total, sent: send.sent, failed: send.failed, current: None };
    let mut on_event = |event: SendEvent| -> Result<(), String> {
        let at = clock::to_text(now());
        let (address, state, error) = match &event {
            SendEvent::Sending { address } => (address.as_str(), "sending", String::new()),
            SendEvent::Sent { address } => (address.as_str(), "sent", String::new()),
            SendEvent::Failed { address, error } => (address.as_str(), "failed", error.message.clone()),
            SendEvent::Pending { address } => (address.as_str(), "pending", String::new()),
            // Nothing went out; tried again later in this run and by a resume.
            SendEvent::Deferred { address, error } => (address.as_str(), "pending", error.message.clone()),
            // It may have arrived: it stays "sending", never sent again.
            SendEvent::Unknown { address, error } => (address.as_str(), "sending", error.message.clone()),
        };
        store
            .write_unreported(|tx| {
                // No change event per recipient: the window follows a send
                // over its progress channel, and pages read the send again
                // when it ends (`finish`), not once per message.
                tx.execute(
                    "UPDATE announce_deliveries SET state = ?3, error = ?4, at = ?5 WHERE send_id = ?1 AND address = ?2",
                    params![send.id, address, state, error, at],
                )?;
                Ok::<_, AnnounceError>(())
            })
            .map_err(|e| format!("Liftoff could not record the delivery to {address}, so it stopped: {e}"))?;
        match &event {
            SendEvent::Sending { address } => progress.current = Some(address.clone()),
            SendEvent::Sent { .. } => {
                progress.done += 1;
                progress.sent += 1;
            }
            SendEvent::Failed { .. } => {
                progress.done += 1;
                progress.failed += 1;
            }
            SendEvent::Pending { .. } | SendEvent::Deferred { .. } => progress.current = None,
            SendEvent::Unknown { .. } => progress.done += 1,
        }
        on_progress(progress.clone());
        Ok(())
    };
    // Only the send's pending rows are handed over: those reached by an
    // earlier send were left out when it started.
    let already = |_: &str| DeliveryState::Pending;
    let options = SendOptions { rate_per_minute: settings.rate_per_minute, ..SendOptions::default() };
    Ok(mail::send_all(&mailer, email, recipients, &already, &options, cancel, &mut on_event))
}

/// Ends the send: stopped with its note, or done; an audience send that
/// reached anyone is audited and makes a verified release "released".
fn finish(store: &Store, send: &AnnouncementSend, project_id: &str, note: &str, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    store.write(|tx| {
        let at = clock::to_text(now);
        let pending: i64 =
            tx.query_row("SELECT COUNT(*) FROM announce_deliveries WHERE send_id = ?1 AND state = 'pending'", params![send.id], |r| r.get(0))?;
        let state = if pending > 0 || !note.is_empty() { "stopped" } else { "done" };
        tx.execute("UPDATE announce_sends SET state = ?2, note = ?3, finished_at = ?4 WHERE id = ?1", params![send.id, state, note, at])?;
        let done = get_in(tx, &send.id)?;
        let actor = Actor { person_id: None, name: send.started_by.clone() };
        let what = match send.kind {
            SendKind::Test => "a test of".to_owned(),
            _ => format!("to {} recipients ({})", done.sent, send.audience),
        };
        let mut summary = format!("Sent {what} the {} announcement of {}", send.channel.label().to_lowercase(), send.version);
        if done.failed > 0 {
            summary.push_str(&format!("; {} failed", done.failed));
        }
        if pending > 0 {
            summary.push_str(&format!("; {pending} not sent yet (stopped)"));
        }
        let action = if send.kind == SendKind::Test { "announcement.testSent" } else { "announcement.sent" };
        record(tx, &actor, &at, project_id, &send.release_id, action, summary, note)?;
        if send.kind == SendKind::Audience && done.sent > 0 {
            went_out_in(tx, &send.release_id, &actor, now)?;
        }
        tx.changed(ChangeKind::Announcement, Some(project_id), Some(&send.id));
        Ok(())
    })
}

/// The announcement went out: a verified release becomes released.
fn went_out_in(tx: &Connection, release_id: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    if let Some(release) = releases::get_in(tx, release_id)? {
        if release.state == ReleaseState::Verified {
            releases::set_state_in(tx, release_id, ReleaseState::Released, "the announcement went out", actor, now, now.date_naive())?;
        }
    }
    Ok(())
}

/// What an export gives: a file name and its bytes.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Export {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The kinds of file a draft exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    /// An email draft (.eml) that mail programs open.
    Eml,
    /// The in-app notification as JSON.
    InAppJson,
    /// The release-notes feed (Atom).
    Atom,
    /// Release notes as Markdown (a drafting aid: not gated).
    Markdown,
    /// Release notes as HTML (a drafting aid: not gated).
    Html,
}

/// Exports the draft. Files that go to users (.eml, the in-app JSON, the
/// feed) need the approval and a verified production, are recorded as
/// sends and make a verified release "released"; release-notes files are
/// drafting aids and are not gated.
pub fn export(store: &Store, draft_id: &str, format: ExportFormat, actor: &Actor, now: DateTime<Utc>) -> Result<Export, AnnounceError> {
    store.write(|tx| {
        let for_users = matches!(format, ExportFormat::Eml | ExportFormat::InAppJson | ExportFormat::Atom);
        let (draft, release, rendered) = if for_users { drafts::ready_in(tx, draft_id)? } else { drafts::for_test_in(tx, draft_id)? };
        let settings = settings::get_in(tx, &release.project_id)?;
        let file_name = file_name(&release, format);
        let bytes = match format {
            ExportFormat::Eml => {
                email_draft(&draft)?;
                mail::eml(&email_of(&settings, &rendered)?, None)?
            }
            ExportFormat::InAppJson => rendered.in_app_json(&release, now).into_bytes(),
            ExportFormat::Atom => rendered.atom(&release, &settings, now).into_bytes(),
            ExportFormat::Markdown => rendered.main_markdown().into_bytes(),
            ExportFormat::Html => rendered.html_document().into_bytes(),
        };
        // Every output is recorded, ungated ones too: a rollback drafts a
        // correction for whoever may have heard (see `announce::release_pulled_in`).
        record_output(tx, &draft, &release, &file_name, actor, now)?;
        if for_users {
            went_out_in(tx, &release.id, actor, now)?;
        }
        Ok(Export { file_name, bytes })
    })
}

/// Whether the draft exports to `format` now, checked as [`export`] checks
/// it but without writing anything: asked before the Save dialog opens,
/// so that a lead never picks a file for an export that is refused.
pub fn check_export(store: &Store, draft_id: &str, format: ExportFormat) -> Result<(), AnnounceError> {
    let conn = store.reader()?;
    let for_users = matches!(format, ExportFormat::Eml | ExportFormat::InAppJson | ExportFormat::Atom);
    let (draft, release, rendered) = if for_users { drafts::ready_in(&conn, draft_id)? } else { drafts::for_test_in(&conn, draft_id)? };
    if format == ExportFormat::Eml {
        email_draft(&draft)?;
        email_of(&settings::get_in(&conn, &release.project_id)?, &rendered)?;
    }
    Ok(())
}

fn file_name(release: &Release, format: ExportFormat) -> String {
    let v: String = release.version.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect();
    let suffix = match format {
        ExportFormat::Eml => ".eml",
        ExportFormat::InAppJson => "-in-app.json",
        ExportFormat::Atom => ".atom",
        ExportFormat::Markdown => "-release-notes.md",
        ExportFormat::Html => "-release-notes.html",
    };
    format!("release-{v}{suffix}")
}

/// Sends left running by an app that stopped: marked stopped at start-up,
/// so that a resume picks them up. Their "sending" rows stay unknown.
pub fn recover_interrupted(store: &Store, now: DateTime<Utc>) -> Result<u32, AnnounceError> {
    let any: bool = store.reader()?.query_row("SELECT EXISTS (SELECT 1 FROM announce_sends WHERE state = 'running')", [], |r| r.get(0))?;
    if !any {
        return Ok(0);
    }
    store.write(|tx| {
        let n = tx.execute(
            "UPDATE announce_sends SET state = 'stopped', finished_at = ?1,
                 note = 'Liftoff stopped while sending. Resume to send to the rest; an address it was sending to at that moment is not sent again.'
             WHERE state = 'running'",
            params![clock::to_text(now)],
        )?;
        Ok(n as u32)
    })
}

/// The file name an export of the draft gets.
pub fn export_name(store: &Store, draft_id: &str, format: ExportFormat) -> Result<String, AnnounceError> {
    let conn = store.reader()?;
    let (_, release, _) = drafts::for_test_in(&conn, draft_id)?;
    Ok(file_name(&release, format))
}

/// The draft's message for copying: `markdown`, `html` or `text`. A
/// drafting aid, like the release-notes file: not gated, but recorded, as
/// what is copied may reach users.
pub fn copy_text(store: &Store, draft_id: &str, format: &str, actor: &Actor, now: DateTime<Utc>) -> Result<String, AnnounceError> {
    store.write(|tx| {
        let (draft, release, rendered) = drafts::for_test_in(tx, draft_id)?;
        let (text, what) = match format {
            "html" => (rendered.main_html(), "HTML"),
            "text" => (rendered.text_of_body(), "plain text"),
            _ => (rendered.main_markdown(), "Markdown"),
        };
        record_output(tx, &draft, &release, &format!("copied as {what}"), actor, now)?;
        Ok(text)
    })
}

/// Records that an output of the draft left Liftoff (a file, a copy): as an
/// "export" row of its sends and in the audit log.
fn record_output(tx: &Connection, draft: &Draft, release: &Release, what: &str, actor: &Actor, now: DateTime<Utc>) -> Result<(), AnnounceError> {
    let at = clock::to_text(now);
    tx.execute(
        "INSERT INTO announce_sends (id, announcement_id, release_id, kind, audience, started_by, started_at, finished_at, state, subject, text, html)
         VALUES (?1, ?2, ?3, 'export', ?4, ?5, ?6, ?6, 'done', ?7, '', '')",
        params![uuid::Uuid::now_v7().to_string(), draft.id, release.id, draft.audience.as_str(), actor.name, at, what],
    )?;
    record(
        tx,
        actor,
        &at,
        &release.project_id,
        &release.id,
        "announcement.exported",
        format!("Exported the {} announcement of {} for {}: {what}", draft.channel.label().to_lowercase(), release.version, draft.audience.label().to_lowercase()),
        "",
    )?;
    Ok(())
}
