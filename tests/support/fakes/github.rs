//! A strict fake of GitHub's Packages REST API and of ghcr.io, in front of a
//! real distribution registry.
//!
//! REST, as GitHub documents it:
//! - every request needs `User-Agent` (403 without), `Accept:
//!   application/vnd.github+json` and `X-GitHub-Api-Version: 2022-11-28`
//!   (this fake insists on both), and `Authorization: Bearer <token>` with a
//!   token it knows (401 `Requires authentication` / `Bad credentials`);
//!   a classic token's (`ghp_`) scopes come back in `X-OAuth-Scopes`;
//! - `GET /user` (the token's user) and `GET /users/<name>` (`type` is
//!   `User` or `Organization`);
//! - `GET {/orgs/<org>, /user, /users/<user>}/packages/container/<name>/versions`
//!   with `per_page` (default 30, at most 100) and `page`, newest first,
//!   `Link` headers with `next`/`last`/`first`/`prev` as GitHub sends them;
//!   the package name is one path segment, `/` encoded as `%2F`;
//! - `GET {/orgs/<org>, /user, /users/<user>}/packages?package_type=container`
//!   (`package_type` required, else 400) with `per_page` and `page`: the
//!   owner's container packages (`name` is the path after the owner), by
//!   name, with `Link` headers;
//! - `GET` and `DELETE .../versions/<id>`. A version is one manifest digest
//!   (`name`) with the tags on it (`metadata.container.tags`). Deleting a
//!   version deletes the digest in distribution, and so every tag on it. The
//!   last version and the last tagged version of a package are refused with
//!   400 and GitHub's messages.
//!
//! Versions mirror the registry: one per manifest it holds, tagged or not
//! (distribution's own record, [`Revisions`]), until it is deleted; a
//! version's creation time is when the fake first saw its manifest pushed
//! or listed.
//!
//! `/v2/` is forwarded to the registry, except that `DELETE` of a manifest
//! answers 405 `UNSUPPORTED`, as ghcr.io does. The OCI side does not check
//! credentials. `throttle` answers the next REST requests with a given status
//! and headers (GitHub's rate limits).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::super::seen::{Log, Seen, logged};
use super::super::{Registry, Revisions, runtime};
use super::front::{header_value, now_as, now_secs, percent_decode};
use super::serve::serve;
use super::upstream::Upstream;

pub const API_VERSION: &str = "2022-11-28";
/// A token of the user `alice` with every package scope.
pub const TOKEN: &str = "ghp_alicetokenforpackages";
pub const ALL_SCOPES: &[&str] = &["read:packages", "write:packages", "delete:packages"];

/// A throttled answer: status, headers, and GitHub's message.
#[derive(Clone, Debug)]
pub struct Throttle {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Organization,
}

#[derive(Clone)]
struct Known {
    id: u64,
    created: String,
}

#[derive(Default)]
struct Inner {
    /// lower-case login → (login, kind)
    accounts: HashMap<String, (String, Kind)>,
    /// token → (login, scopes)
    tokens: HashMap<String, (String, Vec<String>)>,
    /// repository → digest → version
    known: HashMap<String, BTreeMap<String, Known>>,
    throttle: VecDeque<Throttle>,
}

struct Shared {
    upstream: Upstream,
    revisions: Revisions,
    url: String,
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    log: Log,
}

/// A version as the fake reports it.
#[derive(Clone, Debug)]
pub struct FakeVersion {
    pub id: u64,
    pub digest: String,
    pub tags: Vec<String>,
    pub created: String,
}

/// A running fake; it stops when dropped.
pub struct GithubFake {
    addr: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl GithubFake {
    pub fn start(registry: &Registry) -> GithubFake {
        let ((addr, shared), task) = serve("GitHub fake", |addr| {
            let shared = Arc::new(Shared {
                upstream: Upstream::new(&registry.url()),
                revisions: registry.revisions(),
                url: format!("http://{addr}"),
                inner: Mutex::default(),
                next_id: AtomicU64::new(7_000_000),
                log: Log::default(),
            });
            let app = Router::new().fallback(handle).with_state(shared.clone());
            (app, (addr.to_string(), shared))
        });
        GithubFake { addr, shared, task }
    }

    /// `127.0.0.1:PORT`: the registry address and the API host.
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// `http://127.0.0.1:PORT`, the value of `api-url`.
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    pub fn user(&self, login: &str) {
        self.account(login, Kind::User);
    }

    pub fn org(&self, login: &str) {
        self.account(login, Kind::Organization);
    }

    fn account(&self, login: &str, kind: Kind) {
        self.shared
            .inner
            .lock()
            .unwrap()
            .accounts
            .insert(login.to_ascii_lowercase(), (login.into(), kind));
    }

    /// A token of user `login` with `scopes` (`read:packages`,
    /// `delete:packages`, ...).
    pub fn token(&self, token: &str, login: &str, scopes: &[&str]) {
        self.shared.inner.lock().unwrap().tokens.insert(
            token.into(),
            (login.into(), scopes.iter().map(|s| s.to_string()).collect()),
        );
    }

    /// Sets the creation time of the version of `digest` in `repo`.
    pub fn created(&self, repo: &str, digest: &str, at: &str) {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        self.shared
            .inner
            .lock()
            .unwrap()
            .known
            .entry(repo.into())
            .or_default()
            .entry(digest.into())
            .or_insert(Known {
                id,
                created: String::new(),
            })
            .created = at.into();
    }

    /// The package's versions as the API would list them, newest first.
    pub fn versions(&self, repo: &str) -> Vec<FakeVersion> {
        runtime()
            .block_on(versions(&self.shared, repo))
            .unwrap_or_default()
    }

    /// Answers the next REST requests with these, in order.
    pub fn throttle(&self, answers: impl IntoIterator<Item = Throttle>) {
        self.shared.inner.lock().unwrap().throttle.extend(answers);
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.shared.log.all()
    }

    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }
}

