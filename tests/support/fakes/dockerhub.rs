//! A strict fake of the Docker Hub API in front of a real distribution
//! registry, whose tags it reports and removes.
//!
//! Routes, as the Hub API reference documents them:
//! - `POST /v2/auth/token` with JSON `{"identifier","secret"}` answers
//!   `{"access_token"}`; wrong credentials 401.
//! - `GET /v2/namespaces/<ns>/repositories?page=N&page_size=M` (`page_size`
//!   at most 100) answers `{count,next,previous,results}`, each result with
//!   `name`, `namespace`, `repository_type`, `is_private` and the like, by
//!   name; anonymously only the public repositories.
//! - `GET /v2/namespaces/<ns>/repositories/<repo>/tags?page=N&page_size=M`
//!   (`page_size` at most 100) answers `{count,next,previous,results}` where
//!   `next` is an absolute URL, each result has `name`, `digest`,
//!   `last_updated`, `tag_last_pushed` and `images`; newest first.
//! - `DELETE /v2/repositories/<ns>/<repo>/tags/<tag>/` (trailing slash)
//!   answers 204. Like the Hub it untags only: the image stays, and so does
//!   every other tag on it. distribution 2.8 cannot delete a tag, so the fake
//!   moves the tag to a manifest of its own and deletes that; the original
//!   manifest and its other tags are untouched, which is what the Hub shows.
//!
//! Issued tokens are JWT-shaped, with an access token's permission in the
//! `scope` claim as the Hub's carry it.
//!
//! Every route but the token one wants `Authorization: Bearer <token>` with a
//! token the fake issued (listing a repository made public works without).
//! Access tokens may be refused deletes with 403, as the Hub answers tokens
//! without the delete permission. `throttle` answers the next requests with
//! 429 and `X-Retry-After` (a Unix time), as the Hub rate-limits.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::super::Registry;
use super::super::seen::{Log, Seen, logged};
use super::front::{now_as, now_secs};
use super::serve::serve;
use super::upstream::Upstream;

/// An account that logs in with its password.
pub const USER: &str = "acme";
pub const PASSWORD: &str = "hunter2-hub";

#[derive(Clone)]
struct Account {
    secret: String,
    may_delete: bool,
    access_token: bool,
}

#[derive(Default)]
struct Inner {
    /// identifier → account
    accounts: HashMap<String, Account>,
    /// issued bearer token → identifier
    issued: HashMap<String, String>,
    public: HashSet<String>,
    /// (repo, tag) → `tag_last_pushed`
    pushed: HashMap<(String, String), String>,
    /// Requests still to answer 429, and the wait they announce.
    throttle: Option<(usize, u64)>,
}

struct Shared {
    upstream: Upstream,
    url: String,
    inner: Mutex<Inner>,
    counter: AtomicU64,
    log: Log,
}

/// A running fake; it stops when dropped.
pub struct DockerHubFake {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl DockerHubFake {
    /// A Hub API over `registry`'s repositories (`<ns>/<repo>` there).
    pub fn start(registry: &Registry) -> DockerHubFake {
        let (shared, task) = serve("Docker Hub fake", |addr| {
            let shared = Arc::new(Shared {
                upstream: Upstream::new(&registry.url()),
                url: format!("http://{addr}"),
                inner: Mutex::default(),
                counter: AtomicU64::new(0),
                log: Log::default(),
            });
            (
                Router::new().fallback(handle).with_state(shared.clone()),
                shared,
            )
        });
        DockerHubFake { shared, task }
    }

    /// `http://127.0.0.1:PORT`, the value of `hub-api-url`.
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    /// An account that logs in with a password and may delete tags.
    pub fn user(&self, username: &str, password: &str) {
        self.account(username, password, true, false);
    }

    /// A personal or organisation access token for `identifier`;
    /// `may_delete` as its permission or scope allows.
    pub fn access_token(&self, identifier: &str, token: &str, may_delete: bool) {
        self.account(identifier, token, may_delete, true);
    }

    fn account(&self, identifier: &str, secret: &str, may_delete: bool, access_token: bool) {
        self.shared.inner.lock().unwrap().accounts.insert(
            identifier.into(),
            Account {
                secret: secret.into(),
                may_delete,
                access_token,
            },
        );
    }

    /// Lets anyone list `repo`'s tags.
    pub fn public(&self, repo: &str) {
        self.shared.inner.lock().unwrap().public.insert(repo.into());
    }

    /// The push time the Hub reports for a tag (RFC 3339).
    pub fn pushed(&self, repo: &str, tag: &str, at: &str) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .pushed
            .insert((repo.into(), tag.into()), at.into());
    }

    /// Answers the next `times` API requests with 429 and an `X-Retry-After`
    /// `wait` seconds ahead.
    pub fn throttle(&self, times: usize, wait: u64) {
        self.shared.inner.lock().unwrap().throttle = Some((times, wait));
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.shared.log.all()
    }

    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// The bearer tokens the fake issued.
    pub fn issued(&self) -> Vec<String> {
        self.shared
            .inner
            .lock()
            .unwrap()
            .issued
            .keys()
            .cloned()
            .collect()
    }
}

