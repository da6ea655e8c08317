//! Smoke checks: HTTP and command checks run right after a deploy.
//!
//! An HTTP check asks one URL (often the environment's or the blue-green
//! slot's, as `{url}/health`) and expects a status, and optionally text in
//! the body, a JSON field's value and a latency limit. A service that is
//! still starting gets `within_secs` to come up: failed attempts are retried
//! with back-off until then. Command checks are only described here; the
//! deploy engine runs them with its own executor.
//!
//! One file: about 460 lines of one check's settings, run and verdict;
//! its tests, each against a local server, are the other half.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::environments::check_http_url;
use crate::http;
use crate::rules::{is_one_line, FieldErrors};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HttpCheck {
    pub name: String,
    /// May start with `{url}`, replaced at run time by the base URL (the
    /// environment's or the blue-green slot's); see `resolve_url`.
    pub url: String,
    /// GET, HEAD, POST… (GET when empty).
    pub method: String,
    pub expect_status: i32,
    /// The body must contain this text.
    pub expect_text: Option<String>,
    /// A JSON pointer such as "/status" (RFC 6901), or a dotted path such as
    /// "status.db" (a number picks an array item). Without `expect_json`,
    /// the field must only be there.
    pub json_field: Option<String>,
    /// The field's expected value as text: a string is compared as it is,
    /// anything else by its JSON text ("42", "true", "null").
    pub expect_json: Option<String>,
    /// A successful answer slower than this fails.
    pub max_latency_ms: Option<i32>,
    /// A credential's name; the engine resolves it to an Authorization
    /// header value and passes that to `run_http`.
    pub credential: Option<String>,
    /// How long to keep retrying, with back-off, while the service starts.
    pub within_secs: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CommandCheck {
    pub name: String,
    pub command: String,
    pub timeout_secs: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SmokeCheck {
    Http(HttpCheck),
    Command(CommandCheck),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub name: String,
    pub passed: bool,
    pub attempts: i32,
    pub elapsed_ms: i32,
    /// The last answer's status, if any came.
    pub status: Option<i32>,
    /// The last answer's latency, if any came.
    pub latency_ms: Option<i32>,
    /// What happened, in plain words: "200 OK in 35 ms, body has “ok”", or
    /// why the check failed.
    pub detail: String,
}

pub const NAME_MAX: usize = 80;
pub const URL_MAX: usize = 2000;
pub const TEXT_MAX: usize = 1000;
pub const FIELD_MAX: usize = 200;
pub const WITHIN_MAX_SECS: i32 = 900;
pub const LATENCY_MAX_MS: i32 = 600_000;
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The first wait between attempts; it doubles up to `BACKOFF_MAX`.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(250);
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// No single request waits longer than this.
pub const REQUEST_TIMEOUT_MAX: Duration = Duration::from_secs(10);
/// A request may run this much past the end of the check's budget.
pub const REQUEST_GRACE: Duration = Duration::from_secs(5);

const PLACEHOLDER: &str = "{url}";

/// The check, trimmed (an empty method becomes GET; empty optional texts
/// become none), or messages per field.
pub fn validate(check: &HttpCheck) -> Result<HttpCheck, FieldErrors> {
    let text = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
    let method = check.method.trim().to_ascii_uppercase();
    let clean = HttpCheck {
        name: check.name.trim().to_owned(),
        url: check.url.trim().to_owned(),
        method: if method.is_empty() { "GET".into() } else { method },
        expect_status: check.expect_status,
        expect_text: text(&check.expect_text),
        json_field: text(&check.json_field),
        expect_json: text(&check.expect_json),
        max_latency_ms: check.max_latency_ms,
        credential: text(&check.credential),
        within_secs: check.within_secs,
    };
    let mut errors = FieldErrors::new();
    let mut error = |field: &str, message: String| {
        errors.insert(field.into(), message);
    };
    if clean.name.is_empty() {
        error("name", "Give the check a name, such as “API health”.".into());
    } else if !is_one_line(&clean.name, NAME_MAX) {
        error("name", format!("Keep the name to one line of {NAME_MAX} characters or fewer."));
    }
    if let Some(message) = url_problem(&clean.url) {
        error("url", message);
    }
    if !METHODS.contains(&clean.method.as_str()) {
        error("method", format!("Pick one of {}.", METHODS.join(", ")));
    }
    if !(100..=599).contains(&clean.expect_status) {
        error("expectStatus", "Enter the HTTP status to expect, from 100 to 599, such as 200.".into());
    }
    if let Some(t) = &clean.expect_text {
        if t.chars().count() > TEXT_MAX {
            error("expectText", format!("Keep the expected text to {TEXT_MAX} characters or fewer."));
        }
    }
    if let Some(field) = &clean.json_field {
        if let Some(message) = field_problem(field) {
            error("jsonField", message);
        }
    }
    match &clean.expect_json {
        Some(_) if clean.json_field.is_none() => {
            error("jsonField", "Name the JSON field to compare, such as /status or status.db.".into());
        }
        Some(v) if !is_one_line(v, TEXT_MAX) => {
            error("expectJson", format!("Keep the expected value to one line of {TEXT_MAX} characters or fewer."));
        }
        _ => {}
    }
    if let Some(ms) = clean.max_latency_ms {
        if !(1..=LATENCY_MAX_MS).contains(&ms) {
            error("maxLatencyMs", format!("Enter a latency limit from 1 to {LATENCY_MAX_MS} ms, or leave it empty for none."));
        }
    }
    if let Some(c) = &clean.credential {
        if !is_one_line(c, crate::credentials::NAME_MAX) {
            error("credential", "Pick one of the environment's credentials by its name.".into());
        }
    }
    if !(0..=WITHIN_MAX_SECS).contains(&clean.within_secs) {
        error("withinSecs", format!("Enter how long to keep trying, from 0 to {WITHIN_MAX_SECS} seconds, such as 30."));
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(errors)
    }
}

fn url_problem(url: &str) -> Option<String> {
    let hint = "Enter an http:// or https:// address, or start with {url} for the environment's URL, such as {url}/health.";
    if url.is_empty() {
        return Some(hint.into());
    }
    if url.chars().count() > URL_MAX {
        return Some(format!("Keep the URL to {URL_MAX} characters or fewer."));
    }
    if url.get(PLACEHOLDER.len()..).is_some_and(|rest| rest.contains(PLACEHOLDER)) || (!url.starts_with(PLACEHOLDER) && url.contains(PLACEHOLDER)) {
        return Some("Use {url} only at the start of the URL, such as {url}/health.".into());
    }
    let resolved = resolve_url(url, "https://example.com");
    if let Err(message) = check_http_url(&resolved, "The URL") {
        return Some(if url.starts_with(PLACEHOLDER) { format!("{message} After {{url}}, write a path such as /health.") } else { message });
    }
    if url::Url::parse(&resolved).is_err() {
        return Some("The URL cannot be read. Check it for typos.".into());
    }
    None
}

fn field_problem(field: &str) -> Option<String> {
    if !is_one_line(field, FIELD_MAX) {
        return Some(format!("Keep the field to one line of {FIELD_MAX} characters or fewer."));
    }
    if !field.starts_with('/') && field.split('.').any(str::is_empty) {
        return Some("Write the field as a JSON pointer such as /status/db, or as a dotted path such as status.db.".into());
    }
    None
}

/// `template` with a leading `{url}` replaced by `base`, without doubling
/// or losing the slash between them: "{url}/health" and "{url}health" with
/// "https://x/" both give "https://x/health". Anything else is returned as
/// it is.
pub fn resolve_url(template: &str, base: &str) -> String {
    let template = template.trim();
    let Some(rest) = template.strip_prefix(PLACEHOLDER) else {
        return template.to_owned();
    };
    let base = base.trim();
    if rest.is_empty() || rest.starts_with(['?', '#']) {
        return format!("{base}{rest}");
    }
    let root = base.trim_end_matches('/');
    let rest = rest.trim_start_matches('/');
    format!("{root}/{rest}")
}

/// One attempt's failure: the sentence for the result, and whether asking
/// again could help.
struct Miss {
    detail: String,
    /// The answer's status ("503 Service Unavailable") when it was not the
    /// one expected.
    wrong_status: Option<String>,
    permanent: bool,
}

impl Miss {
    fn new(detail: String) -> Miss {
        Miss { detail, wrong_status: None, permanent: false }
    }
}

/// Runs `check` against `base_url` (for `{url}`), with `authorization` as
/// the Authorization header if given. Retries failures with back-off (250
/// ms, doubling, at most 5 s) until `within_secs` after the first attempt;
/// `on_attempt` gets a line for each failed attempt. Stops at once, as
/// "Stopped", when `cancel` fires.
pub async fn run_http(check: &HttpCheck, base_url: &str, authorization: Option<&str>, cancel: &CancellationToken, mut on_attempt: impl FnMut(&str)) -> CheckResult {
    let started = Instant::now();
    let budget = Duration::from_secs(check.within_secs.clamp(0, WITHIN_MAX_SECS) as u64);
    let url = resolve_url(&check.url, base_url);
    let mut result = CheckResult {
        name: check.name.clone(),
        passed: false,
        attempts: 0,
        elapsed_ms: 0,
        status: None,
        latency_ms: None,
        detail: String::new(),
    };
    let finish = |mut result: CheckResult, detail: String| {
        result.elapsed_ms = millis(started.elapsed());
        result.detail = scrub(&detail, authorization);
        result
    };
    if check.url.trim().starts_with(PLACEHOLDER) && base_url.trim().is_empty() {
        let detail = "The check's URL starts with {url}, but no base URL was given. Set the environment's URL, or write the check's full URL.";
        return finish(result, detail.into());
    }
    if url.is_empty() {
        return finish(result, "The check has no URL. Add one, such as {url}/health.".into());
    }
    if let Err(message) = check_http_url(&url, "The check's URL") {
        return finish(result, message);
    }
    let method = if check.method.trim().is_empty() { "GET" } else { check.method.trim() };
    let wants_body = check.expect_text.is_some() || check.json_field.is_some();
    let mut backoff = BACKOFF_FIRST;
    loop {
        if cancel.is_cancelled() {
            return finish(result, "Stopped".into());
        }
        result.attempts += 1;
        let remaining = budget.saturating_sub(started.elapsed());
        let request = http::Request {
            what: "The check",
            setting: "the check's URL",
            method,
            url: &url,
            authorization,
            timeout: REQUEST_TIMEOUT_MAX.min(remaining + REQUEST_GRACE),
            body_limit: if wants_body { http::BODY_LIMIT } else { 0 },
            follow_redirects: !(300..400).contains(&check.expect_status),
        };
        let miss = match http::request(&request, cancel).await {
            Ok(answer) => {
                result.status = Some(i32::from(answer.status));
                result.latency_ms = Some(millis(answer.latency));
                match judge(check, &answer) {
                    Ok(mut detail) => {
                        result.passed = true;
                        if result.attempts > 1 {
                            detail.push_str(&format!(" (attempt {}, after {})", result.attempts, span(started.elapsed())));
                        }
                        return finish(result, detail);
                    }
                    Err(miss) => miss,
                }
            }
            Err(failure) if failure.cancelled => return finish(result, "Stopped".into()),
            Err(failure) => {
                result.status = failure.status.map(i32::from);
                result.latency_ms = None;
                // The run's record is read by whoever fixes the service: it
                // keeps the library's words too.
                let detail = match failure.detail {
                    Some(words) => format!("{} ({words})", failure.message),
                    None => failure.message,
                };
                Miss { detail, wrong_status: None, permanent: failure.permanent }
            }
        };
        let remaining = budget.saturating_sub(started.elapsed());
        let short = scrub(&first_sentence(&miss.detail), authorization);
        if miss.permanent || remaining.is_zero() {
            on_attempt(&format!("attempt {}: {short}; giving up", result.attempts));
            let detail = match (&miss.wrong_status, result.attempts) {
                (_, 1) => miss.detail,
                (Some(status), n) => format!("Still {status} after {n} attempts over {}; expected {}.", span(started.elapsed()), expected_status(check.expect_status)),
                (None, n) => format!("{} Gave up after {n} attempts over {}.", miss.detail, span(started.elapsed())),
            };
            return finish(result, detail);
        }
        let wait = backoff.min(remaining);
        on_attempt(&format!("attempt {}: {short}; retrying in {:.1} s", result.attempts, wait.as_secs_f64()));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => return finish(result, "Stopped".into()),
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// The answer held against the check: a sentence of what passed, or why it
/// failed.
fn judge(check: &HttpCheck, answer: &http::Answer) -> Result<String, Miss> {
    let status = format!("{} {}", answer.status, answer.reason).trim_end().to_owned();
    if i32::from(answer.status) != check.expect_status {
        let mut miss = Miss::new(format!("Answered {status}, expected {}.", expected_status(check.expect_status)));
        miss.wrong_status = Some(status);
        return Err(miss);
    }
    let latency = millis(answer.latency);
    let mut passed = format!("{status} in {latency} ms");
    if let Some(limit) = check.max_latency_ms {
        if latency > limit {
            return Err(Miss::new(format!("Answered {status} in {latency} ms, over the {limit} ms limit.")));
        }
    }
    let body = String::from_utf8_lossy(&answer.body);
    let of_body = if answer.truncated { format!("The first {} KiB of the body", http::BODY_LIMIT / 1024) } else { "The body".into() };
    if let Some(text) = &check.expect_text {
        if !body.contains(text.as_str()) {
            let verb = if answer.truncated { "do" } else { "does" };
            return Err(Miss::new(format!("{of_body} {verb} not contain “{text}”.")));
        }
        passed.push_str(&format!(", body has “{text}”"));
    }
    if let Some(field) = &check.json_field {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
            let verb = if answer.truncated { "are" } else { "is" };
            return Err(Miss::new(format!("{of_body} {verb} not JSON, so {field} cannot be read.")));
        };
        let Some(value) = lookup(&json, field) else {
            return Err(Miss::new(format!("The JSON answer has no field {field}.")));
        };
        let shown = show(value);
        match &check.expect_json {
            Some(expected) if !matches(value, expected) => {
                let expected = if value.is_string() { format!("\"{expected}\"") } else { expected.clone() };
                return Err(Miss::new(format!("{field} is {shown}, expected {expected}.")));
            }
            _ => passed.push_str(&format!(", {field} is {shown}")),
        }
    }
    Ok(passed)
}

/// "200 OK", or the bare code when it has no name.
fn expected_status(code: i32) -> String {
    u16::try_from(code)
        .ok()
        .and_then(|c| reqwest::StatusCode::from_u16(c).ok())
        .and_then(|c| c.canonical_reason())
        .map(|r| format!("{code} {r}"))
        .unwrap_or_else(|| code.to_string())
}

/// `field` in `json`: a JSON pointer ("/status/db") or a dotted path
/// ("status.db", "checks.0.name").
fn lookup<'a>(json: &'a serde_json::Value, field: &str) -> Option<&'a serde_json::Value> {
    if field.starts_with('/') {
        return json.pointer(field);
    }
    field.split('.').try_fold(json, |value, key| match value {
        serde_json::Value::Object(map) => map.get(key),
        serde_json::Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// Whether the field's `value` is what the check expects as text.
fn matches(value: &serde_json::Value, expected: &str) -> bool {
    if let serde_json::Value::String(s) = value {
        return s == expected;
    }
    match serde_json::from_str::<serde_json::Value>(expected.trim()) {
        Ok(serde_json::Value::Number(e)) => value.as_number().is_some_and(|v| v == &e || (v.as_f64().is_some() && v.as_f64() == e.as_f64())),
        Ok(e) => &e == value,
        Err(_) => false,
    }
}

/// The value as JSON text, cut to one short line.
fn show(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 80 {
        text
    } else {
        format!("{}…", text.chars().take(80).collect::<String>())
    }
}

/// The first sentence of `message`, without its full stop and with a small
/// first letter, for a log line.
fn first_sentence(message: &str) -> String {
    let sentence = message.split(". ").next().unwrap_or(message).trim_end_matches('.');
    let mut chars = sentence.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(first), Some(second)) if first.is_uppercase() && !second.is_uppercase() => first.to_lowercase().chain(chars).collect(),
        _ => sentence.to_owned(),
    }
}

/// `text` with the credential (the whole header value and its token after
/// the scheme) hidden, should a server echo it back.
fn scrub(text: &str, authorization: Option<&str>) -> String {
    let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return text.to_owned();
    };
    let mut text = text.replace(header, "••••");
    if let Some((_, token)) = header.split_once(' ') {
        let token = token.trim();
        if token.len() >= 4 {
            text = text.replace(token, "••••");
        }
    }
    text
}

fn millis(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}

/// A time span in words: "0.8 s", "30 s".
fn span(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} s", d.as_secs_f64().round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    const TOKEN: &str = "canary-smoke-5e7a";

    /// One request as the server saw it.
    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path: String,
        authorization: Option<String>,
    }

    /// What the server answers: a status line, extra headers, a body, after
    /// a delay.
    struct Reply {
        status: &'static str,
        headers: String,
        body: String,
        delay: Duration,
    }

    fn reply(status: &'static str, body: &str) -> Reply {
        Reply { status, headers: String::new(), body: body.into(), delay: Duration::ZERO }
    }

    struct Server {
        base: String,
        seen: Arc<Mutex<Vec<Seen>>>,
    }

    type Handler = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;

    /// A tiny HTTP/1.1 server on loopback: `respond(n, request)` answers the
    /// n-th request (from 0); one request per connection.
    async fn serve(respond: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Server {
        serve_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), Arc::new(respond))
    }

    fn serve_on(listener: TcpListener, respond: Handler) -> Server {
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let count = Arc::new(AtomicUsize::new(0));
        let seen2 = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (respond, seen, count) = (respond.clone(), seen2.clone(), count.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    let mut line = String::new();
                    reader.read_line(&mut line).await.unwrap();
                    let mut words = line.split_whitespace();
                    let method = words.next().unwrap_or("").to_owned();
                    let path = words.next().unwrap_or("/").to_owned();
                    let mut authorization = None;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).await.unwrap() == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = h.split_once(':') {
                            if name.eq_ignore_ascii_case("authorization") {
                                authorization = Some(value.trim().to_owned());
                            }
                        }
                    }
                    let request = Seen { method, path, authorization };
                    seen.lock().unwrap().push(request.clone());
                    let r = respond(count.fetch_add(1, Ordering::SeqCst), &request);
                    tokio::time::sleep(r.delay).await;
                    let body = if request.method == "HEAD" { "" } else { r.body.as_str() };
                    let head = format!("HTTP/1.1 {}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n", r.status, r.headers, r.body.len());
                    let _ = write.write_all(format!("{head}{body}").as_bytes()).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        Server { base, seen }
    }

    fn check(url: &str) -> HttpCheck {
        HttpCheck {
            name: "API health".into(),
            url: url.into(),
            method: "GET".into(),
            expect_status: 200,
            expect_text: None,
            json_field: None,
            expect_json: None,
            max_latency_ms: None,
            credential: None,
            within_secs: 0,
        }
    }

    /// Runs the check and returns its result and the attempt lines.
    async fn run(check: &HttpCheck, base: &str, authorization: Option<&str>) -> (CheckResult, Vec<String>) {
        let mut lines = Vec::new();
        let result = run_http(check, base, authorization, &CancellationToken::new(), |l| lines.push(l.to_owned())).await;
        (result, lines)
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn passes_first_time_with_body_text_and_json_field() {
        let s = serve(|_, r| if r.path == "/health" { reply("200 OK", r#"{"status":"ok","checks":[{"db":"up"}],"version":3}"#) } else { reply("404 Not Found", "") }).await;
        let c = HttpCheck { expect_text: Some("ok".into()), json_field: Some("/status".into()), expect_json: Some("ok".into()), ..check("{url}/health") };
        let (r, lines) = run(&c, &format!("{}/", s.base), None).await;
        assert!(r.passed, "{r:?}");
        assert_eq!((r.attempts, r.status), (1, Some(200)));
        assert!(r.latency_ms.is_some());
        assert!(r.detail.starts_with("200 OK in "), "{}", r.detail);
        assert!(r.detail.ends_with(" ms, body has “ok”, /status is \"ok\""), "{}", r.detail);
        assert!(lines.is_empty());
        assert_eq!(s.seen.lock().unwrap()[0].path, "/health");

        // A dotted path into an array, and a number by its JSON text.
        let c = HttpCheck { json_field: Some("checks.0.db".into()), expect_json: Some("up".into()), ..check("{url}/health") };
        assert!(run(&c, &s.base, None).await.0.passed);
        let c = HttpCheck { json_field: Some("version".into()), expect_json: Some("3".into()), ..check("{url}/health") };
        assert!(run(&c, &s.base, None).await.0.passed);
        // A field without an expected value must only be there.
        let c = HttpCheck { json_field: Some("/checks/0".into()), ..check("{url}/health") };
        let (r, _) = run(&c, &s.base, None).await;
        assert!(r.passed && r.detail.ends_with(r#"/checks/0 is {"db":"up"}"#), "{}", r.detail);
    }

    #[tokio::test]
    async fn a_slow_start_passes_once_the_socket_opens() {
        let port = free_port();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
            serve_on(listener, Arc::new(|_, _: &Seen| reply("200 OK", "ready")));
        });
        let c = HttpCheck { expect_text: Some("ready".into()), within_secs: 5, ..check(&format!("http://127.0.0.1:{port}/health")) };
        let (r, lines) = run(&c, "", None).await;
        assert!(r.passed, "{r:?}");
        assert!(r.attempts > 1, "{r:?}");
        assert_eq!(lines.len() as i32, r.attempts - 1);
        assert!(r.detail.contains(&format!("(attempt {}, after ", r.attempts)), "{}", r.detail);
        assert_eq!(lines[0], format!("attempt 1: nothing answered at 127.0.0.1:{port} (connection refused); retrying in 0.2 s"));
        assert!(lines[1].ends_with("retrying in 0.5 s"), "{lines:?}");
    }

    #[tokio::test]
    async fn an_error_then_success_passes() {
        let s = serve(|n, _| if n < 2 { reply(if n == 0 { "503 Service Unavailable" } else { "500 Internal Server Error" }, "") } else { reply("200 OK", "ok") }).await;
        let (r, lines) = run(&HttpCheck { within_secs: 5, ..check("{url}") }, &s.base, None).await;
        assert!(r.passed, "{r:?}");
        assert_eq!(r.attempts, 3);
        assert_eq!(lines[0], "attempt 1: answered 503 Service Unavailable, expected 200 OK; retrying in 0.2 s");
        assert_eq!(lines[1], "attempt 2: answered 500 Internal Server Error, expected 200 OK; retrying in 0.5 s");
    }

    #[tokio::test]
    async fn always_failing_gives_up_after_the_budget() {
        let s = serve(|_, _| reply("500 Internal Server Error", "boom")).await;
        let started = Instant::now();
        let (r, lines) = run(&HttpCheck { within_secs: 1, ..check("{url}/health") }, &s.base, None).await;
        assert!(!r.passed);
        assert!(r.attempts > 1, "{r:?}");
        assert!(started.elapsed() >= Duration::from_secs(1) && started.elapsed() < Duration::from_secs(3));
        assert_eq!(r.status, Some(500));
        assert!(r.detail.starts_with(&format!("Still 500 Internal Server Error after {} attempts over 1.", r.attempts)), "{}", r.detail);
        assert!(r.detail.ends_with(" s; expected 200 OK."), "{}", r.detail);
        assert_eq!(lines.len() as i32, r.attempts);
        assert!(lines.last().unwrap().ends_with("; giving up"), "{lines:?}");
    }

    #[tokio::test]
    async fn within_zero_tries_exactly_once() {
        let s = serve(|_, _| reply("503 Service Unavailable", "")).await;
        let (r, lines) = run(&check("{url}"), &s.base, None).await;
        assert_eq!((r.passed, r.attempts), (false, 1));
        assert_eq!(r.detail, "Answered 503 Service Unavailable, expected 200 OK.");
        assert_eq!(lines, ["attempt 1: answered 503 Service Unavailable, expected 200 OK; giving up"]);
    }

    #[tokio::test]
    async fn the_wrong_body_text_fails() {
        let s = serve(|_, _| reply("200 OK", "starting")).await;
        let (r, _) = run(&HttpCheck { expect_text: Some("ready".into()), ..check("{url}") }, &s.base, None).await;
        assert!(!r.passed);
        assert_eq!(r.status, Some(200));
        assert_eq!(r.detail, "The body does not contain “ready”.");
    }

    #[tokio::test]
    async fn a_json_field_mismatch_names_the_field() {
        let s = serve(|n, _| reply("200 OK", if n < 3 { r#"{"status":"degraded","db":{"ok":false}}"# } else { "<html>" })).await;
        let c = HttpCheck { json_field: Some("/status".into()), expect_json: Some("ok".into()), ..check("{url}") };
        assert_eq!(run(&c, &s.base, None).await.0.detail, r#"/status is "degraded", expected "ok"."#);
        let c = HttpCheck { json_field: Some("db.ok".into()), expect_json: Some("true".into()), ..check("{url}") };
        assert_eq!(run(&c, &s.base, None).await.0.detail, "db.ok is false, expected true.");
        let c = HttpCheck { json_field: Some("/version".into()), ..check("{url}") };
        assert_eq!(run(&c, &s.base, None).await.0.detail, "The JSON answer has no field /version.");
        let c = HttpCheck { json_field: Some("/status".into()), ..check("{url}") };
        assert_eq!(run(&c, &s.base, None).await.0.detail, "The body is not JSON, so /status cannot be read.");
    }

    #[tokio::test]
    async fn an_answer_over_the_latency_limit_fails() {
        let s = serve(|_, _| Reply { delay: Duration::from_millis(300), ..reply("200 OK", "ok") }).await;
        let (r, _) = run(&HttpCheck { max_latency_ms: Some(100), ..check("{url}") }, &s.base, None).await;
        assert!(!r.passed);
        assert!(r.latency_ms.unwrap() >= 300);
        assert!(r.detail.starts_with("Answered 200 OK in ") && r.detail.ends_with(" ms, over the 100 ms limit."), "{}", r.detail);
        let (r, _) = run(&HttpCheck { max_latency_ms: Some(5000), ..check("{url}") }, &s.base, None).await;
        assert!(r.passed, "{r:?}");
    }

    #[tokio::test]
    async fn nothing_listening_says_so() {
        let port = free_port();
        let (r, _) = run(&check(&format!("http://127.0.0.1:{port}/health")), "", None).await;
        assert!(!r.passed);
        assert_eq!(r.status, None);
        assert_eq!(r.detail, format!("Nothing answered at 127.0.0.1:{port} (connection refused). Is the service running?"));

        let (r, _) = run(&HttpCheck { within_secs: 1, ..check(&format!("http://127.0.0.1:{port}/health")) }, "", None).await;
        assert!(r.attempts > 1);
        assert!(r.detail.starts_with(&format!("Nothing answered at 127.0.0.1:{port} (connection refused). Is the service running? Gave up after {} attempts over 1.", r.attempts)), "{}", r.detail);
    }

    #[tokio::test]
    async fn cancelling_stops_at_once() {
        // Between attempts.
        let s = serve(|_, _| reply("503 Service Unavailable", "")).await;
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            c2.cancel();
        });
        let started = Instant::now();
        let r = run_http(&HttpCheck { within_secs: 30, ..check("{url}") }, &s.base, None, &cancel, |_| {}).await;
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        assert_eq!((r.passed, r.detail.as_str()), (false, "Stopped"));
        assert!(r.attempts >= 1);

        // During a request that is slow to answer.
        let s = serve(|_, _| Reply { delay: Duration::from_secs(5), ..reply("200 OK", "") }).await;
        let cancel = CancellationToken::new();
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            c2.cancel();
        });
        let started = Instant::now();
        let r = run_http(&HttpCheck { within_secs: 30, ..check("{url}") }, &s.base, None, &cancel, |_| {}).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!((r.passed, r.attempts, r.detail.as_str()), (false, 1, "Stopped"));

        // Already cancelled: no request at all.
        let r = run_http(&check("{url}"), &s.base, None, &cancel, |_| {}).await;
        assert_eq!((r.attempts, r.detail.as_str()), (0, "Stopped"));
    }

    /// 200 with the Authorization header echoed in JSON when it is the
    /// token, 401 otherwise.
    fn guarded(_: usize, r: &Seen) -> Reply {
        match (r.path.as_str(), r.authorization.as_deref()) {
            ("/hop", _) => Reply { headers: "Location: /health\r\n".into(), ..reply("302 Found", "") },
            (_, Some(a)) if a == format!("Bearer {TOKEN}") => reply("200 OK", &format!(r#"{{"status":"ok","echo":"{a}"}}"#)),
            _ => reply("401 Unauthorized", ""),
        }
    }

    #[tokio::test]
    async fn the_credential_is_sent_and_never_shown() {
        let s = serve(guarded).await;
        let header = format!("Bearer {TOKEN}");
        let c = HttpCheck { credential: Some("API token".into()), ..check("{url}/health") };
        let (r, _) = run(&c, &s.base, Some(&header)).await;
        assert!(r.passed, "{r:?}");
        assert_eq!(s.seen.lock().unwrap()[0].authorization.as_deref(), Some(header.as_str()));

        // A server that echoes the credential: the detail hides it.
        let c = HttpCheck { json_field: Some("/echo".into()), expect_json: Some("x".into()), within_secs: 1, ..c };
        let (r, lines) = run(&c, &s.base, Some(&header)).await;
        assert!(!r.passed);
        assert!(r.detail.starts_with("/echo is \"••••\", expected \"x\"."), "{}", r.detail);
        assert!(!format!("{r:?}{lines:?}").contains(TOKEN));

        let (r, _) = run(&check("{url}/health"), &s.base, Some("Bearer stale")).await;
        assert_eq!(r.detail, "Answered 401 Unauthorized, expected 200 OK.");
    }

    #[tokio::test]
    async fn redirects_keep_the_credential_within_the_origin_only() {
        let s = serve(guarded).await;
        let header = format!("Bearer {TOKEN}");
        let (r, _) = run(&check("{url}/hop"), &s.base, Some(&header)).await;
        assert!(r.passed, "{r:?}");
        assert_eq!(s.seen.lock().unwrap().iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/hop", "/health"]);

        // Expecting a redirect checks the redirect itself.
        let (r, _) = run(&HttpCheck { expect_status: 302, ..check("{url}/hop") }, &s.base, None).await;
        assert!(r.passed && r.detail.starts_with("302 Found in "), "{r:?}");

        // To another origin with a credential: refused at once, no retries.
        let other = serve(guarded).await;
        let target = format!("{}/health", other.base.replace("127.0.0.1", "localhost"));
        let away = serve(move |_, _| Reply { headers: format!("Location: {target}\r\n"), ..reply("302 Found", "") }).await;
        let (r, lines) = run(&HttpCheck { within_secs: 5, ..check("{url}") }, &away.base, Some(&header)).await;
        assert!(!r.passed);
        assert_eq!(r.attempts, 1);
        assert!(r.detail.starts_with("The check redirected to localhost, another host."), "{}", r.detail);
        assert!(lines[0].ends_with("; giving up"));
        assert!(other.seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_method_is_sent() {
        let s = serve(|_, r| if r.method == "POST" || r.method == "HEAD" { reply("202 Accepted", "queued") } else { reply("405 Method Not Allowed", "") }).await;
        let (r, _) = run(&HttpCheck { method: "post".into(), expect_status: 202, expect_text: Some("queued".into()), ..check("{url}/hook") }, &s.base, None).await;
        assert!(r.passed, "{r:?}");
        let (r, _) = run(&HttpCheck { method: "HEAD".into(), expect_status: 202, ..check("{url}/hook") }, &s.base, None).await;
        assert!(r.passed, "{r:?}");
        assert_eq!(s.seen.lock().unwrap().iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["POST", "HEAD"]);
    }

    #[tokio::test]
    async fn unusable_urls_fail_without_a_request() {
        let (r, _) = run(&check("{url}/health"), "", None).await;
        assert_eq!(r.attempts, 0);
        assert!(r.detail.starts_with("The check's URL starts with {url}, but no base URL was given."), "{}", r.detail);
        let (r, _) = run(&check("ftp://example.com"), "", None).await;
        assert_eq!(r.attempts, 0);
        assert!(r.detail.contains("must start with https:// or http://"), "{}", r.detail);
    }

    #[test]
    fn urls_resolve_against_the_base() {
        assert_eq!(resolve_url("{url}/health", "https://x/"), "https://x/health");
        assert_eq!(resolve_url("{url}/health", "https://x"), "https://x/health");
        assert_eq!(resolve_url("{url}health", "https://x/app/"), "https://x/app/health");
        assert_eq!(resolve_url("{url}", "https://x/app/"), "https://x/app/");
        assert_eq!(resolve_url("{url}?probe=1", "https://x/"), "https://x/?probe=1");
        assert_eq!(resolve_url(" https://y/ping ", "https://x/"), "https://y/ping");
    }

    #[test]
    fn validate_trims_and_fills_the_method() {
        let c = HttpCheck {
            name: "  API  ".into(),
            url: " {url}/health ".into(),
            method: " ".into(),
            expect_text: Some("  ".into()),
            json_field: Some(" /status ".into()),
            expect_json: Some(" ok ".into()),
            credential: Some(" API token ".into()),
            max_latency_ms: Some(500),
            within_secs: 30,
            ..check("")
        };
        let clean = validate(&c).unwrap();
        assert_eq!((clean.name.as_str(), clean.url.as_str(), clean.method.as_str()), ("API", "{url}/health", "GET"));
        assert_eq!((clean.expect_text, clean.json_field.as_deref(), clean.expect_json.as_deref()), (None, Some("/status"), Some("ok")));
        assert_eq!(clean.credential.as_deref(), Some("API token"));
        assert!(validate(&check("https://api.example.com/health")).is_ok());
        assert_eq!(validate(&HttpCheck { method: "delete".into(), ..check("{url}") }).unwrap().method, "DELETE");
    }

    #[test]
    fn validate_refuses_what_cannot_run() {
        let e = validate(&HttpCheck {
            name: String::new(),
            url: "ftp://example.com".into(),
            method: "FETCH".into(),
            expect_status: 99,
            max_latency_ms: Some(0),
            within_secs: 901,
            ..check("")
        })
        .unwrap_err();
        let keys: Vec<_> = e.keys().map(String::as_str).collect();
        assert_eq!(keys, ["expectStatus", "maxLatencyMs", "method", "name", "url", "withinSecs"]);
        assert!(e["url"].contains("https://"), "{}", e["url"]);
        assert_eq!(e["method"], "Pick one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.");
        assert!(e["expectStatus"].contains("100 to 599"));
        for url in ["", "health", "https://", "https://user:pw@x/", "https://x/{url}", "{url}/a/{url}", "{url} /health"] {
            assert!(validate(&check(url)).unwrap_err().contains_key("url"), "{url}");
        }
        assert!(validate(&HttpCheck { expect_status: 600, ..check("{url}") }).unwrap_err().contains_key("expectStatus"));
        assert!(validate(&HttpCheck { expect_json: Some("ok".into()), ..check("{url}") }).unwrap_err().contains_key("jsonField"));
        assert!(validate(&HttpCheck { json_field: Some("a..b".into()), ..check("{url}") }).unwrap_err().contains_key("jsonField"));
        assert!(validate(&HttpCheck { name: "a\nb".into(), ..check("{url}") }).unwrap_err().contains_key("name"));
        assert!(validate(&HttpCheck { within_secs: -1, ..check("{url}") }).unwrap_err().contains_key("withinSecs"));
    }

    #[test]
    fn checks_serialize_with_their_kind() {
        let json = serde_json::to_value(SmokeCheck::Command(CommandCheck { name: "migrations".into(), command: "./check.sh".into(), timeout_secs: 60 })).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "command", "name": "migrations", "command": "./check.sh", "timeoutSecs": 60}));
        let http = SmokeCheck::Http(HttpCheck { within_secs: 30, ..check("{url}/health") });
        let json = serde_json::to_value(&http).unwrap();
        assert_eq!((json["kind"].as_str(), json["expectStatus"].as_i64()), (Some("http"), Some(200)));
        assert_eq!(serde_json::from_value::<SmokeCheck>(json).unwrap(), http);
    }
}
