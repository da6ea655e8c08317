//! A project's announcement settings: support and feedback links, who the
//! email comes from, the mail server and the recipients of each audience.
//! Stored as JSON without any secret: the SMTP password is an environment's
//! credential in the keychain, named here by its id.
//!
//! The sender stands apart from the mail server: an `.eml` needs only a From
//! address, and what a reviewer approves (see `drafts`) includes the sender,
//! which recipients read, but not the server, which they never see.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::mail::smtp::check_server;
use super::mail::{self, Recipient, Security, SmtpSettings};
use super::{AnnounceError, Audience};
use crate::rules::{is_one_line, FieldErrors};
use crate::{clock, Store};

/// Where users get help after the update, and where they tell us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Support {
    /// The help desk's address (a web page).
    pub helpdesk: String,
    pub faq: String,
    /// A contact: a web page or an email address.
    pub contact: String,
    /// A feedback form or survey.
    pub feedback: String,
}

impl Support {
    /// Whether a reader has somewhere to go: help or feedback.
    pub fn has_help_or_feedback(&self) -> bool {
        [&self.helpdesk, &self.faq, &self.contact, &self.feedback].iter().any(|s| !s.trim().is_empty())
    }
}

/// Who the email comes from, as its recipients read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct EmailSender {
    /// The name recipients see, such as "The Acme team" (templates read it
    /// as `sender.name`).
    pub name: String,
    /// The From address: all an `.eml` needs.
    pub address: String,
}

impl EmailSender {
    /// Whether the address is one an email can come from.
    pub fn is_set(&self) -> bool {
        self.address.trim().parse::<lettre::Address>().is_ok()
    }

    /// The From line as a mail program shows it; `None` without an address.
    pub fn from_line(&self) -> Option<String> {
        if !self.is_set() {
            return None;
        }
        let address = self.address.trim();
        Some(match self.name.trim() {
            "" => address.to_owned(),
            name => format!("{name} <{address}>"),
        })
    }
}

/// The lead's mail server, for sending from Liftoff (an `.eml` does not
/// need it). Recipients never see it: a change here withdraws no approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct MailServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Empty when the server takes mail without a login.
    pub username: String,
}

impl Default for MailServer {
    fn default() -> Self {
        MailServer { host: String::new(), port: Security::StartTls.default_port(), security: Security::StartTls, username: String::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AudienceRecipients {
    pub audience: Audience,
    /// Addresses one per line (or separated by commas), or a CSV with an
    /// `email` column, as imported.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AnnounceSettings {
    pub support: Support,
    /// The product's address, for links in the announcement.
    pub product_url: String,
    /// Where the release notes are published (a page or a feed).
    pub release_notes_url: String,
    /// Who the email comes from. (Settings stored before it stood apart
    /// from the mail server get it there: see [`read_stored`].)
    pub sender: EmailSender,
    /// The mail server, when Liftoff sends the email itself.
    pub smtp: Option<MailServer>,
    /// The environment credential (kind SMTP password) that holds the password.
    pub smtp_credential_id: Option<String>,
    /// Where a test send goes: the lead's own address.
    pub test_address: String,
    pub recipients: Vec<AudienceRecipients>,
    /// Messages per minute at most.
    pub rate_per_minute: u32,
    /// A company's own certificate authority (or a self-signed server
    /// certificate) that the mail server's TLS certificate is checked
    /// against, besides the system's. A certificate is public: it is kept
    /// with the settings, and shown by its fingerprint.
    #[serde(default)]
    pub ca_certificate: Option<CaCertificate>,
}

/// A CA certificate as read from its PEM file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CaCertificate {
    /// The file as read (PEM), one certificate or a chain.
    pub pem: String,
    /// SHA-256 of the first certificate (DER), as `AB:CD:…`: what the
    /// server's administrator can compare.
    pub fingerprint: String,
    /// The file it was read from, to show.
    pub file_name: String,
}

/// The largest certificate file read.
const CERT_MAX: usize = 256 * 1024;

/// Reads a CA certificate file (PEM) for the mail settings: refused, with
/// what to do, unless it holds a certificate TLS can use.
pub fn read_ca_certificate(path: &std::path::Path) -> Result<CaCertificate, AnnounceError> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > CERT_MAX as u64);
    if too_big {
        return Err(AnnounceError::File(format!("{file_name} is larger than 256 KB: it is not a certificate. Pick the CA certificate's PEM file.")));
    }
    let bytes = std::fs::read(path).map_err(|e| AnnounceError::File(format!("{file_name} could not be read ({e}). Check that the file is there and readable.")))?;
    // A DER or PKCS#12 file is binary: say so rather than "not UTF-8".
    let pem = String::from_utf8_lossy(&bytes);
    check_ca_certificate(&pem, &file_name).map_err(AnnounceError::File)
}

