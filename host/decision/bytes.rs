//! How many bytes a decision frees: the blobs (configs, layers) that only
//! manifests that go reference. A blob a staying manifest still uses counts
//! zero; so does one the registry may share with other repositories, which
//! berth cannot see.

use super::Decision;
use crate::provider::{Failure, Provider};
use std::collections::BTreeMap;

impl Decision {
    /// Reads every manifest the graph has not read (GET only), counts the
    /// bytes freed and keeps them in `bytes_freed`. For `plan`; cleanup's
    /// report does not carry it.
    pub(super) async fn measure(
        &mut self,
        provider: &Provider,
        concurrency: usize,
    ) -> Result<(), Failure> {
        if self.gone.is_empty() {
            return Ok(());
        }
        self.graph.read_blobs(provider, concurrency).await?;
        self.bytes_freed = freed(self);
        Ok(())
    }
}

fn freed(decision: &Decision) -> u64 {
    let mut sizes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut staying = std::collections::BTreeSet::new();
    for (digest, node) in &decision.graph.nodes {
        for (blob, size) in node.blobs.iter().flatten() {
            if decision.gone.contains(digest) {
                sizes.insert(blob, *size);
            } else {
                staying.insert(blob.as_str());
            }
        }
    }
    sizes
        .into_iter()
        .filter(|(blob, _)| !staying.contains(blob))
        .map(|(_, size)| size)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Graph, Node};

    #[test]
    fn shared_blobs_count_zero() {
        let mut graph = Graph::default();
        let image = |blobs: &[(&str, u64)]| Node {
            blobs: Some(blobs.iter().map(|(b, s)| (b.to_string(), *s)).collect()),
            ..Node::default()
        };
        graph
            .nodes
            .insert("sha256:gone".into(), image(&[("c1", 5), ("base", 100)]));
        graph
            .nodes
            .insert("sha256:kept".into(), image(&[("c2", 7), ("base", 100)]));
        let decision = Decision {
            tags: vec![],
            delete: vec![],
            kept: vec![],
            attachments: vec![],
            untagged: vec![],
            bytes_freed: 0,
            gone: ["sha256:gone".to_string()].into(),
            graph,
        };
        assert_eq!(freed(&decision), 5);
    }
}
