//! A strict fake of Google Container Registry's extensions to the OCI API,
//! in front of a real distribution registry.
//!
//! What GCR does differently, and the fake with it:
//! - `GET /v2/<name>/tags/list` answers `{child, manifest, name, tags}`
//!   where `manifest` maps every manifest digest of the repository (untagged
//!   ones included) to `{imageSizeBytes, layerId, mediaType, tag: [...],
//!   timeCreatedMs, timeUploadedMs}`; the times are milliseconds written as
//!   strings, `timeCreatedMs` the image config's `created` and `"0"` when
//!   there is none (an index). GCR does not page this list; `page_size`
//!   makes the fake page it the way Artifact Registry may (`n`, `last`,
//!   `Link`), to test that a `Link` is followed.
//! - `DELETE /v2/<name>/manifests/<tag>` (202) removes that tag only; the
//!   manifest stays, untagged or with its other tags. distribution 2.8
//!   cannot do this, so the fake moves the tag onto a manifest of its own and
//!   deletes that, and keeps listing the original manifest.
//! - `DELETE /v2/<name>/manifests/<digest>` is refused with 400
//!   `GOOGLE_MANIFEST_DANGLING_TAG` while any tag points at the manifest.
//!
//! `/v2/` wants a Bearer token from the fake's token service (`/v2/token`,
//! service `gcr.io`), which takes the user `oauth2accesstoken` and the
//! access token as password.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::seen::Seen;
use super::super::{Registry, Revisions};
use super::front::{self, Front, Incoming, Shared, TokenService};

/// The access token `gcloud auth print-access-token` would give.
pub const ACCESS_TOKEN: &str = "ya29.access-token";

const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

struct State {
    /// Every manifest distribution holds, as GCR's database knows them:
    /// untagged ones are in the map from their push on.
    revisions: Revisions,
    /// Repository → digest → when the fake first saw it (ms).
    seen: Mutex<HashMap<String, BTreeMap<String, i64>>>,
    /// Digest → `timeUploadedMs` a test set.
    uploaded: Mutex<HashMap<String, i64>>,
    /// Digest → `timeCreatedMs`, once read from the image config.
    created: Mutex<HashMap<String, i64>>,
    /// Tags a page, when the fake pages like Artifact Registry.
    page_size: Mutex<Option<usize>>,
}

pub struct GcrFake {
    front: Front,
    state: Arc<State>,
}

