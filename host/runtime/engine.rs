//! The engine, its epoch clock, the linker with every API version's
//! imports, and compiling (or loading from the cache) a plugin.

use super::cache::CompileCache;
use super::state::State;
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

/// How often the epoch advances: the granularity of deadlines.
const TICK: Duration = Duration::from_millis(10);

pub struct Runtime {
    engine: Engine,
    linker: Linker<State>,
    cache: Option<CompileCache>,
}

impl Runtime {
    /// `cache_dir` is where compiled plugins are kept; `None` compiles every
    /// time.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Arc<Self>> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        let engine = Engine::new(&config)
            .map_err(|e| Error::failed(format!("cannot start the WebAssembly engine: {e}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .and_then(|()| super::api::add_to_linker(&mut linker))
            .map_err(|e| Error::failed(format!("cannot link host interfaces: {e}")))?;
        let ticker = engine.weak();
        std::thread::spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        });
        let cache = cache_dir.map(|dir| CompileCache::new(dir, &engine));
        Ok(Arc::new(Runtime {
            engine,
            linker,
            cache,
        }))
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(super) fn linker(&self) -> &Linker<State> {
        &self.linker
    }

    /// The compiled component for these bytes: from the cache when present,
    /// else compiled now and stored.
    pub(super) fn component(&self, name: &str, sha256: &str, wasm: &[u8]) -> Result<Component> {
        if let Some(cache) = &self.cache
            && let Some(component) = cache.load(&self.engine, sha256)
        {
            return Ok(component);
        }
        let component = Component::new(&self.engine, wasm).map_err(|e| {
            Error::failed(format!(
                "plugin {name} is not a valid WebAssembly component: {e:#}"
            ))
        })?;
        if let Some(cache) = &self.cache {
            cache.store(&component, sha256);
        }
        Ok(component)
    }
}
