//! Copying one manifest with everything it references, in an order that
//! never leaves a broken image: every blob, then the children (by digest),
//! then the manifest itself, its tag last. A failure stops before any
//! manifest that references what failed is pushed.

use super::blob::{Blobs, Moved};
use super::endpoint::Endpoint;
use super::progress::Progress;
use super::referrers;
use super::walk::{self, Entry, Platform};
use crate::error::Error;
use crate::model::Manifest;
use crate::provider::Failure;
use futures_util::StreamExt;
use serde::Serialize;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

/// Deepest nesting of indexes followed.
const MAX_DEPTH: usize = 4;

#[derive(Default)]
pub struct Options {
    pub platform: Option<Platform>,
    pub referrers: bool,
    pub no_clobber: bool,
}

/// One run's copies between two sides, sharing what was moved.
pub struct Copier<'a> {
    pub from: &'a Endpoint,
    pub to: &'a Endpoint,
    pub options: Options,
    /// Blob transfers at a time.
    pub concurrency: usize,
    pub progress: Progress,
    blobs: Blobs,
}

/// What one copy did (cli.md's JSON).
#[derive(Debug, Default, Serialize)]
pub struct Copied {
    pub source: String,
    pub destination: String,
    pub digest: String,
    pub manifests: usize,
    pub blobs: Counts,
    pub bytes_uploaded: u64,
    pub unchanged: bool,
    /// With `--platform`: the platform picked, and the index it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrers: Option<usize>,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub uploaded: usize,
    pub mounted: usize,
    pub skipped: usize,
}

/// Manifests to push (children before parents) and their distinct blobs.
#[derive(Default)]
struct Plan {
    manifests: Vec<Manifest>,
    blobs: Vec<Entry>,
}

/// Why a copy failed: an error naming what failed, with hints.
pub type Failed = Error;

impl<'a> Copier<'a> {
    pub fn new(
        from: &'a Endpoint,
        to: &'a Endpoint,
        options: Options,
        concurrency: usize,
        progress: Progress,
    ) -> Self {
        Copier {
            from,
            to,
            options,
            concurrency: concurrency.max(1),
            progress,
            blobs: Blobs::default(),
        }
    }

    /// Copies `reference` of the source to `tag` of the destination (by
    /// digest when `None`).
    pub async fn copy(&self, reference: &str, tag: Option<&str>) -> Result<Copied, Failed> {
        let from = self.from;
        let mut top = from
            .provider
            .get_manifest(reference)
            .await
            .map_err(|e| self.source_error(reference, e))?;
        let mut copied = Copied::default();
        if let Some(wanted) = &self.options.platform {
            let child = self.pick(reference, &top, wanted)?;
            copied.platform = child.platform.as_ref().map(Platform::to_string);
            copied.index_digest = Some(top.digest.clone());
            top = from
                .provider
                .get_manifest(&child.digest)
                .await
                .map_err(|e| self.source_error(&child.digest, e))?;
        }
        copied.digest = top.digest.clone();
        if let Some(tag) = tag {
            match self.to.provider.resolve(tag).await {
                Ok(found) if found.digest == top.digest => {
                    copied.unchanged = true;
                }
                Ok(found) if self.options.no_clobber => {
                    return Err(Error::failed(format!(
                        "{}:{tag} exists at {} and --no-clobber was given; nothing changed",
                        self.to.shown, found.digest
                    )));
                }
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(self.destination_error(tag, e)),
            }
        }
        let mut pushed = Vec::new();
        if !copied.unchanged {
            let plan = self.plan(top.clone()).await?;
            self.move_blobs(&plan.blobs, &mut copied).await?;
            pushed = self.push(plan.manifests, tag, &mut copied).await?;
        }
        if self.options.referrers {
            let subjects = if pushed.is_empty() {
                vec![top.digest.clone()]
            } else {
                pushed
            };
            copied.referrers = Some(self.copy_referrers(subjects, &mut copied).await?);
        }
        Ok(copied)
    }

    /// The child of index `top` for `wanted`; an error lists those there are.
    fn pick(&self, reference: &str, top: &Manifest, wanted: &Platform) -> Result<Entry, Failed> {
        let refs = walk::refs(&top.bytes)
            .map_err(|why| Error::failed(format!("{}:{reference}: {why}", self.from.shown)))?;
        if refs.children.is_empty() {
            return Err(Error::failed(format!(
                "{}:{reference} is not an index: --platform picks a child of one",
                self.from.shown
            )));
        }
        if let Some(child) = refs
            .children
            .iter()
            .find(|c| c.platform.as_ref().is_some_and(|p| p.matches(wanted)))
        {
            return Ok(child.clone());
        }
        let there: Vec<String> = refs
            .children
            .iter()
            .filter_map(|c| c.platform.as_ref().map(Platform::to_string))
            .collect();
        Err(Error::failed(format!(
            "{}:{reference} has no child for {wanted}; its platforms: {}",
            self.from.shown,
            if there.is_empty() {
                "none named".to_string()
            } else {
                there.join(", ")
            }
        )))
    }

    /// Every manifest under `top` (fetched and verified) and every blob.
    async fn plan(&self, top: Manifest) -> Result<Plan, Failed> {
        let mut plan = Plan::default();
        let mut seen = HashSet::new();
        self.collect(top, 0, &mut plan, &mut seen).await?;
        Ok(plan)
    }

