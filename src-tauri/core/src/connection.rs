//! Test connection: one GET of an environment's health-check URL, with one
//! of its credentials as a bearer token or basic-auth password.
//!
//! Redirects are followed by hand: within the same origin (scheme, host and
//! port) with the credential, never to another origin with it. Every
//! failure becomes a sentence a person can act on; none contains the
//! credential.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::credentials::{self, CredentialError};
use crate::environments::{self, EnvironmentError};
use crate::secrets::{Keychain, SecretValue};
use crate::Store;

const MAX_REDIRECTS: usize = 5;

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

/// Looks up the URL and, if asked for, the credential's value (a use of it).
pub fn prepare(store: &mut Store, keychain: &Keychain, test: &ConnectionTest, now: DateTime<Utc>) -> Result<(String, Option<Auth>), ConnectionError> {
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
pub fn check(url: &str, auth: Option<&Auth>, timeout: Duration) -> ConnectionReport {
    let started = Instant::now();
    let report = |ok: bool, status: Option<u16>, at: &str, message: String| ConnectionReport {
        ok,
        status,
        latency_ms: started.elapsed().as_millis().min(u32::MAX as u128) as u32,
        url: at.to_owned(),
        message,
    };
    if let Err(message) = environments::check_http_url(url, "The health-check URL") {
        return report(false, None, url, message);
    }
    let Ok(origin_url) = url::Url::parse(url) else {
        return report(false, None, url, "The health-check URL cannot be read. Check it for typos.".into());
    };
    let origin = origin_url.origin();
    let agent = ureq::AgentBuilder::new().redirects(0).timeout(timeout).build();
    let mut current = origin_url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let mut request = agent.get(current.as_str());
        if let Some(auth) = auth {
            request = request.set("Authorization", &authorization(auth));
        }
        let response = match request.call() {
            Ok(response) => response,
            Err(ureq::Error::Status(code, response)) => {
                return report(false, Some(code), current.as_str(), status_message(code, response.status_text(), auth.is_some()));
            }
            Err(ureq::Error::Transport(t)) => {
                return report(false, None, current.as_str(), transport_message(&t, &current, timeout));
            }
        };
        let code = response.status();
        if !(300..400).contains(&code) {
            let text = response.status_text().to_owned();
            return report(true, Some(code), current.as_str(), format!("The health check answered {code} {text}."));
        }
        let Some(next) = response.header("location").and_then(|l| current.join(l).ok()) else {
            return report(false, Some(code), current.as_str(), format!("The server answered {code} (a redirect) without saying where to."));
        };
        if auth.is_some() && next.origin() != origin {
            let host = next.host_str().unwrap_or("another host").to_owned();
            return report(
                false,
                Some(code),
                current.as_str(),
                format!("The health check redirected to {host}, another host. Liftoff does not send the credential there; set the health-check URL to the final address if you trust it."),
            );
        }
        current = next;
    }
    report(false, None, current.as_str(), format!("The health check redirected more than {MAX_REDIRECTS} times. Set the health-check URL to the final address."))
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

fn transport_message(t: &ureq::Transport, url: &url::Url, timeout: Duration) -> String {
    let host = url.host_str().unwrap_or("the host");
    let detail = t.to_string().to_lowercase();
    match t.kind() {
        ureq::ErrorKind::Dns => format!("The host name {host} could not be found (DNS). Check the URL, or your network and VPN."),
        _ if detail.contains("timed out") || detail.contains("timeout") => {
            format!("{host} did not answer within {} seconds (timeout). Is the service up, and reachable from this computer?", timeout.as_secs())
        }
        _ if detail.contains("certificate") || detail.contains("tls") || detail.contains("handshake") => {
            format!("The secure (TLS) connection to {host} failed: {t}. Check the server's certificate (expired, self-signed or for another name).")
        }
        ureq::ErrorKind::ConnectionFailed => {
            let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
            format!("Nothing answered at {host}{port} (connection refused). Is the service running?")
        }
        _ => format!("The request to {host} failed: {t}."),
    }
}
