//! The email: the .eml file and sending it by SMTP.
//!
//! - here, [`build`] and [`eml`] put the message together with lettre:
//!   multipart/alternative (text, then HTML), a Date, a Message-ID in the
//!   sender's domain, headers RFC 2047-encoded where they are not ASCII;
//! - [`recipients`]: a pasted list or a CSV file, read all or nothing;
//! - [`smtp`]: the lead's mail server ([`SmtpSettings`]) and the [`Mailer`]
//!   that talks to it, with every failure in words ([`SendError`]);
//! - [`send`]: [`send_all`], one message per recipient, resumable.

pub mod recipients;
pub mod send;
pub mod smtp;

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, MultiPart};
use lettre::{Address, Message};
use serde::{Deserialize, Serialize};

use crate::rules::{ErrorKind, Kind};

pub use recipients::{parse_recipients, Recipient, RecipientsError};
pub use send::{send_all, DeliveryState, Failure, SendEvent, SendOptions, SendSummary, DEFERRED_ROUNDS};
pub use smtp::{Mailer, Security, SendError, SendErrorKind, SmtpSettings};

/// An announcement as an email, the same for every recipient.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("The sender address “{0}” is not an email address. Fix it in the mail settings and try again.")]
    InvalidFrom(String),
    #[error("The reply-to address “{0}” is not an email address. Fix it or leave it empty, and try again.")]
    InvalidReplyTo(String),
    #[error("The recipient address “{0}” is not an email address. Fix it in the list and import it again.")]
    InvalidTo(String),
    #[error("The email could not be put together. This is a fault in Liftoff; please report it, with the details.")]
    Build(#[source] crate::rules::Cause),
}

impl Kind for MailError {
    fn kind(&self) -> ErrorKind {
        match self {
            MailError::Build(_) => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }
}

/// The message for one recipient, dated `now`.
pub fn build(email: &Email, to: &Recipient, now: DateTime<Utc>) -> Result<Message, MailError> {
    let (builder, _) = headers(email, now)?;
    finish(builder.to(mailbox_of(to)?), email)
}

/// The bytes of an .eml file of the email, for the lead to open in a mail
/// program. `X-Unsent: 1` makes Outlook open it as a draft to send
/// (Thunderbird and Apple Mail open any .eml). Without a recipient the file
/// has no To header, so the mail program asks for one; lettre wants an
/// envelope recipient all the same, so the envelope (which is never written
/// to the file) names the sender.
pub fn eml(email: &Email, to: Option<&Recipient>) -> Result<Vec<u8>, MailError> {
    let (builder, from) = headers(email, Utc::now())?;
    let builder = match to {
        Some(to) => builder.to(mailbox_of(to)?),
        None => builder.envelope(Envelope::new(Some(from.clone()), vec![from]).map_err(|e| MailError::Build(crate::rules::Cause::of(&e)))?),
    };
    let builder = builder.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-Unsent"), "1".to_owned()));
    Ok(finish(builder, email)?.formatted())
}

/// From, Reply-To, Subject, Date and Message-ID; and the sender's address.
fn headers(email: &Email, now: DateTime<Utc>) -> Result<(MessageBuilder, Address), MailError> {
    let from: Address = email.from_address.trim().parse().map_err(|_| MailError::InvalidFrom(shown(&email.from_address)))?;
    // A Message-ID is ASCII; a sender's domain written in another script
    // (not yet punycode) gives way to a neutral one.
    let domain = if from.domain().is_ascii() { from.domain() } else { "liftoff.invalid" };
    let subject = one_line(&email.subject);
    let builder = Message::builder().from(Mailbox::new(name_of(&email.from_name), from.clone()));
    // An ASCII subject that looks like an encoded word (`=?utf-8?q?…?=`)
    // would be written as it is and shown decoded by mail programs:
    // encode it, so they show what was written.
    let builder = if subject.contains("=?") {
        builder.raw_header(HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str("Subject"), subject.clone(), encoded_words(&subject)))
    } else {
        builder.subject(subject)
    };
    let mut builder = builder
        .date(SystemTime::from(now))
        .message_id(Some(format!("<{}@{}>", uuid::Uuid::now_v7().simple(), domain)));
    if let Some(reply_to) = email.reply_to.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        let mailbox = recipients::parse_mailbox(reply_to).ok_or_else(|| MailError::InvalidReplyTo(shown(reply_to)))?;
        builder = builder.reply_to(mailbox);
    }
    Ok((builder, from))
}

fn finish(builder: MessageBuilder, email: &Email) -> Result<Message, MailError> {
    builder
        .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
        .map_err(|e| MailError::Build(crate::rules::Cause::of(&e)))
}

fn mailbox_of(to: &Recipient) -> Result<Mailbox, MailError> {
    let address: Address = to.address.trim().parse().map_err(|_| MailError::InvalidTo(shown(&to.address)))?;
    Ok(Mailbox::new(to.name.as_deref().and_then(name_of), address))
}

