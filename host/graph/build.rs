//! Building the graph with few requests. Only what the rules in play need
//! is asked: every manifest (`list-manifests`, taken as it is where it
//! describes them) only for `--untagged`; the manifests themselves (indexes
//! for their children, others for their subject) only for `--untagged` and
//! `--in-use`; the fallback indexes always, for the referrers they list.
//! Without a listing of manifests, each ordinary tag is resolved (one HEAD)
//! unless the tag listing gave its digest; when the blobs of every image are
//! wanted anyway (`plan` counts the bytes freed), the tag's manifest is read
//! instead (one GET), which tells its digest too.

use super::document::{self, Document};
use super::{Graph, Node, attachment};
use crate::model::{Capability, ManifestEntry, RegistryError, Tag};
use crate::provider::{Failure, Provider};
use futures_util::StreamExt;
use std::collections::BTreeSet;

/// Most pages one manifest listing takes.
const MAX_PAGES: usize = 100_000;

/// What the rules in play need to know.
pub struct Needs {
    /// Every manifest, untagged ones too (`--untagged`).
    pub every_manifest: bool,
    /// Each manifest's children and subject (`--untagged`, `--in-use`).
    pub contents: bool,
    /// Every image's blobs, with their sizes (the bytes `plan` says a
    /// decision frees).
    pub blobs: bool,
}

pub async fn build(
    provider: &Provider,
    tags: &[Tag],
    needs: &Needs,
    concurrency: usize,
) -> Result<Graph, Failure> {
    let mut graph = Graph::default();
    for tag in tags {
        if let Some(digest) = &tag.digest {
            graph.tags.insert(tag.name.clone(), digest.clone());
            graph.nodes.entry(digest.clone()).or_default();
        }
    }
    // Digests whose manifest must be read.
    let mut to_read: BTreeSet<String> = BTreeSet::new();
    if needs.every_manifest && provider.has(Capability::ListManifests) {
        list(provider, &mut graph, &mut to_read).await?;
    } else {
        let by_get = needs.blobs && provider.has(Capability::GetManifest);
        resolve(provider, tags, &mut graph, by_get, concurrency).await?;
    }
    graph.all_tags_known = tags.iter().all(|t| graph.tags.contains_key(&t.name));
    let fallbacks: BTreeSet<String> = graph
        .tags
        .iter()
        .filter(|(t, _)| attachment::is_fallback_index(t))
        .map(|(_, d)| d.clone())
        .collect();
    if !needs.contents {
        to_read.clear();
    }
    for (digest, node) in &graph.nodes {
        let is_index = node.media_type.as_deref().is_none_or(document::is_index);
        if needs.contents && is_index {
            to_read.insert(digest.clone());
        }
    }
    to_read.extend(fallbacks);
    to_read.retain(|d| graph.nodes.get(d).is_none_or(|n| n.blobs.is_none()));
    read(
        provider,
        &mut graph,
        to_read.into_iter().collect(),
        concurrency,
    )
    .await?;
    Ok(graph)
}

/// Every manifest from the provider's listing.
async fn list(
    provider: &Provider,
    graph: &mut Graph,
    to_read: &mut BTreeSet<String>,
) -> Result<(), Failure> {
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = provider.list_manifests(cursor.take()).await?;
        graph.requests += 1;
        for entry in page.items {
            take(graph, entry, to_read);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => {
                graph.complete = true;
                return Ok(());
            }
        }
    }
    Err(Failure::Plugin(format!(
        "plugin {} listed more than {MAX_PAGES} pages of manifests",
        provider.label()
    )))
}

/// One entry of a listing into the graph; a manifest it does not describe
/// is to be read. A listing may name a manifest more than once (an index's
/// child, a subject's accessory): what one entry says, a later one keeps.
fn take(graph: &mut Graph, entry: ManifestEntry, to_read: &mut BTreeSet<String>) {
    for tag in &entry.tags {
        graph.tags.insert(tag.clone(), entry.digest.clone());
    }
    if !entry.described {
        to_read.insert(entry.digest.clone());
    }
    let node = graph.nodes.entry(entry.digest).or_default();
    node.media_type = entry.media_type.or(node.media_type.take());
    // A listing that names a subject is taken at its word (a registry's
    // record of a signature's image, which the signature's manifest may not
    // hold); reading the manifest can add one.
    if entry.described || entry.subject.is_some() {
        node.subject = entry.subject;
    }
}

