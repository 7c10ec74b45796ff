//! The provider's 0.3.0 exports, in the host's types.

use super::Plugin;
use super::convert::{self, answer};
use crate::model::{
    CallTarget, Descriptor, Manifest, ManifestEntry, Page, Permissions, PluginInfo, Probe,
    Referrer, RegistryError, Removal, Tag,
};
use crate::runtime::api::{Answer, Exports};
use crate::runtime::state::State;
use wasmtime::Store;

impl Exports for Plugin {
    async fn info(&self, store: &mut Store<State>) -> wasmtime::Result<PluginInfo> {
        let info = self.berth_provider_provider().call_info(store).await?;
        Ok(convert::from_info(info))
    }

    async fn detect(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        probe: Option<&Probe>,
    ) -> wasmtime::Result<u8> {
        let probe = probe.map(convert::probe);
        self.berth_provider_provider()
            .call_detect(store, &convert::target(target), probe.as_ref())
            .await
    }

    async fn list_tags(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Answer<Page<Tag>> {
        let p = self.berth_provider_provider();
        let result = p
            .call_list_tags(store, &convert::target(target), cursor)
            .await;
        answer(result, convert::tag_page)
    }

    async fn resolve(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        reference: &str,
    ) -> Answer<Descriptor> {
        let p = self.berth_provider_provider();
        let result = p
            .call_resolve(store, &convert::target(target), reference)
            .await;
        answer(result, convert::descriptor)
    }

    async fn get_manifest(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        reference: &str,
    ) -> Answer<Manifest> {
        let p = self.berth_provider_provider();
        let result = p
            .call_get_manifest(store, &convert::target(target), reference)
            .await;
        answer(result, convert::manifest)
    }

    async fn get_blob(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
    ) -> Answer<Vec<u8>> {
        let p = self.berth_provider_provider();
        let result = p
            .call_get_blob(store, &convert::target(target), digest)
            .await;
        answer(result, |b| b)
    }

    async fn push_manifest(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Answer<String> {
        let p = self.berth_provider_provider();
        let target = convert::target(target);
        let result = p
            .call_push_manifest(store, &target, reference, media_type, bytes)
            .await;
        answer(result, |d| d)
    }

    async fn delete_tag(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        tag: &str,
        removal: &Removal,
    ) -> Answer<()> {
        let p = self.berth_provider_provider();
        let removal = convert::removal(removal);
        let result = p
            .call_delete_tag(store, &convert::target(target), tag, &removal)
            .await;
        answer(result, |()| ())
    }

    async fn delete_tags(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        tags: &[(String, Removal)],
    ) -> wasmtime::Result<Vec<Result<(), RegistryError>>> {
        let tags: Vec<_> = tags
            .iter()
            .map(|(tag, removal)| (tag.clone(), convert::removal(removal)))
            .collect();
        let p = self.berth_provider_provider();
        let results = p
            .call_delete_tags(store, &convert::target(target), &tags)
            .await?;
        Ok(results
            .into_iter()
            .map(|r| r.map_err(convert::into_error))
            .collect())
    }

    async fn connect(&self, store: &mut Store<State>, target: &CallTarget) -> Answer<()> {
        let p = self.berth_provider_provider();
        let result = p.call_connect(store, &convert::target(target)).await;
        answer(result, |()| ())
    }

    async fn blob_size(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
    ) -> Answer<Option<u64>> {
        let p = self.berth_provider_provider();
        let result = p
            .call_blob_size(store, &convert::target(target), digest)
            .await;
        answer(result, |s| s)
    }

    async fn read_blob(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
        offset: u64,
        length: u32,
    ) -> Answer<Vec<u8>> {
        let p = self.berth_provider_provider();
        let target = convert::target(target);
        let result = p
            .call_read_blob(store, &target, digest, offset, length)
            .await;
        answer(result, |b| b)
    }

    async fn write_blob(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
        offset: u64,
        bytes: &[u8],
        last: bool,
    ) -> Answer<()> {
        let p = self.berth_provider_provider();
        let target = convert::target(target);
        let result = p
            .call_write_blob(store, &target, digest, offset, bytes, last)
            .await;
        answer(result, |()| ())
    }

    async fn list_manifests(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Answer<Page<ManifestEntry>> {
        let p = self.berth_provider_provider();
        let result = p
            .call_list_manifests(store, &convert::target(target), cursor)
            .await;
        answer(result, convert::manifest_page)
    }

    async fn delete_manifest(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
    ) -> Answer<()> {
        let p = self.berth_provider_provider();
        let result = p
            .call_delete_manifest(store, &convert::target(target), digest)
            .await;
        answer(result, |()| ())
    }

    async fn list_referrers(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
    ) -> Answer<Vec<Referrer>> {
        let p = self.berth_provider_provider();
        let result = p
            .call_list_referrers(store, &convert::target(target), digest)
            .await;
        answer(result, |r| r.into_iter().map(convert::referrer).collect())
    }

    async fn list_repositories(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Answer<Page<String>> {
        let p = self.berth_provider_provider();
        let result = p
            .call_list_repositories(store, &convert::target(target), cursor)
            .await;
        answer(result, convert::repository_page)
    }

    async fn permissions(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
    ) -> Answer<Permissions> {
        let p = self.berth_provider_provider();
        let result = p
            .call_check_permissions(store, &convert::target(target))
            .await;
        answer(result, convert::permissions)
    }
}
