//! Announcement mail against a real SMTP server on loopback: aiosmtpd
//! (tests/support/smtp_server.py) in the Python environment that
//! scripts/pyenv.sh makes, with TLS from a test CA made by `openssl` here.
//! `LIFTOFF_TEST_PYTHON` names that environment's python (scripts/test.sh
//! sets it); when it is unset the test runs scripts/pyenv.sh itself. Without
//! Python or aiosmtpd the tests fail: they never skip.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use liftoff_core::announce::mail::{
    build, eml, parse_recipients, send_all, DeliveryState, Email, Mailer, Recipient, Security, SendErrorKind, SendEvent, SendOptions, SmtpSettings,
};
use mail_parser::{MessageParser, MimeHeaders};
use zeroize::Zeroizing;

#[path = "support/python.rs"]
mod support_python;
use support_python::{python, root};

const USER: &str = "releases@example.com";
const PASSWORD: &str = "Corr3ct-h0rse-battery";

/// A test CA and a certificate for 127.0.0.1 and localhost signed by it.
struct Certs {
    ca: Vec<u8>,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("the openssl command is needed to make test certificates");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn certs(dir: &Path) -> Certs {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let ca = [&ec[..], &["-x509", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Liftoff test CA"]].concat();
    let ca = [&ca[..], &["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]].concat();
    openssl(dir, &[&["req"], &ca[..]].concat());
    openssl(dir, &[&["req"], &ec[..], &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]].concat());
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(dir, &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"]);
    Certs { ca: std::fs::read(dir.join("ca.pem")).unwrap(), cert: dir.join("server.pem"), key: dir.join("server.key") }
}

/// A running tests/support/smtp_server.py; killed when dropped.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let mut child = Command::new(python())
            .arg(root().join("src-tauri/core/tests/support/smtp_server.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("Could not start the test SMTP server with {} ({e}).", python().display()));
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let mut server = Server { child, stdin, port: 0 };
        server.port = line.trim().parse().unwrap_or_else(|_| {
            let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
            panic!("The test SMTP server did not start (it printed {line:?}). Its log:\n{log}");
        });
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(port: u16, security: Security) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security,
        username: USER.into(),
        from_name: "Zoë Müller (Releases)".into(),
        from_address: USER.into(),
    }
}

fn mailer(certs: &Certs, port: u16, security: Security, password: &str) -> Mailer {
    Mailer::new(settings(port, security), Some(Zeroizing::new(password.to_owned())))
        .unwrap()
        .with_extra_root_certificate(&certs.ca)
        .unwrap()
        .with_timeout(Duration::from_secs(10))
}

fn email() -> Email {
    Email {
        from_name: "Zoë Müller (Releases)".into(),
        from_address: USER.into(),
        reply_to: Some("Support <support@example.com>".into()),
        subject: "Liftoff 2.4 ist da — schneller & größer ✈".into(),
        text: "Hello,\n\nLiftoff 2.4 is out: faster exports, grüße from the team.\n".into(),
        html: "<p>Hello,</p><p>Liftoff <b>2.4</b> is out: faster exports, grüße from the team.</p>".into(),
    }
}

fn recipient(address: &str) -> Recipient {
    Recipient { address: address.into(), name: None, line: 1 }
}

/// What the server saved: (envelope recipients, message bytes), in order.
fn received(out: &Path) -> Vec<(Vec<String>, Vec<u8>)> {
    let mut stems: Vec<PathBuf> = std::fs::read_dir(out)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
        .unwrap_or_default();
    stems.sort();
    stems
        .iter()
        .map(|eml| {
            let rcpt = std::fs::read_to_string(eml.with_extension("rcpt")).unwrap();
            (rcpt.lines().map(str::to_owned).collect(), std::fs::read(eml).unwrap())
        })
        .collect()
}

fn count_per_recipient(out: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for (rcpts, _) in received(out) {
        for r in rcpts {
            *counts.entry(r.to_lowercase()).or_insert(0) += 1;
        }
    }
    counts
}

fn crlf_to_lf(s: &str) -> String {
    s.replace("\r\n", "\n")
}

#[test]
fn starttls_with_login_delivers_one_message_that_reads_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(
        dir.path(),
        &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--out", out.to_str().unwrap()],
    );
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    mailer.test_connection().unwrap();

    let now = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 5).unwrap();
    let to = Recipient { address: "lena@example.org".into(), name: Some("Léna Fischer".into()), line: 3 };
    mailer.send(&build(&email(), &to, now).unwrap()).unwrap();

    let got = received(&out);
    assert_eq!(got.len(), 1, "one message arrives");
    assert_eq!(got[0].0, ["lena@example.org"]);
    let message = MessageParser::default().parse(&got[0].1[..]).expect("mail-parser reads the message");
    let from = message.from().and_then(|a| a.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("Zoë Müller (Releases)"), Some(USER)));
    let to = message.to().and_then(|a| a.first()).unwrap();
    assert_eq!((to.name(), to.address()), (Some("Léna Fischer"), Some("lena@example.org")));
    assert_eq!(message.reply_to().and_then(|a| a.first()).and_then(|a| a.address()), Some("support@example.com"));
    assert_eq!(message.subject(), Some("Liftoff 2.4 ist da — schneller & größer ✈"));
    let id = message.message_id().unwrap();
    assert!(id.ends_with("@example.com") && id.len() > "@example.com".len() + 16, "{id}");
    assert_eq!(message.date().unwrap().to_rfc3339(), "2026-11-22T14:30:05Z");

    let root = message.root_part().content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")));
    assert_eq!((message.text_body_count(), message.html_body_count()), (1, 1));
    let text = message.text_part(0).unwrap();
    let html = message.html_part(0).unwrap();
    assert_eq!(text.content_type().unwrap().subtype(), Some("plain"));
    assert_eq!(html.content_type().unwrap().subtype(), Some("html"));
    assert_eq!(crlf_to_lf(&message.body_text(0).unwrap()), email().text);
    assert_eq!(crlf_to_lf(&message.body_html(0).unwrap()), email().html);
}

#[test]
fn implicit_tls_works() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(dir.path(), &["--tls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--out", out.to_str().unwrap()]);
    let mailer = mailer(&certs, server.port, Security::Tls, PASSWORD);
    mailer.test_connection().unwrap();
    mailer.send(&build(&email(), &recipient("ana@example.org"), Utc::now()).unwrap()).unwrap();
    let got = received(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ["ana@example.org"]);
}

/// A server with a self-signed certificate, as `openssl req -x509` makes it
/// with the system's defaults (marked as a CA, as internal relays' often
/// are): trusted as the settings' extra certificate, mail goes out. This is
/// why Liftoff keeps OpenSSL rather than rustls, whose checks refuse a CA
/// certificate presented by a server (README, Crates chosen).
#[test]
fn a_self_signed_server_certificate_added_as_trusted_works() {
    let dir = tempfile::tempdir().unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let selfsigned = [&["req"][..], &ec[..], &["-x509", "-keyout", "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=mail.northwind.internal"]].concat();
    let selfsigned = [&selfsigned[..], &["-addext", "subjectAltName=IP:127.0.0.1"]].concat();
    openssl(dir.path(), &selfsigned);
    let pem = std::fs::read(dir.path().join("self.pem")).unwrap();
    let text = Command::new("openssl").args(["x509", "-noout", "-text", "-in", "self.pem"]).current_dir(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("CA:TRUE"), "the certificate is self-signed as openssl makes it by default: marked as a CA");
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let cert = dir.path().join("self.pem");
    let key = dir.path().join("self.key");
    let server = Server::start(dir.path(), &["--tls", cert.to_str().unwrap(), key.to_str().unwrap(), "--auth", &auth, "--out", out.to_str().unwrap()]);
    let mailer = Mailer::new(settings(server.port, Security::Tls), Some(Zeroizing::new(PASSWORD.to_owned())))
        .unwrap()
        .with_extra_root_certificate(&pem)
        .unwrap()
        .with_timeout(Duration::from_secs(10));
    mailer.test_connection().unwrap();
    mailer.send(&build(&email(), &recipient("ana@example.org"), Utc::now()).unwrap()).unwrap();
    assert_eq!(received(&out).len(), 1);
    // Without it, the same server is refused.
    let untrusted = Mailer::new(settings(server.port, Security::Tls), Some(Zeroizing::new(PASSWORD.to_owned()))).unwrap().with_timeout(Duration::from_secs(10));
    assert!(untrusted.test_connection().is_err());
}

#[test]
fn an_untrusted_certificate_is_a_tls_error_that_says_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let server = Server::start(dir.path(), &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap()]);
    // Without the test CA, the server's certificate is not trusted.
    let untrusting = Mailer::new(settings(server.port, Security::StartTls), Some(Zeroizing::new(PASSWORD.into()))).unwrap();
    let err = untrusting.test_connection().unwrap_err();
    assert_eq!(err.kind, SendErrorKind::Tls, "{err}");
    assert!(err.message.starts_with("Could not set up TLS with 127.0.0.1: "), "{err}");
    assert!(err.message.contains("(587 STARTTLS, 465 TLS)") && !err.recipient_refused, "{err}");
    assert!(err.message.contains("Company CA certificate"), "the error says where a company CA goes: {err}");

    // The company CA as the mail settings take it: read from its PEM file,
    // shown by the fingerprint openssl gives, and then trusted.
    let ca = liftoff_core::announce::settings::read_ca_certificate(&dir.path().join("ca.pem")).unwrap();
    let out = Command::new("openssl").args(["x509", "-noout", "-fingerprint", "-sha256", "-in"]).arg(dir.path().join("ca.pem")).output().unwrap();
    let openssl_says = String::from_utf8_lossy(&out.stdout);
    assert!(openssl_says.trim().ends_with(&ca.fingerprint), "{openssl_says} vs {}", ca.fingerprint);
    let trusting = Mailer::new(settings(server.port, Security::StartTls), Some(Zeroizing::new(PASSWORD.into())))
        .unwrap()
        .with_extra_root_certificate(ca.pem.as_bytes())
        .unwrap();
    if let Err(err) = trusting.test_connection() {
        assert_ne!(err.kind, SendErrorKind::Tls, "TLS is set up with the company CA: {err}");
    }
    // Not a certificate: refused, saying what to give.
    std::fs::write(dir.path().join("der.cer"), b"\x30\x82\x01\x0a binary").unwrap();
    let bad = liftoff_core::announce::settings::read_ca_certificate(&dir.path().join("der.cer")).unwrap_err().to_string();
    assert!(bad.contains("PEM"), "{bad}");

    // Implicit TLS against a STARTTLS port: the handshake fails, in words.
    let err = mailer(&certs, server.port, Security::Tls, PASSWORD).test_connection().unwrap_err();
    assert_eq!(err.kind, SendErrorKind::Tls, "{err}");
    assert!(err.message.starts_with("Could not set up TLS with 127.0.0.1: "), "{err}");

    // STARTTLS required of a server that does not offer it.
    let plain = Server::start(dir.path(), &[]);
    let err = mailer(&certs, plain.port, Security::StartTls, PASSWORD).test_connection().unwrap_err();
    assert_eq!(err.kind, SendErrorKind::Tls, "{err}");
    assert!(err.message.starts_with(&format!("127.0.0.1 does not offer STARTTLS on port {}", plain.port)), "{err}");
}

