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
        let moved = berth_sdk::move_to_throwaway(&tag, &original, None)?;
        if moved == original.digest {
            // Cannot happen for a manifest that names the tag; never delete
            // what the tag pointed at.
            return Err(Error::Other(format!(
                "the throwaway manifest for {tag} has the original digest {moved}; nothing deleted"
            )));
        }
        match oci::delete_manifest(&moved) {
            Ok(()) => Ok(()),
            Err(cause) => Err(berth_sdk::put_back(&tag, &original, cause)),
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
}
