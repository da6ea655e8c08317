//! The answer headers that the engine clients read, parsed once: the
//! validator for conditional polling (`ETag`), where a created thing or a
//! redirect points (`Location`), paging (`Link`, GitLab's `X-Next-Page`),
//! waiting (`Retry-After`, GitHub's `X-RateLimit-*`, GitLab's
//! `RateLimit-*`) and a log read in pieces (Jenkins' `X-Text-Size` and
//! `X-More-Data`). A header that cannot be read counts as absent.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::{HeaderMap, ETAG, LINK, LOCATION, RETRY_AFTER};
use url::Url;

/// The headers Liftoff reads, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headers {
    /// As sent, quotes and `W/` included: give it back in `If-None-Match`.
    pub etag: Option<String>,
    /// Resolved against the answer's URL.
    pub location: Option<String>,
    /// Every `Link` entry, one per relation, URLs resolved.
    pub links: Vec<Link>,
    /// GitLab's `X-Next-Page` (absent or empty on the last page).
    pub next_page: Option<u64>,
    pub retry_after: Option<RetryAfter>,
    pub rate_limit: RateLimit,
    /// Jenkins' `X-Text-Size`: the byte offset to ask for next.
    pub text_size: Option<u64>,
    /// Jenkins' `X-More-Data: true`: the log is still being written.
    pub more_data: bool,
}

/// One relation of a `Link` header: `<url>; rel="next"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    /// Lower case: `next`, `last`, `prev`, `first`…
    pub rel: String,
}

/// How long a server asks to wait (`Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    Seconds(u64),
    At(DateTime<Utc>),
}

impl RetryAfter {
    /// The wait from `now` (none when the date has passed).
    pub fn wait(&self, now: DateTime<Utc>) -> Duration {
        match *self {
            RetryAfter::Seconds(s) => Duration::from_secs(s),
            RetryAfter::At(at) => (at - now).to_std().unwrap_or(Duration::ZERO),
        }
    }
}

/// A rate limit's state: GitHub's `X-RateLimit-Limit/Remaining/Reset`, or
/// GitLab's `RateLimit-Limit/Remaining/Reset` (`RateLimit-ResetTime` as a
/// date).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// When the window starts anew.
    pub reset: Option<DateTime<Utc>>,
}

impl RateLimit {
    /// No request is left in this window.
    pub fn is_spent(&self) -> bool {
        self.remaining == Some(0)
    }
}

impl Headers {
    /// The chosen headers of an answer from `url`, received at `now`.
    pub fn read(map: &HeaderMap, url: &Url, now: DateTime<Utc>) -> Headers {
        let text = |name: &str| map.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
        let number = |name: &str| text(name).and_then(|v| v.parse::<u64>().ok());
        let first = |names: [&str; 2]| names.into_iter().find_map(number);
        let reset = first(["x-ratelimit-reset", "ratelimit-reset"])
            .map(|n| epoch_or_delta(n, now))
            .or_else(|| text("ratelimit-resettime").and_then(http_date));
        Headers {
            etag: text(ETAG.as_str()).map(str::to_owned),
            location: text(LOCATION.as_str()).and_then(|l| url.join(l).ok()).map(String::from),
            links: map.get_all(LINK).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| parse_links(v, url)).collect(),
            next_page: number("x-next-page"),
            retry_after: text(RETRY_AFTER.as_str()).and_then(|v| v.parse::<u64>().ok().map(RetryAfter::Seconds).or_else(|| http_date(v).map(RetryAfter::At))),
            rate_limit: RateLimit { limit: first(["x-ratelimit-limit", "ratelimit-limit"]), remaining: first(["x-ratelimit-remaining", "ratelimit-remaining"]), reset },
            text_size: number("x-text-size"),
            more_data: text("x-more-data").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }
    }

    /// The URL of the `Link` relation `rel` ("next" for the next page).
    pub fn link(&self, rel: &str) -> Option<&str> {
        self.links.iter().find(|l| l.rel.eq_ignore_ascii_case(rel)).map(|l| l.url.as_str())
    }

    /// How long to wait before asking again, when the server says: its
    /// `Retry-After`, else the rate limit's reset once none is left.
    pub fn wait(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.retry_after.map(|r| r.wait(now)).or_else(|| self.rate_limit.is_spent().then_some(self.rate_limit.reset?).map(|at| (at - now).to_std().unwrap_or(Duration::ZERO)))
    }
}

