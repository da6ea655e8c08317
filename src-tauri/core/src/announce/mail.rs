//! The email: the .eml file and sending it by SMTP.
//!
//! - [`build`] and [`eml`] put the message together with lettre:
//!   multipart/alternative (text, then HTML), a Date, a Message-ID in the
//!   sender's domain, headers RFC 2047-encoded where they are not ASCII.
//! - [`parse_recipients`] reads a pasted list or a CSV file, all or nothing.
//! - [`SmtpSettings`] and [`Mailer`] talk to the lead's mail server, and
//!   [`send_all`] sends the announcement, one message per recipient.
//!
//! The SMTP password is held in [`Zeroizing`] and goes to lettre only for the
//! AUTH command; every text built from a server's reply is scrubbed of it
//! (raw and as AUTH PLAIN/LOGIN would send it) before it is shown.
//!
//! The SMTP dialogue is driven step by step over lettre's `SmtpConnection`
//! (the connection `SmtpTransport` uses inside) rather than by
//! `SmtpTransport::send`, because only the step tells what a refusal means:
//! a 550 to RCPT TO is that recipient's alone, a 553 to MAIL FROM stops the
//! run, and a connection lost after the message's last byte leaves its fate
//! unknown where one lost before DATA leaves it unsent. One connection (one
//! login) carries the whole run; it is checked with NOOP before each message
//! and opened again when the server has closed it.

use std::collections::HashSet;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Quit, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{Address, Message};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::rules::{is_one_line, ErrorKind, FieldErrors, Kind};

// ---------------------------------------------------------------------------
// The message

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
    #[error("The email could not be put together ({0}). This is a fault in Liftoff; please report it.")]
    Build(String),
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
        None => builder.envelope(Envelope::new(Some(from.clone()), vec![from]).map_err(|e| MailError::Build(e.to_string()))?),
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
    let mut builder = Message::builder()
        .from(Mailbox::new(name_of(&email.from_name), from.clone()))
        .subject(one_line(&email.subject))
        .date(SystemTime::from(now))
        .message_id(Some(format!("<{}@{}>", uuid::Uuid::now_v7().simple(), domain)));
    if let Some(reply_to) = email.reply_to.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        let mailbox = parse_mailbox(reply_to).ok_or_else(|| MailError::InvalidReplyTo(shown(reply_to)))?;
        builder = builder.reply_to(mailbox);
    }
    Ok((builder, from))
}

fn finish(builder: MessageBuilder, email: &Email) -> Result<Message, MailError> {
    builder
        .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
        .map_err(|e| MailError::Build(e.to_string()))
}

fn mailbox_of(to: &Recipient) -> Result<Mailbox, MailError> {
    let address: Address = to.address.trim().parse().map_err(|_| MailError::InvalidTo(shown(&to.address)))?;
    Ok(Mailbox::new(to.name.as_deref().and_then(name_of), address))
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

// ---------------------------------------------------------------------------
// Recipients

/// One recipient, as imported: `line` is where it was (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub address: String,
    pub name: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipientsError {
    #[error("Line {line}: “{text}” is not an email address. Fix it and import again; nothing was sent.")]
    InvalidAddress { line: u32, text: String },
    #[error("Line {line} has no email address in the “{column}” column. Fill it in or delete the line, and import again; nothing was sent.")]
    MissingAddress { line: u32, column: String },
    #[error("Line {line} cannot be read as CSV ({reason}). Fix it and import again; nothing was sent.")]
    Csv { line: u32, reason: String },
    #[error("The first line looks like column names, but none of them is “email”. Name the column of addresses “email” and import again; nothing was sent.")]
    NoEmailColumn,
    #[error("No email addresses were found. Paste one address per line, or a CSV file with an “email” column.")]
    Empty,
}

impl Kind for RecipientsError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

/// Column names that hold the address, and the name, in a CSV file.
const ADDRESS_COLUMNS: [&str; 6] = ["email", "e-mail", "address", "email address", "e-mail address", "mail"];
const NAME_COLUMNS: [&str; 3] = ["name", "full name", "display name"];

/// The recipients in `text`: either a list (one per line, or separated by
/// commas or semicolons; `Name <a@b>` forms; blank lines and `#` comments
/// skipped) or a CSV file whose first line names an `email` column (or
/// `address`, `e-mail`) and perhaps a `name` column. Addresses repeated in
/// any case are kept once, the first time. One invalid line refuses all.
pub fn parse_recipients(text: &str) -> Result<Vec<Recipient>, RecipientsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')) else {
        return Err(RecipientsError::Empty);
    };
    let mut found = Vec::new();
    if first.contains('@') {
        parse_list(text, &mut found)?;
    } else if let Some((delimiter, columns)) = csv_header(first) {
        parse_csv(text, delimiter, columns, &mut found)?;
    } else if [',', ';', '\t'].iter().any(|d| first.contains(*d)) {
        return Err(RecipientsError::NoEmailColumn);
    } else {
        parse_list(text, &mut found)?;
    }
    let mut seen = HashSet::new();
    found.retain(|r: &Recipient| seen.insert(r.address.to_lowercase()));
    if found.is_empty() {
        return Err(RecipientsError::Empty);
    }
    Ok(found)
}

