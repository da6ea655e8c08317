//! A loopback fake of a CI/CD engine that replays recorded exchanges: the
//! engine clients' contract tests (GitHub, GitLab, Jenkins) run against it
//! over a real TCP socket, as they would against the engine.
//!
//! A fixture (`tests/fixtures/<engine>/<case>.json`) is an ordered list of
//! exchanges written from the vendor's documented requests and answers
//! (each fixture's `source` names the documentation page):
//!
//! ```json
//! { "source": "https://docs.github.com/...",
//!   "exchanges": [
//!     { "note": "why this exchange", "host": "api",
//!       "request": { "method": "POST", "path": "/api/v3/repos/o/r/...?a=1",
//!                    "headers": { "authorization": "Bearer {{token}}" },
//!                    "absent": ["cookie"], "json": { "ref": "main" } },
//!       "response": { "status": 200, "headers": { "ETag": "\"a\"" },
//!                     "json": { "id": 1 }, "delay_ms": 0 } } ] }
//! ```
//!
//! - `host` picks the server (`api` unless named): each name gets its own
//!   port, so a redirect to `{{logs}}` goes to another origin;
//! - the request must match the next exchange: the method, the path, the
//!   query as a set of pairs (a value `{{*}}` matches any), each header
//!   named (names in lower case), no header in `absent`, and the body as
//!   `json` (compared as JSON), `form` (pairs) or `text`;
//! - an exchange with `"repeat": true` answers as often as asked (at least
//!   once) until a request matches the next one (a poll whose count
//!   depends on timing);
//! - `"any_body": true` accepts any request body (the test checks it);
//! - the response body is `json`, `text`, or `chunks` (sent with
//!   `Transfer-Encoding: chunked`, `chunk_delay_ms` apart);
//! - `{{api}}`, `{{logs}}` (any host's name) and the test's own variables
//!   (`{{token}}`) are replaced everywhere before use.
//!
//! A request out of turn gets a 599 and fails the test at
//! [`Replay::finish`], which also fails when exchanges were left unused.
//! Every request received is kept for the test's own assertions.
//!
//! No record mode: the fixtures are written from the documentation, not
//! captured (no GitHub Enterprise Server, GitLab or Jenkins runs here).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as a server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The `host` of the server that received it ("api", "logs").
    pub host: String,
    pub method: String,
    /// With its query, as sent.
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    exchanges: Vec<Value>,
    next: usize,
    /// The exchange at `next` repeats and was answered at least once.
    repeated: bool,
    seen: Vec<Seen>,
    problems: Vec<String>,
}

/// The running fake: one server per host named in the fixture.
pub struct Replay {
    /// Host name → base URL ("http://127.0.0.1:PORT").
    bases: BTreeMap<String, String>,
    state: Arc<Mutex<State>>,
    name: String,
}

