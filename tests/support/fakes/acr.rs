//! A strict fake of Azure Container Registry in front of a real distribution.
//!
//! As ACR documents it: `POST /oauth2/exchange` (an Azure AD access token →
//! an ACR refresh token), `POST /oauth2/token` (refresh token → access
//! token for the requested scopes), `GET /oauth2/token` with Basic auth (an
//! admin user, or the refresh-token user `00000000-…`), `GET
//! /acr/v1/<name>/_tags` (digests and times, `n`/`last` paging with a `Link`
//! header), `DELETE /acr/v1/<name>/_tags/<tag>` (202) and `GET
//! /acr/v1/<name>/_manifests` (every manifest the registry holds, tagged or
//! not, by digest: `digest`, `imageSize`, `createdTime`, `lastUpdateTime`,
//! `mediaType`, `tags` when it has some, `changeableAttributes`; paged by
//! `n` and `last` with a `Link` header). Everything else
//! needs an access token it issued with the right scope, and `/v2/` goes on
//! to the registry. Without one it answers 401 with a Bearer challenge whose
//! realm is its own `/oauth2/token`, as ACR does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::super::seen::{Log, Seen, logged};
use super::super::{Registry, Revisions};
use super::serve::serve;
use super::upstream::Upstream;

pub const ADMIN_USER: &str = "contoso";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
/// An Azure AD access token the fake accepts at `/oauth2/exchange`.
pub const AAD_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.aad-token-for-alice";
/// The user name with which a password is an ACR refresh token.
pub const REFRESH_TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";
/// Times of tags the test did not set.
pub const DEFAULT_TIME: &str = "2024-05-01T10:00:00.1234567Z";

/// What an access token grants: `(repository, actions)`.
#[derive(Clone, Debug)]
struct Grant {
    repositories: Vec<(String, Vec<String>)>,
}

impl Grant {
    fn allows(&self, repository: &str, action: &str) -> bool {
        self.repositories
            .iter()
            .any(|(r, actions)| r == repository && actions.iter().any(|a| a == action || a == "*"))
    }
}

struct State {
    /// `127.0.0.1:PORT`: ACR's `service` and the host of its realm.
    host: String,
    upstream: Upstream,
    /// Every manifest the registry holds: ACR's own record.
    revisions: Revisions,
    counter: AtomicU64,
    refresh_tokens: Mutex<Vec<String>>,
    access_tokens: Mutex<HashMap<String, Grant>>,
    /// (repository, tag) → (createdTime, lastUpdateTime).
    times: Mutex<HashMap<(String, String), (String, String)>>,
    max_page: Mutex<usize>,
    /// (path prefix, answers left, Retry-After seconds).
    throttle: Mutex<Option<(String, usize, u64)>>,
    log: Log,
}

/// A running fake; it stops when dropped.
pub struct AcrFake {
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl AcrFake {
    pub fn start(registry: &Registry) -> AcrFake {
        let (state, task) = serve("ACR fake", |addr| {
            let state = Arc::new(State {
                host: addr.to_string(),
                upstream: Upstream::new(&registry.url()),
                revisions: registry.revisions(),
                counter: AtomicU64::new(0),
                refresh_tokens: Mutex::default(),
                access_tokens: Mutex::default(),
                times: Mutex::default(),
                max_page: Mutex::new(usize::MAX),
                throttle: Mutex::default(),
                log: Log::default(),
            });
            let handler = state.clone();
            let app =
                Router::new().fallback(move |request: Request| handle(handler.clone(), request));
            (app, state)
        });
        AcrFake { state, task }
    }

    /// `127.0.0.1:PORT`, the registry host berth is pointed at.
    pub fn addr(&self) -> String {
        self.state.host.clone()
    }

    /// A refresh token as `az acr login` stores it in docker config.
    pub fn identity_token(&self) -> String {
        self.state.new_refresh_token()
    }

    /// Sets a tag's `createdTime` and `lastUpdateTime`.
    pub fn set_times(&self, repository: &str, tag: &str, created: &str, updated: &str) {
        self.state.times.lock().unwrap().insert(
            (repository.to_string(), tag.to_string()),
            (created.to_string(), updated.to_string()),
        );
    }

    /// Tags per page at most, whatever `n` asks.
    pub fn max_page(&self, size: usize) {
        *self.state.max_page.lock().unwrap() = size;
    }

    /// Answers the next `times` requests under `prefix` with 429
    /// `TOOMANYREQUESTS` and `Retry-After`.
    pub fn throttle(&self, prefix: &str, times: usize, retry_after: u64) {
        *self.state.throttle.lock().unwrap() = Some((prefix.to_string(), times, retry_after));
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.log.all()
    }

    pub fn clear_requests(&self) {
        self.state.log.clear();
    }
}

impl Drop for AcrFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl State {
    fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn new_refresh_token(&self) -> String {
        let token = format!("acr-refresh-{}", self.next_id());
        self.refresh_tokens.lock().unwrap().push(token.clone());
        token
    }

