//! Docker Hub. A namespace's repositories, and tags with their digests and
//! push times, come from the Hub API (`GET /v2/namespaces/<ns>/repositories`,
//! `.../<repo>/tags`). A tag is removed
//! with the Hub's tag delete, which untags only: the image and every other
//! tag stay. Manifests travel over the registry's OCI API
//! (registry-1.docker.io), which the host authenticates; its delete by
//! digest removes a manifest no tag points at (a removed image's referrer).

mod hub;
mod login;
mod permissions;

use berth_sdk::{
    Capability, Error, Info, Permissions, Provider, Removal, RepositoryPage, Result, TagPage,
    Target,
};

/// A Docker Hub repository: `namespace/name`.
pub struct Repo {
    pub namespace: String,
    pub name: String,
}

impl Repo {
    fn of(target: &Target) -> Result<Repo> {
        let path = target.repository.as_str();
        let (namespace, name) = match path.split_once('/') {
            // Official images live in `library`.
            None => ("library", path),
            Some((namespace, name)) => (namespace, name),
        };
        let valid = |s: &str| !s.is_empty() && !s.contains('/');
        if valid(namespace) && valid(name) {
            Ok(Repo {
                namespace: namespace.to_string(),
                name: name.to_string(),
            })
        } else {
            Err(Error::Invalid(format!(
                "{path}: Docker Hub repositories are NAMESPACE/NAME"
            )))
        }
    }

    fn shown(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

struct DockerHub;

impl Provider for DockerHub {
    fn info() -> Info {
        berth_sdk::info(
            "dockerhub",
            env!("CARGO_PKG_VERSION"),
            "Docker Hub: tags and tag removal through the Hub API, manifests over the registry API",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::TagDates,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::PullBlobs,
            Capability::PushBlobs,
            Capability::DeleteManifest,
            Capability::Permissions,
            Capability::ListRepositories,
        ])
        .option(
            "hub-api-url",
            "Docker Hub API base URL (default https://hub.docker.com)",
        )
        .option(
            "username",
            "Docker Hub user name, used with password or token; the organisation for an organisation access token",
        )
        .secret_option("password", "password (or personal access token) of username")
        .secret_option(
            "token",
            "personal access token, or organisation access token (dckr_pat_..., dckr_oat_...)",
        )
        .build()
    }

    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        hub::list_tags(&Repo::of(&target)?, cursor)
    }

    /// A namespace's repositories from the Hub API (the registry serves no
    /// catalog).
    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        let prefix = target.repository.as_str();
        let Some(namespace) = prefix.split('/').next().filter(|n| !n.is_empty()) else {
            return Err(Error::Invalid(format!(
                "Docker Hub lists repositories by namespace; give {}/NAMESPACE",
                target.registry
            )));
        };
        hub::list_repositories(namespace, prefix, cursor)
    }

    /// Manifests and blobs are the SDK's defaults, with credentials from
    /// the provider's options handed to the host first.
    fn prepare_oci(target: &Target) -> Result<()> {
        login::hand_to_registry(&Repo::of(target)?)
    }

    /// The Hub's tag delete removes that tag and nothing else, whatever
    /// other tags share its image, so `removal` needs no attention.
    fn delete_tag(target: Target, tag: String, _removal: Removal) -> Result<()> {
        hub::delete_tag(&Repo::of(&target)?, &tag)
    }

    /// The registry's grants, and what the Hub's token says of an access
    /// token's permission.
    fn permissions(target: Target) -> Result<Permissions> {
        let repo = Repo::of(&target)?;
        login::hand_to_registry(&repo)?;
        permissions::check(&repo)
    }
}

berth_sdk::provider!(DockerHub);
