//! Why a registry operation failed, in the kinds every API version's
//! `error` variant has. The host maps each kind to an exit status and hints.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    Unsupported(String),
    RateLimited {
        message: String,
        retry_after: Option<u32>,
    },
    Invalid(String),
    Transport(String),
    Other(String),
}

impl RegistryError {
    /// The same kind of error with its message rewritten.
    pub fn map_message(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            RegistryError::Unauthorized(m) => RegistryError::Unauthorized(f(&m)),
            RegistryError::Forbidden(m) => RegistryError::Forbidden(f(&m)),
            RegistryError::NotFound(m) => RegistryError::NotFound(f(&m)),
            RegistryError::Unsupported(m) => RegistryError::Unsupported(f(&m)),
            RegistryError::RateLimited {
                message,
                retry_after,
            } => RegistryError::RateLimited {
                message: f(&message),
                retry_after,
            },
            RegistryError::Invalid(m) => RegistryError::Invalid(f(&m)),
            RegistryError::Transport(m) => RegistryError::Transport(f(&m)),
            RegistryError::Other(m) => RegistryError::Other(f(&m)),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            RegistryError::Unauthorized(m)
            | RegistryError::Forbidden(m)
            | RegistryError::NotFound(m)
            | RegistryError::Unsupported(m)
            | RegistryError::Invalid(m)
            | RegistryError::Transport(m)
            | RegistryError::Other(m) => m,
            RegistryError::RateLimited { message, .. } => message,
        }
    }
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}
