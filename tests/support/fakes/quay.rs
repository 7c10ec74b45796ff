//! A strict fake of Quay in front of a real distribution registry: the tag
//! routes of its API v1 and its registry's token service.
//!
//! As Quay's API reference documents them:
//! - `GET /api/v1/repository/<ns>/<repo>/tag/` (trailing slash) with
//!   `onlyActiveTags`, `page` (from 1) and `limit` (at most 100) answers
//!   `{"tags": [...], "page": N, "has_additional": bool}`; each tag has
//!   `name`, `reversion`, `start_ts` (seconds), `manifest_digest`,
//!   `is_manifest_list`, `size` and `last_modified`, newest first. Without
//!   `onlyActiveTags=true` the list is the tag history: deleted tags too,
//!   with `end_ts`.
//! - `DELETE /api/v1/repository/<ns>/<repo>/tag/<tag>` answers 204 and
//!   removes that tag only (the fake moves it onto a manifest of its own in
//!   distribution and deletes that, as distribution 2.8 cannot delete a tag).
//! - `GET /api/v1/repository?namespace=<ns>` (a namespace, `public` or
//!   `starred` is required, else 400) answers `{"repositories": [{namespace,
//!   name, is_public, kind, state}], "next_page": TOKEN}` pages of at most
//!   100, `next_page` present while more remain and passed back as
//!   `next_page`; anonymous callers see public repositories only.
//! - Both want `Authorization: Bearer <OAuth token>`; deleting needs a token
//!   with write access (else 403), listing a repository made public needs
//!   none. Errors are Quay's `{detail, error_message, error_type, title,
//!   type, status}`.
//! - The registry's `/v2/` answers a Bearer challenge whose realm is
//!   `/v2/auth`; the token service takes the robot account's password.
//!   A manifest `PUT` of an OCI artifact manifest is refused with 415, as
//!   Quay does when OCI artifacts are not enabled.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::Registry;
use super::super::seen::Seen;
use super::front::{self, Front, Incoming, Shared, TokenService};

pub const ROBOT: &str = "org+ci";
pub const ROBOT_PASSWORD: &str = "ROBOT0123456789TOKEN";
/// OAuth tokens for the API: one that may write, one that may only read.
pub const TOKEN: &str = "quay-oauth-token-rw";
pub const READ_TOKEN: &str = "quay-oauth-token-ro";
const ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";

#[derive(Clone)]
struct Deleted {
    name: String,
    digest: String,
    start_ts: i64,
    end_ts: i64,
}

#[derive(Default)]
struct State {
    /// OAuth token → may write.
    tokens: Mutex<HashMap<String, bool>>,
    public: Mutex<HashSet<String>>,
    /// (repository, tag) → (digest, start_ts) as first seen.
    starts: Mutex<HashMap<(String, String), (String, i64)>>,
    /// (repository, tag) → start_ts a test set.
    start_overrides: Mutex<HashMap<(String, String), i64>>,
    history: Mutex<HashMap<String, Vec<Deleted>>>,
}

pub struct QuayFake {
    front: Front,
    state: Arc<State>,
}

impl QuayFake {
    pub fn start(registry: &Registry) -> QuayFake {
        let state = Arc::new(State::default());
        let tokens = TokenService {
            realm_path: "/v2/auth".into(),
            service: "quay.io".into(),
            users: vec![(ROBOT.into(), ROBOT_PASSWORD.into())],
        };
        let front = Front::with_state(registry, Some(tokens), &state, handle);
        QuayFake { front, state }
    }

    pub fn addr(&self) -> String {
        self.front.addr()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.front.requests()
    }

    pub fn clear_requests(&self) {
        self.front.clear_requests();
    }

    /// An OAuth token the API accepts; `write` lets it delete tags.
    pub fn token(&self, token: &str, write: bool) {
        self.state
            .tokens
            .lock()
            .unwrap()
            .insert(token.into(), write);
    }

    /// Lets anyone read `repository` through the API.
    pub fn make_public(&self, repository: &str) {
        self.state.public.lock().unwrap().insert(repository.into());
    }

    /// The `start_ts` the list reports for a tag.
    pub fn set_start(&self, repository: &str, tag: &str, seconds: i64) {
        self.state
            .start_overrides
            .lock()
            .unwrap()
            .insert((repository.into(), tag.into()), seconds);
    }