    fn is_refresh_token(&self, token: &str) -> bool {
        self.refresh_tokens
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == token)
    }

    /// An access token for every scope asked (everyone may do anything).
    fn new_access_token(&self, scopes: &[String]) -> String {
        let repositories = scopes
            .iter()
            .filter_map(|scope| {
                let (kind, rest) = scope.split_once(':')?;
                let (name, actions) = rest.rsplit_once(':')?;
                (kind == "repository").then(|| {
                    (
                        name.to_string(),
                        actions.split(',').map(String::from).collect(),
                    )
                })
            })
            .collect();
        let token = format!("acr-access-{}", self.next_id());
        self.access_tokens
            .lock()
            .unwrap()
            .insert(token.clone(), Grant { repositories });
        token
    }

    fn grant(&self, headers: &HeaderMap) -> Option<Grant> {
        let token = headers
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        self.access_tokens.lock().unwrap().get(token).cloned()
    }

    /// 401 with ACR's challenge for `scope`.
    fn challenge(&self, scope: Option<(&str, &str)>, had_token: bool) -> Response {
        let mut challenge = format!(
            "Bearer realm=\"http://{0}/oauth2/token\",service=\"{0}\"",
            self.host
        );
        let mut detail = Value::Null;
        if let Some((name, action)) = scope {
            challenge += &format!(",scope=\"repository:{name}:{action}\"");
            detail = json!([{"Type": "repository", "Name": name, "Action": action}]);
        }
        if had_token {
            challenge += ",error=\"invalid_token\"";
        }
        let body = json!({"errors": [{
            "code": "UNAUTHORIZED",
            "message": "authentication required, visit https://aka.ms/acr/authorization for more information.",
            "detail": detail,
        }]});
        let mut response = json_response(StatusCode::UNAUTHORIZED, &body);
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).expect("challenge header"),
        );
        response
    }
}

async fn handle(state: Arc<State>, request: Request) -> Response {
    logged(&state.clone().log, request, |parts, body| async move {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let form: Vec<(String, String)> =
            if parts.method == Method::POST && path.starts_with("/oauth2/") {
                form_urlencoded::parse(&body).into_owned().collect()
            } else {
                Vec::new()
            };
        route(&state, &parts.method, &path, &parts.headers, &form, body).await
    })
    .await
}

async fn route(
    state: &State,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    form: &[(String, String)],
    body: Bytes,
) -> Response {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some(response) = throttled(state, route) {
        return response;
    }
    match (method.as_str(), route) {
        ("POST", "/oauth2/exchange") => exchange(state, headers, form),
        ("POST", "/oauth2/token") => token_for_refresh(state, headers, form),
        ("GET", "/oauth2/token") => token_for_basic(state, headers, &query),
        _ => {
            if let Some(rest) = route.strip_prefix("/acr/v1/") {
                acr_api(state, method, rest, headers, &query).await
            } else if route == "/v2/" || route.starts_with("/v2/") {
                v2(state, method, path, route, headers, body).await
            } else {
                error(StatusCode::NOT_FOUND, "NOT_FOUND", "not found")
            }
        }
    }
}

fn throttled(state: &State, route: &str) -> Option<Response> {
    let mut throttle = state.throttle.lock().unwrap();
    let (prefix, left, retry_after) = throttle.as_mut()?;
    if !route.starts_with(prefix.as_str()) || *left == 0 {
        return None;
    }
    *left -= 1;
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "TOOMANYREQUESTS",
        "too many requests",
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry_after.to_string()).expect("number"),
    );
    Some(response)
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

/// The 400 for a token request that is not what each must be: of the
/// route's `grant_type` (for a POST, in a form) and for this registry's
/// `service`.
fn bad_request(
    state: &State,
    headers: &HeaderMap,
    fields: &[(String, String)],
    grant_type: Option<&str>,
) -> Option<Response> {
    if let Some(grant_type) = grant_type {
        if !is_form(headers) {
            return Some(error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "expected a form",
            ));
        }
        if field(fields, "grant_type") != Some(grant_type) {
            return Some(error(
                StatusCode::BAD_REQUEST,
                "UNSUPPORTED_GRANT_TYPE",
                &format!("grant_type must be {grant_type}"),
            ));
        }
    }
    (field(fields, "service") != Some(state.host.as_str())).then(|| {
        error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "service is not this registry",
        )
    })
}

