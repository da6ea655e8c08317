//! Why a [`super::Client`] request gave no usable answer, in a sentence a
//! person can act on: the credential refused (401), a right missing (403),
//! nothing there or not visible (404), the server's own words (422), a rate
//! limit and how long to wait (429, or 403 with none left), the network,
//! TLS, a timeout. The server's words come from its error body, with every
//! secret the request knew masked: its sensitive headers, its session
//! cookies, the values a caller added, and the caller's own masker.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

/// What went wrong, for a caller to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be made: a bad URL, method, header or body.
    InvalidRequest,
    Cancelled,
    Timeout,
    /// The host name was not found.
    Dns,
    /// Nothing listens there.
    Refused,
    Tls,
    /// The connection broke off, or the answer could not be read.
    Network,
    /// A redirect not followed: to another origin, without a place, or too
    /// many.
    Redirect,
    /// 401.
    Unauthorized,
    /// 403 (not a rate limit).
    Forbidden,
    /// 404: missing, or hidden from this credential.
    NotFound,
    /// 409.
    Conflict,
    /// 422: the server's words say what.
    Unprocessable,
    /// 429, or a 403 with no request left.
    RateLimited,
    /// Another 4xx.
    Refusal,
    /// 5xx.
    Server,
    /// A body past the request's limit was read whole.
    TooLarge,
    /// The body is not the JSON expected.
    Decode,
}

/// A failed request; its message and text never hold a secret the request
/// knew.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.message)]
pub struct Error(pub(super) Box<Fault>);

/// What an [`Error`] holds (boxed: errors travel in `Result`s).
#[derive(Debug, Clone)]
pub(super) struct Fault {
    pub kind: ErrorKind,
    pub message: String,
    pub status: Option<u16>,
    /// Where it stopped, without its query.
    pub url: String,
    /// The server's words from its error body (masked).
    pub words: Option<String>,
    /// The error body as text, up to the body limit (masked).
    pub body: String,
    /// How long the server asked to wait, when it did.
    pub retry_after: Option<Duration>,
    /// The network library's words when the message cannot name the cause.
    pub detail: Option<String>,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The answer's status, when one came.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// Where it stopped, without the query (which may carry a signature).
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The server's words from its error body, secrets masked.
    pub fn words(&self) -> Option<&str> {
        self.0.words.as_deref()
    }

    /// The error body as text, secrets masked ("" when none).
    pub fn body(&self) -> &str {
        &self.0.body
    }

    /// How long the server asked to wait (`Retry-After`, or a spent rate
    /// limit's reset).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The network library's words, for "Details".
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// Asking again later may help: the network, a timeout, a rate limit,
    /// a server error.
    pub fn is_transient(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Timeout | ErrorKind::Network | ErrorKind::Refused | ErrorKind::RateLimited | ErrorKind::Server)
    }

    pub(super) fn new(kind: ErrorKind, message: String, url: &str) -> Error {
        Error(Box::new(Fault { kind, message, status: None, url: url.to_owned(), words: None, body: String::new(), retry_after: None, detail: None }))
    }

    pub(super) fn with_status(mut self, status: u16) -> Error {
        self.0.status = Some(status);
        self
    }

    pub(super) fn with_detail(mut self, detail: Option<String>) -> Error {
        self.0.detail = detail;
        self
    }
}

/// A caller's masker (such as the deploy run's, which also hides a secret's
/// encodings), applied to every error text.
pub type MaskFn = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// The secrets to hide from error text.
#[derive(Clone, Default)]
pub(super) struct Secrets {
    values: Vec<Arc<Zeroizing<String>>>,
    masker: Option<MaskFn>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets").field("values", &self.values.len()).field("masker", &self.masker.is_some()).finish()
    }
}

/// Values shorter than this are not masked (as the deploy masker does).
const MIN_SECRET_CHARS: usize = 3;