    /// Answers the next `times` API requests with 429, as quay.io
    /// rate-limits: "Too many requests", no `Retry-After`.
    pub fn throttle(&self, method: Method, times: usize) {
        self.front.fail(
            method,
            "/api/v1/",
            times,
            429,
            &[("content-type", "text/plain")],
            "Too many requests",
        );
    }
}

async fn handle(
    state: Arc<State>,
    shared: Arc<Shared>,
    req: Incoming,
) -> Result<Response, Incoming> {
    if req.method == Method::PUT
        && req.path.starts_with("/v2/")
        && req.path.contains("/manifests/")
        && req.header("content-type") == Some(ARTIFACT_MANIFEST)
    {
        return Ok(front::json_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &json!({"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid",
                "detail": {"message": "manifest schema version not supported"}}]}),
        ));
    }
    if req.method == Method::GET && req.path == "/api/v1/repository" {
        return Ok(repositories(&state, &shared, &req).await);
    }
    let Some(rest) = req.path.strip_prefix("/api/v1/repository/") else {
        return Err(req);
    };
    if req.method == Method::GET
        && let Some(repo) = rest.strip_suffix("/tag/")
    {
        let repo = repo.to_string();
        return Ok(list(&state, &shared, &repo, &req).await);
    }
    if req.method == Method::DELETE
        && let Some((repo, tag)) = rest.rsplit_once("/tag/")
        && !tag.is_empty()
        && !tag.contains('/')
    {
        let (repo, tag) = (repo.to_string(), tag.to_string());
        return Ok(delete(&state, &shared, &repo, &tag, &req).await);
    }
    Ok(api_error(StatusCode::NOT_FOUND, "not_found", "Not Found"))
}

/// Quay's API error document.
fn api_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    front::json_response(
        status,
        &json!({
            "detail": message,
            "error_message": message,
            "error_type": error_type,
            "title": error_type,
            "type": format!("https://quay.io/api/v1/error/{error_type}"),
            "status": status.as_u16(),
        }),
    )
}

fn invalid_token() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "The access token provided is invalid",
    )
}

/// Who is asking: `Ok(Some(write))` for a known token, `Ok(None)` for
/// anonymous, `Err` for a token Quay does not know.
fn caller(state: &State, req: &Incoming) -> Result<Option<bool>, ()> {
    match req.header("authorization") {
        None => Ok(None),
        Some(_) => match req
            .bearer()
            .and_then(|t| state.tokens.lock().unwrap().get(t).copied())
        {
            Some(write) => Ok(Some(write)),
            None => Err(()),
        },
    }
}

/// Repositories a page, as Quay pages them.
const REPOSITORY_PAGE: usize = 100;

async fn repositories(state: &State, shared: &Shared, req: &Incoming) -> Response {
    let signed_in = match caller(state, req) {
        Err(()) => return invalid_token(),
        Ok(who) => who.is_some(),
    };
    let Some(namespace) = req.param("namespace") else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "namespace, public or starred is required",
        );
    };
    let start: usize = match req
        .param("next_page")
        .map(|p| p.strip_prefix("page-").map(str::parse))
    {
        None => 0,
        Some(Some(Ok(n))) => n,
        _ => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Invalid next_page",
            );
        }
    };
    let names: Vec<String> = shared
        .upstream
        .catalog()
        .await
        .into_iter()
        .filter(|r| r.split_once('/').is_some_and(|(ns, _)| ns == namespace))
        .filter(|r| signed_in || state.public.lock().unwrap().contains(r))
        .collect();
    let page: Vec<Value> = names
        .iter()
        .skip(start)
        .take(REPOSITORY_PAGE)
        .map(|r| {
            let name = r.split_once('/').map_or("", |(_, n)| n);
            json!({"namespace": namespace, "name": name, "description": null,
                "is_public": state.public.lock().unwrap().contains(r),
                "kind": "image", "state": "NORMAL"})
        })
        .collect();
    let mut body = json!({ "repositories": page });
    if start + REPOSITORY_PAGE < names.len() {
        body["next_page"] = json!(format!("page-{}", start + REPOSITORY_PAGE));
    }
    front::json_response(StatusCode::OK, &body)
}

