//! What the graph reads from a manifest's bytes: its children (an index),
//! its blobs with their sizes (an image), and its `subject`.

use serde::Deserialize;

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Whether `media_type` is an image index (or a Docker manifest list).
pub fn is_index(media_type: &str) -> bool {
    INDEX_TYPES.contains(&media_type)
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: u64,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    manifests: Vec<Descriptor>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    subject: Option<Descriptor>,
}

/// A manifest as the graph knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// An index's manifests.
    pub children: Vec<String>,
    /// An image's config and layers, with their sizes.
    pub blobs: Vec<(String, u64)>,
    pub subject: Option<String>,
}

/// Reads a manifest; `None` when it is not JSON of a manifest's shape.
pub fn read(bytes: &[u8]) -> Option<Document> {
    let raw: Raw = serde_json::from_slice(bytes).ok()?;
    Some(Document {
        children: raw.manifests.into_iter().map(|d| d.digest).collect(),
        blobs: raw
            .config
            .into_iter()
            .chain(raw.layers)
            .map(|d| (d.digest, d.size))
            .collect(),
        subject: raw.subject.map(|d| d.digest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_children_blobs_and_subject() {
        let image = br#"{"schemaVersion":2,"config":{"digest":"sha256:c","size":3},
            "layers":[{"digest":"sha256:l","size":10}],"subject":{"digest":"sha256:s","size":1}}"#;
        let d = read(image).unwrap();
        assert_eq!(d.blobs, [("sha256:c".into(), 3), ("sha256:l".into(), 10)]);
        assert_eq!(d.subject.as_deref(), Some("sha256:s"));
        let index = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","size":1}]}"#;
        assert_eq!(read(index).unwrap().children, ["sha256:a"]);
        assert!(read(b"[1]").is_none());
    }
}
