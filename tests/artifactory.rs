//! The `artifactory` provider: found by address (`*.jfrog.io`) or by the
//! headers Artifactory adds to `GET /v2/`, then the OCI API with the safe
//! untag, against a thin Artifactory front on real distribution.

use crate::support::scenarios::{
    assert_detected_by_address, assert_just_a_probe, branded_round_trip, detect_by_probe,
};
use crate::support::{Bed, Method, Requests, Seen, Vendor};

const REPO: &str = "docker-local/team/app";

fn artifactory() -> Bed {
    Bed::start(Vendor::Artifactory)
}

#[test]
fn detects_artifactory_by_address_and_by_its_headers() {
    assert_detected_by_address(&[
        ("acme.jfrog.io/docker-local/app", "artifactory"),
        ("acme-docker.jfrog.io/app", "artifactory"),
        ("jfrog.io.example.com/app", "default"),
    ]);
    let bed = artifactory();
    let v = detect_by_probe(&bed.repo.address, "artifactory");
    // The repository key stays part of the path, as given.
    assert_eq!(v["repository"], REPO);
    assert_just_a_probe(&bed.requests());
}

#[test]
fn lists_removes_one_tag_and_pushes() {
    let bed = artifactory();
    let seeded = branded_round_trip(&bed);
    // The shared manifest itself was never deleted.
    let deletes: Vec<_> = bed
        .requests()
        .to(Method::DELETE, "/")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert!(!deletes.is_empty());
    assert!(
        deletes
            .iter()
            .all(|p| !p.ends_with(&seeded.shared)
                && p.starts_with(&format!("/v2/{REPO}/manifests/"))),
        "{deletes:?}"
    );
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let bed = artifactory();
    bed.repo.seed_dated();
    bed.repo.cleanup_dry_run(bed.berth());
    assert!(bed.requests().iter().all(Seen::is_read));
}

/// Artifactory removes tags only here: a removed image's attachment tags go with
/// it, its untagged referrer stays (and no report says it goes).
#[test]
fn attachments_go_with_their_image_and_only_with_it() {
    let bed = artifactory();
    crate::support::image_checks::attachments_follow_their_image(
        &bed,
        crate::support::image_checks::Untagging::TagsOnly,
        |_, _, _| {},
    );
}
