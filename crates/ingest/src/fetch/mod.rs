//! Getting a feed's bytes: http(s) with reqwest, or a local `file:` URL (the bundled samples).
//! Conditional GET with the validators of the last fetch; gzip, brotli and deflate; a body cap
//! (`fetch.max_body`) enforced while streaming on the decompressed bytes; connect and total
//! timeouts; redirects followed by hand (at most five, loops refused) so that a permanent one can
//! update the stored URL; at most `fetch.per_host_concurrency` requests per host at once.
//! Bytes only, never `.text()`: charset decisions belong to `parse::charset`. Where a fetch may
//! be steered is [`guard`]'s rule: only the configured host may be private.

pub mod guard;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::io::AsyncReadExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::FetchConfig;
use crate::domain::redact::redact;
use guard::{PrivateTarget, PublicOnly, ResolveError};

/// The most redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirect without a usable Location header")]
    BadRedirect,
    #[error("request failed: {0}")]
    Http(String),
    #[error("cannot read {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("unsupported URL scheme {0:?}")]
    Scheme(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// A redirect or a page's feed link led to another host on a non-public address.
    #[error(
        "refused: {0}; only the configured host may be private (fetch.allow_private_targets lifts this)"
    )]
    Private(PrivateTarget),
    #[error("a file: URL is read only when the source itself is one")]
    FileNotTrusted,
}

impl FetchError {
    /// The HTTP status that caused the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the upstream asked us to wait (429/503 with Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What the upstream said about when to come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// `Expires`.
    pub expires: Option<DateTime<Utc>>,
}

/// The validators of the last successful fetch, sent back for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetch that brought a body.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// The URL the body came from, after redirects.
    pub url: Url,
    /// Set when every redirect on the way was permanent (301/308): the URL to fetch from now on.
    pub moved_to: Option<Url>,
    /// The HTTP status (None for files).
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub validators: Validators,
    pub hints: CacheHints,
}

impl Fetched {
    /// The `charset` parameter of the Content-Type header, if any.
    pub fn charset(&self) -> Option<&str> {
        self.content_type
            .as_deref()?
            .split(';')
            .skip(1)
            .find_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("charset")
                    .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            })
    }
}

/// What a fetch came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// 304: nothing changed since the validators were issued.
    NotModified {
        hints: CacheHints,
        moved_to: Option<Url>,
    },
    Fetched(Fetched),
}

