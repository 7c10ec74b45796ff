//! An HTTP proxy in front of a registry that injects faults on request.
//!
//! Requests are forwarded unchanged, `Host` included: distribution builds the
//! absolute `Location` URLs it returns from `Host`, so they already point at
//! the proxy, and its `Link` headers are relative. Token realms in
//! `WWW-Authenticate` keep pointing at the token server, which the proxy does
//! not stand in front of. So no header needs rewriting.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::channel::Channel;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use socket2::SockRef;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use super::runtime;
use super::seen::{Log, Seen};

pub use hyper::Method;

type Body = BoxBody<Bytes, hyper::Error>;
type Matcher = Box<dyn Fn(&Method, &str) -> bool + Send + Sync>;

/// One request as the proxy saw it, in short.
#[derive(Clone, Debug)]
pub struct ProxyRequest {
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// `None` when the connection was reset instead of answered.
    pub status: Option<u16>,
    pub has_auth: bool,
}

impl From<Seen> for ProxyRequest {
    fn from(seen: Seen) -> ProxyRequest {
        ProxyRequest {
            has_auth: seen.authorization.is_some(),
            status: (seen.status != 0).then_some(seen.status),
            method: seen.method,
            path: seen.path,
        }
    }
}

/// A running proxy; it stops, closing its connections, when dropped.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Proxies to `upstream_url`, e.g. `registry.url()`.
    pub fn start(upstream_url: &str) -> Proxy {
        let upstream: Uri = upstream_url.parse().expect("upstream URL");
        let upstream = upstream
            .authority()
            .expect("upstream URL has a host")
            .to_string();
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        let state = Arc::new(ProxyState {
            upstream,
            client,
            rules: Mutex::default(),
            log: Log::default(),
        });
        let listener = runtime()
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("local address");
        let task = runtime().spawn(accept(listener, state.clone()));
        Proxy { addr, state, task }
    }

    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A rule for requests with `method` and `path` (the query is ignored);
    /// a trailing `*` matches any path with that prefix. Until an action is
    /// set, the rule only counts matching requests.
    pub fn on(&self, method: Method, path: &str) -> Rule {
        let path = path.to_string();
        self.when(move |m, path_and_query| {
            let request_path = path_and_query.split('?').next().unwrap_or_default();
            *m == method
                && match path.strip_suffix('*') {
                    Some(prefix) => request_path.starts_with(prefix),
                    None => request_path == path,
                }
        })
    }

    /// A rule for requests for which `matches(method, path_and_query)` holds.
    pub fn when(&self, matches: impl Fn(&Method, &str) -> bool + Send + Sync + 'static) -> Rule {
        let mut rules = self.state.rules.lock().unwrap();
        rules.push(RuleState {
            matches: Box::new(matches),
            action: Action::PassThrough,
            retry_after: None,
            hits: 0,
            asked_n: Vec::new(),
        });
        Rule {
            state: self.state.clone(),
            index: rules.len() - 1,
        }
    }

    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.seen().into_iter().map(ProxyRequest::from).collect()
    }

    /// Every request in full, bodies aside (the proxy streams them unread).
    pub fn seen(&self) -> Vec<Seen> {
        self.state.log.all()
    }

    pub fn clear_requests(&self) {
        self.state.log.clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The accept task owns the connection tasks, so they end with it.
        self.task.abort();
    }
}

/// A handle on one rule. Rules act in the order they were added: the first
/// whose action applies to a request decides it; every matching rule counts it.
pub struct Rule {
    state: Arc<ProxyState>,
    index: usize,
}

impl Rule {
    /// Answers the first `times` matching requests with `status` and a
    /// distribution-style error body, then passes requests through.
    pub fn fail_times(self, times: usize, status: u16) -> Rule {
        let body = error_body(status);
        self.set(|r| {
            r.action = Action::Respond {
                status,
                body,
                times: Some(times),
            }
        })
    }

    /// Answers every matching request with `status` and `body` (as JSON).
    pub fn respond(self, status: u16, body: &str) -> Rule {
        let body = Bytes::from(body.to_string());
        self.set(|r| {
            r.action = Action::Respond {
                status,
                body,
                times: None,
            }
        })
    }

    /// Adds `Retry-After: seconds` to the answers of `fail_times`/`respond`.
    pub fn retry_after(self, seconds: u64) -> Rule {
        self.set(|r| r.retry_after = Some(seconds))
    }

    /// Resets the TCP connection, sending no response, on the `nth` (from 1)
    /// matching request.
    pub fn reset_nth(self, nth: usize) -> Rule {
        self.set(|r| r.action = Action::Reset { nth })
    }

