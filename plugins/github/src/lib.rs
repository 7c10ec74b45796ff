//! GitHub's container registry (ghcr.io, and docker.pkg.github.com whose
//! images moved there). Manifests travel over the OCI API; tags with their
//! digests and creation times come from the Packages REST API, where each
//! version is one manifest digest with its tags. The registry refuses OCI
//! deletes, so a tag is removed through the REST API (see `untag`).
//! Repositories are an owner's container packages
//! (`GET /orgs/<org>/packages?package_type=container`, or the user's).
//! Every manifest, tagged or not, is a version too: `--untagged` lists the
//! versions and deletes those nothing kept reaches.

mod api;
mod package;
mod permissions;
mod untag;

use api::{Api, TOKEN_HINT};
use berth_sdk::{
    Capability, Error, Info, ManifestEntry, ManifestPage, Permissions, Provider, Removal,
    RepositoryPage, Result, Tag, TagPage, Target, log, oci,
};
use std::cell::Cell;

struct GitHub;

impl Provider for GitHub {
    fn info() -> Info {
        berth_sdk::info(
            "github",
            env!("CARGO_PKG_VERSION"),
            "GitHub Container Registry: tags and removal through the Packages REST API",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::TagDates,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::PullBlobs,
            Capability::PushBlobs,
            Capability::Permissions,
            Capability::ListRepositories,
            Capability::ListManifests,
            Capability::DeleteManifest,
        ])
        .option(
            "api-url",
            "REST API base URL (default $GITHUB_API_URL, else https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3)",
        )
        .secret_option(
            "token",
            "GitHub token with read:packages, write:packages and delete:packages (default $GITHUB_TOKEN, else the docker config password)",
        )
        .build()
    }

    /// One page of package versions, each giving its tags the version's
    /// digest and creation time. Without a token, the registry's own tag
    /// list (no digests or dates).
    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        let Some(api) = Api::new() else {
            log::log(
                log::Level::Info,
                "no GitHub token: listing tags through the registry API, without dates (set --opt token or GITHUB_TOKEN for them)",
            );
            return oci::list_tags(cursor.as_deref());
        };
        let package = package::locate(&api, &target)?;
        let url = match cursor {
            Some(next) if next.starts_with(&format!("{}/", api.base)) => next,
            Some(next) => return Err(Error::Invalid(format!("unexpected page cursor {next:?}"))),
            None => package::first_page(&package),
        };
        let (versions, next) = package::page(&api, &package, &url)?;
        let mut tags = Vec::new();
        for version in &versions {
            let digest = berth_sdk::is_digest(&version.name).then(|| version.name.clone());
            let created = version
                .created_at
                .clone()
                .filter(|c| berth_sdk::time::is_rfc3339(c));
            tags.extend(version.tags().iter().map(|name| Tag {
                name: name.clone(),
                digest: digest.clone(),
                created: created.clone(),
            }));
        }
        Ok(TagPage { tags, next })
    }

    /// One page of package versions as manifests: each version is one
    /// digest with its tags and creation time, untagged ones included. The
    /// listing does not say media types or subjects, so entries are not
    /// `described`.
    fn list_manifests(target: Target, cursor: Option<String>) -> Result<ManifestPage> {
        let api = Api::new().ok_or_else(|| {
            Error::Unauthorized(format!(
                "listing untagged manifests goes through the GitHub Packages API, which needs a token\nhint: {TOKEN_HINT}"
            ))
        })?;
        let package = package::locate(&api, &target)?;
        let url = match cursor {
            Some(next) if next.starts_with(&format!("{}/", api.base)) => next,
            Some(next) => return Err(Error::Invalid(format!("unexpected page cursor {next:?}"))),
            None => package::first_page(&package),
        };
        let (versions, next) = package::page(&api, &package, &url)?;
        let manifests = versions
            .into_iter()
            .filter(|v| berth_sdk::is_digest(&v.name))
            .map(|v| ManifestEntry {
                tags: v.tags().to_vec(),
                created: v.created_at.filter(|c| berth_sdk::time::is_rfc3339(c)),
                digest: v.name,
                media_type: None,
                subject: None,
                described: false,
            })
            .collect();
        Ok(ManifestPage { manifests, next })
    }

    /// Deletes the package version of `digest`: ghcr.io refuses the OCI
    /// manifest delete.
    fn delete_manifest(target: Target, digest: String) -> Result<()> {
        let api = Api::new().ok_or_else(|| {
            Error::Unauthorized(format!(
                "deleting a manifest from {} goes through the GitHub Packages API, which needs a token\nhint: {TOKEN_HINT}",
                target.registry
            ))
        })?;
        let package = package::locate(&api, &target)?;
        package::delete_digest(&api, &package, &digest)
    }

    /// The owner's container packages (the first segment of the prefix:
    /// ghcr.io itself cannot be listed whole), those under the prefix.
    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        let prefix = target.repository.as_str();
        let Some(owner) = prefix.split('/').next().filter(|o| !o.is_empty()) else {
            return Err(Error::Invalid(format!(
                "GitHub lists packages by owner; give {}/OWNER",
                target.registry
            )));
        };
        let api = Api::new().ok_or_else(|| {
            Error::Unauthorized(format!(
                "listing packages needs a token\nhint: {TOKEN_HINT}"
            ))
        })?;
        let (names, next) = package::repositories(&api, owner, cursor)?;
        Ok(RepositoryPage {
            repositories: names
                .into_iter()
                .filter(|r| berth_sdk::is_under(r, prefix))
                .collect(),
            next,
        })
    }

    /// Manifests and blobs are the SDK's defaults, with the API's token
    /// handed to the host first when there is one.
    fn prepare_oci(_target: &Target) -> Result<()> {
        match Api::new() {
            Some(api) => registry_login(&api),
            None => Ok(()),
        }
    }

    /// Through the REST API: never an OCI digest delete, which GitHub
    /// refuses and which would take every tag of the manifest with it.
    fn delete_tag(target: Target, tag: String, _removal: Removal) -> Result<()> {
        let Some(api) = Api::new() else {
            return Err(Error::Unauthorized(format!(
                "removing a tag from {} goes through the GitHub Packages API, which needs a token, and none was found\nhint: {TOKEN_HINT}",
                target.registry
            )));
        };
        let package = package::locate(&api, &target)?;
        untag::remove(&api, &package, &tag)
    }

    /// The classic token's scopes, as GitHub reports them on any answer.
    fn permissions(target: Target) -> Result<Permissions> {
        permissions::check(&target)
    }
}

thread_local! {
    static LOGGED_IN: Cell<bool> = const { Cell::new(false) };
}

/// Hands a token from the options or `GITHUB_TOKEN` to the host for the
/// registry API (a docker config entry the host reads itself). The registry
/// takes the token as the password of the token's user. Once per instance.
pub fn registry_login(api: &Api) -> Result<()> {
    if LOGGED_IN.with(Cell::get) || api.token.from_docker_config {
        return Ok(());
    }
    if berth_sdk::config::registry_credential().is_none() {
        let user = api.login()?.unwrap_or_else(|| "x-access-token".to_string());
        oci::use_credential(&user, &api.token.value);
    }
    LOGGED_IN.with(|l| l.set(true));
    Ok(())
}

berth_sdk::provider!(GitHub);
