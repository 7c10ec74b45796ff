//! What cleanup decides for one repository: which tags go, the first reason
//! each other tag stays, and what goes with the tags (attachments, untagged
//! manifests). `cleanup` acts on it, `plan` records it, so the two always
//! agree.

mod bytes;
mod follow;
mod images;

pub use follow::following;
pub use images::{Attachment, Extent, Fate, fate};

use crate::error::Result;
use crate::graph::{Graph, Needs, attachment};
use crate::in_use::InUse;
use crate::model::{Capability, Tag};
use crate::policy::{Candidate, Rules, Verdict};
use crate::provider::Provider;
use crate::removal::Kept;
use std::collections::BTreeSet;

/// A repository's tags and what becomes of each.
pub struct Decision {
    /// Every tag, as listed.
    pub tags: Vec<Tag>,
    /// Tags to remove, in listing order.
    pub delete: Vec<String>,
    /// Every other tag, with the first reason that holds; the attachments
    /// of removed images are not among them.
    pub kept: Vec<Kept>,
    /// Attachments that go with their image (tags, or referrers' digests).
    pub attachments: Vec<Attachment>,
    /// Manifests without a tag that go (`--untagged`).
    pub untagged: Vec<String>,
    /// Bytes of the blobs only images that go reference, when asked for
    /// (`plan` records it); else 0.
    pub bytes_freed: u64,
    /// Every manifest that goes, or is left with no tag and nothing kept
    /// reaching it.
    pub gone: BTreeSet<String>,
    /// The repository graph the decision was made on.
    pub graph: Graph,
}

/// Lists `repo`, builds its graph and judges every tag by `policy`; with
/// `bytes`, counts the bytes the removals free. Reads only.
pub async fn decide(
    provider: &Provider,
    repo: &str,
    registry: &str,
    policy: &Rules,
    concurrency: usize,
    bytes: bool,
) -> Result<Decision> {
    let tags = provider.all_tags(repo, registry).await?;
    let images_in_use = policy.in_use();
    let needs = Needs {
        every_manifest: policy.untagged(),
        contents: policy.untagged() || !images_in_use.is_empty(),
        blobs: bytes,
    };
    let mut graph = crate::graph::build(provider, &tags, &needs, concurrency)
        .await
        .map_err(|e| e.into_error(repo, registry))?;
    crate::log::debug(&format!(
        "{repo}: graph of {} manifests built with {} requests",
        graph.nodes.len(),
        graph.requests
    ));
    let dates = if policy.needs_dates() {
        let selected: Vec<Tag> = tags
            .iter()
            .filter(|t| attachment::subject_of(&t.name).is_none() && policy.needs_date_of(&t.name))
            .cloned()
            .collect();
        let manifests = provider.has(Capability::GetManifest);
        crate::dates::resolve(provider, &selected, manifests, concurrency).await
    } else {
        Default::default()
    };
    let candidates: Vec<Candidate> = tags
        .iter()
        .map(|t| Candidate {
            name: t.name.clone(),
            created: dates.get(&t.name).copied(),
            attachment: attachment::subject_of(&t.name).is_some(),
            in_use: in_use(&graph, &images_in_use, repo, &t.name),
        })
        .collect();
    let verdicts = policy.judge(&candidates, chrono::Utc::now());
    let listed: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
    let deleted: BTreeSet<String> = tags
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| **v == Verdict::Delete)
        .map(|(t, _)| t.name.clone())
        .collect();
    let rules = Extent {
        untagged: policy.untagged(),
        keep_attachments: policy.keep_attachments(),
        in_use: &images_in_use,
        deletes_manifests: provider.has(Capability::DeleteManifest),
    };
    let fate = settle(provider, &mut graph, &listed, &deleted, &rules, concurrency).await;
    let gone = fate.gone(&graph);
    let removed: BTreeSet<&str> = fate
        .attachments
        .iter()
        .map(|a| a.removed.as_str())
        .collect();
    let mut delete = Vec::new();
    let mut kept = Vec::new();
    for (tag, verdict) in tags.iter().zip(verdicts) {
        match verdict {
            Verdict::Delete => delete.push(tag.name.clone()),
            Verdict::Keep(_) if removed.contains(tag.name.as_str()) => {}
            Verdict::Keep(reason) => kept.push(Kept {
                tag: tag.name.clone(),
                reason,
            }),
        }
    }
    let mut decision = Decision {
        tags,
        delete,
        kept,
        attachments: fate.attachments,
        untagged: fate.untagged,
        bytes_freed: 0,
        gone,
        graph,
    };
    if bytes {
        decision
            .measure(provider, concurrency)
            .await
            .map_err(|e| e.into_error(repo, registry))?;
    }
    Ok(decision)
}

/// The fate of the images once `deleted` go, with the referrers of those
/// that go read from the registry first (their attachments go with them).
pub async fn settle(
    provider: &Provider,
    graph: &mut Graph,
    listed: &[String],
    deleted: &BTreeSet<String>,
    rules: &Extent<'_>,
    concurrency: usize,
) -> Fate {
    if !rules.keep_attachments {
        let first = fate(graph, listed, deleted, rules);
        let going: Vec<String> = first.going.into_iter().collect();
        graph.add_referrers(provider, &going, concurrency).await;
    }
    fate(graph, listed, deleted, rules)
}

/// Whether the tag, or the image it points at (or a manifest that image
/// lists), is in use.
fn in_use(graph: &Graph, in_use: &InUse, repo: &str, tag: &str) -> bool {
    if in_use.is_empty() {
        return false;
    }
    if in_use.names(repo, tag) {
        return true;
    }
    graph.tags.get(tag).is_some_and(|d| {
        graph
            .reach_children([d.as_str()])
            .iter()
            .any(|d| in_use.has_digest(d))
    })
}