#[test]
fn a_wrong_password_is_refused_in_words_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(
        dir.path(),
        &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--out", out.to_str().unwrap()],
    );
    let wrong = "Wr0ng-passw0rd-1234";
    let mailer = mailer(&certs, server.port, Security::StartTls, wrong);
    let err = mailer.test_connection().unwrap_err();
    assert_eq!(err.kind, SendErrorKind::Login, "{err:?}");
    assert_eq!(err.code, Some(535));
    assert!(err.message.starts_with("The server refused the user name or password (535 "), "{err}");
    assert!(err.message.ends_with("Check the SMTP user name and the password kept in the keychain."), "{err}");
    assert!(!err.recipient_refused);
    assert!(!err.message.contains(wrong) && !format!("{err:?}").contains(wrong) && !format!("{mailer:?}").contains(wrong));

    // The run stops before anyone is marked as being sent to.
    let mut events = Vec::new();
    let list = [recipient("a@example.org"), recipient("b@example.org")];
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &SendOptions::default(), &AtomicBool::new(false), &mut |e| {
        events.push(e);
        Ok(())
    });
    assert!(events.is_empty(), "{events:?}");
    let stopped = summary.stopped.unwrap();
    assert!(stopped.contains("535") && stopped.contains("A resume sends only to the rest") && !stopped.contains(wrong), "{stopped}");
    assert_eq!(summary.sent, 0);
    assert!(received(&out).is_empty());
}

