//! Amazon ECR. Private registries (`<account>.dkr.ecr.<region>.amazonaws.com`)
//! go through the ECR API, signed with SigV4:
//!
//! - tags: `ListImages` (tagged images, 1000 a page, `nextToken` as the
//!   cursor), then `DescribeImages` for the page's digests, whose
//!   `imagePushedAt` becomes each tag's date;
//! - removal: `BatchDeleteImage` by `imageTag` alone, which removes that tag
//!   and deletes the image only when it was its last tag;
//! - every manifest, tagged or not: `DescribeImages` over the repository
//!   (1000 a page), each image with its tags, push time and media type;
//!   `BatchDeleteImage` by `imageDigest` deletes one;
//! - manifests: `BatchGetImage` and `PutImage`, so one signed call does what
//!   the OCI API needs a token exchange for, with the same IAM actions
//!   (`ecr:BatchGetImage`, `ecr:PutImage`), and works against any endpoint
//!   that serves the ECR API;
//! - repositories: `DescribeRepositories` (1000 a page, `nextToken`);
//! - blobs (image configs): the OCI API, with the registry password from
//!   `GetAuthorizationToken` handed to the host.
//!
//! `public.ecr.aws` is a plain OCI registry to berth: everything goes through
//! the host's OCI client with the operator's docker credentials.

mod address;
mod api;
mod permissions;
mod sigv4;
mod time;

use api::Api;
use base64::Engine as _;
use berth_sdk::log::{Level, log};
use berth_sdk::{
    Capability, Descriptor, Error, Info, Manifest, ManifestEntry, ManifestPage, Permissions,
    Provider, Removal, RepositoryPage, Result, Tag, TagPage, Target, oci,
};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

/// The most `ListImages` returns in one page.
const PAGE: u32 = 1000;
/// The most image ids `DescribeImages` takes in one call.
const DESCRIBE_BATCH: usize = 100;
/// Manifest types `BatchGetImage` may answer with; without them ECR may
/// convert a manifest to an older schema.
const ACCEPTED: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

struct Ecr;

