//! Quay: quay.io and Red Hat Quay / Project Quay.
//!
//! Tags are listed and removed through Quay's API v1 on the registry's own
//! host, with an OAuth access token (`Authorization: Bearer`) from the option
//! `token` (`--opt token=...`, `BERTH_QUAY_TOKEN`); a public repository lists
//! without one, removing always needs it:
//! - `GET /api/v1/repository/<ns>/<repo>/tag/?onlyActiveTags=true&limit=100&page=N`
//!   lists 100 tags a page with `manifest_digest` and `start_ts`, and says
//!   `has_additional` while more follow. Without the filter Quay also lists
//!   the tag history, deleted tags included.
//! - `DELETE /api/v1/repository/<ns>/<repo>/tag/<tag>` (204) removes that
//!   tag only; the manifest stays with its other tags.
//! - `GET /api/v1/repository?namespace=<ns>` lists a namespace's
//!   repositories, `next_page` passed back for the next page.
//!
//! Manifests go through the host's OCI client with the docker login of the
//! registry; the referrer of a removed image is deleted by digest there.
//! Quay cannot list manifests that no tag reaches (its API lists tags and
//! their history) and removes them itself, so `--untagged` is refused. Quay answers 415 to manifest types it does not take (OCI
//! artifact manifests, unless enabled): that is reported as unsupported.

mod api;

use berth_sdk::config;
use berth_sdk::{
    Capability, Error, Info, ManifestPage, Provider, Removal, RepositoryPage, Result, TagPage,
    Target, oci,
};

struct Quay;

impl Provider for Quay {
    fn info() -> Info {
        berth_sdk::info(
            "quay",
            env!("CARGO_PKG_VERSION"),
            "Quay (quay.io, Red Hat Quay) through its API v1",
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
            Capability::DeleteManifest,
        ])
        .secret_option(
            "token",
            "OAuth access token for Quay's API (repo:read to list, repo:write to delete)",
        )
        .build()
    }

    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        let page = match cursor {
            None => 1,
            Some(c) => c
                .parse::<u32>()
                .ok()
                .filter(|p| *p > 1)
                .ok_or_else(|| Error::Invalid(format!("invalid page cursor {c:?}")))?,
        };
        api::list_tags(&target, token().as_deref(), page)
    }

    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        api::list_repositories(&target, token().as_deref(), cursor.as_deref())
    }

    /// Refused, with the reason, and without a request.
    fn list_manifests(_target: Target, _cursor: Option<String>) -> Result<ManifestPage> {
        Err(Error::Unsupported(
            "Quay's API lists tags and their history, never a manifest no tag reaches; Quay \
             garbage-collects such manifests itself once the namespace's time machine window \
             (tag expiration) has passed"
                .into(),
        ))
    }

    /// Quay's tag delete, which removes that tag only.
    fn delete_tag(target: Target, tag: String, _removal: Removal) -> Result<()> {
        let token = token().ok_or_else(|| {
            Error::Unauthorized(format!(
                "removing a tag goes through Quay's API, which needs a token \
                 (--opt token=TOKEN or BERTH_QUAY_TOKEN)\nhint: {}",
                api::TOKEN_HINT
            ))
        })?;
        api::delete_tag(&target, &token, &tag)
    }

    /// The OCI push; Quay's 415 means it does not take this manifest type.
    fn push_manifest(
        _target: Target,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        oci::push_manifest(&reference, &media_type, &bytes).map_err(|e| match e {
            Error::Invalid(m) | Error::Unsupported(m) if m.contains("HTTP 415") => {
                Error::Unsupported(format!(
                    "{media_type} manifests are unsupported by quay ({m}); Quay takes OCI \
                     artifacts only when its FEATURE_GENERAL_OCI_SUPPORT and \
                     ALLOWED_OCI_ARTIFACT_TYPES allow them"
                ))
            }
            other => other,
        })
    }
}

/// The operator's token, if set.
fn token() -> Option<String> {
    config::get_option("token").filter(|t| !t.trim().is_empty())
}

berth_sdk::provider!(Quay);
