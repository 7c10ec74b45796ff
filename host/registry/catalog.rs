//! `GET /v2/_catalog`: the repositories of a registry, one page at a time.

use super::Repo;
use crate::model::{Page, RegistryError};

impl Repo {
    pub async fn list_repositories(
        &self,
        _cursor: Option<&str>,
    ) -> Result<Page<String>, RegistryError> {
        Err(RegistryError::Unsupported(
            "repositories are not listed yet".into(),
        ))
    }
}
