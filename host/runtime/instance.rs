//! One plugin instance and its store: the only place plugin code runs.
//! Every call is bounded in time and memory; a trap poisons the instance.

use super::limits::Limits;
use super::loaded::{ApiVersion, LoadedPlugin, OptionMeta, PluginMeta, Pre};
use super::v0_1_0::berth::provider::types as wit;
use super::{v0_1_0, v0_2_0};
use crate::imports::HostContext;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// What a plugin may keep of its stderr (a panic message, say).
const STDERR_CAP: usize = 16 << 10;

/// Store data: WASI with nothing granted but an optional directory, the
/// memory cap, the call deadline, and the host services for this target.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    cap: MemoryCap,
    deadline: Instant,
    pub(crate) host: Arc<HostContext>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasmtime::component::HasData for State {
    type Data<'a> = &'a mut State;
}

struct MemoryCap {
    max: usize,
}

#[derive(Debug)]
struct MemoryExceeded(usize);

impl std::fmt::Display for MemoryExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "memory limit of {} MiB exceeded", self.0 >> 20)
    }
}

impl std::error::Error for MemoryExceeded {}

#[derive(Debug)]
struct DeadlineExceeded;

impl std::fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deadline exceeded")
    }
}

impl std::error::Error for DeadlineExceeded {}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            // Trapping (rather than failing the grow) names the cause.
            return Err(MemoryExceeded(self.max).into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// Why a call produced no result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("did not finish within {} s", .0.as_secs_f32())]
    Deadline(Duration),
    #[error("exceeded its memory limit of {} MiB", .0 >> 20)]
    Memory(usize),
    #[error("crashed: {0}")]
    Trap(String),
}

/// The instance's exports, in the bindings of its API version. All versions
/// speak the host's types (see `v0_2_0`), so a call reads the same in each.
enum Bindings {
    V0_1_0(v0_1_0::Plugin),
    V0_2_0(v0_2_0::Plugin),
}

impl Bindings {
    fn api(&self) -> ApiVersion {
        match self {
            Bindings::V0_1_0(_) => ApiVersion::V0_1_0,
            Bindings::V0_2_0(_) => ApiVersion::V0_2_0,
        }
    }
}

