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

    /// `Authorization: Basic` with `username` and `secret`.
    pub fn basic(self, username: &str, secret: &str) -> Self {
        use base64::Engine as _;
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{secret}"));
        self.header("authorization", format!("Basic {pair}"))
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

    /// This error answer as an [`Error`] of the kind its status calls for
    /// ([`crate::status_error`]), saying `WHAT: HTTP STATUS: SAID`, or
    /// `WHAT: HTTP STATUS` when `said` is empty. `what` names the request
    /// (`DELETE /api/tags/v1`); `said` is what the vendor's error document
    /// says, already [quoted](crate::quote).
    pub fn error(&self, what: &str, said: &str) -> Error {
        let message = if said.is_empty() {
            format!("{what}: HTTP {}", self.status)
        } else {
            format!("{what}: HTTP {}: {said}", self.status)
        };
        crate::status_error(self.status, self.retry_after(), message)
    }

    /// The `rel="next"` target of the answer's `Link` headers (RFC 8288),
    /// resolved against the URL that answered, as the host reads it
    /// ([`berth_parse::link::next_link`]): how many APIs, the OCI
    /// distribution API among them, link the next page of a listing.
    pub fn next_link(&self) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
            .map(|(_, value)| value.as_str())
            .collect();
        berth_parse::link::next_link(&values, &self.url)
    }
}

/// The path and query of an absolute URL (`/` when it has none), to name a
/// request in a message.
pub fn path_and_query(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// Percent-encodes every byte but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`), so that `text` is one path segment or query
/// value: `group/app` becomes `group%2Fapp`.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer from a tag list, with these headers and no body.
    fn answer(status: u16, headers: Vec<(String, String)>) -> Response {
        let url = "https://gcr.io/v2/p/app/tags/list?n=2".to_string();
        let body = Vec::new();
        Response {
            status,
            headers,
            body,
            url,
        }
    }

    fn links(values: &[&str]) -> Response {
        answer(
            200,
            values
                .iter()
                .map(|v| ("Link".into(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn finds_and_resolves_the_next_link() {
        let r = links(&[r#"</v2/p/app/tags/list?n=2&last=b>; rel="next""#]);
        assert_eq!(
            r.next_link().as_deref(),
            Some("https://gcr.io/v2/p/app/tags/list?n=2&last=b")
        );
        let r = links(&[r#"<list?last=b>; rel=next"#]);
        assert_eq!(
            r.next_link().as_deref(),
            Some("https://gcr.io/v2/p/app/tags/list?last=b")
        );
        let r = links(&[r#"<https://x.example/a>; rel="prev", <//y.example/b>; rel="next last""#]);
        assert_eq!(r.next_link().as_deref(), Some("https://y.example/b"));
        let github = "<https://api.github.com/orgs/a/packages/container/b%2Fc/versions?per_page=100&page=2>; rel=\"next\", \
<https://api.github.com/orgs/a/packages/container/b%2Fc/versions?per_page=100&page=4>; rel=\"last\"";
        assert_eq!(
            links(&[github]).next_link().as_deref(),
            Some(
                "https://api.github.com/orgs/a/packages/container/b%2Fc/versions?per_page=100&page=2"
            )
        );
        let commas = r#"<https://x.example/a?q=1,2>; rel="prev", <https://x.example/b?q=3,4>; title="a, b"; rel="next""#;
        assert_eq!(
            links(&[commas]).next_link().as_deref(),
            Some("https://x.example/b?q=3,4")
        );
    }

    #[test]
    fn no_next_link_no_page() {
        assert_eq!(links(&[]).next_link(), None);
        assert_eq!(links(&[r#"</a>; rel="prev""#]).next_link(), None);
        assert_eq!(
            links(&[r#"<https://x/v?page=1>; rel="prev", <https://x/v?page=1>; rel="first""#])
                .next_link(),
            None
        );
        assert_eq!(links(&["garbage"]).next_link(), None);
        assert_eq!(links(&[""]).next_link(), None);
    }

    #[test]
    fn error_answers_name_the_request() {
        let r = answer(404, Vec::new());
        assert!(matches!(
            r.error("DELETE /api/x", "not found"),
            Error::NotFound(m) if m == "DELETE /api/x: HTTP 404: not found"
        ));
        assert!(matches!(r.error("GET /", ""), Error::NotFound(m) if m == "GET /: HTTP 404"));
        let limited = answer(429, vec![("Retry-After".into(), "7".into())]);
        assert!(matches!(
            limited.error("GET /", ""),
            Error::RateLimited(crate::RateLimit {
                retry_after: Some(7),
                ..
            })
        ));
    }

    #[test]
    fn paths_for_messages() {
        assert_eq!(
            path_and_query("https://h.example:8443/api/v4/x?page=2"),
            "/api/v4/x?page=2"
        );
        assert_eq!(path_and_query("https://h.example"), "/");
        assert_eq!(path_and_query("/already/a/path"), "/already/a/path");
    }

    #[test]
    fn encodes_components() {
        assert_eq!(
            encode_component("group/sub/project"),
            "group%2Fsub%2Fproject"
        );
        assert_eq!(encode_component("v1.2_rc-1~x"), "v1.2_rc-1~x");
        assert_eq!(encode_component("a b:é"), "a%20b%3A%C3%A9");
    }
}
