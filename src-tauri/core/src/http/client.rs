//! The client the CI/CD engine clients are written on: one per engine
//! connection, holding its connection pool, its credential headers, its
//! session cookies and the secrets to mask, and building each request.
//!
//! Guarantees:
//! - a sensitive header (the Authorization header always) is never in a
//!   message, an error body or `Debug` output, and goes only to the first
//!   request's origin;
//! - a redirect to another origin is refused unless the request opts in
//!   with [`Call::follow_to_other_origin`]; it is then followed without the
//!   credential and without the session cookies (GitHub's job logs answer
//!   302 to a storage host with a signed URL valid for a minute);
//! - an answer of 4xx or 5xx is an [`Error`] named for a person, with the
//!   server's words, masked; a 304 is an answer.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, IF_NONE_MATCH, USER_AGENT as USER_AGENT_HEADER};
use tokio_util::sync::CancellationToken;

use super::cookies::Jar;
use super::error::{body_words, host_of, shown_url, status_error, Error, ErrorKind, Fault, MaskFn, Secrets};
use super::exchange::{exchange, timeout_message, transport_detail, transport_kind, transport_message, OtherOrigin, Outgoing, Stop, Transport};
use super::headers::Headers;
use super::response::Response;
use super::{BODY_LIMIT, MAX_REDIRECTS};

/// Sent as `User-Agent` unless a client or request sets its own.
pub const USER_AGENT: &str = concat!("Liftoff/", env!("CARGO_PKG_VERSION"));

/// The wait for an answer's headers, and for each piece of its body, unless
/// set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One connection to a server. Cloning shares the pool and the cookies.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    set: HeaderSet,
    jar: Option<Arc<Mutex<Jar>>>,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("headers", &self.set)
            .field("session_cookies", &self.jar.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Headers, plain and sensitive, with the secrets to mask; for a client
/// and for each request.
#[derive(Clone, Default)]
struct HeaderSet {
    plain: HeaderMap,
    /// Each value marked sensitive.
    sensitive: HeaderMap,
    secrets: Secrets,
    /// The first header that could not be set, reported when sending.
    error: Option<Error>,
}

/// Plain headers with their values, sensitive ones by name only.
impl fmt::Debug for HeaderSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.plain {
            map.entry(&name.as_str(), &value.to_str().unwrap_or("<binary>"));
        }
        for name in self.sensitive.keys() {
            map.entry(&name.as_str(), &"<redacted>");
        }
        map.finish()
    }
}

impl HeaderSet {
    /// Sets `name` (replacing it, plain or sensitive); a sensitive value is
    /// also kept for masking.
    fn put(&mut self, name: &str, value: &str, sensitive: bool, url: &str) {
        match header(name, value, sensitive, &mut self.secrets, url) {
            Ok((name, value)) if sensitive => {
                self.plain.remove(&name);
                self.sensitive.insert(name, value);
            }
            Ok((name, value)) => {
                self.sensitive.remove(&name);
                self.plain.insert(name, value);
            }
            Err(e) => self.error = self.error.take().or(Some(e)),
        }
    }

    /// These headers over `base`'s: (plain, sensitive).
    fn over(&self, base: &HeaderSet) -> (HeaderMap, HeaderMap) {
        let (mut plain, mut sensitive) = (base.plain.clone(), base.sensitive.clone());
        for (name, value) in &self.plain {
            sensitive.remove(name);
            plain.insert(name, value.clone());
        }
        for (name, value) in &self.sensitive {
            plain.remove(name);
            sensitive.insert(name, value.clone());
        }
        (plain, sensitive)
    }
}

/// Sets up a [`Client`]. A bad header is reported by `build`.
#[derive(Debug)]
pub struct ClientBuilder {
    set: HeaderSet,
    jar: bool,
    timeout: Duration,
}