/// The certificate with its fingerprint, or why it cannot be used.
pub fn check_ca_certificate(pem: &str, file_name: &str) -> Result<CaCertificate, String> {
    let der = first_certificate_der(pem).ok_or_else(|| {
        format!("{file_name} is not a certificate in PEM form (a text file with “-----BEGIN CERTIFICATE-----”). Export the CA certificate as PEM (Base64), not DER or PKCS#12.")
    })?;
    lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes())
        .map_err(|e| format!("{file_name} holds a certificate that cannot be used for TLS ({e}). Export the CA certificate again as PEM."))?;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(&der);
    let fingerprint = digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
    Ok(CaCertificate { pem: pem.to_owned(), fingerprint, file_name: file_name.to_owned() })
}

/// The DER bytes of the first `CERTIFICATE` block of a PEM text.
fn first_certificate_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let body: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok().filter(|d| !d.is_empty())
}

impl Default for AnnounceSettings {
    fn default() -> Self {
        AnnounceSettings {
            support: Support::default(),
            product_url: String::new(),
            release_notes_url: String::new(),
            sender: EmailSender::default(),
            smtp: None,
            smtp_credential_id: None,
            test_address: String::new(),
            recipients: Vec::new(),
            rate_per_minute: 60,
            ca_certificate: None,
        }
    }
}

impl AnnounceSettings {
    pub fn recipients_text(&self, audience: Audience) -> &str {
        self.recipients.iter().find(|r| r.audience == audience).map(|r| r.text.as_str()).unwrap_or("")
    }

    /// What the mailer needs: the server with the sender; `None` without a
    /// server.
    pub fn smtp_settings(&self) -> Option<SmtpSettings> {
        self.smtp.as_ref().map(|m| SmtpSettings {
            host: m.host.clone(),
            port: m.port,
            security: m.security,
            username: m.username.clone(),
            from_name: self.sender.name.trim().to_owned(),
            from_address: self.sender.address.trim().to_owned(),
        })
    }

    /// The audience's recipients, read from their text.
    pub fn recipients_of(&self, audience: Audience) -> Result<Vec<Recipient>, AnnounceError> {
        Ok(mail::parse_recipients(self.recipients_text(audience))?)
    }
}

/// The largest recipients text kept per audience (about 100,000 addresses).
const RECIPIENTS_MAX: usize = 4 << 20;

/// The text of a recipients file (one address per line, or a CSV with an
/// `email` column), to check and keep with the settings.
pub fn read_recipients_file(path: &std::path::Path) -> Result<String, AnnounceError> {
    crate::files::read_text(path, RECIPIENTS_MAX).map_err(|e| AnnounceError::File(e.message(|_| "This list is larger than 4 MB. Split the audience.".into())))
}

pub fn get(store: &Store, project_id: &str) -> Result<AnnounceSettings, AnnounceError> {
    get_in(&*store.reader()?, project_id)
}

