//! Listing every tag of a repository across pages. The host drives the
//! paging, so it bounds what one listing may hold and stops a registry (or
//! plugin) whose pages loop or never end: an error, never a hang or an
//! allocation without end.

use super::Provider;
use crate::error::{Error, Result};
use crate::model::{Page, Tag};
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Most items (tags, repositories) one listing takes before it stops with
/// an error.
pub const MAX_LISTED: usize = 1_000_000;

impl Provider {
    /// Every tag, across all pages, in the registry's order.
    pub async fn all_tags(&self, subject: &str, registry: &str) -> Result<Vec<Tag>> {
        let mut tags = Vec::new();
        self.each_tag_page(subject, registry, |page| tags.extend(page))
            .await?;
        Ok(tags)
    }

    /// Hands `each` the tags of every page that were not listed before, page
    /// by page, and returns how many there were.
    pub async fn each_tag_page(
        &self,
        subject: &str,
        registry: &str,
        each: impl FnMut(Vec<Tag>),
    ) -> Result<usize> {
        let fetch = async |cursor: Option<String>| {
            self.list_tags(cursor)
                .await
                .map_err(|f| f.into_error(subject, registry))
        };
        drain(subject, "tags", fetch, tag_name, each).await
    }

    /// Every repository under the target's path (a prefix, or empty for the
    /// whole registry), across all pages, in the registry's order. What a
    /// plugin lists outside the prefix is dropped: it was not asked for.
    pub async fn all_repositories(&self, scope: &str, registry: &str) -> Result<Vec<String>> {
        let mut repositories = Vec::new();
        let prefix = self.target.repository.clone();
        let fetch = async |cursor: Option<String>| {
            self.list_repositories(cursor)
                .await
                .map_err(|f| f.into_error(scope, registry))
        };
        let each = |page: Vec<String>| {
            let under = page.into_iter();
            repositories.extend(under.filter(|r| crate::reference::is_under(r, &prefix)))
        };
        drain(scope, "repositories", fetch, String::as_str, each).await?;
        Ok(repositories)
    }
}

/// Drives a listing page by page, handing `each` the items not listed
/// before. A cursor seen before, or a page of nothing but items already
/// listed, is a loop; more than [`MAX_LISTED`] items is an error.
async fn drain<T>(
    subject: &str,
    what: &str,
    mut fetch: impl AsyncFnMut(Option<String>) -> Result<Page<T>>,
    key: impl Fn(&T) -> &str,
    mut each: impl FnMut(Vec<T>),
) -> Result<usize> {
    // Fingerprints, not names or cursors: 16 bytes an item or page.
    let mut cursors: HashSet<u128> = HashSet::new();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut cursor = None;
    loop {
        let page = fetch(cursor.clone()).await?;
        let listed = page.items.len();
        let fresh: Vec<T> = page
            .items
            .into_iter()
            .filter(|t| seen.insert(fingerprint(key(t))))
            .collect();
        let added = fresh.len();
        if seen.len() > MAX_LISTED {
            return Err(Error::failed(format!(
                "{subject}: the listing passed {MAX_LISTED} {what}; stopped rather than hold more"
            ))
            .hint(format!("berth lists at most 1,000,000 {what} at once; if there really are more, work in parts by prefix")));
        }
        each(fresh);
        crate::log::debug(&format!("{subject}: {} {what} so far", seen.len()));
        let Some(next) = page.next else {
            return Ok(seen.len());
        };
        if listed > 0 && added == 0 {
            return Err(loop_error(
                subject,
                &format!("a page repeated {what} already listed"),
            ));
        }
        if !cursors.insert(fingerprint(&next)) {
            return Err(loop_error(
                subject,
                &format!("the page {} was sent twice", crate::text::clean(&next, 200)),
            ));
        }
        cursor = Some(next);
    }
}

fn tag_name(tag: &Tag) -> &str {
    &tag.name
}

/// Two independent 64-bit hashes: a collision would hide a tag.
fn fingerprint(text: &str) -> u128 {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        text.hash(&mut h);
        h.finish() as u128
    };
    half(0) << 64 | half(1)
}

fn loop_error(subject: &str, what: &str) -> Error {
    Error::failed(format!(
        "{subject}: the registry's paging loops ({what}); stopped instead of listing forever"
    ))
    .hint("this is a registry (or plugin) bug; the listing is incomplete")
}
