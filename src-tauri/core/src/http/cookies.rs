//! A session's cookies (Jenkins' JSESSIONID beside its crumb, Buildbot's
//! login cookie), for one client. Deliberately narrower than a browser's
//! jar: a cookie goes back only to the origin (scheme, host and port) whose
//! answer set it, whatever its `Domain` or `Path` say, and lives as long as
//! the client. Values are session credentials: sent as a sensitive header,
//! masked in error text, never shown.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue, SET_COOKIE};
use url::Url;
use zeroize::Zeroizing;

#[derive(Default)]
pub(super) struct Jar {
    /// Origin (as `https://host:port`) → name → value.
    by_origin: HashMap<String, BTreeMap<String, Zeroizing<String>>>,
}

impl Jar {
    /// Keeps the cookies that `headers` (an answer from `url`) set, and
    /// forgets those it expires.
    pub fn store(&mut self, url: &Url, headers: &HeaderMap) {
        let now = Utc::now();
        for line in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else { continue };
            let (name, value) = (name.trim(), value.trim().trim_matches('"'));
            if name.is_empty() {
                continue;
            }
            let expired = value.is_empty()
                || parts.any(|attr| {
                    let (key, val) = attr.split_once('=').map_or((attr.trim(), ""), |(k, v)| (k.trim(), v.trim()));
                    (key.eq_ignore_ascii_case("max-age") && val.parse::<i64>().is_ok_and(|s| s <= 0))
                        || (key.eq_ignore_ascii_case("expires") && cookie_date(val).is_some_and(|d| d <= now))
                });
            let jar = self.by_origin.entry(url.origin().ascii_serialization()).or_default();
            if expired {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), Zeroizing::new(value.to_owned()));
            }
        }
    }

    /// The `Cookie` header for a request to `url`, if its origin set any.
    pub fn header(&self, url: &Url) -> Option<HeaderValue> {
        let jar = self.by_origin.get(&url.origin().ascii_serialization()).filter(|j| !j.is_empty())?;
        let line = Zeroizing::new(jar.iter().map(|(n, v)| format!("{n}={}", v.as_str())).collect::<Vec<_>>().join("; "));
        let mut value = HeaderValue::from_str(&line).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Every value held, for masking.
    pub fn values(&self) -> Vec<String> {
        self.by_origin.values().flat_map(|j| j.values().map(|v| v.as_str().to_owned())).collect()
    }
}

/// An `Expires` date: `Wed, 21 Oct 2015 07:28:00 GMT`, or with dashes
/// (`Thu, 01-Jan-1970 00:00:00 GMT`) as many servers still write it.
fn cookie_date(text: &str) -> Option<DateTime<Utc>> {
    let parse = |t: &str| DateTime::parse_from_rfc2822(t).ok().map(|d| d.with_timezone(&Utc));
    parse(text).or_else(|| parse(&text.replace('-', " ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(lines: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for l in lines {
            map.append(SET_COOKIE, HeaderValue::from_str(l).unwrap());
        }
        map
    }

    #[test]
    fn cookies_go_back_to_their_origin_only_and_expire() {
        let mut jar = Jar::default();
        let here = Url::parse("http://127.0.0.1:8080/login").unwrap();
        jar.store(&here, &answer(&["JSESSIONID=abc123; Path=/; HttpOnly", "theme=dark; Domain=example.com"]));
        let sent = jar.header(&Url::parse("http://127.0.0.1:8080/job/x").unwrap()).unwrap();
        assert_eq!(sent.to_str().unwrap(), "JSESSIONID=abc123; theme=dark");
        assert!(sent.is_sensitive());
        for other in ["http://127.0.0.1:8081/", "https://127.0.0.1:8080/", "http://localhost:8080/"] {
            assert!(jar.header(&Url::parse(other).unwrap()).is_none(), "{other}");
        }
        jar.store(&here, &answer(&["theme=; Max-Age=0", "JSESSIONID=gone; Expires=Thu, 01-Jan-1970 00:00:00 GMT"]));
        assert!(jar.header(&here).is_none());
        jar.store(&here, &answer(&["JSESSIONID=new; Expires=Wed, 21 Oct 2099 07:28:00 GMT"]));
        assert_eq!(jar.header(&here).unwrap().to_str().unwrap(), "JSESSIONID=new");
        assert_eq!(jar.values(), ["new"]);
    }
}