impl GcrFake {
    /// `/v2/` wants a token; the token service takes `oauth2accesstoken`
    /// with `access_token` as the password.
    pub fn with_access_token(registry: &Registry, access_token: &str) -> GcrFake {
        let tokens = TokenService {
            realm_path: "/v2/token".into(),
            service: "gcr.io".into(),
            users: vec![("oauth2accesstoken".into(), access_token.into())],
        };
        let state = Arc::new(State {
            revisions: registry.revisions(),
            seen: Mutex::default(),
            uploaded: Mutex::default(),
            created: Mutex::default(),
            page_size: Mutex::default(),
        });
        let front = Front::with_state(registry, Some(tokens), &state, handle);
        GcrFake { front, state }
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

    /// Answers the next `times` matching requests with `status`.
    pub fn fail(
        &self,
        method: Method,
        prefix: &str,
        times: usize,
        status: u16,
        retry_after: Option<u64>,
    ) {
        let retry = retry_after.map(|s| s.to_string());
        let headers: Vec<(&str, &str)> = retry
            .as_deref()
            .map(|s| vec![("retry-after", s)])
            .unwrap_or_default();
        let body = json!({"errors": [{"code": "TOOMANYREQUESTS", "message": "Quota exceeded"}]});
        self.front
            .fail(method, prefix, times, status, &headers, &body.to_string());
    }

    /// Refuses the next delete of `digest` in `repo` as GCR does when a tag
    /// points at it: as if one was pushed after the listing.
    pub fn refuse_as_tagged(&self, repo: &str, digest: &str, tag: &str) {
        let body = json!({"errors": [{"code": "GOOGLE_MANIFEST_DANGLING_TAG",
            "message": format!("Manifest is still referenced by tag: {tag}")}]});
        self.front.fail(
            Method::DELETE,
            &format!("/v2/{repo}/manifests/{digest}"),
            1,
            400,
            &[],
            &body.to_string(),
        );
    }

    /// Sets the `timeUploadedMs` the list reports for `digest`.
    pub fn set_uploaded(&self, digest: &str, ms: i64) {
        self.state
            .uploaded
            .lock()
            .unwrap()
            .insert(digest.into(), ms);
    }

    /// Pages the tag list `size` tags at a time, with `Link` headers.
    pub fn page_size(&self, size: usize) {
        *self.state.page_size.lock().unwrap() = Some(size);
    }
}

async fn handle(
    state: Arc<State>,
    shared: Arc<Shared>,
    req: Incoming,
) -> Result<Response, Incoming> {
    let Some(rest) = req.path.strip_prefix("/v2/") else {
        return Err(req);
    };
    if req.method == Method::GET
        && let Some(repo) = rest.strip_suffix("/tags/list")
    {
        let repo = repo.to_string();
        return Ok(tag_list(&state, &shared, &repo, &req).await);
    }
    if req.method == Method::DELETE
        && let Some((repo, reference)) = rest.rsplit_once("/manifests/")
    {
        let (repo, reference) = (repo.to_string(), reference.to_string());
        return Ok(delete(&state, &shared, &repo, &reference).await);
    }
    Err(req)
}

/// What one manifest entry of the map says.
struct Entry {
    media_type: String,
    size: u64,
    tags: Vec<String>,
}

async fn tag_list(state: &State, shared: &Shared, repo: &str, req: &Incoming) -> Response {
    let Some(all) = shared.upstream.tags(repo).await else {
        return front::json_response(
            StatusCode::NOT_FOUND,
            &json!({"errors": [{"code": "NAME_UNKNOWN",
                "message": format!("Repository \"{repo}\" not found")}]}),
        );
    };
    let page_size = *state.page_size.lock().unwrap();
    let (tags, next) = match page_size {
        None => (all, None),
        Some(default_n) => {
            let n = req
                .param("n")
                .and_then(|n| n.parse().ok())
                .unwrap_or(default_n);
            let last = req.param("last");
            let after: Vec<String> = all
                .into_iter()
                .filter(|t| last.as_deref().is_none_or(|l| t.as_str() > l))
                .collect();
            let page: Vec<String> = after.iter().take(n).cloned().collect();
            let next = (after.len() > page.len())
                .then(|| format!("/v2/{repo}/tags/list?n={n}&last={}", page.last().unwrap()));
            (page, next)
        }
    };
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for tag in &tags {
        if let Some(head) = shared.upstream.head(repo, tag).await {
            entries
                .entry(head.digest.clone())
                .or_insert(Entry {
                    media_type: head.media_type,
                    size: head.size,
                    tags: Vec::new(),
                })
                .tags
                .push(tag.clone());
        }
    }
    let now = front::now_ms();
    let known: BTreeSet<String> = {
        let mut seen = state.seen.lock().unwrap();
        let seen = seen.entry(repo.to_string()).or_default();
        for digest in entries.keys().chain(&state.revisions.list(repo)) {
            seen.entry(digest.clone()).or_insert(now);
        }
        seen.keys().cloned().collect()
    };
    // Untagged manifests stay in the map, as GCR lists them (not on pages).
    if page_size.is_none() {
        for digest in known.difference(&entries.keys().cloned().collect()) {
            if let Some(head) = shared.upstream.head(repo, digest).await {
                entries.insert(
                    digest.clone(),
                    Entry {
                        media_type: head.media_type,
                        size: head.size,
                        tags: Vec::new(),
                    },
                );
            }
        }
    }
    let mut map = serde_json::Map::new();
    for (digest, entry) in &entries {
        let created = created_ms(state, shared, repo, digest).await;
        let uploaded = state
            .uploaded
            .lock()
            .unwrap()
            .get(digest)
            .copied()
            .or_else(|| state.seen.lock().unwrap()[repo].get(digest).copied())
            .unwrap_or(now);
        map.insert(
            digest.clone(),
            json!({
                "imageSizeBytes": entry.size.to_string(),
                "layerId": "",
                "mediaType": entry.media_type,
                "tag": entry.tags,
                "timeCreatedMs": created.to_string(),
                "timeUploadedMs": uploaded.to_string(),
            }),
        );
    }
    let body = json!({"child": [], "manifest": map, "name": repo, "tags": tags});
    let mut response = front::json_response(StatusCode::OK, &body);
    if let Some(next) = next {
        let link = format!("<{next}>; rel=\"next\"");
        response
            .headers_mut()
            .insert(header::LINK, HeaderValue::from_str(&link).expect("link"));
    }
    response
}

/// The config's `created` in ms, 0 when the manifest has no config (an
/// index) or the config no date.
async fn created_ms(state: &State, shared: &Shared, repo: &str, digest: &str) -> i64 {
    if let Some(ms) = state.created.lock().unwrap().get(digest) {
        return *ms;
    }
    let ms = async {
        let manifest = shared
            .registry_json(&format!("/v2/{repo}/manifests/{digest}"), ACCEPT_MANIFESTS)
            .await?;
        let config = manifest["config"]["digest"].as_str()?.to_string();
        let config = shared
            .registry_json(&format!("/v2/{repo}/blobs/{config}"), "*/*")
            .await?;
        let created = chrono::DateTime::parse_from_rfc3339(config["created"].as_str()?).ok()?;
        Some(created.timestamp_millis())
    }
    .await
    .unwrap_or(0);
    state.created.lock().unwrap().insert(digest.to_string(), ms);
    ms
}

async fn delete(state: &State, shared: &Shared, repo: &str, reference: &str) -> Response {
    if reference.contains(':') {
        // By digest: refused while a tag points at it.
        for tag in shared.upstream.tags(repo).await.unwrap_or_default() {
            let head = shared.upstream.head(repo, &tag).await;
            if head.is_some_and(|h| h.digest == reference) {
                return front::json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({"errors": [{"code": "GOOGLE_MANIFEST_DANGLING_TAG",
                        "message": format!("Manifest is still referenced by tag: {tag}")}]}),
                );
            }
        }
        let status = shared.upstream.delete(repo, reference).await;
        if status == StatusCode::ACCEPTED {
            if let Some(seen) = state.seen.lock().unwrap().get_mut(repo) {
                seen.remove(reference);
            }
            return front::empty(StatusCode::ACCEPTED);
        }
        return unknown_manifest(repo, reference);
    }
    let Some(head) = shared.upstream.head(repo, reference).await else {
        return unknown_manifest(repo, reference);
    };
    state
        .seen
        .lock()
        .unwrap()
        .entry(repo.to_string())
        .or_default()
        .entry(head.digest)
        .or_insert_with(front::now_ms);
    shared.upstream.untag(repo, reference).await;
    front::empty(StatusCode::ACCEPTED)
}

fn unknown_manifest(repo: &str, reference: &str) -> Response {
    front::json_response(
        StatusCode::NOT_FOUND,
        &json!({"errors": [{"code": "MANIFEST_UNKNOWN",
            "message": format!("Failed to fetch \"{reference}\" from request \"/v2/{repo}/manifests/{reference}\".")}]}),
    )
}
