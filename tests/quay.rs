//! The `quay` provider against a fake of Quay's API v1 and token service in
//! front of real distribution. Tags are listed and removed through the API
//! with an OAuth token (`--opt token`, `BERTH_QUAY_TOKEN`); manifests go
//! through `/v2/` with the robot account's docker login.

use crate::support::fakes::quay::{QuayFake, ROBOT, ROBOT_PASSWORD};
use crate::support::login::logged_in;
use crate::support::scenarios::{
    Repo, assert_detected_by_address, assert_listing, assert_one_get, days_ago, detect_by_probe,
};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox};
use serde_json::json;

const TOKEN: &str = "quay-oauth-token-rw";
const READ_TOKEN: &str = "quay-oauth-token-ro";

struct Setup {
    _registry: Registry,
    fake: QuayFake,
    repo: Repo,
    sandbox: Sandbox,
}

impl Setup {
    /// A fake with a read-write and a read-only token, and `ns/app` on it.
    fn new() -> Setup {
        let registry = Registry::start(RegistryOptions::default());
        let fake = QuayFake::start(&registry);
        fake.token(TOKEN, true);
        fake.token(READ_TOKEN, false);
        let repo = Repo::new(&fake.addr(), "ns/app", registry.seeder());
        Setup {
            _registry: registry,
            fake,
            repo,
            sandbox: Sandbox::new(),
        }
    }

    /// berth with the provider and the robot account's docker login, but
    /// no token.
    fn berth(&self) -> BerthCommand {
        logged_in(&self.sandbox, &self.fake.addr(), ROBOT, ROBOT_PASSWORD)
            .args(["--provider", "quay"])
    }

    /// berth with the provider, the docker login and `--opt token=`.
    fn with_token(&self, token: &str) -> BerthCommand {
        self.berth().args(["--opt", &format!("token={token}")])
    }
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
    detect_by_probe(&Setup::new().repo.address, "quay");
}

#[test]
fn lists_active_tags_with_digests_and_start_times() {
    let setup = Setup::new();
    let repo = &setup.repo;
    let v1 = repo.push("v1", &Image::new().unique());
    repo.seeder.tag(&repo.name, "v1", "latest");
    let v2 = repo.push("v2", &Image::new().unique());
    setup.fake.set_start(&repo.name, "v1", 1_717_680_780);
    let out = setup
        .with_token(TOKEN)
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

    // Nothing went through /v2/: the API said it all.
    assert_one_get(
        &setup.fake.requests(),
        "/api/v1/repository/ns/app/tag/?onlyActiveTags=true&limit=100&page=1",
        Some(&format!("Bearer {TOKEN}")),
    );
}

#[test]
fn pages_through_the_api_with_the_token_from_the_environment() {
    let setup = Setup::new();
    let tags = setup.repo.seeder.seed_tags(&setup.repo.name, 250);
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args(["tags", "ls", &setup.repo.address])
        .run();
    assert_eq!(out.success().sorted_lines(), tags);
    let pages: Vec<String> = setup
        .fake
        .api_requests()
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
    let setup = Setup::new();
    let repo = &setup.repo;
    let seeded = repo.seed_shared();
    repo.remove_a(setup.with_token(TOKEN), &seeded);
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
        .with_token(TOKEN)
        .args(["tags", "ls", &repo.address])
        .run();
    assert_eq!(out.success().sorted_lines(), ["b", "c", "other"]);
}

#[test]
fn without_a_usable_token_nothing_is_removed_and_the_hint_names_it() {
    let setup = Setup::new();
    let repo = &setup.repo;
    for tag in ["a", "b"] {
        repo.push(tag, &Image::new().unique());
    }

    // No token: a private repository cannot even be listed.
    let out = setup.berth().args(["tags", "rm", &repo.address, "a"]).run();
    let stderr = out.failure();
    assert!(out.has_hint("--opt token="), "{stderr}");
    assert!(out.has_hint("BERTH_QUAY_TOKEN"), "{stderr}");

    // A public repository lists without a token; removing still needs one.
    setup.fake.make_public(&repo.name);
    let out = setup.berth().args(["tags", "rm", &repo.address, "a"]).run();
    let stderr = out.failure();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(stderr.contains("BERTH_QUAY_TOKEN"), "{stderr}");
    assert!(stderr.contains("--opt token="), "{stderr}");

    // A token Quay does not know.
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", "not-a-token")
        .args(["tags", "ls", &repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("Quay refused the token"), "{stderr}");
    assert!(out.has_hint("BERTH_QUAY_TOKEN"), "{stderr}");
    assert!(!stderr.contains("not-a-token"), "{stderr}");

    // A token that may only read.
    let out = setup
        .with_token(READ_TOKEN)
        .args(["tags", "rm", &repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("forbidden"), "{stderr}");

    assert_eq!(repo.seeder.tags(&repo.name), ["a", "b"]);
    let requests = setup.fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method != Method::DELETE || r.status == 403),
        "{requests:?}"
    );
}

#[test]
fn manifest_put_works_and_quay_refusing_a_type_is_unsupported() {
    let setup = Setup::new();
    let repo = &setup.repo;
    let base = repo.push("base", &Image::new().unique());
    repo.copy_manifest(|| setup.berth(), "base", &base.digest);

    let artifact = json!({
        "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
        "artifactType": "application/vnd.example.sbom",
        "blobs": [],
    });
    let out = setup
        .berth()
        .args(["manifest", "put", &repo.tagged("sbom"), "-"])
        .stdin(artifact.to_string())
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unsupported by quay"), "{stderr}");
    assert!(stderr.contains("415"), "{stderr}");
    assert!(!repo.seeder.tags(&repo.name).contains(&"sbom".to_string()));
}

#[test]
fn cleanup_dry_run_uses_the_start_times() {
    let setup = Setup::new();
    let repo = &setup.repo;
    // Every image says it was built in 2024; Quay's start times decide.
    for (tag, days) in [("old", 40), ("new", 3)] {
        repo.push(tag, &Image::new().unique());
        let start = days_ago(days).timestamp();
        setup.fake.set_start(&repo.name, tag, start);
    }
    repo.cleanup_dry_run(setup.berth().env("BERTH_QUAY_TOKEN", TOKEN));
    // No image config was read, and nothing but reads was sent.
    let requests = setup.fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == Method::GET && r.path.starts_with("/api/")),
        "{requests:?}"
    );
}

#[test]
fn throttled_api_requests_are_retried() {
    let setup = Setup::new();
    setup.repo.push("v1", &Image::new().unique());
    setup.fake.throttle(Method::GET, 2);
    let out = setup
        .berth()
        .env("BERTH_QUAY_TOKEN", TOKEN)
        .args(["tags", "ls", &setup.repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = setup.fake.api_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}
