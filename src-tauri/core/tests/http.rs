//! The engine clients' HTTP client against real HTTP servers on loopback:
//! bodies as the server receives them, credentials kept from messages,
//! `Debug` and other origins, cookies, conditional requests, paging, rate
//! limits, streamed bodies and errors in words.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use liftoff_core::deploy::mask::Masker;
use liftoff_core::http::{Client, ErrorKind, RetryAfter, BODY_LIMIT, USER_AGENT};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "ghp_canary_http_4c1e";
const CRUMB: &str = "crumb-canary-77b0";

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
struct Reply {
    status: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(status: &'static str, body: &str) -> Reply {
    Reply { status, headers: Vec::new(), body: body.as_bytes().to_vec(), delay: Duration::ZERO }
}

impl Reply {
    fn with(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A tiny HTTP/1.1 server on loopback; `respond(request, base)` answers
/// each request, one per connection. Bodies go out in 64 KiB writes.
async fn serve(respond: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let (respond, seen2, base2) = (Arc::new(respond), seen.clone(), base.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (respond, seen, base) = (respond.clone(), seen2.clone(), base2.clone());
            tokio::spawn(async move {
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
                reader.read_exact(&mut body).await.unwrap();
                let request = Seen { method, path, headers, body };
                seen.lock().unwrap().push(request.clone());
                let r = respond(&request, &base);
                tokio::time::sleep(r.delay).await;
                let extra: String = r.headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
                let head = format!("HTTP/1.1 {}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n", r.status, r.body.len());
                if write.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for piece in r.body.chunks(64 * 1024) {
                    if write.write_all(piece).await.is_err() {
                        return;
                    }
                }
                let _ = write.shutdown().await;
            });
        }
    });
    Server { base, seen }
}

fn client() -> Client {
    Client::builder().bearer(TOKEN).sensitive_header("Jenkins-Crumb", CRUMB).build().unwrap()
}

fn go() -> CancellationToken {
    CancellationToken::new()
}

#[tokio::test]
async fn json_and_form_bodies_arrive_as_sent_with_the_user_agent() {
    let s = serve(|_, _| reply("201 Created", "{}").with("Location", "/queue/item/42/")).await;
    let c = client();
    let inputs = serde_json::json!({"ref": "main", "inputs": {"liftoff_run_id": "r-1", "note": "ünï \"q\""}});
    let r = c.post(&format!("{}/dispatches", s.base)).json(&inputs).send(&go()).await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers().location.as_deref(), Some(format!("{}/queue/item/42/", s.base).as_str()));
    c.post(&format!("{}/trigger/pipeline", s.base)).form(&[("token", "t-123"), ("ref", "release/1.2"), ("variables[NOTE]", "a b&c=d")]).send(&go()).await.unwrap();

    let seen = s.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&seen[0].body).unwrap(), inputs);
    assert_eq!(seen[0].header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("Liftoff/0."), "{USER_AGENT}");
    assert_eq!(seen[0].header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(seen[0].header("jenkins-crumb"), Some(CRUMB));
    assert_eq!(seen[1].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(String::from_utf8_lossy(&seen[1].body), "token=t-123&ref=release%2F1.2&variables%5BNOTE%5D=a+b%26c%3Dd");
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&seen[1].body).into_owned().collect();
    assert_eq!(fields[2], ("variables[NOTE]".into(), "a b&c=d".into()));

    // The engine runs requests on spawned tasks.
    fn sendable<T: Send>(t: T) -> T {
        t
    }
    let c2 = c.clone();
    sendable(tokio::spawn(async move { c2.get("http://127.0.0.1:1/").send(&go()).await.map(|r| r.status()) }));

    // A request's own user agent replaces Liftoff's.
    let c = Client::builder().user_agent("Probe/1").build().unwrap();
    c.get(&s.base).send(&go()).await.unwrap();
    assert_eq!(s.seen()[2].header("user-agent"), Some("Probe/1"));
    assert_eq!(s.seen()[2].header("authorization"), None);
}

