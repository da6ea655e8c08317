//! HTTP for everything Liftoff asks over the network: async, with a
//! timeout on every request, cancellation, and redirects followed by hand
//! so that a credential never travels to another origin. Failures become
//! sentences a person can act on, never containing the credential.
//!
//! Two ways in, one redirect loop (`exchange`) under both:
//! - [`get`] and [`request`]: one request whose answer is judged by its
//!   caller, any status included (the health check, smoke checks);
//! - [`Client`]: the CI/CD engine clients' connection, with bodies (JSON,
//!   form), sensitive headers, a session cookie jar, the paging and
//!   rate-limit headers parsed ([`Headers`]), bodies streamed past
//!   [`BODY_LIMIT`], conditional requests (a 304 is an answer), an opt-in to
//!   follow a redirect to another origin without the credential, and 4xx
//!   and 5xx answers as an [`Error`] quoting the server's words, masked.

mod client;
mod cookies;
mod error;
mod exchange;
mod headers;
mod response;

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use tokio_util::sync::CancellationToken;

pub use client::{Call, Client, ClientBuilder, DEFAULT_TIMEOUT, USER_AGENT};
pub use error::{Error, ErrorKind, MaskFn};
pub use headers::{Headers, Link, RateLimit, RetryAfter};
pub use response::Response;

use exchange::{exchange, timeout_message, transport_detail, transport_message, words, Exchanged, OtherOrigin, Outgoing, Stop};

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
    let Ok(method) = reqwest::Method::from_bytes(req.method.trim().to_ascii_uppercase().as_bytes()) else {
        return Err(lasting(format!("“{}” is not an HTTP method. Use GET, HEAD or POST, for example.", req.method.trim()), None, url));
    };
    let client = match reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(timeout).build() {
        Ok(client) => client,
        Err(e) => return Err(Failure { detail: Some(words(&e)), ..fail("Liftoff could not prepare the request. Try again.".into(), None, url) }),
    };
    let mut secrets = HeaderMap::new();
    if let Some(authorization) = req.authorization {
        let Ok(mut header) = HeaderValue::from_str(authorization) else {
            return Err(lasting("The credential cannot be sent in an HTTP header (it has a line break or another control character). Set its value again.".into(), None, url));
        };
        header.set_sensitive(true);
        secrets.insert(AUTHORIZATION, header);
    }
    let mut headers = HeaderMap::new();
    headers.insert(reqwest::header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    let out = Outgoing {
        client: &client,
        method,
        url: first,
        headers: &headers,
        secrets: &secrets,
        body: None,
        follow: req.follow_redirects,
        other_origin: OtherOrigin::RefuseWithCredential,
        jar: None,
        wait: None,
    };
    let Exchanged { mut response, url: current, .. } = match exchange(out, cancel).await {
        Ok(exchanged) => exchanged,
        Err(Stop::Cancelled { url }) => return Err(stopped(url.as_str())),
        Err(Stop::Transport { error, url }) => return Err(Failure { detail: transport_detail(&error), ..fail(transport_message(&error, &url, timeout), None, url.as_str()) }),
        // The reqwest client's own timeout applies (`wait` is none).
        Err(Stop::TimedOut { url }) => return Err(fail(timeout_message(&url, timeout), None, url.as_str())),
        Err(Stop::NoLocation { code, url }) => return Err(fail(format!("The server answered {code} (a redirect) without saying where to."), Some(code), url.as_str())),
        Err(Stop::OtherOrigin { code, url, to }) => {
            let host = to.host_str().unwrap_or("another host").to_owned();
            return Err(lasting(
                format!("{what} redirected to {host}, another host. Liftoff does not send the credential there; set {setting} to the final address if you trust it."),
                Some(code),
                url.as_str(),
            ));
        }
        Err(Stop::TooManyRedirects { url }) => return Err(fail(format!("{what} redirected more than {MAX_REDIRECTS} times. Set {setting} to the final address."), None, url.as_str())),
    };
    let status = response.status();
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
    Ok(Answer {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        url: current.to_string(),
        latency: started.elapsed(),
        body,
        truncated,
    })
}