/// The columns of the address and the name when `line` is a CSV header.
fn csv_header(line: &str) -> Option<(u8, (usize, Option<usize>))> {
    for delimiter in [b',', b';', b'\t'] {
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(line.as_bytes());
        let Some(Ok(record)) = reader.records().next() else { continue };
        let names: Vec<String> = record.iter().map(|f| f.trim().to_lowercase()).collect();
        if let Some(address) = names.iter().position(|n| ADDRESS_COLUMNS.contains(&n.as_str())) {
            let name = names.iter().position(|n| NAME_COLUMNS.contains(&n.as_str()));
            return Some((delimiter, (address, name)));
        }
    }
    None
}

fn parse_csv(text: &str, delimiter: u8, (address_column, name_column): (usize, Option<usize>), found: &mut Vec<Recipient>) -> Result<(), RecipientsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let column = reader.headers().ok().and_then(|h| h.get(address_column)).unwrap_or("email").to_owned();
    for record in reader.records() {
        let record = record.map_err(|e| RecipientsError::Csv {
            line: e.position().map_or(0, |p| line_number(p.line())),
            reason: csv_reason(&e),
        })?;
        let line = record.position().map_or(0, |p| line_number(p.line()));
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = record.get(address_column).unwrap_or("");
        if cell.is_empty() {
            return Err(RecipientsError::MissingAddress { line, column: column.clone() });
        }
        let mut recipient = parse_one(cell, line)?;
        if let Some(name) = name_column.and_then(|c| record.get(c)).and_then(name_of) {
            recipient.name = Some(name);
        }
        found.push(recipient);
    }
    Ok(())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text; save the file as CSV UTF-8".to_owned(),
        _ => shown(&e.to_string()),
    }
}

fn line_number(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

fn parse_list(text: &str, found: &mut Vec<Recipient>) -> Result<(), RecipientsError> {
    for (index, line) in text.lines().enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        for item in split_list(trimmed) {
            let item = item.trim();
            if !item.is_empty() {
                found.push(parse_one(item, line_no)?);
            }
        }
    }
    Ok(())
}

/// `text` cut at commas and semicolons outside quotes and angle brackets, so
/// that `"Fischer, Lena" <lena@example.com>` stays whole.
fn split_list(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut angle, mut escaped) = (Vec::new(), 0, false, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' | ';' if !quoted && !angle => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_one(text: &str, line: u32) -> Result<Recipient, RecipientsError> {
    let mailbox = parse_mailbox(text).ok_or_else(|| RecipientsError::InvalidAddress { line, text: shown(text) })?;
    Ok(Recipient { address: mailbox.email.to_string(), name: mailbox.name, line })
}

/// `a@b`, `<a@b>`, `Name <a@b>` or `"Name, Title" <a@b>`: the whole text,
/// nothing left over (lettre's own mailbox parser ignores what trails).
fn parse_mailbox(text: &str) -> Option<Mailbox> {
    let text = text.trim();
    let (name, address) = match text.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
        Some((name, address)) => (unquote(name.trim()), address.trim()),
        None => (None, text),
    };
    let address: Address = address.parse().ok()?;
    Some(Mailbox::new(name, address))
}

fn unquote(name: &str) -> Option<String> {
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => name.to_owned(),
    };
    name_of(&name)
}

// ---------------------------------------------------------------------------
// Settings

/// How the connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS before anything else (587).
    #[default]
    StartTls,
    /// TLS from the first byte (465).
    Tls,
    /// No encryption: only to a relay on this computer.
    Plain,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// The lead's mail server; the password is kept in the keychain, not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Empty when the server takes mail without a login.
    pub username: String,
    pub from_name: String,
    pub from_address: String,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: String::new(),
            port: Security::StartTls.default_port(),
            security: Security::StartTls,
            username: String::new(),
            from_name: String::new(),
            from_address: String::new(),
        }
    }
}

