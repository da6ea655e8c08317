//! The lead's mail server: its settings, and the [`Mailer`] that talks to it.
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
//! login) carries a whole run (see [`super::send`]).

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use base64::Engine as _;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Quit, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{Address, Message};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{one_line, shown};
use crate::rules::{is_one_line, ErrorKind, FieldErrors, Kind};

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
        check_server(&self.host, self.port, self.security, &self.username, &mut errors);
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

/// The mail server's fields, checked: `host`, `security`, `port` and
/// `username` errors go into `errors`.
pub fn check_server(host: &str, port: u16, security: Security, username: &str, errors: &mut FieldErrors) {
    let host = host.trim();
    if host.is_empty() || host.len() > 253 || host.contains("://") || host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
        errors.insert("host".into(), "Enter the mail server’s host name, such as smtp.example.com.".into());
    } else if security == Security::Plain && !is_local(host) {
        errors.insert(
            "security".into(),
            "Sending without encryption is allowed only to this computer (localhost). Choose STARTTLS (port 587) or TLS (port 465).".into(),
        );
    }
    if port == 0 {
        errors.insert("port".into(), "Enter a port from 1 to 65535: 587 for STARTTLS, 465 for TLS.".into());
    }
    if !is_one_line(username, 320) {
        errors.insert("username".into(), "Keep the user name on one line, under 320 characters.".into());
    }
}

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
    pub(super) fn new(kind: SendErrorKind, code: Option<u16>, message: String) -> Self {
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
pub(super) enum Outcome {
    Sent,
    /// Refused for this recipient alone.
    Refused(SendError),
    /// This recipient's server said "not now" (a 4xx at RCPT: greylisting,
    /// a full mailbox, a rate limit): nothing went out; try it again later.
    Deferred(SendError),
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
            Outcome::Refused(e) | Outcome::Deferred(e) | Outcome::NotSent { error: e, .. } | Outcome::Unknown(e) => Err(e),
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
    pub(super) fn connect(&self) -> Result<SmtpConnection, SendError> {
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
    pub(super) fn transaction(&self, conn: &mut SmtpConnection, msg: &Message) -> Outcome {
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
                if e.is_transient() {
                    if conn.command(Rset).is_err() {
                        conn.abort();
                    }
                    return Outcome::Deferred(error);
                }
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
        // lettre reports a failed TLS handshake as a connection error; a
        // TCP failure has the OS's error right beneath, a handshake the TLS
        // library's.
        let tcp_failure = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
        let in_handshake = step == Step::StartTls || (step == Step::Connect && self.settings.security == Security::Tls);
        let handshake_failed = in_handshake && !tcp_failure && !(e.is_permanent() || e.is_transient() || e.is_response() || e.is_client());
        let (kind, message) = if is_timeout(e) {
            let after = if step == Step::Body { " The message may or may not have gone out, so it is not sent again by a resume." } else { "" };
            (
                K::Timeout,
                format!(
                    "{host} did not answer within {} seconds. Check the host name, the port and the security setting (587 STARTTLS, 465 TLS), or try again later.{after}",
                    self.timeout.as_secs()
                ),
            )
        } else if matches!(step, Step::Sender | Step::Recipient | Step::Data) && !e.is_permanent() && !e.is_transient() {
            // No reply at all: the server closed the connection (or it
            // broke) before the message was sent.
            (
                K::Connection,
                format!(
                    "The connection to {host} was closed before the message to {address} was sent ({reason}); nothing of it went out. Resume to send to the rest."
                ),
            )
        } else if e.is_tls() || handshake_failed {
            (
                K::Tls,
                format!(
                    "Could not set up TLS with {host}: {reason}. Check the port and security setting (587 STARTTLS, 465 TLS). If the server's certificate is from your company's own certificate authority (or self-signed), add that CA certificate under “Company CA certificate” in the mail settings."
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
                (Step::StartTls, _) => (K::Tls, format!("{host} refused STARTTLS: {reply}. Check the port and security setting (587 STARTTLS, 465 TLS).")),
                (Step::Connect, _) => {
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
        } else if step == Step::Body {
            (
                K::Connection,
                format!("The connection to {host} was lost while the message to {address} was being sent ({reason}). It may or may not have gone out, so it is not sent again by a resume."),
            )
        } else if e.is_response() || e.is_client() {
            (K::Protocol, format!("{host} answered something Liftoff does not understand ({reason}). Check that port {port} is the mail server’s SMTP port."))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
