//! A strict fake of GitLab's container registry and the parts of its API v4
//! berth uses, in front of a real distribution registry.
//!
//! As GitLab documents them:
//! - The registry's `/v2/` answers a Bearer challenge whose realm is GitLab's
//!   `/jwt/auth`, for the service `container_registry`; the token endpoint
//!   takes a user with a personal access token, or `gitlab-ci-token` with a
//!   job token, as Basic credentials.
//! - Tag deletion on the registry depends on its generation: since 16.4 the
//!   OCI `DELETE /v2/<name>/manifests/<tag>` removes that tag alone (202);
//!   from 12.8 until 17.0, `DELETE /v2/<name>/tags/reference/<tag>` does
//!   (202); older registries have neither (the manifest delete wants a
//!   digest, 400 `DIGEST_INVALID`; the extension route is unknown, 404).
//! - API v4: `GET /api/v4/projects/:id/registry/repositories` (`:id` the
//!   numeric id or the URL-encoded path, `group%2Fproject`; an unencoded path
//!   does not route) lists `{id, name, path, project_id, location,
//!   created_at}`, paged by `page`/`per_page` (at most 100) with `X-Page`,
//!   `X-Next-Page`, `X-Total` and the like;
//!   `DELETE /api/v4/projects/:id/registry/repositories/:repository_id/tags/:tag_name`
//!   removes that tag only and answers 200. Tokens come as `PRIVATE-TOKEN`
//!   or `JOB-TOKEN`; errors are `{"message": "404 Project Not Found"}`,
//!   `{"message": "401 Unauthorized"}`, `{"message": "403 Forbidden"}`;
//!   a token without the scope a route needs (`api` to write, `read_api` or
//!   `api` to read) is answered 403 `insufficient_scope`.
//!   `GET /api/v4/groups/:id/registry/repositories` lists the repositories
//!   of every project in the group the same way, paged alike.
//!   `GET /api/v4/personal_access_tokens/self` describes the access token in
//!   use, its `scopes` among it.
//!
//! A job token's registry token may not delete (the registry answers 401),
//! unless the project allows it (`let_job_token_delete`), as the API does.
//!
//! distribution 2.8 cannot delete a tag, so where GitLab would, the fake
//! moves the tag onto a manifest of its own and deletes that: the manifest
//! and its other tags stay.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::Registry;
use super::super::seen::Seen;
use super::front::{self, Front, Incoming, Shared, TokenService};

/// A user and the personal access token it logs in with (scope `api`).
pub const USER: &str = "root";
pub const PRIVATE_TOKEN: &str = "glpat-berth-test-0123456789";
/// The CI job's user and token.
pub const JOB_USER: &str = "gitlab-ci-token";
pub const JOB_TOKEN: &str = "glcbt-berth-job-0123456789";

/// Which tag delete the registry has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// 16.4 and later: the OCI tag delete.
    Current,
    /// 12.8 to 16.x: only `DELETE /v2/<name>/tags/reference/<tag>`.
    TagsReference,
    /// Before 12.8: neither; tags go through the API v4.
    Legacy,
}

struct State {
    generation: Mutex<Generation>,
    /// Project path → project id.
    projects: Mutex<HashMap<String, u64>>,
    /// Registry repository path → repository id.
    repository_ids: Mutex<HashMap<String, u64>>,
    job_may_delete: AtomicBool,
    /// Access token → its scopes (`api`, `read_api`, `read_registry`, ...).
    scopes: Mutex<HashMap<String, Vec<String>>>,
}

pub struct GitLabFake {
    front: Front,
    state: Arc<State>,
}