/// Each ordinary tag's digest and media type (one HEAD, unless listed), or
/// with `by_get` its whole manifest (one GET); fallback indexes are read
/// below unless read here. A tag gone meanwhile is left out.
async fn resolve(
    provider: &Provider,
    tags: &[Tag],
    graph: &mut Graph,
    by_get: bool,
    concurrency: usize,
) -> Result<(), Failure> {
    if by_get {
        return resolve_by_get(provider, tags, graph, concurrency).await;
    }
    let wanted = unresolved(tags);
    let found: Vec<_> = futures_util::stream::iter(wanted)
        .map(|t| async move { (t, provider.resolve(&t.name).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for (tag, result) in found {
        graph.requests += 1;
        match result {
            Ok(d) => {
                graph.tags.insert(tag.name.clone(), d.digest.clone());
                graph.nodes.entry(d.digest).or_default().media_type = Some(d.media_type);
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The tags whose digest the graph needs and the listing did not give:
/// ordinary tags and fallback indexes (another attachment tag is known by the
/// subject its name gives).
fn unresolved(tags: &[Tag]) -> Vec<&Tag> {
    tags.iter()
        .filter(|t| {
            let ordinary = attachment::subject_of(&t.name).is_none();
            (ordinary || attachment::is_fallback_index(&t.name)) && t.digest.is_none()
        })
        .collect()
}

async fn resolve_by_get(
    provider: &Provider,
    tags: &[Tag],
    graph: &mut Graph,
    concurrency: usize,
) -> Result<(), Failure> {
    let wanted = unresolved(tags);
    let found: Vec<_> = futures_util::stream::iter(wanted)
        .map(|t| async move { (t, provider.get_manifest(&t.name).await) })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut read = Vec::new();
    for (tag, result) in found {
        graph.requests += 1;
        match result {
            Ok(manifest) => {
                graph.tags.insert(tag.name.clone(), manifest.digest.clone());
                read.push(manifest);
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    // Every tag is in place before any manifest is added, so a fallback
    // index is known as one by its tag.
    for manifest in read {
        add_read(
            graph,
            &manifest.digest,
            manifest.media_type,
            &manifest.bytes,
        )?;
    }
    Ok(())
}

/// Reads `digests` for children, subject and blobs. A fallback index's
/// children are referrers of the digest its tag names. Without
/// `get-manifest`, nothing is read and the graph is not complete.
async fn read(
    provider: &Provider,
    graph: &mut Graph,
    digests: Vec<String>,
    concurrency: usize,
) -> Result<(), Failure> {
    if digests.is_empty() {
        return Ok(());
    }
    if !provider.has(Capability::GetManifest) {
        graph.complete = false;
        return Ok(());
    }
    let found: Vec<_> = futures_util::stream::iter(digests)
        .map(|d| async move {
            let result = provider.get_manifest(&d).await;
            (d, result)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    for (digest, result) in found {
        graph.requests += 1;
        let manifest = match result {
            Ok(m) => m,
            Err(e) if e.is_not_found() => {
                graph.nodes.remove(&digest);
                graph.tags.retain(|_, d| *d != digest);
                continue;
            }
            Err(e) => return Err(e),
        };
        add_read(graph, &digest, manifest.media_type, &manifest.bytes)?;
    }
    Ok(())
}

fn add_read(
    graph: &mut Graph,
    digest: &str,
    media_type: String,
    bytes: &[u8],
) -> Result<(), Failure> {
    let Some(doc) = document::read(bytes) else {
        return Err(Failure::Registry(RegistryError::Invalid(format!(
            "manifest {digest} is not a manifest"
        ))));
    };
    add(graph, digest, media_type, doc);
    Ok(())
}

fn add(graph: &mut Graph, digest: &str, media_type: String, doc: Document) {
    let fallback_of: Option<String> = graph
        .tags_on(digest)
        .find(|t| attachment::is_fallback_index(t))
        .and_then(attachment::subject_of);
    for child in &doc.children {
        let node = graph.nodes.entry(child.clone()).or_default();
        if let Some(subject) = &fallback_of {
            node.subject.get_or_insert_with(|| subject.clone());
        }
    }
    let node = graph.nodes.entry(digest.to_string()).or_default();
    node.media_type = Some(media_type);
    node.children = if fallback_of.is_some() {
        // The fallback index does not hold its referrers up: they belong to
        // the subject, and go or stay with it.
        Vec::new()
    } else {
        doc.children
    };
    node.subject = doc.subject.or(node.subject.take());
    node.blobs = Some(doc.blobs);
}

impl Graph {
    /// Reads every manifest not read yet, for the sizes of its blobs.
    pub async fn read_blobs(
        &mut self,
        provider: &Provider,
        concurrency: usize,
    ) -> Result<(), Failure> {
        let unread: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.blobs.is_none())
            .map(|(d, _)| d.clone())
            .collect();
        read(provider, self, unread, concurrency).await
    }

    /// Adds the referrers of `digests` (images that go) where the listing did
    /// not say: the referrers API, whose fallback tags the graph already
    /// read. Once the registry is known to lack the API, asking is pointless.
    /// A lookup that fails leaves the referrers unknown, so they stay.
    pub async fn add_referrers(
        &mut self,
        provider: &Provider,
        digests: &[String],
        concurrency: usize,
    ) {
        let lacks_api = || {
            provider
                .registry()
                .is_some_and(|r| r.learned_referrers_api() == Some(false))
        };
        if self.complete || digests.is_empty() || lacks_api() {
            return;
        }
        let first = &digests[..1];
        let asked = self.referrers_of(provider, first, concurrency).await;
        let asked = match asked {
            Ok(()) if !lacks_api() => {
                self.referrers_of(provider, &digests[1..], concurrency)
                    .await
            }
            done => done,
        };
        if let Err(e) = asked {
            crate::log::warn(&format!(
                "referrers of the images that go are unknown, so they stay: {}",
                e.message()
            ));
        }
    }

    async fn referrers_of(
        &mut self,
        provider: &Provider,
        digests: &[String],
        concurrency: usize,
    ) -> Result<(), Failure> {
        let found: Vec<_> = futures_util::stream::iter(digests)
            .map(|d| async move { (d, provider.list_referrers(d).await) })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for (subject, result) in found {
            self.requests += 1;
            let referrers = match result {
                Ok(r) => r,
                Err(Failure::Registry(
                    RegistryError::Unsupported(_) | RegistryError::NotFound(_),
                )) => {
                    continue;
                }
                Err(e) => return Err(e),
            };
            for r in referrers {
                let node: &mut Node = self.nodes.entry(r.digest).or_default();
                node.subject.get_or_insert_with(|| subject.clone());
                node.media_type.get_or_insert(r.media_type);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn entry(digest: String) -> ManifestEntry {
        ManifestEntry {
            digest,
            tags: Vec::new(),
            media_type: None,
            subject: None,
            created: None,
            described: false,
        }
    }

    #[test]
    fn a_listed_subject_is_kept_and_the_manifest_still_read() {
        let mut graph = Graph::default();
        let mut to_read = BTreeSet::new();
        // Harbor names a signature as its image's accessory, then again as
        // a child of an index, which says no subject.
        take(
            &mut graph,
            ManifestEntry {
                subject: Some(d('1')),
                ..entry(d('2'))
            },
            &mut to_read,
        );
        take(&mut graph, entry(d('2')), &mut to_read);
        take(
            &mut graph,
            ManifestEntry {
                tags: vec!["v1".into()],
                media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
                ..entry(d('1'))
            },
            &mut to_read,
        );
        assert_eq!(graph.nodes[&d('2')].subject, Some(d('1')));
        assert_eq!(graph.referrers(&d('1')).collect::<Vec<_>>(), [d('2')]);
        assert_eq!(graph.tags["v1"], d('1'));
        assert_eq!(to_read, [d('1'), d('2')].into_iter().collect());
    }
}