#[tokio::test]
async fn sensitive_headers_never_show_in_debug_or_errors() {
    let s = serve(|r, _| {
        let echoed = format!("Bad credentials: {} with crumb {}", r.header("authorization").unwrap_or(""), r.header("jenkins-crumb").unwrap_or(""));
        reply("401 Unauthorized", &serde_json::json!({ "message": echoed }).to_string())
    })
    .await;
    let c = client();
    let call = c.get(&format!("{}/user", s.base)).sensitive_header("X-Api-Key", "key-canary-3141").header("Accept", "application/json");
    let shown = format!("{c:?} {call:?}");
    assert!(shown.contains("jenkins-crumb") && shown.contains("<redacted>") && shown.contains("application/json"), "{shown}");
    assert!(!shown.contains(TOKEN) && !shown.contains(CRUMB) && !shown.contains("key-canary-3141"), "{shown}");

    let e = call.send(&go()).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Unauthorized, Some(401)));
    let host = s.base.trim_start_matches("http://");
    assert_eq!(e.to_string(), format!("{host} refused the credential (401 Unauthorized): Bad credentials: *** with crumb ***. Check that it is current (not expired or revoked) and meant for this server."));
    let everything = format!("{e:?} {} {} {:?}", e.body(), e.url(), e.words());
    assert!(!everything.contains(TOKEN) && !everything.contains(CRUMB), "{everything}");

    // No credential at all: the server wants one.
    let e = Client::builder().build().unwrap().get(&format!("{}/user", s.base)).send(&go()).await.unwrap_err();
    assert!(e.message().starts_with(&format!("{host} wants a credential (401 Unauthorized)")), "{e}");

    // A credential that cannot be a header value is refused before sending,
    // and not shown.
    let e = Client::builder().bearer("line\nbreak-secret").build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert!(e.message().starts_with("The credential cannot be sent in an HTTP header") && !format!("{e:?}").contains("break-secret"), "{e:?}");
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_unless_asked_then_followed_without_the_credential() {
    let blob = serve(|_, _| reply("200 OK", "2025-03-04T12:00:00.0000000Z ##[group]Run make\nok\n")).await;
    let target = format!("{}/logs/job-9?sig=signed-abc&se=2025", blob.base);
    let api = serve(move |r, _| match r.path.as_str() {
        "/login" => reply("200 OK", "").with("Set-Cookie", "JSESSIONID=sess-canary-5150; Path=/; HttpOnly"),
        "/jobs/9/logs" => reply("302 Found", "").with("Location", &target),
        "/same" => reply("307 Temporary Redirect", "").with("Location", "/echo"),
        "/see-other" => reply("303 See Other", "").with("Location", "/echo"),
        _ => reply("200 OK", ""),
    })
    .await;
    let c = Client::builder().bearer(TOKEN).sensitive_header("Jenkins-Crumb", CRUMB).session_cookies().build().unwrap();
    c.get(&format!("{}/login", api.base)).send(&go()).await.unwrap();

    let e = c.get(&format!("{}/jobs/9/logs", api.base)).send(&go()).await.unwrap_err();
    let (from, to) = (api.base.trim_start_matches("http://"), blob.base.trim_start_matches("http://"));
    assert_eq!((e.kind(), e.status()), (ErrorKind::Redirect, Some(302)));
    assert_eq!(e.to_string(), format!("{from} redirected to {to}, another host. Liftoff does not follow it there, so that the credential stays with {from}."));
    assert!(blob.seen().is_empty());

    let log = c.get(&format!("{}/jobs/9/logs", api.base)).header("Accept", "text/plain").follow_to_other_origin().send(&go()).await.unwrap();
    assert!(log.url().starts_with(&blob.base) && log.url().contains("sig=signed-abc"), "{}", log.url());
    assert!(log.text().await.unwrap().contains("##[group]Run make"));
    let got = &blob.seen()[0];
    assert_eq!(got.path, "/logs/job-9?sig=signed-abc&se=2025");
    assert_eq!((got.header("authorization"), got.header("jenkins-crumb"), got.header("cookie")), (None, None, None));
    assert_eq!((got.header("accept"), got.header("user-agent")), (Some("text/plain"), Some(USER_AGENT)));
    let asked = api.seen().into_iter().find(|r| r.path == "/jobs/9/logs").unwrap();
    assert_eq!(asked.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));

    // Within the origin: followed with everything; a 307 sends the body
    // again, a 303 goes on as a GET without it.
    c.post(&format!("{}/same", api.base)).json(&serde_json::json!({"a": 1})).send(&go()).await.unwrap();
    c.post(&format!("{}/see-other", api.base)).json(&serde_json::json!({"a": 1})).send(&go()).await.unwrap();
    let echoes: Vec<Seen> = api.seen().into_iter().filter(|r| r.path == "/echo").collect();
    assert_eq!((echoes[0].method.as_str(), echoes[0].body.as_slice()), ("POST", br#"{"a":1}"#.as_slice()));
    assert_eq!((echoes[1].method.as_str(), echoes[1].body.len(), echoes[1].header("content-type")), ("GET", 0, None));
    assert!(echoes.iter().all(|r| r.header("authorization").is_some() && r.header("cookie") == Some("JSESSIONID=sess-canary-5150")));
}

#[tokio::test]
async fn the_session_cookie_goes_back_to_its_origin_only() {
    let jenkins = serve(|r, _| match r.path.as_str() {
        "/crumbIssuer/api/json" => reply("200 OK", r#"{"crumbRequestField":"Jenkins-Crumb","crumb":"c1"}"#).with("Set-Cookie", "JSESSIONID.a1b2=node0sess-canary-9a; Path=/; HttpOnly"),
        "/whoami" => reply("403 Forbidden", &format!("<html><head><title>Error 403 session {} refused</title></head></html>", r.header("cookie").unwrap_or(""))),
        _ => reply("201 Created", ""),
    })
    .await;
    let other = serve(|_, _| reply("200 OK", "")).await;
    let c = Client::builder().basic("deploy", "hunter2-canary").session_cookies().build().unwrap();
    let crumb: serde_json::Value = c.get(&format!("{}/crumbIssuer/api/json", jenkins.base)).send(&go()).await.unwrap().json().await.unwrap();
    assert_eq!(crumb["crumb"], "c1");
    c.post(&format!("{}/job/app/buildWithParameters", jenkins.base)).form(&[("LIFTOFF_RUN_ID", "r-2")]).send(&go()).await.unwrap();
    c.get(&other.base).send(&go()).await.unwrap();
    assert_eq!(jenkins.seen()[0].header("cookie"), None);
    assert_eq!(jenkins.seen()[1].header("cookie"), Some("JSESSIONID.a1b2=node0sess-canary-9a"));
    assert_eq!(other.seen()[0].header("cookie"), None);

    // Without the jar, no cookie is kept.
    let plain = Client::builder().build().unwrap();
    plain.get(&format!("{}/crumbIssuer/api/json", jenkins.base)).send(&go()).await.unwrap();
    plain.post(&format!("{}/job/app/build", jenkins.base)).send(&go()).await.unwrap();
    assert_eq!(jenkins.seen()[3].header("cookie"), None);

    // A session cookie echoed in an error is masked, as is the password.
    let e = c.get(&format!("{}/whoami", jenkins.base)).send(&go()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert!(e.message().contains(": Error 403 session JSESSIONID.a1b2=*** refused. The credential lacks a right"), "{e}");
    assert!(!format!("{e:?}").contains("node0sess-canary-9a") && !format!("{c:?}").contains("hunter2-canary"));
}

#[tokio::test]
async fn a_304_answers_an_unchanged_etag() {
    let s = serve(|r, _| match r.header("if-none-match") {
        Some("W/\"run-7\"") => reply("304 Not Modified", "").with("ETag", "W/\"run-7\""),
        _ => reply("200 OK", r#"{"status":"in_progress"}"#).with("ETag", "W/\"run-7\""),
    })
    .await;
    let c = client();
    let url = format!("{}/actions/runs/7", s.base);
    let first = c.get(&url).send(&go()).await.unwrap();
    let etag = first.headers().etag.clone().unwrap();
    assert_eq!((first.status(), first.not_modified(), etag.as_str()), (200, false, "W/\"run-7\""));
    let run: serde_json::Value = first.json().await.unwrap();
    assert_eq!(run["status"], "in_progress");

    let again = c.get(&url).if_none_match(&etag).send(&go()).await.unwrap();
    assert!(again.not_modified());
    assert_eq!((again.status(), again.reason()), (304, "Not Modified"));
    assert_eq!(again.bytes().await.unwrap(), b"");
    assert_eq!(s.seen()[1].header("if-none-match"), Some("W/\"run-7\""));
}

#[tokio::test]
async fn link_headers_page_through_a_list() {
    let s = serve(|r, base| {
        let page: u32 = r.path.rsplit_once("&page=").and_then(|(_, p)| p.parse().ok()).unwrap_or(1);
        let jobs: Vec<u32> = (1..=100).map(|i| (page - 1) * 100 + i).filter(|&j| j <= 250).collect();
        let mut links = Vec::new();
        if page < 3 {
            links.push(format!("<{base}/jobs?per_page=100&page={}>; rel=\"next\"", page + 1));
        }
        links.push(format!("<{base}/jobs?per_page=100&page=3>; rel=\"last\""));
        reply("200 OK", &serde_json::json!({ "total_count": 250, "jobs": jobs }).to_string()).with("Link", &links.join(", "))
    })
    .await;
    let c = client();
    let (mut url, mut jobs, mut pages) = (Some(format!("{}/jobs?per_page=100", s.base)), Vec::new(), 0);
    while let Some(at) = url {
        let r = c.get(&at).send(&go()).await.unwrap();
        url = r.headers().link("next").map(str::to_owned);
        assert_eq!(r.headers().link("last"), Some(format!("{}/jobs?per_page=100&page=3", s.base).as_str()));
        let page: serde_json::Value = r.json().await.unwrap();
        jobs.extend(page["jobs"].as_array().unwrap().iter().map(|j| j.as_u64().unwrap()));
        pages += 1;
    }
    assert_eq!((pages, jobs.len(), jobs.first(), jobs.last()), (3, 250, Some(&1), Some(&250)));
}

#[tokio::test]
async fn rate_limits_say_how_long_to_wait_in_both_forms() {
    let s = serve(|r, _| match r.path.as_str() {
        "/seconds" => reply("429 Too Many Requests", r#"{"message":"API rate limit exceeded"}"#).with("Retry-After", "7"),
        "/date" => {
            let at = chrono::Utc::now() + chrono::Duration::seconds(120);
            reply("503 Service Unavailable", "").with("Retry-After", &at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        }
        "/spent" => {
            let reset = chrono::Utc::now().timestamp() + 600;
            reply("403 Forbidden", r#"{"message":"API rate limit exceeded for user ID 1."}"#)
                .with("X-RateLimit-Remaining", "0")
                .with("X-RateLimit-Limit", "5000")
                .with("X-RateLimit-Reset", &reset.to_string())
        }
        _ => reply("200 OK", "").with("RateLimit-Remaining", "599").with("RateLimit-Limit", "600").with("Retry-After", "Tue, 04 Mar 2025 12:00:45 GMT"),
    })
    .await;
    let c = client();
    let host = s.base.trim_start_matches("http://");
    let e = c.get(&format!("{}/seconds", s.base)).send(&go()).await.unwrap_err();
    assert_eq!((e.kind(), e.retry_after()), (ErrorKind::RateLimited, Some(Duration::from_secs(7))));
    assert_eq!(e.to_string(), format!("{host} is limiting requests (429 Too Many Requests): API rate limit exceeded. Try again in 7 seconds."));
    assert!(e.is_transient());

    let e = c.get(&format!("{}/date", s.base)).send(&go()).await.unwrap_err();
    let wait = e.retry_after().unwrap();
    assert!((118..=121).contains(&wait.as_secs()), "{wait:?}");
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.to_string(), format!("{host} failed with a server error (503 Service Unavailable). Try again in 2 minutes."));

    let e = c.get(&format!("{}/spent", s.base)).send(&go()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!((598..=601).contains(&e.retry_after().unwrap().as_secs()), "{:?}", e.retry_after());

    let ok = c.get(&s.base).send(&go()).await.unwrap();
    assert_eq!((ok.headers().rate_limit.remaining, ok.headers().rate_limit.limit), (Some(599), Some(600)));
    assert!(matches!(ok.headers().retry_after, Some(RetryAfter::At(_))));
}

#[tokio::test]
async fn a_5_mb_log_streams_in_chunks_past_the_body_limit() {
    const SIZE: usize = 5 * 1024 * 1024;
    let s = serve(|r, _| {
        let log: Vec<u8> = (0..SIZE).map(|i| b"0123456789abcdef\n"[i % 17]).collect();
        let start: usize = r.path.rsplit_once("start=").and_then(|(_, s)| s.parse().ok()).unwrap_or(0);
        Reply { body: log[start..].to_vec(), ..reply("200 OK", "") }.with("X-Text-Size", &SIZE.to_string()).with("X-More-Data", "true")
    })
    .await;
    let c = client();
    let url = format!("{}/job/app/7/logText/progressiveText?start=0", s.base);
    let mut r = c.get(&url).send(&go()).await.unwrap();
    assert_eq!((r.headers().text_size, r.headers().more_data), (Some(SIZE as u64), true));
    let (mut total, mut pieces, mut lines) = (0usize, 0, 0);
    while let Some(piece) = r.chunk().await.unwrap() {
        assert!(piece.len() <= BODY_LIMIT * 4);
        total += piece.len();
        pieces += 1;
        lines += piece.iter().filter(|&&b| b == b'\n').count();
    }
    assert_eq!((total, lines), (SIZE, SIZE / 17));
    assert!(pieces > 5, "{pieces} pieces");

    let streamed = c.get(&url).send(&go()).await.unwrap().stream(|_| {}).await.unwrap();
    assert_eq!(streamed, SIZE as u64);

    let e = c.get(&url).send(&go()).await.unwrap().bytes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert!(e.message().ends_with("sent a body of more than 256 KiB, more than Liftoff reads at once."), "{e}");
    let whole = c.get(&url).body_limit(SIZE).send(&go()).await.unwrap().bytes().await.unwrap();
    assert_eq!(whole.len(), SIZE);
}

#[tokio::test]
async fn error_bodies_are_quoted_with_secrets_masked() {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(TOKEN);
    let body = serde_json::json!({"message": format!("Unexpected inputs provided: [\"token\"] (got {TOKEN}, {encoded}, trigger t-secret-99)")}).to_string();
    let s = serve(move |r, _| match r.path.split('?').next().unwrap_or("") {
        "/dispatches" => reply("422 Unprocessable Entity", &body),
        "/missing" => reply("404 Not Found", r#"{"message":"Not Found"}"#),
        "/busy" => reply("409 Conflict", r#"{"message":"Cannot cancel a workflow run that is completed."}"#),
        "/broken" => reply("502 Bad Gateway", "<html><body><h1>502</h1> upstream down</body></html>"),
        _ => reply("418 I'm a teapot", ""),
    })
    .await;
    let masker = Masker::new(&[TOKEN]);
    let c = Client::builder().bearer(TOKEN).mask_with(Arc::new(move |t: &str| masker.mask(t).into_owned())).build().unwrap();
    let host = s.base.trim_start_matches("http://");

    let e = c.post(&format!("{}/dispatches", s.base)).mask(&["t-secret-99"]).json(&serde_json::json!({"ref": "main"})).send(&go()).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Unprocessable, Some(422)));
    assert_eq!(e.to_string(), format!("{host} did not accept the request (422 Unprocessable Entity): Unexpected inputs provided: [\"token\"] (got ***, ***, trigger ***)."));
    assert_eq!(e.words(), Some("Unexpected inputs provided: [\"token\"] (got ***, ***, trigger ***)"));
    assert!(!format!("{e:?}").contains(TOKEN) && !format!("{e:?}").contains(&encoded) && !e.body().contains("t-secret-99"));
    assert!(!e.is_transient());

    let e = c.get(&format!("{}/missing?private_token=abc", s.base)).send(&go()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.url(), format!("{}/missing", s.base));
    assert_eq!(e.to_string(), format!("{host} has nothing at /missing (404 Not Found): Not Found. Either it does not exist or the credential may not see it: check the address and the credential's access."));
    let e = c.post(&format!("{}/busy", s.base)).send(&go()).await.unwrap_err();
    assert_eq!((e.kind(), e.words()), (ErrorKind::Conflict, Some("Cannot cancel a workflow run that is completed.")));
    let e = c.get(&format!("{}/broken", s.base)).send(&go()).await.unwrap_err();
    assert_eq!(e.to_string(), format!("{host} failed with a server error (502 Bad Gateway): 502 upstream down. Try again later."));
    assert!(e.is_transient());
    let e = c.get(&format!("{}/teapot", s.base)).send(&go()).await.unwrap_err();
    assert_eq!((e.kind(), e.to_string()), (ErrorKind::Refusal, format!("{host} refused the request (418 I'm a teapot).")));
}

#[tokio::test]
async fn network_timeouts_tls_and_cancelling_are_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = client();
    let e = c.get(&format!("http://127.0.0.1:{port}/")).send(&go()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Refused);
    assert_eq!(e.to_string(), format!("Nothing answered at 127.0.0.1:{port} (connection refused). Is the service running?"));
    assert!(e.is_transient());

    let slow = serve(|_, _| Reply { delay: Duration::from_secs(5), ..reply("200 OK", "late") }).await;
    let e = c.get(&slow.base).timeout(Duration::from_millis(300)).send(&go()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(e.to_string(), "127.0.0.1 did not answer within 0.3 seconds (timeout). Is the service up, and reachable from this computer?");

    // A plain HTTP server asked for TLS.
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_url = format!("https://{}/", plain.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = plain.accept().await {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n").await;
            let _ = stream.shutdown().await;
        }
    });
    let e = c.get(&plain_url).send(&go()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
    assert!(e.to_string().starts_with("The secure (TLS) connection to 127.0.0.1 failed."), "{e}");

    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.cancel();
    });
    let e = c.get(&slow.base).send(&cancel).await.unwrap_err();
    assert_eq!((e.kind(), e.message()), (ErrorKind::Cancelled, "Stopped before the server answered."));

    for (url, said) in [("not a url", "The URL cannot be read."), ("ftp://x/", "The URL must start with https:// or http://")] {
        let e = c.get(url).send(&go()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert!(e.message().starts_with(said), "{e}");
    }
    let e = c.request("GE T", &slow.base).send(&go()).await.unwrap_err();
    assert_eq!(e.message(), "“GE T” is not an HTTP method.");
}
