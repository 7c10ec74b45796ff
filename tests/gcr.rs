//! The `gcr` provider (Google Container Registry, Artifact Registry) against
//! a fake of GCR's tag list and tag delete in front of real distribution.
//! The fake is on loopback, so these runs name the provider; detection by
//! address is tested without network.

use crate::support::fakes::gcr::GcrFake;
use crate::support::{Image, Method, Registry, RegistryOptions, Sandbox, berth};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

fn docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = json!({"auths": {registry: {"auth": auth}}});
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

fn by_name(listing: &Value) -> BTreeMap<String, Value> {
    listing["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
        .collect()
}

fn days_ago_ms(days: i64) -> i64 {
    (chrono::Utc::now() - chrono::Duration::days(days)).timestamp_millis()
}

/// Whether stderr has a `hint:` line that says `needle`.
fn has_hint(stderr: &str, needle: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with("hint: ") && l.contains(needle))
}

#[test]
fn detects_google_registries_by_address() {
    for (address, expected) in [
        ("gcr.io/project/app", "gcr"),
        ("eu.gcr.io/project/team/app", "gcr"),
        ("us-docker.pkg.dev/project/repo/app", "gcr"),
        ("europe-west1-docker.pkg.dev/project/repo/app", "gcr"),
        ("container.cloud.google.com/project/app", "gcr"),
        ("gcr.io.example.com/project/app", "default"),
        ("notgcr.io/project/app", "default"),
    ] {
        let out = berth()
            .args(["detect", "--no-probe", address, "-o", "json"])
            .run();
        let v = out.success().json();
        assert_eq!(v["provider"], expected, "{address}");
        if expected == "gcr" {
            assert_eq!(v["method"], "address", "{address}");
        }
    }
}

#[test]
fn lists_digests_and_dates_from_the_manifest_map() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let old = seeder.push_image(
        "app",
        "old",
        &Image::new().created("2023-03-04T05:06:07Z").unique(),
    );
    seeder.tag("app", "old", "old-alias");
    let amd = seeder.push_image("app", None, &Image::new().unique());
    let index = seeder.push_index("app", "multi", &[amd]);
    let fake = GcrFake::start(&registry);
    fake.set_uploaded(&index.digest, 1_600_000_000_000);

    let repo = format!("{}/app", fake.addr());
    let out = berth()
        .args(["--provider", "gcr", "tags", "ls", &repo, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], "gcr");
    let tags = by_name(&listing);
    assert_eq!(tags.len(), 3);
    assert_eq!(tags["old"]["digest"], json!(old.digest));
    assert_eq!(tags["old-alias"]["digest"], json!(old.digest));
    // timeCreatedMs: the image's creation.
    assert_eq!(tags["old"]["created"], "2023-03-04T05:06:07Z");
    // An index has no creation time ("0"): timeUploadedMs instead.
    assert_eq!(tags["multi"]["digest"], json!(index.digest));
    assert_eq!(tags["multi"]["created"], "2020-09-13T12:26:40Z");

    // One request for everything: no manifest or config was fetched.
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, Method::GET);
    assert_eq!(requests[0].path, "/v2/app/tags/list");
}