impl Provider for Ecr {
    fn info() -> Info {
        berth_sdk::info(
            "ecr",
            env!("CARGO_PKG_VERSION"),
            "Amazon ECR: tags, push dates and removal through the ECR API (AWS credentials from the environment or ~/.aws/credentials)",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::TagDates,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::Permissions,
            Capability::ListManifests,
            Capability::DeleteManifest,
            Capability::ListRepositories,
        ])
        .build()
    }

    /// `DescribeImages` without image ids: every image of the repository,
    /// untagged ones too. It does not say an image's `subject`, so entries
    /// are not `described`.
    fn list_manifests(target: Target, cursor: Option<String>) -> Result<ManifestPage> {
        if address::is_public(&target.registry) {
            return Err(Error::Unsupported(
                "public.ecr.aws is served by the OCI API, which cannot list manifests".into(),
            ));
        }
        let api = Api::for_target(&target)?;
        let mut body = api.body();
        body["maxResults"] = json!(PAGE);
        if let Some(cursor) = cursor {
            body["nextToken"] = Value::String(cursor);
        }
        let page: DescribeImages = api.call("DescribeImages", &body)?;
        let manifests = page
            .image_details
            .into_iter()
            .filter_map(|image| {
                let digest = image.image_digest.filter(|d| berth_sdk::is_digest(d))?;
                Some(ManifestEntry {
                    digest,
                    tags: image.image_tags,
                    media_type: image.image_manifest_media_type.filter(|t| !t.is_empty()),
                    subject: None,
                    created: image
                        .image_pushed_at
                        .and_then(|at| at.as_f64())
                        .and_then(berth_sdk::time::from_unix),
                    described: false,
                })
            })
            .collect();
        Ok(ManifestPage {
            manifests,
            next: page.next_token.filter(|t| !t.is_empty()),
        })
    }

    /// `DescribeRepositories` of the registry's account; names outside the
    /// prefix are left out here, as the host would.
    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        if address::is_public(&target.registry) {
            return oci::list_repositories(cursor.as_deref());
        }
        let api = Api::for_target(&target)?;
        let mut body = json!({ "maxResults": PAGE });
        if let Some(id) = &api.registry_id {
            body["registryId"] = Value::String(id.clone());
        }
        if let Some(cursor) = cursor {
            body["nextToken"] = Value::String(cursor);
        }
        let page: DescribeRepositories = api.call("DescribeRepositories", &body)?;
        let prefix = target.repository.as_str();
        let repositories = page
            .repositories
            .into_iter()
            .map(|r| r.repository_name)
            .filter(|name| berth_sdk::is_under(name, prefix))
            .collect();
        Ok(RepositoryPage {
            repositories,
            next: page.next_token.filter(|t| !t.is_empty()),
        })
    }

    /// `BatchDeleteImage` by `imageDigest`: the image and every tag on it.
    fn delete_manifest(target: Target, digest: String) -> Result<()> {
        if address::is_public(&target.registry) {
            return oci::delete_manifest(&digest);
        }
        let api = Api::for_target(&target)?;
        let mut body = api.body();
        body["imageIds"] = json!([{ "imageDigest": digest }]);
        let answer: BatchDelete = api.call("BatchDeleteImage", &body)?;
        if answer
            .image_ids
            .iter()
            .any(|id| id.image_digest.as_deref() == Some(digest.as_str()))
        {
            return Ok(());
        }
        match answer.failures.into_iter().next() {
            Some(failure) => {
                Err(failure.error(&format!("ECR BatchDeleteImage {}@{digest}", api.repository)))
            }
            None => Err(Error::Other(format!(
                "ECR BatchDeleteImage {}@{digest} removed nothing and reported no failure",
                api.repository
            ))),
        }
    }

    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        if address::is_public(&target.registry) {
            return oci::list_tags(cursor.as_deref());
        }
        let api = Api::for_target(&target)?;
        let mut body = api.body();
        body["filter"] = json!({ "tagStatus": "TAGGED" });
        body["maxResults"] = json!(PAGE);
        if let Some(cursor) = cursor {
            body["nextToken"] = Value::String(cursor);
        }
        let page: ListImages = api.call("ListImages", &body)?;
        // Untagged images are filtered out by ECR; an endpoint that ignores
        // the filter sends them too.
        let ids: Vec<(String, String)> = page
            .image_ids
            .into_iter()
            .filter_map(|id| Some((id.image_tag?, id.image_digest?)))
            .collect();
        let digests: BTreeSet<&str> = ids.iter().map(|(_, d)| d.as_str()).collect();
        let pushed = pushed_at(&api, &digests);
        let tags = ids
            .iter()
            .map(|(name, digest)| Tag {
                name: name.clone(),
                digest: berth_sdk::is_digest(digest).then(|| digest.clone()),
                created: pushed.get(digest.as_str()).cloned(),
            })
            .collect();
        Ok(TagPage {
            tags,
            next: page.next_token.filter(|t| !t.is_empty()),
        })
    }

    fn resolve(target: Target, reference: String) -> Result<Descriptor> {
        if address::is_public(&target.registry) {
            return oci::resolve(&reference);
        }
        let manifest = get_manifest(&target, &reference)?;
        Ok(Descriptor {
            size: manifest.bytes.len() as u64,
            media_type: manifest.media_type,
            digest: manifest.digest,
        })
    }

    fn get_manifest(target: Target, reference: String) -> Result<Manifest> {
        if address::is_public(&target.registry) {
            return oci::get_manifest(&reference);
        }
        get_manifest(&target, &reference)
    }

    /// Blobs are the SDK's default, with the registry password from
    /// `GetAuthorizationToken` handed to the host first.
    fn prepare_oci(target: &Target) -> Result<()> {
        if address::is_public(&target.registry) {
            Ok(())
        } else {
            authorize_oci(target)
        }
    }

    fn push_manifest(
        target: Target,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        if address::is_public(&target.registry) {
            return oci::push_manifest(&reference, &media_type, &bytes);
        }
        let api = Api::for_target(&target)?;
        let digest = sha256(&bytes);
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::Invalid("ECR stores manifests as text; this one is not UTF-8".into())
        })?;
        let mut body = api.body();
        body["imageManifest"] = Value::String(text);
        body["imageManifestMediaType"] = Value::String(media_type);
        body["imageDigest"] = Value::String(digest.clone());
        if is_digest_reference(&reference) {
            if reference != digest {
                return Err(Error::Invalid(format!(
                    "the manifest's digest is {digest}, not {reference}"
                )));
            }
        } else {
            body["imageTag"] = Value::String(reference.clone());
        }
        match api.call::<PutImage>("PutImage", &body) {
            Ok(put) => match put.image.image_id.image_digest {
                Some(stored) if stored != digest => Err(Error::Invalid(format!(
                    "ECR PutImage stored {stored}, not the {digest} that was sent"
                ))),
                _ => Ok(digest),
            },
            // The same manifest already carries this tag: nothing to change.
            Err(Error::Invalid(m)) if m.contains(": ImageAlreadyExistsException") => {
                log(
                    Level::Debug,
                    &format!("{reference} is already {digest}: {m}"),
                );
                Ok(digest)
            }
            Err(e) => Err(e),
        }
    }

    /// `BatchDeleteImage` with the tag alone: ECR removes that tag, and the
    /// image only when no other tag is left on it. `removal` changes nothing:
    /// a digest is never sent, so no other tag can go with it.
    /// Reading tried with the ECR API; writes left unknown, their IAM
    /// actions named.
    fn permissions(target: Target) -> Result<Permissions> {
        if address::is_public(&target.registry) {
            return oci::check_permissions();
        }
        permissions::check(&target)
    }

    fn delete_tag(target: Target, tag: String, removal: Removal) -> Result<()> {
        if address::is_public(&target.registry) {
            return berth_sdk::default_delete_tag(&tag, &removal);
        }
        let api = Api::for_target(&target)?;
        let mut body = api.body();
        body["imageIds"] = json!([{ "imageTag": tag }]);
        let answer: BatchDelete = api.call("BatchDeleteImage", &body)?;
        if answer
            .image_ids
            .iter()
            .any(|id| id.image_tag.as_deref() == Some(tag.as_str()))
        {
            return Ok(());
        }
        match answer.failures.into_iter().next() {
            Some(failure) => {
                Err(failure.error(&format!("ECR BatchDeleteImage {}:{tag}", api.repository)))
            }
            None => Err(Error::Other(format!(
                "ECR BatchDeleteImage {}:{tag} removed nothing and reported no failure",
                api.repository
            ))),
        }
    }
}

