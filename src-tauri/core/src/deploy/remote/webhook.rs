//! A webhook: the team's own deploy endpoint (a deploy service, a chat-ops
//! bot, a serverless function) that Liftoff calls with the deploy as JSON.
//!
//! - Trigger: `POST` the target's URL with the deploy (`liftoff_run_id`,
//!   project, environment, version, previous version, build reference,
//!   release, who started it, and the target's parameters), an
//!   `Idempotency-Key` (the run's id: a receiver that sees it twice deploys
//!   once) and `X-Liftoff-Signature: sha256=<hex>`, the HMAC-SHA256 of the
//!   body with the target's secret, so the receiver knows it is Liftoff.
//!   A request whose answer was lost is sent once more with the same key.
//! - A 2xx answer may name a status URL (`Location`, or `status_url` in a
//!   JSON body). Without one, the webhook's acceptance is the deploy
//!   step's success and the smoke checks decide.
//! - Follow: `GET` the status URL (signed: the HMAC of the URL) →
//!   `{"state": "queued|running|succeeded|failed|cancelled|timed_out",
//!   "message": "...", "url": "...", "log_url": "...", "cancel_url": "..."}`;
//!   a log is read the Jenkins way: `GET log_url?start=B` answers the text
//!   from byte B, `X-Text-Size` the next offset.
//! - Cancel: `POST cancel_url` (signed), then the status is awaited.

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

use super::{RemoteError, RemoteLine, RemotePoll, RemoteStatus, Verdict};
use crate::deploy::lines::Stream;
use crate::http::{Client, ErrorKind};

/// The header that carries the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Liftoff-Signature";

/// The most of a log read at once.
const LOG_LIMIT: usize = 4 * 1024 * 1024;

/// `sha256=` and the hex HMAC-SHA256 of `data` with `secret`.
pub fn signature(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(data);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A webhook target.
#[derive(Clone)]
pub struct Webhook {
    client: Client,
    url: String,
    host: String,
    secret: zeroize::Zeroizing<String>,
}

/// A deploy the webhook accepted (`remote_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handle {
    pub liftoff_run_id: String,
    /// Where its state is read, when the webhook named one.
    pub status_url: Option<String>,
}

/// How far a follow has read (`log_cursor`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub status_url: Option<String>,
    /// The log's next byte.
    pub log_offset: u64,
    /// What the last status named, for cancel.
    pub cancel_url: Option<String>,
}

impl Cursor {
    pub fn new(handle: &Handle) -> Cursor {
        Cursor { status_url: handle.status_url.clone(), ..Cursor::default() }
    }
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(default)]
    state: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    log_url: Option<String>,
    #[serde(default)]
    cancel_url: Option<String>,
}

/// The webhook's state as Liftoff's verdict: anything it does not name is
/// a failure.
pub fn verdict(state: &str) -> Verdict {
    match state {
        "queued" | "pending" | "running" | "in_progress" => Verdict::Running,
        "succeeded" | "success" => Verdict::Succeeded,
        "cancelled" | "canceled" => Verdict::Cancelled,
        "timed_out" => Verdict::TimedOut,
        _ => Verdict::Failed,
    }
}

