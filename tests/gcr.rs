//! The `gcr` provider (Google Container Registry, Artifact Registry) against
//! a fake of GCR's tag list, tag delete and token service in front of real
//! distribution, logged in as `gcloud auth configure-docker` leaves it. The
//! fake is on loopback, so these runs name the provider; detection by
//! address is tested without network.

use crate::support::fakes::gcr::{ACCESS_TOKEN, GcrFake};
use crate::support::login::basic;
use crate::support::scenarios::{assert_detected_by_address, assert_listing, days_ago, sorted};
use crate::support::{Bed, Image, Method, Registry, Requests, Seen, Vendor};
use serde_json::json;

const USER: &str = "oauth2accesstoken";

fn gcr() -> Bed {
    Bed::start(Vendor::Gcr)
}

/// Checks that a run's `requests` start with the token dance: the first
/// request challenged, then a token for the login. Returns the others.
fn after_token(requests: &[Seen]) -> Vec<Seen> {
    let dance: Vec<(&Method, &str, u16)> = requests
        .iter()
        .take(2)
        .map(|r| (&r.method, r.route(), r.status))
        .collect();
    assert_eq!(
        dance,
        [
            (&Method::GET, "/v2/app/tags/list", 401),
            (&Method::GET, "/v2/token", 200)
        ],
        "{requests:?}"
    );
    assert_eq!(
        requests[1].authorization.as_deref(),
        Some(&*basic(USER, ACCESS_TOKEN))
    );
    requests[2..].to_vec()
}

#[test]
fn detects_google_registries_by_address() {
    assert_detected_by_address(&[
        ("gcr.io/project/app", "gcr"),
        ("eu.gcr.io/project/team/app", "gcr"),
        ("us-docker.pkg.dev/project/repo/app", "gcr"),
        ("europe-west1-docker.pkg.dev/project/repo/app", "gcr"),
        ("container.cloud.google.com/project/app", "gcr"),
        ("gcr.io.example.com/project/app", "default"),
        ("notgcr.io/project/app", "default"),
    ]);
}

#[test]
fn lists_digests_and_dates_from_the_manifest_map() {
    let bed = gcr();
    let repo = &bed.repo;
    let old = repo.push(
        "old",
        &Image::new().created("2023-03-04T05:06:07Z").unique(),
    );
    repo.tag("old", "old-alias");
    let amd = repo.push_untagged(&Image::new().unique());
    let index = repo.push_index("multi", &[amd]);
    bed.part::<GcrFake>()
        .set_uploaded(&index.digest, 1_600_000_000_000);

    let out = bed
        .berth()
        .args(["tags", "ls", &repo.address, "-o", "json"])
        .run();
    let tags = assert_listing(
        &out.success().json(),
        "gcr",
        &[
            ("old", &old.digest),
            ("old-alias", &old.digest),
            ("multi", &index.digest),
        ],
    );
    // timeCreatedMs: the image's creation.
    assert_eq!(tags["old"]["created"], "2023-03-04T05:06:07Z");
    // An index has no creation time ("0"): timeUploadedMs instead.
    assert_eq!(tags["multi"]["created"], "2020-09-13T12:26:40Z");

    // One request for everything: no manifest or config was fetched.
    let listed = after_token(&bed.requests());
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (&listed[0].method, listed[0].path.as_str(), listed[0].status),
        (&Method::GET, "/v2/app/tags/list", 200)
    );
    assert!(
        listed[0]
            .authorization
            .as_ref()
            .unwrap()
            .starts_with("Bearer ")
    );
}

