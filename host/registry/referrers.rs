//! The manifests that refer to another (`subject`): the referrers API, else
//! the `sha256-<hex>` fallback tag.

use super::Repo;
use crate::model::{Referrer, RegistryError};

impl Repo {
    pub async fn referrers(&self, _digest: &str) -> Result<Vec<Referrer>, RegistryError> {
        Err(RegistryError::Unsupported(
            "referrers are not listed yet".into(),
        ))
    }
}
