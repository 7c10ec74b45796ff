//! Credentials: where they come from (docker config, credential helpers) and
//! how the host answers a registry's Basic and Bearer challenges with them.

pub mod aws_profile;
pub mod challenge;
pub mod claims;
mod credential;
pub mod docker_config;
mod error;
mod helper;
mod scope;
mod session;
pub mod store;
pub mod verify;

pub use docker_config::{Credential, DockerConfig};
pub use session::{AuthKind, RegistryAuth};
