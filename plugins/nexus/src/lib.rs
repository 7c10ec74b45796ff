//! Sonatype Nexus Repository, through a Docker repository's registry API
//! (the OCI distribution API).
//!
//! Nexus is recognised by its `Server: Nexus/<version> (OSS|PRO)` header
//! (a probe rule in the catalog), which it sends on `/v2/` like on
//! everything else. Tags, manifests and pushes are the host's OCI client.
//!
//! Removing a tag: Nexus keeps no tag apart from its manifest, and deleting a
//! manifest by digest takes every tag on it, so a tag is removed only by the
//! throwaway untag, done here step by step: the host moves the tag onto a
//! tiny manifest that names it (an empty config, no layers) and that
//! manifest is deleted by its digest. Nothing else points at the throwaway, so nothing
//! else goes. No `DELETE /v2/<name>/manifests/<tag>` is ever sent, and the
//! original manifest is never deleted. If a step after the move fails, the
//! tag is put back on its original manifest.

use berth_sdk::{Capability, Info, Provider, Removal, Result, Target, oci};

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

    fn delete_tag(_target: Target, tag: String, _removal: Removal) -> Result<()> {
        let moved = oci::move_to_throwaway(&tag)?;
        match oci::delete_manifest(&moved) {
            Ok(()) => Ok(()),
            Err(cause) => Err(berth_sdk::put_back(&tag, cause)),
        }
    }
}

berth_sdk::provider!(Nexus);
