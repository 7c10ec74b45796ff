//! Between host errors and the WIT `error` variant.

use crate::net::NetError;
use crate::registry::RegistryError;
use crate::runtime::v0_1_0::berth::provider::types::{Error, RateLimit};

impl From<RegistryError> for Error {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Unauthorized(m) => Error::Unauthorized(m),
            RegistryError::Forbidden(m) => Error::Forbidden(m),
            RegistryError::NotFound(m) => Error::NotFound(m),
            RegistryError::Unsupported(m) => Error::Unsupported(m),
            RegistryError::RateLimited {
                message,
                retry_after,
            } => Error::RateLimited(RateLimit {
                message,
                retry_after,
            }),
            RegistryError::Invalid(m) => Error::Invalid(m),
            RegistryError::Transport(m) => Error::Transport(m),
            RegistryError::Other(m) => Error::Other(m),
        }
    }
}

impl From<Error> for RegistryError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unauthorized(m) => RegistryError::Unauthorized(m),
            Error::Forbidden(m) => RegistryError::Forbidden(m),
            Error::NotFound(m) => RegistryError::NotFound(m),
            Error::Unsupported(m) => RegistryError::Unsupported(m),
            Error::RateLimited(r) => RegistryError::RateLimited {
                message: r.message,
                retry_after: r.retry_after,
            },
            Error::Invalid(m) => RegistryError::Invalid(m),
            Error::Transport(m) => RegistryError::Transport(m),
            Error::Other(m) => RegistryError::Other(m),
        }
    }
}

impl From<NetError> for Error {
    fn from(e: NetError) -> Self {
        RegistryError::from(e).into()
    }
}

impl crate::runtime::v0_1_0::berth::provider::types::Host for crate::runtime::State {}
