//! Why a provider call failed, and how that reads to the user.

use crate::error::Error;
use crate::registry::RegistryError;

#[derive(Debug, Clone)]
pub enum Failure {
    /// The registry (or the plugin on its behalf) reported an error.
    Registry(RegistryError),
    /// The plugin itself misbehaved: crashed, overran, or returned junk.
    Plugin(String),
}

impl Failure {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Failure::Registry(RegistryError::NotFound(_)))
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Registry(e) => describe(e),
            Failure::Plugin(m) => m.clone(),
        }
    }

    /// An error for `subject` (the address being worked on), with hints.
    pub fn into_error(self, subject: &str, registry: &str) -> Error {
        let error = Error::failed(format!("{subject}: {}", self.message()));
        match self {
            Failure::Registry(RegistryError::Unauthorized(_)) => error
                .hint(format!("log in with `docker login {registry}`, or point --docker-config at a config.json that has credentials for it"))
                .hint("provider options such as tokens are listed by `berth plugins info NAME`"),
            Failure::Registry(RegistryError::Forbidden(m)) if m.contains("not granted") => {
                error.hint("grant the host in the plugin's plugin-registry.toml entry (`hosts = [...]`), if you trust the plugin")
            }
            Failure::Registry(RegistryError::Forbidden(_)) => {
                error.hint("the credentials are valid but lack permission for this")
            }
            Failure::Registry(RegistryError::RateLimited { retry_after: Some(s), .. }) => {
                error.hint(format!("the registry asks to wait {s} s; try again later or lower --concurrency"))
            }
            Failure::Registry(RegistryError::RateLimited { .. }) => error.hint("lower --concurrency or try again later"),
            Failure::Registry(RegistryError::Transport(_)) => {
                error.hint("check the address and the network; loopback registries use HTTP, others HTTPS unless --plain-http")
            }
            _ => error,
        }
    }
}

fn describe(e: &RegistryError) -> String {
    match e {
        RegistryError::NotFound(m) => format!("not found ({m})"),
        RegistryError::Unauthorized(m) => format!("unauthorized ({m})"),
        RegistryError::Forbidden(m) => format!("forbidden ({m})"),
        RegistryError::Unsupported(m) => format!("unsupported ({m})"),
        RegistryError::RateLimited { message, .. } => format!("rate limited ({message})"),
        RegistryError::Invalid(m) => format!("invalid answer ({m})"),
        RegistryError::Transport(m) => m.clone(),
        RegistryError::Other(m) => m.clone(),
    }
}
