//! A strict fake of Sonatype Nexus Repository 3 in front of a real
//! distribution: its Docker registry API and the part of its REST API berth
//! uses, as Sonatype documents them.
//!
//! - Every answer carries `Server: Nexus/<version> (OSS)`.
//! - A manifest delete by tag is refused (400 `UNSUPPORTED`): berth must never
//!   send one, since Nexus removes every tag of a manifest with it.
//! - From 3.89, Nexus reportedly keeps listing a tag whose manifest was
//!   deleted by digest (nexus-public #925): with `keep_stale_tags`, the
//!   tags that pointed at a deleted digest stay in `tags/list`, though they no
//!   longer resolve.
//! - `GET /service/rest/v1/search?repository=&format=docker&name=&version=`
//!   lists the Docker components (one per image and tag) as `{"items":
//!   [{"id", "repository", "format", "group", "name", "version", "assets"}],
//!   "continuationToken"}`; `DELETE /service/rest/v1/components/{id}` removes
//!   one (204). Both need Basic credentials of a Nexus user (401 otherwise).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use super::super::Registry;
use super::super::seen::Seen;
use super::front::{self, Front, Incoming, Shared};

pub const SERVER: &str = "Nexus/3.89.0-02 (OSS)";
/// The Nexus user berth logs in as, for the registry and the REST API.
pub const USER: &str = "deployer";
pub const PASSWORD: &str = "nexus-berth-0123456789";
/// The Nexus repository (of format docker) behind the registry.
pub const REPOSITORY: &str = "docker-hosted";

#[derive(Default)]
struct State {
    keep_stale_tags: AtomicBool,
    /// Per image: tags still listed after their manifest was deleted.
    stale: Mutex<HashMap<String, BTreeSet<String>>>,
}

pub struct NexusFake {
    front: Front,
    state: Arc<State>,
}

impl NexusFake {
    pub fn start(registry: &Registry) -> NexusFake {
        let state = Arc::new(State::default());
        let front = Front::with_state(registry, None, &state, |state, shared, req| async move {
            let mut response = match handle(&state, &shared, req).await {
                Ok(response) => response,
                Err(req) => return Err(req),
            };
            response
                .headers_mut()
                .insert("server", HeaderValue::from_static(SERVER));
            Ok(response)
        });
        NexusFake { front, state }
    }

    /// Behave as Nexus 3.89 and later: tags of a deleted manifest stay
    /// listed.
    pub fn keep_stale_tags(&self, keep: bool) {
        self.state.keep_stale_tags.store(keep, Ordering::Relaxed);
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
}

async fn handle(state: &State, shared: &Shared, req: Incoming) -> Result<Response, Incoming> {
    if let Some(rest) = req.path.strip_prefix("/service/rest/v1/") {
        return Ok(rest_api(state, shared, &req, rest).await);
    }
    if req.path == "/v2" {
        return Ok(front::forward(shared, req).await);
    }
    let Some(rest) = req.path.strip_prefix("/v2/").map(String::from) else {
        return Err(req);
    };
    if let Some((name, reference)) = rest.rsplit_once("/manifests/")
        && req.method == Method::DELETE
    {
        if !reference.contains(':') {
            return Ok(front::json_response(
                StatusCode::BAD_REQUEST,
                &json!({"errors": [{"code": "UNSUPPORTED", "message": "manifest delete by tag"}]}),
            ));
        }
        let pointing = tags_on(shared, name, reference).await;
        let response = front::forward(shared, req).await;
        if response.status().is_success() && state.keep_stale_tags.load(Ordering::Relaxed) {
            let mut stale = state.stale.lock().unwrap();
            stale.entry(name.to_string()).or_default().extend(pointing);
        }
        return Ok(response);
    }
    if let Some(name) = rest.strip_suffix("/tags/list")
        && req.method == Method::GET
    {
        let stale = state.stale.lock().unwrap().get(name).cloned();
        let response = front::forward(shared, req).await;
        return Ok(match stale {
            Some(stale) if !stale.is_empty() => with_stale(response, &stale, name).await,
            _ => response,
        });
    }
    Ok(front::forward(shared, req).await)
}

/// The tags of `name` that point at `digest`.
async fn tags_on(shared: &Shared, name: &str, digest: &str) -> Vec<String> {
    let mut on = Vec::new();
    for tag in shared.upstream.tags(name).await.unwrap_or_default() {
        if shared
            .upstream
            .head(name, &tag)
            .await
            .is_some_and(|h| h.digest == digest)
        {
            on.push(tag);
        }
    }
    on
}

/// A tag list with the stale tags of `name` added, as Nexus 3.89 lists them.
async fn with_stale(response: Response, stale: &BTreeSet<String>, name: &str) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut listed: BTreeSet<String> = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| serde_json::from_value(v["tags"].clone()).ok())
        .unwrap_or_default();
    listed.extend(stale.iter().cloned());
    let mut response = front::json_response(
        StatusCode::OK,
        &json!({"name": name, "tags": listed.into_iter().collect::<Vec<_>>()}),
    );
    if let Some(link) = parts.headers.get("link") {
        response.headers_mut().insert("link", link.clone());
    }
    response
}

fn component_id(name: &str, version: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{name}:{version}"))
}

async fn rest_api(state: &State, shared: &Shared, req: &Incoming, rest: &str) -> Response {
    if req.basic() != Some((USER.to_string(), PASSWORD.to_string())) {
        let realm = "BASIC realm=\"Sonatype Nexus Repository Manager\"";
        return (StatusCode::UNAUTHORIZED, [("www-authenticate", realm)], "").into_response();
    }
    match (&req.method, rest) {
        (&Method::GET, "search") => {
            let (Some(repository), Some(name), Some(version)) = (
                req.param("repository"),
                req.param("name"),
                req.param("version"),
            ) else {
                return front::json_response(
                    StatusCode::OK,
                    &json!({"items": [], "continuationToken": null}),
                );
            };
            let stale = state
                .stale
                .lock()
                .unwrap()
                .get(&name)
                .is_some_and(|s| s.contains(&version));
            let live = shared.upstream.head(&name, &version).await.is_some();
            let found = repository == REPOSITORY
                && req.param("format").as_deref() == Some("docker")
                && (stale || live);
            let items: Vec<Value> = if found {
                vec![json!({
                    "id": component_id(&name, &version),
                    "repository": REPOSITORY,
                    "format": "docker",
                    "group": null,
                    "name": name,
                    "version": version,
                    "assets": [],
                })]
            } else {
                Vec::new()
            };
            front::json_response(
                StatusCode::OK,
                &json!({"items": items, "continuationToken": null}),
            )
        }
        (&Method::DELETE, path) if path.starts_with("components/") => {
            let id = &path["components/".len()..];
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(id)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((name, version)) = decoded.as_deref().and_then(|d| d.rsplit_once(':')) else {
                return (StatusCode::NOT_FOUND, "").into_response();
            };
            let was_stale = state
                .stale
                .lock()
                .unwrap()
                .get_mut(name)
                .is_some_and(|s| s.remove(version));
            if !was_stale {
                if shared.upstream.head(name, version).await.is_none() {
                    return (StatusCode::NOT_FOUND, "").into_response();
                }
                shared.upstream.untag(name, version).await;
            }
            front::empty(StatusCode::NO_CONTENT)
        }
        _ => (StatusCode::NOT_FOUND, "").into_response(),
    }
}