impl Client {
    pub fn builder() -> ClientBuilder {
        let mut set = HeaderSet::default();
        set.plain.insert(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT));
        ClientBuilder { set, jar: false, timeout: DEFAULT_TIMEOUT }
    }

    pub fn get(&self, url: &str) -> Call<'_> {
        self.request("GET", url)
    }

    pub fn post(&self, url: &str) -> Call<'_> {
        self.request("POST", url)
    }

    pub fn put(&self, url: &str) -> Call<'_> {
        self.request("PUT", url)
    }

    pub fn delete(&self, url: &str) -> Call<'_> {
        self.request("DELETE", url)
    }

    /// A request with any method ("PATCH").
    pub fn request(&self, method: &str, url: &str) -> Call<'_> {
        let mut call = Call {
            client: self,
            method: reqwest::Method::GET,
            url: url.trim().to_owned(),
            set: HeaderSet::default(),
            body: None,
            timeout: self.timeout,
            limit: BODY_LIMIT,
            follow: true,
            other_origin: false,
        };
        match reqwest::Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes()) {
            Ok(m) => call.method = m,
            Err(_) => call.set.error = Some(invalid(format!("“{}” is not an HTTP method.", method.trim()), url)),
        }
        call
    }
}

impl ClientBuilder {
    /// Replaces `Liftoff/<version>`.
    pub fn user_agent(mut self, agent: &str) -> Self {
        self.set.put(USER_AGENT_HEADER.as_str(), agent, false, "");
        self
    }

    /// The wait for an answer's headers and for each piece of its body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A header sent with every request.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.set.put(name, value, false, "");
        self
    }

    /// A header sent with every request to the first origin only, never
    /// shown, masked in error text (an API token, Jenkins' crumb).
    pub fn sensitive_header(mut self, name: &str, value: &str) -> Self {
        self.set.put(name, value, true, "");
        self
    }

    /// The whole Authorization header value ("Bearer …", "token …").
    pub fn authorization(self, value: &str) -> Self {
        self.sensitive_header(AUTHORIZATION.as_str(), value)
    }

    pub fn bearer(self, token: &str) -> Self {
        self.authorization(&format!("Bearer {token}"))
    }

    pub fn basic(self, user: &str, password: &str) -> Self {
        use base64::Engine;
        let pair = zeroize::Zeroizing::new(format!("{user}:{password}"));
        self.authorization(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())))
    }

    /// Keeps the cookies the server sets and sends them back to the same
    /// origin (a login session).
    pub fn session_cookies(mut self) -> Self {
        self.jar = true;
        self
    }

    /// Values masked in every error text (such as a trigger token sent in
    /// a form).
    pub fn mask(mut self, values: &[&str]) -> Self {
        values.iter().for_each(|v| self.set.secrets.add(v));
        self
    }

    /// A masker applied to every error text before the values above (the
    /// deploy run's, which also finds a secret's encodings).
    pub fn mask_with(mut self, masker: MaskFn) -> Self {
        self.set.secrets.set_masker(masker);
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        if let Some(error) = self.set.error {
            return Err(error);
        }
        let inner = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| {
            Error::new(ErrorKind::InvalidRequest, "Liftoff could not prepare the request. Try again.".into(), "").with_detail(Some(super::exchange::words(&e)))
        })?;
        let jar = self.jar.then(Arc::default);
        Ok(Client { inner, set: self.set, jar, timeout: self.timeout })
    }
}

/// A body to send.
enum Body {
    Json(Vec<u8>),
    Form(Vec<u8>),
}