/// `text` as RFC 2047 encoded words (UTF-8, base64), each within the
/// 75 characters the RFC allows (and the header's lines within 78),
/// folded onto continuation lines. Only
/// printable ASCII comes out, so nothing in `text` can break the header.
fn encoded_words(text: &str) -> String {
    use base64::Engine;
    let mut words = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        // 36 bytes of UTF-8 make 48 of base64, 60 with the markers: a
        // line with "Subject: " stays within 78 characters.
        let mut cut = rest.len().min(36);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (chunk, after) = rest.split_at(cut);
        words.push(format!("=?utf-8?b?{}?=", base64::engine::general_purpose::STANDARD.encode(chunk)));
        rest = after;
    }
    words.join("\r\n ")
}

/// Text for a header: one line, control characters as spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

fn name_of(name: &str) -> Option<String> {
    Some(one_line(name)).filter(|n| !n.is_empty())
}

/// Some text of the user's, shortened to quote in a message.
fn shown(text: &str) -> String {
    let text = one_line(text);
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(super) fn email() -> Email {
        Email {
            from_name: "Zoë Müller".into(),
            from_address: "releases@example.com".into(),
            reply_to: Some("Support <support@example.com>".into()),
            subject: "Liftoff 2.4 — schneller & größer".into(),
            text: "Hello,\nversion 2.4 is out.\n".into(),
            html: "<p>Hello, version <b>2.4</b> is out.</p>".into(),
        }
    }

    fn lena() -> Recipient {
        Recipient { address: "lena@example.org".into(), name: Some("Léna Fischer".into()), line: 1 }
    }

    fn header_block(bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes).into_owned();
        text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
    }

    #[test]
    fn a_subject_that_looks_like_an_encoded_word_is_read_as_written() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 5).unwrap();
        for subject in ["=?utf-8?q?Reset_your_password_now?=", "Release 2.4 =?iso-8859-1?b?SGk=?= and a very long subject that needs more than one encoded word to be written"] {
            let mut e = email();
            e.subject = subject.into();
            let bytes = build(&e, &lena(), now).unwrap().formatted();
            assert!(bytes.is_ascii());
            let head = header_block(&bytes);
            assert!(head.lines().all(|l| l.len() <= 78), "{head}");
            let parsed = mail_parser::MessageParser::default().parse(&bytes[..]).unwrap();
            assert_eq!(parsed.subject(), Some(subject), "{head}");
        }
    }

    #[test]
    fn a_message_has_encoded_headers_a_date_an_id_and_two_parts() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 5).unwrap();
        let msg = build(&email(), &lena(), now).unwrap();
        let bytes = msg.formatted();
        assert!(bytes.is_ascii(), "a message on the wire is ASCII");
        let head = header_block(&bytes);
        let subject = head.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        assert!(subject.contains("=?utf-8?b?"), "{head}");
        assert!(!head.contains("größer") && !head.contains("Zoë") && !head.contains("Léna"), "{head}");
        assert!(head.contains("<releases@example.com>") && head.contains("<lena@example.org>"), "{head}");
        assert!(head.contains("Date: Sun, 22 Nov 2026 14:30:05 +0000"), "{head}");
        let id = head.lines().find_map(|l| l.strip_prefix("Message-ID: ")).unwrap();
        assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
        assert!(head.contains("Reply-To: Support <support@example.com>"), "{head}");
        assert!(head.contains("multipart/alternative"), "{head}");
        let text = String::from_utf8_lossy(&bytes);
        let plain = text.find("text/plain; charset=utf-8").unwrap();
        let html = text.find("text/html; charset=utf-8").unwrap();
        assert!(plain < html, "text first, then HTML");
        assert_eq!(msg.envelope().to().len(), 1);
    }

    #[test]
    fn header_injection_is_flattened() {
        let mut e = email();
        e.subject = "Hi\r\nBcc: all@example.com".into();
        e.from_name = "Ops\nBcc: x@example.com".into();
        let msg = build(&e, &lena(), Utc::now()).unwrap();
        let head = header_block(&msg.formatted());
        assert!(!head.lines().any(|l| l.starts_with("Bcc:")), "{head}");
    }

    #[test]
    fn an_eml_without_recipient_has_no_to_and_opens_as_draft() {
        let bytes = eml(&email(), None).unwrap();
        let head = header_block(&bytes);
        assert!(head.contains("X-Unsent: 1"), "{head}");
        assert!(!head.lines().any(|l| l.starts_with("To:")), "{head}");
        let with = header_block(&eml(&email(), Some(&lena())).unwrap());
        assert!(with.lines().any(|l| l.starts_with("To:")), "{with}");
    }

    #[test]
    fn a_bad_sender_or_reply_to_is_named() {
        let mut e = email();
        e.from_address = "releases@@example.com".into();
        assert_eq!(build(&e, &lena(), Utc::now()).unwrap_err(), MailError::InvalidFrom("releases@@example.com".into()));
        let mut e = email();
        e.reply_to = Some("nope".into());
        assert!(build(&e, &lena(), Utc::now()).unwrap_err().to_string().contains("“nope”"));
        e.reply_to = Some("  ".into());
        assert!(build(&e, &lena(), Utc::now()).is_ok(), "an empty reply-to is none");
    }
}