/// Fetches feeds with one shared connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    /// For the host of the source's configured URL, which the operator chose.
    client: reqwest::Client,
    /// For every other host: its resolver refuses names with a non-public address.
    guarded: reqwest::Client,
    /// `fetch.allow_private_targets`: every host trusted (a private network of feeds).
    allow_private: bool,
    /// An HTTP proxy from the environment: it resolves names itself, so they are checked first.
    proxied: bool,
    max_body: u64,
    timeout: Duration,
    per_host: usize,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(&config.user_agent)
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
        };
        let client = builder()
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        let guarded = builder()
            .dns_resolver(PublicOnly)
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        let proxied = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]
            .iter()
            .any(|name| {
                [name.to_string(), name.to_ascii_lowercase()]
                    .iter()
                    .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
            });
        Ok(Self {
            client,
            guarded,
            allow_private: config.allow_private_targets,
            proxied,
            max_body: config.max_body,
            timeout: config.timeout,
            per_host: config.per_host_concurrency.max(1),
            hosts: Arc::default(),
        })
    }

    /// The whole-request timeout (`fetch.timeout`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Requests to one host at once (`fetch.per_host_concurrency`).
    pub fn per_host(&self) -> usize {
        self.per_host
    }

    /// Fetch `url`, conditionally when `validators` are given; any final status other than
    /// 2xx or 304 is an error. `trusted` is the URL the operator configured for the source: its
    /// host may be private, any other host (after a redirect, or `url` itself when it was
    /// advertised by a page or remembered) must be public.
    pub async fn fetch(
        &self,
        url: &Url,
        trusted: &Url,
        validators: &Validators,
    ) -> Result<Outcome, FetchError> {
        match url.scheme() {
            "http" | "https" => {
                let _permit = self.host_permit(url).await;
                self.fetch_http(url, trusted, validators).await
            }
            "file" if trusted.scheme() == "file" => {
                self.fetch_file(url).await.map(Outcome::Fetched)
            }
            "file" => Err(FetchError::FileNotTrusted),
            other => Err(FetchError::Scheme(other.to_owned())),
        }
    }

    /// The client allowed to reach `url`, or why none is.
    async fn client_for(&self, url: &Url, trusted: &Url) -> Result<&reqwest::Client, FetchError> {
        if self.allow_private || guard::same_host(url, trusted) {
            return Ok(&self.client);
        }
        if let Some(ip) = guard::literal(url) {
            return if guard::is_public(ip) {
                Ok(&self.guarded)
            } else {
                Err(FetchError::Private(PrivateTarget::new(ip.to_string(), ip)))
            };
        }
        if self.proxied
            && let Some(host) = url.host_str()
        {
            match guard::check_resolved(host).await {
                Err(ResolveError::Private(p)) => return Err(FetchError::Private(p)),
                Err(ResolveError::Lookup(e)) => return Err(FetchError::Http(e)),
                Ok(()) => {}
            }
        }
        Ok(&self.guarded)
    }

    /// Wait for a free slot on `url`'s host.
    async fn host_permit(&self, url: &Url) -> Option<OwnedSemaphorePermit> {
        let host = url.host_str()?.to_ascii_lowercase();
        let semaphore = {
            let mut hosts = self.hosts.lock().ok()?;
            Arc::clone(
                hosts
                    .entry(host)
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        semaphore.acquire_owned().await.ok()
    }

    async fn fetch_http(
        &self,
        start: &Url,
        trusted: &Url,
        validators: &Validators,
    ) -> Result<Outcome, FetchError> {
        let mut url = start.clone();
        let mut visited = vec![url.clone()];
        let mut all_permanent = true;
        let mut response = loop {
            let mut request = self.client_for(&url, trusted).await?.get(url.as_str());
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm);
            }
            let response = request.send().await.map_err(|e| self.http_error(e))?;
            let status = response.status();
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                break response;
            }
            let next = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| url.join(loc.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or(FetchError::BadRedirect)?;
            if visited.contains(&next) {
                return Err(FetchError::RedirectLoop(redact(next.as_str())));
            }
            if visited.len() > MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects);
            }
            all_permanent &= matches!(
                status,
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            );
            visited.push(next.clone());
            url = next;
        };
        let moved_to = (all_permanent && url != *start).then(|| url.clone());
        let status = response.status();
        let hints = cache_hints(response.headers());
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Outcome::NotModified { hints, moved_to });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: retry_after(response.headers()),
            });
        }
        let headers = response.headers();
        // A declared length over the cap is refused before reading anything.
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(len) = declared.filter(|_| !headers.contains_key(header::CONTENT_ENCODING))
            && len > self.max_body
        {
            return Err(FetchError::TooLarge {
                limit: self.max_body,
            });
        }
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = text(header::CONTENT_TYPE);
        let validators = Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        };
        // Chunks arrive decompressed, so the cap bounds what a compression bomb inflates to.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.http_error(e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Outcome::Fetched(Fetched {
            body,
            url,
            moved_to,
            status: Some(status.as_u16()),
            content_type,
            validators,
            hints,
        }))
    }

    async fn fetch_file(&self, url: &Url) -> Result<Fetched, FetchError> {
        // Error texts are shown on /api/sources: the file's name, never the server's paths.
        let path = url.to_file_path().map_err(|()| FetchError::File {
            path: redact(url.as_str()),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a local path"),
        })?;
        let shown = redact(url.as_str());
        let file_err = |source| FetchError::File {
            path: shown.clone(),
            source,
        };
        let file = tokio::fs::File::open(&path).await.map_err(file_err)?;
        let mut body = Vec::new();
        file.take(self.max_body + 1)
            .read_to_end(&mut body)
            .await
            .map_err(file_err)?;
        if body.len() as u64 > self.max_body {
            return Err(FetchError::TooLarge {
                limit: self.max_body,
            });
        }
        Ok(Fetched {
            body,
            url: url.clone(),
            moved_to: None,
            status: None,
            content_type: None,
            validators: Validators::default(),
            hints: CacheHints::default(),
        })
    }

    fn http_error(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout(self.timeout);
        }
        // Without the URL: it may carry credentials, and the source's row already names it.
        let e = e.without_url();
        // Show the whole chain: "error sending request" alone says nothing.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if let Some(private) = s.downcast_ref::<PrivateTarget>() {
                return FetchError::Private(private.clone());
            }
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        FetchError::Http(message)
    }
}

fn cache_hints(headers: &HeaderMap) -> CacheHints {
    let max_age = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            let (name, value) = d.trim().split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("max-age")
                .then(|| value.trim().trim_matches('"').parse::<u64>().ok())?
        })
        .map(Duration::from_secs);
    let expires = headers
        .get(header::EXPIRES)
        .and_then(|v| v.to_str().ok())
        .and_then(http_date);
    CacheHints { max_age, expires }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = http_date(raw)?;
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

fn http_date(raw: &str) -> Option<DateTime<Utc>> {
    let t: SystemTime = httpdate::parse_http_date(raw.trim()).ok()?;
    Some(DateTime::<Utc>::from(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn cache_hints_read_max_age_and_expires() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=600"),
        );
        h.insert(
            header::EXPIRES,
            HeaderValue::from_static("Thu, 26 Nov 2026 05:00:00 GMT"),
        );
        let hints = cache_hints(&h);
        assert_eq!(hints.max_age, Some(Duration::from_secs(600)));
        assert_eq!(
            hints.expires.map(|e| e.to_rfc3339()).as_deref(),
            Some("2026-11-26T05:00:00+00:00")
        );
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        h.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 01 Jan 2020 00:00:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn charset_comes_from_the_content_type() {
        let f = |ct: &str| Fetched {
            body: vec![],
            url: Url::parse("http://e.com/").unwrap(),
            moved_to: None,
            status: Some(200),
            content_type: Some(ct.into()),
            validators: Validators::default(),
            hints: CacheHints::default(),
        };
        assert_eq!(f("application/rss+xml; charset=GBK").charset(), Some("GBK"));
        assert_eq!(f("text/xml;Charset=\"utf-8\"").charset(), Some("utf-8"));
        assert_eq!(f("text/xml").charset(), None);
    }
}
