//! The bed itself, for every vendor: berth lists what the store holds,
//! removes one tag of several on a manifest and nothing else, copies a
//! manifest, and the bed's servers log what berth sent.

use serde_json::Value;

use super::{Vendor, every_vendor};
use crate::support::Bed;

every_vendor!(round_trip);

fn round_trip(vendor: Vendor) {
    let bed = Bed::start(vendor);
    let repo = &bed.repo;
    let seeded = repo.seed_shared();

    let out = bed
        .berth()
        .args(["tags", "ls", &repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], vendor.provider());
    let stored = repo.digests();
    let tags = listing["tags"].as_array().unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), stored.len(), "{listing}");
    for tag in tags {
        let name = tag["name"].as_str().unwrap();
        // A provider that cannot say leaves the digest out.
        if tag["digest"] != Value::Null {
            assert_eq!(tag["digest"], stored[name], "{name}");
        }
    }
    assert_eq!(bed.requests().is_empty(), vendor == Vendor::OciLayout);

    bed.clear_requests();
    assert!(bed.requests().is_empty());
    repo.remove_a(bed.berth(), &seeded);
    repo.copy_manifest(|| bed.berth(), "other", &seeded.other);
}
