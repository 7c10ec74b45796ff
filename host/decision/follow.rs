//! What follows the tags that went, decided again on what actually went (a
//! tag that failed or moved keeps its image and attachments), and the
//! removals that takes. `cleanup` sends them right after its tags; `apply`
//! only those its plan names too.

use super::{Extent, Fate, fate};
use crate::graph::Graph;
use crate::model::Removal;
use crate::removal::Item;
use std::collections::BTreeSet;

pub struct Following {
    pub fate: Fate,
    /// Attachment tags, then manifests by digest (referrers, untagged
    /// manifests, and with `--untagged` the manifests of removed tags).
    pub items: Vec<Item>,
}

/// What goes with `deleted` (the tags of `listed` that went) on `graph`.
pub fn following(
    graph: &Graph,
    listed: &[String],
    deleted: &BTreeSet<String>,
    rules: &Extent,
) -> Following {
    let fate = fate(graph, listed, deleted, rules);
    let gone = fate.gone(graph);
    let going_tags: BTreeSet<&str> = deleted
        .iter()
        .map(String::as_str)
        .chain(fate.attachments.iter().map(|a| a.removed.as_str()))
        .collect();
    let names: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    let mut items = Vec::new();
    for a in &fate.attachments {
        if names.contains(a.removed.as_str()) {
            let digest = graph.tags.get(&a.removed).cloned();
            // Deleting the manifest is safe when every tag on it goes and
            // nothing kept reaches it.
            let exclusive = graph.all_tags_known
                && digest.as_ref().is_some_and(|d| {
                    graph.tags_on(d).all(|t| going_tags.contains(t)) && gone.contains(d)
                });
            items.push(Item::Tag {
                name: a.removed.clone(),
                removal: Removal { digest, exclusive },
            });
        } else {
            // A referrer: `fate` names one only where manifests can go.
            items.push(Item::Manifest(a.removed.clone()));
        }
    }
    if rules.deletes_manifests {
        items.extend(
            fate.untagged
                .iter()
                .chain(&fate.leftovers)
                .cloned()
                .map(Item::Manifest),
        );
    }
    Following { fate, items }
}
