//! The plugin API versions this host serves, and the one place that
//! dispatches between them. Each version is a folder (`v0_1_0`, ...) that
//! holds its bindings and its conversions to the host's types, and
//! implements [`Exports`]; adding a version adds a folder and a line to each
//! enum and match below.

use super::state::State;
use super::{v0_1_0, v0_2_0, v0_3_0};
use crate::model::{
    CallTarget, Descriptor, Manifest, ManifestEntry, Page, Permissions, PluginInfo, Probe,
    Referrer, RegistryError, Removal, Tag,
};
use wasmtime::Store;
use wasmtime::component::{InstancePre, Linker};

/// The WIT API versions this host serves, oldest first.
pub const SUPPORTED_APIS: &[&str] = &["0.1.0", "0.2.0", "0.3.0"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V0_1_0,
    V0_2_0,
    V0_3_0,
}

impl ApiVersion {
    /// What the SDK and the built-in plugins are built for.
    pub const NEWEST: ApiVersion = ApiVersion::V0_3_0;

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V0_1_0 => "0.1.0",
            ApiVersion::V0_2_0 => "0.2.0",
            ApiVersion::V0_3_0 => "0.3.0",
        }
    }

    pub fn parse(version: &str) -> Option<Self> {
        match version {
            "0.1.0" => Some(ApiVersion::V0_1_0),
            "0.2.0" => Some(ApiVersion::V0_2_0),
            "0.3.0" => Some(ApiVersion::V0_3_0),
            _ => None,
        }
    }

    /// Whether a provider of this version batches removals whatever it
    /// declares: 0.2.0 had `delete-tags` without a capability for it.
    pub fn always_batches(self) -> bool {
        self == ApiVersion::V0_2_0
    }
}

/// Every version's imports, under their own names.
pub fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    v0_1_0::add_to_linker(linker)?;
    v0_2_0::add_to_linker(linker)?;
    v0_3_0::add_to_linker(linker)
}

/// A trap, or the provider's answer.
pub type Answer<T> = wasmtime::Result<Result<T, RegistryError>>;

fn lacks(export: &str) -> RegistryError {
    RegistryError::Unsupported(format!("the plugin's API version has no {export} export"))
}

/// A provider's exports in the host's types. A version without an export
/// keeps the default, which answers as a provider without it would.
#[allow(async_fn_in_trait)]
pub trait Exports {
    async fn info(&self, store: &mut Store<State>) -> wasmtime::Result<PluginInfo>;
    async fn detect(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        probe: Option<&Probe>,
    ) -> wasmtime::Result<u8>;
    async fn list_tags(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Answer<Page<Tag>>;
    async fn resolve(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        reference: &str,
    ) -> Answer<Descriptor>;
    async fn get_manifest(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        reference: &str,
    ) -> Answer<Manifest>;
    async fn get_blob(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        digest: &str,
    ) -> Answer<Vec<u8>>;
    async fn push_manifest(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Answer<String>;
    async fn delete_tag(
        &self,
        store: &mut Store<State>,
        target: &CallTarget,
        tag: &str,
        removal: &Removal,
    ) -> Answer<()>;

    /// One result per entry; without the export, each is `unsupported`, so
    /// the host removes the tags one by one.
    async fn delete_tags(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        tags: &[(String, Removal)],
    ) -> wasmtime::Result<Vec<Result<(), RegistryError>>> {
        Ok(tags.iter().map(|_| Err(lacks("delete-tags"))).collect())
    }

    /// Without the export there is nothing to ready.
    async fn connect(&self, _store: &mut Store<State>, _target: &CallTarget) -> Answer<()> {
        Ok(Ok(()))
    }

    async fn blob_size(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _digest: &str,
    ) -> Answer<Option<u64>> {
        Ok(Err(lacks("blob-size")))
    }

    async fn read_blob(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _digest: &str,
        _offset: u64,
        _length: u32,
    ) -> Answer<Vec<u8>> {
        Ok(Err(lacks("read-blob")))
    }

    async fn write_blob(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _digest: &str,
        _offset: u64,
        _bytes: &[u8],
        _last: bool,
    ) -> Answer<()> {
        Ok(Err(lacks("write-blob")))
    }

    async fn list_manifests(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _cursor: Option<&str>,
    ) -> Answer<Page<ManifestEntry>> {
        Ok(Err(lacks("list-manifests")))
    }

    async fn delete_manifest(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _digest: &str,
    ) -> Answer<()> {
        Ok(Err(lacks("delete-manifest")))
    }

    async fn list_referrers(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _digest: &str,
    ) -> Answer<Vec<Referrer>> {
        Ok(Err(lacks("list-referrers")))
    }

    async fn list_repositories(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
        _cursor: Option<&str>,
    ) -> Answer<Page<String>> {
        Ok(Err(lacks("list-repositories")))
    }

    async fn permissions(
        &self,
        _store: &mut Store<State>,
        _target: &CallTarget,
    ) -> Answer<Permissions> {
        Ok(Err(lacks("permissions")))
    }
}

/// A compiled plugin's exports checked against its version, ready to
/// instantiate.
pub enum Pre {
    V0_1_0(v0_1_0::PluginPre<State>),
    V0_2_0(v0_2_0::PluginPre<State>),
    V0_3_0(v0_3_0::PluginPre<State>),
}

impl Pre {
    pub fn new(api: ApiVersion, pre: InstancePre<State>) -> wasmtime::Result<Self> {
        Ok(match api {
            ApiVersion::V0_1_0 => Pre::V0_1_0(v0_1_0::PluginPre::new(pre)?),
            ApiVersion::V0_2_0 => Pre::V0_2_0(v0_2_0::PluginPre::new(pre)?),
            ApiVersion::V0_3_0 => Pre::V0_3_0(v0_3_0::PluginPre::new(pre)?),
        })
    }

    pub async fn instantiate(&self, store: &mut Store<State>) -> wasmtime::Result<Bindings> {
        Ok(match self {
            Pre::V0_1_0(pre) => Bindings::V0_1_0(pre.instantiate_async(store).await?),
            Pre::V0_2_0(pre) => Bindings::V0_2_0(pre.instantiate_async(store).await?),
            Pre::V0_3_0(pre) => Bindings::V0_3_0(pre.instantiate_async(store).await?),
        })
    }
}

/// An instance's exports, in the bindings of its version. Each instance
/// holds exactly one, so the variants' sizes differing costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Bindings {
    V0_1_0(v0_1_0::Plugin),
    V0_2_0(v0_2_0::Plugin),
    V0_3_0(v0_3_0::Plugin),
}

/// Calls one export on whichever version the bindings speak.
macro_rules! dispatch {
    ($bindings:expr, $export:ident ( $($arg:expr),* $(,)? )) => {
        match $bindings {
            $crate::runtime::api::Bindings::V0_1_0(b) => {
                $crate::runtime::api::Exports::$export(b, $($arg),*).await
            }
            $crate::runtime::api::Bindings::V0_2_0(b) => {
                $crate::runtime::api::Exports::$export(b, $($arg),*).await
            }
            $crate::runtime::api::Bindings::V0_3_0(b) => {
                $crate::runtime::api::Exports::$export(b, $($arg),*).await
            }
        }
    };
}
pub(crate) use dispatch;
