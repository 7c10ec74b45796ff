//! What a plugin says about itself.

use super::Capability;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    /// The WIT API version it was built for.
    pub api: String,
    pub description: String,
    pub capabilities: Vec<Capability>,
    pub options: Vec<OptionSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionSpec {
    pub name: String,
    pub description: String,
    pub secret: bool,
}

impl PluginInfo {
    pub fn has(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}