impl GitLabFake {
    pub fn start(registry: &Registry, generation: Generation) -> GitLabFake {
        let state = Arc::new(State {
            generation: Mutex::new(generation),
            projects: Mutex::default(),
            repository_ids: Mutex::default(),
            job_may_delete: AtomicBool::new(false),
            scopes: Mutex::new(HashMap::from([(
                PRIVATE_TOKEN.to_string(),
                vec![
                    "api".to_string(),
                    "read_registry".into(),
                    "write_registry".into(),
                ],
            )])),
        });
        let tokens = TokenService {
            realm_path: "/jwt/auth".into(),
            service: "container_registry".into(),
            users: vec![
                (USER.into(), PRIVATE_TOKEN.into()),
                (JOB_USER.into(), JOB_TOKEN.into()),
            ],
        };
        let front = Front::with_state(registry, Some(tokens), &state, handle);
        GitLabFake { front, state }
    }

    pub fn addr(&self) -> String {
        self.front.addr()
    }

    /// `http://127.0.0.1:PORT/api/v4`
    pub fn api_url(&self) -> String {
        format!("{}/api/v4", self.front.url())
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.front.requests()
    }

    pub fn clear_requests(&self) {
        self.front.clear_requests();
    }

    /// Which tag delete the registry has from now on.
    pub fn set_generation(&self, generation: Generation) {
        *self.state.generation.lock().unwrap() = generation;
    }

    /// A project whose registry repositories are `path` and those under it.
    pub fn add_project(&self, path: &str, id: u64) {
        self.state.projects.lock().unwrap().insert(path.into(), id);
    }

    /// Another access token for the API, with `scopes`.
    pub fn access_token(&self, token: &str, scopes: &[&str]) {
        self.state
            .scopes
            .lock()
            .unwrap()
            .insert(token.into(), scopes.iter().map(|s| s.to_string()).collect());
    }

    /// Whether a job token may delete tags through the API (GitLab's
    /// default refuses).
    pub fn let_job_token_delete(&self, allowed: bool) {
        self.state.job_may_delete.store(allowed, Ordering::Relaxed);
    }