/// A reset given as a number: Unix seconds (GitHub, GitLab), or seconds
/// from now when too small to be a date (the IETF draft's form).
fn epoch_or_delta(n: u64, now: DateTime<Utc>) -> DateTime<Utc> {
    const YEAR_2001: u64 = 1_000_000_000;
    if n >= YEAR_2001 {
        Utc.timestamp_opt(n.min(i64::MAX as u64) as i64, 0).single().unwrap_or(now)
    } else {
        now + chrono::Duration::seconds(n as i64)
    }
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text).ok().map(|d| d.with_timezone(&Utc))
}

/// `<a>; rel="next", <b>; rel="last prev"` → one [`Link`] per relation.
fn parse_links(header: &str, base: &Url) -> Vec<Link> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|c| open + c) else { break };
        let target = &rest[open + 1..close];
        // The parameters run to the next entry's '<' (a comma inside a
        // quoted parameter is rare and harmless here).
        let params_end = rest[close..].find('<').map_or(rest.len(), |n| close + n);
        let params = &rest[close + 1..params_end];
        rest = &rest[params_end..];
        let Ok(url) = base.join(target.trim()) else { continue };
        for param in params.split(';') {
            let Some((key, value)) = param.split_once('=') else { continue };
            if key.trim().eq_ignore_ascii_case("rel") {
                for rel in value.trim().trim_end_matches(',').trim().trim_matches('"').split_whitespace() {
                    out.push(Link { url: url.to_string(), rel: rel.to_ascii_lowercase() });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn read(pairs: &[(&'static str, &str)]) -> Headers {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        Headers::read(&map, &Url::parse("https://api.example.com/repos/o/r/actions/runs?page=1").unwrap(), now())
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap()
    }

    #[test]
    fn links_are_split_by_relation_and_resolved() {
        let h = read(&[("link", r#"<https://api.example.com/repositories/1/runs?page=2>; rel="next", </runs?page=5>; rel="last", <?page=1>; rel="first prev""#)]);
        assert_eq!(h.link("next"), Some("https://api.example.com/repositories/1/runs?page=2"));
        assert_eq!(h.link("last"), Some("https://api.example.com/runs?page=5"));
        assert_eq!(h.link("PREV"), Some("https://api.example.com/repos/o/r/actions/runs?page=1"));
        assert_eq!(h.links.len(), 4);
        assert_eq!(read(&[("link", "garbage, <x")]).links, []);
    }

    #[test]
    fn rate_limits_of_both_vendors_and_retry_after_in_both_forms() {
        let github = read(&[("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1741090200")]);
        assert_eq!(github.rate_limit, RateLimit { limit: Some(5000), remaining: Some(0), reset: Some(Utc.timestamp_opt(1741090200, 0).unwrap()) });
        assert_eq!(github.wait(now()), Some(Duration::from_secs(600)));
        let gitlab = read(&[("RateLimit-Limit", "600"), ("RateLimit-Remaining", "12"), ("RateLimit-ResetTime", "Tue, 04 Mar 2025 12:01:00 GMT")]);
        assert_eq!((gitlab.rate_limit.remaining, gitlab.rate_limit.reset), (Some(12), Some(now() + chrono::Duration::seconds(60))));
        assert_eq!(gitlab.wait(now()), None, "requests are left");
        assert_eq!(read(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "30")]).wait(now()), Some(Duration::from_secs(30)));

        assert_eq!(read(&[("retry-after", "120")]).retry_after, Some(RetryAfter::Seconds(120)));
        let dated = read(&[("retry-after", "Tue, 04 Mar 2025 12:00:45 GMT")]);
        assert_eq!(dated.wait(now()), Some(Duration::from_secs(45)));
        assert_eq!(RetryAfter::At(now()).wait(now() + chrono::Duration::hours(1)), Duration::ZERO);
        assert_eq!(read(&[("retry-after", "soon")]).retry_after, None);
    }

    #[test]
    fn the_rest_of_the_chosen_headers() {
        let h = read(&[("etag", "W/\"abc\""), ("location", "/queue/item/7/"), ("x-next-page", "3"), ("x-text-size", "1024"), ("x-more-data", "true")]);
        assert_eq!(h.etag.as_deref(), Some("W/\"abc\""));
        assert_eq!(h.location.as_deref(), Some("https://api.example.com/queue/item/7/"));
        assert_eq!((h.next_page, h.text_size, h.more_data), (Some(3), Some(1024), true));
        let last = read(&[("x-next-page", ""), ("x-more-data", "false")]);
        assert_eq!((last.next_page, last.more_data), (None, false));
    }
}
