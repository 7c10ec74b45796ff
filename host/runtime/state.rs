//! What a plugin's store holds: WASI with nothing granted but an optional
//! directory, the memory cap, the call deadline, and the host services for
//! the call's target. Every version's imports are served from here.

use crate::imports::HostContext;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub struct State {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) cap: MemoryCap,
    pub(super) deadline: Instant,
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

/// Linear memory an instance may grow to.
pub(super) struct MemoryCap {
    pub max: usize,
}

/// The trap a plugin gets for growing past its cap.
#[derive(Debug)]
pub(super) struct MemoryExceeded(pub usize);

impl std::fmt::Display for MemoryExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "memory limit of {} MiB exceeded", self.0 >> 20)
    }
}

impl std::error::Error for MemoryExceeded {}

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
