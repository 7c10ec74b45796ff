//! Where a vendor keeps what berth lists and removes: a distribution
//! registry (through the seeder), moto for ECR, or an OCI layout directory.
//! Tests seed and check each one the same way.

use super::Seeder;
use super::image::{Image, Pushed, seeded_tags};

/// A vendor's content, by repository name. Reads go around berth, to check
/// it against what the store really holds.
pub trait Store: Send + Sync {
    /// Pushes `image` under `tag`, or untagged.
    fn push_image(&self, repo: &str, tag: Option<&str>, image: &Image) -> Pushed;
    /// Pushes an index over `children` (pushed before) under `tag`, or untagged.
    fn push_index(&self, repo: &str, tag: Option<&str>, children: &[Pushed]) -> Pushed;
    /// Stores `data` as a blob; returns its digest.
    fn push_blob(&self, repo: &str, data: &[u8]) -> String;
    /// Pushes a manifest made by hand (its blobs pushed before) under
    /// `tag`, or untagged.
    fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed;
    /// Points `tag` at what `reference` (a tag or digest) names.
    fn tag(&self, repo: &str, reference: &str, tag: &str) -> Pushed;
    /// The tags, sorted; empty for a repository that does not exist.
    fn tags(&self, repo: &str) -> Vec<String>;
    /// The digest `reference` names, if it names anything.
    fn digest(&self, repo: &str, reference: &str) -> Option<String>;

    /// `count` tags, each on a manifest of its own; returns them in order.
    fn seed_tags(&self, repo: &str, count: usize) -> Vec<String> {
        seeded_tags(count)
            .into_iter()
            .map(|(tag, image)| {
                self.push_image(repo, Some(&tag), &image);
                tag
            })
            .collect()
    }
}

impl Store for Seeder {
    fn push_image(&self, repo: &str, tag: Option<&str>, image: &Image) -> Pushed {
        Seeder::push_image(self, repo, tag, image)
    }

    fn push_index(&self, repo: &str, tag: Option<&str>, children: &[Pushed]) -> Pushed {
        Seeder::push_index(self, repo, tag, children)
    }

    fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        Seeder::push_blob(self, repo, data)
    }

    fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed {
        Seeder::push_manifest(self, repo, tag, media_type, bytes)
    }

    fn tag(&self, repo: &str, reference: &str, tag: &str) -> Pushed {
        Seeder::tag(self, repo, reference, tag)
    }

    fn tags(&self, repo: &str) -> Vec<String> {
        Seeder::tags(self, repo)
    }

    fn digest(&self, repo: &str, reference: &str) -> Option<String> {
        Seeder::digest(self, repo, reference)
    }

    /// Pushes the manifests in parallel.
    fn seed_tags(&self, repo: &str, count: usize) -> Vec<String> {
        Seeder::seed_tags(self, repo, count)
    }
}
