//! The provider's 0.1.0 exports, in the host's types. 0.2.0 has the same
//! ones and more, in the same types, so this impl is a macro it uses too.

/// `impl Exports` for the bindings `$plugin` of API `$api`, whose provider
/// has 0.1.0's exports; `$extra` are the methods of later exports.
macro_rules! exports_0_1 {
    ($plugin:ty, $api:literal, $($extra:tt)*) => {
const _: () = {
use $crate::model::{CallTarget, Descriptor, Manifest, Page, PluginInfo, Probe, Removal, Tag};
use $crate::runtime::api::{Answer, Exports};
use $crate::runtime::state::State;
use $crate::runtime::v0_1_0::convert::{self, answer};
use wasmtime::Store;

impl Exports for $plugin {
    async fn info(
        &self,
        store: &mut Store<State>,
    ) -> wasmtime::Result<PluginInfo> {
        let info = self.berth_provider_provider().call_info(store).await?;
        Ok(convert::from_info(info, $api))
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
        let result = self
            .berth_provider_provider()
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
        let result = self
            .berth_provider_provider()
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
        let result = self
            .berth_provider_provider()
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
        let result = self
            .berth_provider_provider()
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
        let result = self
            .berth_provider_provider()
            .call_push_manifest(store, &convert::target(target), reference, media_type, bytes)
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
        let result = self
            .berth_provider_provider()
            .call_delete_tag(store, &convert::target(target), tag, &convert::removal(removal))
            .await;
        answer(result, |()| ())
    }

    $($extra)*
}
};
    };
}
pub(crate) use exports_0_1;

use super::Plugin;

exports_0_1!(Plugin, "0.1.0",);
