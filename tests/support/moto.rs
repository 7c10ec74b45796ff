//! `moto_server` (the ECR API of the moto project) on a loopback port, and a
//! small proxy of ours in front of it that berth is pointed at.
//!
//! The proxy logs every call (operation, signature headers, body), pages
//! `ListImages` (moto ignores `maxResults` and `nextToken`, and the
//! `tagStatus` filter), and answers with ECR's throttling error on request.
//! Seeding talks to moto directly, so it stays out of the log.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use tokio::task::JoinHandle;

use super::Registry;
use super::image::{IMAGE_INDEX, IMAGE_MANIFEST, Image, Pushed, index, sha256};
use super::seen::{Log, Seen};
use super::server::{Launch, Server};
use super::store::Store;
use super::{client, runtime};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";
/// moto's default account, which its repositories belong to.
pub const ACCOUNT: &str = "123456789012";
/// The registry host of that account in moto's default region.
pub const REGISTRY: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

/// Keys berth signs with.
pub const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// An unsigned `Authorization` for seeding: moto does not check
/// signatures, but reads the service and region from the scope.
const SEEDER_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
Credential=AKIDSEEDER/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0";

/// One call the proxy received.
#[derive(Clone, Debug)]
pub struct AwsCall {
    /// `ListImages`, from `X-Amz-Target`.
    pub operation: String,
    pub authorization: Option<String>,
    pub amz_date: Option<String>,
    pub security_token: Option<String>,
    pub content_type: Option<String>,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub raw_body: Vec<u8>,
    pub status: u16,
}

impl From<Seen> for AwsCall {
    fn from(seen: Seen) -> AwsCall {
        let header = |name: &str| seen.header(name).map(String::from);
        AwsCall {
            operation: header("x-amz-target")
                .map(|t| t.strip_prefix(TARGET_PREFIX).unwrap_or(&t).to_string())
                .unwrap_or_default(),
            authorization: seen.authorization.clone(),
            amz_date: header("x-amz-date"),
            security_token: header("x-amz-security-token"),
            content_type: header("content-type"),
            headers: seen
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: serde_json::from_slice(&seen.body).unwrap_or(Value::Null),
            raw_body: seen.body.to_vec(),
            status: seen.status,
        }
    }
}

impl AwsCall {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `Authorization` is a SigV4 signature, by `secret`, of this
    /// request as it arrived: the headers it names with the values received
    /// and the body received. A second implementation of the algorithm,
    /// written from the AWS documentation.
    pub fn signature_is_valid(&self, secret: &str) -> bool {
        let Some(authorization) = &self.authorization else {
            return false;
        };
        let Some(rest) = authorization.strip_prefix("AWS4-HMAC-SHA256 Credential=") else {
            return false;
        };
        let Some((credential, rest)) = rest.split_once(", SignedHeaders=") else {
            return false;
        };
        let Some((signed, signature)) = rest.split_once(", Signature=") else {
            return false;
        };
        let Some((_, scope)) = credential.split_once('/') else {
            return false;
        };
        let scope_parts: Vec<&str> = scope.split('/').collect();
        let (Some(date), Some(amz_date)) = (scope_parts.first(), self.header("x-amz-date")) else {
            return false;
        };
        let mut canonical_headers = String::new();
        for name in signed.split(';') {
            let Some(value) = self.header(name) else {
                return false;
            };
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            canonical_headers += &format!("{name}:{value}\n");
        }
        let canonical = format!(
            "POST\n/\n\n{canonical_headers}\n{signed}\n{}",
            hex::encode(Sha256::digest(&self.raw_body))
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        for part in &scope_parts[1..] {
            key = hmac(&key, part.as_bytes());
        }
        hex::encode(hmac(&key, to_sign.as_bytes())) == signature
    }
}

/// HMAC-SHA256 (RFC 2104) for keys of at most one block.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A running moto and its proxy; both stop when this is dropped.
pub struct Moto {
    server: Server,
    proxy_url: String,
    state: Arc<ProxyState>,
    task: JoinHandle<()>,
    // Moto's log; removed after the server is gone.
    _dir: TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let dir = tempfile::tempdir().expect("create a moto directory");
        let launch = Launch {
            program: "moto_server",
            install: "run `.ci/run`, or `pip install \"moto[server]\"`",
            log: dir.path().join("moto.log"),
            probe: "/moto-api/",
            ready: |_| true,
            ready_within: STARTUP_TIMEOUT,
        };
        let server = launch.start(|port| {
            let mut command = Command::new("moto_server");
            command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            command
        });
        let (proxy_url, state, task) = start_proxy(server.port);
        Moto {
            server,
            proxy_url,
            state,
            task,
            _dir: dir,
        }
    }

    /// Where berth sends its ECR calls (`AWS_ENDPOINT_URL_ECR`): the proxy.
    pub fn endpoint(&self) -> String {
        self.proxy_url.clone()
    }