    fn collect<'b>(
        &'b self,
        manifest: Manifest,
        depth: usize,
        plan: &'b mut Plan,
        seen: &'b mut HashSet<String>,
    ) -> Pin<Box<dyn Future<Output = Result<(), Failed>> + 'b>> {
        Box::pin(async move {
            let shown = format!("{}@{}", self.from.shown, manifest.digest);
            let refs = walk::refs(&manifest.bytes)
                .map_err(|why| Error::failed(format!("{shown}: {why}")))?;
            if depth > MAX_DEPTH && !refs.children.is_empty() {
                return Err(Error::failed(format!(
                    "{shown}: indexes nest deeper than {MAX_DEPTH}"
                )));
            }
            for blob in refs.blobs {
                if seen.insert(blob.digest.clone()) {
                    plan.blobs.push(blob);
                }
            }
            let children = futures_util::stream::iter(&refs.children)
                .map(|child| async move {
                    self.from
                        .provider
                        .get_manifest(&child.digest)
                        .await
                        .map_err(|e| self.source_error(&child.digest, e))
                })
                .buffered(self.concurrency)
                .collect::<Vec<_>>()
                .await;
            for child in children {
                let child = child?;
                if seen.insert(child.digest.clone()) {
                    self.collect(child, depth + 1, plan, seen).await?;
                }
            }
            plan.manifests.push(manifest);
            Ok(())
        })
    }

    /// Moves every blob, `concurrency` at a time; the first failure stops
    /// the others.
    async fn move_blobs(&self, blobs: &[Entry], copied: &mut Copied) -> Result<(), Failed> {
        let mut moving = futures_util::stream::iter(blobs)
            .map(|blob| async move {
                self.blobs
                    .copy(self.from, self.to, blob, &self.progress)
                    .await
                    .map_err(|e| blob_error(self.to, &blob.digest, e))
            })
            .buffer_unordered(self.concurrency);
        while let Some(moved) = moving.next().await {
            match moved? {
                Moved::Uploaded(bytes) => {
                    copied.blobs.uploaded += 1;
                    copied.bytes_uploaded += bytes;
                }
                Moved::Mounted => copied.blobs.mounted += 1,
                Moved::Skipped => copied.blobs.skipped += 1,
            }
        }
        Ok(())
    }

    /// Pushes children by digest, then the last manifest under `tag`.
    /// Returns the digests pushed.
    async fn push(
        &self,
        manifests: Vec<Manifest>,
        tag: Option<&str>,
        copied: &mut Copied,
    ) -> Result<Vec<String>, Failed> {
        let last = manifests.len().saturating_sub(1);
        let mut pushed = Vec::new();
        for (i, manifest) in manifests.into_iter().enumerate() {
            let reference = match tag {
                Some(tag) if i == last => tag.to_string(),
                _ => manifest.digest.clone(),
            };
            self.to
                .provider
                .push_manifest(&reference, &manifest.media_type, &manifest.bytes)
                .await
                .map_err(|e| self.destination_error(&reference, e))?;
            copied.manifests += 1;
            pushed.push(manifest.digest);
        }
        Ok(pushed)
    }

    /// Copies the referrers of `subjects` (and theirs), each by digest, and
    /// indexes them at the destination. Returns how many were copied.
    async fn copy_referrers(
        &self,
        mut subjects: Vec<String>,
        copied: &mut Copied,
    ) -> Result<usize, Failed> {
        let mut done = HashSet::new();
        let mut count = 0;
        while let Some(subject) = subjects.pop() {
            let found = referrers::list(self.from, &subject)
                .await
                .map_err(|e| self.source_error(&subject, e))?;
            for referrer in &found {
                if !done.insert(referrer.digest.clone()) {
                    continue;
                }
                let manifest = self
                    .from
                    .provider
                    .get_manifest(&referrer.digest)
                    .await
                    .map_err(|e| self.source_error(&referrer.digest, e))?;
                let plan = self.plan(manifest).await?;
                self.move_blobs(&plan.blobs, copied).await?;
                self.push(plan.manifests, None, copied).await?;
                subjects.push(referrer.digest.clone());
                count += 1;
            }
            if !found.is_empty() {
                referrers::index(self.to, &subject, &found)
                    .await
                    .map_err(|e| self.destination_error(&subject, e))?;
            }
        }
        Ok(count)
    }

    fn source_error(&self, reference: &str, e: Failure) -> Failed {
        at(self.from, reference, e)
    }

    fn destination_error(&self, reference: &str, e: Failure) -> Failed {
        at(self.to, reference, e)
    }
}

/// The error, about `REPO:TAG` (or `REPO@DIGEST`) of `side`.
fn at(side: &Endpoint, reference: &str, e: Failure) -> Failed {
    let separator = if reference.contains(':') { '@' } else { ':' };
    e.into_error(&format!("{}{separator}{reference}", side.shown), &side.host)
}

/// An error about a blob names its digest.
fn blob_error(side: &Endpoint, digest: &str, e: Failure) -> Failed {
    if e.message().contains(digest) {
        e.into_error(&side.shown, &side.host)
    } else {
        e.into_error(&format!("{} blob {digest}", side.shown), &side.host)
    }
}
