//! What the operator's credential may do on a repository, learned from the
//! scopes the registry's token service grants.

use super::Repo;
use crate::model::{Permissions, RegistryError};

impl Repo {
    pub async fn permissions(&self) -> Result<Permissions, RegistryError> {
        Err(RegistryError::Unsupported(
            "permissions are not learned yet".into(),
        ))
    }
}