impl Drop for DockerHubFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    logged(&shared.log, request, |parts, body| {
        answer(&shared, parts, body)
    })
    .await
}

async fn answer(shared: &Shared, parts: Parts, body: Bytes) -> Response {
    if let Some(wait) = throttled(shared) {
        let until = now_secs() + wait;
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        let headers = response.headers_mut();
        headers.insert("x-retry-after", HeaderValue::from(until));
        headers.insert("x-ratelimit-limit", HeaderValue::from(180));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
        headers.insert("x-ratelimit-reset", HeaderValue::from(until));
        return response;
    }
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let bearer = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(String::from);
    match (parts.method.clone(), segments.as_slice()) {
        (Method::POST, ["v2", "auth", "token"]) => {
            let json_body = parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            token(shared, json_body, &body)
        }
        (Method::GET, ["v2", "namespaces", ns, "repositories"]) => {
            let identity = identity(shared, bearer.as_deref());
            if identity.is_none() && bearer.is_some() {
                return error(StatusCode::UNAUTHORIZED, "Invalid token");
            }
            repositories(shared, ns, &query, identity.is_some()).await
        }
        (Method::GET, ["v2", "namespaces", ns, "repositories", repo, "tags"]) => {
            let repo = format!("{ns}/{repo}");
            let identity = identity(shared, bearer.as_deref());
            let public = shared.inner.lock().unwrap().public.contains(&repo);
            match (identity, bearer.is_some(), public) {
                (Some(_), _, _) | (None, false, true) => list(shared, &repo, &query).await,
                (None, true, _) => error(StatusCode::UNAUTHORIZED, "Invalid token"),
                (None, false, false) => error(
                    StatusCode::UNAUTHORIZED,
                    "Authentication credentials were not provided.",
                ),
            }
        }
        (Method::DELETE, ["v2", "repositories", ns, repo, "tags", tag, ""]) => {
            let Some(identifier) = identity(shared, bearer.as_deref()) else {
                return error(StatusCode::UNAUTHORIZED, "Invalid token");
            };
            let account = shared.inner.lock().unwrap().accounts[&identifier].clone();
            if !account.may_delete {
                return error(
                    StatusCode::FORBIDDEN,
                    "access to the resource is forbidden with personal access token",
                );
            }
            let repo = format!("{ns}/{repo}");
            if shared.upstream.head(&repo, tag).await.is_none() {
                return error(StatusCode::NOT_FOUND, "httperror 404: tag not found");
            }
            shared.upstream.untag(&repo, tag).await;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "Not found."),
    }
}

fn throttled(shared: &Shared) -> Option<u64> {
    let mut inner = shared.inner.lock().unwrap();
    let (left, wait) = inner.throttle?;
    inner.throttle = (left > 1).then_some((left - 1, wait));
    Some(wait)
}

fn token(shared: &Shared, json_body: bool, body: &Bytes) -> Response {
    if !json_body {
        return error(StatusCode::BAD_REQUEST, "expected a JSON body");
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "malformed JSON");
    };
    let (Some(identifier), Some(secret)) =
        (request["identifier"].as_str(), request["secret"].as_str())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "identifier and secret are required",
        );
    };
    let mut inner = shared.inner.lock().unwrap();
    let valid = inner
        .accounts
        .get(identifier)
        .is_some_and(|a| a.secret == secret);
    if !valid {
        return error(
            StatusCode::UNAUTHORIZED,
            "Incorrect authentication credentials",
        );
    }
    let n = shared.counter.fetch_add(1, Ordering::Relaxed);
    let issued = jwt(identifier, n, &inner.accounts[identifier]);
    inner.issued.insert(issued.clone(), identifier.to_string());
    axum::Json(json!({"access_token": issued})).into_response()
}

/// A token shaped as the Hub's: a JWT whose `scope` claim holds an access
/// token's permission (`repo:admin` for Read, Write, Delete; `repo:write`
/// for Read & Write); a password login's has none. Its signature is not
/// one: only the fake reads these tokens back.
fn jwt(identifier: &str, n: u64, account: &Account) -> String {
    use base64::Engine;
    let part =
        |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let mut claims = json!({
        "aud": "https://hub.docker.com",
        "iss": "https://api.docker.com/",
        "iat": now_secs(),
        "exp": now_secs() + 600,
        "jti": format!("hub-{n}"),
        "https://hub.docker.com": {"username": identifier},
    });
    if account.access_token {
        claims["scope"] = json!(if account.may_delete {
            "repo:admin"
        } else {
            "repo:write"
        });
        claims["https://hub.docker.com"]["source"] = json!(format!("docker_pat|{n}"));
    }
    format!(
        "{}.{}.c2lnbmF0dXJl",
        part(json!({"alg": "RS256", "typ": "JWT"})),
        part(claims)
    )
}

fn identity(shared: &Shared, bearer: Option<&str>) -> Option<String> {
    shared.inner.lock().unwrap().issued.get(bearer?).cloned()
}