/// Hosts that may be reached without encryption.
fn is_local(host: &str) -> bool {
    matches!(host.trim().to_ascii_lowercase().as_str(), "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

impl SmtpSettings {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let host = self.host.trim();
        if host.is_empty() || host.len() > 253 || host.contains("://") || host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
            errors.insert("host".into(), "Enter the mail server’s host name, such as smtp.example.com.".into());
        } else if self.security == Security::Plain && !is_local(host) {
            errors.insert(
                "security".into(),
                "Sending without encryption is allowed only to this computer (localhost). Choose STARTTLS (port 587) or TLS (port 465).".into(),
            );
        }
        if self.port == 0 {
            errors.insert("port".into(), "Enter a port from 1 to 65535: 587 for STARTTLS, 465 for TLS.".into());
        }
        if !is_one_line(&self.username, 320) {
            errors.insert("username".into(), "Keep the user name on one line, under 320 characters.".into());
        }
        if !is_one_line(&self.from_name, 100) {
            errors.insert("fromName".into(), "Keep the sender name on one line, under 100 characters.".into());
        }
        if self.from_address.trim().parse::<Address>().is_err() {
            errors.insert("fromAddress".into(), "Enter the address the email comes from, such as releases@example.com.".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

// ---------------------------------------------------------------------------
// Errors of sending

/// What went wrong, for the window to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum SendErrorKind {
    /// The settings are incomplete or refused.
    Settings,
    /// The host name could not be found.
    Dns,
    /// Nothing answered, or the connection was lost.
    Connection,
    Timeout,
    Tls,
    /// The login was refused or is missing.
    Login,
    /// The server refused the From address.
    Sender,
    /// The server refused this recipient's address.
    Recipient,
    /// The server refused this recipient's message.
    Message,
    /// The server asked to try again later (4xx).
    Temporary,
    /// The server said something the client does not understand.
    Protocol,
}

/// A sending failure in words: what happened, with the server's reply
/// (never the password), and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct SendError {
    pub kind: SendErrorKind,
    pub message: String,
    /// The SMTP reply code, when the server answered with one.
    pub code: Option<u16>,
    /// Only this recipient failed, for good; the run goes on. Otherwise the
    /// error stops the run (login, connection, sender refused…).
    pub recipient_refused: bool,
}

impl SendError {
    fn new(kind: SendErrorKind, code: Option<u16>, message: String) -> Self {
        let recipient_refused = matches!(kind, SendErrorKind::Recipient | SendErrorKind::Message);
        SendError { kind, message, code, recipient_refused }
    }
}

impl Kind for SendError {
    fn kind(&self) -> ErrorKind {
        match self.kind {
            SendErrorKind::Settings => ErrorKind::Invalid,
            _ => ErrorKind::External,
        }
    }
}

/// Where in the dialogue an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Connect,
    StartTls,
    Login,
    Sender,
    Recipient,
    Data,
    /// After the message's bytes went out: the server may have taken it.
    Body,
}

type SmtpError = lettre::transport::smtp::Error;

fn is_ascii(address: &Address) -> bool {
    AsRef::<str>::as_ref(address).is_ascii()
}

fn io_error_of(e: &SmtpError) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = err.source();
    }
    None
}

fn is_timeout(e: &SmtpError) -> bool {
    // A socket read timeout is EAGAIN (WouldBlock) on Unix, TimedOut elsewhere.
    io_error_of(e).is_some_and(|io| matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock))
}

/// The reason lettre gives beneath its own words: the server's reply text,
/// or the OS's or the TLS library's error.
fn reason_of(e: &SmtpError) -> String {
    let reason = std::error::Error::source(e).map_or_else(|| e.to_string(), |s| s.to_string());
    let reason = one_line(&reason);
    match reason.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &reason[..i]),
        None => reason,
    }
}

// ---------------------------------------------------------------------------
// The mailer

/// The connection settings and the password, ready to talk to the server.
pub struct Mailer {
    settings: SmtpSettings,
    password: Option<Zeroizing<String>>,
    extra_roots: Vec<Vec<u8>>,
    timeout: Duration,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// How the run ended for one message.
enum Outcome {
    Sent,
    /// Refused for this recipient alone.
    Refused(SendError),
    /// Not sent, and the run stops; `retry` when a fresh connection may help.
    NotSent { error: SendError, retry: bool },
    /// The message may or may not have been taken; the run stops.
    Unknown(SendError),
}

impl Mailer {
    /// How long to wait for the server at each step.
    pub const TIMEOUT: Duration = Duration::from_secs(30);

    /// A mailer for valid `settings`; `password` is needed when the settings
    /// name a user.
    pub fn new(settings: SmtpSettings, password: Option<Zeroizing<String>>) -> Result<Mailer, SendError> {
        settings
            .validate()
            .map_err(|errors| SendError::new(SendErrorKind::Settings, None, format!("{} Fix the mail settings and try again.", crate::rules::summarize(&errors))))?;
        Ok(Mailer { settings, password, extra_roots: Vec::new(), timeout: Self::TIMEOUT })
    }