/// The caller's record of each address, as the app keeps it in SQLite.
fn record(states: &mut HashMap<String, DeliveryState>, order: &mut Vec<String>, event: SendEvent) -> Result<(), String> {
    let (address, state) = match &event {
        SendEvent::Sending { address } => (address, DeliveryState::Unknown),
        SendEvent::Sent { address } => (address, DeliveryState::Sent),
        SendEvent::Failed { address, .. } => (address, DeliveryState::Failed),
        SendEvent::Pending { address } | SendEvent::Deferred { address, .. } => (address, DeliveryState::Pending),
        SendEvent::Unknown { address, .. } => (address, DeliveryState::Unknown),
    };
    order.push(format!("{state:?} {address}"));
    states.insert(address.clone(), state);
    Ok(())
}

#[test]
fn a_deferred_recipient_does_not_stop_the_audience_and_is_retried_with_back_off() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    // bob is greylisted twice; dave's server is full for longer than the run
    // tries.
    let server = Server::start(
        dir.path(),
        &[
            "--starttls",
            certs.cert.to_str().unwrap(),
            certs.key.to_str().unwrap(),
            "--auth",
            &auth,
            "--defer",
            "bob@example.org:2",
            "--defer",
            "dave@example.org:99",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("ana@example.org\nbob@example.org\ncarol@example.org\ndave@example.org\neve@example.org\n").unwrap();
    let mut states = HashMap::new();
    let mut order = Vec::new();
    let options = SendOptions { rate_per_minute: 0, retry_failed: false, deferred_backoff_secs: 1 };
    let started = Instant::now();
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &options, &AtomicBool::new(false), &mut |e| {
        record(&mut states, &mut order, e)
    });
    // Back-off of 1, 2 and 4 s between the rounds for dave.
    assert!(started.elapsed() >= Duration::from_secs(7), "{:?}", started.elapsed());
    assert_eq!(summary.stopped, None, "a deferral stops nobody else");
    assert_eq!(summary.sent, 4, "{order:?}");
    assert!(summary.failed.is_empty());
    assert_eq!(summary.deferred.len(), 1);
    assert_eq!(summary.deferred[0].address, "dave@example.org");
    assert_eq!(summary.deferred[0].error.code, Some(451));
    assert!(summary.deferred[0].error.message.contains("451 4.7.1"), "{}", summary.deferred[0].error);
    assert_eq!(states["dave@example.org"], DeliveryState::Pending, "pending for a resume");
    let counts = count_per_recipient(&out);
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|n| *n == 1), "nobody twice: {counts:?}");
    assert!(counts.contains_key("bob@example.org"), "bob went out on a later round");
    // A resume goes past dave without stopping there.
    let before = states.clone();
    let already = |a: &str| before.get(a).copied().unwrap_or(DeliveryState::Pending);
    let summary = send_all(&mailer, &email(), &list, &already, &SendOptions { deferred_backoff_secs: 0, ..options }, &AtomicBool::new(false), &mut |_| Ok(()));
    assert_eq!((summary.sent, summary.deferred.len(), summary.skipped_already, summary.stopped), (0, 1, 4, None));
}

