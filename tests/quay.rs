//! The `quay` provider against a fake of Quay's API v1 and token service in
//! front of real distribution. Tags are listed and removed through the API
//! with an OAuth token (`--opt token`, `BERTH_QUAY_TOKEN`); manifests go
//! through `/v2/` with the robot account's docker login.

use crate::support::fakes::quay::{QuayFake, READ_TOKEN, ROBOT, ROBOT_PASSWORD, TOKEN};
use crate::support::image_checks::{
    Untagging, attachments_follow_their_image, untagged_is_refused_with_the_reason,
};
use crate::support::scenarios::{
    after_probe, assert_detected_by_address, assert_listing, assert_one_get, days_ago,
    detect_by_probe,
};
use crate::support::{Bed, BerthCommand, Image, Method, Requests, Vendor};
use serde_json::json;

fn quay() -> Bed {
    Bed::start(Vendor::Quay)
}

/// berth with the robot account's docker login, but no token.
fn robot(bed: &Bed) -> BerthCommand {
    bed.berth_as(ROBOT, ROBOT_PASSWORD)
}

#[test]
fn detects_quay_by_address_and_by_its_challenge() {
    assert_detected_by_address(&[
        ("quay.io/ns/app", "quay"),
        ("quay.corp.example.com/ns/app", "quay"),
        ("quay.example.org/ns/app", "default"),
        ("notquay.io/ns/app", "default"),
    ]);
    // On loopback no pattern matches; `GET /v2/` answers Quay's challenge.
    detect_by_probe(&quay().repo.address, "quay");
}

#[test]
fn lists_active_tags_with_digests_and_start_times() {
    let bed = quay();
    let repo = &bed.repo;
    let v1 = repo.push("v1", &Image::new().unique());
    repo.tag("v1", "latest");
    let v2 = repo.push("v2", &Image::new().unique());
    bed.part::<QuayFake>()
        .set_start(&repo.name, "v1", 1_717_680_780);
    let out = bed
        .berth()
        .args(["tags", "ls", &repo.address, "-o", "json"])
        .run();
    let tags = assert_listing(
        &out.success().json(),
        "quay",
        &[
            ("v1", &v1.digest),
            ("latest", &v1.digest),
            ("v2", &v2.digest),
        ],
    );
    assert_eq!(tags["v1"]["created"], "2024-06-06T13:33:00Z");

    // Nothing went through /v2/ but the probe: the API said it all.
    assert_one_get(
        &after_probe(&bed.requests()),
        "/api/v1/repository/ns/app/tag/?onlyActiveTags=true&limit=100&page=1",
        Some(&format!("Bearer {TOKEN}")),
    );
}

#[test]
fn pages_through_the_api_with_the_token_from_the_environment() {
    let bed = quay();
    let tags = bed.repo.seed_tags(250);
    let out = robot(&bed)
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args(["tags", "ls", &bed.repo.address])
        .run();
    assert_eq!(out.success().sorted_lines(), tags);
    let pages: Vec<String> = bed
        .requests()
        .under("/api/")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        pages,
        (1..=3)
            .map(|p| format!(
                "/api/v1/repository/ns/app/tag/?onlyActiveTags=true&limit=100&page={p}"
            ))
            .collect::<Vec<_>>()
    );
}

#[test]
fn removing_one_tag_leaves_the_others_on_its_manifest() {
    let bed = quay();
    let repo = &bed.repo;
    let seeded = repo.seed_shared();
    repo.remove_a(bed.berth(), &seeded);
    let deletes = bed.requests().to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].path, "/api/v1/repository/ns/app/tag/a");
    assert_eq!(deletes[0].status, 204);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // The removed tag is history, which the active list leaves out.
    let out = bed.berth().args(["tags", "ls", &repo.address]).run();
    assert_eq!(out.success().sorted_lines(), ["b", "c", "other"]);
}