    /// Also trusts this certificate authority (PEM), besides the system's:
    /// for a company's own CA, and for the tests.
    pub fn with_extra_root_certificate(mut self, pem: &[u8]) -> Result<Mailer, SendError> {
        Certificate::from_pem(pem).map_err(|e| {
            SendError::new(SendErrorKind::Settings, None, format!("The extra root certificate cannot be read ({}). Give a PEM file (“-----BEGIN CERTIFICATE-----”).", reason_of(&e)))
        })?;
        self.extra_roots.push(pem.to_vec());
        Ok(self)
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Mailer {
        self.timeout = timeout;
        self
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// Connects, sets up TLS and logs in as a send would, then says goodbye.
    pub fn test_connection(&self) -> Result<(), SendError> {
        let mut conn = self.connect()?;
        let _ = conn.command(Quit);
        Ok(())
    }

    /// Sends one message on a connection of its own.
    pub fn send(&self, msg: &Message) -> Result<(), SendError> {
        let mut conn = self.connect()?;
        let outcome = self.transaction(&mut conn, msg);
        let _ = conn.command(Quit);
        match outcome {
            Outcome::Sent => Ok(()),
            Outcome::Refused(e) | Outcome::NotSent { error: e, .. } | Outcome::Unknown(e) => Err(e),
        }
    }

    fn host(&self) -> &str {
        self.settings.host.trim()
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SendError> {
        let mut builder = TlsParameters::builder(self.host().trim_start_matches('[').trim_end_matches(']').to_owned());
        for pem in &self.extra_roots {
            let cert = Certificate::from_pem(pem).map_err(|e| self.error(Step::Connect, &e, None))?;
            builder = builder.add_root_certificate(cert);
        }
        builder.build().map_err(|e| self.error(Step::Connect, &e, None))
    }

    /// An open, encrypted (unless Plain) and logged-in connection.
    fn connect(&self) -> Result<SmtpConnection, SendError> {
        let (host, port) = (self.host(), self.settings.port);
        let addresses: Vec<SocketAddr> = (host.trim_start_matches('[').trim_end_matches(']'), port)
            .to_socket_addrs()
            .map_err(|e| self.dns_error(&e.to_string()))?
            .collect();
        if addresses.is_empty() {
            return Err(self.dns_error("no address"));
        }
        let tls = match self.settings.security {
            Security::Plain => None,
            Security::StartTls | Security::Tls => Some(self.tls_parameters()?),
        };
        let hello = ClientId::default();
        let wrapper = if self.settings.security == Security::Tls { tls.as_ref() } else { None };
        let mut conn = SmtpConnection::connect(&addresses[..], Some(self.timeout), &hello, wrapper, None)
            .map_err(|e| self.error(Step::Connect, &e, None))?;
        if let (Security::StartTls, Some(tls)) = (self.settings.security, &tls) {
            if !conn.can_starttls() {
                conn.abort();
                return Err(SendError::new(
                    SendErrorKind::Tls,
                    None,
                    format!("{host} does not offer STARTTLS on port {port}, so the connection would not be encrypted. Check the port and security setting (587 STARTTLS, 465 TLS)."),
                ));
            }
            conn.starttls(tls, &hello).map_err(|e| self.error(Step::StartTls, &e, None))?;
        }
        if !self.settings.username.is_empty() {
            let Some(password) = self.password.as_ref().filter(|p| !p.is_empty()) else {
                conn.abort();
                return Err(SendError::new(
                    SendErrorKind::Login,
                    None,
                    format!("No password is kept in the keychain for the SMTP user “{}”. Enter it in the mail settings and try again.", shown(&self.settings.username)),
                ));
            };
            // lettre's Credentials holds its own copy for the AUTH command;
            // it lives only as long as this call.
            let credentials = Credentials::new(self.settings.username.clone(), password.as_str().to_owned());
            let result = conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials);
            drop(credentials);
            if let Err(e) = result {
                conn.abort();
                return Err(self.error(Step::Login, &e, None));
            }
        }
        Ok(conn)
    }

    /// One SMTP transaction: MAIL FROM, RCPT TO, DATA, the message.
    fn transaction(&self, conn: &mut SmtpConnection, msg: &Message) -> Outcome {
        let envelope = msg.envelope();
        let to = envelope.to().first().map(|a| a.to_string());
        let to = to.as_deref();
        let bytes = msg.formatted();
        let server = conn.server_info();
        let mut parameters = Vec::new();
        let non_ascii = envelope.from().is_some_and(|a| !is_ascii(a)) || envelope.to().iter().any(|a| !is_ascii(a));
        if non_ascii {
            if !server.supports_feature(Extension::SmtpUtfEight) {
                let error = SendError::new(
                    SendErrorKind::Recipient,
                    None,
                    format!("The server does not take addresses with characters beyond ASCII (SMTPUTF8), so the message to {} was not sent.", to.unwrap_or("this recipient")),
                );
                return if envelope.from().is_some_and(|a| !is_ascii(a)) {
                    Outcome::NotSent { error: SendError { kind: SendErrorKind::Sender, recipient_refused: false, ..error }, retry: false }
                } else {
                    Outcome::Refused(error)
                };
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            if !server.supports_feature(Extension::EightBitMime) {
                return Outcome::Refused(SendError::new(
                    SendErrorKind::Message,
                    None,
                    format!("The server does not take 8-bit messages (8BITMIME), so the message to {} was not sent.", to.unwrap_or("this recipient")),
                ));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }

        if let Err(e) = conn.command(Mail::new(envelope.from().cloned(), parameters)) {
            let error = self.error(Step::Sender, &e, None);
            let retry = matches!(error.kind, SendErrorKind::Connection | SendErrorKind::Timeout | SendErrorKind::Temporary);
            return Outcome::NotSent { error, retry };
        }
        for address in envelope.to() {
            if let Err(e) = conn.command(Rcpt::new(address.clone(), vec![])) {
                let error = self.error(Step::Recipient, &e, Some(address.as_ref()));
                if error.recipient_refused {
                    // End the transaction; a connection that cannot is
                    // dropped, and the next message opens another.
                    if conn.command(Rset).is_err() {
                        conn.abort();
                    }
                    return Outcome::Refused(error);
                }
                return Outcome::NotSent { error, retry: false };
            }
        }
        if let Err(e) = conn.command(Data) {
            let error = self.error(Step::Data, &e, to);
            return if error.recipient_refused { Outcome::Refused(error) } else { Outcome::NotSent { error, retry: false } };
        }
        match conn.message(&bytes) {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() => Outcome::Refused(self.error(Step::Body, &e, to)),
            // A 4xx after the data: the server says it did not take it.
            Err(e) if e.is_transient() => Outcome::NotSent { error: self.error(Step::Body, &e, to), retry: false },
            Err(e) => {
                conn.abort();
                Outcome::Unknown(self.error(Step::Body, &e, to))
            }
        }
    }

    fn dns_error(&self, reason: &str) -> SendError {
        SendError::new(
            SendErrorKind::Dns,
            None,
            format!("Could not find the mail server “{}” ({}). Check the host name in the mail settings and the internet connection.", shown(self.host()), self.scrub(&one_line(reason))),
        )
    }

    /// A lettre error at `step` in words.
    fn error(&self, step: Step, e: &SmtpError, address: Option<&str>) -> SendError {
        let (host, port) = (self.host(), self.settings.port);
        let code = e.status().map(u16::from);
        let reason = self.scrub(&reason_of(e));
        let reply = match code {
            Some(code) => format!("{code} {reason}"),
            None => reason.clone(),
        };
        let from = self.settings.from_address.trim();
        let address = address.unwrap_or("this recipient");
        use SendErrorKind as K;
        let (kind, message) = if e.is_tls() {
            (K::Tls, format!("Could not set up TLS with {host}: {reason}. Check the port and security setting (587 STARTTLS, 465 TLS)."))
        } else if is_timeout(e) {
            let after = if step == Step::Body { " The message may or may not have gone out, so it is not sent again by a resume." } else { "" };
            (
                K::Timeout,
                format!(
                    "{host} did not answer within {} seconds. Check the host name, the port and the security setting (587 STARTTLS, 465 TLS), or try again later.{after}",
                    self.timeout.as_secs()
                ),
            )
        } else if e.is_permanent() || e.is_transient() {
            match (step, code) {
                (Step::Login, Some(c)) if e.is_transient() => {
                    (K::Temporary, format!("The server could not check the login just now ({c} {reason}). Try again in a few minutes."))
                }
                (Step::Login, _) => (
                    K::Login,
                    format!("The server refused the user name or password ({reply}). Check the SMTP user name and the password kept in the keychain."),
                ),
                (Step::Sender | Step::Recipient | Step::Data, Some(530)) => (
                    K::Login,
                    format!("The server wants a login before it takes mail ({reply}). Enter the SMTP user name and the password in the mail settings."),
                ),
                (_, _) if e.is_transient() => (K::Temporary, format!("The server asked to try again later ({reply}). Wait a few minutes, then resume.")),
                (Step::Sender, _) => (
                    K::Sender,
                    format!("The server refused the sender address {from}: {reply}. Check the From address in the mail settings; many servers take only the address of the account that logs in."),
                ),
                (Step::Recipient, _) => (K::Recipient, format!("The server refused the address {address}: {reply}")),
                (Step::Data | Step::Body, _) => (K::Message, format!("The server refused the message to {address}: {reply}")),
                (Step::Connect | Step::StartTls, _) => {
                    (K::Connection, format!("{host} refused the connection: {reply}. Check the host, the port and the security setting (587 STARTTLS, 465 TLS)."))
                }
            }
        } else if let (Step::Connect, Some(io)) = (step, io_error_of(e)) {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => (
                    K::Connection,
                    format!("Nothing is accepting connections at {host} on port {port} (connection refused). Check the host and port in the mail settings, and that the mail server is running."),
                ),
                _ => (K::Connection, format!("Could not connect to {host} on port {port} ({reason}). Check the host name, the port and the internet connection.")),
            }
        } else if step == Step::Login && e.is_client() {
            (
                K::Login,
                format!("{host} offers no way to log in that Liftoff supports (PLAIN or LOGIN) on this connection ({reason}). Check the security setting: most servers take a login only over STARTTLS or TLS."),
            )
        } else if e.is_response() || e.is_client() {
            (K::Protocol, format!("{host} answered something Liftoff does not understand ({reason}). Check that port {port} is the mail server’s SMTP port."))
        } else if step == Step::Body {
            (
                K::Connection,
                format!("The connection to {host} was lost while the message to {address} was being sent ({reason}). It may or may not have gone out, so it is not sent again by a resume."),
            )
        } else {
            (K::Connection, format!("The connection to {host} was lost ({reason}). Check the internet connection, then resume."))
        };
        SendError::new(kind, code, self.scrub(&message))
    }

    /// `text` without the password, raw or as AUTH PLAIN or LOGIN sends it,
    /// in case a server echoes what it was sent.
    fn scrub(&self, text: &str) -> String {
        let Some(password) = self.password.as_ref().filter(|p| !p.is_empty()) else {
            return text.to_owned();
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let plain = Zeroizing::new(format!("\0{}\0{}", self.settings.username, password.as_str()));
        let forms = [
            Zeroizing::new(password.to_string()),
            Zeroizing::new(b64.encode(password.as_bytes())),
            Zeroizing::new(b64.encode(plain.as_bytes())),
        ];
        let mut text = text.to_owned();
        for form in &forms {
            if !form.is_empty() && text.contains(form.as_str()) {
                text = text.replace(form.as_str(), "<redacted>");
            }
        }
        text
    }
}

// ---------------------------------------------------------------------------
// The send loop

/// Where a recipient stands, as the caller recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryState {
    Pending,
    Sent,
    Failed,
    /// Recorded as being sent when the app stopped: it may have gone out.
    /// Never sent again automatically.
    Unknown,
}

/// What happens, as it happens, for the caller to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SendEvent {
    /// About to start this recipient's SMTP transaction. Record it as
    /// "sending" before returning: a crash from here on leaves it Unknown.
    Sending { address: String },
    /// The server took the message.
    Sent { address: String },
    /// Refused for this recipient alone; the run goes on.
    Failed { address: String, error: SendError },
    /// The run stops before this recipient's message went out: it is
    /// pending again.
    Pending { address: String },
    /// The connection broke after the message went out and before the
    /// server confirmed it: it may have arrived. The run stops.
    Unknown { address: String, error: SendError },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendOptions {
    /// Messages per minute at most; 0 for no pause between them.
    pub rate_per_minute: u32,
    /// Also send to recipients who failed before. By default a resume sends
    /// only to those pending: a refused address is usually refused again.
    pub retry_failed: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions { rate_per_minute: 30, retry_failed: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub address: String,
    pub error: SendError,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SendSummary {
    /// Sent in this run.
    pub sent: u32,
    /// Refused in this run, each for its own reason.
    pub failed: Vec<Failure>,
    /// Left out because they were sent before (or failed before, unless
    /// failed ones are retried), or listed twice.
    pub skipped_already: u32,
    /// Whose message may or may not have arrived (from an earlier run that
    /// stopped mid-message, or from this one): never sent again by Liftoff.
    pub uncertain: Vec<String>,
    /// Why the run stopped before the end, and what to do.
    pub stopped: Option<String>,
}

/// Sends `email` to each recipient, in order, one message each: each person
/// sees their own address in To, a refused address fails alone, and a
/// resume knows exactly who has it.
///
/// Skips those `already` reports Sent, or Unknown (which are reported, never
/// sent again), or Failed unless `options.retry_failed`. Calls `on_event`
/// with `Sending` before each transaction and with the outcome after, so a
/// caller that records each one never sends anyone the email twice; an
/// `Err` from it stops the run. Stops at an error that is not one
/// recipient's (login, connection, sender refused), or when `cancel` is set,
/// and says in `stopped` what to do; a resume sends only to the rest.
pub fn send_all(
    mailer: &Mailer,
    email: &Email,
    recipients: &[Recipient],
    already: &dyn Fn(&str) -> DeliveryState,
    options: &SendOptions,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(SendEvent) -> Result<(), String>,
) -> SendSummary {
    let mut summary = SendSummary::default();
    let interval = match options.rate_per_minute {
        0 => Duration::ZERO,
        rate => Duration::from_secs(60) / rate,
    };
    let mut seen = HashSet::new();
    let mut todo = Vec::new();
    for recipient in recipients {
        if !seen.insert(recipient.address.trim().to_lowercase()) {
            summary.skipped_already += 1;
            continue;
        }
        match already(&recipient.address) {
            DeliveryState::Pending => todo.push(recipient),
            DeliveryState::Failed if options.retry_failed => todo.push(recipient),
            DeliveryState::Sent | DeliveryState::Failed => summary.skipped_already += 1,
            DeliveryState::Unknown => summary.uncertain.push(recipient.address.clone()),
        }
    }
    let total = todo.len();
    // The sender, subject and parts are the same for all: a fault there
    // stops the run before anything is sent.
    if let Err(e) = headers(email, Utc::now()) {
        summary.stopped = Some(format!("{e} Nothing was sent."));
        return summary;
    }

    let mut conn: Option<SmtpConnection> = None;
    let mut carried = 0usize;
    let mut last_start: Option<Instant> = None;
    for (i, recipient) in todo.iter().enumerate() {
        if let Some(start) = last_start {
            wait_until(start + interval, cancel);
        }
        if cancel.load(Ordering::SeqCst) {
            summary.stopped = Some(stop_text("Sending was cancelled.", summary.sent, total - i));
            break;
        }
        let address = recipient.address.clone();
        let msg = match build(email, recipient, Utc::now()) {
            Ok(msg) => msg,
            Err(e) => {
                let error = SendError::new(SendErrorKind::Recipient, None, e.to_string());
                if let Err(e) = on_event(SendEvent::Failed { address: address.clone(), error: error.clone() }) {
                    summary.stopped = Some(unrecorded(&e, summary.sent));
                    break;
                }
                summary.failed.push(Failure { address, error });
                continue;
            }
        };
        last_start = Some(Instant::now());

        // A connection that stopped answering (closed for idling, or after
        // its server's quota of messages) is replaced before the message.
        if conn.as_mut().is_some_and(|c| c.has_broken() || !c.test_connected()) {
            conn = None;
        }
        if conn.is_none() {
            match mailer.connect() {
                Ok(c) => (conn, carried) = (Some(c), 0),
                Err(e) => {
                    summary.stopped = Some(stop_text(&e.message, summary.sent, total - i));
                    break;
                }
            }
        }
        if let Err(e) = on_event(SendEvent::Sending { address: address.clone() }) {
            summary.stopped = Some(unrecorded(&e, summary.sent));
            break;
        }
        let mut outcome = match conn.as_mut() {
            Some(c) => mailer.transaction(c, &msg),
            None => break,
        };
        // Refused at MAIL FROM on a connection that already carried mail:
        // nothing of this message went out, so one fresh connection may try.
        if let Outcome::NotSent { retry: true, .. } = outcome {
            if carried > 0 {
                match mailer.connect() {
                    Ok(mut c) => {
                        outcome = mailer.transaction(&mut c, &msg);
                        (conn, carried) = (Some(c), 0);
                    }
                    Err(e) => outcome = Outcome::NotSent { error: e, retry: false },
                }
            }
        }
        let recorded = match outcome {
            Outcome::Sent => {
                summary.sent += 1;
                carried += 1;
                on_event(SendEvent::Sent { address })
            }
            Outcome::Refused(error) => {
                log::warn!("announcement mail: {}", error.message);
                summary.failed.push(Failure { address: address.clone(), error: error.clone() });
                on_event(SendEvent::Failed { address, error })
            }
            Outcome::NotSent { error, .. } => {
                summary.stopped = Some(stop_text(&error.message, summary.sent, total - i));
                conn = None;
                let _ = on_event(SendEvent::Pending { address });
                break;
            }
            Outcome::Unknown(error) => {
                summary.uncertain.push(address.clone());
                summary.stopped = Some(stop_text(&error.message, summary.sent, total - i - 1));
                conn = None;
                let _ = on_event(SendEvent::Unknown { address, error });
                break;
            }
        };
        if let Err(e) = recorded {
            summary.stopped = Some(unrecorded(&e, summary.sent));
            break;
        }
    }
    if let Some(mut c) = conn {
        let _ = c.command(Quit);
    }
    summary
}

fn stop_text(reason: &str, sent: u32, left: usize) -> String {
    let was = if sent == 1 { "message was" } else { "messages were" };
    format!("{reason} Sending stopped: {sent} {was} sent in this run and {left} still to go. A resume sends only to the rest; nobody gets the email twice.")
}

fn unrecorded(reason: &str, sent: u32) -> String {
    format!("Sending stopped because Liftoff could not record its progress ({reason}); {sent} sent in this run. Fix that, then resume: only the rest are sent.")
}

/// Sleeps until `deadline`, or until `cancel` is set.
fn wait_until(deadline: Instant, cancel: &AtomicBool) {
    loop {
        let now = Instant::now();
        if now >= deadline || cancel.load(Ordering::SeqCst) {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn email() -> Email {
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

    #[test]
    fn a_list_in_any_separator_with_names_comments_and_duplicates() {
        let text = "# the beta group\n\nlena@example.org, \"Fischer, Jonas\" <jonas@example.org>; Ana <ana@example.org>\n\n  LENA@example.org\nbob@example.org\n";
        let got = parse_recipients(text).unwrap();
        let addresses: Vec<&str> = got.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addresses, ["lena@example.org", "jonas@example.org", "ana@example.org", "bob@example.org"]);
        assert_eq!(got[1].name.as_deref(), Some("Fischer, Jonas"));
        assert_eq!(got[2].name.as_deref(), Some("Ana"));
        assert_eq!((got[0].line, got[3].line), (3, 6));
    }

    #[test]
    fn an_invalid_line_is_named_and_nothing_is_returned() {
        let text = "a@example.org\nb@example.org\n\n# c\nd@example.org\ne@example.org\nbob@@example\nf@example.org\n";
        let err = parse_recipients(text).unwrap_err();
        assert_eq!(err, RecipientsError::InvalidAddress { line: 7, text: "bob@@example".into() });
        assert_eq!(err.to_string(), "Line 7: “bob@@example” is not an email address. Fix it and import again; nothing was sent.");
        assert!(matches!(parse_recipients("a@example.org junk@example.org"), Err(RecipientsError::InvalidAddress { line: 1, .. })));
        assert_eq!(parse_recipients("\n# nobody\n"), Err(RecipientsError::Empty));
    }

    #[test]
    fn a_csv_with_a_header_row() {
        let text = "\u{feff}Name,Company,E-Mail\nLena Fischer,ACME,lena@example.org\n\n,,\n\"Doe, John\",ACME,JOHN@example.org\nJohn again,ACME,john@example.org\n";
        let got = parse_recipients(text).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Recipient { address: "lena@example.org".into(), name: Some("Lena Fischer".into()), line: 2 });
        assert_eq!(got[1].name.as_deref(), Some("Doe, John"));
        assert_eq!(got[1].line, 5);

        let semicolons = "email;name\nana@example.org;Ana\n";
        assert_eq!(parse_recipients(semicolons).unwrap()[0].name.as_deref(), Some("Ana"));
        let single = "Address\nana@example.org\n";
        assert_eq!(parse_recipients(single).unwrap().len(), 1);

        let bad = "name,email\nLena,lena@example.org\nBob,bob@@example\n";
        assert_eq!(parse_recipients(bad), Err(RecipientsError::InvalidAddress { line: 3, text: "bob@@example".into() }));
        let missing = "name,email\nLena,lena@example.org\nBob,\n";
        assert_eq!(parse_recipients(missing), Err(RecipientsError::MissingAddress { line: 3, column: "email".into() }));
        assert_eq!(parse_recipients("name,company\nLena,ACME\n"), Err(RecipientsError::NoEmailColumn));
    }

    #[test]
    fn odd_input_never_panics() {
        for text in ["", "<", ">", "\"", "a@b<", "<>", "\"\" <>", ",,;;", "email\n\"unclosed", "email\n\u{0}", "é@é", "x <y@z.org"] {
            let _ = parse_recipients(text);
        }
    }

    fn settings() -> SmtpSettings {
        SmtpSettings { host: "smtp.example.com".into(), from_address: "releases@example.com".into(), ..SmtpSettings::default() }
    }

    #[test]
    fn settings_default_to_starttls_on_587() {
        let s = SmtpSettings::default();
        assert_eq!((s.security, s.port), (Security::StartTls, 587));
        assert_eq!(Security::Tls.default_port(), 465);
        assert!(settings().validate().is_ok());
    }

    #[test]
    fn plain_is_refused_for_a_remote_host() {
        let mut s = settings();
        s.security = Security::Plain;
        let errors = s.validate().unwrap_err();
        assert!(errors["security"].contains("localhost"), "{errors:?}");
        for local in ["localhost", "127.0.0.1", "::1"] {
            s.host = local.into();
            assert!(s.validate().is_ok(), "{local}");
        }
    }

    #[test]
    fn settings_name_the_fields_at_fault() {
        let s = SmtpSettings { host: "smtp://x".into(), port: 0, from_address: "nope".into(), from_name: "a\nb".into(), ..SmtpSettings::default() };
        let errors = s.validate().unwrap_err();
        let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["fromAddress", "fromName", "host", "port"]);
        assert_eq!(Mailer::new(s, None).unwrap_err().kind, SendErrorKind::Settings);
    }

    #[test]
    fn the_password_is_scrubbed_and_not_in_debug() {
        let s = SmtpSettings { username: "ops".into(), ..settings() };
        let mailer = Mailer::new(s, Some(Zeroizing::new("hunter2!".into()))).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));
        let b64 = base64::engine::general_purpose::STANDARD;
        let echoed = format!("500 bad: hunter2! {} {}", b64.encode("hunter2!"), b64.encode("\0ops\0hunter2!"));
        let clean = mailer.scrub(&echoed);
        assert_eq!(clean, "500 bad: <redacted> <redacted> <redacted>");
    }

    #[test]
    fn nothing_is_sent_when_cancelled_or_already_done() {
        // Port 9 on loopback: nothing listens; the loop must not even connect.
        let s = SmtpSettings { host: "127.0.0.1".into(), port: 9, security: Security::Plain, ..settings() };
        let mailer = Mailer::new(s, None).unwrap();
        let list = parse_recipients("a@example.org\nb@example.org\nc@example.org\n").unwrap();
        let already = |a: &str| match a {
            "a@example.org" => DeliveryState::Sent,
            "b@example.org" => DeliveryState::Unknown,
            _ => DeliveryState::Failed,
        };
        let mut events = Vec::new();
        let summary = send_all(&mailer, &email(), &list, &already, &SendOptions::default(), &AtomicBool::new(false), &mut |e| {
            events.push(e);
            Ok(())
        });
        assert!(events.is_empty());
        assert_eq!((summary.sent, summary.skipped_already, summary.uncertain.clone(), summary.stopped), (0, 2, vec!["b@example.org".to_owned()], None));

        let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &SendOptions::default(), &AtomicBool::new(true), &mut |e| {
            events.push(e);
            Ok(())
        });
        assert!(events.is_empty());
        assert!(summary.stopped.unwrap().starts_with("Sending was cancelled."));
    }
}