async fn list(shared: &Shared, repo: &str, query: &str) -> Response {
    let param = |key: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let page: usize = match param("page").map(|p| p.parse()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        _ => return error(StatusCode::BAD_REQUEST, "invalid page"),
    };
    let page_size: usize = match param("page_size").map(|p| p.parse()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => return error(StatusCode::BAD_REQUEST, "page_size must be 1 to 100"),
    };
    let Some(names) = shared.upstream.tags(repo).await else {
        return error(StatusCode::NOT_FOUND, "httperror 404: object not found");
    };
    let mut tags = Vec::new();
    for name in names {
        let Some(head) = shared.upstream.head(repo, &name).await else {
            continue;
        };
        let pushed = shared
            .inner
            .lock()
            .unwrap()
            .pushed
            .entry((repo.to_string(), name.clone()))
            .or_insert_with(|| now_as("%Y-%m-%dT%H:%M:%S%.6fZ"))
            .clone();
        tags.push((name, head, pushed));
    }
    // The Hub lists the most recently pushed first.
    tags.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let start = (page - 1) * page_size;
    if start >= tags.len() && page > 1 {
        return error(StatusCode::NOT_FOUND, "Invalid page.");
    }
    let end = (start + page_size).min(tags.len());
    let link = |p: usize| {
        let (ns, name) = repo.split_once('/').expect("ns/repo");
        format!(
            "{}/v2/namespaces/{ns}/repositories/{name}/tags?page={p}&page_size={page_size}",
            shared.url
        )
    };
    let results: Vec<Value> = tags[start..end]
        .iter()
        .enumerate()
        .map(|(i, (name, head, pushed))| {
            json!({
                "creator": 1,
                "id": start + i + 1,
                "images": [{
                    "architecture": "amd64",
                    "features": "",
                    "variant": null,
                    "digest": head.digest,
                    "os": "linux",
                    "os_features": "",
                    "os_version": null,
                    "size": head.size,
                    "status": "active",
                    "last_pulled": null,
                    "last_pushed": pushed,
                }],
                "last_updated": pushed,
                "last_updater": 1,
                "last_updater_username": "fake",
                "name": name,
                "repository": 1,
                "full_size": head.size,
                "v2": true,
                "tag_status": "active",
                "tag_last_pulled": null,
                "tag_last_pushed": pushed,
                "media_type": head.media_type,
                "content_type": "image",
                "digest": head.digest,
            })
        })
        .collect();
    axum::Json(json!({
        "count": tags.len(),
        "next": (end < tags.len()).then(|| link(page + 1)),
        "previous": (page > 1).then(|| link(page - 1)),
        "results": results,
    }))
    .into_response()
}

/// A namespace's repositories, by name: all of them for a caller the fake
/// issued a token to, the public ones for anyone else.
async fn repositories(shared: &Shared, namespace: &str, query: &str, signed_in: bool) -> Response {
    let param = |key: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let page: usize = match param("page").map(|p| p.parse()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        _ => return error(StatusCode::BAD_REQUEST, "invalid page"),
    };
    let page_size: usize = match param("page_size").map(|p| p.parse()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => return error(StatusCode::BAD_REQUEST, "page_size must be 1 to 100"),
    };
    let public = shared.inner.lock().unwrap().public.clone();
    let names: Vec<String> = shared
        .upstream
        .catalog()
        .await
        .into_iter()
        .filter(|r| signed_in || public.contains(r))
        .filter_map(|r| {
            let name = r.strip_prefix(&format!("{namespace}/"))?;
            (!name.contains('/')).then(|| name.to_string())
        })
        .collect();
    let start = (page - 1) * page_size;
    if start >= names.len() && page > 1 {
        return error(StatusCode::NOT_FOUND, "Invalid page.");
    }
    let end = (start + page_size).min(names.len());
    let link = |p: usize| {
        format!(
            "{}/v2/namespaces/{namespace}/repositories?page={p}&page_size={page_size}",
            shared.url
        )
    };
    let results: Vec<Value> = names[start..end]
        .iter()
        .map(|name| {
            json!({
                "name": name,
                "namespace": namespace,
                "repository_type": "image",
                "status": 1,
                "status_description": "active",
                "description": "",
                "is_private": !public.contains(&format!("{namespace}/{name}")),
                "star_count": 0,
                "pull_count": 0,
                "last_updated": "2026-01-10T13:38:57.391836Z",
                "date_registered": "2025-01-10T13:38:57.391836Z",
                "affiliation": "owner",
                "media_types": ["application/vnd.oci.image.index.v1+json"],
                "content_types": ["image"],
                "categories": [],
                "storage_size": 0,
            })
        })
        .collect();
    axum::Json(json!({
        "count": names.len(),
        "next": (end < names.len()).then(|| link(page + 1)),
        "previous": (page > 1).then(|| link(page - 1)),
        "results": results,
    }))
    .into_response()
}

/// The Hub's error shape.
fn error(status: StatusCode, detail: &str) -> Response {
    let body = json!({"detail": detail, "message": detail, "errinfo": {}});
    (status, axum::Json(body)).into_response()
}
