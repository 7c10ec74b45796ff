//! HTTP as the host performs it for itself and for plugins: one connection
//! pool, grants checked on every hop, a rate limiter per host, bounded
//! retries, capped bodies, and the target registry's authentication.

mod budget;
mod client;
mod grants;
mod limiter;
mod quota;
pub mod redact;
mod retry;
mod send;
mod stream;
#[cfg(test)]
pub(crate) mod test_server;
mod tls;

pub use budget::BodyBudget;
pub use client::{Client, NetConfig};
pub use grants::{Grants, host_port};
pub use quota::retry_after;
pub use retry::backoff;
pub use stream::Opened;

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

/// A request; the body is held so it can be sent again on retry.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = value.parse() {
            self.headers.insert(name, value);
        }
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The URL that answered, after redirects.
    pub url: Url,
    /// Whether an earlier attempt failed in a way the server may have acted
    /// on (not a 429, which says it did not).
    pub retried: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }

    /// Every header as text, for a plugin or a probe.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.to_string(), value)
            })
            .collect()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text for an error message: trimmed and shortened.
    pub fn said(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        let mut said: String = text.chars().take(300).collect();
        if said.len() < text.len() {
            said.push('…');
        }
        said
    }
}

/// Why no response was had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NetError {
    #[error("{0}")]
    Denied(String),
    #[error("{url}: no answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    /// A body over its own cap, or over the budget the bodies of one
    /// plugin call share (`shared`).
    #[error("{url}: {} larger than the {} limit", if *.shared { "answers of one plugin call together" } else { "answer" }, size(*.limit))]
    TooLarge {
        url: String,
        limit: u64,
        shared: bool,
    },
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    /// The server's certificate was refused: asking again cannot help.
    #[error("{url}: {message}")]
    Certificate { url: String, message: String },
    /// The registry's token service refused the credentials.
    #[error("{0}")]
    Auth(String),
}

/// `64 MiB`, `1 KiB`, or `1000 bytes`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} byte"),
    }
}