impl Drop for GithubFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    logged(&shared.log, request, |parts, body| async {
        if parts.uri.path().starts_with("/v2/") {
            oci(&shared, parts, body).await
        } else {
            rest(&shared, parts).await
        }
    })
    .await
}

/// ghcr.io: the registry, except that manifests cannot be deleted.
async fn oci(shared: &Shared, parts: Parts, body: Bytes) -> Response {
    let path = parts.uri.path().to_string();
    let manifest = path
        .strip_prefix("/v2/")
        .and_then(|p| p.rsplit_once("/manifests/"));
    if parts.method == Method::DELETE && manifest.is_some() {
        let body = json!({"errors": [{"code": "UNSUPPORTED", "message": "The operation is unsupported."}]});
        return (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
    }
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let (status, headers, body) = shared
        .upstream
        .forward(parts.method.clone(), path_and_query, &parts.headers, body)
        .await;
    // A pushed manifest is a version, tagged or not.
    if parts.method == Method::PUT
        && status == StatusCode::CREATED
        && let Some((repo, _)) = manifest
        && let Some(digest) = headers
            .get("docker-content-digest")
            .and_then(|d| d.to_str().ok())
    {
        remember(shared, repo, digest);
    }
    let mut response = (status, body).into_response();
    *response.headers_mut() = headers;
    response
}

fn remember(shared: &Shared, repo: &str, digest: &str) {
    let mut inner = shared.inner.lock().unwrap();
    let versions = inner.known.entry(repo.into()).or_default();
    if !versions.contains_key(digest) {
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        versions.insert(
            digest.into(),
            Known {
                id,
                created: now_as("%Y-%m-%dT%H:%M:%SZ"),
            },
        );
    }
}

/// GitHub names a classic token's scopes in `X-OAuth-Scopes` on every
/// answer to it; fine-grained (`github_pat_`) and installation (`ghs_`)
/// tokens get no such header.
async fn rest(shared: &Shared, parts: Parts) -> Response {
    let scopes = header_value(&parts.headers, "authorization")
        .and_then(|a| a.strip_prefix("Bearer ").map(String::from))
        .filter(|t| t.starts_with("ghp_"))
        .and_then(|t| shared.inner.lock().unwrap().tokens.get(&t).cloned())
        .map(|(_, scopes)| scopes.join(", "));
    let mut response = answer_rest(shared, parts).await;
    if let Some(scopes) = scopes {
        response.headers_mut().insert(
            "x-oauth-scopes",
            HeaderValue::try_from(scopes).expect("scopes"),
        );
    }
    response
}

async fn answer_rest(shared: &Shared, parts: Parts) -> Response {
    if let Some(throttle) = shared.inner.lock().unwrap().throttle.pop_front() {
        let mut response = message(
            StatusCode::from_u16(throttle.status).expect("status"),
            &throttle.message,
        );
        for (name, value) in throttle.headers {
            response.headers_mut().insert(
                HeaderName::try_from(name).expect("header name"),
                HeaderValue::try_from(value).expect("header value"),
            );
        }
        return response;
    }
    let header = |name: &str| header_value(&parts.headers, name);
    if header("user-agent").is_none_or(|ua| ua.is_empty()) {
        return message(
            StatusCode::FORBIDDEN,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header.",
        );
    }
    if header("accept").as_deref() != Some("application/vnd.github+json") {
        return message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Unsupported 'Accept' header: {:?}", header("accept")),
        );
    }
    if header("x-github-api-version").as_deref() != Some(API_VERSION) {
        return message(
            StatusCode::BAD_REQUEST,
            &format!(
                "API version {} is not supported.",
                header("x-github-api-version").unwrap_or_default()
            ),
        );
    }
    let Some(authorization) = header("authorization") else {
        return message(StatusCode::UNAUTHORIZED, "Requires authentication");
    };
    let me = authorization
        .strip_prefix("Bearer ")
        .and_then(|t| shared.inner.lock().unwrap().tokens.get(t).cloned());
    let Some((login, scopes)) = me else {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    };
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let account = |name: &str| {
        shared
            .inner
            .lock()
            .unwrap()
            .accounts
            .get(&name.to_ascii_lowercase())
            .cloned()
    };
    let method = parts.method.clone();
    let listed_owner = match (method.clone(), segments.as_slice()) {
        (Method::GET, ["orgs", org, "packages"]) => match account(org) {
            Some((org, Kind::Organization)) => Some(org),
            _ => return not_found(),
        },
        (Method::GET, ["user", "packages"]) => Some(login.clone()),
        (Method::GET, ["users", user, "packages"]) => match account(user) {
            Some((user, Kind::User)) => Some(user),
            _ => return not_found(),
        },
        _ => None,
    };
    if let Some(owner) = listed_owner {
        if !scopes.iter().any(|s| s == "read:packages") {
            return message(
                StatusCode::FORBIDDEN,
                "You need at least read:packages scope to list packages.",
            );
        }
        return packages(shared, &owner, path, query).await;
    }
    let (prefix_len, owner, rest) = match (method.clone(), segments.as_slice()) {
        (Method::GET, ["user"]) => {
            return with_limits(
                axum::Json(json!({"login": login, "id": 1, "type": "User"})).into_response(),
            );
        }
        (Method::GET, ["users", name]) => {
            return match account(name) {
                Some((login, kind)) => {
                    let kind = match kind {
                        Kind::User => "User",
                        Kind::Organization => "Organization",
                    };
                    with_limits(
                        axum::Json(json!({"login": login, "id": 2, "type": kind})).into_response(),
                    )
                }
                None => not_found(),
            };
        }
        (_, ["orgs", org, "packages", "container", rest @ ..]) => match account(org) {
            Some((org, Kind::Organization)) => (4, org, rest),
            _ => return not_found(),
        },
        (_, ["user", "packages", "container", rest @ ..]) => (3, login.clone(), rest),
        (_, ["users", user, "packages", "container", rest @ ..]) => match account(user) {
            Some((user, Kind::User)) => (4, user, rest),
            _ => return not_found(),
        },
        _ => return not_found(),
    };
    let prefix = format!("/{}", segments[..prefix_len].join("/"));
    let (package, route) = match rest {
        [package, "versions"] => (*package, None),
        [package, "versions", id] => match id.parse::<u64>() {
            Ok(id) => (*package, Some(id)),
            Err(_) => return not_found(),
        },
        _ => return not_found(),
    };
    let Some(name) = percent_decode(package) else {
        return not_found();
    };
    let repo = format!("{owner}/{name}");
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    if !has("read:packages") {
        return message(
            StatusCode::FORBIDDEN,
            "You need at least read:packages scope to list packages.",
        );
    }
    let Some(versions) = versions(shared, &repo).await else {
        return message(StatusCode::NOT_FOUND, "Package not found.");
    };
    let base = format!("{}{prefix}/{package}/versions", shared.url);
    match (method, route) {
        (Method::GET, None) => list(&versions, &base, &owner, &name, query),
        (Method::GET, Some(id)) => match versions.iter().find(|v| v.id == id) {
            Some(v) => with_limits(axum::Json(view(v, &base, &owner, &name)).into_response()),
            None => message(StatusCode::NOT_FOUND, "Package version not found."),
        },
        (Method::DELETE, Some(id)) => {
            if !has("delete:packages") {
                return message(
                    StatusCode::FORBIDDEN,
                    "You need delete:packages scope to delete package versions.",
                );
            }
            let Some(version) = versions.iter().find(|v| v.id == id) else {
                return message(StatusCode::NOT_FOUND, "Package version not found.");
            };
            if versions.len() == 1 {
                return message(
                    StatusCode::BAD_REQUEST,
                    "You cannot delete the last version of a package. You must delete the package instead.",
                );
            }
            let tagged = versions.iter().filter(|v| !v.tags.is_empty()).count();
            if !version.tags.is_empty() && tagged == 1 {
                return message(
                    StatusCode::BAD_REQUEST,
                    "You cannot delete the last tagged version of a package. You must delete the package instead.",
                );
            }
            let status = shared.upstream.delete(&repo, &version.digest).await;
            assert_eq!(
                status,
                StatusCode::ACCEPTED,
                "delete {} in the registry",
                version.digest
            );
            if let Some(known) = shared.inner.lock().unwrap().known.get_mut(&repo) {
                known.remove(&version.digest);
            }
            with_limits(StatusCode::NO_CONTENT.into_response())
        }
        _ => not_found(),
    }
}