    /// Calls moto directly; panics unless it answers 200.
    pub fn call(&self, operation: &str, body: Value) -> Value {
        let (status, answer) = self.try_call(operation, body);
        assert_eq!(status, 200, "moto {operation}: {answer}");
        answer
    }

    /// Calls moto directly: the status and the JSON answer.
    pub fn try_call(&self, operation: &str, body: Value) -> (u16, Value) {
        runtime().block_on(self.ask(operation, body))
    }

    /// [`Moto::try_call`] for a server of ours running on the runtime (the
    /// ECR registry's fake, which keeps its manifests here as ECR does).
    pub async fn ask(&self, operation: &str, body: Value) -> (u16, Value) {
        let url = format!("http://127.0.0.1:{}/", self.server.port);
        let response = client()
            .post(url)
            .header("x-amz-target", format!("{TARGET_PREFIX}{operation}"))
            .header("content-type", "application/x-amz-json-1.1")
            // moto picks the service and region from the credential scope.
            .header("authorization", SEEDER_AUTHORIZATION)
            .body(body.to_string())
            .send()
            .await
            .expect("call moto");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("read moto's answer");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Where the ECR bed's registry endpoint keeps blobs: from now on a
    /// `PutImage` naming a blob missing there is refused, as ECR does.
    pub fn keep_blobs_in(&self, registry: &Registry) {
        let _ = self.state.blobs.set(registry.url());
    }

    /// What ECR would refuse `PutImage` with `request` for, if anything.
    pub async fn refusal(&self, request: &Value) -> Option<(String, String)> {
        refusal(&self.state, "PutImage", request).await
    }

    /// The registry passwords moto gave berth (through the proxy) in its
    /// `GetAuthorizationToken` answers.
    pub fn issued(&self) -> Vec<String> {
        self.state.issued.lock().unwrap().iter().cloned().collect()
    }

    pub fn create_repository(&self, name: &str) {
        self.call("CreateRepository", json!({ "repositoryName": name }));
    }

    /// Every tag of `repository` and its digest, as moto holds them.
    pub fn digests(&self, repository: &str) -> BTreeMap<String, String> {
        let (status, answer) = self.try_call("ListImages", json!({ "repositoryName": repository }));
        if status != 200 {
            return BTreeMap::new();
        }
        answer["imageIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| {
                Some((
                    id["imageTag"].as_str()?.to_string(),
                    id["imageDigest"].as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// The manifest `reference` (a tag or digest) names, as moto returns
    /// it, and its media type.
    pub fn manifest(&self, repository: &str, reference: &str) -> Option<(String, String)> {
        let id = if reference.starts_with("sha256:") {
            json!({ "imageDigest": reference })
        } else {
            json!({ "imageTag": reference })
        };
        let (status, answer) = self.try_call(
            "BatchGetImage",
            json!({ "repositoryName": repository, "imageIds": [id] }),
        );
        if status != 200 {
            return None;
        }
        // What moto did not find is under `failures`, not `images`.
        let image = &answer["images"][0];
        Some((
            image["imageManifest"].as_str()?.into(),
            image["imageManifestMediaType"].as_str()?.into(),
        ))
    }

    /// Stores `manifest` under `tag`, or untagged, creating the repository
    /// if need be. The digest is given, as moto derives another one from the
    /// layers otherwise.
    fn put(&self, repository: &str, tag: Option<&str>, manifest: &[u8], media_type: &str) {
        let (status, answer) =
            self.try_call("CreateRepository", json!({ "repositoryName": repository }));
        let exists = answer["__type"] == "RepositoryAlreadyExistsException";
        assert!(status == 200 || exists, "moto CreateRepository: {answer}");
        let mut image = json!({
            "repositoryName": repository,
            "imageManifest": std::str::from_utf8(manifest).expect("a UTF-8 manifest"),
            "imageManifestMediaType": media_type,
            "imageDigest": sha256(manifest),
        });
        if let Some(tag) = tag {
            image["imageTag"] = json!(tag);
        }
        self.call("PutImage", image);
    }

    /// Pages `ListImages` answers: at most `size` ids a page (fewer when
    /// the client asks for fewer), `nextToken` to go on.
    pub fn page_size(&self, size: usize) {
        *self.state.page_size.lock().unwrap() = Some(size);
    }

    /// Answers the next `times` calls of `operation` with ECR's throttling
    /// error (HTTP 400, `ThrottlingException`).
    pub fn throttle(&self, operation: &str, times: usize) {
        self.fail(operation, times, "ThrottlingException", "Rate exceeded");
    }

    /// Answers the next `times` calls of `operation` with an AWS JSON error
    /// of type `error` (HTTP 400) instead of asking moto.
    pub fn fail(&self, operation: &str, times: usize, error: &str, message: &str) {
        self.state.failing.lock().unwrap().insert(
            operation.to_string(),
            (times, error.to_string(), message.to_string()),
        );
    }

    pub fn calls(&self) -> Vec<AwsCall> {
        self.requests().into_iter().map(AwsCall::from).collect()
    }

    /// The calls as plain requests.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.log.all()
    }

    /// The operations called, in order.
    pub fn operations(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.operation).collect()
    }

    pub fn clear_calls(&self) {
        self.state.log.clear();
    }
}

/// moto as the store of ECR repositories; it keeps manifests only, so an
/// image's blobs are never pushed.
impl Store for Moto {
    fn push_image(&self, repo: &str, tag: Option<&str>, image: &Image) -> Pushed {
        let manifest = image.encode().manifest;
        self.put(repo, tag, &manifest, IMAGE_MANIFEST);
        Pushed::image(&manifest, image)
    }

    fn push_index(&self, repo: &str, tag: Option<&str>, children: &[Pushed]) -> Pushed {
        let index = index(children);
        self.put(repo, tag, &index, IMAGE_INDEX);
        Pushed::new(&index, IMAGE_INDEX)
    }

    fn push_blob(&self, _repo: &str, _data: &[u8]) -> String {
        panic!("moto serves ECR's API, which stores no blobs")
    }

    fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed {
        self.put(repo, tag, bytes, media_type);
        Pushed::new(bytes, media_type)
    }

    fn tag(&self, repo: &str, reference: &str, tag: &str) -> Pushed {
        let (manifest, media_type) = self
            .manifest(repo, reference)
            .unwrap_or_else(|| panic!("{reference} is not in {repo}"));
        self.put(repo, Some(tag), manifest.as_bytes(), &media_type);
        Pushed::new(manifest.as_bytes(), &media_type)
    }

    fn tags(&self, repo: &str) -> Vec<String> {
        self.digests(repo).into_keys().collect()
    }

    fn digest(&self, repo: &str, reference: &str) -> Option<String> {
        let (manifest, _) = self.manifest(repo, reference)?;
        Some(sha256(manifest.as_bytes()))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct ProxyState {
    moto: String,
    page_size: Mutex<Option<usize>>,
    /// Operation → (calls left to fail, error type, message).
    failing: Mutex<HashMap<String, (usize, String, String)>>,
    /// Registry passwords moto's `GetAuthorizationToken` answers carried.
    issued: Mutex<HashSet<String>>,
    /// The URL of the registry that holds the repositories' blobs.
    blobs: OnceLock<String>,
    log: Log,
}

fn start_proxy(moto_port: u16) -> (String, Arc<ProxyState>, JoinHandle<()>) {
    let state = Arc::new(ProxyState {
        moto: format!("http://127.0.0.1:{moto_port}"),
        page_size: Mutex::default(),
        failing: Mutex::default(),
        issued: Mutex::default(),
        blobs: OnceLock::new(),
        log: Log::default(),
    });
    let app = Router::new().fallback(handle).with_state(state.clone());
    let listener = runtime()
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind the moto proxy");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    let task = runtime().spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("serve the moto proxy");
    });
    (url, state, task)
}

async fn handle(
    State(state): State<Arc<ProxyState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .map(|t| t.strip_prefix(TARGET_PREFIX).unwrap_or(t).to_string())
        .unwrap_or_default();
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let failure = {
        let mut failing = state.failing.lock().unwrap();
        match failing.get_mut(&operation) {
            Some((left, error, message)) if *left > 0 => {
                *left -= 1;
                Some((error.clone(), message.clone()))
            }
            _ => None,
        }
    };
    let failure = match failure {
        Some(failure) => Some(failure),
        None => refusal(&state, &operation, &request).await,
    };
    let page_size = *state.page_size.lock().unwrap();
    let (status, answer) = if let Some((error, message)) = &failure {
        let body = json!({"__type": error, "message": message});
        (400, body.to_string().into_bytes())
    } else if operation == "ListImages" && page_size.is_some() {
        list_page(&state, &uri, &headers, &request, page_size.unwrap_or(1000)).await
    } else {
        forward(&state, &uri, &headers, body.to_vec()).await
    };
    if operation == "GetAuthorizationToken" && status == 200 {
        record_passwords(&state, &answer);
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    state
        .log
        .record(Seen::new(method, path, headers, body, status));
    let mut response = (StatusCode::from_u16(status).unwrap(), answer).into_response();
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Some(value) = failure.and_then(|(error, _)| HeaderValue::from_str(&error).ok()) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

/// ECR's refusal of a `PutImage` whose manifest names what the repository
/// lacks, once blobs are kept in a registry: `LayersNotFoundException` for
/// a config or layer, `ReferencedImagesNotFoundException` for a manifest
/// an index lists.
async fn refusal(state: &ProxyState, operation: &str, request: &Value) -> Option<(String, String)> {
    let registry = state.blobs.get().filter(|_| operation == "PutImage")?;
    let repository = request["repositoryName"].as_str()?;
    let manifest: Value = serde_json::from_str(request["imageManifest"].as_str()?).ok()?;
    let digests = |list: &Value| -> Vec<String> {
        let list = list.as_array().into_iter().flatten();
        list.filter_map(|d| d["digest"].as_str().map(String::from))
            .collect()
    };
    let mut blobs = digests(&manifest["layers"]);
    blobs.extend(manifest["config"]["digest"].as_str().map(String::from));
    let mut missing = Vec::new();
    for digest in blobs {
        let url = format!("{registry}/v2/{repository}/blobs/{digest}");
        let found = client().head(url).send().await.expect("ask the registry");
        if !found.status().is_success() {
            missing.push(digest);
        }
    }
    if !missing.is_empty() {
        return Some((
            "LayersNotFoundException".into(),
            format!(
                "Layers with digests '{missing:?}' required for pushing image into repository \
                 with name '{repository}' in the registry with id '{ACCOUNT}' do not exist"
            ),
        ));
    }
    for child in digests(&manifest["manifests"]) {
        let ask = json!({ "repositoryName": repository, "imageIds": [{ "imageDigest": child }] });
        let uri = Uri::from_static("/");
        let mut headers = HeaderMap::new();
        let target = format!("{TARGET_PREFIX}BatchGetImage");
        headers.insert("x-amz-target", HeaderValue::from_str(&target).unwrap());
        headers.insert(
            "authorization",
            HeaderValue::from_static(SEEDER_AUTHORIZATION),
        );
        let (_, answer) = forward(state, &uri, &headers, ask.to_string().into_bytes()).await;
        let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
        if answer["images"].as_array().is_none_or(Vec::is_empty) {
            return Some((
                "ReferencedImagesNotFoundException".into(),
                format!("The manifest list references image {child}, which does not exist"),
            ));
        }
    }
    None
}

/// The passwords of the `AWS:<password>` tokens an answer carries.
fn record_passwords(state: &ProxyState, answer: &[u8]) {
    let answer: Value = serde_json::from_slice(answer).unwrap_or(Value::Null);
    let tokens = answer["authorizationData"].as_array().into_iter().flatten();
    for token in tokens.filter_map(|d| d["authorizationToken"].as_str()) {
        let decoded = STANDARD.decode(token).ok();
        let text = decoded.and_then(|b| String::from_utf8(b).ok());
        if let Some(password) = text.as_deref().and_then(|t| t.strip_prefix("AWS:")) {
            state.issued.lock().unwrap().insert(password.to_string());
        }
    }
}

async fn forward(
    state: &ProxyState,
    uri: &Uri,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = client().post(format!("{}{path}", state.moto)).body(body);
    for (name, value) in headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            (status, body)
        }
        Err(err) => (502, format!("moto proxy: {err}").into_bytes()),
    }
}

/// `ListImages` as ECR pages it: tagged images only (with the filter), at
/// most `maxResults` (and the proxy's page size), `nextToken` to go on.
async fn list_page(
    state: &ProxyState,
    uri: &Uri,
    headers: &HeaderMap,
    request: &Value,
    page_size: usize,
) -> (u16, Vec<u8>) {
    let mut whole = request.clone();
    if let Some(fields) = whole.as_object_mut() {
        fields.remove("maxResults");
        fields.remove("nextToken");
    }
    let (status, body) = forward(state, uri, headers, whole.to_string().into_bytes()).await;
    if status != 200 {
        return (status, body);
    }
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let tagged_only = request["filter"]["tagStatus"] == "TAGGED";
    let mut ids: Vec<Value> = answer["imageIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|id| !tagged_only || id["imageTag"].is_string())
        .cloned()
        .collect();
    ids.sort_by_key(|id| id["imageTag"].as_str().unwrap_or_default().to_string());
    let start = match request["nextToken"].as_str() {
        None => 0,
        Some(token) => match token.strip_prefix("page-").and_then(|n| n.parse().ok()) {
            Some(start) => start,
            None => {
                let error = json!({
                    "__type": "InvalidParameterException",
                    "message": "Invalid parameter at 'nextToken'",
                });
                return (400, error.to_string().into_bytes());
            }
        },
    };
    let asked = request["maxResults"].as_u64().map_or(100, |n| n as usize);
    let end = (start + asked.min(page_size)).min(ids.len());
    let start = start.min(end);
    let mut page = json!({ "imageIds": ids[start..end] });
    if end < ids.len() {
        page["nextToken"] = Value::String(format!("page-{end}"));
    }
    (200, page.to_string().into_bytes())
}
