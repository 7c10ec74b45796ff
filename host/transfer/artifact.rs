//! Files as an OCI artifact and back: the manifest `push` writes (one
//! layer per file, titled with its base name) and the titles `pull` will
//! write, refused when they could name a path outside the directory.

use super::walk::Entry;
use crate::model::Descriptor;
use serde_json::{Map, Value, json};

pub const IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DEFAULT_ARTIFACT_TYPE: &str = "application/vnd.unknown.artifact.v1";
pub const DEFAULT_LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
pub const EMPTY_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The empty config's bytes.
pub const EMPTY: &[u8] = b"{}";
pub const TITLE: &str = "org.opencontainers.image.title";

/// A file's layer: its descriptor and its title.
pub struct Layer {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub title: String,
}

/// The image manifest of an artifact.
pub fn manifest(
    artifact_type: &str,
    config: (&str, &str, u64),
    layers: &[Layer],
    subject: Option<&Descriptor>,
    annotations: &[(String, String)],
) -> Vec<u8> {
    let (config_type, config_digest, config_size) = config;
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            json!({
                "mediaType": l.media_type,
                "digest": l.digest,
                "size": l.size,
                "annotations": {TITLE: l.title},
            })
        })
        .collect();
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": IMAGE_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": config_type, "digest": config_digest, "size": config_size},
        "layers": layers,
    });
    if let Some(subject) = subject {
        manifest["subject"] = json!({
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": subject.size,
        });
    }
    if !annotations.is_empty() {
        let map: Map<String, Value> = annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        manifest["annotations"] = Value::Object(map);
    }
    serde_json::to_vec(&manifest).expect("a manifest serialises")
}

/// The layer's title when it is a plain file name; an error says why not.
pub fn title(layer: &Entry) -> Option<Result<&str, String>> {
    let title = layer.annotations.get(TITLE)?;
    let shown: String = title.chars().take(80).collect();
    let refused = |why: &str| Err(format!("title {shown:?} of {} {why}", layer.digest));
    Some(if title.is_empty() {
        refused("is empty")
    } else if title.contains('/') || title.contains('\\') {
        refused("contains a path separator")
    } else if title == "." || title.contains("..") {
        refused("could leave the directory")
    } else if title.chars().any(char::is_control) {
        refused("contains control characters")
    } else {
        Ok(title.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(title: &str) -> Entry {
        serde_json::from_value(json!({
            "digest": format!("sha256:{}", "a".repeat(64)), "size": 1,
            "annotations": {TITLE: title},
        }))
        .unwrap()
    }

    #[test]
    fn titles_that_leave_the_directory_are_refused() {
        for bad in ["", "../x", "/etc/x", "a/b", "..", "a\\b", "x\ny"] {
            assert!(title(&layer(bad)).unwrap().is_err(), "{bad:?}");
        }
        assert_eq!(
            title(&layer("chart-1.2.3.tgz")).unwrap().unwrap(),
            "chart-1.2.3.tgz"
        );
    }
}
