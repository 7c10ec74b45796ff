//! Which removals may delete a manifest by digest.
//!
//! Deleting by digest removes every tag on that manifest, so it is planned
//! only when every tag pointing at the digest is being removed and no image
//! index in the repository lists it as a child. Knowing that takes every
//! tag's digest; when the provider's listing lacks them, berth resolves all
//! tags, but only when that costs at most two lookups per removal. Every other
//! removal is a plain untag, which is always safe.

use crate::model::Tag;
use crate::provider::Provider;
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Tags removed together: with `exclusive`, deleting `digest` removes them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub tags: Vec<String>,
    pub digest: Option<String>,
    pub exclusive: bool,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub units: Vec<Unit>,
    /// Named tags the repository does not have.
    pub missing: Vec<String>,
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Plans the removal of `named` from a repository whose tags are `all`. A
/// dry run needs only which tags would go, not how, so it resolves nothing.
pub async fn plan(provider: &Provider, all: &[Tag], named: &[String], dry_run: bool) -> Plan {
    let existing: HashSet<&str> = all.iter().map(|t| t.name.as_str()).collect();
    let mut seen = HashSet::new();
    let (present, missing): (Vec<String>, Vec<String>) = named
        .iter()
        .filter(|t| seen.insert(t.as_str()))
        .cloned()
        .partition(|t| existing.contains(t.as_str()));

    let listed_digests = all.iter().all(|t| t.digest.is_some());
    let affordable = present.len() * 2 >= all.len();
    let digests = if !dry_run && !listed_digests && affordable && !present.is_empty() {
        resolve_all(provider, all).await
    } else {
        None
    };
    let units = match digests {
        Some((digests, protected)) => group(&present, &digests, &protected),
        None => present
            .iter()
            .map(|t| Unit {
                tags: vec![t.clone()],
                digest: all
                    .iter()
                    .find(|a| &a.name == t)
                    .and_then(|a| a.digest.clone()),
                exclusive: false,
            })
            .collect(),
    };
    Plan { units, missing }
}

/// Every tag's digest, and the digests that image indexes list as children.
/// `None` when any lookup fails: then nothing is deleted by digest.
async fn resolve_all(
    provider: &Provider,
    all: &[Tag],
) -> Option<(HashMap<String, String>, HashSet<String>)> {
    let resolved: Vec<_> = futures_util::stream::iter(all)
        .map(|t| async move { (t.name.clone(), provider.resolve(&t.name).await) })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut digests = HashMap::new();
    let mut indexes = HashSet::new();
    for (name, result) in resolved {
        let descriptor = result.ok()?;
        if INDEX_TYPES.contains(&descriptor.media_type.as_str()) {
            indexes.insert(descriptor.digest.clone());
        }
        digests.insert(name, descriptor.digest);
    }
    let mut protected = HashSet::new();
    for index in indexes {
        let manifest = provider.get_manifest(&index).await.ok()?;
        protected.extend(children(&manifest.bytes)?);
    }
    Some((digests, protected))
}

fn children(index: &[u8]) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Index {
        manifests: Vec<Child>,
    }
    #[derive(serde::Deserialize)]
    struct Child {
        digest: String,
    }
    let index: Index = serde_json::from_slice(index).ok()?;
    Some(index.manifests.into_iter().map(|c| c.digest).collect())
}

/// Groups the tags to remove by digest; a group is exclusive when it holds
/// every tag on its digest and no index lists the digest.
fn group(
    present: &[String],
    digests: &HashMap<String, String>,
    protected: &HashSet<String>,
) -> Vec<Unit> {
    let mut on_digest: HashMap<&str, usize> = HashMap::new();
    for digest in digests.values() {
        *on_digest.entry(digest.as_str()).or_default() += 1;
    }
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut units = Vec::new();
    for tag in present {
        match digests.get(tag) {
            Some(digest) => groups.entry(digest.as_str()).or_default().push(tag.clone()),
            None => units.push(Unit {
                tags: vec![tag.clone()],
                digest: None,
                exclusive: false,
            }),
        }
    }
    for (digest, tags) in groups {
        let exclusive = on_digest.get(digest) == Some(&tags.len()) && !protected.contains(digest);
        if exclusive {
            units.push(Unit {
                tags,
                digest: Some(digest.to_string()),
                exclusive: true,
            });
        } else {
            units.extend(tags.into_iter().map(|tag| Unit {
                tags: vec![tag],
                digest: Some(digest.to_string()),
                exclusive: false,
            }));
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(t, d)| (t.to_string(), d.to_string()))
            .collect()
    }

    fn names(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn shared_digest_with_a_survivor_is_never_exclusive() {
        let d = digests(&[("a", "sha256:1"), ("b", "sha256:1"), ("c", "sha256:2")]);
        let units = group(&names(&["a", "c"]), &d, &HashSet::new());
        let a = units.iter().find(|u| u.tags == ["a"]).unwrap();
        assert!(!a.exclusive, "b still points at sha256:1");
        let c = units.iter().find(|u| u.tags == ["c"]).unwrap();
        assert!(c.exclusive);
    }

    #[test]
    fn all_tags_of_a_digest_go_together() {
        let d = digests(&[("a", "sha256:1"), ("b", "sha256:1")]);
        let units = group(&names(&["a", "b"]), &d, &HashSet::new());
        assert_eq!(units.len(), 1);
        assert!(units[0].exclusive);
        assert_eq!(units[0].tags, ["a", "b"]);
    }

    #[test]
    fn index_children_are_never_deleted_by_digest() {
        let d = digests(&[("child", "sha256:c"), ("idx", "sha256:i")]);
        let protected: HashSet<String> = ["sha256:c".to_string()].into();
        let units = group(&names(&["child"]), &d, &protected);
        assert!(!units[0].exclusive);
    }

    #[test]
    fn children_of_an_index() {
        let index =
            br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a"},{"digest":"sha256:b"}]}"#;
        assert_eq!(children(index).unwrap(), ["sha256:a", "sha256:b"]);
        assert!(children(b"{}").is_none());
    }
}
