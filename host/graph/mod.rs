//! The repository graph cleanup decides on, built once per repository: tag →
//! digest, index → children, subject → referrers, attachment tags → their
//! subject, and, where the provider lists them, untagged manifests. A tag is
//! what a user names; an image is what the graph says stays or goes with it.

pub mod attachment;
mod build;
pub mod document;

pub use build::{Needs, build};

use std::collections::{BTreeMap, BTreeSet};

/// One manifest of the repository.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub media_type: Option<String>,
    /// An index's manifests.
    pub children: Vec<String>,
    /// The manifest this one refers to (a signature's image).
    pub subject: Option<String>,
    /// Config and layers with sizes, once the manifest was read.
    pub blobs: Option<Vec<(String, u64)>>,
}

#[derive(Debug, Default)]
pub struct Graph {
    /// Every tag whose digest is known, and that digest.
    pub tags: BTreeMap<String, String>,
    /// Every manifest known, by digest.
    pub nodes: BTreeMap<String, Node>,
    /// Whether `nodes` holds every manifest of the repository (the provider
    /// lists them), so what no tag reaches is known too.
    pub complete: bool,
    /// Whether every listed tag's digest is in `tags`.
    pub all_tags_known: bool,
    /// Requests sent to build it.
    pub requests: usize,
}

impl Graph {
    /// The manifests whose `subject` is `digest`.
    pub fn referrers<'a>(&'a self, digest: &'a str) -> impl Iterator<Item = &'a str> {
        self.nodes
            .iter()
            .filter(move |(_, n)| n.subject.as_deref() == Some(digest))
            .map(|(d, _)| d.as_str())
    }

    /// The tags that point at `digest`.
    pub fn tags_on<'a>(&'a self, digest: &'a str) -> impl Iterator<Item = &'a str> {
        self.tags
            .iter()
            .filter(move |(_, d)| *d == digest)
            .map(|(t, _)| t.as_str())
    }

    /// Everything `roots` reach: an index's children, a manifest's
    /// referrers, and what its attachment tags point at, transitively.
    pub fn reach<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let by_subject = self.by_subject();
        let mut reached = BTreeSet::new();
        let mut todo: Vec<String> = roots.into_iter().map(str::to_string).collect();
        while let Some(digest) = todo.pop() {
            if !reached.insert(digest.clone()) {
                continue;
            }
            if let Some(node) = self.nodes.get(&digest) {
                todo.extend(node.children.iter().cloned());
            }
            if let Some(next) = by_subject.get(digest.as_str()) {
                todo.extend(next.iter().map(|d| d.to_string()));
            }
        }
        reached
    }

    /// `roots` and, transitively, the children of those that are indexes.
    pub fn reach_children<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut todo: Vec<String> = roots.into_iter().map(str::to_string).collect();
        while let Some(digest) = todo.pop() {
            if let Some(node) = self.nodes.get(&digest)
                && reached.insert(digest.clone())
            {
                todo.extend(node.children.iter().cloned());
            }
            reached.insert(digest);
        }
        reached
    }

    /// Subject → what refers to it: referrers, and the manifests its
    /// attachment tags point at.
    fn by_subject(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (digest, node) in &self.nodes {
            if let Some(subject) = &node.subject {
                map.entry(subject.as_str()).or_default().push(digest);
            }
        }
        for (tag, digest) in &self.tags {
            if let Some(subject) = attachment::subject_of(tag) {
                // The key must borrow from self: find the subject's own entry.
                if let Some((key, _)) = self.nodes.get_key_value(&subject) {
                    map.entry(key.as_str()).or_default().push(digest);
                }
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn reach_follows_children_referrers_and_attachment_tags() {
        let mut g = Graph::default();
        g.nodes.insert(
            d('1'),
            Node {
                children: vec![d('2')],
                ..Node::default()
            },
        );
        g.nodes.insert(d('2'), Node::default());
        g.nodes.insert(
            d('3'),
            Node {
                subject: Some(d('2')),
                ..Node::default()
            },
        );
        g.nodes.insert(d('4'), Node::default());
        g.nodes.insert(d('5'), Node::default());
        g.tags.insert("v1".into(), d('1'));
        g.tags
            .insert(format!("sha256-{}.sig", "1".repeat(64)), d('4'));
        let reached = g.reach([d('1').as_str()]);
        assert_eq!(
            reached,
            [d('1'), d('2'), d('3'), d('4')].into_iter().collect()
        );
        assert_eq!(g.referrers(&d('2')).collect::<Vec<_>>(), [d('3')]);
    }
}
