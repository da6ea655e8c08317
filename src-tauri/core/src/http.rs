//! HTTP for everything Liftoff asks over the network (the health check,
//! smoke checks, and CI engines next): async, with a timeout on every
//! request, cancellation, and redirects followed by hand so that a
//! credential never travels to another origin.
//!
//! Failures become sentences a person can act on, never containing the
//! credential.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, AUTHORIZATION, LOCATION};
use tokio_util::sync::CancellationToken;

pub const MAX_REDIRECTS: usize = 5;

/// The most of a body that Liftoff reads (256 KiB); smoke checks look for
/// text or a JSON field in it.
pub const BODY_LIMIT: usize = 256 * 1024;

/// What came back, after following redirects within the origin.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The status's reason phrase, such as "Not Found".
    pub reason: String,
    /// The URL that gave this answer.
    pub url: String,
    /// From the first request to the answer's headers, or to the end of the
    /// body read when a body was asked for.
    pub latency: Duration,
    /// Up to the request's `body_limit` bytes of the body (empty when none
    /// was asked for).
    pub body: Vec<u8>,
    /// Whether the body went on past `body_limit`.
    pub truncated: bool,
}

/// Why there is no answer, in words; `url` is where it stopped.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// The network library's own words when the message could not name the
    /// cause, for "Details".
    pub detail: Option<String>,
    pub status: Option<u16>,
    pub url: String,
    pub latency: Duration,
    pub cancelled: bool,
    /// Asking again cannot help: the URL, method or credential cannot be
    /// used, or a redirect leads to another host with a credential.
    pub permanent: bool,
}

/// One request, for `request`.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The request in messages, such as "The health check".
    pub what: &'a str,
    /// Its setting in messages, such as "the health-check URL".
    pub setting: &'a str,
    /// GET, HEAD, POST…
    pub method: &'a str,
    pub url: &'a str,
    /// An Authorization header value, never shown.
    pub authorization: Option<&'a str>,
    /// For each request, redirects included.
    pub timeout: Duration,
    /// How much of the body to read (0: none).
    pub body_limit: usize,
    /// Follow redirects (a 3xx is the answer when false).
    pub follow_redirects: bool,
}

/// One GET of `url`, with `authorization` (a header value) if given.
/// Redirects are followed within the same origin; one to another origin is
/// followed only without a credential. Messages name the request as `what`
/// ("The health check") and its setting as `setting` ("the health-check URL").
pub async fn get(what: &str, setting: &str, url: &str, authorization: Option<&str>, timeout: Duration, cancel: &CancellationToken) -> Result<Answer, Failure> {
    let req = Request { what, setting, method: "GET", url, authorization, timeout, body_limit: 0, follow_redirects: true };
    request(&req, cancel).await
}

