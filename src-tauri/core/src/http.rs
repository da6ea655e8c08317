//! HTTP for everything Liftoff asks over the network (the health check
//! now, smoke checks and CI engines next): async, with a timeout on every
//! request, cancellation, and redirects followed by hand so that a
//! credential never travels to another origin.
//!
//! Failures become sentences a person can act on, never containing the
//! credential.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, AUTHORIZATION, LOCATION};
use tokio_util::sync::CancellationToken;

pub const MAX_REDIRECTS: usize = 5;

/// What came back, after following redirects within the origin.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The status's reason phrase, such as "Not Found".
    pub reason: String,
    /// The URL that gave this answer.
    pub url: String,
    pub latency: Duration,
}

/// Why there is no answer, in words; `url` is where it stopped.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub status: Option<u16>,
    pub url: String,
    pub latency: Duration,
    pub cancelled: bool,
}

/// One GET of `url`, with `authorization` (a header value) if given.
/// Redirects are followed within the same origin; one to another origin is
/// followed only without a credential. Messages name the request as `what`
/// ("The health check") and its setting as `setting` ("the health-check URL").
pub async fn get(what: &str, setting: &str, url: &str, authorization: Option<&str>, timeout: Duration, cancel: &CancellationToken) -> Result<Answer, Failure> {
    let started = Instant::now();
    let fail = |message: String, status: Option<u16>, at: &str| Failure {
        message,
        status,
        url: at.to_owned(),
        latency: started.elapsed(),
        cancelled: false,
    };
    let Ok(first) = url::Url::parse(url) else {
        return Err(fail("The URL cannot be read. Check it for typos.".into(), None, url));
    };
    let client = match reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(timeout).build() {
        Ok(client) => client,
        Err(e) => return Err(fail(format!("Liftoff could not prepare the request ({e}). Try again."), None, url)),
    };
    let header = match authorization.map(HeaderValue::from_str).transpose() {
        Ok(header) => header.map(|mut h| {
            h.set_sensitive(true);
            h
        }),
        Err(_) => return Err(fail("The credential cannot be sent in an HTTP header (it has a line break or another control character). Set its value again.".into(), None, url)),
    };
    let origin = first.origin();
    let mut current = first;
    for _ in 0..=MAX_REDIRECTS {
        let mut request = client.get(current.clone());
        if let Some(header) = &header {
            request = request.header(AUTHORIZATION, header.clone());
        }
        let response = tokio::select! {
            r = request.send() => r,
            _ = cancel.cancelled() => {
                let mut f = fail("Stopped before the server answered.".into(), None, current.as_str());
                f.cancelled = true;
                return Err(f);
            }
        };
        let response = match response {
            Ok(response) => response,
            Err(e) => return Err(fail(transport_message(&e, &current, timeout), None, current.as_str())),
        };
        let status = response.status();
        if !status.is_redirection() {
            return Ok(Answer {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                url: current.to_string(),
                latency: started.elapsed(),
            });
        }
        let code = status.as_u16();
        let next = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| current.join(l).ok());
        let Some(next) = next else {
            return Err(fail(format!("The server answered {code} (a redirect) without saying where to."), Some(code), current.as_str()));
        };
        if header.is_some() && next.origin() != origin {
            let host = next.host_str().unwrap_or("another host").to_owned();
            return Err(fail(
                format!("{what} redirected to {host}, another host. Liftoff does not send the credential there; set {setting} to the final address if you trust it."),
                Some(code),
                current.as_str(),
            ));
        }
        current = next;
    }
    Err(fail(format!("{what} redirected more than {MAX_REDIRECTS} times. Set {setting} to the final address."), None, current.as_str()))
}

/// The error and its causes, lower-cased, to tell DNS from TLS from refusal.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text.to_lowercase()
}

fn transport_message(e: &reqwest::Error, url: &url::Url, timeout: Duration) -> String {
    let host = url.host_str().unwrap_or("the host");
    let detail = chain(e);
    if e.is_timeout() || detail.contains("timed out") {
        return format!("{host} did not answer within {} seconds (timeout). Is the service up, and reachable from this computer?", timeout.as_secs());
    }
    if detail.contains("dns error") || detail.contains("failed to lookup") || detail.contains("name or service not known") {
        return format!("The host name {host} could not be found (DNS). Check the URL, or your network and VPN.");
    }
    if detail.contains("certificate") || detail.contains("ssl") || detail.contains("tls") || detail.contains("handshake") {
        return format!("The secure (TLS) connection to {host} failed. Check the server's certificate (expired, self-signed or for another name).");
    }
    if detail.contains("connection refused") || e.is_connect() {
        let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
        return format!("Nothing answered at {host}{port} (connection refused). Is the service running?");
    }
    format!("The request to {host} failed ({detail}).")
}