    /// Sends the upstream response's headers at once and then its body one
    /// byte per `per_byte`.
    pub fn trickle(self, per_byte: Duration) -> Rule {
        self.set(|r| r.action = Action::Trickle(per_byte))
    }

    /// Passes the upstream answer on with its last byte changed, as a
    /// registry that serves a corrupt blob would.
    pub fn corrupt(self) -> Rule {
        self.set(|r| r.action = Action::Corrupt)
    }

    /// Serves `GET /v2/<name>/tags/list` in pages, as distribution 2.8 (which
    /// ignores `n` and `last`) does not: the client's `n`, else `default_n`,
    /// tags after `last`, with a `Link` to the next page while any remain.
    pub fn paginate(self, default_n: usize) -> Rule {
        self.set(|r| {
            r.action = Action::Paginate {
                default_n,
                looping: false,
            }
        })
    }

    /// With `paginate`: every page after the first links back to the first.
    pub fn looping(self) -> Rule {
        self.set(|r| match &mut r.action {
            Action::Paginate { looping, .. } => *looping = true,
            _ => panic!("`looping` needs `paginate` first"),
        })
    }

    /// How many requests this rule matched.
    pub fn hits(&self) -> usize {
        self.state.rules.lock().unwrap()[self.index].hits
    }

    /// The `n` query parameter of each matching request, in order.
    pub fn asked_n(&self) -> Vec<Option<usize>> {
        self.state.rules.lock().unwrap()[self.index].asked_n.clone()
    }

    fn set(self, change: impl FnOnce(&mut RuleState)) -> Rule {
        change(&mut self.state.rules.lock().unwrap()[self.index]);
        self
    }
}

struct ProxyState {
    /// `host:port` of the registry.
    upstream: String,
    client: Client<HttpConnector, Body>,
    rules: Mutex<Vec<RuleState>>,
    log: Log,
}

struct RuleState {
    matches: Matcher,
    action: Action,
    retry_after: Option<u64>,
    hits: usize,
    asked_n: Vec<Option<usize>>,
}

enum Action {
    PassThrough,
    Respond {
        status: u16,
        body: Bytes,
        times: Option<usize>,
    },
    Reset {
        nth: usize,
    },
    Trickle(Duration),
    Corrupt,
    Paginate {
        default_n: usize,
        looping: bool,
    },
}

/// What to do with one request.
enum Effect {
    Forward,
    Respond {
        status: u16,
        body: Bytes,
        retry_after: Option<u64>,
    },
    Reset,
    Trickle(Duration),
    Corrupt,
    Paginate {
        page_size: usize,
        looping: bool,
    },
}

impl ProxyState {
    fn decide(&self, method: &Method, path_and_query: &str) -> Effect {
        let n = query_param(path_and_query, "n").and_then(|n| n.parse().ok());
        let mut effect = None;
        for rule in self.rules.lock().unwrap().iter_mut() {
            if !(rule.matches)(method, path_and_query) {
                continue;
            }
            rule.hits += 1;
            rule.asked_n.push(n);
            let applies = match &rule.action {
                Action::PassThrough => None,
                Action::Respond {
                    status,
                    body,
                    times,
                } => times
                    .is_none_or(|times| rule.hits <= times)
                    .then(|| Effect::Respond {
                        status: *status,
                        body: body.clone(),
                        retry_after: rule.retry_after,
                    }),
                Action::Reset { nth } => (rule.hits == *nth).then_some(Effect::Reset),
                Action::Trickle(per_byte) => Some(Effect::Trickle(*per_byte)),
                Action::Corrupt => Some(Effect::Corrupt),
                Action::Paginate { default_n, looping } => Some(Effect::Paginate {
                    page_size: n.unwrap_or(*default_n),
                    looping: *looping,
                }),
            };
            effect = effect.or(applies);
        }
        effect.unwrap_or(Effect::Forward)
    }

    async fn forward(&self, mut request: Request<Body>) -> Response<Body> {
        let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let uri = format!("http://{}{path_and_query}", self.upstream);
        *request.uri_mut() = uri.parse().expect("upstream URI");
        request.headers_mut().remove(CONNECTION);
        match self.client.request(request).await {
            Ok(response) => response.map(BodyExt::boxed),
            Err(err) => text_response(502, format!("proxy: upstream failed: {err}")),
        }
    }

    /// Logs a request; `status` 0 for a reset.
    fn log(&self, method: Method, path: String, headers: HeaderMap, status: u16) {
        self.log
            .record(Seen::new(method, path, headers, Bytes::new(), status));
    }
}

async fn accept(listener: TcpListener, state: Arc<ProxyState>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(serve(stream, state.clone()));
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
}