/// One request as `req` describes it, following redirects as `get` does:
/// within the origin with the credential, to another origin only without
/// one. A 303 (and a 301 or 302 after a POST) continues as a GET, as
/// browsers do; no request body is ever sent.
pub async fn request(req: &Request<'_>, cancel: &CancellationToken) -> Result<Answer, Failure> {
    let Request { what, setting, url, timeout, .. } = *req;
    let started = Instant::now();
    let fail = |message: String, status: Option<u16>, at: &str| Failure {
        message,
        detail: None,
        status,
        url: at.to_owned(),
        latency: started.elapsed(),
        cancelled: false,
        permanent: false,
    };
    let lasting = |message: String, status: Option<u16>, at: &str| Failure { permanent: true, ..fail(message, status, at) };
    let stopped = |at: &str| Failure { cancelled: true, ..fail("Stopped before the server answered.".into(), None, at) };
    let Ok(first) = url::Url::parse(url) else {
        return Err(lasting("The URL cannot be read. Check it for typos.".into(), None, url));
    };
    let Ok(mut method) = reqwest::Method::from_bytes(req.method.trim().to_ascii_uppercase().as_bytes()) else {
        return Err(lasting(format!("“{}” is not an HTTP method. Use GET, HEAD or POST, for example.", req.method.trim()), None, url));
    };
    let client = match reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(timeout).build() {
        Ok(client) => client,
        Err(e) => return Err(Failure { detail: Some(words(&e)), ..fail("Liftoff could not prepare the request. Try again.".into(), None, url) }),
    };
    let header = match req.authorization.map(HeaderValue::from_str).transpose() {
        Ok(header) => header.map(|mut h| {
            h.set_sensitive(true);
            h
        }),
        Err(_) => return Err(lasting("The credential cannot be sent in an HTTP header (it has a line break or another control character). Set its value again.".into(), None, url)),
    };
    let origin = first.origin();
    let mut current = first;
    for _ in 0..=MAX_REDIRECTS {
        let mut request = client.request(method.clone(), current.clone());
        if let Some(header) = &header {
            request = request.header(AUTHORIZATION, header.clone());
        }
        let response = tokio::select! {
            r = request.send() => r,
            _ = cancel.cancelled() => return Err(stopped(current.as_str())),
        };
        let mut response = match response {
            Ok(response) => response,
            Err(e) => return Err(Failure { detail: transport_detail(&e), ..fail(transport_message(&e, &current, timeout), None, current.as_str()) }),
        };
        let status = response.status();
        if !status.is_redirection() || !req.follow_redirects {
            let (mut body, mut truncated) = (Vec::new(), false);
            while req.body_limit > 0 && !truncated {
                let chunk = tokio::select! {
                    c = response.chunk() => c,
                    _ = cancel.cancelled() => return Err(stopped(current.as_str())),
                };
                match chunk {
                    Ok(Some(chunk)) => {
                        let room = req.body_limit - body.len();
                        truncated = chunk.len() > room;
                        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let failure = fail(transport_message(&e, &current, timeout), Some(status.as_u16()), current.as_str());
                        return Err(Failure { detail: transport_detail(&e), ..failure });
                    }
                }
            }
            return Ok(Answer {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_owned(),
                url: current.to_string(),
                latency: started.elapsed(),
                body,
                truncated,
            });
        }
        let code = status.as_u16();
        let next = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| current.join(l).ok());
        let Some(next) = next else {
            return Err(fail(format!("The server answered {code} (a redirect) without saying where to."), Some(code), current.as_str()));
        };
        if header.is_some() && next.origin() != origin {
            let host = next.host_str().unwrap_or("another host").to_owned();
            return Err(lasting(
                format!("{what} redirected to {host}, another host. Liftoff does not send the credential there; set {setting} to the final address if you trust it."),
                Some(code),
                current.as_str(),
            ));
        }
        if method != reqwest::Method::HEAD && (code == 303 || (method == reqwest::Method::POST && matches!(code, 301 | 302))) {
            method = reqwest::Method::GET;
        }
        current = next;
    }
    Err(fail(format!("{what} redirected more than {MAX_REDIRECTS} times. Set {setting} to the final address."), None, current.as_str()))
}

/// The error and its causes, lower-cased, to tell DNS from TLS from refusal.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    words(e).to_lowercase()
}

/// The error and its causes as they are, joined by ": ".
fn words(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn transport_message(e: &reqwest::Error, url: &url::Url, timeout: Duration) -> String {
    let host = url.host_str().unwrap_or("the host");
    let detail = chain(e);
    if e.is_timeout() || detail.contains("timed out") {
        return format!("{host} did not answer within {} seconds (timeout). Is the service up, and reachable from this computer?", seconds(timeout));
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
    format!("The request to {host} failed: the connection broke off, or the answer could not be read. Check that the service is healthy and that the URL is right (http or https).")
}

/// The library's words behind a failed request, when the message does not
/// already say what happened (a timeout, DNS, TLS, a refused connection).
fn transport_detail(e: &reqwest::Error) -> Option<String> {
    let lower = chain(e);
    let named = ["timed out", "dns error", "failed to lookup", "name or service not known", "certificate", "ssl", "tls", "handshake", "connection refused"];
    (!e.is_timeout() && !e.is_connect() && !named.iter().any(|n| lower.contains(n))).then(|| words(e))
}

/// Whole seconds as they are ("5"), a fraction to a tenth ("1.5").
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}
