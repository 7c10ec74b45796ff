//! Content to copy: a two-platform index of three layers each (one layer
//! shared), and a bundle (an artifact of one file), as bytes with their
//! digests, so every store can be seeded and checked with the same ones.

use super::image::{IMAGE_INDEX, IMAGE_MANIFEST, sha256};
use super::seed::Seeder;
use serde_json::{Value, json};

const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// Manifests (children first, the top one last) and every blob they name.
pub struct Content {
    pub blobs: Vec<Vec<u8>>,
    /// `(media type, bytes)`, the top manifest last.
    pub manifests: Vec<(String, Vec<u8>)>,
}

impl Content {
    pub fn digest(&self) -> String {
        sha256(&self.manifests.last().expect("a manifest").1)
    }

    pub fn blob_digests(&self) -> Vec<String> {
        self.blobs.iter().map(|b| sha256(b)).collect()
    }

    pub fn manifest_digests(&self) -> Vec<String> {
        self.manifests.iter().map(|(_, m)| sha256(m)).collect()
    }

    /// Pushes blobs, then children by digest, then the top under `tag`.
    pub fn push(&self, seeder: &Seeder, repo: &str, tag: &str) -> String {
        for blob in &self.blobs {
            if !seeder.has_blob(repo, &sha256(blob)) {
                seeder.push_blob(repo, blob);
            }
        }
        let last = self.manifests.len() - 1;
        for (i, (media_type, bytes)) in self.manifests.iter().enumerate() {
            let tag = (i == last).then_some(tag);
            seeder.push_manifest(repo, tag, media_type, bytes);
        }
        self.digest()
    }
}

/// `size` bytes that differ for each `name`.
pub fn bytes(name: &str, size: usize) -> Vec<u8> {
    let mut state = u64::from_str_radix(&sha256(name.as_bytes())[7..23], 16).unwrap() | 1;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({"mediaType": media_type, "digest": sha256(bytes), "size": bytes.len()})
}

/// An index over linux/amd64 and linux/arm64 images, each of a config and
/// three layers of `layer_size` bytes, the first layer shared. `name`
/// makes the content unique.
pub fn two_platforms(name: &str, layer_size: usize) -> Content {
    let shared = bytes(&format!("{name}/shared"), layer_size);
    let mut blobs = vec![shared.clone()];
    let mut manifests = Vec::new();
    let mut entries = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = serde_json::to_vec(&json!({
            "architecture": arch, "os": "linux", "config": {},
            "rootfs": {"type": "layers", "diff_ids": []}, "name": name,
        }))
        .unwrap();
        let own: Vec<Vec<u8>> = (1..3)
            .map(|i| bytes(&format!("{name}/{arch}/{i}"), layer_size))
            .collect();
        let layers: Vec<Value> = std::iter::once(&shared)
            .chain(&own)
            .map(|l| descriptor(LAYER, l))
            .collect();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": IMAGE_MANIFEST,
            "config": descriptor(CONFIG, &config), "layers": layers,
        }))
        .unwrap();
        let mut entry = descriptor(IMAGE_MANIFEST, &manifest);
        entry["platform"] = json!({"os": "linux", "architecture": arch});
        entries.push(entry);
        blobs.push(config);
        blobs.extend(own);
        manifests.push((IMAGE_MANIFEST.to_string(), manifest));
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": IMAGE_INDEX, "manifests": entries,
    }))
    .unwrap();
    manifests.push((IMAGE_INDEX.to_string(), index));
    Content { blobs, manifests }
}

/// An artifact of one file `title` holding `file`; with `subject`, a
/// referrer of that manifest (`(media type, digest, size)`).
pub fn bundle(title: &str, file: &[u8], subject: Option<(&str, &str, usize)>) -> Content {
    let empty = b"{}".to_vec();
    let mut layer = descriptor(LAYER, file);
    layer["annotations"] = json!({"org.opencontainers.image.title": title});
    let mut manifest = json!({
        "schemaVersion": 2, "mediaType": IMAGE_MANIFEST,
        "artifactType": "application/vnd.example.bundle.v1",
        "config": descriptor(EMPTY, &empty), "layers": [layer],
    });
    if let Some((media_type, digest, size)) = subject {
        manifest["subject"] = json!({"mediaType": media_type, "digest": digest, "size": size});
    }
    Content {
        blobs: vec![empty, file.to_vec()],
        manifests: vec![(
            IMAGE_MANIFEST.to_string(),
            serde_json::to_vec(&manifest).unwrap(),
        )],
    }
}