/// The fixtures' folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Replay {
    /// Serves `tests/fixtures/{path}` with `vars` (`{{name}}` → value).
    pub async fn start(path: &str, vars: &[(&str, &str)]) -> Replay {
        let file = fixtures().join(path);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("fixture {} cannot be read: {e}", file.display()));
        let fixture: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", file.display()));
        Replay::serve(path, fixture, vars).await
    }

    /// Serves a fixture given as JSON (one built by the test).
    pub async fn serve(name: &str, fixture: Value, vars: &[(&str, &str)]) -> Replay {
        let exchanges = fixture.get("exchanges").and_then(Value::as_array).cloned().unwrap_or_else(|| panic!("fixture {name} has no exchanges"));
        let mut hosts: Vec<String> = vec!["api".into()];
        for x in &exchanges {
            let host = x.get("host").and_then(Value::as_str).unwrap_or("api").to_owned();
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        let mut listeners = Vec::new();
        let mut bases = BTreeMap::new();
        for host in hosts {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
            bases.insert(host.clone(), format!("http://{}", listener.local_addr().expect("local address")));
            listeners.push((host, listener));
        }
        // Placeholders replaced in the whole fixture, as text.
        let mut text = Value::Array(exchanges).to_string();
        for (host, base) in &bases {
            text = text.replace(&format!("{{{{{host}}}}}"), base);
        }
        for (name, value) in vars {
            let escaped = Value::String((*value).to_owned()).to_string();
            text = text.replace(&format!("{{{{{name}}}}}"), &escaped[1..escaped.len() - 1]);
        }
        let exchanges = match serde_json::from_str(&text) {
            Ok(Value::Array(list)) => list,
            _ => panic!("fixture {name}: the variables made it unreadable"),
        };
        let state = Arc::new(Mutex::new(State { exchanges, ..State::default() }));
        for (host, listener) in listeners {
            let state = state.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (state, host) = (state.clone(), host.clone());
                    tokio::spawn(async move { answer(stream, &host, &state).await });
                }
            });
        }
        Replay { bases, state, name: name.to_owned() }
    }

    /// The base URL of the server for `host` ("api", "logs").
    pub fn base(&self, host: &str) -> &str {
        self.bases.get(host).map(String::as_str).unwrap_or_else(|| panic!("fixture {} has no host {host}", self.name))
    }

    /// The API server's base URL.
    pub fn api(&self) -> &str {
        self.base("api")
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Fails the test if a request came out of turn or an exchange was not
    /// asked for.
    pub fn finish(&self) {
        let state = self.state.lock().unwrap();
        let mut problems = state.problems.clone();
        let used = state.next + usize::from(state.repeated);
        for left in &state.exchanges[used.min(state.exchanges.len())..] {
            problems.push(format!("never asked: {} {}", left["request"]["method"], left["request"]["path"]));
        }
        assert!(problems.is_empty(), "fixture {}:\n{}", self.name, problems.join("\n"));
    }
}

async fn answer(stream: tokio::net::TcpStream, host: &str, state: &Mutex<State>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("").to_owned();
    let path = words.next().unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await.unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return;
    }
    let seen = Seen { host: host.to_owned(), method, path, headers, body };
    let response = {
        let mut state = state.lock().unwrap();
        state.seen.push(seen.clone());
        // A repeated exchange that was answered once gives way to the next
        // one when that one matches.
        let mut expected = state.exchanges.get(state.next).cloned();
        if expected.as_ref().is_some_and(|x| x["repeat"] == true && state.repeated && mismatch(x, &seen).is_some()) {
            state.next += 1;
            state.repeated = false;
            expected = state.exchanges.get(state.next).cloned();
        }
        match expected.as_ref().map(|x| (x, mismatch(x, &seen))) {
            Some((x, None)) => {
                if x["repeat"] == true {
                    state.repeated = true;
                } else {
                    state.next += 1;
                }
                Ok(x["response"].clone())
            }
            Some((x, Some(why))) => {
                let problem = format!("exchange {} ({}): {} {} on {}: {why}", state.next, x["note"].as_str().unwrap_or(""), seen.method, seen.path, seen.host);
                state.problems.push(problem.clone());
                Err(problem)
            }
            None => {
                let problem = format!("unexpected request after the last exchange: {} {} on {}", seen.method, seen.path, seen.host);
                state.problems.push(problem.clone());
                Err(problem)
            }
        }
    };
    let response = response.unwrap_or_else(|problem| serde_json::json!({ "status": 599, "text": format!("replay: {problem}") }));
    let _ = respond(&mut write, &response).await;
}