impl Secrets {
    pub fn add(&mut self, value: &str) {
        if value.chars().count() >= MIN_SECRET_CHARS && !self.values.iter().any(|v| v.as_str() == value) {
            self.values.push(Arc::new(Zeroizing::new(value.to_owned())));
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// A credential header's value, and the token inside it: after the
    /// scheme ("Bearer x", "token x"), and a Basic pair decoded with its
    /// password.
    pub fn add_credential(&mut self, value: &str) {
        self.add(value);
        if let Some((scheme, rest)) = value.trim().split_once(' ') {
            let rest = rest.trim();
            self.add(rest);
            if scheme.eq_ignore_ascii_case("basic") {
                use base64::Engine;
                if let Some(pair) = base64::engine::general_purpose::STANDARD.decode(rest).ok().and_then(|b| String::from_utf8(b).ok()) {
                    let pair = Zeroizing::new(pair);
                    self.add(&pair);
                    if let Some((_, password)) = pair.split_once(':') {
                        self.add(password);
                    }
                }
            }
        }
    }

    pub fn set_masker(&mut self, masker: MaskFn) {
        self.masker = Some(masker);
    }

    pub fn merged(&self, other: &Secrets) -> Secrets {
        let mut out = self.clone();
        for v in &other.values {
            out.add(v);
        }
        if other.masker.is_some() {
            out.masker.clone_from(&other.masker);
        }
        out
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = match &self.masker {
            Some(m) => m(text),
            None => text.to_owned(),
        };
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "***");
            }
        }
        out
    }
}

/// The most of the server's words an error message quotes.
const WORDS_MAX: usize = 300;

/// The server's words in an error body: a JSON API's `message`, `error`,
/// `errors` or `detail` (GitHub's, GitLab's field lists, Buildbot's JSON-RPC
/// error), an HTML page's title or text, or the text itself; on one line,
/// cut to a few hundred characters.
pub(super) fn body_words(body: &str) -> Option<String> {
    let body = body.trim();
    let found = if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        json_words(&json)
    } else if body.starts_with('<') {
        html_words(body)
    } else {
        body.to_owned()
    };
    let line = found.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return None;
    }
    Some(match line.char_indices().nth(WORDS_MAX) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    })
}

