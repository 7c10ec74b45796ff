//! A compiled plugin whose API version is known and whose imports are
//! linked: ready to instantiate.

use super::api::{ApiVersion, Pre, SUPPORTED_APIS};
use super::engine::Runtime;
use crate::error::{Error, Result};
use std::sync::Arc;
use wasmtime::component::Component;

/// The export every provider has; its version is the plugin's API version.
const EXPORT: &str = "berth:provider/provider@";

pub struct LoadedPlugin {
    pub(super) runtime: Arc<Runtime>,
    pub(super) name: String,
    pub(super) api: ApiVersion,
    pub(super) pre: Pre,
}

impl LoadedPlugin {
    /// Compiles (or loads from the cache) `wasm` and checks its API version
    /// and imports.
    pub fn load(runtime: &Arc<Runtime>, name: &str, sha256: &str, wasm: &[u8]) -> Result<Self> {
        let component = runtime.component(name, sha256, wasm)?;
        let api = api_version(runtime, name, &component)?;
        let instance_pre = runtime.linker().instantiate_pre(&component).map_err(|e| {
            refused(
                name,
                &format!("it imports what berth does not provide: {e:#}"),
            )
        })?;
        let pre = Pre::new(api, instance_pre).map_err(|e| {
            refused(
                name,
                &format!("its exports do not match API {}: {e:#}", api.as_str()),
            )
        })?;
        Ok(LoadedPlugin {
            runtime: runtime.clone(),
            name: name.to_string(),
            api,
            pre,
        })
    }

    pub fn api(&self) -> ApiVersion {
        self.api
    }
}

/// Reads the API version from the component's exports, before instantiating.
fn api_version(runtime: &Runtime, name: &str, component: &Component) -> Result<ApiVersion> {
    let ty = component.component_type();
    let version = ty
        .exports(runtime.engine())
        .find_map(|(export, _)| export.strip_prefix(EXPORT).map(String::from));
    match version.as_deref() {
        Some(version) => ApiVersion::parse(version).ok_or_else(|| {
            refused(
                name,
                &format!(
                    "it was built for berth plugin API {version}; this berth supports {}",
                    supported_range()
                ),
            )
            .hint(
                "use a plugin release built for a supported API, or a berth release that supports it",
            )
        }),
        None => Err(refused(
            name,
            &format!(
                "it does not export berth:provider/provider (supported API {})",
                supported_range()
            ),
        )),
    }
}

fn supported_range() -> String {
    match SUPPORTED_APIS {
        [one] => one.to_string(),
        [first, .., last] => format!("{first} to {last}"),
        [] => String::new(),
    }
}

fn refused(name: &str, why: &str) -> Error {
    Error::failed(format!("plugin {name} refused: {why}"))
}
