//! OCI image layouts written by the tests, as a store: each repository is a
//! directory with blobs under `blobs/sha256/` and its tags as
//! `org.opencontainers.image.ref.name` annotations on `index.json` entries.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value, json};

use super::image::{IMAGE_INDEX, Image, Pushed, index, sha256};
use super::store::Store;

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Layouts under one directory.
pub struct Layouts {
    root: PathBuf,
    // One writer of an `index.json` at a time.
    writing: Mutex<()>,
}

impl Layouts {
    pub fn new(root: &Path) -> Layouts {
        Layouts {
            root: root.into(),
            writing: Mutex::default(),
        }
    }

    /// The layout of `repo`, created empty if it is not there.
    pub fn dir(&self, repo: &str) -> PathBuf {
        let dir = self.root.join(repo);
        if !dir.join("index.json").exists() {
            fs::create_dir_all(dir.join("blobs/sha256")).expect("create a layout");
            fs::write(
                dir.join("oci-layout"),
                json!({"imageLayoutVersion": "1.0.0"}).to_string(),
            )
            .expect("write oci-layout");
            write_index(&dir, Vec::new());
        }
        dir
    }

    fn write_blob(&self, repo: &str, data: &[u8]) -> String {
        let digest = sha256(data);
        let hex = digest.trim_start_matches("sha256:");
        fs::write(self.dir(repo).join("blobs/sha256").join(hex), data).expect("write a blob");
        digest
    }

    /// Adds `descriptor` to the index, as `tag` or untagged: a tag moves
    /// off any entry it was on; an untagged manifest is listed once.
    fn add(&self, repo: &str, mut descriptor: Value, tag: Option<&str>) {
        let _writing = self.writing.lock().unwrap();
        let dir = self.dir(repo);
        let mut entries = entries(&dir);
        match tag {
            Some(tag) => {
                entries.retain(|e| ref_name(e) != Some(tag));
                descriptor["annotations"] = json!({ REF_NAME: tag });
            }
            None if entries.iter().any(|e| e["digest"] == descriptor["digest"]) => return,
            None => {}
        }
        entries.push(descriptor);
        write_index(&dir, entries);
    }

    fn put(&self, repo: &str, tag: Option<&str>, pushed: Pushed, manifest: &[u8]) -> Pushed {
        self.write_blob(repo, manifest);
        self.add(repo, pushed.descriptor(), tag);
        pushed
    }
}

impl Store for Layouts {
    fn push_image(&self, repo: &str, tag: Option<&str>, image: &Image) -> Pushed {
        let encoded = image.encode();
        for blob in &encoded.blobs {
            self.write_blob(repo, blob);
        }
        let pushed = Pushed::image(&encoded.manifest, image);
        self.put(repo, tag, pushed, &encoded.manifest)
    }

    fn push_index(&self, repo: &str, tag: Option<&str>, children: &[Pushed]) -> Pushed {
        let index = index(children);
        self.put(repo, tag, Pushed::new(&index, IMAGE_INDEX), &index)
    }

    fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        self.write_blob(repo, data)
    }

    fn push_manifest(
        &self,
        repo: &str,
        tag: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed {
        self.put(repo, tag, Pushed::new(bytes, media_type), bytes)
    }

    fn tag(&self, repo: &str, reference: &str, tag: &str) -> Pushed {
        let digest = self
            .digest(repo, reference)
            .unwrap_or_else(|| panic!("{reference} is not in layout {repo}"));
        let hex = digest.trim_start_matches("sha256:");
        let manifest = fs::read(self.dir(repo).join("blobs/sha256").join(hex)).expect("a manifest");
        let media_type: Value = serde_json::from_slice(&manifest).expect("a JSON manifest");
        let media_type = media_type["mediaType"].as_str().expect("a media type");
        self.put(
            repo,
            Some(tag),
            Pushed::new(&manifest, media_type),
            &manifest,
        )
    }

    fn tags(&self, repo: &str) -> Vec<String> {
        let mut tags: Vec<String> = entries(&self.root.join(repo))
            .iter()
            .filter_map(|e| ref_name(e).map(String::from))
            .collect();
        tags.sort();
        tags
    }

    fn digest(&self, repo: &str, reference: &str) -> Option<String> {
        let dir = self.root.join(repo);
        if let Some(hex) = reference.strip_prefix("sha256:") {
            return dir
                .join("blobs/sha256")
                .join(hex)
                .exists()
                .then(|| reference.into());
        }
        entries(&dir)
            .iter()
            .find(|e| ref_name(e) == Some(reference))
            .and_then(|e| e["digest"].as_str().map(String::from))
    }
}

/// The entries of `dir/index.json`; none when it is not there.
fn entries(dir: &Path) -> Vec<Value> {
    let Ok(text) = fs::read(dir.join("index.json")) else {
        return Vec::new();
    };
    let index: Value = serde_json::from_slice(&text).expect("a JSON index");
    index["manifests"].as_array().cloned().unwrap_or_default()
}

fn write_index(dir: &Path, entries: Vec<Value>) {
    let index = json!({"schemaVersion": 2, "mediaType": IMAGE_INDEX, "manifests": entries});
    fs::write(dir.join("index.json"), index.to_string()).expect("write index.json");
}

fn ref_name(entry: &Value) -> Option<&str> {
    entry["annotations"][REF_NAME].as_str()
}
