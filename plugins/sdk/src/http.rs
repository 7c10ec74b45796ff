//! HTTP through the host, which enforces grants, retries and authenticates
//! to the target registry.

use crate::bindings::berth::provider::http as wit;
use crate::{Error, Result};
use serde::de::DeserializeOwned;

pub use wit::{Method, Response};

/// A request being built.
pub struct Request(wit::Request);

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request(wit::Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url)
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::Delete, url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::Post, url)
    }

    /// Adds a header. An `authorization` header stops the host from
    /// answering the target registry's challenge for this request.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// The request body.
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.0.body = body;
        self
    }

    /// A JSON body with its content type.
    pub fn json<T: serde::Serialize>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).expect("serialisable value");
        self.header("content-type", "application/json").body(body)
    }

    /// Sends the request; any HTTP status is a response.
    pub fn send(self) -> Result<Response> {
        wit::send(&self.0)
    }

    /// Sends the request and turns a non-2xx answer into an [`Error`].
    pub fn send_ok(self) -> Result<Response> {
        let response = self.send()?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(crate::from_status(
                response.status,
                response.retry_after(),
                &response.body,
            ))
        }
    }

    /// The request as the WIT `http` interface takes it.
    pub fn into_inner(self) -> wit::Request {
        self.0
    }
}

/// Sends requests concurrently (up to the operator's `--concurrency`).
pub fn send_all(requests: Vec<Request>) -> Vec<Result<Response>> {
    let requests: Vec<wit::Request> = requests.into_iter().map(Request::into_inner).collect();
    wit::send_all(&requests)
}

impl Response {
    /// A header value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Retry-After` in seconds, when given as a number.
    pub fn retry_after(&self) -> Option<u32> {
        self.header("retry-after")?.trim().parse().ok()
    }

    /// Parses the body as JSON; a body that does not parse is `invalid`,
    /// quoting the URL and the parse error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::Invalid(format!("unexpected answer from {}: {e}", self.url)))
    }
}