/// An access token for every `scope` field (each may hold several).
fn access_token(state: &State, fields: &[(String, String)]) -> Response {
    let scopes: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split_whitespace().map(String::from))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"access_token": state.new_access_token(&scopes)}),
    )
}

/// `grant_type=access_token`, `service`, `access_token`, optional `tenant`.
fn exchange(state: &State, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    if let Some(refused) = bad_request(state, headers, form, Some("access_token")) {
        return refused;
    }
    if field(form, "access_token") != Some(AAD_TOKEN) {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "the AAD access token is invalid or expired",
        );
    }
    json_response(
        StatusCode::OK,
        &json!({"refresh_token": state.new_refresh_token()}),
    )
}

/// `grant_type=refresh_token`, `service`, `scope` (repeatable), `refresh_token`.
fn token_for_refresh(state: &State, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    if let Some(refused) = bad_request(state, headers, form, Some("refresh_token")) {
        return refused;
    }
    if !field(form, "refresh_token").is_some_and(|t| state.is_refresh_token(t)) {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "the refresh token is invalid or expired",
        );
    }
    access_token(state, form)
}

/// Basic auth: the admin user, or the refresh-token user and a refresh token.
fn token_for_basic(state: &State, headers: &HeaderMap, query: &[(String, String)]) -> Response {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let Some((user, password)) = basic.as_deref().and_then(|b| b.split_once(':')) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "authentication required",
        );
    };
    let valid = (user == ADMIN_USER && password == ADMIN_PASSWORD)
        || (user == REFRESH_TOKEN_USER && state.is_refresh_token(password));
    if !valid {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "invalid username or password",
        );
    }
    if let Some(refused) = bad_request(state, headers, query, None) {
        return refused;
    }
    access_token(state, query)
}

/// `/acr/v1/<name>/_tags`, `/acr/v1/<name>/_tags/<tag>` and
/// `/acr/v1/<name>/_manifests`.
async fn acr_api(
    state: &State,
    method: &Method,
    rest: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
) -> Response {
    if let Some((name, "")) = rest.rsplit_once("/_manifests") {
        if *method != Method::GET {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "method not allowed",
            );
        }
        match state.grant(headers) {
            Some(grant) if grant.allows(name, "metadata_read") => {}
            grant => return state.challenge(Some((name, "metadata_read")), grant.is_some()),
        }
        return manifests(state, name, query).await;
    }
    let (name, tag) = match rest.rsplit_once("/_tags") {
        Some((name, "")) => (name, None),
        Some((name, tag)) if tag.starts_with('/') && !tag[1..].contains('/') => {
            (name, Some(&tag[1..]))
        }
        _ => return error(StatusCode::NOT_FOUND, "NOT_FOUND", "unknown API"),
    };
    let action = match (method.as_str(), tag) {
        ("GET", None) => "metadata_read",
        ("DELETE", Some(_)) => "delete",
        _ => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "method not allowed",
            );
        }
    };
    match state.grant(headers) {
        Some(grant) if grant.allows(name, action) => {}
        grant => return state.challenge(Some((name, action)), grant.is_some()),
    }
    let Some(tags) = state.upstream.tags(name).await else {
        let body = json!({"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry", "detail": {"name": name}}]});
        return json_response(StatusCode::NOT_FOUND, &body);
    };
    match tag {
        Some(tag) if !tags.iter().any(|t| t == tag) => error(
            StatusCode::NOT_FOUND,
            "TAG_UNKNOWN",
            "the specified tag does not exist",
        ),
        Some(tag) => {
            state.upstream.untag(name, tag).await;
            StatusCode::ACCEPTED.into_response()
        }
        None => list(state, name, tags, query).await,
    }
}

