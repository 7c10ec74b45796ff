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
//!
//! Nexus 3.89 and later reportedly keep listing a tag after its manifest is
//! deleted by digest, so after each removal the listing is checked, and a
//! tag still there is removed through Nexus's REST API (`rest`).

mod rest;

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
            Capability::ListRepositories,
        ])
        .option(
            "repository",
            "the Nexus repository (of format docker) that holds the images, for its REST API",
        )
        .option(
            "api-url",
            "Nexus's base URL for its REST API, when the registry is on another port or host",
        )
        .build()
    }

    fn delete_tag(target: Target, tag: String, _removal: Removal) -> Result<()> {
        let moved = oci::move_to_throwaway(&tag)?;
        if let Err(cause) = oci::delete_manifest(&moved) {
            return Err(berth_sdk::put_back(&tag, cause));
        }
        if rest::still_listed(&tag)? {
            rest::delete_component(&target, &tag)?;
        }
        Ok(())
    }
}

berth_sdk::provider!(Nexus);
