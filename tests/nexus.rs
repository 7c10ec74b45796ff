//! The `nexus` provider: found by the `Server: Nexus/...` header on
//! `GET /v2/`, then the OCI API; a tag goes only by the throwaway untag
//! (never a manifest delete by tag, never the shared manifest), against a
//! thin Nexus front on real distribution that refuses a delete by tag.

use crate::support::scenarios::{
    assert_detected_by_address, assert_just_a_probe, branded_round_trip, detect_by_probe,
};
use crate::support::{Bed, Method, Requests, Seen, Vendor};

const REPO: &str = "team/app";

fn nexus() -> Bed {
    Bed::start(Vendor::Nexus)
}

#[test]
fn detects_nexus_by_its_server_header() {
    assert_detected_by_address(&[
        ("nexus.example.com/team/app", "default"),
        ("nexus.example.com:8443/team/app", "default"),
    ]);
    let bed = nexus();
    let v = detect_by_probe(&bed.repo.address, "nexus");
    assert_eq!(v["repository"], REPO);
    assert_just_a_probe(&bed.requests());
}

#[test]
fn lists_removes_one_tag_and_pushes() {
    let bed = nexus();
    let seeded = branded_round_trip(&bed);
    // One delete, by the digest of a throwaway: never by tag, never the
    // shared manifest.
    let deletes: Vec<_> = bed
        .requests()
        .to(Method::DELETE, "/")
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    let (path, status) = &deletes[0];
    assert_eq!(*status, 202);
    let digest = path
        .strip_prefix(&format!("/v2/{REPO}/manifests/"))
        .unwrap();
    assert!(digest.starts_with("sha256:"), "{path}");
    assert_ne!(digest, seeded.shared);
    assert_ne!(digest, seeded.other);
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let bed = nexus();
    bed.repo.seed_dated();
    bed.repo.cleanup_dry_run(bed.berth());
    assert!(bed.requests().iter().all(Seen::is_read));
}
