//! The server a vendor fake runs on: it stands in front of a real
//! distribution registry on loopback, logs every request but the seeder's,
//! answers injected faults, can be the registry's own token service (a
//! Bearer challenge on `/v2/` and tokens for Basic credentials, as Harbor,
//! Quay and GCR do), and hands each request to the vendor's handler, which
//! answers it or passes it on to the registry.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::AsHeaderName;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::SubsecRound;
use serde_json::json;
use tokio::task::JoinHandle;

use super::super::Registry;
use super::super::seen::{Log, Seen, logged};
use super::serve::serve;
use super::upstream::Upstream;

/// A request for the vendor's handler.
pub struct Incoming {
    pub method: Method,
    /// The path as sent, percent-encoding untouched.
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// For `/v2/` requests behind the token service: whose token it was.
    pub user: Option<String>,
}

impl Incoming {
    /// The first value of a query parameter, decoded.
    pub fn param(&self, key: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The user and password of a Basic `Authorization` header.
    pub fn basic(&self) -> Option<(String, String)> {
        basic(&self.headers)
    }

    /// The token of a Bearer `Authorization` header.
    pub fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }

    fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// The registry's token service, as the fake plays it.
#[derive(Clone)]
pub struct TokenService {
    /// Where tokens are asked for, e.g. `/service/token`.
    pub realm_path: String,
    /// The challenge's `service`.
    pub service: String,
    /// Accounts: user name and password.
    pub users: Vec<(String, String)>,
}

/// A fault answered instead of the next matching requests.
struct Fault {
    method: Method,
    prefix: String,
    left: usize,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// What every request of a fake shares.
pub struct Shared {
    pub upstream: Upstream,
    /// The registry's URL and a client for requests of the fake's own.
    registry_url: String,
    client: reqwest::Client,
    addr: OnceLock<SocketAddr>,
    tokens: Option<TokenService>,
    issued: Mutex<HashMap<String, String>>,
    log: Log,
    faults: Mutex<Vec<Fault>>,
}

impl Shared {
    /// `http://127.0.0.1:PORT` of the fake.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr.get().expect("bound"))
    }

    /// `GET <registry><path>` as JSON; `None` unless it answers 200 with JSON.
    pub async fn registry_json(&self, path: &str, accept: &str) -> Option<serde_json::Value> {
        let response = self
            .client
            .get(format!("{}{path}", self.registry_url))
            .header("accept", accept)
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        serde_json::from_slice(&response.bytes().await.ok()?).ok()
    }
}

/// A running fake; it stops when dropped.
pub struct Front {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Front {
    /// Serves `handler` in front of `registry`. The handler answers a
    /// request (`Ok`) or gives it back (`Err`) to be forwarded to the
    /// registry (`/v2/` paths) or answered 404.
    pub fn start<H, F>(registry: &Registry, tokens: Option<TokenService>, handler: H) -> Front
    where
        H: Fn(Arc<Shared>, Incoming) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<Response, Incoming>> + Send + 'static,
    {
        let shared = Arc::new(Shared {
            upstream: Upstream::new(&registry.url()),
            registry_url: registry.url(),
            client: super::super::client(),
            addr: OnceLock::new(),
            tokens,
            issued: Mutex::default(),
            log: Log::default(),
            faults: Mutex::default(),
        });
        let app = {
            let shared = shared.clone();
            Router::new().fallback(move |request: Request| {
                let (shared, handler) = (shared.clone(), handler.clone());
                async move { dispatch(shared, handler, request).await }
            })
        };
        let (addr, task) = serve("fake", |addr| {
            shared.addr.set(addr).expect("set once");
            (app, addr)
        });
        Front { addr, shared, task }
    }

    /// [`Front::start`] for a vendor handler that keeps state of its own,
    /// handed to each call beside the front's.
    pub fn with_state<S, H, F>(
        registry: &Registry,
        tokens: Option<TokenService>,
        state: &Arc<S>,
        handler: H,
    ) -> Front
    where
        S: Send + Sync + 'static,
        H: Fn(Arc<S>, Arc<Shared>, Incoming) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<Response, Incoming>> + Send + 'static,
    {
        let state = state.clone();
        Front::start(registry, tokens, move |shared, incoming| {
            handler(state.clone(), shared, incoming)
        })
    }