#[test]
fn without_a_usable_token_nothing_is_removed_and_the_hint_names_it() {
    let bed = quay();
    let repo = &bed.repo;
    for tag in ["a", "b"] {
        repo.push(tag, &Image::new().unique());
    }

    // No token: a private repository cannot even be listed.
    let out = robot(&bed).args(["tags", "rm", &repo.address, "a"]).run();
    let stderr = out.failure();
    assert!(out.has_hint("--opt token="), "{stderr}");
    assert!(out.has_hint("BERTH_QUAY_TOKEN"), "{stderr}");

    // A public repository lists without a token; removing still needs one.
    bed.part::<QuayFake>().make_public(&repo.name);
    let out = robot(&bed).args(["tags", "rm", &repo.address, "a"]).run();
    let stderr = out.failure();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(stderr.contains("BERTH_QUAY_TOKEN"), "{stderr}");
    assert!(stderr.contains("--opt token="), "{stderr}");

    // A token Quay does not know.
    let out = robot(&bed)
        .env("BERTH_QUAY_TOKEN", "not-a-token")
        .args(["tags", "ls", &repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("Quay refused the token"), "{stderr}");
    assert!(out.has_hint("BERTH_QUAY_TOKEN"), "{stderr}");
    assert!(!stderr.contains("not-a-token"), "{stderr}");

    // A token that may only read.
    let out = robot(&bed)
        .args(["--opt", &format!("token={READ_TOKEN}")])
        .args(["tags", "rm", &repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("forbidden"), "{stderr}");

    assert_eq!(repo.tags(), ["a", "b"]);
    let requests = bed.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method != Method::DELETE || r.status == 403),
        "{requests:?}"
    );
}

#[test]
fn manifest_put_works_and_quay_refusing_a_type_is_unsupported() {
    let bed = quay();
    let repo = &bed.repo;
    let base = repo.push("base", &Image::new().unique());
    repo.copy_manifest(|| robot(&bed), "base", &base.digest);

    let artifact = json!({
        "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
        "artifactType": "application/vnd.example.sbom",
        "blobs": [],
    });
    let out = robot(&bed)
        .args(["manifest", "put", &repo.tagged("sbom"), "-"])
        .stdin(artifact.to_string())
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unsupported by quay"), "{stderr}");
    assert!(stderr.contains("415"), "{stderr}");
    assert!(!repo.tags().contains(&"sbom".to_string()));
}

#[test]
fn cleanup_dry_run_uses_the_start_times() {
    let bed = quay();
    let repo = &bed.repo;
    // Every image says it was built in 2024; Quay's start times decide.
    for (tag, days) in [("old", 40), ("new", 3)] {
        repo.push(tag, &Image::new().unique());
        let start = days_ago(days).timestamp();
        bed.part::<QuayFake>().set_start(&repo.name, tag, start);
    }
    repo.cleanup_dry_run(robot(&bed).env("BERTH_QUAY_TOKEN", TOKEN));
    // No image config was read (only the referrers of the image that goes),
    // and nothing but reads was sent.
    let requests = after_probe(&bed.requests());
    assert!(
        requests.iter().all(|r| r.method == Method::GET
            && (r.path.starts_with("/api/")
                || r.route() == "/v2/auth"
                || r.route().contains("/referrers/sha256:")
                || r.route().contains("/manifests/sha256-"))),
        "{requests:?}"
    );
}

#[test]
fn throttled_api_requests_are_retried() {
    let bed = quay();
    bed.repo.push("v1", &Image::new().unique());
    bed.part::<QuayFake>().throttle(Method::GET, 2);
    let out = robot(&bed)
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args(["tags", "ls", &bed.repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = bed
        .requests()
        .under("/api/")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn attachments_go_with_their_image_and_only_with_it() {
    let bed = quay();
    // Quay's start times give the ages; the attachments' are now.
    attachments_follow_their_image(&bed, Untagging::LeavesManifest, |tag, _, days| {
        let start = days_ago(days).timestamp();
        bed.part::<QuayFake>().set_start(&bed.repo.name, tag, start);
    });
}

#[test]
fn untagged_is_refused_as_quay_collects_untagged_manifests_itself() {
    untagged_is_refused_with_the_reason(
        &quay(),
        "quay: Quay's API lists tags and their history, never a manifest no tag reaches",
    );
}
