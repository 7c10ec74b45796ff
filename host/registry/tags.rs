//! `GET /v2/<name>/tags/list`, one page at a time.

use super::Repo;
use crate::model::{Page, RegistryError};
use crate::net::Request;
use reqwest::{Method, Url};

/// Asked per page; ECR refuses more than 1000.
const PAGE: u32 = 1000;

impl Repo {
    /// The URL of a page a listing's `Link` header named.
    pub(super) fn cursor_url(&self, cursor: &str) -> Result<Url, RegistryError> {
        self.base
            .join(cursor)
            .map_err(|_| RegistryError::Invalid(format!("invalid page cursor {cursor:?}")))
    }

    /// The page at `cursor` (a URL from a previous page, from its `Link`
    /// header), or the first one.
    pub async fn list_tags(&self, cursor: Option<&str>) -> Result<Page<String>, RegistryError> {
        let url = match cursor {
            Some(cursor) => self.cursor_url(cursor)?,
            None => {
                let mut url = self.url("tags/list");
                url.set_query(Some(&format!("n={PAGE}")));
                url
            }
        };
        #[derive(serde::Deserialize)]
        struct TagList {
            tags: Option<Vec<String>>,
        }
        let (list, next): (TagList, _) = self.listing_page(url, "a tag list").await?;
        Ok(Page {
            items: list.tags.unwrap_or_default(),
            next,
        })
    }

    /// One page of a paged listing (`tags/list`, `_catalog`): its body as
    /// `T`, and the URL its `Link` header names next.
    pub(super) async fn listing_page<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        kind: &str,
    ) -> Result<(T, Option<String>), RegistryError> {
        let what = format!("GET {}", display_path(&url));
        let response = self.send(Request::new(Method::GET, url)).await?;
        if !response.is_success() {
            return Err(RegistryError::from_response(&what, &response));
        }
        let body: T = serde_json::from_slice(&response.body).map_err(|e| {
            RegistryError::Invalid(format!(
                "{what}: the registry answered with something that is not {kind} ({e}): {}",
                response.said()
            ))
        })?;
        let links = response.header_all("link");
        let next = crate::link::next_link(&links, &response.url).map(|u| u.to_string());
        Ok((body, next))
    }
}

/// Path and query, for messages.
pub(super) fn display_path(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}