    /// Answers the next `times` matching requests with 429 and
    /// `Retry-After`, as GitLab's rate limiter does.
    pub fn throttle(&self, method: Method, prefix: &str, times: usize, retry_after: u64) {
        self.front.fail(
            method,
            prefix,
            times,
            429,
            &[
                ("retry-after", &retry_after.to_string()),
                ("ratelimit-limit", "600"),
                ("ratelimit-remaining", "0"),
            ],
            "Retry later\n",
        );
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    front::json_response(status, &json!({"message": text}))
}

fn is_digest(reference: &str) -> bool {
    reference.starts_with("sha256:") || reference.starts_with("sha512:")
}

/// distribution's answer to an unknown route.
fn no_route() -> Response {
    (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
}

fn registry_error(status: StatusCode, code: &str, text: &str) -> Response {
    front::json_response(
        status,
        &json!({"errors": [{"code": code, "message": text, "detail": null}]}),
    )
}

async fn handle(
    state: Arc<State>,
    shared: Arc<Shared>,
    req: Incoming,
) -> Result<Response, Incoming> {
    if let Some(rest) = req.path.strip_prefix("/api/v4/") {
        return Ok(api(&state, &shared, &req, rest).await);
    }
    if req.method != Method::DELETE {
        return Err(req);
    }
    let generation = *state.generation.lock().unwrap();
    let Some(rest) = req.path.strip_prefix("/v2/") else {
        return Err(req);
    };
    if let Some((name, tag)) = rest.rsplit_once("/tags/reference/") {
        if generation != Generation::TagsReference {
            return Ok(no_route());
        }
        return Ok(untag(&shared, name, tag).await);
    }
    if let Some((name, reference)) = rest.rsplit_once("/manifests/")
        && !is_digest(reference)
        && generation == Generation::Current
    {
        // The job token's registry token has no `delete`, unless the
        // project lets it.
        if req.user.as_deref() == Some(JOB_USER) && !state.job_may_delete.load(Ordering::Relaxed) {
            return Ok(registry_error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "authentication required",
            ));
        }
        return Ok(untag(&shared, name, reference).await);
    }
    Err(req)
}

/// Removes one tag as the registry does: 202, or 404 for an unknown tag.
async fn untag(shared: &Shared, name: &str, tag: &str) -> Response {
    if shared.upstream.head(name, tag).await.is_none() {
        return registry_error(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            "manifest unknown",
        );
    }
    shared.upstream.untag(name, tag).await;
    front::empty(StatusCode::ACCEPTED)
}

enum Caller {
    /// An access token, with its scopes.
    User(Vec<String>),
    Job,
}

impl Caller {
    fn has(&self, scopes: &[&str]) -> bool {
        match self {
            Caller::User(granted) => granted.iter().any(|g| scopes.contains(&g.as_str())),
            Caller::Job => true,
        }
    }
}

fn caller(state: &State, req: &Incoming) -> Option<Caller> {
    if let Some(token) = req.header("private-token") {
        let scopes = state.scopes.lock().unwrap().get(token).cloned()?;
        Some(Caller::User(scopes))
    } else if req.header("job-token") == Some(JOB_TOKEN) {
        Some(Caller::Job)
    } else {
        None
    }
}

/// GitLab's answer to a token without the scope a route needs.
fn insufficient_scope() -> Response {
    front::json_response(
        StatusCode::FORBIDDEN,
        &json!({"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token.", "scope": "api"}),
    )
}

async fn api(state: &State, shared: &Shared, req: &Incoming, rest: &str) -> Response {
    let Some(who) = caller(state, req) else {
        return message(StatusCode::UNAUTHORIZED, "401 Unauthorized");
    };
    if req.method == Method::GET && rest == "personal_access_tokens/self" {
        let Caller::User(scopes) = &who else {
            return message(StatusCode::UNAUTHORIZED, "401 Unauthorized");
        };
        return front::json_response(
            StatusCode::OK,
            &json!({
                "id": 4, "name": "berth", "revoked": false, "created_at": "2024-01-10T13:38:57.391Z",
                "scopes": scopes, "user_id": 1, "last_used_at": null, "active": true,
                "expires_at": null,
            }),
        );
    }
    let needed: &[&str] = if req.method == Method::GET {
        &["api", "read_api"]
    } else {
        &["api"]
    };
    if !who.has(needed) {
        return insufficient_scope();
    }
    // groups/:id/registry/repositories
    let segments: Vec<&str> = rest.split('/').collect();
    if req.method == Method::GET
        && let ["groups", group, "registry", "repositories"] = segments[..]
    {
        return group_repositories(state, shared, req, group).await;
    }
    // projects/:id/registry/repositories[/:repository_id/tags/:tag_name]
    if segments.len() < 4
        || segments[0] != "projects"
        || segments[2] != "registry"
        || segments[3] != "repositories"
    {
        return message(StatusCode::NOT_FOUND, "404 Not Found");
    }
    let Some(project) = front::percent_decode(segments[1]) else {
        return message(StatusCode::NOT_FOUND, "404 Not Found");
    };
    let project_id = {
        let projects = state.projects.lock().unwrap();
        projects.get(&project).copied().or_else(|| {
            projects
                .values()
                .copied()
                .find(|id| id.to_string() == project)
        })
    };
    let Some(project_id) = project_id else {
        return message(StatusCode::NOT_FOUND, "404 Project Not Found");
    };
    let project_path = state
        .projects
        .lock()
        .unwrap()
        .iter()
        .find(|(_, id)| **id == project_id)
        .map(|(p, _)| p.clone())
        .expect("known project");
    let repositories = repositories(state, shared, &project_path).await;
    match (&req.method, &segments[4..]) {
        (&Method::GET, []) => {
            let entries: Vec<Value> = repositories
                .iter()
                .map(|(path, id)| entry(shared, path, *id, &project_path, project_id))
                .collect();
            list(req, &entries)
        }
        (&Method::DELETE, [repository_id, "tags", tag]) => {
            if matches!(who, Caller::Job) && !state.job_may_delete.load(Ordering::Relaxed) {
                return message(StatusCode::FORBIDDEN, "403 Forbidden");
            }
            let Some((path, _)) = repositories
                .iter()
                .find(|(_, id)| id.to_string() == *repository_id)
            else {
                return message(StatusCode::NOT_FOUND, "404 Repository Not Found");
            };
            let Some(tag) = front::percent_decode(tag) else {
                return message(StatusCode::BAD_REQUEST, "400 Bad request");
            };
            if shared.upstream.head(path, &tag).await.is_none() {
                return message(StatusCode::NOT_FOUND, "404 Tag Not Found");
            }
            shared.upstream.untag(path, &tag).await;
            front::empty(StatusCode::OK)
        }
        _ => message(StatusCode::NOT_FOUND, "404 Not Found"),
    }
}

/// The project's registry repositories (its own path and those under it),
/// sorted by path, with stable ids.
async fn repositories(state: &State, shared: &Shared, project: &str) -> Vec<(String, u64)> {
    let catalog = shared
        .registry_json("/v2/_catalog?n=1000", "application/json")
        .await
        .unwrap_or(Value::Null);
    let mut paths: Vec<String> = catalog["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .filter(|r| *r == project || r.starts_with(&format!("{project}/")))
        .map(String::from)
        .collect();
    paths.sort();
    let mut ids = state.repository_ids.lock().unwrap();
    let mut next = ids.values().copied().max().unwrap_or(100) + 1;
    paths
        .into_iter()
        .map(|path| {
            let id = *ids.entry(path.clone()).or_insert_with(|| {
                next += 1;
                next - 1
            });
            (path, id)
        })
        .collect()
}

/// `GET /groups/:id/registry/repositories`: the repositories of every
/// project in the group (`:id` its URL-encoded path), each with its project.
async fn group_repositories(
    state: &State,
    shared: &Shared,
    req: &Incoming,
    group: &str,
) -> Response {
    let Some(group) = front::percent_decode(group) else {
        return message(StatusCode::NOT_FOUND, "404 Not Found");
    };
    let mut projects: Vec<(String, u64)> = state
        .projects
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{group}/")))
        .map(|(p, id)| (p.clone(), *id))
        .collect();
    if projects.is_empty() {
        return message(StatusCode::NOT_FOUND, "404 Group Not Found");
    }
    // A repository belongs to the project with the longest path above it.
    projects.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let entries: Vec<Value> = repositories(state, shared, &group)
        .await
        .iter()
        .filter_map(|(path, id)| {
            let (project, project_id) = projects
                .iter()
                .find(|(p, _)| path == p || path.starts_with(&format!("{p}/")))?;
            Some(entry(shared, path, *id, project, *project_id))
        })
        .collect();
    list(req, &entries)
}

/// One registry repository as GitLab describes it.
fn entry(shared: &Shared, path: &str, id: u64, project: &str, project_id: u64) -> Value {
    let host = shared.url().trim_start_matches("http://").to_string();
    let name = path
        .strip_prefix(project)
        .unwrap_or_default()
        .trim_start_matches('/');
    json!({
        "id": id,
        "name": name,
        "path": path,
        "project_id": project_id,
        "location": format!("{host}/{path}"),
        "created_at": "2024-01-10T13:38:57.391Z",
        "cleanup_policy_started_at": null,
        "status": null,
    })
}

/// A page of `entries` as `page`/`per_page` ask, with GitLab's paging
/// headers.
fn list(req: &Incoming, entries: &[Value]) -> Response {
    let page: usize = req
        .param("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page: usize = req
        .param("per_page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(20)
        .min(100);
    let total = entries.len();
    let body: Vec<Value> = entries
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let mut response = front::json_response(StatusCode::OK, &Value::Array(body));
    let pages = total.div_ceil(per_page).max(1);
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("header"));
    };
    set("x-page", page.to_string());
    set("x-per-page", per_page.to_string());
    set("x-total", total.to_string());
    set("x-total-pages", pages.to_string());
    set(
        "x-next-page",
        if page < pages {
            (page + 1).to_string()
        } else {
            String::new()
        },
    );
    set(
        "x-prev-page",
        if page > 1 {
            (page - 1).to_string()
        } else {
            String::new()
        },
    );
    response
}
