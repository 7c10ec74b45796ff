//! A strict fake of Harbor in front of a real distribution registry: the
//! artifact routes of its API v2.0 and its registry's token service.
//!
//! As Harbor's API reference (swagger `api/v2.0`) documents them:
//! - `GET /api/v2.0/projects/<p>/repositories/<r>/artifacts` with
//!   `with_tag`, `page` (from 1) and `page_size` (default 10, at most 100)
//!   answers an array of artifacts (`digest`, `push_time`, `tags` with their
//!   own `name` and `push_time`, or `null` for an untagged artifact), newest
//!   first, with `X-Total-Count` and a `Link` to the previous and next pages.
//!   The list holds every manifest of the repository (the registry's own
//!   record, [`Revisions`]) but what hangs off another artifact, as Harbor
//!   2.8 leaves them out: an untagged manifest that an index lists (named in
//!   the index's `references`, `child_digest`), and an accessory, a manifest
//!   whose `subject` is in the repository (named, with `with_accessory=true`,
//!   in its subject's `accessories`: `digest`, `subject_artifact_digest`,
//!   `type` `subject.accessory`).
//! - `DELETE /api/v2.0/projects/<p>/repositories/<r>/artifacts/<reference>`
//!   deletes the artifact with its tags and accessories, and the untagged
//!   children of an index that no other manifest lists (200); an artifact
//!   that an index still lists is refused (412), as is one with an immutable
//!   tag.
//! - `DELETE /api/v2.0/projects/<p>/repositories/<r>/artifacts/<reference>/tags/<tag>`
//!   answers 200 and removes that tag only; `<reference>` is a digest or a
//!   tag. An immutable tag is refused with 412.
//! - `<r>` is the repository name with `/` encoded twice (`a%252Fb`); a name
//!   encoded once does not route (404), as in Harbor.
//! - `GET /api/v2.0/projects` and `GET /api/v2.0/projects/<p>/repositories`,
//!   both with `page` and `page_size` (default 10, at most 100), answer the
//!   projects (`name`) and a project's repositories (`name` is `<p>/<r>`),
//!   sorted by name, with `X-Total-Count` and `Link`; anonymous callers see
//!   public projects only.
//! - The API takes Basic auth; listing a project made public needs none,
//!   deleting needs an account that may (else 403). Errors are
//!   `{"errors": [{"code", "message"}]}`.
//! - The registry's `/v2/` answers a Bearer challenge whose realm is
//!   `/service/token` for the service `harbor-registry`, and the token
//!   service takes the same accounts.
//!
//! distribution 2.8 cannot delete a tag, so the fake moves the tag onto a
//! manifest of its own and deletes that; the artifact stays, and so do its
//! other tags.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::seen::Seen;
use super::super::{Registry, Revisions};
use super::front::{self, Front, Incoming, Shared, TokenService};

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Harbor12345";
pub const ROBOT: &str = "robot$ci";
pub const ROBOT_SECRET: &str = "robot-secret-0123";
/// An account that may read but not delete.
pub const GUEST: &str = "guest";
pub const GUEST_PASSWORD: &str = "guest-password";

struct State {
    public: Mutex<HashSet<String>>,
    immutable: Mutex<HashSet<String>>,
    /// (repository, digest) → push time (ms), first seen or set.
    pushed: Mutex<HashMap<(String, String), i64>>,
    /// (repository, tag) → push time (ms) of the tag.
    tag_pushed: Mutex<HashMap<(String, String), i64>>,
    /// Every manifest the registry holds, tagged or not: Harbor's database.
    revisions: Revisions,
}

pub struct HarborFake {
    front: Front,
    state: Arc<State>,
}

