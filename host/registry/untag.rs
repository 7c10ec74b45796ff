//! Removing one tag and nothing else, on any OCI registry.
//!
//! Deleting a manifest by digest removes every tag that points at it, so the
//! generic way is: the OCI tag delete where the registry supports it, else
//! move the tag to a throwaway manifest unique to it and delete that. If the
//! throwaway cannot be deleted, the tag is put back: a tag never stays on a
//! throwaway.

use super::manifest::Manifest;
use super::{RegistryError, Repo};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;

/// The OCI empty descriptor's content, `{}`.
const EMPTY: &[u8] = b"{}";
const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

impl Repo {
    pub async fn untag(&self, tag: &str) -> Result<(), RegistryError> {
        if self.learned.tag_delete.load(Ordering::Relaxed) != UNSUPPORTED {
            match self.delete_manifest(tag).await {
                Ok(()) => {
                    self.learned.tag_delete.store(SUPPORTED, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) if refuses_tag_delete(&e) => {
                    self.learned
                        .tag_delete
                        .store(UNSUPPORTED, Ordering::Relaxed);
                }
                // Some registries answer a tag delete as an unknown digest;
                // whether the tag exists tells which it was.
                Err(RegistryError::NotFound(_))
                    if self.learned.tag_delete.load(Ordering::Relaxed) != SUPPORTED => {}
                Err(e) => return Err(e),
            }
        }
        let original = self.get_manifest(tag).await?;
        self.untag_by_throwaway(tag, original).await
    }

    async fn untag_by_throwaway(&self, tag: &str, original: Manifest) -> Result<(), RegistryError> {
        if !self.learned.empty_blob.load(Ordering::Relaxed) {
            self.push_blob(EMPTY.to_vec()).await?;
            self.learned.empty_blob.store(true, Ordering::Relaxed);
        }
        let throwaway = throwaway_manifest(tag);
        // A delete that was cut short and retried may have removed the
        // manifest but left the tag on it, invisibly to HEAD; pushing the
        // throwaway again and deleting it once more settles it.
        for _ in 0..ATTEMPTS {
            let digest = match self
                .push_manifest(tag, OCI_MANIFEST, throwaway.clone())
                .await
            {
                Ok(digest) => digest,
                Err(e) => return Err(self.restore(tag, original, e).await),
            };
            match self.delete_once(&digest).await {
                Ok(Settled::Clean) => return Ok(()),
                Ok(Settled::Unsure) => continue,
                Err(e) => return Err(self.restore(tag, original, e).await),
            }
        }
        let e = RegistryError::Other(format!(
            "the registry did not cleanly delete the throwaway manifest for {tag} in {ATTEMPTS} attempts"
        ));
        Err(self.restore(tag, original, e).await)
    }

    /// Deletes a manifest and says whether the answer can be trusted.
    async fn delete_once(&self, digest: &str) -> Result<Settled, RegistryError> {
        let response = self
            .send(self.request(reqwest::Method::DELETE, &format!("manifests/{digest}")))
            .await?;
        match response.status {
            200..=299 if !response.retried => Ok(Settled::Clean),
            200..=299 | 404 => Ok(Settled::Unsure),
            _ => Err(RegistryError::from_response(
                &format!("DELETE {}:{digest}", self.name),
                &response,
            )),
        }
    }

    /// Puts the tag back on its original manifest, so a failure leaves it
    /// as it was.
    async fn restore(&self, tag: &str, original: Manifest, cause: RegistryError) -> RegistryError {
        match self
            .push_manifest(tag, &original.media_type, original.bytes)
            .await
        {
            Ok(_) => cause,
            Err(r) => RegistryError::Other(format!(
                "{cause}; restoring tag {tag} to {} also failed: {r}",
                original.digest
            )),
        }
    }
}

enum Settled {
    Clean,
    Unsure,
}

const ATTEMPTS: usize = 3;

/// distribution 2.x parses the tag as a digest and answers 400
/// `DIGEST_INVALID`; others say `UNSUPPORTED` or 405.
fn refuses_tag_delete(e: &RegistryError) -> bool {
    match e {
        RegistryError::Unsupported(_) => true,
        RegistryError::Invalid(m) => m.contains("DIGEST_INVALID") || m.contains("UNSUPPORTED"),
        _ => false,
    }
}

/// A manifest no other tag can share: it names the tag and a nonce.
fn throwaway_manifest(tag: &str) -> Vec<u8> {
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": EMPTY_DIGEST,
            "size": EMPTY.len(),
        },
        "layers": [],
        "annotations": {
            "io.berth.throwaway": tag,
            "io.berth.nonce": format!("{nonce}-{}", std::process::id()),
        },
    })
    .to_string()
    .into_bytes()
}
