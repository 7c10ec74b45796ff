//! One plugin instance and its store: the only place plugin code runs.
//! Every call is bounded in time and memory; a trap poisons the instance.

use super::api::{Bindings, dispatch};
use super::guard::{CallError, DeadlineExceeded, guard};
use super::limits::Limits;
use super::plugin::LoadedPlugin;
use super::state::{MemoryCap, State};
use crate::imports::HostContext;
use crate::model::{
    CallTarget, Descriptor, Manifest, ManifestEntry, Page, Permissions, PluginInfo, Probe,
    Referrer, RegistryError, Removal, Tag,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// What a plugin may keep of its stderr (a panic message, say).
const STDERR_CAP: usize = 16 << 10;

/// A provider's answer, or why there is none.
pub type Call<T> = Result<Result<T, RegistryError>, CallError>;

pub struct Instance {
    store: Store<State>,
    bindings: Bindings,
    limits: Limits,
    stderr: MemoryOutputPipe,
}

impl LoadedPlugin {
    /// A fresh instance with the given host services; `dir` is the one
    /// directory the plugin may open (the OCI layout), as `/layout`.
    pub async fn instantiate(
        &self,
        host: Arc<HostContext>,
        limits: Limits,
        dir: Option<&Path>,
    ) -> Result<Instance, crate::error::Error> {
        let stderr = MemoryOutputPipe::new(STDERR_CAP);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if let Some(dir) = dir {
            wasi.preopened_dir(dir, "/layout", FsPerms::ReadWrite)
                .map_err(|e| {
                    crate::error::Error::failed(format!("cannot open {}: {e}", dir.display()))
                })?;
        }
        let state = State {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            cap: MemoryCap { max: limits.memory },
            deadline: Instant::now() + limits.deadline,
            host: host.clone(),
        };
        let mut store = Store::new(self.runtime.engine(), state);
        store.limiter(|s| &mut s.cap);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Err(DeadlineExceeded.into())
            } else {
                // Yield so other calls on this thread make progress.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.set_epoch_deadline(1);
        let bindings = guard(limits, &stderr, &host, self.pre.instantiate(&mut store))
            .await
            .map_err(|e| {
                crate::error::Error::failed(format!("plugin {} failed to start: {e}", self.name))
            })?;
        Ok(Instance {
            store,
            bindings,
            limits,
            stderr,
        })
    }
}

/// Calls one export under the call's deadline and memory cap.
macro_rules! call {
    ($self:ident . $export:ident ( $($arg:expr),* $(,)? )) => {{
        $self.arm();
        let host = $self.store.data().host.clone();
        let store = &mut $self.store;
        let call = async { dispatch!(&$self.bindings, $export(store, $($arg),*)) };
        guard($self.limits, &$self.stderr, &host, call).await
    }};
}

impl Instance {
    fn arm(&mut self) {
        self.store.data_mut().deadline = Instant::now() + self.limits.deadline;
        self.store.set_epoch_deadline(1);
    }

    pub async fn info(&mut self) -> Result<PluginInfo, CallError> {
        call!(self.info())
    }

    pub async fn detect(
        &mut self,
        target: &CallTarget,
        probe: Option<&Probe>,
    ) -> Result<u8, CallError> {
        call!(self.detect(target, probe))
    }

    pub async fn list_tags(
        &mut self,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Call<Page<Tag>> {
        call!(self.list_tags(target, cursor))
    }

    pub async fn resolve(&mut self, target: &CallTarget, reference: &str) -> Call<Descriptor> {
        call!(self.resolve(target, reference))
    }

    pub async fn get_manifest(&mut self, target: &CallTarget, reference: &str) -> Call<Manifest> {
        call!(self.get_manifest(target, reference))
    }

    pub async fn get_blob(&mut self, target: &CallTarget, digest: &str) -> Call<Vec<u8>> {
        call!(self.get_blob(target, digest))
    }

    pub async fn push_manifest(
        &mut self,
        target: &CallTarget,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Call<String> {
        call!(self.push_manifest(target, reference, media_type, bytes))
    }

    pub async fn delete_tag(
        &mut self,
        target: &CallTarget,
        tag: &str,
        removal: &Removal,
    ) -> Call<()> {
        call!(self.delete_tag(target, tag, removal))
    }

    /// One result per entry, in order.
    pub async fn delete_tags(
        &mut self,
        target: &CallTarget,
        tags: &[(String, Removal)],
    ) -> Result<Vec<Result<(), RegistryError>>, CallError> {
        call!(self.delete_tags(target, tags))
    }

    pub async fn connect(&mut self, target: &CallTarget) -> Call<()> {
        call!(self.connect(target))
    }

    pub async fn blob_size(&mut self, target: &CallTarget, digest: &str) -> Call<Option<u64>> {
        call!(self.blob_size(target, digest))
    }

    pub async fn read_blob(
        &mut self,
        target: &CallTarget,
        digest: &str,
        offset: u64,
        length: u32,
    ) -> Call<Vec<u8>> {
        call!(self.read_blob(target, digest, offset, length))
    }

    pub async fn write_blob(
        &mut self,
        target: &CallTarget,
        digest: &str,
        offset: u64,
        bytes: &[u8],
        last: bool,
    ) -> Call<()> {
        call!(self.write_blob(target, digest, offset, bytes, last))
    }

    pub async fn list_manifests(
        &mut self,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Call<Page<ManifestEntry>> {
        call!(self.list_manifests(target, cursor))
    }

    pub async fn delete_manifest(&mut self, target: &CallTarget, digest: &str) -> Call<()> {
        call!(self.delete_manifest(target, digest))
    }

    pub async fn list_referrers(
        &mut self,
        target: &CallTarget,
        digest: &str,
    ) -> Call<Vec<Referrer>> {
        call!(self.list_referrers(target, digest))
    }

    pub async fn list_repositories(
        &mut self,
        target: &CallTarget,
        cursor: Option<&str>,
    ) -> Call<Page<String>> {
        call!(self.list_repositories(target, cursor))
    }

    pub async fn permissions(&mut self, target: &CallTarget) -> Call<Permissions> {
        call!(self.permissions(target))
    }
}
