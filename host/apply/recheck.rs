//! Whether a planned tag is still where the plan saw it, just before it is
//! removed.

use crate::model::{Capability, Tag};
use crate::provider::{Failure, Provider};
use futures_util::StreamExt;
use std::collections::HashMap;

pub enum Verdict {
    /// At the planned digest, or on berth's own throwaway manifest for it
    /// (a removal cut off midway): remove it.
    Remove,
    /// No longer in the repository.
    Gone,
    /// Now at another digest: left alone.
    Moved(String),
    Failed(Failure),
}

/// A verdict for each `(tag, planned digest)` of `planned`, in order;
/// `tags` is the repository's listing, read just now.
pub async fn check(
    provider: &Provider,
    tags: &[Tag],
    planned: &[&(String, String)],
    concurrency: usize,
) -> Vec<Verdict> {
    let listed: HashMap<&str, Option<&str>> = tags
        .iter()
        .map(|t| (t.name.as_str(), t.digest.as_deref()))
        .collect();
    futures_util::stream::iter(planned)
        .map(|(tag, digest)| {
            let listed = listed.get(tag.as_str()).copied();
            async move {
                let now = match listed {
                    None => return Verdict::Gone,
                    Some(Some(now)) => now.to_string(),
                    Some(None) => match provider.resolve(tag).await {
                        Ok(descriptor) => descriptor.digest,
                        Err(e) if e.is_not_found() => return Verdict::Gone,
                        Err(e) => return Verdict::Failed(e),
                    },
                };
                if now == *digest || on_throwaway(provider, tag, &now).await {
                    Verdict::Remove
                } else {
                    Verdict::Moved(now)
                }
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// Whether `tag` sits on the throwaway manifest berth moves a tag to while
/// removing it.
async fn on_throwaway(provider: &Provider, tag: &str, digest: &str) -> bool {
    if !provider.has(Capability::GetManifest) {
        return false;
    }
    match provider.get_manifest(digest).await {
        Ok(manifest) => crate::registry::is_throwaway_of(&manifest.bytes, tag),
        Err(_) => false,
    }
}
