//! What a server of the tests saw of each request, and the log it keeps.
//!
//! Every fake, the fault proxy and the moto proxy log the same record, so a
//! test bed can merge the logs of its servers in the order requests ended.
//! The seeder says who it is in its `User-Agent`, and the fakes log none of
//! its requests: a fake's log holds what berth sent, not what the test set
//! up through it. The proxies keep everything they pass on.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;

/// The `User-Agent` of the seeder's requests.
pub const SEEDER_AGENT: &str = "berth-test-seeder";
/// Largest request body a server reads (manifests and test blobs are small).
const MAX_BODY: usize = 64 << 20;

/// One request as a server saw it, with the status it answered.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    /// Path and query, exactly as sent.
    pub path: String,
    /// The `Authorization` header as sent, if any.
    pub authorization: Option<String>,
    pub headers: HeaderMap,
    /// The body as received; empty where the server streams it on unread
    /// (the fault proxy).
    pub body: Bytes,
    /// `0` when no answer was sent (the fault proxy reset the connection).
    pub status: u16,
    /// When the request ended, across every server of the process.
    order: u64,
}

impl Seen {
    pub fn new(method: Method, path: String, headers: HeaderMap, body: Bytes, status: u16) -> Seen {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Seen {
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(String::from),
            method,
            path,
            headers,
            body,
            status,
            order: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A field of a url-encoded form body.
    pub fn field(&self, name: &str) -> Option<String> {
        let form = self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return None;
        }
        form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }

    /// A GET or HEAD: all a dry run may send.
    pub fn is_read(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }

    /// A request that changes nothing: a read, a token request, or an AWS
    /// API call whose operation only reads.
    pub fn changes_nothing(&self) -> bool {
        const TOKEN_ROUTES: [&str; 4] = [
            "/oauth2/token",
            "/oauth2/exchange",
            "/v2/auth/token",
            "/v2/users/login",
        ];
        let aws_read = self
            .header("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .is_some_and(|op| {
                ["List", "Describe", "Get", "BatchGet"]
                    .iter()
                    .any(|p| op.starts_with(p))
            });
        self.is_read()
            || (self.method == Method::POST && (TOKEN_ROUTES.contains(&self.route()) || aws_read))
    }

    pub fn order(&self) -> u64 {
        self.order
    }
}

/// A server's requests, in the order they ended.
#[derive(Default)]
pub struct Log {
    seen: Mutex<Vec<Seen>>,
}

impl Log {
    pub fn record(&self, seen: Seen) {
        self.seen.lock().unwrap().push(seen);
    }

    pub fn all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

/// Reads the request's body, has `answer` respond to it, and logs both
/// unless the seeder sent it.
pub async fn logged<F, Fut>(log: &Log, request: Request, answer: F) -> Response
where
    F: FnOnce(Parts, Bytes) -> Fut,
    Fut: Future<Output = Response>,
{
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let (method, headers) = (parts.method.clone(), parts.headers.clone());
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let response = answer(parts, body.clone()).await;
    let seen = Seen::new(method, path, headers, body, response.status().as_u16());
    if seen.header("user-agent") != Some(SEEDER_AGENT) {
        log.record(seen);
    }
    response
}

/// The requests of a log that a test looks at.
pub trait Requests {
    /// Those whose path starts with `prefix`.
    fn under(self, prefix: &str) -> Vec<Seen>;
    /// Those with `method` whose path starts with `prefix`.
    fn to(self, method: Method, prefix: &str) -> Vec<Seen>;
}

impl Requests for Vec<Seen> {
    fn under(self, prefix: &str) -> Vec<Seen> {
        self.into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }

    fn to(self, method: Method, prefix: &str) -> Vec<Seen> {
        self.into_iter()
            .filter(|r| r.method == method)
            .collect::<Vec<_>>()
            .under(prefix)
    }
}