async fn serve(stream: TcpStream, state: Arc<ProxyState>) {
    let reset = Arc::new(Notify::new());
    let service = {
        let reset = reset.clone();
        service_fn(move |request| handle(state.clone(), reset.clone(), request))
    };
    let mut connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = &mut connection => {}
        _ = reset.notified() => {
            let stream = connection.into_parts().io.into_inner();
            // Linger zero makes closing send RST instead of FIN.
            let _ = SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
    }
}

async fn handle(
    state: Arc<ProxyState>,
    reset: Arc<Notify>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let headers = request.headers().clone();
    let request = request.map(BodyExt::boxed);
    let response = match state.decide(&method, &path) {
        Effect::Forward => state.forward(request).await,
        Effect::Respond {
            status,
            body,
            retry_after,
        } => {
            let mut response = bytes_response(status, body);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Effect::Reset => {
            state.log(method, path, headers, 0);
            reset.notify_one();
            // The connection is dropped before this is polled again.
            return std::future::pending().await;
        }
        Effect::Trickle(per_byte) => trickle(state.forward(request).await, per_byte),
        Effect::Corrupt => corrupt(state.forward(request).await).await,
        Effect::Paginate { page_size, looping } => {
            paginate(&state, request, &path, page_size, looping).await
        }
    };
    state.log(method, path, headers, response.status().as_u16());
    Ok(response)
}

async fn corrupt(response: Response<Body>) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let mut bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes().to_vec())
        .unwrap_or_default();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0xff;
    }
    let body = Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed();
    Response::from_parts(parts, body)
}

fn trickle(response: Response<Body>, per_byte: Duration) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let (mut sender, channel) = Channel::<Bytes, hyper::Error>::new(1);
    tokio::spawn(async move {
        let Ok(collected) = body.collect().await else {
            return;
        };
        for byte in collected.to_bytes() {
            tokio::time::sleep(per_byte).await;
            if sender
                .send_data(Bytes::copy_from_slice(&[byte]))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    Response::from_parts(parts, channel.boxed())
}

async fn paginate(
    state: &ProxyState,
    request: Request<Body>,
    path_and_query: &str,
    page_size: usize,
    looping: bool,
) -> Response<Body> {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let Some(name) = path
        .strip_prefix("/v2/")
        .and_then(|p| p.strip_suffix("/tags/list"))
    else {
        return text_response(500, format!("proxy: cannot paginate {path}"));
    };
    let last = query_param(path_and_query, "last");
    // Ask for the whole list, with the client's headers (and credentials).
    let (mut parts, _) = request.into_parts();
    parts.uri = path.parse().expect("tags path");
    let empty = Empty::new().map_err(|never| match never {}).boxed();
    let upstream = state.forward(Request::from_parts(parts, empty)).await;
    if upstream.status() != StatusCode::OK {
        return upstream;
    }
    let Ok(body) = upstream.into_body().collect().await else {
        return text_response(502, "proxy: upstream body failed".into());
    };
    let Ok(list) = serde_json::from_slice::<Value>(&body.to_bytes()) else {
        return text_response(502, "proxy: upstream tag list is not JSON".into());
    };
    let mut tags: Vec<&str> = list["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    tags.sort_unstable();
    let after: Vec<&str> = tags
        .into_iter()
        .filter(|t| last.as_deref().is_none_or(|l| *t > l))
        .collect();
    let page = &after[..page_size.min(after.len())];
    let base = format!("/v2/{name}/tags/list?n={page_size}");
    let next = if looping && last.is_some() {
        Some(base)
    } else {
        page.last()
            .filter(|_| after.len() > page.len())
            .map(|l| format!("{base}&last={l}"))
    };
    let body = json!({"name": name, "tags": page}).to_string();
    let mut response = bytes_response(200, Bytes::from(body));
    if let Some(next) = next {
        let link = format!("<{next}>; rel=\"next\"");
        response
            .headers_mut()
            .insert(LINK, HeaderValue::from_str(&link).expect("Link header"));
    }
    response
}

fn query_param(path_and_query: &str, key: &str) -> Option<String> {
    let query = path_and_query.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn error_body(status: u16) -> Bytes {
    let code = match status {
        401 => "UNAUTHORIZED",
        403 => "DENIED",
        429 => "TOOMANYREQUESTS",
        503 => "UNAVAILABLE",
        _ => "UNKNOWN",
    };
    let body = json!({"errors": [{"code": code, "message": "injected by the test proxy"}]});
    Bytes::from(body.to_string())
}

fn bytes_response(status: u16, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body).map_err(|never| match never {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).expect("HTTP status");
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn text_response(status: u16, text: String) -> Response<Body> {
    let mut response = bytes_response(status, Bytes::from(text));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}