async fn list(
    state: &State,
    name: &str,
    tags: Vec<String>,
    query: &[(String, String)],
) -> Response {
    let n = match field(query, "n") {
        None => 100,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "PAGINATION_NUMBER_INVALID",
                    "invalid number of results requested",
                );
            }
        },
    };
    let n = n.min(*state.max_page.lock().unwrap());
    let last = field(query, "last");
    let after: Vec<&String> = tags
        .iter()
        .filter(|t| last.is_none_or(|l| t.as_str() > l))
        .collect();
    let page = &after[..n.min(after.len())];
    let mut entries = Vec::new();
    for tag in page {
        let digest = state.upstream.head(name, tag).await.map(|h| h.digest);
        let (created, updated) = state
            .times
            .lock()
            .unwrap()
            .get(&(name.to_string(), tag.to_string()))
            .cloned()
            .unwrap_or((DEFAULT_TIME.into(), DEFAULT_TIME.into()));
        entries.push(json!({
            "name": tag,
            "digest": digest,
            "createdTime": created,
            "lastUpdateTime": updated,
            "signed": false,
            "changeableAttributes": {"deleteEnabled": true, "writeEnabled": true, "readEnabled": true, "listEnabled": true},
        }));
    }
    let body = json!({"registry": state.host, "imageName": name, "tags": entries});
    let mut response = json_response(StatusCode::OK, &body);
    if after.len() > page.len()
        && let Some(last) = page.last()
    {
        let link = format!("</acr/v1/{name}/_tags?last={last}&n={n}&orderby=>; rel=\"next\"");
        response.headers_mut().insert(
            header::LINK,
            HeaderValue::from_str(&link).expect("Link header"),
        );
    }
    response
}

/// One page of every manifest of `name`, in digest order.
async fn manifests(state: &State, name: &str, query: &[(String, String)]) -> Response {
    let Some(tags) = state.upstream.tags(name).await else {
        let body = json!({"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry", "detail": {"name": name}}]});
        return json_response(StatusCode::NOT_FOUND, &body);
    };
    let n = match field(query, "n").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "PAGINATION_NUMBER_INVALID",
                "invalid number of results requested",
            );
        }
    };
    let n = n.min(*state.max_page.lock().unwrap());
    let last = field(query, "last");
    let after: Vec<String> = state
        .revisions
        .list(name)
        .into_iter()
        .filter(|d| last.is_none_or(|l| d.as_str() > l))
        .collect();
    let page = &after[..n.min(after.len())];
    let mut tags_of: HashMap<String, Vec<String>> = HashMap::new();
    for tag in tags {
        if let Some(head) = state.upstream.head(name, &tag).await {
            tags_of.entry(head.digest).or_default().push(tag);
        }
    }
    let mut entries = Vec::new();
    for digest in page {
        let Some(head) = state.upstream.head(name, digest).await else {
            continue;
        };
        let mut entry = json!({
            "digest": digest,
            "imageSize": head.size,
            "createdTime": DEFAULT_TIME,
            "lastUpdateTime": DEFAULT_TIME,
            "mediaType": head.media_type,
            "changeableAttributes": {"deleteEnabled": true, "writeEnabled": true, "readEnabled": true, "listEnabled": true},
        });
        if let Some(tags) = tags_of.get(digest) {
            entry["tags"] = json!(tags);
        }
        entries.push(entry);
    }
    let body = json!({"registry": state.host, "imageName": name, "manifests": entries});
    let mut response = json_response(StatusCode::OK, &body);
    if after.len() > page.len()
        && let Some(last) = page.last()
    {
        let link = format!("</acr/v1/{name}/_manifests?last={last}&n={n}&orderby=>; rel=\"next\"");
        response.headers_mut().insert(
            header::LINK,
            HeaderValue::from_str(&link).expect("Link header"),
        );
    }
    response
}

/// `/v2/`: a token with the action the request needs, then the registry.
async fn v2(
    state: &State,
    method: &Method,
    path: &str,
    route: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let grant = state.grant(headers);
    let name = ["/manifests/", "/blobs/", "/tags/"]
        .iter()
        .filter_map(|m| {
            route
                .strip_prefix("/v2/")?
                .rfind(m)
                .map(|i| &route[4..4 + i])
        })
        .max_by_key(|n| n.len());
    match name {
        None if grant.is_none() => return state.challenge(None, false),
        None => {}
        Some(name) => {
            // What the request needs, and what the challenge asks for.
            let (action, asked) = match method.as_str() {
                "GET" | "HEAD" => ("pull", "pull"),
                "DELETE" => ("delete", "delete"),
                _ => ("push", "pull,push"),
            };
            if !grant.as_ref().is_some_and(|g| g.allows(name, action)) {
                return state.challenge(Some((name, asked)), grant.is_some());
            }
        }
    }
    let mut forwarded = headers.clone();
    forwarded.remove(header::AUTHORIZATION);
    let (status, headers, body) = state
        .upstream
        .forward(method.clone(), path, &forwarded, body)
        .await;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"errors": [{"code": code, "message": message}]}),
    )
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}