#[test]
fn a_connection_dropped_at_rcpt_is_reported_as_that() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(
        dir.path(),
        &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--drop-at-rcpt", "bob@example.org", "--out", out.to_str().unwrap()],
    );
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("ana@example.org\nbob@example.org\ncarol@example.org\n").unwrap();
    let mut states = HashMap::new();
    let mut order = Vec::new();
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &SendOptions { rate_per_minute: 0, ..SendOptions::default() }, &AtomicBool::new(false), &mut |e| {
        record(&mut states, &mut order, e)
    });
    let stopped = summary.stopped.expect("the run stops at a dropped connection");
    assert!(stopped.contains("was closed before the message to bob@example.org was sent"), "{stopped}");
    assert!(!stopped.contains("SMTP port"), "{stopped}");
    assert_eq!(states["bob@example.org"], DeliveryState::Pending, "nothing went out: pending");
    // The resume sends to bob and carol.
    let before = states.clone();
    let already = |a: &str| before.get(a).copied().unwrap_or(DeliveryState::Pending);
    let summary = send_all(&mailer, &email(), &list, &already, &SendOptions { rate_per_minute: 0, ..SendOptions::default() }, &AtomicBool::new(false), &mut |_| Ok(()));
    assert_eq!((summary.sent, summary.stopped), (2, None));
    assert!(count_per_recipient(&out).values().all(|n| *n == 1));
}

