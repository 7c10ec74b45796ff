//! Listing every tag of a repository across pages. The host drives the
//! paging, so it bounds what one listing may hold and stops a registry (or
//! plugin) whose pages loop or never end: an error, never a hang or an
//! allocation without end.

use super::Provider;
use crate::error::{Error, Result};
use crate::model::Tag;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Most tags one listing takes before it stops with an error.
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
    /// by page, and returns how many there were. A cursor seen before, or a
    /// page of nothing but tags already listed, is a loop.
    pub async fn each_tag_page(
        &self,
        subject: &str,
        registry: &str,
        mut each: impl FnMut(Vec<Tag>),
    ) -> Result<usize> {
        // Fingerprints, not names or cursors: 16 bytes a tag or page.
        let mut cursors: HashSet<u128> = HashSet::new();
        let mut seen: HashSet<u128> = HashSet::new();
        let mut cursor = None;
        loop {
            let page = self
                .list_tags(cursor.clone())
                .await
                .map_err(|f| f.into_error(subject, registry))?;
            let listed = page.items.len();
            let fresh: Vec<Tag> = page
                .items
                .into_iter()
                .filter(|t| seen.insert(fingerprint(&t.name)))
                .collect();
            let added = fresh.len();
            if seen.len() > MAX_LISTED {
                return Err(Error::failed(format!(
                    "{subject}: the listing passed {MAX_LISTED} tags; stopped rather than hold more"
                ))
                .hint("berth lists at most 1,000,000 tags of one repository; if it really has more, clean it in parts with a tool that pages by prefix"));
            }
            each(fresh);
            crate::log::debug(&format!("{subject}: {} tags so far", seen.len()));
            let Some(next) = page.next else {
                return Ok(seen.len());
            };
            if listed > 0 && added == 0 {
                return Err(loop_error(subject, "a page repeated tags already listed"));
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
