//! ECR's registry endpoint (`<account>.dkr.ecr.<region>.amazonaws.com`): the
//! OCI API as ECR serves it, in front of a real distribution for blobs.
//!
//! - Only `Authorization: Basic base64(AWS:<password>)` passes, where the
//!   password is one moto's `GetAuthorizationToken` gave berth; anything
//!   else is 401 with ECR's Basic challenge and its `DENIED` error.
//! - A repository must exist in the ECR API (`NAME_UNKNOWN` otherwise).
//! - Manifests and tags live in moto, as ECR keeps one store for its API and
//!   its registry: a manifest pushed here is a `PutImage` (so its tag is in
//!   `ListImages`), one read here is a `BatchGetImage`. A manifest naming
//!   what the repository lacks is refused, as `PutImage` refuses it.
//! - Blobs (uploads, reads, existence) go to distribution.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::image::{Image, Pushed, sha256};
use super::super::moto::{ACCOUNT, Moto, REGISTRY};
use super::super::seen::Seen;
use super::super::store::Store;
use super::super::tunnel::Tunnel;
use super::super::{Registry, Seeder};
use super::front::{self, Front, Incoming, Shared};

/// What ECR says to a request without a valid registry token.
const DENIED: &str = "Your authorization token has expired. Reauthenticate and try again.";

pub struct EcrFake {
    front: Front,
    tunnel: Tunnel,
}

impl EcrFake {
    pub fn start(registry: &Registry, moto: &Arc<Moto>) -> EcrFake {
        let front = Front::with_state(registry, None, moto, |moto, shared, request| async move {
            if !(request.path.starts_with("/v2/") || request.path == "/v2") {
                return Err(request);
            }
            Ok(answer(&moto, &shared, request).await)
        });
        let addr = front.addr().parse().expect("the front's address");
        let tunnel = Tunnel::start(REGISTRY, addr);
        EcrFake { front, tunnel }
    }

    /// `http://127.0.0.1:PORT`, the plain front, for a test's own requests.
    pub fn url(&self) -> String {
        self.front.url()
    }

    /// The HTTPS proxy (`HTTPS_PROXY`) that reaches the front at the ECR
    /// host's name over TLS.
    pub fn proxy_url(&self) -> String {
        self.tunnel.url()
    }

    /// The CA of the host's certificate (`BERTH_CA_FILE`).
    pub fn ca(&self) -> PathBuf {
        self.tunnel.ca()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.front.requests()
    }

    pub fn clear_requests(&self) {
        self.front.clear_requests();
    }
}

async fn answer(moto: &Moto, shared: &Shared, mut request: Incoming) -> Response {
    let token = request.basic();
    if !token.is_some_and(|(user, password)| user == "AWS" && moto.issued().contains(&password)) {
        return denied();
    }
    // Distribution behind is anonymous; the token was ours to check. The
    // request came over TLS, so the upload URLs it makes are https ones.
    request.headers.remove(header::AUTHORIZATION);
    request
        .headers
        .insert("x-forwarded-proto", HeaderValue::from_static("https"));
    let Some((name, rest)) = split(&request.path) else {
        return front::forward(shared, request).await;
    };
    let (name, rest) = (name.to_string(), rest.to_string());
    if !repository_exists(moto, &name).await {
        return error(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            &format!(
                "The repository with name '{name}' does not exist in the registry with id '{ACCOUNT}'"
            ),
        );
    }
    if let Some(reference) = rest.strip_prefix("manifests/") {
        let reference = reference.to_string();
        return match request.method {
            Method::GET | Method::HEAD => get_manifest(moto, &name, &reference, &request).await,
            Method::PUT => put_manifest(moto, &name, &reference, &request).await,
            Method::DELETE => delete_manifest(moto, &name, &reference).await,
            _ => error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "The operation is unsupported.",
            ),
        };
    }
    if rest == "tags/list" && request.method == Method::GET {
        return tags(moto, &name).await;
    }
    front::forward(shared, request).await
}

/// `/v2/<name>/<rest>`, split where the repository name ends.
fn split(path: &str) -> Option<(&str, &str)> {
    let tail = path.strip_prefix("/v2/")?;
    let end = ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
        .iter()
        .filter_map(|marker| tail.find(marker))
        .min()?;
    Some((&tail[..end], &tail[end + 1..]))
}

async fn repository_exists(moto: &Moto, name: &str) -> bool {
    let (status, _) = moto
        .ask("DescribeRepositories", json!({ "repositoryNames": [name] }))
        .await;
    status == 200
}

fn image_id(reference: &str) -> Value {
    if reference.starts_with("sha256:") {
        json!({ "imageDigest": reference })
    } else {
        json!({ "imageTag": reference })
    }
}

