//! Sonatype Nexus Repository, through a Docker repository's registry API
//! (the OCI distribution API).
//!
//! Nexus is recognised by its `Server: Nexus/<version> (OSS|PRO)` header,
//! which it sends on `/v2/` like on everything else. Tags, manifests and
//! pushes are the host's OCI client.
//!
//! Removing a tag: Nexus keeps no tag apart from its manifest, and deleting a
//! manifest by digest takes every tag on it, so a tag is removed only by the
//! throwaway untag, done here step by step: the tag is moved onto a tiny
//! manifest that names it (an empty config, no layers) and that manifest is
//! deleted by its digest. Nothing else points at the throwaway, so nothing
//! else goes. No `DELETE /v2/<name>/manifests/<tag>` is ever sent, and the
//! original manifest is never deleted. If a step after the move fails, the
//! tag is put back on its original manifest.

use berth_sdk::{Capability, Error, Info, Probe, Provider, Removal, Result, Target, oci};

struct Nexus;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI empty descriptor's content.
const EMPTY: &[u8] = b"{}";

impl Provider for Nexus {
    fn info() -> Info {
        berth_sdk::info(
            "nexus",
            env!("CARGO_PKG_VERSION"),
            "Sonatype Nexus Repository through its Docker registry API",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
        ])
        .build()
    }

    fn detect(_target: Target, probe: Option<Probe>) -> u8 {
        if is_nexus(berth_sdk::probe_header(&probe, "server")) {
            95
        } else {
            0
        }
    }

    fn delete_tag(_target: Target, tag: String, _removal: Removal) -> Result<()> {
        let original = oci::get_manifest(&tag)?;
        let config = oci::push_blob(EMPTY)?;
        let throwaway = throwaway_manifest(&tag, &original.digest, &config);
        let moved = oci::push_manifest(&tag, OCI_MANIFEST, &throwaway)?;
        if moved == original.digest {
            // Cannot happen for a manifest that names the tag; never delete
            // what the tag pointed at.
            return Err(Error::Other(format!(
                "the throwaway manifest for {tag} has the original digest {moved}; nothing deleted"
            )));
        }
        match oci::delete_manifest(&moved) {
            Ok(()) => Ok(()),
            Err(cause) => Err(restore(&tag, &original, cause)),
        }
    }
}

/// `Server: Nexus/3.68.1-02 (OSS)`.
fn is_nexus(server: Option<&str>) -> bool {
    server.is_some_and(|s| {
        s.split_whitespace()
            .any(|product| product.len() > 6 && product[..6].eq_ignore_ascii_case("nexus/"))
    })
}

/// A manifest unique to this tag: it names the tag and the digest the tag
/// was on.
fn throwaway_manifest(tag: &str, original: &str, config: &str) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": config,
            "size": EMPTY.len(),
        },
        "layers": [],
        "annotations": {
            "io.berth.throwaway": tag,
            "io.berth.replaces": original,
        },
    })
    .to_string()
    .into_bytes()
}

/// Puts the tag back on its original manifest.
fn restore(tag: &str, original: &berth_sdk::Manifest, cause: Error) -> Error {
    match oci::push_manifest(tag, &original.media_type, &original.bytes) {
        Ok(_) => cause,
        Err(again) => Error::Other(format!(
            "{}; putting {tag} back on {} also failed: {}",
            message(&cause),
            original.digest,
            message(&again)
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

berth_sdk::provider!(Nexus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_header() {
        assert!(is_nexus(Some("Nexus/3.68.1-02 (OSS)")));
        assert!(is_nexus(Some("nexus/3.9.0 (PRO)")));
        assert!(!is_nexus(Some("nginx/1.25")));
        assert!(!is_nexus(Some("Nexus/")));
        assert!(!is_nexus(None));
    }

    #[test]
    fn throwaway_is_json_that_names_the_tag() {
        let bytes = throwaway_manifest("v1.2", "sha256:ab", "sha256:44");
        let text = String::from_utf8(bytes).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["annotations"]["io.berth.throwaway"], "v1.2");
        assert_eq!(v["config"]["digest"], "sha256:44");
        assert_eq!(v["config"]["size"], 2);
        assert_eq!(v["layers"], serde_json::json!([]));
    }
}