#[test]
fn follows_link_pages_where_the_registry_sends_them() {
    let bed = gcr();
    let tags = bed.repo.seed_tags(5);
    bed.part::<GcrFake>().page_size(2);
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    let names: Vec<&str> = listing["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, tags);
    assert!(
        listing["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["digest"].is_string())
    );
    let pages: Vec<String> = after_token(&bed.requests())
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        pages,
        [
            "/v2/app/tags/list",
            "/v2/app/tags/list?n=2&last=tag-0001",
            "/v2/app/tags/list?n=2&last=tag-0003",
        ]
    );
}

#[test]
fn removing_one_tag_untags_it_and_leaves_its_manifest_to_the_others() {
    let bed = gcr();
    let repo = &bed.repo;
    let seeded = repo.seed_shared();
    repo.remove_a(bed.berth(), &seeded);

    // The tag delete, and no delete by digest; a challenge changes nothing.
    let deletes: Vec<(String, u16)> = bed
        .requests()
        .to(Method::DELETE, "/")
        .into_iter()
        .map(|r| (r.path, r.status))
        .filter(|(_, status)| *status != 401)
        .collect();
    assert_eq!(deletes, [("/v2/app/manifests/a".to_string(), 202)]);

    // Naming both remaining tags of the manifest removes just those.
    bed.clear_requests();
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "b", "c"])
        .run();
    assert_eq!(out.success().stdout_str(), "deleted b\ndeleted c\n");
    assert_eq!(repo.tags(), ["other"]);
    assert_eq!(repo.digest("other").unwrap(), seeded.other);
    // GCR keeps the untagged manifest, and lists it without tags.
    assert_eq!(repo.digest(&seeded.shared), Some(seeded.shared.clone()));
}

#[test]
fn a_missing_tag_is_reported_and_the_rest_removed() {
    let bed = gcr();
    let repo = &bed.repo;
    repo.push("a", &Image::new().unique());
    repo.push("keep", &Image::new().unique());
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "a", "nope", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(report["missing"], json!(["nope"]));
    assert_eq!(repo.tags(), ["keep"]);
}

#[test]
fn manifest_put_stores_the_bytes() {
    let bed = gcr();
    let repo = &bed.repo;
    let base = repo.push("base", &Image::new().unique());
    let manifest = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("base")])
        .run();
    let file = bed.sandbox().home().join("manifest.json");
    std::fs::write(&file, &manifest.success().stdout).unwrap();
    let out = bed
        .berth()
        .args(["manifest", "put", &repo.tagged("copy")])
        .arg(&file)
        .run();
    assert_eq!(out.success().stdout_str().trim(), base.digest);
    assert_eq!(repo.digest("copy").unwrap(), base.digest);
    assert!(
        bed.requests().iter().any(|r| r.method == Method::PUT
            && r.path == "/v2/app/manifests/copy"
            && r.status == 201)
    );
}

#[test]
fn cleanup_dry_run_uses_the_listed_times() {
    let bed = gcr();
    let repo = &bed.repo;
    repo.push("old", &Image::new().created_days_ago(40).unique());
    repo.push("new", &Image::new().created_days_ago(2).unique());
    let child = repo.push_untagged(&Image::new().unique());
    let index = repo.push_index("old-index", &[child]);
    // An index has no config date; the upload time is all there is.
    bed.part::<GcrFake>()
        .set_uploaded(&index.digest, days_ago(100).timestamp_millis());

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--older-than", "30d"])
        .args(["--dry-run", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["dry_run"], true);
    let mut deleted: Vec<&str> = report["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    deleted.sort();
    assert_eq!(deleted, ["old", "old-index"]);
    assert_eq!(report["kept"], json!([{"tag": "new", "reason": "newer"}]));
    // Dates came from the list: besides it, only the referrers of an image
    // that goes were asked for (the API, then its fallback tag), and nothing
    // changed.
    let requests = after_token(&bed.requests());
    assert!(
        requests.iter().all(|r| r.method == Method::GET
            && (r.path.starts_with("/v2/app/tags/list")
                || r.path.starts_with("/v2/app/referrers/sha256:")
                || r.path.starts_with("/v2/app/manifests/sha256-"))),
        "{requests:?}"
    );
    assert_eq!(repo.tags(), ["new", "old", "old-index"]);
}

#[test]
fn credentials_come_from_docker_config_and_a_refusal_says_how_to_log_in() {
    let bed = gcr();
    bed.repo.push("v1", &Image::new().unique());
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let listed = after_token(&bed.requests());
    let listed = listed.last().unwrap();
    assert_eq!(listed.path, "/v2/app/tags/list");
    assert_eq!(listed.status, 200);
    assert!(
        listed
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer ")
    );

    // A stale access token: exit 1, and the hint says how to log in.
    let out = bed
        .berth_as(USER, "ya29.expired")
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(out.has_hint("gcloud auth configure-docker"), "{stderr}");
    assert!(!stderr.contains("ya29.expired"), "{stderr}");

    // No credentials at all: the same.
    let out = bed
        .anonymous()
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(out.has_hint("oauth2accesstoken"), "{stderr}");
}

#[test]
fn throttled_requests_are_retried() {
    let bed = gcr();
    bed.repo.push("v1", &Image::new().unique());
    bed.part::<GcrFake>()
        .fail(Method::GET, "/v2/app/tags/list", 2, 429, Some(1));
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    // Throttled twice, then challenged once (the fault comes first).
    let statuses: Vec<u16> = bed
        .requests()
        .under("/v2/app/tags/list")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 401, 200]);
}