async fn list(state: &State, shared: &Shared, repo: &str, req: &Incoming) -> Response {
    match caller(state, req) {
        Err(()) => return invalid_token(),
        Ok(None) if !state.public.lock().unwrap().contains(repo) => {
            return api_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Requires authentication",
            );
        }
        Ok(_) => {}
    }
    let page: usize = match req.param("page").map(|p| p.parse()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        _ => return api_error(StatusCode::BAD_REQUEST, "invalid_request", "Invalid page"),
    };
    let limit: usize = match req.param("limit").map(|l| l.parse()) {
        None => 50,
        Some(Ok(l)) if (1..=100).contains(&l) => l,
        _ => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "limit must be between 1 and 100",
            );
        }
    };
    let Some(tags) = shared.upstream.tags(repo).await else {
        return api_error(StatusCode::NOT_FOUND, "not_found", "Not Found");
    };
    let now = front::now_ms() / 1000;
    let mut entries: Vec<(i64, Value)> = Vec::new();
    for tag in tags {
        let Some(head) = shared.upstream.head(repo, &tag).await else {
            continue;
        };
        let key = (repo.to_string(), tag.clone());
        let start = {
            let mut starts = state.starts.lock().unwrap();
            let seen = starts
                .entry(key.clone())
                .or_insert((head.digest.clone(), now));
            if seen.0 != head.digest {
                *seen = (head.digest.clone(), now);
            }
            seen.1
        };
        let start = state
            .start_overrides
            .lock()
            .unwrap()
            .get(&key)
            .copied()
            .unwrap_or(start);
        let is_list = head.media_type.contains("index") || head.media_type.contains("list");
        entries.push((
            start,
            json!({
                "name": tag,
                "reversion": false,
                "start_ts": start,
                "manifest_digest": head.digest,
                "is_manifest_list": is_list,
                "size": head.size,
                "last_modified": rfc2822(start),
            }),
        ));
    }
    if req.param("onlyActiveTags").as_deref() != Some("true") {
        let history = state.history.lock().unwrap();
        for gone in history.get(repo).into_iter().flatten() {
            entries.push((
                gone.start_ts,
                json!({
                    "name": gone.name,
                    "reversion": false,
                    "start_ts": gone.start_ts,
                    "end_ts": gone.end_ts,
                    "manifest_digest": gone.digest,
                    "is_manifest_list": false,
                    "size": 0,
                    "last_modified": rfc2822(gone.start_ts),
                    "expiration": rfc2822(gone.end_ts),
                }),
            ));
        }
    }
    entries.sort_by(|(a, x), (b, y)| b.cmp(a).then(x["name"].as_str().cmp(&y["name"].as_str())));
    let skip = (page - 1) * limit;
    let has_additional = entries.len() > skip + limit;
    let tags: Vec<Value> = entries
        .into_iter()
        .skip(skip)
        .take(limit)
        .map(|(_, e)| e)
        .collect();
    front::json_response(
        StatusCode::OK,
        &json!({"tags": tags, "page": page, "has_additional": has_additional}),
    )
}

async fn delete(state: &State, shared: &Shared, repo: &str, tag: &str, req: &Incoming) -> Response {
    match caller(state, req) {
        Err(()) => return invalid_token(),
        Ok(None) => {
            return api_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Requires authentication",
            );
        }
        Ok(Some(false)) => {
            return api_error(StatusCode::FORBIDDEN, "insufficient_scope", "Unauthorized");
        }
        Ok(Some(true)) => {}
    }
    let Some(head) = shared.upstream.head(repo, tag).await else {
        return api_error(StatusCode::NOT_FOUND, "not_found", "Not Found");
    };
    let now = front::now_ms() / 1000;
    let key = (repo.to_string(), tag.to_string());
    let start = state
        .start_overrides
        .lock()
        .unwrap()
        .remove(&key)
        .or_else(|| state.starts.lock().unwrap().remove(&key).map(|(_, s)| s))
        .unwrap_or(now);
    shared.upstream.untag(repo, tag).await;
    state
        .history
        .lock()
        .unwrap()
        .entry(repo.to_string())
        .or_default()
        .push(Deleted {
            name: tag.to_string(),
            digest: head.digest,
            start_ts: start,
            end_ts: now,
        });
    front::empty(StatusCode::NO_CONTENT)
}

/// `Thu, 06 Jun 2024 13:33:00 -0000`, as Quay writes `last_modified`.
fn rfc2822(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S -0000").to_string())
        .unwrap_or_default()
}
