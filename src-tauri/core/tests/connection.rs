//! Test connection against real HTTP servers on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use liftoff_core::connection::{self, Auth, AuthScheme, ConnectionReport};
use tokio_util::sync::CancellationToken;
use liftoff_core::secrets::SecretValue;

const TOKEN: &str = "canary-conn-91d2";

/// Each request's path and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A tiny HTTP server: `respond(path, authorization)` gives the status line
/// and extra headers. Records every request's path and Authorization header.
struct Server {
    base: String,
    seen: Seen,
}

/// The health check, as the app runs it (async, cancellable), from a test.
fn check(url: &str, auth: Option<&Auth>, timeout: Duration) -> ConnectionReport {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(connection::check(url, auth, timeout, &CancellationToken::new()))
}

fn serve(respond: fn(&str, Option<&str>, &str) -> (String, String)) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let (seen2, base2) = (seen.clone(), base.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let mut auth = None;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.strip_prefix("Authorization: ").or_else(|| h.strip_prefix("authorization: ")) {
                    auth = Some(v.trim().to_owned());
                }
            }
            seen2.lock().unwrap().push((path.clone(), auth.clone()));
            let (status, headers) = respond(&path, auth.as_deref(), &base2);
            let _ = write!(stream, "HTTP/1.1 {status}\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    Server { base, seen }
}

fn bearer() -> Auth {
    Auth { scheme: AuthScheme::Bearer, username: String::new(), secret: SecretValue::new(TOKEN) }
}

fn health(path: &str, auth: Option<&str>, _base: &str) -> (String, String) {
    match (path, auth) {
        ("/health", Some(a)) if a == format!("Bearer {TOKEN}") => ("200 OK".into(), String::new()),
        ("/basic", Some("Basic ZGVwbG95OmNhbmFyeS1jb25uLTkxZDI=")) => ("200 OK".into(), String::new()),
        ("/health" | "/basic", _) => ("401 Unauthorized".into(), String::new()),
        ("/hop", _) => ("302 Found".into(), "Location: /health\r\n".into()),
        ("/sick", _) => ("503 Service Unavailable".into(), String::new()),
        _ => ("404 Not Found".into(), String::new()),
    }
}

#[test]
fn a_bearer_token_reaches_the_health_check() {
    let s = serve(health);
    let r = check(&format!("{}/health", s.base), Some(&bearer()), Duration::from_secs(5));
    assert!(r.ok, "{r:?}");
    assert_eq!(r.status, Some(200));
    assert_eq!(r.message, "The health check answered 200 OK.");
}

#[test]
fn basic_auth_sends_user_and_password() {
    let s = serve(health);
    let auth = Auth { scheme: AuthScheme::Basic, username: "deploy".into(), secret: SecretValue::new(TOKEN) };
    let r = check(&format!("{}/basic", s.base), Some(&auth), Duration::from_secs(5));
    assert!(r.ok, "{r:?}");
}

#[test]
fn refusals_and_errors_read_as_sentences_without_the_secret() {
    let s = serve(health);
    let wrong = Auth { scheme: AuthScheme::Bearer, username: String::new(), secret: SecretValue::new("stale") };
    let r = check(&format!("{}/health", s.base), Some(&wrong), Duration::from_secs(5));
    assert_eq!((r.ok, r.status), (false, Some(401)));
    assert!(r.message.starts_with("The server refused the credential (401"), "{}", r.message);

    let r = check(&format!("{}/health", s.base), None, Duration::from_secs(5));
    assert!(r.message.contains("wants a credential"), "{}", r.message);

    let r = check(&format!("{}/sick", s.base), Some(&bearer()), Duration::from_secs(5));
    assert_eq!(r.status, Some(503));
    assert!(r.message.contains("reachable but unhealthy"));
    assert!(!format!("{r:?}").contains(TOKEN));
}

#[test]
fn same_origin_redirects_keep_the_credential() {
    let s = serve(health);
    let r = check(&format!("{}/hop", s.base), Some(&bearer()), Duration::from_secs(5));
    assert!(r.ok, "{r:?}");
    assert!(r.url.ends_with("/health"));
}

#[test]
fn a_redirect_to_another_host_never_gets_the_credential() {
    let other = serve(health);
    let other_health = format!("{}/health", other.base.replace("127.0.0.1", "localhost"));
    // A server that redirects to the other one (another origin).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let target = other_health.clone();
    std::thread::spawn(move || {
        if let Some(Ok(mut stream)) = listener.incoming().next() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 0 && !line.ends_with("\r\n\r\n") {}
            let _ = write!(stream, "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    let r = check(&format!("{base}/health"), Some(&bearer()), Duration::from_secs(5));
    assert!(!r.ok);
    assert!(r.message.starts_with("The health check redirected to localhost, another host."), "{}", r.message);
    std::thread::sleep(Duration::from_millis(100));
    assert!(other.seen.lock().unwrap().is_empty(), "the other host was contacted");
}

#[test]
fn nothing_listening_is_connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = check(&format!("http://127.0.0.1:{port}/health"), None, Duration::from_secs(5));
    assert!(!r.ok);
    assert_eq!(r.message, format!("Nothing answered at 127.0.0.1:{port} (connection refused). Is the service running?"));
}

#[test]
fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(3));
        drop(held);
    });
    let r = check(&format!("{base}/health"), None, Duration::from_secs(1));
    assert!(!r.ok);
    assert!(r.message.contains("did not answer within 1 seconds (timeout)"), "{}", r.message);
}

#[test]
fn bad_urls_are_refused_before_any_request() {
    let r = check("ftp://example.com", None, Duration::from_secs(1));
    assert!(!r.ok);
    assert!(r.message.contains("must start with https:// or http://"));
}

#[test]
fn a_garbled_answer_is_a_sentence_with_the_librarys_words_as_the_detail() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Some(Ok(mut stream)) = listener.incoming().next() {
            let mut line = String::new();
            let _ = BufReader::new(stream.try_clone().unwrap()).read_line(&mut line);
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        }
    });
    let r = check(&format!("{base}/health"), None, Duration::from_secs(5));
    assert!(!r.ok);
    assert!(r.message.starts_with("The request to 127.0.0.1 failed: the connection broke off, or the answer could not be read."), "{}", r.message);
    assert!(!r.message.contains("error"), "no library words in the message: {}", r.message);
    assert!(r.detail.as_deref().is_some_and(|d| !d.is_empty()), "the library's words are kept: {:?}", r.detail);
}
