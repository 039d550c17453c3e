//! Getting a feed's bytes: http(s) with reqwest (never `.text()`: charset decisions belong to
//! the parser's side), or a local `file:` URL (the bundled samples). Bodies are capped at
//! `fetch.max_body` while streaming, after decompression.

use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use tokio::io::AsyncReadExt;
use url::Url;

use crate::config::FetchConfig;

/// The most redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}")]
    Status { status: u16 },
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
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
}

impl FetchError {
    /// The HTTP status that caused the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status } => Some(*status),
            _ => None,
        }
    }
}

/// What a fetch brought back.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// The URL the body came from, after redirects.
    pub url: Url,
    /// The HTTP status (None for files).
    pub status: Option<u16>,
    pub content_type: Option<String>,
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

/// Fetches feeds with one shared connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: u64,
    timeout: Duration,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(&config.user_agent)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Self {
            client,
            max_body: config.max_body,
            timeout: config.timeout,
        })
    }

    /// Fetch `url`; any status other than 2xx is an error.
    pub async fn fetch(&self, url: &Url) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "http" | "https" => self.fetch_http(url).await,
            "file" => self.fetch_file(url).await,
            other => Err(FetchError::Scheme(other.to_owned())),
        }
    }

    async fn fetch_http(&self, url: &Url) -> Result<Fetched, FetchError> {
        let mut response = self
            .client
            .get(url.as_str())
            .send()
            .await
            .map_err(|e| self.http_error(e))?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(FetchError::Status { status });
        }
        // A declared length over the cap is refused before reading anything.
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let compressed = response
            .headers()
            .contains_key(reqwest::header::CONTENT_ENCODING);
        if let Some(len) = declared.filter(|_| !compressed)
            && len > self.max_body
        {
            return Err(FetchError::TooLarge {
                limit: self.max_body,
            });
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let final_url = Url::parse(response.url().as_str()).unwrap_or_else(|_| url.clone());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.http_error(e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            body,
            url: final_url,
            status: Some(status),
            content_type,
        })
    }

    async fn fetch_file(&self, url: &Url) -> Result<Fetched, FetchError> {
        let path = url.to_file_path().map_err(|()| FetchError::File {
            path: url.to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a local path"),
        })?;
        let shown = path.display().to_string();
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
            status: None,
            content_type: None,
        })
    }

    fn http_error(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else {
            // Show the whole chain: "error sending request" alone says nothing.
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            FetchError::Http(message)
        }
    }
}