impl Webhook {
    /// The webhook at `url`, signing with `secret` (never in a message).
    pub fn new(url: &str, secret: &str) -> Result<Webhook, RemoteError> {
        let parsed = url::Url::parse(url.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let Some(parsed) = parsed else {
            return Err(RemoteError::new("The webhook's URL cannot be read. Give its full address, such as https://deploy.example.com/hooks/liftoff."));
        };
        if secret.trim().is_empty() {
            return Err(RemoteError::new("The webhook's secret is empty. Set the credential that signs its requests."));
        }
        let host = parsed.host_str().map(|h| parsed.port().map_or(h.to_owned(), |p| format!("{h}:{p}"))).unwrap_or_default();
        let client = Client::builder().mask(&[secret.trim()]).build()?;
        Ok(Webhook { client, url: url.trim().to_owned(), host, secret: zeroize::Zeroizing::new(secret.trim().to_owned()) })
    }

    /// Whether the webhook answers at all (any HTTP answer, 405 included:
    /// nothing is posted); starts nothing.
    pub async fn check(&self, cancel: &CancellationToken) -> Result<Vec<String>, RemoteError> {
        match self.client.get(&self.url).send(cancel).await {
            Ok(_) => Ok(Vec::new()),
            Err(e) if e.status().is_some() => Ok(Vec::new()),
            Err(e) => Ok(vec![format!("The webhook at {} does not answer: {}", self.host, e.message())]),
        }
    }

    /// Posts the deploy `payload` (an object; `liftoff_run_id` is added),
    /// signed, with the run's id as its idempotency key.
    pub async fn trigger(&self, run_id: &str, mut payload: serde_json::Map<String, Value>, cancel: &CancellationToken) -> Result<Handle, RemoteError> {
        payload.insert("liftoff_run_id".into(), Value::String(run_id.to_owned()));
        let payload = Value::Object(payload);
        // The bytes `json` sends: serializing the same value gives the same bytes.
        let sig = signature(&self.secret, &serde_json::to_vec(&payload).expect("JSON serializes"));
        let send = || self.client.post(&self.url).header("Idempotency-Key", run_id).header(SIGNATURE_HEADER, &sig).json(&payload).follow_redirects(false);
        let answer = match send().send(cancel).await {
            // The answer was lost: the same request again, with the same
            // key, which the receiver deduplicates.
            Err(e) if matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Network) => send().send(cancel).await,
            other => other,
        };
        let answer = answer.map_err(|e| self.named(e))?;
        let location = answer.headers().location.clone();
        let text = answer.text().await.unwrap_or_default();
        let from_body = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["status_url"].as_str().map(str::to_owned));
        let status_url = from_body.or(location).map(|u| self.resolve(&u));
        Ok(Handle { liftoff_run_id: run_id.to_owned(), status_url })
    }

    /// The deploy's state and its new log text; without a status URL, the
    /// webhook's acceptance stands for success.
    pub async fn poll(&self, cursor: &mut Cursor, cancel: &CancellationToken) -> Result<RemotePoll, RemoteError> {
        let Some(status_url) = cursor.status_url.clone() else {
            let status = RemoteStatus {
                verdict: Verdict::Succeeded,
                words: "accepted (the webhook names no status URL, so the smoke checks decide)".into(),
                url: None,
                failed_step: None,
            };
            return Ok(RemotePoll { status, steps: Vec::new(), lines: Vec::new(), approval: None });
        };
        let answer = self.client.get(&status_url).header(SIGNATURE_HEADER, &signature(&self.secret, status_url.as_bytes())).send(cancel).await.map_err(|e| self.named(e))?;
        let status: Status = answer.json().await.map_err(|e| RemoteError::new(format!("The webhook's status ({}) cannot be read: {}", self.host, e.message())))?;
        cursor.cancel_url = status.cancel_url.as_deref().map(|u| self.resolve(u));
        let mut lines = Vec::new();
        if let Some(log_url) = status.log_url.as_deref().map(|u| self.resolve(u)) {
            self.read_log(&log_url, cursor, &mut lines, cancel).await?;
        }
        let verdict = verdict(&status.state);
        let words = match (status.state.as_str(), status.message.trim()) {
            ("", _) => "no state given".to_owned(),
            (s, "") => s.replace('_', " "),
            (s, m) => format!("{}: {m}", s.replace('_', " ")),
        };
        Ok(RemotePoll { status: RemoteStatus { verdict, words, url: status.url, failed_step: None }, steps: Vec::new(), lines, approval: None })
    }

    /// Cancels through the `cancel_url` the last status named, then waits
    /// up to `wait` for the state to end.
    pub async fn cancel(&self, cursor: &Cursor, wait: Duration, cancel: &CancellationToken) -> Result<RemoteStatus, RemoteError> {
        let Some(cancel_url) = &cursor.cancel_url else {
            return Err(RemoteError::new("The webhook offers no way to cancel (its status names no cancel_url): the deploy may go on there."));
        };
        self.client.post(cancel_url).header(SIGNATURE_HEADER, &signature(&self.secret, cancel_url.as_bytes())).send(cancel).await.map_err(|e| self.named(e))?;
        let started = Instant::now();
        let mut c = cursor.clone();
        loop {
            let poll = self.poll(&mut c, cancel).await?;
            if poll.status.verdict.is_done() {
                return Ok(poll.status);
            }
            if started.elapsed() >= wait {
                return Err(RemoteError::new(format!("The webhook has not confirmed the cancel after {} seconds; it says “{}”.", wait.as_secs(), poll.status.words)));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn read_log(&self, log_url: &str, cursor: &mut Cursor, lines: &mut Vec<RemoteLine>, cancel: &CancellationToken) -> Result<(), RemoteError> {
        let sep = if log_url.contains('?') { '&' } else { '?' };
        let url = format!("{log_url}{sep}start={}", cursor.log_offset);
        let answer = self.client.get(&url).header(SIGNATURE_HEADER, &signature(&self.secret, url.as_bytes())).send(cancel).await.map_err(|e| self.named(e))?;
        let next = answer.headers().text_size;
        let text = answer.text().await?;
        // Only whole lines: a cut last line waits for its end.
        let whole = match text.rfind('\n') {
            Some(i) => &text[..=i],
            None => "",
        };
        // At most LOG_LIMIT bytes, cut at a line's end (never inside a character).
        let whole = if whole.len() > LOG_LIMIT { whole.as_bytes()[..LOG_LIMIT].iter().rposition(|b| *b == b'\n').map_or("", |i| &whole[..=i]) } else { whole };
        for line in whole.lines() {
            lines.push(RemoteLine { step: "webhook".into(), stream: Stream::Out, text: line.to_owned() });
        }
        cursor.log_offset = match next {
            Some(n) if whole.len() == text.len() => n,
            _ => cursor.log_offset + whole.len() as u64,
        };
        Ok(())
    }

    fn resolve(&self, u: &str) -> String {
        url::Url::parse(&self.url).ok().and_then(|base| base.join(u).ok()).map(|j| j.to_string()).unwrap_or_else(|| u.to_owned())
    }

    fn named(&self, e: crate::http::Error) -> RemoteError {
        let said = e.words().map(|w| format!(": {}", w.trim_end_matches('.'))).unwrap_or_default();
        let message = match e.kind() {
            ErrorKind::Unauthorized | ErrorKind::Forbidden => {
                format!("The webhook at {} refused Liftoff ({}{said}). Check that its secret matches the credential saved for this target.", self.host, e.status().unwrap_or_default())
            }
            ErrorKind::NotFound => format!("The webhook at {} has no such address (404{said}). Check the URL.", self.host),
            _ => return e.into(),
        };
        RemoteError { message, kind: Some(e.kind()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_rfc_4231s_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn states_map_into_verdicts() {
        assert_eq!(verdict("running"), Verdict::Running);
        assert_eq!(verdict("succeeded"), Verdict::Succeeded);
        assert_eq!(verdict("canceled"), Verdict::Cancelled);
        assert_eq!(verdict("timed_out"), Verdict::TimedOut);
        assert_eq!(verdict("exploded"), Verdict::Failed);
        assert_eq!(verdict(""), Verdict::Failed);
    }
}
