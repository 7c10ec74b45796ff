//! What goes with the tags that go: an image goes when no kept tag reaches
//! it any more (directly, through a kept index, or as a referrer of a kept
//! image); its attachments go with it; with `--untagged`, so does every
//! manifest of a fully listed repository that nothing kept reaches. Pure:
//! decided on the graph alone.

use crate::graph::{Graph, attachment};
use serde::Serialize;
use std::collections::BTreeSet;

/// An attachment removed with its image: a tag, or a referrer's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub removed: String,
    pub subject: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fate {
    /// Images that go: manifests no kept tag reaches any more.
    pub going: BTreeSet<String>,
    pub attachments: Vec<Attachment>,
    /// Manifests that had no tag and go (`--untagged`).
    pub untagged: Vec<String>,
    /// Manifests deleted by digest after their tags went (`--untagged`).
    pub leftovers: Vec<String>,
}

impl Fate {
    /// Every manifest that goes, or is left with no tag and nothing kept
    /// reaching it.
    pub fn gone(&self, graph: &Graph) -> BTreeSet<String> {
        let mut gone: BTreeSet<String> = self.going.clone();
        for a in &self.attachments {
            gone.insert(graph.tags.get(&a.removed).unwrap_or(&a.removed).clone());
        }
        gone.extend(self.untagged.iter().cloned());
        gone.extend(self.leftovers.iter().cloned());
        gone.retain(|d| crate::reference::is_valid_digest(d));
        gone
    }
}

pub struct Extent<'a> {
    pub untagged: bool,
    pub keep_attachments: bool,
    pub in_use: &'a crate::in_use::InUse,
    /// Whether the provider deletes manifests by digest: where it cannot, a
    /// referrer without a tag stays, and so does everything attached to it.
    pub deletes_manifests: bool,
}

/// `listed` is every tag of the repository, `deleted` those that go.
pub fn fate(graph: &Graph, listed: &[String], deleted: &BTreeSet<String>, rules: &Extent) -> Fate {
    let digest = |t: &String| graph.tags.get(t).map(String::as_str);
    let kept_images = listed
        .iter()
        .filter(|t| attachment::subject_of(t).is_none() && !deleted.contains(*t))
        .filter_map(digest);
    let in_use = graph
        .nodes
        .keys()
        .filter(|d| rules.in_use.has_digest(d))
        .map(String::as_str);
    let mut kept = graph.reach(kept_images.chain(in_use));

    // What loses its last tag, with the children of an index that goes.
    let deleted_digests: Vec<&str> = deleted.iter().filter_map(digest).collect();
    let unlisted = graph.complete && rules.untagged;
    let mut candidates: BTreeSet<String> = if unlisted {
        graph.nodes.keys().cloned().collect()
    } else {
        graph.reach_children(deleted_digests.iter().copied())
    };
    candidates.retain(|d| !kept.contains(d));

    // Attachments whose image stays (or was never here) keep what they
    // point at.
    let staying: Vec<&str> = listed
        .iter()
        .filter(|t| {
            attachment::subject_of(t)
                .is_some_and(|s| !candidates.contains(&s) || rules.keep_attachments)
        })
        .filter_map(digest)
        .collect();
    kept.extend(graph.reach(staying));
    candidates.retain(|d| !kept.contains(d));

    let attached = attachments(graph, listed, &candidates, &kept, rules.deletes_manifests);
    let names: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    let attached_digests: BTreeSet<String> = attached
        .iter()
        .filter(|a| !names.contains(a.removed.as_str()))
        .map(|a| a.removed.clone())
        .collect();
    let mut fate = Fate::default();
    if unlisted {
        for d in &candidates {
            if attached_digests.contains(d) {
                continue;
            }
            // A manifest with tags lost them all in this run.
            if graph.tags_on(d).next().is_none() {
                fate.untagged.push(d.clone());
            } else {
                fate.leftovers.push(d.clone());
            }
        }
    }
    if !rules.keep_attachments {
        fate.attachments = attached;
    } else if unlisted {
        // Left as they are, with everything they reach.
        let reached = graph.reach(attached_digests.iter().map(String::as_str));
        fate.untagged.retain(|d| !reached.contains(d));
    }
    fate.going = candidates
        .into_iter()
        .filter(|d| !attached_digests.contains(d))
        .collect();
    fate
}

/// The attachments of `going` images, transitively (a signature of an SBOM
/// of an image): attachment tags first, then referrers by digest, which only
/// a provider that `deletes_manifests` can remove.
fn attachments(
    graph: &Graph,
    listed: &[String],
    going: &BTreeSet<String>,
    kept: &BTreeSet<String>,
    deletes_manifests: bool,
) -> Vec<Attachment> {
    let mut found = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let names: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    // Subject → its attachment tags, worked out once.
    let mut tags_of: std::collections::BTreeMap<String, Vec<&String>> = Default::default();
    for tag in listed {
        if let Some(subject) = attachment::subject_of(tag) {
            tags_of.entry(subject).or_default().push(tag);
        }
    }
    let mut subjects: Vec<String> = going.iter().cloned().collect();
    while let Some(subject) = subjects.pop() {
        for tag in tags_of.get(&subject).into_iter().flatten().copied() {
            if seen.insert(tag.clone()) {
                found.push(Attachment {
                    removed: tag.clone(),
                    subject: subject.clone(),
                });
                if let Some(d) = graph.tags.get(tag)
                    && !attachment::is_fallback_index(tag)
                    && !kept.contains(d)
                {
                    subjects.push(d.clone());
                }
            }
        }
        for referrer in graph.referrers(&subject) {
            if !deletes_manifests || kept.contains(referrer) || !seen.insert(referrer.to_string()) {
                continue;
            }
            found.push(Attachment {
                removed: referrer.to_string(),
                subject: subject.clone(),
            });
            subjects.push(referrer.to_string());
        }
    }
    found.sort_by(|a, b| {
        let tag = |x: &Attachment| !names.contains(x.removed.as_str());
        (tag(a), &a.subject, &a.removed).cmp(&(tag(b), &b.subject, &b.removed))
    });
    found
}
