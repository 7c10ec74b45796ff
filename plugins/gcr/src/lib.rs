//! Google Container Registry (`gcr.io`, `*.gcr.io`) and Artifact Registry
//! (`*-docker.pkg.dev`).
//!
//! Both speak the OCI distribution API, with two differences that matter:
//! - `GET /v2/<name>/tags/list` adds a `manifest` map from each digest to its
//!   tags and times (`timeCreatedMs`, `timeUploadedMs`), which gives every
//!   tag its digest and date in one request. GCR does not page this list;
//!   a `Link` to a next page is still followed where one is sent.
//! - `DELETE /v2/<name>/manifests/<tag>` removes only that tag, while a
//!   delete by digest is refused as long as any tag points at the manifest
//!   (`GOOGLE_MANIFEST_DANGLING_TAG`). So a tag is removed by the tag delete,
//!   and the manifest it left untagged is deleted afterwards only when the
//!   host has checked that no other tag shares it.
//! - The `manifest` map lists every manifest of the repository, untagged
//!   ones and the children of indexes too, so `--untagged` needs no other
//!   listing; such a manifest goes with the OCI delete by digest.
//!
//! Credentials come from docker's config like any registry's (the `gcloud`
//! credential helper, or the user `oauth2accesstoken` with an access token).

mod listing;

use berth_sdk::http::{Request, Response, path_and_query};
use berth_sdk::log::{Level, log};
use berth_sdk::{
    Capability, Error, Info, ManifestPage, Provider, Removal, Result, TagPage, Target, oci,
};

struct Gcr;

/// Google's refusal to delete a manifest a tag points at.
const DANGLING_TAG: &str = "GOOGLE_MANIFEST_DANGLING_TAG";

/// What to do when the registry refuses the credentials (a hint line).
const LOGIN: &str = "Google registries take docker credentials: run \
`gcloud auth configure-docker HOST` (the gcloud credential helper), or \
`docker login -u oauth2accesstoken HOST` with `gcloud auth print-access-token` as the password";

impl Provider for Gcr {
    fn info() -> Info {
        berth_sdk::info(
            "gcr",
            env!("CARGO_PKG_VERSION"),
            "Google Container Registry and Artifact Registry",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::TagDates,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::ListRepositories,
            Capability::PullBlobs,
            Capability::PushBlobs,
            Capability::ListManifests,
            Capability::DeleteManifest,
        ])
        .build()
    }

    /// The registry's tag list with its `manifest` map: names, digests and
    /// times in one answer.
    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        let (response, next) = tag_list(&target, cursor)?;
        let tags = listing::tags(&response.body).map_err(|e| not_a_list(&response, e))?;
        Ok(TagPage { tags, next })
    }

    /// The same tag list: its `manifest` map holds every manifest of the
    /// repository, untagged ones too.
    fn list_manifests(target: Target, cursor: Option<String>) -> Result<ManifestPage> {
        let (response, next) = tag_list(&target, cursor)?;
        let manifests = listing::manifests(&response.body).map_err(|e| not_a_list(&response, e))?;
        Ok(ManifestPage { manifests, next })
    }

    /// The OCI delete by digest, which the host asks for only when no tag
    /// points at the manifest. Google refuses it while one does; that means
    /// a tag was added since the listing, and says so.
    fn delete_manifest(_target: Target, digest: String) -> Result<()> {
        oci::delete_manifest(&digest).map_err(|e| {
            if e.message().contains(DANGLING_TAG) {
                Error::Other(format!(
                    "{}\nhint: a tag points at {digest} again since berth listed the repository \
                     (the registry deletes a manifest only when no tag does); it was left alone, \
                     run the cleanup again to decide on it",
                    e.message()
                ))
            } else {
                explained(e)
            }
        })
    }

    /// Manifests and blobs are the SDK's defaults, with the login hint.
    fn explain(_target: &Target, error: Error) -> Error {
        explained(error)
    }

    /// `DELETE /v2/<name>/manifests/<tag>`, which untags only. A registry
    /// that refuses deletes by tag (not Google's) gets the host's untag.
    fn delete_tag(_target: Target, tag: String, removal: Removal) -> Result<()> {
        match oci::delete_manifest(&tag) {
            Ok(()) => {}
            Err(e) if berth_sdk::refuses_tag_delete(&e) => {
                log(
                    Level::Debug,
                    &format!("the registry refused to delete tag {tag} by name ({e:?}); untagging"),
                );
                oci::untag(&tag).map_err(explained)?;
            }
            Err(e) => return Err(explained(e)),
        }
        // The manifest may now be untagged; the registry refuses the delete
        // while any tag still points at it, so this never removes a tag.
        if let (true, Some(digest)) = (removal.exclusive, removal.digest.as_deref()) {
            match oci::delete_manifest(digest) {
                Ok(()) => log(Level::Debug, &format!("deleted untagged manifest {digest}")),
                Err(e) => log(
                    Level::Debug,
                    &format!("kept manifest {digest} after untagging {tag}: {e:?}"),
                ),
            }
        }
        Ok(())
    }
}

/// One page of `GET /v2/<name>/tags/list`: the first, or the one a cursor
/// (a `Link` the registry sent) names, which must be a page of the same
/// list; and the next page's URL.
fn tag_list(target: &Target, cursor: Option<String>) -> Result<(Response, Option<String>)> {
    let first = format!("{}/v2/{}/tags/list", target.base_url, target.repository);
    let url = match cursor {
        None => first,
        Some(url) if url == first || url.starts_with(&format!("{first}?")) => url,
        Some(url) => {
            return Err(Error::Invalid(format!(
                "the next page of the tag list is not this repository's: {url}"
            )));
        }
    };
    let response = Request::get(&url)
        .header("accept", "application/json")
        .send()
        .map_err(explained)?;
    if !(200..300).contains(&response.status) {
        let what = format!("GET {}", path_and_query(&response.url));
        let said = berth_sdk::quote(&String::from_utf8_lossy(&response.body));
        return Err(explained(response.error(&what, &said)));
    }
    let next = response.next_link();
    Ok((response, next))
}

fn not_a_list(response: &Response, e: serde_json::Error) -> Error {
    Error::Invalid(format!(
        "GET {}: the registry answered with something that is not a tag list ({e})",
        path_and_query(&response.url)
    ))
}

/// Adds how to log in to a refusal of the credentials.
fn explained(e: Error) -> Error {
    e.with_login_hint(LOGIN)
}

berth_sdk::provider!(Gcr);