#[test]
fn follows_link_pages_where_the_registry_sends_them() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let tags = seeder.seed_tags("app", 5);
    let fake = GcrFake::start(&registry);
    fake.page_size(2);
    let out = berth()
        .args([
            "--provider",
            "gcr",
            "tags",
            "ls",
            &format!("{}/app", fake.addr()),
            "-o",
            "json",
        ])
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
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let shared = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    seeder.tag("app", "a", "c");
    let other = seeder.push_image("app", "other", &Image::new().unique());
    let fake = GcrFake::start(&registry);
    let repo = format!("{}/app", fake.addr());

    let out = berth()
        .args(["--provider", "gcr", "tags", "rm", &repo, "a", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(report["failed"], json!([]));
    assert_eq!(seeder.tags("app"), ["b", "c", "other"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), shared.digest);
    assert_eq!(seeder.digest("app", "c").unwrap(), shared.digest);
    assert_eq!(seeder.digest("app", "other").unwrap(), other.digest);

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
    let out = berth()
        .args(["--provider", "gcr", "tags", "rm", &repo, "b", "c"])
        .run();
    assert_eq!(out.success().stdout_str(), "deleted b\ndeleted c\n");
    assert_eq!(seeder.tags("app"), ["other"]);
    assert_eq!(seeder.digest("app", "other").unwrap(), other.digest);
    // GCR keeps the untagged manifest, and lists it without tags.
    assert_eq!(
        seeder.digest("app", &shared.digest),
        Some(shared.digest.clone())
    );
}

#[test]
fn a_missing_tag_is_reported_and_the_rest_removed() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "a", &Image::new().unique());
    seeder.push_image("app", "keep", &Image::new().unique());
    let fake = GcrFake::start(&registry);
    let out = berth()
        .args([
            "--provider",
            "gcr",
            "tags",
            "rm",
            &format!("{}/app", fake.addr()),
            "a",
            "nope",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(report["missing"], json!(["nope"]));
    assert_eq!(seeder.tags("app"), ["keep"]);
}

#[test]
fn manifest_put_stores_the_bytes() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let base = seeder.push_image("app", "base", &Image::new().unique());
    let fake = GcrFake::start(&registry);
    let repo = format!("{}/app", fake.addr());
    let manifest = berth()
        .args([
            "--provider",
            "gcr",
            "manifest",
            "get",
            &format!("{repo}:base"),
        ])
        .run();
    let bytes = manifest.success().stdout.clone();
    let sandbox = Sandbox::new();
    let file = sandbox.home().join("manifest.json");
    std::fs::write(&file, &bytes).unwrap();
    let out = sandbox
        .berth()
        .args([
            "--provider",
            "gcr",
            "manifest",
            "put",
            &format!("{repo}:copy"),
        ])
        .arg(&file)
        .run();
    assert_eq!(out.success().stdout_str().trim(), base.digest);
    assert_eq!(seeder.digest("app", "copy").unwrap(), base.digest);
    assert!(
        fake.requests().iter().any(|r| r.method == Method::PUT
            && r.path == "/v2/app/manifests/copy"
            && r.status == 201)
    );
}

#[test]
fn cleanup_dry_run_uses_the_listed_times() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "old", &Image::new().created_days_ago(40).unique());
    seeder.push_image("app", "new", &Image::new().created_days_ago(2).unique());
    let child = seeder.push_image("app", None, &Image::new().unique());
    let index = seeder.push_index("app", "old-index", &[child]);
    let fake = GcrFake::start(&registry);
    // An index has no config date; the upload time is all there is.
    fake.set_uploaded(&index.digest, days_ago_ms(100));

    let out = berth()
        .args([
            "--provider",
            "gcr",
            "cleanup",
            &format!("{}/app", fake.addr()),
            "--older-than",
            "30d",
            "--dry-run",
            "-o",
            "json",
        ])
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
    assert_eq!(seeder.tags("app"), ["new", "old", "old-index"]);
}

#[test]
fn credentials_come_from_docker_config_and_a_refusal_says_how_to_log_in() {
    let registry = Registry::start(RegistryOptions::default());
    registry
        .seeder()
        .push_image("app", "v1", &Image::new().unique());
    let fake = GcrFake::with_access_token(&registry, "ya29.access-token");
    let repo = format!("{}/app", fake.addr());

    let sandbox = Sandbox::new();
    let config = sandbox.home().join("docker");
    docker_config(
        &config,
        &fake.addr(),
        "oauth2accesstoken",
        "ya29.access-token",
    );
    let out = sandbox
        .berth()
        .args(["--docker-config", config.to_str().unwrap()])
        .args(["--provider", "gcr", "tags", "ls", &repo])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let requests = fake.requests();
    let token = requests
        .iter()
        .find(|r| r.path.starts_with("/v2/token"))
        .expect("a token request");
    let expected =
        base64::engine::general_purpose::STANDARD.encode("oauth2accesstoken:ya29.access-token");
    assert_eq!(
        token.authorization.as_deref(),
        Some(format!("Basic {expected}").as_str())
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
    let stale = Sandbox::new();
    let config = stale.home().join("docker");
    docker_config(&config, &fake.addr(), "oauth2accesstoken", "ya29.expired");
    let out = stale
        .berth()
        .args(["--docker-config", config.to_str().unwrap()])
        .args(["--provider", "gcr", "tags", "ls", &repo])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(
        has_hint(&stderr, "gcloud auth configure-docker"),
        "{stderr}"
    );
    assert!(!stderr.contains("ya29.expired"), "{stderr}");

    // No credentials at all: the same.
    let out = berth()
        .args(["--provider", "gcr", "tags", "ls", &repo])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        has_hint(&out.stderr_str(), "oauth2accesstoken"),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn throttled_requests_are_retried() {
    let registry = Registry::start(RegistryOptions::default());
    registry
        .seeder()
        .push_image("app", "v1", &Image::new().unique());
    let fake = GcrFake::start(&registry);
    fake.fail(Method::GET, "/v2/app/tags/list", 2, 429, Some(1));
    let out = berth()
        .args([
            "--provider",
            "gcr",
            "tags",
            "ls",
            &format!("{}/app", fake.addr()),
        ])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}