pub(crate) fn get_in(conn: &Connection, project_id: &str) -> Result<AnnounceSettings, AnnounceError> {
    let json: Option<String> = conn
        .query_row("SELECT settings FROM announce_settings WHERE project_id = ?1", params![project_id], |r| r.get(0))
        .optional()?;
    match json {
        None => Ok(AnnounceSettings::default()),
        Some(json) => read_stored(&json).ok_or(AnnounceError::SettingsDamaged),
    }
}

/// Settings as stored. Settings saved before the sender stood apart from
/// the mail server kept it in `smtp` (`fromName`, `fromAddress`): they
/// become the sender.
fn read_stored(json: &str) -> Option<AnnounceSettings> {
    let mut value: serde_json::Value = serde_json::from_str(json).ok()?;
    let object = value.as_object_mut()?;
    if !object.contains_key("sender") {
        let smtp = object.get("smtp").and_then(|s| s.as_object());
        let field = |k: &str| smtp.and_then(|s| s.get(k)).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let sender = EmailSender { name: field("fromName"), address: field("fromAddress") };
        object.insert("sender".into(), serde_json::to_value(sender).ok()?);
    }
    serde_json::from_value(value).ok()
}

/// Checks every field and saves the settings, inside the caller's
/// transaction (see [`super::set_settings`], which applies the approval
/// rule after it).
pub(crate) fn set_in(tx: &Connection, project_id: &str, settings: &AnnounceSettings, now: DateTime<Utc>) -> Result<AnnounceSettings, AnnounceError> {
    let clean = validate(tx, project_id, settings)?;
    let json = serde_json::to_string(&clean).expect("settings serialize");
    tx.execute(
        "INSERT INTO announce_settings (project_id, settings, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        params![project_id, json, clock::to_text(now)],
    )?;
    Ok(clean)
}

/// A link of the settings: a web address (the same rule as environments'
/// URLs), or with `mail_ok` also an email address.
fn check_link(errors: &mut FieldErrors, field: &str, value: &str, what: &str, mail_ok: bool) -> String {
    let v = value.trim();
    let is_mail = mail_ok && !v.contains("://") && v.parse::<lettre::Address>().is_ok();
    if !is_mail {
        if let Err(message) = crate::environments::check_http_url(v, what) {
            let message = if mail_ok { format!("{message} Or give an email address.") } else { message };
            errors.insert(field.into(), message);
        }
    }
    v.to_owned()
}

