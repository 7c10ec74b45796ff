//! The `gcr` provider (Google Container Registry, Artifact Registry) against
//! a fake of GCR's tag list and tag delete in front of real distribution.
//! The fake is on loopback, so these runs name the provider; detection by
//! address is tested without network.

use crate::support::fakes::gcr::GcrFake;
use crate::support::login::{basic, logged_in};
use crate::support::scenarios::{
    Repo, assert_detected_by_address, assert_listing, assert_one_get, days_ago,
};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, berth};
use serde_json::json;

/// A registry, the fake in front and `app` through the fake.
fn start() -> (Registry, GcrFake, Repo) {
    let registry = Registry::start(RegistryOptions::default());
    let fake = GcrFake::start(&registry);
    let repo = Repo::new(&fake.addr(), "app", registry.seeder());
    (registry, fake, repo)
}

fn gcr() -> BerthCommand {
    berth().args(["--provider", "gcr"])
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
    let (_registry, fake, repo) = start();
    let old = repo.push(
        "old",
        &Image::new().created("2023-03-04T05:06:07Z").unique(),
    );
    repo.seeder.tag("app", "old", "old-alias");
    let amd = repo.seeder.push_image("app", None, &Image::new().unique());
    let index = repo.seeder.push_index("app", "multi", &[amd]);
    fake.set_uploaded(&index.digest, 1_600_000_000_000);

    let out = gcr()
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
    assert_one_get(&fake.requests(), "/v2/app/tags/list", None);
}

#[test]
fn follows_link_pages_where_the_registry_sends_them() {
    let (_registry, fake, repo) = start();
    let tags = repo.seeder.seed_tags("app", 5);
    fake.page_size(2);
    let out = gcr()
        .args(["tags", "ls", &repo.address, "-o", "json"])
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
    let pages: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
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
    let (_registry, fake, repo) = start();
    let seeded = repo.seed_shared();
    repo.remove_a(gcr(), &seeded);

    // The tag delete, and no delete by digest.
    let deletes: Vec<(String, u16)> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(deletes, [("/v2/app/manifests/a".to_string(), 202)]);

    // Naming both remaining tags of the manifest removes just those.
    fake.clear_requests();
    let out = gcr().args(["tags", "rm", &repo.address, "b", "c"]).run();
    assert_eq!(out.success().stdout_str(), "deleted b\ndeleted c\n");
    assert_eq!(repo.seeder.tags("app"), ["other"]);
    assert_eq!(repo.seeder.digest("app", "other").unwrap(), seeded.other);
    // GCR keeps the untagged manifest, and lists it without tags.
    assert_eq!(
        repo.seeder.digest("app", &seeded.shared),
        Some(seeded.shared.clone())
    );
}

#[test]
fn a_missing_tag_is_reported_and_the_rest_removed() {
    let (_registry, _fake, repo) = start();
    repo.push("a", &Image::new().unique());
    repo.push("keep", &Image::new().unique());
    let out = gcr()
        .args(["tags", "rm", &repo.address, "a", "nope", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(report["missing"], json!(["nope"]));
    assert_eq!(repo.seeder.tags("app"), ["keep"]);
}

#[test]
fn manifest_put_stores_the_bytes() {
    let (_registry, fake, repo) = start();
    let base = repo.push("base", &Image::new().unique());
    let manifest = gcr().args(["manifest", "get", &repo.tagged("base")]).run();
    let sandbox = Sandbox::new();
    let file = sandbox.home().join("manifest.json");
    std::fs::write(&file, &manifest.success().stdout).unwrap();
    let out = sandbox
        .berth()
        .args(["--provider", "gcr", "manifest", "put", &repo.tagged("copy")])
        .arg(&file)
        .run();
    assert_eq!(out.success().stdout_str().trim(), base.digest);
    assert_eq!(repo.seeder.digest("app", "copy").unwrap(), base.digest);
    assert!(
        fake.requests().iter().any(|r| r.method == Method::PUT
            && r.path == "/v2/app/manifests/copy"
            && r.status == 201)
    );
}

#[test]
fn cleanup_dry_run_uses_the_listed_times() {
    let (_registry, fake, repo) = start();
    repo.push("old", &Image::new().created_days_ago(40).unique());
    repo.push("new", &Image::new().created_days_ago(2).unique());
    let child = repo.seeder.push_image("app", None, &Image::new().unique());
    let index = repo.seeder.push_index("app", "old-index", &[child]);
    // An index has no config date; the upload time is all there is.
    fake.set_uploaded(&index.digest, days_ago(100).timestamp_millis());

    let out = gcr()
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
    // Dates came from the list: nothing else was asked, nothing changed.
    let requests = fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == Method::GET && r.path.starts_with("/v2/app/tags/list")),
        "{requests:?}"
    );
    assert_eq!(repo.seeder.tags("app"), ["new", "old", "old-index"]);
}

#[test]
fn credentials_come_from_docker_config_and_a_refusal_says_how_to_log_in() {
    let registry = Registry::start(RegistryOptions::default());
    registry
        .seeder()
        .push_image("app", "v1", &Image::new().unique());
    let fake = GcrFake::with_access_token(&registry, "ya29.access-token");
    let repo = format!("{}/app", fake.addr());
    let logged_in_with = |token: &str| {
        logged_in(&Sandbox::new(), &fake.addr(), "oauth2accesstoken", token)
            .args(["--provider", "gcr", "tags", "ls", &repo])
            .run()
    };

    let out = logged_in_with("ya29.access-token");
    assert_eq!(out.success().stdout_str(), "v1\n");
    let requests = fake.requests();
    let token = requests
        .iter()
        .find(|r| r.path.starts_with("/v2/token"))
        .expect("a token request");
    assert_eq!(
        token.authorization.as_deref(),
        Some(&*basic("oauth2accesstoken", "ya29.access-token"))
    );
    let listed = requests
        .iter()
        .rfind(|r| r.path == "/v2/app/tags/list")
        .unwrap();
    assert_eq!(listed.status, 200);
    assert!(
        listed
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer ")
    );

    // A stale access token: exit 1, and the hint says how to log in.
    let out = logged_in_with("ya29.expired");
    let stderr = out.failure();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(out.has_hint("gcloud auth configure-docker"), "{stderr}");
    assert!(!stderr.contains("ya29.expired"), "{stderr}");

    // No credentials at all: the same.
    let out = gcr().args(["tags", "ls", &repo]).run();
    let stderr = out.failure();
    assert!(out.has_hint("oauth2accesstoken"), "{stderr}");
}

#[test]
fn throttled_requests_are_retried() {
    let (_registry, fake, repo) = start();
    repo.push("v1", &Image::new().unique());
    fake.fail(Method::GET, "/v2/app/tags/list", 2, 429, Some(1));
    let out = gcr().args(["tags", "ls", &repo.address]).run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}
