//! The `quay` provider against a fake of Quay's API v1 and token service in
//! front of real distribution. Tags are listed and removed through the API
//! with an OAuth token (`--opt token`, `BERTH_QUAY_TOKEN`); manifests go
//! through `/v2/` with the robot account's docker login.

use crate::support::fakes::quay::{QuayFake, ROBOT, ROBOT_PASSWORD};
use crate::support::{
    BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, Seeder, berth,
};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

const TOKEN: &str = "quay-oauth-token-rw";
const READ_TOKEN: &str = "quay-oauth-token-ro";

/// Whether stderr has a `hint:` line that says `needle`.
fn has_hint(stderr: &str, needle: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with("hint: ") && l.contains(needle))
}

struct Setup {
    registry: Registry,
    fake: QuayFake,
    sandbox: Sandbox,
    config: PathBuf,
}

impl Setup {
    /// A fake with a read-write and a read-only token, and a sandbox logged
    /// in as the robot account.
    fn new() -> Setup {
        let registry = Registry::start(RegistryOptions::default());
        let fake = QuayFake::start(&registry);
        fake.token(TOKEN, true);
        fake.token(READ_TOKEN, false);
        let sandbox = Sandbox::new();
        let config = sandbox.home().join("docker");
        let auth =
            base64::engine::general_purpose::STANDARD.encode(format!("{ROBOT}:{ROBOT_PASSWORD}"));
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.json"),
            json!({"auths": {fake.addr(): {"auth": auth}}}).to_string(),
        )
        .unwrap();
        Setup {
            registry,
            fake,
            sandbox,
            config,
        }
    }

    fn seeder(&self) -> Seeder {
        self.registry.seeder()
    }

    fn repo(&self) -> String {
        format!("{}/ns/app", self.fake.addr())
    }

    /// berth with the provider and the docker login, but no token.
    fn berth(&self) -> BerthCommand {
        self.sandbox
            .berth()
            .args(["--docker-config", self.config.to_str().unwrap()])
            .args(["--provider", "quay"])
    }

    fn api_requests(&self) -> Vec<crate::support::fakes::front::Seen> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/api/"))
            .collect()
    }
}

fn by_name(listing: &Value) -> BTreeMap<String, Value> {
    listing["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
        .collect()
}

fn days_ago(days: i64) -> i64 {
    (chrono::Utc::now() - chrono::Duration::days(days)).timestamp()
}

#[test]
fn detects_quay_by_address_and_by_its_challenge() {
    for (address, expected) in [
        ("quay.io/ns/app", "quay"),
        ("quay.corp.example.com/ns/app", "quay"),
        ("quay.example.org/ns/app", "default"),
        ("notquay.io/ns/app", "default"),
    ] {
        let out = berth()
            .args(["detect", "--no-probe", address, "-o", "json"])
            .run();
        assert_eq!(out.success().json()["provider"], expected, "{address}");
    }
    // On loopback no pattern matches; `GET /v2/` answers Quay's challenge.
    let setup = Setup::new();
    let out = berth().args(["detect", &setup.repo(), "-o", "json"]).run();
    let v = out.success().json();
    assert_eq!(v["provider"], "quay");
    assert_eq!(v["method"], "probe");
}

#[test]
fn lists_active_tags_with_digests_and_start_times() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    let v1 = seeder.push_image("ns/app", "v1", &Image::new().unique());
    seeder.tag("ns/app", "v1", "latest");
    let v2 = seeder.push_image("ns/app", "v2", &Image::new().unique());
    setup.fake.set_start("ns/app", "v1", 1_717_680_780);
    let out = setup
        .berth()
        .args([
            "--opt",
            &format!("token={TOKEN}"),
            "tags",
            "ls",
            &setup.repo(),
            "-o",
            "json",
        ])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], "quay");
    let tags = by_name(&listing);
    assert_eq!(tags.len(), 3);
    assert_eq!(tags["v1"]["digest"], json!(v1.digest));
    assert_eq!(tags["latest"]["digest"], json!(v1.digest));
    assert_eq!(tags["v2"]["digest"], json!(v2.digest));
    assert_eq!(tags["v1"]["created"], "2024-06-06T13:33:00Z");
    assert!(tags["v2"]["created"].is_string());

    let api = setup.api_requests();
    assert_eq!(api.len(), 1, "{api:?}");
    assert_eq!(api[0].method, Method::GET);
    assert_eq!(
        api[0].path,
        "/api/v1/repository/ns/app/tag/?onlyActiveTags=true&limit=100&page=1"
    );
    assert_eq!(
        api[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    // Nothing went through /v2/: the API said it all.
    assert!(
        setup
            .fake
            .requests()
            .iter()
            .all(|r| r.path.starts_with("/api/"))
    );
}

#[test]
fn pages_through_the_api_with_the_token_from_the_environment() {
    let setup = Setup::new();
    let tags = setup.seeder().seed_tags("ns/app", 250);
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args(["tags", "ls", &setup.repo()])
        .run();
    let mut listed: Vec<String> = out
        .success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(listed, tags);
    let pages: Vec<String> = setup.api_requests().into_iter().map(|r| r.path).collect();
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
    let setup = Setup::new();
    let seeder = setup.seeder();
    let shared = seeder.push_image("ns/app", "a", &Image::new().unique());
    seeder.tag("ns/app", "a", "b");
    seeder.tag("ns/app", "a", "c");
    let other = seeder.push_image("ns/app", "other", &Image::new().unique());
    let out = setup
        .berth()
        .args([
            "--opt",
            &format!("token={TOKEN}"),
            "tags",
            "rm",
            &setup.repo(),
            "a",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(seeder.tags("ns/app"), ["b", "c", "other"]);
    assert_eq!(seeder.digest("ns/app", "b").unwrap(), shared.digest);
    assert_eq!(seeder.digest("ns/app", "c").unwrap(), shared.digest);
    assert_eq!(seeder.digest("ns/app", "other").unwrap(), other.digest);
    let deletes: Vec<_> = setup
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].path, "/api/v1/repository/ns/app/tag/a");
    assert_eq!(deletes[0].status, 204);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // The removed tag is history, which the active list leaves out.
    let out = setup
        .berth()
        .args([
            "--opt",
            &format!("token={TOKEN}"),
            "tags",
            "ls",
            &setup.repo(),
        ])
        .run();
    let mut listed: Vec<String> = out
        .success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(listed, ["b", "c", "other"]);
}

#[test]
fn without_a_usable_token_nothing_is_removed_and_the_hint_names_it() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    seeder.push_image("ns/app", "a", &Image::new().unique());
    seeder.push_image("ns/app", "b", &Image::new().unique());

    // No token: a private repository cannot even be listed.
    let out = setup.berth().args(["tags", "rm", &setup.repo(), "a"]).run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(has_hint(&stderr, "--opt token="), "{stderr}");
    assert!(has_hint(&stderr, "BERTH_QUAY_TOKEN"), "{stderr}");

    // A public repository lists without a token; removing still needs one.
    setup.fake.make_public("ns/app");
    let out = setup.berth().args(["tags", "rm", &setup.repo(), "a"]).run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(stderr.contains("BERTH_QUAY_TOKEN"), "{stderr}");
    assert!(stderr.contains("--opt token="), "{stderr}");

    // A token Quay does not know.
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", "not-a-token")
        .args(["tags", "ls", &setup.repo()])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("Quay refused the token"), "{stderr}");
    assert!(has_hint(&stderr, "BERTH_QUAY_TOKEN"), "{stderr}");
    assert!(!stderr.contains("not-a-token"), "{stderr}");

    // A token that may only read.
    let out = setup
        .berth()
        .args([
            "--opt",
            &format!("token={READ_TOKEN}"),
            "tags",
            "rm",
            &setup.repo(),
            "a",
        ])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_str().contains("forbidden"),
        "{}",
        out.stderr_str()
    );

    assert_eq!(seeder.tags("ns/app"), ["a", "b"]);
    assert!(
        setup
            .fake
            .requests()
            .iter()
            .all(|r| r.method != Method::DELETE || r.status == 403),
        "{:?}",
        setup.fake.requests()
    );
}

