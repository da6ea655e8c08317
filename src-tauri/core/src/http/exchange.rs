//! The one request-and-redirects loop under both ways of asking: the
//! health check's and smoke checks' [`super::request`], and the engine
//! clients' [`super::Client`]. Redirects are followed by hand so that a
//! credential (the Authorization header, a sensitive header, a session
//! cookie) never reaches another origin; the network library's failures are
//! turned into words here.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, COOKIE, LOCATION};
use reqwest::Method;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::cookies::Jar;
use super::MAX_REDIRECTS;

/// What a redirect to another origin does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OtherOrigin {
    /// Refused when the request carries a credential, followed when it
    /// carries none (the health check and smoke checks).
    RefuseWithCredential,
    /// Always refused.
    Refuse,
    /// Followed without the credential; it is not sent again, even on a
    /// redirect back.
    FollowWithoutCredential,
}

/// One request to make, redirects included.
pub(super) struct Outgoing<'a> {
    pub client: &'a reqwest::Client,
    pub method: Method,
    pub url: Url,
    /// Sent on every hop.
    pub headers: &'a HeaderMap,
    /// Sent within the first origin only (each value marked sensitive).
    pub secrets: &'a HeaderMap,
    /// A content type and the bytes; dropped where a redirect turns the
    /// request into a GET.
    pub body: Option<(&'static str, &'a [u8])>,
    pub follow: bool,
    pub other_origin: OtherOrigin,
    /// Cookies are stored per origin from every answer, and sent back only
    /// to the origin that set them.
    pub jar: Option<&'a Mutex<Jar>>,
    /// Until the answer's headers, redirects included; `None` leaves it to
    /// the reqwest client's own timeout.
    pub wait: Option<Duration>,
}

/// The answer whose headers have come (its body not yet read), and the URL
/// that gave it.
pub(super) struct Exchanged {
    pub response: reqwest::Response,
    pub url: Url,
    /// Whether the credential went along to this URL.
    pub with_credential: bool,
}

/// Why no answer came; `url` is where it stopped.
#[derive(Debug)]
pub(super) enum Stop {
    Cancelled { url: Url },
    Transport { error: reqwest::Error, url: Url },
    TimedOut { url: Url },
    NoLocation { code: u16, url: Url },
    OtherOrigin { code: u16, url: Url, to: Url },
    TooManyRedirects { url: Url },
}

/// Sends `out`, following redirects as its policy says. A 303 (and a 301
/// or 302 after a POST) continues as a GET without the body, as browsers
/// do; a 307 or 308 sends the same method and body again.
pub(super) async fn exchange(out: Outgoing<'_>, cancel: &CancellationToken) -> Result<Exchanged, Stop> {
    let origin = out.url.origin();
    let mut method = out.method.clone();
    let mut body = out.body;
    let mut current = out.url.clone();
    let mut credential = !out.secrets.is_empty();
    let deadline = out.wait.map(|w| tokio::time::Instant::now() + w);
    for _ in 0..=MAX_REDIRECTS {
        let mut headers = out.headers.clone();
        if credential {
            for (name, value) in out.secrets {
                headers.insert(name, value.clone());
            }
        }
        if let Some(cookie) = out.jar.and_then(|jar| jar.lock().unwrap_or_else(|e| e.into_inner()).header(&current)) {
            headers.insert(COOKIE, cookie);
        }
        let mut request = out.client.request(method.clone(), current.clone());
        if let Some((kind, bytes)) = body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
            request = request.body(bytes.to_vec());
        }
        let response = tokio::select! {
            r = request.headers(headers).send() => r,
            _ = until(deadline) => return Err(Stop::TimedOut { url: current }),
            _ = cancel.cancelled() => return Err(Stop::Cancelled { url: current }),
        };
        let response = match response {
            Ok(response) => response,
            Err(error) => return Err(Stop::Transport { error, url: current }),
        };
        if let Some(jar) = out.jar {
            jar.lock().unwrap_or_else(|e| e.into_inner()).store(&current, response.headers());
        }
        let status = response.status();
        if !status.is_redirection() || !out.follow || status.as_u16() == 304 {
            return Ok(Exchanged { response, url: current, with_credential: credential });
        }
        let code = status.as_u16();
        let next = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| current.join(l).ok());
        let Some(next) = next else {
            return Err(Stop::NoLocation { code, url: current });
        };
        if next.origin() != origin {
            match out.other_origin {
                OtherOrigin::RefuseWithCredential if credential => return Err(Stop::OtherOrigin { code, url: current, to: next }),
                OtherOrigin::RefuseWithCredential => {}
                OtherOrigin::Refuse => return Err(Stop::OtherOrigin { code, url: current, to: next }),
                OtherOrigin::FollowWithoutCredential => credential = false,
            }
        }
        if method != Method::HEAD && (code == 303 || (method == Method::POST && matches!(code, 301 | 302))) {
            method = Method::GET;
            body = None;
        }
        current = next;
    }
    Err(Stop::TooManyRedirects { url: current })
}

/// Waits until `deadline`, or for ever when there is none.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The error and its causes, lower-cased, to tell DNS from TLS from refusal.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    words(e).to_lowercase()
}

/// The error and its causes as they are, joined by ": ".
pub(super) fn words(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// What kind of transport failure `e` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Timeout,
    Dns,
    Tls,
    Refused,
    Broken,
}

pub(super) fn transport_kind(e: &reqwest::Error) -> Transport {
    let detail = chain(e);
    if e.is_timeout() || detail.contains("timed out") {
        Transport::Timeout
    } else if detail.contains("dns error") || detail.contains("failed to lookup") || detail.contains("name or service not known") {
        Transport::Dns
    } else if detail.contains("certificate") || detail.contains("ssl") || detail.contains("tls") || detail.contains("handshake") {
        Transport::Tls
    } else if detail.contains("connection refused") || e.is_connect() {
        Transport::Refused
    } else {
        Transport::Broken
    }
}

pub(super) fn transport_message(e: &reqwest::Error, url: &Url, timeout: Duration) -> String {
    let host = url.host_str().unwrap_or("the host");
    match transport_kind(e) {
        Transport::Timeout => timeout_message(url, timeout),
        Transport::Dns => format!("The host name {host} could not be found (DNS). Check the URL, or your network and VPN."),
        Transport::Tls => format!("The secure (TLS) connection to {host} failed. Check the server's certificate (expired, self-signed or for another name)."),
        Transport::Refused => {
            let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
            format!("Nothing answered at {host}{port} (connection refused). Is the service running?")
        }
        Transport::Broken => format!("The request to {host} failed: the connection broke off, or the answer could not be read. Check that the service is healthy and that the URL is right (http or https)."),
    }
}

pub(super) fn timeout_message(url: &Url, timeout: Duration) -> String {
    let host = url.host_str().unwrap_or("the host");
    format!("{host} did not answer within {} seconds (timeout). Is the service up, and reachable from this computer?", seconds(timeout))
}

/// The library's words behind a failed request, when the message does not
/// already say what happened (a timeout, DNS, TLS, a refused connection).
pub(super) fn transport_detail(e: &reqwest::Error) -> Option<String> {
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
