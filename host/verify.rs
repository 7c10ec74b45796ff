//! After a cleanup: every kept tag still resolves, and everything it
//! reaches (an index's children, each image's config and layers) exists.
//! Reads only; each manifest and blob is checked once however many tags
//! share it.

use crate::graph::document;
use crate::provider::{Failure, Provider};
use crate::removal::Damaged;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The outcome of checking one digest, shared by every tag that asks.
type Check = Arc<OnceCell<Result<(), String>>>;

/// One check per digest, however many tags ask for it.
#[derive(Default)]
struct Memo(Mutex<HashMap<String, Check>>);

impl Memo {
    fn cell(&self, key: &str) -> Check {
        self.0
            .lock()
            .unwrap()
            .entry(key.to_string())
            .or_default()
            .clone()
    }
}

/// The kept tags that are damaged, in the order given.
pub async fn verify(provider: &Provider, kept: &[String], concurrency: usize) -> Vec<Damaged> {
    let memo = Memo::default();
    // Blobs are checked with the host's own client, which a provider that
    // obtains the registry's credential itself must ready first.
    if provider.registry().is_some()
        && let Err(e) = provider.connect().await
    {
        crate::log::warn(&format!(
            "cannot ready the registry for checking blobs: {}",
            e.message()
        ));
    }
    let checked: Vec<(usize, Result<(), String>)> =
        futures_util::stream::iter(kept.iter().enumerate())
            .map(|(i, tag)| {
                let memo = &memo;
                async move { (i, manifest(provider, memo, tag, 0).await) }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut damaged: Vec<(usize, Damaged)> = checked
        .into_iter()
        .filter_map(|(i, r)| {
            r.err().map(|problem| {
                (
                    i,
                    Damaged {
                        tag: kept[i].clone(),
                        problem,
                    },
                )
            })
        })
        .collect();
    damaged.sort_by_key(|(i, _)| *i);
    damaged.into_iter().map(|(_, d)| d).collect()
}

/// Deepest nesting of indexes followed.
const MAX_DEPTH: usize = 4;

/// Checks a manifest (by tag or digest) and, once per digest, what it
/// reaches.
async fn manifest(
    provider: &Provider,
    memo: &Memo,
    reference: &str,
    depth: usize,
) -> Result<(), String> {
    let found = provider
        .get_manifest(reference)
        .await
        .map_err(|e| missing("manifest", reference, &e))?;
    let cell = memo.cell(&found.digest);
    cell.get_or_init(|| async {
        let doc = document::read(&found.bytes)
            .ok_or_else(|| format!("{} is not a manifest", found.digest))?;
        if depth < MAX_DEPTH {
            for child in &doc.children {
                Box::pin(manifest(provider, memo, child, depth + 1)).await?;
            }
        }
        for (blob, _) in &doc.blobs {
            blob_exists(provider, memo, blob).await?;
        }
        Ok(())
    })
    .await
    .clone()
}

/// A HEAD on the registry's blob; a layout answers by its own size lookup.
async fn blob_exists(provider: &Provider, memo: &Memo, digest: &str) -> Result<(), String> {
    let cell = memo.cell(digest);
    cell.get_or_init(|| async {
        let size = match provider.registry() {
            Some(repo) => repo
                .blob_size(digest)
                .await
                .map_err(|e| format!("cannot check blob {digest}: {}", e.message()))?,
            None => match provider.blob_size(digest).await {
                Ok(size) => size,
                Err(Failure::Registry(crate::model::RegistryError::Unsupported(_))) => {
                    return Ok(());
                }
                Err(e) => return Err(format!("cannot check blob {digest}: {}", e.message())),
            },
        };
        match size {
            Some(_) => Ok(()),
            None => Err(format!("blob {digest} is missing")),
        }
    })
    .await
    .clone()
}

fn missing(what: &str, reference: &str, e: &Failure) -> String {
    if e.is_not_found() {
        format!("{what} {reference} is missing")
    } else {
        format!("cannot check {what} {reference}: {}", e.message())
    }
}
