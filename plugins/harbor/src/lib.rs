//! Harbor, through its API v2.0 on the registry's own host.
//!
//! - Tags come from the artifact list,
//!   `GET /api/v2.0/projects/<p>/repositories/<r>/artifacts?with_tag=true&page=N&page_size=100`:
//!   each artifact has its `digest`, `push_time` and `tags`, so every tag
//!   gets its digest and date. Pages follow while the answer links a next
//!   one (`Link`) or `X-Total-Count` says more remain.
//! - A tag is removed with
//!   `DELETE /api/v2.0/projects/<p>/repositories/<r>/artifacts/<digest>/tags/<tag>`,
//!   which leaves the artifact and its other tags alone (and works for
//!   robot accounts, which the OCI delete refuses).
//!
//! - Every manifest, for `--untagged`: the same list with
//!   `with_accessory=true`, each artifact with the children of an index
//!   (`references`) and its accessories (signatures, OCI referrers) with
//!   their subject; a manifest goes with
//!   `DELETE /api/v2.0/projects/<p>/repositories/<r>/artifacts/<digest>`.
//!
//! - Repositories: `GET /api/v2.0/projects` a page at a time, and each
//!   project's `GET /api/v2.0/projects/<p>/repositories`; a prefix lists
//!   its own project only.
//!
//! `<p>` is the first segment of the repository path; `<r>` is the rest,
//! with `/` encoded twice (`a/b` is `a%252Fb`) as Harbor requires. The API
//! takes Basic auth with the docker login of the registry: a user, or a
//! robot account `robot$name`. Manifests go through the host's OCI client.

mod api;

use berth_sdk::{
    Capability, Info, ManifestPage, Provider, Removal, RepositoryPage, Result, TagPage, Target,
};

struct Harbor;

impl Provider for Harbor {
    fn info() -> Info {
        berth_sdk::info(
            "harbor",
            env!("CARGO_PKG_VERSION"),
            "Harbor through its API v2.0",
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

    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        api::list_tags(&target, page(cursor)?)
    }

    fn list_manifests(target: Target, cursor: Option<String>) -> Result<ManifestPage> {
        api::list_manifests(&target, page(cursor)?)
    }

    /// The API's artifact delete, which robot accounts may use where the
    /// OCI delete is refused.
    fn delete_manifest(target: Target, digest: String) -> Result<()> {
        api::delete_artifact(&target, &digest)
    }

    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        api::list_repositories(&target, page(cursor)?)
    }

    /// The API's tag delete on the artifact the tag points at (by digest
    /// when the host knows it, else by the tag itself). A referrers fallback
    /// index that nothing else holds (`exclusive`) goes whole: Harbor
    /// refuses to delete an artifact an index lists, so its referrers could
    /// not go after it otherwise.
    fn delete_tag(target: Target, tag: String, removal: Removal) -> Result<()> {
        if removal.exclusive
            && berth_sdk::is_fallback_index(&tag)
            && let Some(digest) = &removal.digest
        {
            return api::delete_artifact(&target, digest);
        }
        let reference = removal.digest.unwrap_or_else(|| tag.clone());
        api::delete_tag(&target, &reference, &tag)
    }
}

/// The page a cursor names: the number of a page after the first.
fn page(cursor: Option<String>) -> Result<u32> {
    match cursor {
        None => Ok(1),
        Some(c) => c
            .parse::<u32>()
            .ok()
            .filter(|p| *p > 1)
            .ok_or_else(|| berth_sdk::Error::Invalid(format!("invalid page cursor {c:?}"))),
    }
}

berth_sdk::provider!(Harbor);