impl HarborFake {
    pub fn start(registry: &Registry) -> HarborFake {
        let state = Arc::new(State {
            public: Mutex::default(),
            immutable: Mutex::default(),
            pushed: Mutex::default(),
            tag_pushed: Mutex::default(),
            revisions: registry.revisions(),
        });
        let tokens = TokenService {
            realm_path: "/service/token".into(),
            service: "harbor-registry".into(),
            users: accounts(),
        };
        let front = Front::with_state(registry, Some(tokens), &state, handle);
        HarborFake { front, state }
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

    /// Lets anyone list the project's artifacts.
    pub fn make_public(&self, project: &str) {
        self.state.public.lock().unwrap().insert(project.into());
    }

    /// Refuses to delete `tag` (any repository), as an immutability rule does.
    pub fn make_immutable(&self, tag: &str) {
        self.state.immutable.lock().unwrap().insert(tag.into());
    }

    /// The `push_time` of an artifact (`repository` is `project/name`).
    pub fn set_push_time(&self, repository: &str, digest: &str, ms: i64) {
        self.state
            .pushed
            .lock()
            .unwrap()
            .insert((repository.into(), digest.into()), ms);
    }

    /// Answers the next `times` matching requests with `status` and
    /// `Retry-After`, as a rate-limiting proxy in front of Harbor does.
    pub fn throttle(&self, method: Method, prefix: &str, times: usize, retry_after: u64) {
        let body =
            json!({"errors": [{"code": "TOO_MANY_REQUESTS", "message": "too many requests"}]});
        self.front.fail(
            method,
            prefix,
            times,
            429,
            &[("retry-after", &retry_after.to_string())],
            &body.to_string(),
        );
    }
}

fn accounts() -> Vec<(String, String)> {
    [
        (ADMIN, ADMIN_PASSWORD),
        (ROBOT, ROBOT_SECRET),
        (GUEST, GUEST_PASSWORD),
    ]
    .iter()
    .map(|(u, p)| (u.to_string(), p.to_string()))
    .collect()
}

fn errors(status: StatusCode, code: &str, message: &str) -> Response {
    front::json_response(
        status,
        &json!({"errors": [{"code": code, "message": message}]}),
    )
}

/// The account of a Basic header: `Ok(None)` without one, `Err` for
/// credentials Harbor does not take.
fn account(req: &Incoming) -> Result<Option<String>, ()> {
    if req.header("authorization").is_none() {
        return Ok(None);
    }
    match req.basic() {
        Some((user, password)) if accounts().iter().any(|(u, p)| *u == user && *p == password) => {
            Ok(Some(user))
        }
        _ => Err(()),
    }
}

/// A route of the artifact API, parsed from the raw path.
enum Route {
    List {
        project: String,
        repository: String,
    },
    DeleteTag {
        project: String,
        repository: String,
        reference: String,
        tag: String,
    },
    DeleteArtifact {
        project: String,
        repository: String,
        reference: String,
    },
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/api/v2.0/projects/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    // <p>/repositories/<r>/artifacts[/<reference>/tags/<tag>]
    if segments.len() < 4 || segments[1] != "repositories" || segments[3] != "artifacts" {
        return None;
    }
    let project = segments[0].to_string();
    // The router decodes the path once; the name must then decode again.
    let once = front::percent_decode(segments[2])?;
    if once.contains('/') {
        return None;
    }
    let repository = front::percent_decode(&once)?;
    match (method, &segments[4..]) {
        (&Method::GET, []) => Some(Route::List {
            project,
            repository,
        }),
        (&Method::DELETE, [reference]) => Some(Route::DeleteArtifact {
            project,
            repository,
            reference: front::percent_decode(reference)?,
        }),
        (&Method::DELETE, [reference, "tags", tag]) => Some(Route::DeleteTag {
            project,
            repository,
            reference: front::percent_decode(reference)?,
            tag: front::percent_decode(tag)?,
        }),
        _ => None,
    }
}

async fn handle(
    state: Arc<State>,
    shared: Arc<Shared>,
    req: Incoming,
) -> Result<Response, Incoming> {
    if !req.path.starts_with("/api/") {
        return Err(req);
    }
    let user = match account(&req) {
        Ok(user) => user,
        Err(()) => {
            return Ok(errors(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "unauthorized",
            ));
        }
    };
    if req.method == Method::GET {
        if req.path == "/api/v2.0/projects" {
            return Ok(projects(&state, &shared, user.is_some(), &req).await);
        }
        if let Some(project) = req
            .path
            .strip_prefix("/api/v2.0/projects/")
            .and_then(|rest| rest.strip_suffix("/repositories"))
            .filter(|p| !p.contains('/'))
        {
            if user.is_none() && !state.public.lock().unwrap().contains(project) {
                return Ok(errors(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "unauthorized",
                ));
            }
            let project = project.to_string();
            return Ok(repositories(&shared, &project, &req).await);
        }
    }
    Ok(match route(&req.method, &req.path) {
        Some(Route::List {
            project,
            repository,
        }) => {
            if user.is_none() && !state.public.lock().unwrap().contains(&project) {
                return Ok(errors(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "unauthorized",
                ));
            }
            list(&state, &shared, &project, &repository, &req).await
        }
        Some(Route::DeleteTag {
            project,
            repository,
            reference,
            tag,
        }) => match user.as_deref() {
            None => errors(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized"),
            Some(GUEST) => errors(StatusCode::FORBIDDEN, "FORBIDDEN", "forbidden"),
            Some(_) => delete_tag(&state, &shared, &project, &repository, &reference, &tag).await,
        },
        Some(Route::DeleteArtifact {
            project,
            repository,
            reference,
        }) => match user.as_deref() {
            None => errors(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized"),
            Some(GUEST) => errors(StatusCode::FORBIDDEN, "FORBIDDEN", "forbidden"),
            Some(_) => delete_artifact(&state, &shared, &project, &repository, &reference).await,
        },
        None => errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("{} not found", req.path),
        ),
    })
}

struct Artifact {
    digest: String,
    media_type: String,
    size: u64,
    pushed: i64,
    tags: Vec<(String, i64)>,
    /// An index's manifests.
    children: Vec<String>,
    /// The manifest this one is an accessory of.
    subject: Option<String>,
}

/// Every manifest of the repository, tagged or not, as Harbor records them;
/// `None` when the repository does not exist.
async fn manifests(state: &State, shared: &Shared, path: &str) -> Option<Vec<Artifact>> {
    let tags = shared.upstream.tags(path).await?;
    let now = front::now_ms();
    let mut by_digest: BTreeMap<String, Artifact> = BTreeMap::new();
    for digest in state.revisions.list(path) {
        let Some(head) = shared.upstream.head(path, &digest).await else {
            continue;
        };
        let document = shared.upstream.document(path, &digest).await;
        let children = document
            .as_ref()
            .and_then(|d| d["manifests"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|m| m["digest"].as_str().map(String::from))
            .collect();
        let subject = document
            .as_ref()
            .and_then(|d| d["subject"]["digest"].as_str().map(String::from));
        by_digest.insert(
            digest.clone(),
            Artifact {
                digest,
                media_type: head.media_type,
                size: head.size,
                pushed: 0,
                tags: Vec::new(),
                children,
                subject,
            },
        );
    }
    for tag in tags {
        let Some(head) = shared.upstream.head(path, &tag).await else {
            continue;
        };
        let tag_pushed = *state
            .tag_pushed
            .lock()
            .unwrap()
            .entry((path.to_string(), tag.clone()))
            .or_insert(now);
        if let Some(artifact) = by_digest.get_mut(&head.digest) {
            artifact.tags.push((tag, tag_pushed));
        }
    }
    let mut pushed = state.pushed.lock().unwrap();
    let mut list: Vec<Artifact> = by_digest
        .into_values()
        .map(|mut a| {
            a.pushed = *pushed
                .entry((path.to_string(), a.digest.clone()))
                .or_insert(now);
            a
        })
        .collect();
    list.sort_by(|a, b| b.pushed.cmp(&a.pushed).then(a.digest.cmp(&b.digest)));
    Some(list)
}

/// Whether Harbor lists `a` itself: not an untagged child of an index, not
/// an accessory of a manifest in the repository.
fn top_level(a: &Artifact, all: &[Artifact]) -> bool {
    let child = a.tags.is_empty() && all.iter().any(|p| p.children.contains(&a.digest));
    let accessory = a
        .subject
        .as_ref()
        .is_some_and(|s| all.iter().any(|p| p.digest == *s));
    !child && !accessory
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

async fn projects(state: &State, shared: &Shared, signed_in: bool, req: &Incoming) -> Response {
    let mut names: Vec<String> = shared
        .upstream
        .catalog()
        .await
        .iter()
        .filter_map(|p| p.split_once('/').map(|(project, _)| project.to_string()))
        .filter(|p| signed_in || state.public.lock().unwrap().contains(p))
        .collect();
    names.dedup();
    let items = names
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"project_id": i + 1, "name": name, "repo_count": 1}))
        .collect();
    paged(req, items)
}

async fn repositories(shared: &Shared, project: &str, req: &Incoming) -> Response {
    let items = shared
        .upstream
        .catalog()
        .await
        .into_iter()
        .filter(|p| p.starts_with(&format!("{project}/")))
        .enumerate()
        .map(|(i, name)| json!({"id": i + 1, "project_id": 1, "name": name, "artifact_count": 1}))
        .collect();
    paged(req, items)
}

/// One page of `items` as Harbor pages its lists: `page`, `page_size`
/// (default 10, at most 100), `X-Total-Count` and a `Link` to the next.
fn paged(req: &Incoming, items: Vec<Value>) -> Response {
    let page: usize = match req.param("page").map(|p| p.parse()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        _ => return errors(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid page"),
    };
    let page_size: usize = match req.param("page_size").map(|p| p.parse()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => return errors(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid page_size"),
    };
    let total = items.len();
    let body: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * page_size)
        .take(page_size)
        .collect();
    let mut response = front::json_response(StatusCode::OK, &Value::Array(body));
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(total));
    if page * page_size < total {
        let next = format!(
            "<{}?page={}&page_size={page_size}>; rel=\"next\"",
            req.path,
            page + 1
        );
        headers.insert("link", HeaderValue::from_str(&next).expect("link"));
    }
    response
}

async fn list(
    state: &State,
    shared: &Shared,
    project: &str,
    repository: &str,
    req: &Incoming,
) -> Response {
    let page: usize = match req.param("page").map(|p| p.parse()) {
        None => 1,
        Some(Ok(p)) if p >= 1 => p,
        _ => return errors(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid page"),
    };
    let page_size: usize = match req.param("page_size").map(|p| p.parse()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            return errors(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "validation failure list:\npage_size in query should be less than or equal to 100",
            );
        }
    };
    let with_tag = req.param("with_tag").is_none_or(|w| w == "true");
    let path = format!("{project}/{repository}");
    let with_accessory = req.param("with_accessory").is_some_and(|w| w == "true");
    let Some(every) = manifests(state, shared, &path).await else {
        return errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("repository {path} not found"),
        );
    };
    // Harbor's ids: stable per manifest.
    let id = |digest: &str| {
        every
            .iter()
            .position(|a| a.digest == digest)
            .map_or(0, |i| i + 1)
    };
    let all: Vec<&Artifact> = every.iter().filter(|a| top_level(a, &every)).collect();
    let total = all.len();
    let body: Vec<Value> = all
        .iter()
        .skip((page - 1) * page_size)
        .take(page_size)
        .map(|a| {
            let i = id(&a.digest) - 1;
            let tags: Option<Vec<Value>> = (with_tag && !a.tags.is_empty()).then(|| {
                a.tags
                    .iter()
                    .enumerate()
                    .map(|(j, (name, pushed))| {
                        json!({"id": i * 1000 + j + 1, "repository_id": 1, "artifact_id": i + 1,
                            "name": name, "push_time": time(*pushed),
                            "pull_time": "0001-01-01T00:00:00.000Z",
                            "immutable": false, "signed": false})
                    })
                    .collect()
            });
            let references: Vec<Value> = a
                .children
                .iter()
                .map(|c| json!({"parent_id": i + 1, "child_id": id(c), "child_digest": c}))
                .collect();
            let mut artifact = json!({
                "id": i + 1,
                "type": "IMAGE",
                "media_type": "application/vnd.oci.image.config.v1+json",
                "manifest_media_type": a.media_type,
                "project_id": 1,
                "repository_id": 1,
                "digest": a.digest,
                "size": a.size,
                "push_time": time(a.pushed),
                "pull_time": "0001-01-01T00:00:00.000Z",
                "tags": tags,
                "references": (!references.is_empty()).then_some(references),
            });
            if with_accessory {
                let accessories: Vec<Value> = every
                    .iter()
                    .filter(|r| r.subject.as_deref() == Some(a.digest.as_str()))
                    .map(|r| {
                        json!({"id": id(&r.digest), "artifact_id": id(&r.digest),
                            "subject_artifact_id": i + 1, "subject_artifact_repo": path,
                            "subject_artifact_digest": a.digest, "size": r.size,
                            "digest": r.digest, "type": "subject.accessory", "icon": "",
                            "creation_time": time(r.pushed)})
                    })
                    .collect();
                artifact["accessories"] = json!(accessories);
            }
            artifact
        })
        .collect();
    let mut response = front::json_response(StatusCode::OK, &Value::Array(body));
    let headers = response.headers_mut();
    headers.insert("x-total-count", HeaderValue::from(total));
    let link_to = |p: usize| {
        format!(
            "<{}?page={p}&page_size={page_size}&with_tag={with_tag}>",
            req.path
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to(page - 1)));
    }
    if page * page_size < total {
        links.push(format!("{}; rel=\"next\"", link_to(page + 1)));
    }
    if !links.is_empty() {
        headers.insert(
            "link",
            HeaderValue::from_str(&links.join(", ")).expect("link"),
        );
    }
    response
}

