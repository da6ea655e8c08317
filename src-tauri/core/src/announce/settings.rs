//! A project's announcement settings: support and feedback links, the mail
//! server and the recipients of each audience. Stored as JSON without any
//! secret: the SMTP password is an environment's credential in the keychain,
//! named here by its id.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::mail::{self, Recipient, SmtpSettings};
use super::{AnnounceError, Audience};
use crate::rules::FieldErrors;
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
    pub smtp: Option<SmtpSettings>,
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
        Some(json) => serde_json::from_str(&json).map_err(|_| AnnounceError::SettingsDamaged),
    }
}

/// Checks every field and saves the settings.
pub fn set(store: &Store, project_id: &str, settings: &AnnounceSettings, now: DateTime<Utc>) -> Result<AnnounceSettings, AnnounceError> {
    store.write(|tx| set_in(tx, project_id, settings, now))
}

/// [`set`] inside the caller's transaction.
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
    let smtp = match &s.smtp {
        None => None,
        Some(smtp) => {
            if let Err(fields) = smtp.validate() {
                errors.extend(fields.into_iter().map(|(k, v)| (format!("smtp.{k}"), v)));
            }
            Some(smtp.clone())
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
        smtp,
        smtp_credential_id,
        test_address,
        recipients,
        rate_per_minute: s.rate_per_minute,
        ca_certificate,
    })
}