/// `--untagged` on GCR: the `manifest` map of the one tag list lists a
/// manifest pushed by digest alone, which goes by the OCI delete; one the
/// registry refuses because a tag came back meanwhile stays, and the error
/// says why.
#[test]
fn untagged_lists_manifests_pushed_by_digest_and_leaves_one_tagged_meanwhile() {
    let bed = gcr();
    let repo = &bed.repo;
    let v1 = repo.push("v1", &Image::new().unique());
    let stray = repo.push_untagged(&Image::new().unique());
    let retagged = repo.push_untagged(&Image::new().unique());
    let revisions = || bed.part::<Registry>().revisions().list(&repo.name);

    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--untagged",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let mut expected = vec![stray.digest.clone(), retagged.digest.clone()];
    expected.sort();
    assert_eq!(sorted(&out.success().json()["untagged"]), expected);
    let requests = bed.requests();
    assert!(requests.iter().all(Seen::changes_nothing), "{requests:?}");
    // The tag list twice (for the tags, then as the manifest listing), and
    // each manifest read once for what the map does not say (subjects).
    let answered: Vec<&str> = requests
        .iter()
        .filter(|r| r.status == 200 && r.route() != "/v2/token")
        .map(Seen::route)
        .collect();
    let mut reads: Vec<String> = [&v1.digest, &stray.digest, &retagged.digest]
        .iter()
        .map(|d| format!("/v2/app/manifests/{d}"))
        .collect();
    reads.sort();
    let mut expected_requests = vec!["/v2/app/tags/list"; 2];
    expected_requests.extend(reads.iter().map(String::as_str));
    let mut answered_sorted = answered.clone();
    answered_sorted.sort();
    expected_requests.sort();
    assert_eq!(answered_sorted, expected_requests, "{requests:?}");
    assert_eq!(revisions().len(), 3);

    bed.part::<GcrFake>()
        .refuse_as_tagged("app", &retagged.digest, "late");
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged"])
        .run();
    assert_eq!(out.code(), 1, "{}", out.stderr_str());
    let stderr = out.stderr_str();
    assert!(stderr.contains("GOOGLE_MANIFEST_DANGLING_TAG"), "{stderr}");
    assert!(
        stderr.contains(&format!("hint: a tag points at {} again", retagged.digest)),
        "{stderr}"
    );
    assert!(revisions().contains(&retagged.digest));
    assert!(revisions().contains(&v1.digest));
    assert_eq!(repo.tags(), ["v1"]);

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged"])
        .run();
    out.success();
    assert_eq!(revisions(), vec![v1.digest.clone()]);
    assert_eq!(repo.tags(), ["v1"]);
}