/// Calls one provider export on whichever version the instance speaks, under
/// the call's deadline and memory cap.
macro_rules! call {
    ($instance:ident . $export:ident ( $($arg:expr),* $(,)? )) => {{
        $instance.arm();
        let store = &mut $instance.store;
        let call = async {
            match &$instance.bindings {
                Bindings::V0_1_0(b) => b.berth_provider_provider().$export(store, $($arg),*).await,
                Bindings::V0_2_0(b) => b.berth_provider_provider().$export(store, $($arg),*).await,
            }
        };
        guard($instance.limits, &$instance.stderr, call).await
    }};
}

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
            host,
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
        let instantiated = match &self.pre {
            Pre::V0_1_0(pre) => guard(limits, &stderr, pre.instantiate_async(&mut store))
                .await
                .map(Bindings::V0_1_0),
            Pre::V0_2_0(pre) => guard(limits, &stderr, pre.instantiate_async(&mut store))
                .await
                .map(Bindings::V0_2_0),
        };
        let bindings = instantiated.map_err(|e| {
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

impl Instance {
    fn arm(&mut self) {
        self.store.data_mut().deadline = Instant::now() + self.limits.deadline;
        self.store.set_epoch_deadline(1);
    }

    /// The API version the plugin was built for.
    pub fn api(&self) -> ApiVersion {
        self.bindings.api()
    }

    pub async fn info(&mut self) -> Result<PluginMeta, CallError> {
        let info = call!(self.call_info())?;
        Ok(PluginMeta {
            name: info.name,
            version: info.version,
            api: self.api().as_str().into(),
            description: info.description,
            capabilities: info
                .capabilities
                .iter()
                .map(|c| capability_name(*c).to_string())
                .collect(),
            options: info
                .options
                .into_iter()
                .map(|o| OptionMeta {
                    name: o.name,
                    description: o.description,
                    secret: o.secret,
                })
                .collect(),
        })
    }

    pub async fn detect(
        &mut self,
        target: &wit::Target,
        probe: Option<&wit::Probe>,
    ) -> Result<u8, CallError> {
        call!(self.call_detect(target, probe))
    }

    pub async fn list_tags(
        &mut self,
        target: &wit::Target,
        cursor: Option<&str>,
    ) -> Result<Result<wit::TagPage, wit::Error>, CallError> {
        call!(self.call_list_tags(target, cursor))
    }

    pub async fn resolve(
        &mut self,
        target: &wit::Target,
        reference: &str,
    ) -> Result<Result<wit::Descriptor, wit::Error>, CallError> {
        call!(self.call_resolve(target, reference))
    }

    pub async fn get_manifest(
        &mut self,
        target: &wit::Target,
        reference: &str,
    ) -> Result<Result<wit::Manifest, wit::Error>, CallError> {
        call!(self.call_get_manifest(target, reference))
    }

    pub async fn get_blob(
        &mut self,
        target: &wit::Target,
        digest: &str,
    ) -> Result<Result<Vec<u8>, wit::Error>, CallError> {
        call!(self.call_get_blob(target, digest))
    }

    pub async fn push_manifest(
        &mut self,
        target: &wit::Target,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Result<String, wit::Error>, CallError> {
        call!(self.call_push_manifest(target, reference, media_type, bytes))
    }

    pub async fn delete_tag(
        &mut self,
        target: &wit::Target,
        tag: &str,
        removal: &wit::Removal,
    ) -> Result<Result<(), wit::Error>, CallError> {
        call!(self.call_delete_tag(target, tag, removal))
    }

    /// `delete-tags` (0.2.0 on): one result per entry, in order. A plugin
    /// built for 0.1.0 has no such export and answers `unsupported` for every
    /// entry without being called, as a 0.2.0 plugin without a batch API does.
    pub async fn delete_tags(
        &mut self,
        target: &wit::Target,
        tags: &[(String, wit::Removal)],
    ) -> Result<Vec<Result<(), wit::Error>>, CallError> {
        self.arm();
        let b = match &self.bindings {
            Bindings::V0_1_0(_) => {
                let unsupported = wit::Error::Unsupported("API 0.1.0 has no delete-tags".into());
                return Ok(vec![Err(unsupported); tags.len()]);
            }
            Bindings::V0_2_0(b) => b,
        };
        let call = b
            .berth_provider_provider()
            .call_delete_tags(&mut self.store, target, tags);
        guard(self.limits, &self.stderr, call).await
    }
}

fn capability_name(c: wit::Capability) -> &'static str {
    use wit::Capability as C;
    match c {
        C::ListTags => "list-tags",
        C::TagDates => "tag-dates",
        C::DeleteTag => "delete-tag",
        C::GetManifest => "get-manifest",
        C::PushManifest => "push-manifest",
    }
}

/// Runs a call to completion, the deadline, or a trap, and says which.
async fn guard<T>(
    limits: Limits,
    stderr: &MemoryOutputPipe,
    call: impl Future<Output = wasmtime::Result<T>>,
) -> Result<T, CallError> {
    // The epoch callback stops wasm code; this stops a call parked in an import.
    let outcome = tokio::time::timeout(limits.deadline + Duration::from_secs(1), call).await;
    match outcome {
        Err(_) => Err(CallError::Deadline(limits.deadline)),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(classify(e, limits, stderr)),
    }
}

fn classify(e: wasmtime::Error, limits: Limits, stderr: &MemoryOutputPipe) -> CallError {
    if e.downcast_ref::<DeadlineExceeded>().is_some() {
        return CallError::Deadline(limits.deadline);
    }
    if e.downcast_ref::<MemoryExceeded>().is_some() {
        return CallError::Memory(limits.memory);
    }
    // A Rust panic prints the message after its "panicked at" line, then a
    // note about backtraces.
    let said = String::from_utf8_lossy(&stderr.contents()).to_string();
    let said = said
        .lines()
        .rfind(|l| !l.trim().is_empty() && !l.starts_with("note: "))
        .map(|l| {
            l.chars()
                .filter(|c| !c.is_control())
                .take(300)
                .collect::<String>()
        });
    let trap = e
        .downcast_ref::<wasmtime::Trap>()
        .map(|t| t.to_string())
        .unwrap_or_else(|| format!("{e}"));
    match said {
        Some(said) => CallError::Trap(format!("{trap} ({said})")),
        None => CallError::Trap(trap),
    }
}
