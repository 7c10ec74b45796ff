//! What the operator granted the plugin: its options, environment, the
//! target registry's own credential, and whether this is a dry run.

use super::HostContext;
use crate::auth::Credential;

impl HostContext {
    pub fn option(&self, name: &str) -> Option<String> {
        self.options.get(name).cloned()
    }

    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    /// Only ever the target registry's own credential.
    pub fn registry_credential(&self) -> Option<Credential> {
        self.auth.as_ref().and_then(|a| a.credential())
    }
}