async fn delete_tag(
    state: &State,
    shared: &Shared,
    project: &str,
    repository: &str,
    reference: &str,
    tag: &str,
) -> Response {
    let path = format!("{project}/{repository}");
    let Some(artifact) = shared.upstream.head(&path, reference).await else {
        return errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("artifact {path}@{reference} not found"),
        );
    };
    let on_artifact = shared
        .upstream
        .head(&path, tag)
        .await
        .is_some_and(|h| h.digest == artifact.digest);
    if !on_artifact {
        return errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "tag {tag} attached to artifact {} not found",
                artifact.digest
            ),
        );
    }
    if state.immutable.lock().unwrap().contains(tag) {
        return errors(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION",
            &format!("the tag {tag} is immutable, cannot be deleted"),
        );
    }
    shared.upstream.untag(&path, tag).await;
    state
        .tag_pushed
        .lock()
        .unwrap()
        .remove(&(path, tag.to_string()));
    front::empty(StatusCode::OK)
}

/// Harbor's artifact delete: the artifact with its tags, its accessories
/// and the untagged children that nothing else lists.
async fn delete_artifact(
    state: &State,
    shared: &Shared,
    project: &str,
    repository: &str,
    reference: &str,
) -> Response {
    let path = format!("{project}/{repository}");
    let not_found = || {
        errors(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("artifact {path}@{reference} not found"),
        )
    };
    let Some(head) = shared.upstream.head(&path, reference).await else {
        return not_found();
    };
    let Some(every) = manifests(state, shared, &path).await else {
        return not_found();
    };
    let Some(root) = every.iter().find(|a| a.digest == head.digest) else {
        return not_found();
    };
    if every.iter().any(|p| p.children.contains(&root.digest)) {
        return errors(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION",
            "the deleting artifact is referenced by others",
        );
    }
    let immutable = state.immutable.lock().unwrap().clone();
    if let Some((tag, _)) = root.tags.iter().find(|(t, _)| immutable.contains(t)) {
        return errors(
            StatusCode::PRECONDITION_FAILED,
            "PRECONDITION",
            &format!("the artifact has the immutable tag {tag}, cannot be deleted"),
        );
    }
    // The artifact, then what goes with it, until nothing more does.
    let mut gone: HashSet<String> = HashSet::from([root.digest.clone()]);
    loop {
        let more: Vec<String> = every
            .iter()
            .filter(|a| !gone.contains(&a.digest))
            .filter(|a| {
                let accessory = a.subject.as_ref().is_some_and(|s| gone.contains(s));
                let orphan = a.tags.is_empty()
                    && every
                        .iter()
                        .any(|p| gone.contains(&p.digest) && p.children.contains(&a.digest))
                    && !every
                        .iter()
                        .any(|p| !gone.contains(&p.digest) && p.children.contains(&a.digest));
                accessory || orphan
            })
            .map(|a| a.digest.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        gone.extend(more);
    }
    for digest in &gone {
        let status = shared.upstream.delete(&path, digest).await;
        assert!(status.is_success(), "upstream delete {digest}: {status}");
    }
    front::empty(StatusCode::OK)
}
