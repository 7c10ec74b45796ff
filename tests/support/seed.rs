//! Pushes content to a registry over the OCI distribution API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, USER_AGENT, WWW_AUTHENTICATE};
use reqwest::{Client, RequestBuilder, Response, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::image::{IMAGE_INDEX, IMAGE_MANIFEST, Image, Pushed, index, seeded_tags, sha256};
use super::seen::SEEDER_AGENT;
use super::{client, runtime};

/// Every manifest type distribution 2.8 serves; without the OCI ones it
/// answers 404 for OCI manifests.
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";
/// Parallel requests in `seed_tags`.
const PARALLELISM: usize = 16;

/// Pushes and reads content. Cloning is cheap and shares the token cache.
#[derive(Clone)]
pub struct Seeder {
    client: Client,
    base: Url,
    auth: Auth,
    /// Bearer token per repository.
    tokens: Arc<Mutex<HashMap<String, String>>>,
}

#[derive(Clone)]
enum Auth {
    /// Asks the token server named by the registry's challenge, with Basic
    /// credentials or anonymously.
    Challenge(Option<(String, String)>),
    /// Mints a token for a scope without asking any server.
    Minter(Arc<dyn Fn(&str) -> String + Send + Sync>),
}

impl Seeder {
    /// A seeder for the registry at `registry_url` that asks for tokens
    /// anonymously when challenged.
    pub fn new(registry_url: &str) -> Seeder {
        Seeder {
            client: client(),
            base: Url::parse(registry_url).expect("registry URL"),
            auth: Auth::Challenge(None),
            tokens: Arc::default(),
        }
    }

    /// Answers the registry's Bearer challenge with these credentials.
    pub fn basic(mut self, user: &str, password: &str) -> Seeder {
        self.auth = Auth::Challenge(Some((user.into(), password.into())));
        self
    }

    pub(super) fn with_minter(
        mut self,
        mint: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Seeder {
        self.auth = Auth::Minter(Arc::new(mint));
        self
    }

    /// Uploads `data` (POST, then a monolithic PUT) and returns its digest.
    pub fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        runtime().block_on(self.upload(repo, data.to_vec()))
    }

    /// Pushes `image` (blobs that are missing, then the manifest) under `tag`,
    /// or by digest only when `tag` is `None`.
    pub fn push_image<'a>(
        &self,
        repo: &str,
        tag: impl Into<Option<&'a str>>,
        image: &Image,
    ) -> Pushed {
        let tag = tag.into();
        let encoded = image.encode();
        runtime().block_on(async {
            for blob in encoded.blobs {
                self.ensure_blob(repo, blob).await;
            }
            self.put_manifest(repo, tag, IMAGE_MANIFEST, encoded.manifest.clone())
                .await;
        });
        Pushed::image(&encoded.manifest, image)
    }

    /// Whether the repository has blob `digest` (a HEAD request).
    pub fn has_blob(&self, repo: &str, digest: &str) -> bool {
        runtime().block_on(async {
            let url = self.url(&format!("/v2/{repo}/blobs/{digest}"));
            let response = self.send(repo, || self.client.head(url.clone())).await;
            response.status() == StatusCode::OK
        })
    }

    /// Pushes `manifest` of `media_type` under `tag`, or by digest.
    pub fn push_manifest<'a>(
        &self,
        repo: &str,
        tag: impl Into<Option<&'a str>>,
        media_type: &str,
        manifest: &[u8],
    ) -> Pushed {
        runtime().block_on(self.put_manifest(repo, tag.into(), media_type, manifest.to_vec()))
    }

    /// Pushes an OCI index over `children` (pushed before, tagged or not).
    pub fn push_index<'a>(
        &self,
        repo: &str,
        tag: impl Into<Option<&'a str>>,
        children: &[Pushed],
    ) -> Pushed {
        runtime().block_on(self.put_manifest(repo, tag.into(), IMAGE_INDEX, index(children)))
    }

    /// Points `tag` at the manifest `reference` (a tag or digest) names.
    pub fn tag(&self, repo: &str, reference: &str, tag: &str) -> Pushed {
        runtime().block_on(async {
            let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
            let response = self
                .send(repo, || {
                    self.client
                        .get(url.clone())
                        .header(ACCEPT, ACCEPT_MANIFESTS)
                })
                .await;
            let response = expect(response, &[StatusCode::OK], "GET manifest").await;
            let media_type = response.headers()[CONTENT_TYPE]
                .to_str()
                .expect("media type")
                .to_string();
            let body = response.bytes().await.expect("read manifest").to_vec();
            self.put_manifest(repo, Some(tag), &media_type, body).await
        })
    }

    /// Creates `count` tags, `tag-0000`, `tag-0001`, …, each on its own
    /// manifest sharing one config and layer. Returns the tags in order.
    pub fn seed_tags(&self, repo: &str, count: usize) -> Vec<String> {
        let seeded = seeded_tags(count);
        runtime().block_on(async {
            for blob in Image::new().encode().blobs {
                self.ensure_blob(repo, blob).await;
            }
            let permits = Arc::new(Semaphore::new(PARALLELISM));
            let mut pushes = JoinSet::new();
            for (tag, image) in &seeded {
                let manifest = image.encode().manifest;
                let (seeder, repo, tag) = (self.clone(), repo.to_string(), tag.clone());
                let permit = permits
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore open");
                pushes.spawn(async move {
                    seeder
                        .put_manifest(&repo, Some(&tag), IMAGE_MANIFEST, manifest)
                        .await;
                    drop(permit);
                });
            }
            while let Some(result) = pushes.join_next().await {
                if let Err(failed) = result {
                    // Fail with the push's own message.
                    std::panic::resume_unwind(failed.into_panic());
                }
            }
        });
        seeded.into_iter().map(|(tag, _)| tag).collect()
    }

    /// The repository's tags, sorted (distribution lists them unsorted);
    /// empty when the repository does not exist.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        runtime().block_on(async {
            let url = self.url(&format!("/v2/{repo}/tags/list"));
            let response = self.send(repo, || self.client.get(url.clone())).await;
            if response.status() == StatusCode::NOT_FOUND {
                return Vec::new();
            }
            let response = expect(response, &[StatusCode::OK], "list tags").await;
            let list = json(response).await;
            let mut tags: Vec<String> = list["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(String::from))
                .collect();
            tags.sort();
            tags
        })
    }

    /// The digest `reference` resolves to, from a HEAD request.
    pub fn digest(&self, repo: &str, reference: &str) -> Option<String> {
        runtime().block_on(async {
            let url = self.url(&format!("/v2/{repo}/manifests/{reference}"));
            let response = self
                .send(repo, || {
                    self.client
                        .head(url.clone())
                        .header(ACCEPT, ACCEPT_MANIFESTS)
                })
                .await;
            if response.status() == StatusCode::NOT_FOUND {
                return None;
            }
            let response = expect(response, &[StatusCode::OK], "HEAD manifest").await;
            let digest = &response.headers()["docker-content-digest"];
            Some(digest.to_str().expect("digest header").to_string())
        })
    }

    async fn ensure_blob(&self, repo: &str, data: Vec<u8>) {
        let url = self.url(&format!("/v2/{repo}/blobs/{}", sha256(&data)));
        let response = self.send(repo, || self.client.head(url.clone())).await;
        if response.status() != StatusCode::OK {
            self.upload(repo, data).await;
        }
    }

    async fn upload(&self, repo: &str, data: Vec<u8>) -> String {
        let digest = sha256(&data);
        let start = self.url(&format!("/v2/{repo}/blobs/uploads/"));
        let response = self.send(repo, || self.client.post(start.clone())).await;
        let response = expect(response, &[StatusCode::ACCEPTED], "start upload").await;
        let location = response.headers()[LOCATION]
            .to_str()
            .expect("upload location");
        // Distribution answers with an absolute URL; a relative one is valid too.
        let mut url = self.base.join(location).expect("upload URL");
        url.query_pairs_mut().append_pair("digest", &digest);
        let response = self
            .send(repo, || {
                self.client
                    .put(url.clone())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .body(data.clone())
            })
            .await;
        expect(response, &[StatusCode::CREATED], "finish upload").await;
        digest
    }

    async fn put_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        body: Vec<u8>,
    ) -> Pushed {
        let pushed = Pushed::new(&body, media_type);
        let url = self.url(&format!(
            "/v2/{repo}/manifests/{}",
            tag.unwrap_or(&pushed.digest)
        ));
        let response = self
            .send(repo, || {
                self.client
                    .put(url.clone())
                    .header(CONTENT_TYPE, media_type)
                    .body(body.clone())
            })
            .await;
        expect(response, &[StatusCode::CREATED], "PUT manifest").await;
        pushed
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("registry URL")
    }

    /// Sends the request, answering one Bearer challenge.
    /// `build` is called again for the retry since a request is consumed.
    async fn send(&self, repo: &str, build: impl Fn() -> RequestBuilder) -> Response {
        let cached = self.tokens.lock().unwrap().get(repo).cloned();
        let response = with_token(build(), cached.as_deref())
            .send()
            .await
            .expect("send request");
        if response.status() != StatusCode::UNAUTHORIZED {
            return response;
        }
        let scope = format!("repository:{repo}:pull,push");
        let token = match &self.auth {
            Auth::Minter(mint) => mint(&scope),
            Auth::Challenge(credentials) => {
                let challenge = response.headers().get(WWW_AUTHENTICATE);
                let bearer = challenge.and_then(|c| c.to_str().ok());
                let Some(challenge) = bearer.filter(|c| c.starts_with("Bearer ")) else {
                    return response;
                };
                let Some(realm) = challenge_param(challenge, "realm") else {
                    return response;
                };
                let service = challenge_param(challenge, "service");
                self.fetch_token(&realm, service, &scope, credentials.as_ref())
                    .await
            }
        };
        self.tokens
            .lock()
            .unwrap()
            .insert(repo.into(), token.clone());
        with_token(build(), Some(&token))
            .send()
            .await
            .expect("send request")
    }

    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<String>,
        scope: &str,
        credentials: Option<&(String, String)>,
    ) -> String {
        let mut url = Url::parse(realm).expect("realm URL");
        url.query_pairs_mut().append_pair("scope", scope);
        if let Some(service) = service {
            url.query_pairs_mut().append_pair("service", &service);
        }
        let mut request = self.client.get(url);
        if let Some((user, password)) = credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.expect("request a token");
        let body = json(expect(response, &[StatusCode::OK], "GET token").await).await;
        body["token"]
            .as_str()
            .expect("token in response")
            .to_string()
    }
}

/// The request, said to be the seeder's (so no log keeps it), with `token`.
fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    let request = request.header(USER_AGENT, SEEDER_AGENT);
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

/// The quoted value of `key` in a `Bearer k="v",…` challenge.
fn challenge_param(challenge: &str, key: &str) -> Option<String> {
    let start = challenge.find(&format!("{key}=\""))? + key.len() + 2;
    let len = challenge[start..].find('"')?;
    Some(challenge[start..start + len].to_string())
}

/// Panics with the response body unless the status is one of `expected`.
async fn expect(response: Response, expected: &[StatusCode], what: &str) -> Response {
    if expected.contains(&response.status()) {
        return response;
    }
    let status = response.status();
    let url = response.url().clone();
    let body = response.text().await.unwrap_or_default();
    panic!("{what} {url}: {status}\n{body}");
}

/// reqwest's own `json` needs a feature the crate does not enable.
async fn json(response: Response) -> Value {
    let bytes = response.bytes().await.expect("read body");
    serde_json::from_slice(&bytes).expect("JSON body")
}