fn json_words(json: &serde_json::Value) -> String {
    use serde_json::Value;
    match json {
        Value::Object(map) => {
            let keys = ["message", "error", "error_description", "errors", "detail"];
            let said: Vec<String> = keys.iter().filter_map(|k| map.get(*k)).map(json_words).filter(|w| !w.is_empty()).collect();
            if !said.is_empty() {
                let mut unique: Vec<String> = Vec::new();
                for s in said {
                    if !unique.contains(&s) {
                        unique.push(s);
                    }
                }
                return unique.join("; ");
            }
            // GitLab's {"field": ["is invalid"]}; GitHub's {"field", "code"}.
            map.iter().filter(|(k, _)| k.as_str() != "documentation_url").map(|(k, v)| format!("{k}: {}", json_words(v))).collect::<Vec<_>>().join("; ")
        }
        Value::Array(items) => items.iter().map(json_words).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("; "),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A page's `<title>`, else its text without tags, scripts and styles.
fn html_words(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        if start + 7 < end {
            return html[start + 7..end].to_owned();
        }
    }
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        text.push(' ');
        let tag = rest[open..].to_ascii_lowercase();
        let skip_to = ["script", "style"].iter().find(|t| tag.starts_with(&format!("<{t}"))).and_then(|t| tag.find(&format!("</{t}>")));
        let close = match skip_to {
            Some(end) => tag[end..].find('>').map(|c| end + c),
            None => tag.find('>'),
        };
        match close {
            Some(c) => rest = &rest[open + c + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    text.push_str(rest);
    text
}

/// The error for an answer from `url` whose status says no, quoting the
/// server's `words`; `with_credential` when one was sent, `wait` as the
/// server asked, `rate_spent` when its rate limit has none left.
pub(super) fn status_error(code: u16, reason: &str, url: &url::Url, words: Option<&str>, with_credential: bool, wait: Option<Duration>, rate_spent: bool) -> (ErrorKind, String) {
    let (host, path) = (host_of(url), url.path());
    let status = format!("{code} {reason}").trim_end().to_owned();
    let said = words.map(|w| format!(": {}", w.trim_end_matches('.'))).unwrap_or_default();
    let again = match wait {
        Some(w) => format!("Try again in {}.", span(w)),
        None => "Try again later.".into(),
    };
    match code {
        429 => (ErrorKind::RateLimited, format!("{host} is limiting requests ({status}){said}. {again}")),
        403 if rate_spent || wait.is_some() => (ErrorKind::RateLimited, format!("{host} is limiting requests ({status}){said}. {again}")),
        401 if with_credential => (
            ErrorKind::Unauthorized,
            format!("{host} refused the credential ({status}){said}. Check that it is current (not expired or revoked) and meant for this server."),
        ),
        401 => (ErrorKind::Unauthorized, format!("{host} wants a credential ({status}){said}. Set one for this target.")),
        403 => (ErrorKind::Forbidden, format!("{host} forbids this ({status}){said}. The credential lacks a right this needs: check its scopes or the account's role.")),
        404 => (
            ErrorKind::NotFound,
            format!("{host} has nothing at {path} ({status}){said}. Either it does not exist or the credential may not see it: check the address and the credential's access."),
        ),
        409 => (ErrorKind::Conflict, format!("{host} refused the request as conflicting with the current state ({status}){said}.")),
        422 => (ErrorKind::Unprocessable, format!("{host} did not accept the request ({status}){said}.")),
        500..=599 => (ErrorKind::Server, format!("{host} failed with a server error ({status}){said}. {again}")),
        _ => (ErrorKind::Refusal, format!("{host} refused the request ({status}){said}.")),
    }
}

/// The URL without its query and fragment, which may carry a signature.
pub(super) fn shown_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// The host as messages name it, with the port when it is not the scheme's
/// own ("127.0.0.1:8010", "api.github.com").
pub(super) fn host_of(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("the server");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// "45 seconds", "2 minutes", "1 hour 5 minutes".
fn span(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match s {
        0..=90 => plural(s, "second"),
        91..=3599 => plural(s.div_ceil(60), "minute"),
        _ if s % 3600 < 60 => plural(s / 3600, "hour"),
        _ => format!("{} {}", plural(s / 3600, "hour"), plural((s % 3600).div_ceil(60), "minute")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_words_are_found_in_each_vendors_errors() {
        let github = r#"{"message":"Unexpected inputs provided: [\"x\"]","documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(body_words(github).unwrap(), r#"Unexpected inputs provided: ["x"]"#);
        let github = r#"{"message":"Validation Failed","errors":[{"resource":"Release","code":"missing_field","field":"tag_name"}]}"#;
        assert_eq!(body_words(github).unwrap(), "Validation Failed; code: missing_field; field: tag_name; resource: Release");
        assert_eq!(body_words(r#"{"message":{"base":["Insufficient permissions to set pipeline variables"]}}"#).unwrap(), "base: Insufficient permissions to set pipeline variables");
        assert_eq!(body_words(r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges."}"#).unwrap(), "insufficient_scope; The request requires higher privileges.");
        assert_eq!(body_words(r#"{"error":{"code":-32602,"message":"no such scheduler"},"id":1}"#).unwrap(), "no such scheduler");
        let jenkins = "<html><head><title>Error 403 No valid crumb was included in the request</title></head><body>…</body></html>";
        assert_eq!(body_words(jenkins).unwrap(), "Error 403 No valid crumb was included in the request");
        assert_eq!(body_words("<p>Bad <b>thing</b></p><script>x()</script>").unwrap(), "Bad thing");
        assert_eq!(body_words("  \n "), None);
        assert_eq!(body_words(&"x".repeat(400)).unwrap().chars().count(), WORDS_MAX + 1);
    }

    #[test]
    fn credentials_and_their_tokens_are_masked() {
        let mut s = Secrets::default();
        s.add_credential("Bearer ghp_abc123");
        use base64::Engine;
        s.add_credential(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("admin:hunter22")));
        s.add("ab");
        let shown = s.mask("token ghp_abc123; pair admin:hunter22, password hunter22, short ab");
        assert_eq!(shown, "token ***; pair ***, password ***, short ab");
        s.set_masker(Arc::new(|t: &str| t.replace("ZXh0cmE", "***")));
        assert_eq!(s.mask("b64 ZXh0cmE and ghp_abc123"), "b64 *** and ***");
        assert_eq!(format!("{s:?}"), "Secrets { values: 6, masker: true }");
    }

    #[test]
    fn waits_are_said_in_words() {
        assert_eq!(span(Duration::from_secs(1)), "1 second");
        assert_eq!(span(Duration::from_millis(44_200)), "45 seconds");
        assert_eq!(span(Duration::from_secs(600)), "10 minutes");
        assert_eq!(span(Duration::from_secs(3600)), "1 hour");
        assert_eq!(span(Duration::from_secs(3900)), "1 hour 5 minutes");
    }
}