/// An owner's container packages: the registry's repositories under
/// `<owner>/`, a page at a time.
async fn packages(shared: &Shared, owner: &str, path: &str, query: &str) -> Response {
    let param = |key: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    if param("package_type").as_deref() != Some("container") {
        return message(
            StatusCode::BAD_REQUEST,
            "Invalid request.\n\n\"package_type\" wasn't supplied.",
        );
    }
    let number = |key: &str| param(key).and_then(|v| v.parse::<usize>().ok());
    let per_page = number("per_page").unwrap_or(30).clamp(1, 100);
    let page = number("page").unwrap_or(1).max(1);
    let names: Vec<String> = shared
        .upstream
        .catalog()
        .await
        .into_iter()
        .filter_map(|r| r.strip_prefix(&format!("{owner}/")).map(String::from))
        .collect();
    let body: Vec<Value> = names
        .iter()
        .enumerate()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(i, name)| {
            json!({"id": i + 1, "name": name, "package_type": "container",
                "owner": {"login": owner}, "visibility": "private",
                "url": format!("{}/packages/container/{}", shared.url, name.replace('/', "%2F"))})
        })
        .collect();
    let mut response = with_limits(axum::Json(body).into_response());
    if page * per_page < names.len() {
        let next = format!(
            "<{}{path}?package_type=container&per_page={per_page}&page={}>; rel=\"next\"",
            shared.url,
            page + 1
        );
        response
            .headers_mut()
            .insert("link", HeaderValue::try_from(next).expect("link"));
    }
    response
}