fn get_manifest(target: &Target, reference: &str) -> Result<Manifest> {
    let api = Api::for_target(target)?;
    let by_digest = is_digest_reference(reference);
    let mut body = api.body();
    body["imageIds"] = if by_digest {
        json!([{ "imageDigest": reference }])
    } else {
        json!([{ "imageTag": reference }])
    };
    body["acceptedMediaTypes"] = json!(ACCEPTED);
    let answer: BatchGet = api.call("BatchGetImage", &body)?;
    let what = format!("ECR BatchGetImage {}:{reference}", api.repository);
    let Some(image) = answer.images.into_iter().next() else {
        return Err(match answer.failures.into_iter().next() {
            Some(failure) => failure.error(&what),
            None => Error::NotFound(format!("{what}: no such image")),
        });
    };
    let text = image
        .image_manifest
        .ok_or_else(|| Error::Invalid(format!("{what}: the answer has no imageManifest")))?;
    let bytes = text.into_bytes();
    let digest = sha256(&bytes);
    if by_digest && digest != reference {
        return Err(Error::Invalid(format!(
            "{what}: ECR sent a manifest whose digest is {digest}"
        )));
    }
    let media_type = image
        .image_manifest_media_type
        .filter(|t| !t.is_empty())
        .or_else(|| media_type_of(&bytes))
        .unwrap_or_default();
    Ok(Manifest {
        digest,
        media_type,
        bytes,
    })
}

/// `imagePushedAt` (RFC 3339) of each digest, from `DescribeImages` in
/// batches sent together. A batch that fails leaves its tags undated (a
/// digest removed since `ListImages` fails its whole batch); cleanup never
/// deletes an undated tag by age.
fn pushed_at(api: &Api, digests: &BTreeSet<&str>) -> HashMap<String, String> {
    let digests: Vec<&str> = digests.iter().copied().collect();
    let bodies: Vec<Value> = digests
        .chunks(DESCRIBE_BATCH)
        .map(|chunk| {
            let mut body = api.body();
            body["imageIds"] = chunk.iter().map(|d| json!({ "imageDigest": d })).collect();
            body
        })
        .collect();
    let mut pushed = HashMap::new();
    for result in api.call_all::<DescribeImages>("DescribeImages", &bodies) {
        match result {
            Ok(answer) => {
                for image in answer.image_details {
                    if let (Some(digest), Some(at)) = (image.image_digest, image.image_pushed_at)
                        && let Some(at) = at.as_f64().and_then(berth_sdk::time::from_unix)
                    {
                        pushed.insert(digest, at);
                    }
                }
            }
            Err(e) => log(
                Level::Warn,
                &format!("push dates of some images are unknown: {}", e.message()),
            ),
        }
    }
    pushed
}