#[test]
fn manifest_put_works_and_quay_refusing_a_type_is_unsupported() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    let base = seeder.push_image("ns/app", "base", &Image::new().unique());
    let got = setup
        .berth()
        .args(["manifest", "get", &format!("{}:base", setup.repo())])
        .run();
    let bytes = got.success().stdout.clone();
    let out = setup
        .berth()
        .args(["manifest", "put", &format!("{}:copy", setup.repo()), "-"])
        .stdin(bytes)
        .run();
    assert_eq!(out.success().stdout_str().trim(), base.digest);
    assert_eq!(seeder.digest("ns/app", "copy").unwrap(), base.digest);

    let artifact = json!({
        "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
        "artifactType": "application/vnd.example.sbom",
        "blobs": [],
    });
    let out = setup
        .berth()
        .args(["manifest", "put", &format!("{}:sbom", setup.repo()), "-"])
        .stdin(artifact.to_string())
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("unsupported by quay"), "{stderr}");
    assert!(stderr.contains("415"), "{stderr}");
    assert!(!seeder.tags("ns/app").contains(&"sbom".to_string()));
}

#[test]
fn cleanup_dry_run_uses_the_start_times() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    // Every image says it was built in 2024; Quay's start times decide.
    seeder.push_image("ns/app", "old", &Image::new().unique());
    seeder.push_image("ns/app", "new", &Image::new().unique());
    setup.fake.set_start("ns/app", "old", days_ago(40));
    setup.fake.set_start("ns/app", "new", days_ago(3));
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args([
            "cleanup",
            &setup.repo(),
            "--older-than",
            "30d",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["old"]));
    assert_eq!(report["kept"], json!([{"tag": "new", "reason": "newer"}]));
    // No image config was read, and nothing but reads was sent.
    let requests = setup.fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == Method::GET && r.path.starts_with("/api/")),
        "{requests:?}"
    );
    assert_eq!(seeder.tags("ns/app"), ["new", "old"]);
}

#[test]
fn throttled_api_requests_are_retried() {
    let setup = Setup::new();
    setup
        .seeder()
        .push_image("ns/app", "v1", &Image::new().unique());
    setup.fake.throttle(Method::GET, 2);
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args(["tags", "ls", &setup.repo()])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = setup.api_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}
