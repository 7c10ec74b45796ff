//! The `nexus` provider: found by the `Server: Nexus/...` header on
//! `GET /v2/`, then the OCI API; a tag goes only by the throwaway untag
//! (never a manifest delete by tag, never the shared manifest), and, where
//! Nexus keeps listing it, through Nexus's REST API; against a Nexus fake on
//! real distribution that refuses a delete by tag.

use crate::support::fakes::nexus::{self, NexusFake};
use crate::support::scenarios::{
    assert_detected_by_address, assert_just_a_probe, branded_round_trip, detect_by_probe,
};
use crate::support::{Bed, Method, Requests, Seen, Setting, Vendor};

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

/// Nexus 3.89 and later keep listing a tag whose manifest berth deleted (the
/// throwaway's): berth sees it still listed and removes it through Nexus's
/// REST API, the component of that tag alone.
#[test]
fn a_tag_still_listed_after_removal_goes_through_the_rest_api() {
    let bed = nexus();
    bed.part::<NexusFake>().keep_stale_tags(true);
    let seeded = bed.repo.seed_shared();
    bed.clear_requests();
    bed.repo.remove_a(bed.berth(), &seeded);
    let listed = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(listed.success().sorted_lines(), ["b", "c", "other"]);
    let rest: Vec<(Method, String)> = bed
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/service/rest/"))
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(rest.len(), 2, "{rest:?}");
    let (method, search) = &rest[0];
    assert_eq!(*method, Method::GET);
    assert!(search.starts_with("/service/rest/v1/search?"), "{search}");
    for param in [
        "repository=docker-hosted",
        "format=docker",
        "name=team%2Fapp",
        "version=a",
    ] {
        assert!(search.contains(param), "{search}");
    }
    assert_eq!(rest[1].0, Method::DELETE);
    assert!(
        rest[1].1.starts_with("/service/rest/v1/components/"),
        "{rest:?}"
    );
}

/// A Nexus that drops the tag with its manifest needs no REST call.
#[test]
fn a_tag_gone_from_the_listing_needs_no_rest_call() {
    let bed = nexus();
    let seeded = bed.repo.seed_shared();
    bed.clear_requests();
    bed.repo.remove_a(bed.berth(), &seeded);
    assert!(
        bed.requests()
            .iter()
            .all(|r| !r.path.starts_with("/service/rest/"))
    );
}

/// Without the Nexus repository's name, the stale tag is reported with
/// what to set, and nothing else is touched.
#[test]
fn a_stale_tag_without_the_repository_name_says_what_to_set() {
    let bed = nexus();
    bed.part::<NexusFake>().keep_stale_tags(true);
    let seeded = bed.repo.seed_shared();
    let out = bed
        .with(
            bed.command(),
            &[Setting::docker(nexus::USER, nexus::PASSWORD)],
        )
        .args(["--provider", "nexus", "tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(out.has_hint("--opt repository="), "{stderr}");
    assert_eq!(bed.repo.digest("b").as_ref(), Some(&seeded.shared));
    assert_eq!(bed.repo.digest("c").as_ref(), Some(&seeded.shared));
    assert_eq!(bed.repo.digest("other").as_ref(), Some(&seeded.other));
}

/// Nexus removes tags only: a removed image's attachment tags go with it, its
/// untagged referrer stays (and no report says it goes, dry run or not).
#[test]
fn attachments_go_with_their_image_and_only_with_it() {
    let bed = nexus();
    crate::support::image_checks::attachments_follow_their_image(
        &bed,
        crate::support::image_checks::Untagging::TagsOnly,
        |_, _, _| {},
    );
}