#[test]
fn a_refused_recipient_fails_alone_and_a_resume_sends_only_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(
        dir.path(),
        &[
            "--starttls",
            certs.cert.to_str().unwrap(),
            certs.key.to_str().unwrap(),
            "--auth",
            &auth,
            "--refuse",
            "carol@example.org",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("ana@example.org\nbob@example.org\ncarol@example.org\ndave@example.org\neve@example.org\n").unwrap();
    let mut states = HashMap::new();
    let mut order = Vec::new();
    let options = SendOptions { rate_per_minute: 600, retry_failed: false, ..SendOptions::default() };
    let started = Instant::now();
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &options, &AtomicBool::new(false), &mut |e| {
        record(&mut states, &mut order, e)
    });
    assert!(started.elapsed() >= Duration::from_millis(400), "600 a minute: 100 ms apart");
    assert_eq!(summary.stopped, None);
    assert_eq!(summary.sent, 4);
    assert_eq!(summary.failed.len(), 1);
    let failure = &summary.failed[0];
    assert_eq!(failure.address, "carol@example.org");
    assert_eq!(failure.error.kind, SendErrorKind::Recipient);
    assert_eq!(failure.error.code, Some(550));
    assert!(failure.error.recipient_refused);
    assert!(failure.error.message.starts_with("The server refused the address carol@example.org: 550 5.1.1 <carol@example.org>: Recipient address rejected"), "{}", failure.error);
    assert_eq!(order[..6], ["Unknown ana@example.org", "Sent ana@example.org", "Unknown bob@example.org", "Sent bob@example.org", "Unknown carol@example.org", "Failed carol@example.org"]);
    let counts = count_per_recipient(&out);
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(!counts.contains_key("carol@example.org"));

    // A resume with a sixth recipient: only the new one is sent; the failed
    // one waits for the lead to ask for a retry.
    let list = parse_recipients("ana@example.org\nbob@example.org\ncarol@example.org\ndave@example.org\neve@example.org\nfrank@example.org\n").unwrap();
    let before = states.clone();
    let already = |a: &str| before.get(a).copied().unwrap_or(DeliveryState::Pending);
    let mut order = Vec::new();
    let summary = send_all(&mailer, &email(), &list, &already, &SendOptions { rate_per_minute: 0, retry_failed: false, ..SendOptions::default() }, &AtomicBool::new(false), &mut |e| {
        record(&mut states, &mut order, e)
    });
    assert_eq!((summary.sent, summary.skipped_already, summary.failed.len(), summary.stopped), (1, 5, 0, None));
    assert_eq!(order, ["Unknown frank@example.org", "Sent frank@example.org"]);
    let counts = count_per_recipient(&out);
    assert_eq!(counts.len(), 5);
    assert!(counts.values().all(|n| *n == 1), "nobody twice: {counts:?}");

    // Asked to, a resume retries the failed one (refused again), nobody else.
    let before = states.clone();
    let already = |a: &str| before.get(a).copied().unwrap_or(DeliveryState::Pending);
    let summary = send_all(&mailer, &email(), &list, &already, &SendOptions { rate_per_minute: 0, retry_failed: true, ..SendOptions::default() }, &AtomicBool::new(false), &mut |_| Ok(()));
    assert_eq!((summary.sent, summary.failed.len(), summary.skipped_already), (0, 1, 5));
    assert_eq!(count_per_recipient(&out).values().sum::<usize>(), 5);
}

