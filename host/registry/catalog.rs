//! `GET /v2/_catalog`: the repositories of a registry, one page at a time,
//! only those under the target's path when it names a prefix.

use super::Repo;
use super::tags::display_path;
use crate::model::{Page, RegistryError};
use crate::net::Request;
use reqwest::Method;

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
        let what = format!("GET {}", display_path(&url));
        let response = self.send(Request::new(Method::GET, url)).await?;
        if !response.is_success() {
            return Err(RegistryError::from_response(&what, &response));
        }
        #[derive(serde::Deserialize)]
        struct Catalog {
            repositories: Option<Vec<String>>,
        }
        let list: Catalog = serde_json::from_slice(&response.body).map_err(|e| {
            RegistryError::Invalid(format!(
                "{what}: the registry answered with something that is not a catalog ({e}): {}",
                response.said()
            ))
        })?;
        let links = response.header_all("link");
        let next = crate::link::next_link(&links, &response.url).map(|u| u.to_string());
        let items = list
            .repositories
            .unwrap_or_default()
            .into_iter()
            .filter(|r| crate::reference::is_under(r, &self.name))
            .collect();
        Ok(Page { items, next })
    }
}
