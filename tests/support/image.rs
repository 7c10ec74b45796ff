//! Images and indexes as bytes: what every store of the tests pushes, so a
//! distribution registry, moto and an OCI layout hold the same digests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const IMAGE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// An empty tar archive (two zero blocks): a valid layer whose diff ID is
/// its own digest.
const EMPTY_TAR: [u8; 1024] = [0; 1024];

/// An image to push. Identical images have identical digests unless `unique`.
#[derive(Clone, Debug)]
pub struct Image {
    created: String,
    os: String,
    architecture: String,
    annotations: BTreeMap<String, String>,
}

impl Default for Image {
    /// linux/amd64, created 2024-01-01T00:00:00Z.
    fn default() -> Self {
        Image {
            created: "2024-01-01T00:00:00Z".into(),
            os: "linux".into(),
            architecture: "amd64".into(),
            annotations: BTreeMap::new(),
        }
    }
}

/// An image as bytes: its blobs (config, then layer) and its manifest.
pub struct Encoded {
    pub blobs: Vec<Vec<u8>>,
    pub manifest: Vec<u8>,
}

impl Image {
    pub fn new() -> Image {
        Image::default()
    }

    /// The config's `created` field, RFC 3339.
    pub fn created(mut self, rfc3339: &str) -> Image {
        self.created = rfc3339.into();
        self
    }

    pub fn created_days_ago(self, days: i64) -> Image {
        let created = chrono::Utc::now() - chrono::Duration::days(days);
        self.created(&created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    pub fn platform(mut self, os: &str, architecture: &str) -> Image {
        self.os = os.into();
        self.architecture = architecture.into();
        self
    }

    /// Gives this image a digest no other push shares.
    pub fn unique(self) -> Image {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nonce = format!(
            "{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.annotation("org.berth.test.nonce", &nonce)
    }

    pub fn annotation(mut self, key: &str, value: &str) -> Image {
        self.annotations.insert(key.into(), value.into());
        self
    }

    pub fn encode(&self) -> Encoded {
        let config = serde_json::to_vec(&json!({
            "created": self.created,
            "architecture": self.architecture,
            "os": self.os,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha256(&EMPTY_TAR)]},
        }))
        .expect("serialise config");
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": IMAGE_MANIFEST,
            "config": {"mediaType": IMAGE_CONFIG, "digest": sha256(&config), "size": config.len()},
            "layers": [{"mediaType": LAYER, "digest": sha256(&EMPTY_TAR), "size": EMPTY_TAR.len()}],
        });
        if !self.annotations.is_empty() {
            manifest["annotations"] = json!(self.annotations);
        }
        Encoded {
            blobs: vec![config, EMPTY_TAR.to_vec()],
            manifest: serde_json::to_vec(&manifest).expect("serialise manifest"),
        }
    }

    /// What an index says of this image's manifest.
    fn platform_json(&self) -> Value {
        json!({"architecture": self.architecture, "os": self.os})
    }
}

/// A manifest now in a store.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub digest: String,
    pub size: usize,
    pub media_type: String,
    platform: Option<Value>,
}

impl Pushed {
    /// `manifest` of `media_type`, pushed.
    pub fn new(manifest: &[u8], media_type: &str) -> Pushed {
        Pushed {
            digest: sha256(manifest),
            size: manifest.len(),
            media_type: media_type.into(),
            platform: None,
        }
    }

    /// The manifest of `image`, pushed: an index entry names its platform.
    pub fn image(manifest: &[u8], image: &Image) -> Pushed {
        Pushed {
            platform: Some(image.platform_json()),
            ..Pushed::new(manifest, IMAGE_MANIFEST)
        }
    }

    /// Its descriptor in an index.
    pub fn descriptor(&self) -> Value {
        let mut entry = json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        });
        if let Some(platform) = &self.platform {
            entry["platform"] = platform.clone();
        }
        entry
    }
}

/// An OCI index over `children`.
pub fn index(children: &[Pushed]) -> Vec<u8> {
    let manifests: Vec<Value> = children.iter().map(Pushed::descriptor).collect();
    let index = json!({"schemaVersion": 2, "mediaType": IMAGE_INDEX, "manifests": manifests});
    serde_json::to_vec(&index).expect("serialise index")
}

/// `count` tags, `tag-0000`, `tag-0001`, … in order, each with an image of
/// its own: all share one config and layer, so only manifests differ.
pub fn seeded_tags(count: usize) -> Vec<(String, Image)> {
    let width = count.saturating_sub(1).to_string().len().max(4);
    (0..count)
        .map(|i| {
            let tag = format!("tag-{i:0width$}");
            let image = Image::new().annotation("org.berth.test.tag", &tag);
            (tag, image)
        })
        .collect()
}

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}