#[test]
fn a_connection_lost_after_the_data_leaves_that_one_unknown_and_never_resent() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(
        dir.path(),
        &[
            "--starttls",
            certs.cert.to_str().unwrap(),
            certs.key.to_str().unwrap(),
            "--auth",
            &auth,
            "--drop-after-data",
            "bob@example.org",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("ana@example.org\nbob@example.org\ncarol@example.org\n").unwrap();
    let mut states = HashMap::new();
    let mut order = Vec::new();
    let options = SendOptions { rate_per_minute: 0, retry_failed: true, ..SendOptions::default() };
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &options, &AtomicBool::new(false), &mut |e| record(&mut states, &mut order, e));
    assert_eq!(summary.sent, 1);
    assert_eq!(summary.uncertain, ["bob@example.org"]);
    let stopped = summary.stopped.unwrap();
    assert!(stopped.starts_with("The connection to 127.0.0.1 was lost while the message to bob@example.org was being sent"), "{stopped}");
    assert!(stopped.contains("It may or may not have gone out, so it is not sent again by a resume."), "{stopped}");
    assert_eq!(order, ["Unknown ana@example.org", "Sent ana@example.org", "Unknown bob@example.org", "Unknown bob@example.org"]);
    assert!(!states.contains_key("carol@example.org"));

    // The resume (even one retrying failed ones) sends to carol only; bob
    // is reported, not sent again.
    let before = states.clone();
    let already = |a: &str| before.get(a).copied().unwrap_or(DeliveryState::Pending);
    let summary = send_all(&mailer, &email(), &list, &already, &options, &AtomicBool::new(false), &mut |e| record(&mut states, &mut order, e));
    assert_eq!((summary.sent, summary.skipped_already, summary.uncertain.clone(), summary.stopped), (1, 1, vec!["bob@example.org".to_owned()], None));
    let counts = count_per_recipient(&out);
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|n| *n == 1), "nobody twice: {counts:?}");
}

#[test]
fn a_refused_sender_stops_the_run_and_leaves_the_recipient_pending() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(dir.path(), &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--refuse-sender"]);
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("ana@example.org\nbob@example.org\n").unwrap();
    let mut states = HashMap::new();
    let mut order = Vec::new();
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &SendOptions::default(), &AtomicBool::new(false), &mut |e| record(&mut states, &mut order, e));
    assert_eq!(order, ["Unknown ana@example.org", "Pending ana@example.org"]);
    assert_eq!((summary.sent, summary.failed.len()), (0, 0));
    let stopped = summary.stopped.unwrap();
    assert!(stopped.starts_with(&format!("The server refused the sender address {USER}: 553 5.7.1")), "{stopped}");
    assert!(stopped.contains("Check the From address in the mail settings") && stopped.contains("0 messages were sent in this run and 2 still to go"), "{stopped}");
}

#[test]
fn five_refusals_in_a_row_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let mut args = vec!["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--out", out.to_str().unwrap()];
    let refused = ["r1@example.org", "r2@example.org", "r3@example.org", "r4@example.org", "r5@example.org"];
    for r in &refused {
        args.extend(["--refuse", r]);
    }
    let server = Server::start(dir.path(), &args);
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("ok@example.org
r1@example.org
r2@example.org
r3@example.org
r4@example.org
r5@example.org
later@example.org
").unwrap();
    let mut states = HashMap::new();
    let mut order = Vec::new();
    let options = SendOptions { rate_per_minute: 0, retry_failed: false, ..SendOptions::default() };
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &options, &AtomicBool::new(false), &mut |e| record(&mut states, &mut order, e));
    assert_eq!((summary.sent, summary.failed.len()), (1, 5));
    let stopped = summary.stopped.unwrap();
    assert!(stopped.starts_with("5 recipients in a row were refused (the last: The server refused the address r5@example.org: 550"), "{stopped}");
    assert!(stopped.contains("1 message was sent in this run and 1 still to go"), "{stopped}");
    assert!(!states.contains_key("later@example.org"), "the rest is left pending");
    assert_eq!(received(&out).len(), 1);
}