/// Why `seen` is not the request `exchange` expects (`None`: it is).
fn mismatch(exchange: &Value, seen: &Seen) -> Option<String> {
    let want = &exchange["request"];
    let host = exchange.get("host").and_then(Value::as_str).unwrap_or("api");
    if host != seen.host {
        return Some(format!("expected on host {host}"));
    }
    let method = want["method"].as_str().unwrap_or("GET");
    let path = want["path"].as_str().unwrap_or("/");
    if method != seen.method {
        return Some(format!("expected {method} {path}"));
    }
    let (want_path, want_query) = split(path);
    let (seen_path, seen_query) = split(&seen.path);
    if want_path != seen_path {
        return Some(format!("expected {method} {path}"));
    }
    let (mut want_query, mut seen_query) = (pairs(want_query), pairs(seen_query));
    want_query.sort();
    seen_query.sort();
    let same = want_query.len() == seen_query.len() && want_query.iter().zip(&seen_query).all(|(w, s)| w.0 == s.0 && (w.1 == "{{*}}" || w.1 == s.1));
    if !same {
        return Some(format!("expected the query {want_query:?}, got {seen_query:?}"));
    }
    for (name, value) in want["headers"].as_object().into_iter().flatten() {
        let value = value.as_str().unwrap_or("");
        match seen.header(name) {
            Some(v) if v == value || value == "{{*}}" => {}
            other => return Some(format!("expected the header {name}: {value}, got {other:?}")),
        }
    }
    for name in want["absent"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if seen.header(name).is_some() {
            return Some(format!("the header {name} must not be sent here"));
        }
    }
    if let Some(json) = want.get("json") {
        match serde_json::from_slice::<Value>(&seen.body) {
            Ok(body) if &body == json => {}
            _ => return Some(format!("expected the JSON body {json}, got {}", String::from_utf8_lossy(&seen.body))),
        }
    }
    if let Some(form) = want.get("form").and_then(Value::as_object) {
        let mut expected: Vec<(String, String)> = form.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned())).collect();
        let mut got = pairs(std::str::from_utf8(&seen.body).unwrap_or(""));
        expected.sort();
        got.sort();
        if expected != got {
            return Some(format!("expected the form {expected:?}, got {got:?}"));
        }
    }
    if let Some(text) = want.get("text").and_then(Value::as_str) {
        if text.as_bytes() != seen.body {
            return Some(format!("expected the body {text:?}"));
        }
    }
    // `"any_body": true`: the test checks the body itself (it holds what
    // the test learns only later, such as a run's id).
    if want.get("json").is_none() && want.get("form").is_none() && want.get("text").is_none() && want.get("any_body").is_none() && !seen.body.is_empty() {
        return Some(format!("expected no body, got {}", String::from_utf8_lossy(&seen.body)));
    }
    None
}

fn split(path: &str) -> (&str, &str) {
    path.split_once('?').unwrap_or((path, ""))
}

fn pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

async fn respond(write: &mut tokio::net::tcp::OwnedWriteHalf, response: &Value) -> std::io::Result<()> {
    if let Some(ms) = response["delay_ms"].as_u64() {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let status = response["status"].as_u64().unwrap_or(200);
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let mut typed = false;
    for (name, value) in response["headers"].as_object().into_iter().flatten() {
        typed |= name.eq_ignore_ascii_case("content-type");
        match value {
            Value::Array(values) => values.iter().for_each(|v| head.push_str(&format!("{name}: {}\r\n", v.as_str().unwrap_or("")))),
            v => head.push_str(&format!("{name}: {}\r\n", v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))),
        }
    }
    head.push_str("Connection: close\r\n");
    if let Some(chunks) = response["chunks"].as_array() {
        if !typed {
            head.push_str("Content-Type: text/plain;charset=UTF-8\r\n");
        }
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        write.write_all(head.as_bytes()).await?;
        let delay = Duration::from_millis(response["chunk_delay_ms"].as_u64().unwrap_or(0));
        for chunk in chunks.iter().filter_map(Value::as_str).filter(|c| !c.is_empty()) {
            write.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes()).await?;
            write.flush().await?;
            tokio::time::sleep(delay).await;
        }
        write.write_all(b"0\r\n\r\n").await?;
        return write.shutdown().await;
    }
    let body = match (response.get("json"), response.get("text")) {
        (Some(json), _) => {
            if !typed {
                head.push_str("Content-Type: application/json; charset=utf-8\r\n");
            }
            json.to_string()
        }
        (None, Some(text)) => text.as_str().unwrap_or("").to_owned(),
        (None, None) => String::new(),
    };
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    write.write_all(head.as_bytes()).await?;
    write.write_all(body.as_bytes()).await?;
    write.shutdown().await
}

fn reason(status: u64) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "Replayed",
    }
}
