//! An answer from a [`super::Client`] request: its status (2xx, a 304 to a
//! conditional request, a 3xx not followed), the chosen headers parsed, and
//! its body, read whole up to a limit (as bytes, text or JSON) or streamed
//! in chunks past it (a job's log).

use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio_util::sync::CancellationToken;

use super::error::{host_of, shown_url, Error, ErrorKind, Secrets};
use super::exchange::{timeout_message, transport_detail, transport_kind, transport_message, Transport};
use super::headers::Headers;

pub struct Response {
    pub(super) status: u16,
    pub(super) reason: String,
    pub(super) url: url::Url,
    pub(super) latency: Duration,
    pub(super) headers: Headers,
    pub(super) raw: HeaderMap,
    pub(super) body: reqwest::Response,
    pub(super) cancel: CancellationToken,
    /// The longest wait for the next piece of the body.
    pub(super) idle: Duration,
    /// The most that `bytes`, `text` and `json` read.
    pub(super) limit: usize,
    pub(super) secrets: Secrets,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response").field("status", &self.status).field("url", &shown_url(&self.url)).field("headers", &self.headers).finish_non_exhaustive()
    }
}

impl Response {
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The status's reason phrase, such as "Not Modified".
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The URL that gave this answer, after redirects.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// From the first request to the answer's headers.
    pub fn latency(&self) -> Duration {
        self.latency
    }

    /// 304: what the request's `If-None-Match` named has not changed.
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }

    /// The chosen headers, parsed.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// Any header's value as text (the first, if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next piece of the body as it arrives, however long the body
    /// (`None` at its end): for logs past the body limit.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let piece = tokio::select! {
            c = self.body.chunk() => c,
            _ = tokio::time::sleep(self.idle) => return Err(self.failed(ErrorKind::Timeout, timeout_message(&self.url, self.idle))),
            _ = self.cancel.cancelled() => return Err(self.failed(ErrorKind::Cancelled, "Stopped before the server finished answering.".into())),
        };
        match piece {
            Ok(piece) => Ok(piece.map(|b| b.to_vec())),
            Err(e) => {
                let kind = match transport_kind(&e) {
                    Transport::Timeout => ErrorKind::Timeout,
                    _ => ErrorKind::Network,
                };
                let detail = transport_detail(&e).map(|d| self.secrets.mask(&d));
                Err(self.failed(kind, transport_message(&e, &self.url, self.idle)).with_detail(detail))
            }
        }
    }

    /// Hands each piece of the body to `each` as it arrives; the number of
    /// bytes read.
    pub async fn stream(mut self, mut each: impl FnMut(&[u8])) -> Result<u64, Error> {
        let mut total = 0u64;
        while let Some(piece) = self.chunk().await? {
            total += piece.len() as u64;
            each(&piece);
        }
        Ok(total)
    }

    /// The whole body; an error when it goes past the request's body limit
    /// (`BODY_LIMIT` unless set).
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        while let Some(piece) = self.chunk().await? {
            if body.len() + piece.len() > self.limit {
                let host = host_of(&self.url);
                let message = format!("{host} sent a body of more than {} KiB, more than Liftoff reads at once.", self.limit / 1024);
                return Err(self.failed(ErrorKind::TooLarge, message));
            }
            body.extend_from_slice(&piece);
        }
        Ok(body)
    }

    /// The whole body as text (invalid UTF-8 replaced).
    pub async fn text(self) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.bytes().await?).into_owned())
    }

    /// The whole body read as JSON into `T`.
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let (url, secrets) = (self.url.clone(), self.secrets.clone());
        let body = self.bytes().await?;
        serde_json::from_slice(&body).map_err(|e| {
            let message = format!("{} answered with something other than the JSON expected ({e}).", host_of(&url));
            Error::new(ErrorKind::Decode, secrets.mask(&message), &secrets.mask(&shown_url(&url)))
        })
    }

    fn failed(&self, kind: ErrorKind, message: String) -> Error {
        Error::new(kind, self.secrets.mask(&message), &self.secrets.mask(&shown_url(&self.url))).with_status(self.status)
    }
}
