//! Single blocking HTTP requests, to look at servers directly: what a
//! registry holds, what the proxy or the token server answers.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use super::{client, runtime};

/// A request to send with `send`.
pub struct HttpRequest {
    builder: RequestBuilder,
}

/// A request to `url`; redirects are not followed.
pub fn request(method: Method, url: &str) -> HttpRequest {
    HttpRequest {
        builder: client()
            .request(method, url)
            .timeout(Duration::from_secs(30)),
    }
}

impl HttpRequest {
    pub fn header(self, name: &str, value: &str) -> HttpRequest {
        HttpRequest {
            builder: self.builder.header(name, value),
        }
    }

    pub fn basic_auth(self, user: &str, password: &str) -> HttpRequest {
        HttpRequest {
            builder: self.builder.basic_auth(user, Some(password)),
        }
    }

    pub fn body(self, body: Vec<u8>) -> HttpRequest {
        HttpRequest {
            builder: self.builder.body(body),
        }
    }

    /// An `application/x-www-form-urlencoded` body.
    pub fn form(self, fields: &[(&str, &str)]) -> HttpRequest {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let builder = self
            .builder
            .header("content-type", "application/x-www-form-urlencoded");
        HttpRequest {
            builder: builder.body(body),
        }
    }

    /// Replaces the default 30 s limit on the whole exchange.
    pub fn timeout(self, timeout: Duration) -> HttpRequest {
        HttpRequest {
            builder: self.builder.timeout(timeout),
        }
    }

    /// The response, or the transport error as text (reset, timeout, …).
    pub fn send(self) -> Result<HttpResponse, String> {
        runtime().block_on(async {
            let response = self.builder.send().await.map_err(describe)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(describe)?.to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

/// The error with its causes, where "connection reset" or "timed out" shows.
fn describe(error: reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", self.text()))
    }
}
