//! One side of a copy: a provider whose manifests go through the plugin,
//! and whose blobs go either through the host's own OCI client (a
//! registry, after the plugin readied it with `connect`) or through the
//! plugin's `read-blob`/`write-blob` (a store that is not an OCI API).

use crate::model::Capability;
use crate::provider::{Failure, Provider};
use crate::registry::Repo;
use std::sync::Arc;

/// What a side of a copy needs its provider to declare.
pub const SOURCE_NEEDS: [Capability; 2] = [Capability::GetManifest, Capability::PullBlobs];
pub const DESTINATION_NEEDS: [Capability; 2] = [Capability::PushManifest, Capability::PushBlobs];

pub struct Endpoint {
    pub provider: Provider,
    /// `None` for a store whose blobs the plugin moves.
    pub registry: Option<Arc<Repo>>,
    /// The address as messages show it.
    pub shown: String,
    /// The registry, for hints (empty for a layout).
    pub host: String,
}

impl Endpoint {
    /// Readies `provider` for transfers.
    pub async fn connect(provider: Provider, shown: String, host: String) -> Result<Self, Failure> {
        let registry = provider.registry().cloned();
        if registry.is_some() {
            provider.connect().await?;
        }
        Ok(Endpoint {
            provider,
            registry,
            shown,
            host,
        })
    }

    /// Whether `other` is another repository of the same registry, so blobs
    /// can be mounted from it; its repository name.
    pub fn mount_source<'a>(&self, other: &'a Endpoint) -> Option<&'a str> {
        let (mine, theirs) = (self.registry.as_ref()?, other.registry.as_ref()?);
        (mine.base == theirs.base && mine.name != theirs.name).then_some(theirs.name.as_str())
    }

    /// The size of a blob the side has, `None` when it has not.
    pub async fn blob_size(&self, digest: &str) -> Result<Option<u64>, Failure> {
        match &self.registry {
            Some(repo) => repo.blob_size(digest).await.map_err(Failure::Registry),
            None => self.provider.blob_size(digest).await,
        }
    }
}
