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
use berth_sdk::{Error, Result, oci};
use std::time::Duration;

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
            package::delete(api, package, &version)
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
    // The host's throwaway is new each time, and so is its version.
    let throwaway = oci::move_to_throwaway(tag)?;
    match delete_throwaway(api, package, &throwaway, tag) {
        Ok(()) => {
            package::tag_moved(package, version.id, tag);
            Ok(())
        }
        Err(e) => Err(berth_sdk::put_back(tag, e)),
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
        return package::delete(api, package, &version);
    }
    Err(Error::Other(format!(
        "GitHub did not list a version for the throwaway manifest {digest} pushed to remove tag {tag}"
    )))
}