/// One request being built; `send` makes it.
pub struct Call<'c> {
    client: &'c Client,
    method: reqwest::Method,
    url: String,
    /// Over the client's; its error is the first mistake in building,
    /// reported by `send`.
    set: HeaderSet,
    body: Option<Body>,
    timeout: Duration,
    limit: usize,
    follow: bool,
    other_origin: bool,
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = match &self.body {
            Some(Body::Json(b)) => format!("JSON, {} bytes", b.len()),
            Some(Body::Form(b)) => format!("form, {} bytes", b.len()),
            None => "none".into(),
        };
        let url = url::Url::parse(&self.url).map(|u| shown_url(&u)).unwrap_or_default();
        f.debug_struct("Call")
            .field("method", &self.method.as_str())
            .field("url", &self.set.secrets.merged(&self.client.set.secrets).mask(&url))
            .field("headers", &self.set)
            .field("body", &body)
            .field("follow_to_other_origin", &self.other_origin)
            .finish_non_exhaustive()
    }
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.set.put(name, value, false, &self.url);
        self
    }

    /// Sent to the first origin only, never shown, masked in error text.
    pub fn sensitive_header(mut self, name: &str, value: &str) -> Self {
        self.set.put(name, value, true, &self.url);
        self
    }

    /// The body as JSON (`Content-Type: application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(bytes) => self.body = Some(Body::Json(bytes)),
            Err(e) => self.set.error = self.set.error.take().or_else(|| Some(invalid(format!("The request's JSON body could not be written ({e})."), &self.url))),
        }
        self
    }

    /// The body as form fields (`application/x-www-form-urlencoded`).
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        self.body = Some(Body::Form(form.finish().into_bytes()));
        self
    }

    /// Asks for the answer only if it changed since `etag` (a 304 if not).
    pub fn if_none_match(self, etag: &str) -> Self {
        self.header(IF_NONE_MATCH.as_str(), etag)
    }

    /// The wait for the answer's headers and each piece of its body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most that `bytes`, `text` and `json` read (`BODY_LIMIT` unless
    /// set); `chunk` and `stream` read past it.
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Follow redirects (on unless turned off: a 3xx is then the answer).
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// Follows a redirect to another origin, without the credential, the
    /// sensitive headers and the session cookies.
    pub fn follow_to_other_origin(mut self) -> Self {
        self.other_origin = true;
        self
    }

    /// Values masked in this request's error text.
    pub fn mask(mut self, values: &[&str]) -> Self {
        values.iter().for_each(|v| self.set.secrets.add(v));
        self
    }

    /// Makes the request. An answer of 4xx or 5xx is an error, its body's
    /// words quoted (masked); a redirect is followed as the request says.
    pub async fn send(mut self, cancel: &CancellationToken) -> Result<Response, Error> {
        let client = self.client;
        let mut secrets = client.set.secrets.merged(&self.set.secrets);
        if let Some(jar) = &client.jar {
            jar.lock().unwrap_or_else(|e| e.into_inner()).values().iter().for_each(|v| secrets.add(v));
        }
        if let Some(error) = self.set.error.take() {
            return Err(masked(error, &secrets));
        }
        let Ok(url) = url::Url::parse(&self.url) else {
            return Err(masked(invalid("The URL cannot be read. Check it for typos.".into(), &self.url), &secrets));
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(masked(invalid(format!("The URL must start with https:// or http://, not {}:.", url.scheme()), &self.url), &secrets));
        }
        let (headers, sensitive) = self.set.over(&client.set);
        let body = self.body.as_ref().map(|b| match b {
            Body::Json(bytes) => ("application/json", bytes.as_slice()),
            Body::Form(bytes) => ("application/x-www-form-urlencoded", bytes.as_slice()),
        });
        let started = Instant::now();
        let out = Outgoing {
            client: &client.inner,
            method: self.method.clone(),
            url,
            headers: &headers,
            secrets: &sensitive,
            body,
            follow: self.follow,
            other_origin: if self.other_origin { OtherOrigin::FollowWithoutCredential } else { OtherOrigin::Refuse },
            jar: client.jar.as_deref(),
            wait: Some(self.timeout),
        };
        let exchanged = exchange(out, cancel).await;
        // Cookies the answers just set are masked too.
        if let Some(jar) = &client.jar {
            jar.lock().unwrap_or_else(|e| e.into_inner()).values().iter().for_each(|v| secrets.add(v));
        }
        let exchanged = match exchanged {
            Ok(e) => e,
            Err(stop) => return Err(masked(stopped(stop, self.timeout), &secrets)),
        };
        let mut response = Response {
            status: exchanged.response.status().as_u16(),
            reason: exchanged.response.status().canonical_reason().unwrap_or("").to_owned(),
            latency: started.elapsed(),
            headers: Headers::read(exchanged.response.headers(), &exchanged.url, chrono::Utc::now()),
            raw: exchanged.response.headers().clone(),
            url: exchanged.url,
            body: exchanged.response,
            cancel: cancel.clone(),
            idle: self.timeout,
            limit: self.limit,
            secrets,
        };
        if response.status < 400 {
            return Ok(response);
        }
        // The error body, as far as it comes; its words go in the message.
        let mut body = Vec::new();
        while body.len() < BODY_LIMIT {
            match response.chunk().await {
                Ok(Some(piece)) => body.extend_from_slice(&piece[..piece.len().min(BODY_LIMIT - body.len())]),
                Ok(None) => break,
                Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
                Err(_) => break,
            }
        }
        let secrets = &response.secrets;
        let body = secrets.mask(&String::from_utf8_lossy(&body));
        let words = body_words(&body);
        let wait = response.headers.wait(chrono::Utc::now());
        let (kind, message) = status_error(response.status, &response.reason, &response.url, words.as_deref(), exchanged.with_credential, wait, response.headers.rate_limit.is_spent());
        Err(Error(Box::new(Fault {
            kind,
            message: secrets.mask(&message),
            status: Some(response.status),
            url: secrets.mask(&shown_url(&response.url)),
            words,
            body,
            retry_after: wait,
            detail: None,
        })))
    }
}

