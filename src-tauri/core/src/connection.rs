//! Test connection: one GET of an environment's health-check URL, with one
//! of its credentials as a bearer token or basic-auth password.
//!
//! Redirects are followed by hand: within the same origin (scheme, host and
//! port) with the credential, never to another origin with it. Every
//! failure becomes a sentence a person can act on; none contains the
//! credential.

use crate::rules::{ErrorKind, FieldErrors, Kind};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::credentials::{self, CredentialError};
use crate::environments::{self, EnvironmentError};
use crate::http;
use crate::secrets::{Keychain, SecretValue};
use crate::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum AuthScheme {
    Bearer,
    Basic,
}

/// What the user asked to test with.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    pub environment_id: String,
    /// A credential of that environment, or none for an anonymous check.
    pub credential_id: Option<String>,
    pub scheme: AuthScheme,
    /// The user name for basic auth.
    pub username: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub ok: bool,
    pub status: Option<u16>,
    pub latency_ms: u32,
    /// The URL that gave the final answer.
    pub url: String,
    pub message: String,
    /// The network library's words when the message cannot name the cause.
    pub detail: Option<String>,
}

pub struct Auth {
    pub scheme: AuthScheme,
    pub username: String,
    pub secret: SecretValue,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error("This environment has no health-check URL. Add one (Edit), then test again.")]
    NoHealthUrl,
    #[error("That credential does not belong to this environment. Reload and pick one of its own.")]
    ForeignCredential,
    #[error(transparent)]
    Environment(#[from] EnvironmentError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
}

impl Kind for ConnectionError {
    fn kind(&self) -> ErrorKind {
        match self {
            ConnectionError::NoHealthUrl | ConnectionError::ForeignCredential => ErrorKind::Invalid,
            ConnectionError::Environment(e) => e.kind(),
            ConnectionError::Credential(e) => e.kind(),
        }
    }
    fn fields(&self) -> Option<&FieldErrors> {
        match self {
            ConnectionError::Environment(e) => e.fields(),
            ConnectionError::Credential(e) => e.fields(),
            _ => None,
        }
    }
}

/// Looks up the URL and, if asked for, the credential's value (a use of it).
pub fn prepare(store: &Store, keychain: &Keychain, test: &ConnectionTest, now: DateTime<Utc>) -> Result<(String, Option<Auth>), ConnectionError> {
    let env = environments::get(store, &test.environment_id)?;
    if env.health_url.is_empty() {
        return Err(ConnectionError::NoHealthUrl);
    }
    let auth = match &test.credential_id {
        None => None,
        Some(id) => {
            if !credentials::list(store, &env.id)?.iter().any(|c| &c.id == id) {
                return Err(ConnectionError::ForeignCredential);
            }
            let secret = credentials::reveal(store, keychain, id, now)?;
            Some(Auth { scheme: test.scheme, username: test.username.trim().to_owned(), secret })
        }
    };
    Ok((env.health_url, auth))
}

/// Makes the request and reports what happened.
pub async fn check(url: &str, auth: Option<&Auth>, timeout: Duration, cancel: &CancellationToken) -> ConnectionReport {
    let report = |ok: bool, status: Option<u16>, at: &str, latency: Duration, message: String| ConnectionReport {
        ok,
        status,
        latency_ms: latency.as_millis().min(u32::MAX as u128) as u32,
        url: at.to_owned(),
        message,
        detail: None,
    };
    if let Err(message) = environments::check_http_url(url, "The health-check URL") {
        return report(false, None, url, Duration::ZERO, message);
    }
    let header = auth.map(authorization);
    match http::get("The health check", "the health-check URL", url, header.as_deref(), timeout, cancel).await {
        Ok(answer) if (200..400).contains(&answer.status) => report(
            true,
            Some(answer.status),
            &answer.url,
            answer.latency,
            format!("The health check answered {} {}.", answer.status, answer.reason),
        ),
        Ok(answer) => report(
            false,
            Some(answer.status),
            &answer.url,
            answer.latency,
            status_message(answer.status, &answer.reason, auth.is_some()),
        ),
        Err(failure) => ConnectionReport { detail: failure.detail, ..report(false, failure.status, &failure.url, failure.latency, failure.message) },
    }
}

fn authorization(auth: &Auth) -> String {
    match auth.scheme {
        AuthScheme::Bearer => format!("Bearer {}", auth.secret.expose()),
        AuthScheme::Basic => {
            use base64::Engine;
            let pair = format!("{}:{}", auth.username, auth.secret.expose());
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
        }
    }
}

fn status_message(code: u16, text: &str, with_credential: bool) -> String {
    match code {
        401 | 403 if with_credential => format!(
            "The server refused the credential ({code} {text}). Check that it is current and is the one this endpoint expects, and the auth scheme."
        ),
        401 | 403 => format!("The server wants a credential ({code} {text}). Pick one of the environment's credentials and test again."),
        404 => format!("The server has no page at this address ({code} {text}). Check the health-check path."),
        500..=599 => format!("The service answered with an error ({code} {text}). It is reachable but unhealthy."),
        _ => format!("The health check answered {code} {text}."),
    }
}