fn list(versions: &[FakeVersion], base: &str, owner: &str, name: &str, query: &str) -> Response {
    let param = |key: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let per_page = param("per_page").unwrap_or(30).clamp(1, 100);
    let page = param("page").unwrap_or(1).max(1);
    let pages = versions.len().div_ceil(per_page).max(1);
    let start = ((page - 1) * per_page).min(versions.len());
    let end = (start + per_page).min(versions.len());
    let body: Vec<Value> = versions[start..end]
        .iter()
        .map(|v| view(v, base, owner, name))
        .collect();
    let link =
        |p: usize, rel: &str| format!("<{base}?per_page={per_page}&page={p}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if page < pages {
        links.push(link(page + 1, "next"));
        links.push(link(pages, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    let mut response = with_limits(axum::Json(body).into_response());
    if !links.is_empty() {
        response.headers_mut().insert(
            "link",
            HeaderValue::try_from(links.join(", ")).expect("link"),
        );
    }
    response
}

fn view(v: &FakeVersion, base: &str, owner: &str, name: &str) -> Value {
    json!({
        "id": v.id,
        "name": v.digest,
        "url": format!("{base}/{}", v.id),
        "package_html_url": format!("https://github.com/{owner}/packages/container/package/{name}"),
        "created_at": v.created,
        "updated_at": v.created,
        "html_url": format!("https://github.com/{owner}/packages/container/{name}/{}", v.id),
        "metadata": {"package_type": "container", "container": {"tags": v.tags}},
    })
}

/// The package's versions: one per manifest the registry holds, with the
/// tags that point at it. `None` when the package has none.
async fn versions(shared: &Shared, repo: &str) -> Option<Vec<FakeVersion>> {
    let digests = shared.revisions.list(repo);
    if digests.is_empty() {
        return None;
    }
    let mut tagged: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for tag in shared.upstream.tags(repo).await.unwrap_or_default() {
        if let Some(head) = shared.upstream.head(repo, &tag).await {
            tagged.entry(head.digest).or_default().push(tag);
        }
    }
    for digest in &digests {
        remember(shared, repo, digest);
    }
    // What is known is only added to here: concurrent listings see the
    // registry at different moments, and a version keeps its id.
    let inner = shared.inner.lock().unwrap();
    let known = &inner.known[repo];
    let mut versions: Vec<FakeVersion> = digests
        .iter()
        .map(|digest| FakeVersion {
            id: known[digest].id,
            digest: digest.clone(),
            tags: tagged.remove(digest).unwrap_or_default(),
            created: known[digest].created.clone(),
        })
        .collect();
    versions.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    Some(versions)
}

/// GitHub's primary rate limit headers, on every answer.
fn with_limits(mut response: Response) -> Response {
    let headers: &mut HeaderMap = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(5000));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(4999));
    headers.insert("x-ratelimit-reset", HeaderValue::from(now_secs() + 3600));
    response
}

/// GitHub's error shape.
fn message(status: StatusCode, text: &str) -> Response {
    let body = json!({
        "message": text,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_u16().to_string(),
    });
    (status, axum::Json(body)).into_response()
}

fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not Found")
}
