//! `GET /v2/_catalog`: the repositories of a registry, one page at a time,
//! only those under the target's path when it names a prefix.

use super::Repo;
use crate::model::{Page, RegistryError};

/// Asked per page; distribution refuses more than 1000.
const PAGE: u32 = 1000;

impl Repo {
    pub async fn list_repositories(
        &self,
        cursor: Option<&str>,
    ) -> Result<Page<String>, RegistryError> {
        let url = match cursor {
            Some(cursor) => self.cursor_url(cursor)?,
            None => {
                let mut url = self.base.clone();
                url.set_path("/v2/_catalog");
                url.set_query(Some(&format!("n={PAGE}")));
                url
            }
        };
        #[derive(serde::Deserialize)]
        struct Catalog {
            repositories: Option<Vec<String>>,
        }
        let (list, next): (Catalog, _) = self.listing_page(url, "a catalog").await?;
        let items = list
            .repositories
            .unwrap_or_default()
            .into_iter()
            .filter(|r| crate::reference::is_under(r, &self.name))
            .collect();
        Ok(Page { items, next })
    }
}
