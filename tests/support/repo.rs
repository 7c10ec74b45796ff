//! A repository as a test reaches it: the address berth is given, and the
//! store behind it to seed it and to check berth against.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::image::{Image, Pushed};
use super::store::Store;

#[derive(Clone)]
pub struct Repo {
    /// What berth is given: `HOST:PORT/name`, or `oci:DIR/name`.
    pub address: String,
    /// The repository's name in its store.
    pub name: String,
    store: Arc<dyn Store>,
}

impl Repo {
    /// `name` under `registry` (`HOST:PORT`, or `oci:DIR`).
    pub fn new(registry: &str, name: &str, store: Arc<dyn Store>) -> Repo {
        Repo {
            address: format!("{registry}/{name}"),
            name: name.into(),
            store,
        }
    }

    /// `ADDRESS:tag`
    pub fn tagged(&self, tag: &str) -> String {
        format!("{}:{tag}", self.address)
    }

    /// `ADDRESS@digest`
    pub fn at(&self, digest: &str) -> String {
        format!("{}@{digest}", self.address)
    }

    pub fn push(&self, tag: &str, image: &Image) -> Pushed {
        self.store.push_image(&self.name, Some(tag), image)
    }

    pub fn push_untagged(&self, image: &Image) -> Pushed {
        self.store.push_image(&self.name, None, image)
    }

    /// An index over `children` (pushed before), as `tag` or untagged.
    pub fn push_index<'a>(&self, tag: impl Into<Option<&'a str>>, children: &[Pushed]) -> Pushed {
        self.store.push_index(&self.name, tag.into(), children)
    }

    /// Stores `data` as a blob; returns its digest.
    pub fn push_blob(&self, data: &[u8]) -> String {
        self.store.push_blob(&self.name, data)
    }

    /// A manifest made by hand, as `tag` or untagged.
    pub fn push_manifest<'a>(
        &self,
        tag: impl Into<Option<&'a str>>,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed {
        self.store
            .push_manifest(&self.name, tag.into(), media_type, bytes)
    }

    /// Points `tag` at what `reference` (a tag or digest) names.
    pub fn tag(&self, reference: &str, tag: &str) -> Pushed {
        self.store.tag(&self.name, reference, tag)
    }

    /// The tags, sorted.
    pub fn tags(&self) -> Vec<String> {
        self.store.tags(&self.name)
    }

    pub fn digest(&self, reference: &str) -> Option<String> {
        self.store.digest(&self.name, reference)
    }

    /// Every tag and the digest it points at: what berth should list. A tag
    /// listed without a manifest fails the test.
    pub fn digests(&self) -> BTreeMap<String, String> {
        self.tags()
            .into_iter()
            .map(|tag| {
                let digest = self
                    .digest(&tag)
                    .unwrap_or_else(|| panic!("tag {tag} is listed but points at no manifest"));
                (tag, digest)
            })
            .collect()
    }

    /// `count` tags, `tag-0000`, …, each on a manifest of its own.
    pub fn seed_tags(&self, count: usize) -> Vec<String> {
        self.store.seed_tags(&self.name, count)
    }
}