/// A header checked, its value marked sensitive (and kept for masking) when
/// it is.
fn header(name: &str, value: &str, sensitive: bool, secrets: &mut Secrets, url: &str) -> Result<(HeaderName, HeaderValue), Error> {
    if sensitive {
        secrets.add_credential(value);
    }
    let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
        return Err(invalid(format!("“{}” cannot be an HTTP header name.", name.trim()), url));
    };
    let Ok(mut value) = HeaderValue::from_str(value) else {
        let message = if sensitive {
            "The credential cannot be sent in an HTTP header (it has a line break or another control character). Set its value again.".to_owned()
        } else {
            format!("The {name} header's value cannot be sent in HTTP (it has a line break or another control character).")
        };
        return Err(invalid(message, url));
    };
    value.set_sensitive(sensitive);
    Ok((name, value))
}

fn invalid(message: String, url: &str) -> Error {
    let url = url::Url::parse(url.trim()).map(|u| shown_url(&u)).unwrap_or_default();
    Error::new(ErrorKind::InvalidRequest, message, &url)
}

fn masked(mut error: Error, secrets: &Secrets) -> Error {
    let fault = &mut error.0;
    fault.message = secrets.mask(&fault.message);
    fault.url = secrets.mask(&fault.url);
    fault.detail = fault.detail.take().map(|d| secrets.mask(&d));
    error
}

/// The error for a request that got no answer.
fn stopped(stop: Stop, timeout: Duration) -> Error {
    match stop {
        Stop::Cancelled { url } => Error::new(ErrorKind::Cancelled, "Stopped before the server answered.".into(), &shown_url(&url)),
        Stop::TimedOut { url } => Error::new(ErrorKind::Timeout, timeout_message(&url, timeout), &shown_url(&url)),
        Stop::Transport { error, url } => {
            let kind = match transport_kind(&error) {
                Transport::Timeout => ErrorKind::Timeout,
                Transport::Dns => ErrorKind::Dns,
                Transport::Tls => ErrorKind::Tls,
                Transport::Refused => ErrorKind::Refused,
                Transport::Broken => ErrorKind::Network,
            };
            Error::new(kind, transport_message(&error, &url, timeout), &shown_url(&url)).with_detail(transport_detail(&error))
        }
        Stop::NoLocation { code, url } => {
            Error::new(ErrorKind::Redirect, format!("{} answered {code} (a redirect) without saying where to.", host_of(&url)), &shown_url(&url)).with_status(code)
        }
        Stop::OtherOrigin { code, url, to } => {
            let (from, to) = (host_of(&url), host_of(&to));
            let message = format!("{from} redirected to {to}, another host. Liftoff does not follow it there, so that the credential stays with {from}.");
            Error::new(ErrorKind::Redirect, message, &shown_url(&url)).with_status(code)
        }
        Stop::TooManyRedirects { url } => Error::new(ErrorKind::Redirect, format!("{} redirected more than {MAX_REDIRECTS} times.", host_of(&url)), &shown_url(&url)),
    }
}