pub(crate) fn validate(conn: &Connection, project_id: &str, s: &AnnounceSettings) -> Result<AnnounceSettings, AnnounceError> {
    let mut errors = FieldErrors::new();
    let support = Support {
        helpdesk: check_link(&mut errors, "support.helpdesk", &s.support.helpdesk, "The help desk", false),
        faq: check_link(&mut errors, "support.faq", &s.support.faq, "The FAQ", false),
        contact: check_link(&mut errors, "support.contact", &s.support.contact, "The contact", true),
        feedback: check_link(&mut errors, "support.feedback", &s.support.feedback, "The feedback link", false),
    };
    let product_url = check_link(&mut errors, "productUrl", &s.product_url, "The product address", false);
    let release_notes_url = check_link(&mut errors, "releaseNotesUrl", &s.release_notes_url, "The release notes page", false);
    let sender = EmailSender { name: s.sender.name.trim().to_owned(), address: s.sender.address.trim().to_owned() };
    if !is_one_line(&sender.name, 100) {
        errors.insert("sender.name".into(), "Keep the sender name on one line, under 100 characters.".into());
    }
    if !sender.address.is_empty() && !sender.is_set() {
        errors.insert("sender.address".into(), format!("“{}” is not an email address. Enter the address the email comes from, such as releases@example.com.", sender.address));
    }
    let smtp = match &s.smtp {
        None => None,
        Some(server) => {
            let mut fields = FieldErrors::new();
            check_server(&server.host, server.port, server.security, &server.username, &mut fields);
            errors.extend(fields.into_iter().map(|(k, v)| (format!("smtp.{k}"), v)));
            if sender.address.is_empty() {
                errors.insert("sender.address".into(), "Sending from Liftoff needs the address the email comes from, such as releases@example.com.".into());
            }
            Some(MailServer { host: server.host.trim().to_owned(), ..server.clone() })
        }
    };
    let smtp_credential_id = s.smtp_credential_id.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
    if let Some(id) = &smtp_credential_id {
        let kind: Option<String> = conn
            .query_row(
                "SELECT c.kind FROM credentials c JOIN environments e ON e.id = c.environment_id WHERE c.id = ?1 AND e.project_id = ?2",
                params![id, project_id],
                |r| r.get(0),
            )
            .optional()?;
        if kind.is_none() {
            errors.insert("smtpCredentialId".into(), "That credential is no longer in this project. Pick one from the list.".into());
        }
    }
    let test_address = s.test_address.trim().to_owned();
    if !test_address.is_empty() && test_address.parse::<lettre::Address>().is_err() {
        errors.insert("testAddress".into(), format!("“{test_address}” is not an email address."));
    }
    let mut recipients = Vec::new();
    for r in &s.recipients {
        let key = format!("recipients.{}", r.audience.as_str());
        if r.text.len() > RECIPIENTS_MAX {
            errors.insert(key, "This list is larger than 4 MB. Split the audience.".into());
            continue;
        }
        match mail::parse_recipients(&r.text) {
            Ok(_) => {}
            Err(e) => {
                errors.insert(key, e.to_string());
            }
        }
        if !r.text.trim().is_empty() && !recipients.iter().any(|x: &AudienceRecipients| x.audience == r.audience) {
            recipients.push(r.clone());
        }
    }
    let ca_certificate = match &s.ca_certificate {
        None => None,
        Some(c) => match check_ca_certificate(&c.pem, &c.file_name) {
            Ok(c) => Some(c),
            Err(message) => {
                errors.insert("caCertificate".into(), message);
                None
            }
        },
    };
    if !(1..=6000).contains(&s.rate_per_minute) {
        errors.insert("ratePerMinute".into(), "Send between 1 and 6,000 messages a minute.".into());
    }
    if !errors.is_empty() {
        return Err(AnnounceError::Invalid(errors));
    }
    Ok(AnnounceSettings {
        support,
        product_url,
        release_notes_url,
        sender,
        smtp,
        smtp_credential_id,
        test_address,
        recipients,
        rate_per_minute: s.rate_per_minute,
        ca_certificate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_with_the_sender_in_the_mail_server_keep_their_sender() {
        let old = r#"{"support":{"helpdesk":"","faq":"","contact":"","feedback":""},"productUrl":"","releaseNotesUrl":"",
            "smtp":{"host":"smtp.example.com","port":587,"security":"startTls","username":"me","fromName":"Acme","fromAddress":"news@example.com"},
            "smtpCredentialId":null,"testAddress":"","recipients":[],"ratePerMinute":60}"#;
        let s = read_stored(old).unwrap();
        assert_eq!(s.sender, EmailSender { name: "Acme".into(), address: "news@example.com".into() });
        assert_eq!(s.smtp.as_ref().unwrap().host, "smtp.example.com");
        let mailer = s.smtp_settings().unwrap();
        assert_eq!((mailer.from_name.as_str(), mailer.from_address.as_str(), mailer.username.as_str()), ("Acme", "news@example.com", "me"));
        // Saved again, it reads the same.
        assert_eq!(read_stored(&serde_json::to_string(&s).unwrap()).unwrap(), s);
        assert!(read_stored("[]").is_none());
    }

    #[test]
    fn the_from_line_needs_an_address() {
        assert_eq!(EmailSender { name: "Acme".into(), address: String::new() }.from_line(), None);
        assert_eq!(EmailSender { name: " ".into(), address: "a@example.com".into() }.from_line().as_deref(), Some("a@example.com"));
        assert_eq!(EmailSender { name: "Acme".into(), address: "a@example.com".into() }.from_line().as_deref(), Some("Acme <a@example.com>"));
    }
}
