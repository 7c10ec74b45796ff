//! The GitLab container registry (`registry.gitlab.com`, and self-managed
//! GitLab, recognised by its registry's challenge).
//!
//! Tags, manifests and pushes are the host's OCI client. A tag is removed by
//! the first of these that the server takes:
//! 1. the OCI tag delete, `DELETE /v2/<name>/manifests/<tag>` (GitLab's
//!    registry since 16.4);
//! 2. GitLab's own registry extension `DELETE /v2/<name>/tags/reference/<tag>`
//!    (12.8 to 16.x; gone in 17.0);
//! 3. the API v4, `DELETE /projects/:id/registry/repositories/:repository_id/tags/:tag_name`,
//!    where `:id` is the project's URL-encoded path and `:repository_id`
//!    comes from `GET /projects/:id/registry/repositories`;
//! 4. when no API base is known, the host's throwaway untag.
//!
//! Each removes that tag only. The API base is the option `api-url`
//! (`https://gitlab.example.com/api/v4`), else `CI_API_V4_URL`, else
//! `https://gitlab.com/api/v4` for GitLab.com; its token is the option
//! `token` (sent as `PRIVATE-TOKEN`), else `CI_JOB_TOKEN` (as `JOB-TOKEN`).
//!
//! A manifest is deleted by digest over the OCI API (the referrer of a
//! removed image). Neither the API v4 nor the registry's own `/gitlab/v1/`
//! API lists manifests that no tag reaches, and GitLab removes them itself,
//! so `--untagged` is refused.

mod api;
mod permissions;

use berth_sdk::http::{Request, encode_component};
use berth_sdk::log::{Level, log};
use berth_sdk::{
    Capability, Error, Info, ManifestPage, Permissions, Provider, Removal, RepositoryPage, Result,
    Target, oci,
};

struct GitLab;

impl Provider for GitLab {
    fn info() -> Info {
        berth_sdk::info(
            "gitlab",
            env!("CARGO_PKG_VERSION"),
            "GitLab container registry (OCI, its tag delete, and the API v4)",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::PullBlobs,
            Capability::PushBlobs,
            Capability::Permissions,
            Capability::DeleteManifest,
            Capability::ListRepositories,
        ])
        .option(
            "api-url",
            "GitLab's API v4 base, e.g. https://gitlab.example.com/api/v4 (default: CI_API_V4_URL)",
        )
        .secret_option(
            "token",
            "access token with the `api` scope for the API v4 (default: CI_JOB_TOKEN)",
        )
        .build()
    }

    /// Refused, with the reason, and without a request.
    /// A group's or project's registry repositories, from the API v4 (the
    /// registry's catalog is for administrators only).
    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        let prefix = target.repository.as_str();
        if prefix.is_empty() {
            return Err(Error::Invalid(format!(
                "GitLab lists registry repositories by group or project; give {}/GROUP",
                target.registry
            )));
        }
        let api = api::Api::from_config(&target).ok_or_else(|| {
            Error::Invalid(
                "listing GitLab's registry repositories goes through its API v4; give its base \
                 with --opt api-url=https://GITLAB/api/v4 (or CI_API_V4_URL)"
                    .into(),
            )
        })?;
        api.list_repositories(prefix, cursor.as_deref())
    }

    fn list_manifests(_target: Target, _cursor: Option<String>) -> Result<ManifestPage> {
        Err(Error::Unsupported(
            "GitLab's APIs list tags, never a manifest no tag reaches; with the metadata \
             database its online garbage collector deletes manifests no tag or index references \
             (24 hours after they lose the last one), and without it an administrator runs \
             `gitlab-ctl registry-garbage-collect -m`"
                .into(),
        ))
    }

    /// The OCI delete by digest (a removed image's referrer); a refusal
    /// says which token may delete, as for tags.
    fn delete_manifest(_target: Target, digest: String) -> Result<()> {
        oci::delete_manifest(&digest).map_err(|e| api::with_token_hint(e, api::using_job_token()))
    }

    fn delete_tag(target: Target, tag: String, _removal: Removal) -> Result<()> {
        // However the refusal comes, it says which token may delete.
        let refused = |e| api::with_token_hint(e, api::using_job_token());
        match oci::delete_manifest(&tag) {
            Ok(()) => return Ok(()),
            Err(e) if berth_sdk::refuses_tag_delete(&e) => {}
            Err(e) => return Err(refused(e)),
        }
        let legacy = format!(
            "{}/v2/{}/tags/reference/{}",
            target.base_url,
            target.repository,
            encode_component(&tag)
        );
        let response = Request::delete(&legacy).send()?;
        match response.status {
            200..=299 => return Ok(()),
            // No such route: a registry from before 12.8, or from 17.0 on.
            404 | 405 => {}
            status => {
                return Err(refused(berth_sdk::from_status(
                    status,
                    response.retry_after(),
                    &response.body,
                )));
            }
        }
        match api::Api::from_config(&target) {
            Some(api) => api.delete_tag(&target.repository, &tag),
            None => {
                log(
                    Level::Info,
                    "the registry takes no tag delete and no GitLab API is configured \
                     (--opt api-url=..., or CI_API_V4_URL); untagging with a throwaway manifest",
                );
                oci::untag(&tag)
            }
        }
    }

    /// The registry's grants, and the API token's own scopes.
    fn permissions(target: Target) -> Result<Permissions> {
        permissions::check(&target)
    }
}

berth_sdk::provider!(GitLab);
