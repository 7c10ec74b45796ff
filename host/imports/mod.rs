//! The host services a plugin imports, in the host's own types: HTTP, the
//! native OCI client, configuration and logging. Each API version's adapter
//! (`runtime/v*`) serves its import names from these. Every capability a
//! plugin has passes through here, so this is where grants, the dry run and
//! redaction are enforced.

mod config;
mod dry_run;
mod http;
mod log;
mod oci;
mod redact;

pub use dry_run::Refusals;

use crate::auth::RegistryAuth;
use crate::net::{Client, Grants};
use crate::registry::Repo;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

/// What one plugin may use while serving one target.
pub struct HostContext {
    /// `name version`, for messages.
    pub plugin: String,
    pub client: Client,
    pub grants: Arc<Grants>,
    /// The target registry's authentication; `None` for layouts and `info`.
    pub auth: Option<Arc<RegistryAuth>>,
    /// The target repository for the `oci` import.
    pub repo: Option<Arc<Repo>>,
    /// Options the operator set that the plugin declared.
    pub options: HashMap<String, String>,
    /// Environment variables the catalog grants.
    pub env: HashMap<String, String>,
    /// Requests in flight for `send-all`.
    pub concurrency: usize,
    /// Values of secret options, granted environment variables and the
    /// operator's credential, kept out of anything the plugin says.
    pub secret_values: Vec<String>,
    /// In a dry run every write the plugin attempts is refused.
    pub dry_run: bool,
    /// The writes refused in this dry run.
    pub refusals: Refusals,
    /// Lines the plugin logged, to cut a flood off.
    pub log_lines: AtomicUsize,
}

impl HostContext {
    /// A context that grants nothing: for `info` and `detect`.
    pub fn bare(plugin: &str, client: Client) -> Self {
        HostContext {
            plugin: plugin.to_string(),
            client,
            grants: Arc::new(Grants::new(plugin, "plugin-registry.toml")),
            auth: None,
            repo: None,
            options: HashMap::new(),
            env: HashMap::new(),
            concurrency: 1,
            secret_values: Vec::new(),
            dry_run: false,
            refusals: Refusals::default(),
            log_lines: AtomicUsize::new(0),
        }
    }
}
