use crate::auth::Credential;
use crate::registry::Repo;
use crate::runtime::State;
use crate::runtime::v0_1_0::berth::provider::oci::Host;
use crate::runtime::v0_1_0::berth::provider::types::{Descriptor, Error, Manifest, Tag, TagPage};
use std::sync::Arc;

impl State {
    fn repo(&self) -> Result<Arc<Repo>, Error> {
        self.host
            .repo
            .clone()
            .ok_or_else(|| Error::Unsupported("this call has no registry target".into()))
    }
}

impl Host for State {
    async fn list_tags(
        &mut self,
        cursor: Option<String>,
    ) -> wasmtime::Result<Result<TagPage, Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo
                .list_tags(cursor.as_deref())
                .await
                .map(|page| TagPage {
                    tags: page
                        .tags
                        .into_iter()
                        .map(|name| Tag {
                            name,
                            digest: None,
                            created: None,
                        })
                        .collect(),
                    next: page.next,
                })
                .map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn resolve(&mut self, reference: String) -> wasmtime::Result<Result<Descriptor, Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo
                .resolve(&reference)
                .await
                .map(|d| Descriptor {
                    media_type: d.media_type,
                    digest: d.digest,
                    size: d.size,
                })
                .map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn get_manifest(
        &mut self,
        reference: String,
    ) -> wasmtime::Result<Result<Manifest, Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo
                .get_manifest(&reference)
                .await
                .map(|m| Manifest {
                    digest: m.digest,
                    media_type: m.media_type,
                    bytes: m.bytes,
                })
                .map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn get_blob(&mut self, digest: String) -> wasmtime::Result<Result<Vec<u8>, Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo.get_blob(&digest).await.map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn push_blob(&mut self, bytes: Vec<u8>) -> wasmtime::Result<Result<String, Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo.push_blob(bytes).await.map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn push_manifest(
        &mut self,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> wasmtime::Result<Result<String, Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo
                .push_manifest(&reference, &media_type, bytes)
                .await
                .map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn delete_manifest(&mut self, reference: String) -> wasmtime::Result<Result<(), Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo.delete_manifest(&reference).await.map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn untag(&mut self, tag: String) -> wasmtime::Result<Result<(), Error>> {
        Ok(match self.repo() {
            Ok(repo) => repo.untag(&tag).await.map_err(Error::from),
            Err(e) => Err(e),
        })
    }

    async fn use_credential(&mut self, username: String, secret: String) -> wasmtime::Result<()> {
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
        Ok(())
    }
}
