//! Removing one tag and nothing else, on any OCI registry.
//!
//! Deleting a manifest by digest removes every tag that points at it, so the
//! generic way is: the OCI tag delete where the registry supports it, else
//! move the tag to a throwaway manifest unique to it and delete that. If the
//! throwaway cannot be deleted, the tag is put back: a tag never stays on a
//! throwaway. Providers that delete through their own API use the two halves,
//! [`Repo::move_to_throwaway`] and [`Repo::put_back`], themselves.

use super::Repo;
use crate::model::{Manifest, RegistryError};
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;

/// The OCI empty descriptor's content, `{}`.
const EMPTY: &[u8] = b"{}";
const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Names the tag a throwaway manifest was made for.
const THROWAWAY_ANNOTATION: &str = "io.berth.throwaway";

/// Pushes of one throwaway, when a cut-short delete leaves doubt.
const ATTEMPTS: usize = 3;

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
        // A delete that was cut short and retried may have removed the
        // manifest but left the tag on it, invisibly to HEAD; pushing the
        // throwaway again and deleting it once more settles it.
        for _ in 0..ATTEMPTS {
            let digest = self.move_to_throwaway(tag).await?;
            match self.delete_once(&digest).await {
                Ok(Settled::Clean) => {
                    self.forget(tag);
                    return Ok(());
                }
                Ok(Settled::Unsure) => continue,
                Err(e) => return Err(self.put_back_after(tag, e).await),
            }
        }
        let e = RegistryError::Other(format!(
            "the registry did not cleanly delete the throwaway manifest for {tag} in {ATTEMPTS} attempts"
        ));
        Err(self.put_back_after(tag, e).await)
    }

    /// Moves `tag` onto a manifest unique to it and returns that manifest's
    /// digest. The manifest it was on is remembered for [`Repo::put_back`]
    /// (the first time only: a second move starts from the throwaway).
    pub async fn move_to_throwaway(&self, tag: &str) -> Result<String, RegistryError> {
        if !self.learned.moved.lock().unwrap().contains_key(tag) {
            let original = self.get_manifest(tag).await?;
            self.learned
                .moved
                .lock()
                .unwrap()
                .insert(tag.to_string(), original);
        }
        self.learned
            .empty_blob
            .get_or_try_init(|| async { self.push_blob(EMPTY.to_vec()).await.map(|_| ()) })
            .await?;
        match self
            .push_manifest(tag, OCI_MANIFEST, throwaway_manifest(tag))
            .await
        {
            Ok(digest) => Ok(digest),
            Err(e) => Err(self.put_back_after(tag, e).await),
        }
    }

    /// Returns a tag moved by [`Repo::move_to_throwaway`] to the manifest it
    /// was on.
    pub async fn put_back(&self, tag: &str) -> Result<(), RegistryError> {
        let original = self.learned.moved.lock().unwrap().remove(tag);
        let Some(original) = original else {
            return Err(RegistryError::Invalid(format!(
                "tag {tag} was not moved to a throwaway manifest in this run"
            )));
        };
        let pushed = self
            .push_manifest(tag, &original.media_type, original.bytes.clone())
            .await;
        if pushed.is_err() {
            // Kept, so that another attempt can still put it back.
            self.learned
                .moved
                .lock()
                .unwrap()
                .insert(tag.to_string(), original);
        }
        pushed.map(|_| ())
    }

    /// The tag is gone for good: nothing to put back.
    fn forget(&self, tag: &str) {
        self.learned.moved.lock().unwrap().remove(tag);
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

    /// Puts the tag back after `cause` stopped its removal, so a failure
    /// leaves it as it was; says so when that fails too.
    async fn put_back_after(&self, tag: &str, cause: RegistryError) -> RegistryError {
        let original = self
            .learned
            .moved
            .lock()
            .unwrap()
            .get(tag)
            .map(|m: &Manifest| m.digest.clone());
        match self.put_back(tag).await {
            Ok(()) => cause,
            Err(r) => RegistryError::Other(format!(
                "{cause}; restoring tag {tag} to {} also failed: {r}",
                original.unwrap_or_default()
            )),
        }
    }
}

enum Settled {
    Clean,
    Unsure,
}

/// distribution 2.x parses the tag as a digest and answers 400
/// `DIGEST_INVALID`; others say `UNSUPPORTED` or 405.
fn refuses_tag_delete(e: &RegistryError) -> bool {
    match e {
        RegistryError::Unsupported(_) => true,
        RegistryError::Invalid(m) => m.contains("DIGEST_INVALID") || m.contains("UNSUPPORTED"),
        _ => false,
    }
}

/// Whether `manifest` is berth's throwaway for `tag`: a removal of `tag`
/// was cut off after moving it there, and finishing it removes nothing else.
pub fn is_throwaway_of(manifest: &[u8], tag: &str) -> bool {
    serde_json::from_slice::<serde_json::Value>(manifest).is_ok_and(|m| {
        m["config"]["digest"] == EMPTY_DIGEST
            && m["layers"].as_array().is_some_and(Vec::is_empty)
            && m["annotations"][THROWAWAY_ANNOTATION] == tag
    })
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
            THROWAWAY_ANNOTATION: tag,
            "io.berth.nonce": format!("{nonce}-{}", std::process::id()),
        },
    })
    .to_string()
    .into_bytes()
}
