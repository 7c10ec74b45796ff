//! What a vendor fake asks of the real distribution registry behind it: tags,
//! digests, deletes, removing one tag, and forwarding `/v2/` requests.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use reqwest::Client;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const EMPTY: &[u8] = b"{}";

/// A manifest as a `HEAD` reports it.
#[derive(Clone, Debug)]
pub struct Head {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
}

#[derive(Clone)]
pub struct Upstream {
    /// `http://127.0.0.1:PORT`
    base: String,
    client: Client,
}

impl Upstream {
    pub fn new(registry_url: &str) -> Upstream {
        Upstream {
            base: registry_url.trim_end_matches('/').to_string(),
            client: super::super::client(),
        }
    }

    /// The repository's tags, sorted; `None` when it does not exist.
    pub async fn tags(&self, repo: &str) -> Option<Vec<String>> {
        let url = format!("{}/v2/{repo}/tags/list", self.base);
        let response = self
            .client
            .get(url)
            .send()
            .await
            .expect("list upstream tags");
        if response.status() == StatusCode::NOT_FOUND {
            return None;
        }
        assert!(
            response.status().is_success(),
            "upstream tag list: {}",
            response.status()
        );
        let body: Value = serde_json::from_slice(&response.bytes().await.expect("read tags"))
            .expect("tag list JSON");
        let mut tags: Vec<String> = body["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(String::from))
            .collect();
        tags.sort();
        Some(tags)
    }

    /// Every repository in the registry, sorted (one catalog page: the
    /// fakes serve registries of fewer than 1000).
    pub async fn catalog(&self) -> Vec<String> {
        let url = format!("{}/v2/_catalog?n=1000", self.base);
        let response = self.client.get(url).send().await.expect("upstream catalog");
        assert!(
            response.status().is_success(),
            "upstream catalog: {}",
            response.status()
        );
        let body: Value = serde_json::from_slice(&response.bytes().await.expect("read catalog"))
            .expect("catalog JSON");
        let mut repositories: Vec<String> = body["repositories"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(String::from))
            .collect();
        repositories.sort();
        repositories
    }

    /// What `reference` points at; `None` when nothing.
    pub async fn head(&self, repo: &str, reference: &str) -> Option<Head> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let response = self
            .client
            .head(url)
            .header("accept", ACCEPT_MANIFESTS)
            .send()
            .await
            .expect("HEAD upstream manifest");
        if !response.status().is_success() {
            return None;
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        Some(Head {
            digest: header("docker-content-digest"),
            media_type: header("content-type"),
            size: header("content-length").parse().unwrap_or(0),
        })
    }

    /// The manifest `reference` names, as JSON; `None` when nothing.
    pub async fn document(&self, repo: &str, reference: &str) -> Option<Value> {
        let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
        let response = self
            .client
            .get(url)
            .header("accept", ACCEPT_MANIFESTS)
            .send()
            .await
            .expect("GET upstream manifest");
        if !response.status().is_success() {
            return None;
        }
        serde_json::from_slice(&response.bytes().await.ok()?).ok()
    }

    /// `DELETE /v2/<repo>/manifests/<digest>`: the manifest and every tag on it.
    pub async fn delete(&self, repo: &str, digest: &str) -> StatusCode {
        let url = format!("{}/v2/{repo}/manifests/{digest}", self.base);
        self.client
            .delete(url)
            .send()
            .await
            .expect("DELETE upstream manifest")
            .status()
    }

    /// Removes `tag` alone, as distribution 2.8 allows: the tag is moved to a
    /// manifest of its own, which is then deleted. Every other tag, and the
    /// manifest the tag was on, stay.
    pub async fn untag(&self, repo: &str, tag: &str) {
        let empty = format!("sha256:{}", hex::encode(Sha256::digest(EMPTY)));
        self.upload(repo, EMPTY, &empty).await;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [],
            "annotations": {"test.fake.untag": format!("{tag} {nanos}")},
        })
        .to_string();
        let digest = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(manifest.as_bytes()))
        );
        let url = format!("{}/v2/{repo}/manifests/{tag}", self.base);
        let response = self
            .client
            .put(url)
            .header("content-type", OCI_MANIFEST)
            .body(manifest)
            .send()
            .await
            .expect("PUT throwaway manifest");
        assert_eq!(response.status(), StatusCode::CREATED, "push the throwaway");
        let deleted = self.delete(repo, &digest).await;
        assert_eq!(deleted, StatusCode::ACCEPTED, "delete the throwaway");
    }

    async fn upload(&self, repo: &str, data: &[u8], digest: &str) {
        let blob = format!("{}/v2/{repo}/blobs/{digest}", self.base);
        let head = self.client.head(blob).send().await.expect("HEAD blob");
        if head.status().is_success() {
            return;
        }
        let start = format!("{}/v2/{repo}/blobs/uploads/", self.base);
        let started = self.client.post(start).send().await.expect("start upload");
        let location = started.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        let mut url = reqwest::Url::parse(&self.base)
            .expect("base URL")
            .join(&location)
            .expect("upload URL");
        url.query_pairs_mut().append_pair("digest", digest);
        let done = self
            .client
            .put(url)
            .header("content-type", "application/octet-stream")
            .body(data.to_vec())
            .send()
            .await
            .expect("finish upload");
        assert_eq!(done.status(), StatusCode::CREATED, "upload the empty blob");
    }

    /// Sends a request on to the registry as it came, `Host` included (so the
    /// upload locations distribution builds point back at the fake).
    pub async fn forward(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let url = format!("{}{path_and_query}", self.base);
        let mut request = self.client.request(method, url).body(body);
        for (name, value) in headers {
            if name != "connection" && name != "content-length" && name != "transfer-encoding" {
                request = request.header(name, value);
            }
        }
        let response = request.send().await.expect("forward to the registry");
        let status = response.status();
        let mut headers = response.headers().clone();
        headers.remove("connection");
        headers.remove("transfer-encoding");
        let body = response.bytes().await.expect("read the registry's answer");
        (status, headers, body)
    }
}