/// Gets the registry password from `GetAuthorizationToken` and hands it to
/// the host for OCI calls.
fn authorize_oci(target: &Target) -> Result<()> {
    let api = Api::for_target(target)?;
    let mut body = json!({});
    if let Some(id) = &api.registry_id {
        body["registryIds"] = json!([id]);
    }
    let answer: Authorization = api.call("GetAuthorizationToken", &body)?;
    let token = answer
        .authorization_data
        .into_iter()
        .find_map(|d| d.authorization_token)
        .ok_or_else(|| Error::Invalid("ECR GetAuthorizationToken returned no token".into()))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            Error::Invalid("ECR GetAuthorizationToken returned a malformed token".into())
        })?;
    let (user, password) = decoded.split_once(':').ok_or_else(|| {
        Error::Invalid("ECR GetAuthorizationToken returned a token without `user:`".into())
    })?;
    oci::use_credential(user, password);
    Ok(())
}

/// Tags cannot contain `:`; digests always do.
fn is_digest_reference(reference: &str) -> bool {
    reference.contains(':')
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", sigv4::hex(&Sha256::digest(bytes)))
}

fn media_type_of(bytes: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    value["mediaType"].as_str().map(String::from)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageId {
    image_digest: Option<String>,
    image_tag: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRepositories {
    #[serde(default)]
    repositories: Vec<RepositoryDetail>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepositoryDetail {
    repository_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListImages {
    #[serde(default)]
    image_ids: Vec<ImageId>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeImages {
    #[serde(default)]
    image_details: Vec<ImageDetail>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageDetail {
    image_digest: Option<String>,
    #[serde(default)]
    image_tags: Vec<String>,
    image_manifest_media_type: Option<String>,
    /// Seconds since the epoch, possibly fractional.
    image_pushed_at: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Failure {
    failure_code: Option<String>,
    failure_reason: Option<String>,
}

impl Failure {
    fn error(self, what: &str) -> Error {
        let code = self.failure_code.unwrap_or_default();
        let message = format!(
            "{what}: {code}: {}",
            self.failure_reason.as_deref().unwrap_or("no reason given")
        );
        match code.as_str() {
            "ImageNotFound" | "ImageTagDoesNotMatchDigest" => Error::NotFound(message),
            "UpstreamAccessDenied" | "ImageReferencedByManifestList" => Error::Forbidden(message),
            "UpstreamTooManyRequests" => Error::RateLimited(berth_sdk::RateLimit {
                message,
                retry_after: None,
            }),
            "InvalidImageDigest" | "InvalidImageTag" | "MissingDigestAndTag" => {
                Error::Invalid(message)
            }
            _ => Error::Other(message),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchDelete {
    #[serde(default)]
    image_ids: Vec<ImageId>,
    #[serde(default)]
    failures: Vec<Failure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchGet {
    #[serde(default)]
    images: Vec<Image>,
    #[serde(default)]
    failures: Vec<Failure>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Image {
    image_manifest: Option<String>,
    image_manifest_media_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImage {
    image: PutImageImage,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutImageImage {
    image_id: ImageId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Authorization {
    #[serde(default)]
    authorization_data: Vec<AuthorizationData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizationData {
    authorization_token: Option<String>,
}

berth_sdk::provider!(Ecr);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests() {
        assert!(is_digest_reference("sha256:abc"));
        assert!(!is_digest_reference("v1"));
    }

    #[test]
    fn failures_map_to_errors() {
        let failure = |code: &str| Failure {
            failure_code: Some(code.into()),
            failure_reason: Some("Requested image not found".into()),
        };
        assert!(matches!(
            failure("ImageNotFound").error("x"),
            Error::NotFound(m) if m.contains("Requested image not found")
        ));
        assert!(matches!(
            failure("ImageTagDoesNotMatchDigest").error("x"),
            Error::NotFound(_)
        ));
        assert!(matches!(
            failure("UpstreamTooManyRequests").error("x"),
            Error::RateLimited(_)
        ));
        assert!(matches!(failure("KmsError").error("x"), Error::Other(_)));
    }
}