async fn get_manifest(moto: &Moto, name: &str, reference: &str, request: &Incoming) -> Response {
    let (status, answer) = moto
        .ask(
            "BatchGetImage",
            json!({ "repositoryName": name, "imageIds": [image_id(reference)] }),
        )
        .await;
    let image = &answer["images"][0];
    let (Some(text), 200) = (image["imageManifest"].as_str(), status) else {
        return error(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            "Requested image not found",
        );
    };
    let media_type = image["imageManifestMediaType"].as_str().unwrap_or_default();
    let body = if request.method == Method::HEAD {
        Vec::new()
    } else {
        text.as_bytes().to_vec()
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
    headers.insert(
        "docker-content-digest",
        HeaderValue::from_str(&sha256(text.as_bytes())).expect("digest"),
    );
    if let Ok(value) = HeaderValue::from_str(media_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}

async fn put_manifest(moto: &Moto, name: &str, reference: &str, request: &Incoming) -> Response {
    let Ok(text) = std::str::from_utf8(&request.body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "MANIFEST_INVALID",
            "manifest invalid",
        );
    };
    let manifest: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let digest = sha256(&request.body);
    let media_type = request
        .header("content-type")
        .map(String::from)
        .or_else(|| manifest["mediaType"].as_str().map(String::from))
        .unwrap_or_default();
    let mut image = json!({
        "repositoryName": name,
        "imageManifest": text,
        "imageManifestMediaType": media_type,
        "imageDigest": digest,
    });
    if reference.starts_with("sha256:") {
        if reference != digest {
            return error(
                StatusCode::BAD_REQUEST,
                "DIGEST_INVALID",
                "provided digest did not match uploaded content",
            );
        }
    } else {
        image["imageTag"] = json!(reference);
    }
    if let Some((_, message)) = moto.refusal(&image).await {
        return error(StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN", &message);
    }
    let (status, answer) = moto.ask("PutImage", image).await;
    let same = answer["__type"] == "ImageAlreadyExistsException";
    if status != 200 && !same {
        return error(
            StatusCode::BAD_REQUEST,
            "MANIFEST_INVALID",
            &answer["message"].to_string(),
        );
    }
    let mut response = StatusCode::CREATED.into_response();
    let headers = response.headers_mut();
    let location = format!("/v2/{name}/manifests/{digest}");
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("location"),
    );
    headers.insert(
        "docker-content-digest",
        HeaderValue::from_str(&digest).expect("digest"),
    );
    response
}

async fn delete_manifest(moto: &Moto, name: &str, reference: &str) -> Response {
    let (status, answer) = moto
        .ask(
            "BatchDeleteImage",
            json!({ "repositoryName": name, "imageIds": [image_id(reference)] }),
        )
        .await;
    let deleted = answer["imageIds"]
        .as_array()
        .is_some_and(|ids| !ids.is_empty());
    if status == 200 && deleted {
        StatusCode::ACCEPTED.into_response()
    } else {
        error(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            "Requested image not found",
        )
    }
}

async fn tags(moto: &Moto, name: &str) -> Response {
    let (_, answer) = moto
        .ask("ListImages", json!({ "repositoryName": name }))
        .await;
    let mut tags: Vec<&str> = answer["imageIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id["imageTag"].as_str())
        .collect();
    tags.sort_unstable();
    tags.dedup();
    front::json_response(StatusCode::OK, &json!({ "name": name, "tags": tags }))
}

/// 401 with ECR's Basic challenge and its error.
fn denied() -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, "DENIED", DENIED);
    let challenge = format!(r#"Basic realm="https://{REGISTRY}/",service="ecr.amazonaws.com""#);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&challenge).expect("challenge"),
    );
    response
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    front::json_response(
        status,
        &json!({ "errors": [{ "code": code, "message": message }] }),
    )
}

/// What the ECR bed holds, seeded as a push to ECR leaves it: blobs in the
/// registry behind the endpoint, manifests and tags in moto.
pub struct EcrStore {
    pub moto: Arc<Moto>,
    pub blobs: Seeder,
}

impl Store for EcrStore {
    fn push_image(&self, repo: &str, tag: Option<&str>, image: &Image) -> Pushed {
        for blob in image.encode().blobs {
            self.blobs.push_blob(repo, &blob);
        }
        self.moto.push_image(repo, tag, image)
    }

    fn push_index(&self, repo: &str, tag: Option<&str>, children: &[Pushed]) -> Pushed {
        self.moto.push_index(repo, tag, children)
    }

    fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        self.blobs.push_blob(repo, data)
    }

    fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed {
        self.moto.push_manifest(repo, tag, media_type, bytes)
    }

    fn tag(&self, repo: &str, reference: &str, tag: &str) -> Pushed {
        self.moto.tag(repo, reference, tag)
    }

    fn tags(&self, repo: &str) -> Vec<String> {
        self.moto.tags(repo)
    }

    fn digest(&self, repo: &str, reference: &str) -> Option<String> {
        self.moto.digest(repo, reference)
    }
}
