//! Removing one tag. GitHub's registry refuses OCI manifest deletes, and the
//! REST API deletes whole versions with all their tags, so:
//! - a version whose only tag is this one is deleted;
//! - otherwise the tag is first moved to a throwaway manifest unique to it
//!   (pushed over the OCI API, which makes a new version holding only this
//!   tag), and that new version is deleted. Every other tag keeps the
//!   original version. If the throwaway cannot be deleted, the tag is put
//!   back where it was.

use crate::api::Api;
use crate::package::{self, Package, Version};
use berth_sdk::{Error, Manifest, Result, oci};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The OCI empty descriptor's content, `{}`.
const EMPTY: &[u8] = b"{}";
const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Looks for the throwaway's version; GitHub may list it a moment late.
const LOOKUPS: u32 = 5;

pub fn remove(api: &Api, package: &Package, tag: &str) -> Result<()> {
    // The instance's listing may be stale (other instances remove tags
    // too); the version is read again before it is acted on.
    for fresh in [false, true, true] {
        let Some(listed) = package::holder(api, package, tag, fresh)? else {
            if fresh {
                return Err(Error::NotFound(format!(
                    "no version of package {} holds tag {tag}",
                    package.shown()
                )));
            }
            continue;
        };
        let Some(version) = package::current(api, package, listed.id)? else {
            continue;
        };
        if !version.tags().iter().any(|t| t == tag) {
            continue;
        }
        return if version.tags().len() == 1 {
            package::delete(api, package, &version, tag)
        } else {
            by_throwaway(api, package, &version, tag)
        };
    }
    Err(Error::Other(format!(
        "tag {tag} of package {} kept moving while it was being removed; nothing was deleted",
        package.shown()
    )))
}

/// Moves `tag` off `version` (which other tags share) and deletes where it
/// went.
fn by_throwaway(api: &Api, package: &Package, version: &Version, tag: &str) -> Result<()> {
    crate::registry_login(api)?;
    let original = oci::get_manifest(tag)?;
    oci::push_blob(EMPTY)?;
    let throwaway = oci::push_manifest(tag, OCI_MANIFEST, &throwaway_manifest(tag, &original))?;
    match delete_throwaway(api, package, &throwaway, tag) {
        Ok(()) => {
            package::tag_moved(package, version.id, tag);
            Ok(())
        }
        Err(e) => Err(restore(tag, &original, e)),
    }
}

fn delete_throwaway(api: &Api, package: &Package, digest: &str, tag: &str) -> Result<()> {
    for attempt in 0..LOOKUPS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_secs(1));
        }
        let Some(version) = package::by_digest(api, package, digest)? else {
            continue;
        };
        // Only this tag can be on a manifest made for it; anything else
        // means someone tagged it meanwhile, and that is not deleted.
        if version.tags() != [tag] {
            return Err(Error::Other(format!(
                "the throwaway version {} ({digest}) made to remove tag {tag} holds tags {:?}; it was not deleted",
                version.id,
                version.tags()
            )));
        }
        return package::delete(api, package, &version, tag);
    }
    Err(Error::Other(format!(
        "GitHub did not list a version for the throwaway manifest {digest} pushed to remove tag {tag}"
    )))
}

/// Puts `tag` back on its original manifest after a failure.
fn restore(tag: &str, original: &Manifest, cause: Error) -> Error {
    match oci::push_manifest(tag, &original.media_type, &original.bytes) {
        Ok(_) => cause,
        Err(e) => Error::Other(format!(
            "{}; putting tag {tag} back on {} also failed: {}",
            message(&cause),
            original.digest,
            message(&e)
        )),
    }
}

fn message(e: &Error) -> String {
    match e {
        Error::Unauthorized(m)
        | Error::Forbidden(m)
        | Error::NotFound(m)
        | Error::Unsupported(m)
        | Error::Invalid(m)
        | Error::Transport(m)
        | Error::Other(m) => m.clone(),
        Error::RateLimited(r) => r.message.clone(),
    }
}

/// A manifest only this removal makes: it names the tag, the manifest the
/// tag was on, and the time.
fn throwaway_manifest(tag: &str, original: &Manifest) -> Vec<u8> {
    let nanos = SystemTime::now()
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
            "io.berth.replaces": original.digest,
            "io.berth.nonce": nanos.to_string(),
        },
    })
    .to_string()
    .into_bytes()
}
