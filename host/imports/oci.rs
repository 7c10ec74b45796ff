//! The native OCI client on the call's target repository, as a plugin's
//! `oci` import reaches it: writes are refused in a dry run, and a call
//! without a registry target (a layout, `info`) is `unsupported`.

use super::HostContext;
use crate::auth::Credential;
use crate::model::{Descriptor, Manifest, Page, Permissions, Referrer, RegistryError, Tag};
use crate::registry::Repo;
use std::sync::Arc;

/// The `oci` import of one plugin instance.
pub struct Oci<'a> {
    host: &'a HostContext,
}

impl HostContext {
    pub fn oci(&self) -> Oci<'_> {
        Oci { host: self }
    }
}

impl Oci<'_> {
    fn repo(&self) -> Result<Arc<Repo>, RegistryError> {
        self.host
            .repo
            .clone()
            .ok_or_else(|| RegistryError::Unsupported("this call has no registry target".into()))
    }

    /// The repository, for an operation that changes it.
    fn writable(&self, what: &str) -> Result<Arc<Repo>, RegistryError> {
        if self.host.dry_run {
            return Err(self.host.refuse(what));
        }
        self.repo()
    }

    pub async fn list_tags(&self, cursor: Option<&str>) -> Result<Page<Tag>, RegistryError> {
        let page = self.repo()?.list_tags(cursor).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|name| Tag {
                    name,
                    digest: None,
                    created: None,
                })
                .collect(),
            next: page.next,
        })
    }

    pub async fn resolve(&self, reference: &str) -> Result<Descriptor, RegistryError> {
        self.repo()?.resolve(reference).await
    }

    pub async fn get_manifest(&self, reference: &str) -> Result<Manifest, RegistryError> {
        self.repo()?.get_manifest(reference).await
    }

    pub async fn get_blob(&self, digest: &str) -> Result<Vec<u8>, RegistryError> {
        self.repo()?.get_blob(digest).await
    }

    pub async fn push_blob(&self, bytes: Vec<u8>) -> Result<String, RegistryError> {
        self.writable("blob upload")?.push_blob(bytes).await
    }

    pub async fn push_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, RegistryError> {
        self.writable(&format!("push of manifest {reference}"))?
            .push_manifest(reference, media_type, bytes)
            .await
    }

    pub async fn delete_manifest(&self, reference: &str) -> Result<(), RegistryError> {
        self.writable(&format!("delete of manifest {reference}"))?
            .delete_manifest(reference)
            .await
    }

    pub async fn untag(&self, tag: &str) -> Result<(), RegistryError> {
        self.writable(&format!("removal of tag {tag}"))?
            .untag(tag)
            .await
    }

    /// A credential the plugin obtained for the target registry replaces the
    /// operator's for this run.
    pub fn use_credential(&self, username: String, secret: String) {
        if let Some(auth) = &self.host.auth {
            let source = format!("plugin {}", self.host.plugin);
            auth.set_credential(
                Credential::Basic {
                    username,
                    password: secret,
                },
                &source,
            );
        }
    }

    pub async fn blob_size(&self, digest: &str) -> Result<Option<u64>, RegistryError> {
        self.repo()?.blob_size(digest).await
    }

    pub async fn mount_blob(&self, digest: &str, from: &str) -> Result<bool, RegistryError> {
        self.writable(&format!("mount of blob {digest}"))?
            .mount_blob(digest, from)
            .await
    }

    pub async fn referrers(&self, digest: &str) -> Result<Vec<Referrer>, RegistryError> {
        self.repo()?.referrers(digest).await
    }

    pub async fn list_repositories(
        &self,
        cursor: Option<&str>,
    ) -> Result<Page<String>, RegistryError> {
        self.repo()?.list_repositories(cursor).await
    }

    pub async fn move_to_throwaway(&self, tag: &str) -> Result<String, RegistryError> {
        self.writable(&format!("move of tag {tag}"))?
            .move_to_throwaway(tag)
            .await
    }

    pub async fn put_back(&self, tag: &str) -> Result<(), RegistryError> {
        self.writable(&format!("restore of tag {tag}"))?
            .put_back(tag)
            .await
    }

    pub async fn permissions(&self) -> Result<Permissions, RegistryError> {
        self.repo()?.permissions().await
    }
}