    /// `127.0.0.1:PORT`, the form repository addresses use.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.shared.log.all()
    }

    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Answers the next `times` requests with `method` and a path starting
    /// with `prefix` with `status`, `headers` and `body`.
    pub fn fail(
        &self,
        method: Method,
        prefix: &str,
        times: usize,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) {
        self.shared.faults.lock().unwrap().push(Fault {
            method,
            prefix: prefix.into(),
            left: times,
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
        });
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn dispatch<H, F>(shared: Arc<Shared>, handler: H, request: Request) -> Response
where
    H: Fn(Arc<Shared>, Incoming) -> F,
    F: Future<Output = Result<Response, Incoming>>,
{
    let logger = shared.clone();
    logged(&logger.log, request, |parts, body| async move {
        let incoming = Incoming {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or_default().to_string(),
            headers: parts.headers,
            body,
            user: None,
        };
        answer(&shared, handler, incoming).await
    })
    .await
}

async fn answer<H, F>(shared: &Arc<Shared>, handler: H, mut incoming: Incoming) -> Response
where
    H: Fn(Arc<Shared>, Incoming) -> F,
    F: Future<Output = Result<Response, Incoming>>,
{
    if let Some(fault) = take_fault(shared, &incoming) {
        return fault;
    }
    if let Some(tokens) = &shared.tokens {
        if incoming.method == Method::GET && incoming.path == tokens.realm_path {
            return issue_token(shared, tokens, &incoming);
        }
        if incoming.path.starts_with("/v2/") || incoming.path == "/v2" {
            let user = incoming
                .bearer()
                .and_then(|t| shared.issued.lock().unwrap().get(t).cloned());
            let Some(user) = user else {
                return challenge(shared, tokens);
            };
            // The registry behind is anonymous; the token was ours.
            incoming.headers.remove(header::AUTHORIZATION);
            incoming.user = Some(user);
        }
    }
    match handler(shared.clone(), incoming).await {
        Ok(response) => response,
        Err(incoming) if incoming.path.starts_with("/v2/") || incoming.path == "/v2" => {
            forward(shared, incoming).await
        }
        Err(_) => json_response(
            StatusCode::NOT_FOUND,
            &json!({"errors": [{"code": "NOT_FOUND", "message": "no such route in the fake"}]}),
        ),
    }
}

fn take_fault(shared: &Shared, incoming: &Incoming) -> Option<Response> {
    let mut faults = shared.faults.lock().unwrap();
    let fault = faults.iter_mut().find(|f| {
        f.left > 0 && f.method == incoming.method && incoming.path.starts_with(&f.prefix)
    })?;
    fault.left -= 1;
    let mut response = Response::new(Body::from(fault.body.clone()));
    *response.status_mut() = StatusCode::from_u16(fault.status).expect("status");
    for (name, value) in &fault.headers {
        response.headers_mut().insert(
            header::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    Some(response)
}

/// `GET <realm>?service=...&scope=...` with Basic credentials of a known
/// account: a token for `/v2/`. Anything else: 401.
fn issue_token(shared: &Shared, tokens: &TokenService, incoming: &Incoming) -> Response {
    let account = incoming
        .basic()
        .filter(|(user, password)| tokens.users.iter().any(|(u, p)| u == user && p == password));
    let Some((user, _)) = account else {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
        );
    };
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let token = format!("fake-token-{}", COUNTER.fetch_add(1, Ordering::Relaxed));
    shared.issued.lock().unwrap().insert(token.clone(), user);
    json_response(
        StatusCode::OK,
        &json!({"token": token, "access_token": token, "expires_in": 1800}),
    )
}

/// 401 with the Bearer challenge naming our token service.
fn challenge(shared: &Shared, tokens: &TokenService) -> Response {
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
    );
    let value = format!(
        r#"Bearer realm="{}{}",service="{}""#,
        shared.url(),
        tokens.realm_path,
        tokens.service
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&value).expect("challenge"),
    );
    response.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    response
}

/// A JSON answer.
/// `incoming` as distribution answers it.
pub async fn forward(shared: &Shared, incoming: Incoming) -> Response {
    let path = incoming.path_and_query();
    let (status, headers, body) = shared
        .upstream
        .forward(incoming.method, &path, &incoming.headers, incoming.body)
        .await;
    let mut response = (status, body).into_response();
    *response.headers_mut() = headers;
    response
}

pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An answer with no body.
pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The value of header `name`, if there is one in text.
pub fn header_value(headers: &HeaderMap, name: impl AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

/// Decodes `%XX` escapes once; `None` for a malformed escape.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Seconds since 1970, now.
pub fn now_secs() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

/// Now to the second, as `format` (chrono's strftime) writes it: the time a
/// fake reports for what a test did not date.
pub fn now_as(format: &str) -> String {
    chrono::Utc::now()
        .trunc_subsecs(0)
        .format(format)
        .to_string()
}

/// Milliseconds since 1970, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
