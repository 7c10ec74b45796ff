//! What every command shares: the options, the HTTP client, the runtime and
//! the catalog, made once per process.

use crate::catalog::Catalog;
use crate::cli::Global;
use crate::error::{Error, Result};
use crate::net::{Client, NetConfig};
use crate::runtime::{Limits, Runtime};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pub struct Context {
    pub global: Global,
    pub client: Client,
    /// Made on first use: listing plugins or printing help needs no engine.
    runtime: OnceLock<Arc<Runtime>>,
    pub cache_dir: Option<PathBuf>,
    pub catalog: Catalog,
    pub limits: Limits,
}

impl Context {
    pub fn new(global: Global) -> Result<Self> {
        let client = Client::new(NetConfig {
            timeout: global.timeout,
            insecure: global.insecure,
            ca_file: global.ca_file.clone(),
            ..NetConfig::default()
        })
        .map_err(|e| Error::usage(e.to_string()))?;
        let catalog = Catalog::load(&global.plugin_dirs)?;
        let limits = Limits {
            deadline: global.plugin_timeout,
            ..Limits::default()
        };
        Ok(Context {
            global,
            client,
            runtime: OnceLock::new(),
            cache_dir: cache_dir(),
            catalog,
            limits,
        })
    }
}

impl Context {
    pub fn runtime(&self) -> Result<&Arc<Runtime>> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        let runtime = Runtime::new(self.cache_dir.clone())?;
        Ok(self.runtime.get_or_init(|| runtime))
    }
}

/// `BERTH_CACHE_DIR`, else the user's cache directory; none disables caching.
fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("BERTH_CACHE_DIR") {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => dirs::cache_dir().map(|d| d.join("berth").join("plugins")),
    }
}
