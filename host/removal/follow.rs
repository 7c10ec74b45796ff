//! Removing what follows removed images: their attachments (tags, then
//! referrers by digest) and manifests nothing kept reaches. Each goes only
//! after everything that points at it is gone (a tag before its manifest,
//! an index before its children, a subject and its attachment tags before
//! its referrers), so a failure or Ctrl-C midway never leaves a tag on a
//! manifest whose parts are missing.

use super::report::Failed;
use super::run::Record;
use crate::graph::{Graph, attachment};
use crate::model::Removal;
use crate::provider::Provider;
use futures_util::StreamExt;
use std::collections::BTreeSet;

pub enum Item {
    Tag { name: String, removal: Removal },
    Manifest(String),
}

impl Item {
    /// The tag, or the manifest's digest.
    pub fn key(&self) -> &str {
        match self {
            Item::Tag { name, .. } => name,
            Item::Manifest(digest) => digest,
        }
    }
}

pub struct Followed {
    /// Tags and digests removed (or found gone already).
    pub removed: BTreeSet<String>,
    pub failed: Vec<Failed>,
}

/// Removes `items` in waves: each wave what nothing pending points at,
/// told to `record` as it starts and ends.
pub async fn remove(
    provider: &Provider,
    graph: &Graph,
    items: Vec<Item>,
    concurrency: usize,
    record: &dyn Record,
) -> Followed {
    let keys: BTreeSet<String> = items.iter().map(|i| i.key().to_string()).collect();
    let mut pending: Vec<(Item, Vec<String>)> = items
        .into_iter()
        .map(|i| {
            let after = blockers(graph, &i, &keys);
            (i, after)
        })
        .collect();
    let mut outcome = Followed {
        removed: BTreeSet::new(),
        failed: Vec::new(),
    };
    crate::interrupt::removing(true);
    loop {
        let (ready, rest): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(_, after)| after.iter().all(|k| outcome.removed.contains(k)));
        pending = rest;
        let keys: Vec<String> = ready.iter().map(|(i, _)| i.key().to_string()).collect();
        let unsent = if crate::interrupt::interrupted() {
            Some("interrupted before removal".to_string())
        } else if ready.is_empty() {
            Some("not removed: what refers to it could not be removed first".to_string())
        } else {
            record.starting(&keys).err()
        };
        if let Some(why) = unsent {
            outcome.failed.extend(
                ready
                    .iter()
                    .chain(&pending)
                    .map(|(i, _)| failed(i.key(), &why)),
            );
            break;
        }
        let results: Vec<(Item, Result<(), crate::provider::Failure>)> =
            futures_util::stream::iter(ready)
                .map(|(item, _)| async move {
                    let result = match &item {
                        Item::Tag { name, removal } => provider.delete_tag(name, removal).await,
                        Item::Manifest(digest) => provider.delete_manifest(digest).await,
                    };
                    (item, result)
                })
                .buffer_unordered(concurrency.max(1))
                .collect()
                .await;
        let mut wave = Vec::new();
        for (item, result) in results {
            match result {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    outcome.failed.push(Failed {
                        tag: item.key().to_string(),
                        error: e.message(),
                        hints: e.hints(),
                    });
                    continue;
                }
            }
            wave.push(item.key().to_string());
        }
        record.finished(&wave);
        outcome.removed.extend(wave);
    }
    crate::interrupt::removing(false);
    outcome
}

/// What must be gone before `item`: for a manifest, the tags on it, the
/// indexes that list it, its subject, and its subject's attachment tags.
fn blockers(graph: &Graph, item: &Item, keys: &BTreeSet<String>) -> Vec<String> {
    let Item::Manifest(digest) = item else {
        return Vec::new();
    };
    let subject = graph.nodes.get(digest).and_then(|n| n.subject.as_deref());
    keys.iter()
        .filter(|k| *k != digest)
        .filter(|k| {
            graph.tags.get(*k) == Some(digest)
                || graph
                    .nodes
                    .get(*k)
                    .is_some_and(|n| n.children.contains(digest))
                || subject == Some(k.as_str())
                || (subject.is_some() && attachment::subject_of(k).as_deref() == subject)
        })
        .cloned()
        .collect()
}

fn failed(key: &str, why: &str) -> Failed {
    Failed {
        tag: key.to_string(),
        error: why.to_string(),
        hints: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;

    #[test]
    fn children_and_referrers_wait_for_what_points_at_them() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let mut g = Graph::default();
        g.nodes.insert(
            d('a'),
            Node {
                children: vec![d('c')],
                ..Node::default()
            },
        );
        g.nodes.insert(
            d('f'),
            Node {
                subject: Some(d('b')),
                ..Node::default()
            },
        );
        let fallback = format!("sha256-{}", "b".repeat(64));
        let keys: BTreeSet<String> = [d('a'), d('c'), d('f'), fallback.clone()].into();
        assert_eq!(blockers(&g, &Item::Manifest(d('c')), &keys), [d('a')]);
        assert_eq!(blockers(&g, &Item::Manifest(d('f')), &keys), [fallback]);
        assert!(blockers(&g, &Item::Manifest(d('a')), &keys).is_empty());
    }
}