#[test]
fn cancelling_stops_between_messages() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let out = dir.path().join("out");
    let auth = format!("{USER}:{PASSWORD}");
    let server = Server::start(
        dir.path(),
        &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap(), "--auth", &auth, "--out", out.to_str().unwrap()],
    );
    let mailer = mailer(&certs, server.port, Security::StartTls, PASSWORD);
    let list = parse_recipients("a@example.org, b@example.org, c@example.org, d@example.org").unwrap();
    let cancel = AtomicBool::new(false);
    let mut sent = 0;
    // 60 a minute: the cancel lands during the second's wait, well before it.
    let summary = send_all(&mailer, &email(), &list, &|_| DeliveryState::Pending, &SendOptions { rate_per_minute: 60, retry_failed: false, ..SendOptions::default() }, &cancel, &mut |e| {
        if matches!(e, SendEvent::Sent { .. }) {
            sent += 1;
            cancel.store(true, Ordering::SeqCst);
        }
        Ok(())
    });
    assert_eq!((summary.sent, sent), (1, 1));
    assert!(summary.stopped.unwrap().starts_with("Sending was cancelled. Sending stopped: 1 message was sent in this run and 3 still to go."));
    assert_eq!(received(&out).len(), 1);
}

#[test]
fn a_stopped_server_is_a_clear_run_stopping_error() {
    let dir = tempfile::tempdir().unwrap();
    let certs = certs(dir.path());
    let port = Server::start(dir.path(), &["--starttls", certs.cert.to_str().unwrap(), certs.key.to_str().unwrap()]).port;
    // The server is dropped, so stopped, here.
    let mailer = mailer(&certs, port, Security::StartTls, PASSWORD);
    let err = mailer.test_connection().unwrap_err();
    assert_eq!(err.kind, SendErrorKind::Connection);
    assert!(!err.recipient_refused);
    assert_eq!(
        err.message,
        format!("Nothing is accepting connections at 127.0.0.1 on port {port} (connection refused). Check the host and port in the mail settings, and that the mail server is running.")
    );
    let mut events = Vec::new();
    let summary = send_all(&mailer, &email(), &[recipient("a@example.org")], &|_| DeliveryState::Pending, &SendOptions::default(), &AtomicBool::new(false), &mut |e| {
        events.push(e);
        Ok(())
    });
    assert!(events.is_empty());
    assert!(summary.stopped.unwrap().starts_with("Nothing is accepting connections"));
}

#[test]
fn the_eml_reads_back_as_an_unsent_alternative_message() {
    let bytes = eml(&email(), None).unwrap();
    let message = MessageParser::default().parse(&bytes[..]).unwrap();
    let root = message.root_part().content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")));
    assert_eq!(message.subject(), Some(email().subject.as_str()));
    assert!(message.to().is_none(), "no recipient, no To");
    assert_eq!(message.header_raw("X-Unsent").map(str::trim), Some("1"));
    assert_eq!(crlf_to_lf(&message.body_text(0).unwrap()), email().text);
    assert_eq!(crlf_to_lf(&message.body_html(0).unwrap()), email().html);
    assert_eq!((message.text_part(0).unwrap().content_type().unwrap().subtype(), message.html_part(0).unwrap().content_type().unwrap().subtype()), (Some("plain"), Some("html")));

    // Python's own email package agrees.
    let script = "import email, email.policy, sys\n\
        m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)\n\
        parts = [p.get_content_type() for p in m.iter_parts()]\n\
        print(m['Subject']); print(m.get_content_type()); print(','.join(parts)); print(m['X-Unsent']); print(m['To'])\n";
    let mut child = Command::new(python()).args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, [email().subject.as_str(), "multipart/alternative", "text/plain,text/html", "1", "None"]);

    // With a recipient, To is there.
    let with = eml(&email(), Some(&recipient("ana@example.org"))).unwrap();
    let message = MessageParser::default().parse(&with[..]).unwrap();
    assert_eq!(message.to().and_then(|a| a.first()).and_then(|a| a.address()), Some("ana@example.org"));
}
