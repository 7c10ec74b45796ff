//! A compiled plugin ready to instantiate, and what it says about itself.

use super::engine::Runtime;
use super::instance::State;
use super::{v0_1_0, v0_2_0};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use wasmtime::component::Component;

/// The WIT API versions this host serves, oldest first.
pub const SUPPORTED_APIS: &[&str] = &["0.1.0", "0.2.0"];

/// The export every provider has; its version is the plugin's API version.
const EXPORT: &str = "berth:provider/provider@";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V0_1_0,
    V0_2_0,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V0_1_0 => "0.1.0",
            ApiVersion::V0_2_0 => "0.2.0",
        }
    }

    fn parse(version: &str) -> Option<Self> {
        match version {
            "0.1.0" => Some(ApiVersion::V0_1_0),
            "0.2.0" => Some(ApiVersion::V0_2_0),
            _ => None,
        }
    }

    /// Whether the provider exports `delete-tags` (0.2.0 on).
    pub fn has_delete_tags(self) -> bool {
        match self {
            ApiVersion::V0_1_0 => false,
            ApiVersion::V0_2_0 => true,
        }
    }
}

/// What `info` returned, in host terms.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginMeta {
    pub name: String,
    pub version: String,
    pub api: String,
    pub description: String,
    pub capabilities: Vec<String>,
    pub options: Vec<OptionMeta>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptionMeta {
    pub name: String,
    pub description: String,
    pub secret: bool,
}

pub(super) enum Pre {
    V0_1_0(v0_1_0::PluginPre<State>),
    V0_2_0(v0_2_0::PluginPre<State>),
}

pub struct LoadedPlugin {
    pub(super) runtime: Arc<Runtime>,
    pub(super) name: String,
    pub(super) api: ApiVersion,
    pub(super) pre: Pre,
}

impl LoadedPlugin {
    pub(super) fn new(runtime: Arc<Runtime>, name: &str, component: Component) -> Result<Self> {
        let api = api_version(&runtime, name, &component)?;
        let instance_pre = runtime.linker().instantiate_pre(&component).map_err(|e| {
            refused(
                name,
                &format!("it imports what berth does not provide: {e:#}"),
            )
        })?;
        let mismatch = |e: wasmtime::Error| {
            refused(
                name,
                &format!("its exports do not match API {}: {e:#}", api.as_str()),
            )
        };
        let pre = match api {
            ApiVersion::V0_1_0 => {
                Pre::V0_1_0(v0_1_0::PluginPre::new(instance_pre).map_err(mismatch)?)
            }
            ApiVersion::V0_2_0 => {
                Pre::V0_2_0(v0_2_0::PluginPre::new(instance_pre).map_err(mismatch)?)
            }
        };
        Ok(LoadedPlugin {
            runtime,
            name: name.to_string(),
            api,
            pre,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
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
