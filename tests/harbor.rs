//! The `harbor` provider against a fake of Harbor's API v2.0 and token
//! service in front of real distribution. The API takes the docker login of
//! the registry as Basic auth; `/v2/` takes tokens from `/service/token`.

use crate::support::fakes::harbor::{
    ADMIN, ADMIN_PASSWORD, GUEST, GUEST_PASSWORD, HarborFake, ROBOT, ROBOT_SECRET,
};
use crate::support::{
    BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, Seeder, berth,
};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn basic(user: &str, password: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// Whether stderr has a `hint:` line that says `needle`.
fn has_hint(stderr: &str, needle: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with("hint: ") && l.contains(needle))
}

struct Setup {
    registry: Registry,
    fake: HarborFake,
}

impl Setup {
    fn new() -> Setup {
        let registry = Registry::start(RegistryOptions::default());
        let fake = HarborFake::start(&registry);
        Setup { registry, fake }
    }

    fn seeder(&self) -> Seeder {
        self.registry.seeder()
    }

    fn repo(&self, path: &str) -> String {
        format!("{}/{path}", self.fake.addr())
    }

    /// berth as `user` (docker config), provider named.
    fn berth_as(&self, user: &str, password: &str) -> BerthCommand {
        let sandbox = Sandbox::new();
        let config: PathBuf = sandbox.home().join("docker");
        std::fs::create_dir_all(&config).unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        std::fs::write(
            config.join("config.json"),
            json!({"auths": {self.fake.addr(): {"auth": auth}}}).to_string(),
        )
        .unwrap();
        sandbox
            .berth()
            .args(["--docker-config", config.to_str().unwrap()])
            .args(["--provider", "harbor"])
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

fn days_ago_ms(days: i64) -> i64 {
    (chrono::Utc::now() - chrono::Duration::days(days)).timestamp_millis()
}

#[test]
fn detects_harbor_by_address_and_by_its_token_service() {
    for (address, expected) in [
        ("harbor.example.com/library/app", "harbor"),
        ("harbor.corp.example:8443/library/app", "harbor"),
        ("demo.goharbor.io/library/app", "harbor"),
        ("registry.example.com/library/app", "default"),
        ("myharbor.example.com/library/app", "default"),
    ] {
        let out = berth()
            .args(["detect", "--no-probe", address, "-o", "json"])
            .run();
        assert_eq!(out.success().json()["provider"], expected, "{address}");
    }
    // On loopback no pattern matches: the challenge to `GET /v2/` names
    // Harbor's token service.
    let setup = Setup::new();
    let repo = setup.repo("library/app");
    let out = berth().args(["detect", &repo, "-o", "json"]).run();
    let v = out.success().json();
    assert_eq!(v["provider"], "harbor");
    assert_eq!(v["method"], "probe");
    assert_eq!(v["repository"], "library/app");
    let probes: Vec<_> = setup
        .fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(probes, [(Method::GET, "/v2/".to_string())]);
}

#[test]
fn lists_tags_from_artifacts_with_digests_and_push_times() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    let shared = seeder.push_image("library/team/app", "a", &Image::new().unique());
    seeder.tag("library/team/app", "a", "b");
    let c = seeder.push_image("library/team/app", "c", &Image::new().unique());
    setup
        .fake
        .set_push_time("library/team/app", &shared.digest, 1_690_959_294_380);
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "ls", &setup.repo("library/team/app"), "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], "harbor");
    let tags = by_name(&listing);
    assert_eq!(tags.len(), 3);
    assert_eq!(tags["a"]["digest"], json!(shared.digest));
    assert_eq!(tags["b"]["digest"], json!(shared.digest));
    assert_eq!(tags["c"]["digest"], json!(c.digest));
    assert_eq!(tags["a"]["created"], "2023-08-02T06:54:54.380Z");
    assert!(tags["c"]["created"].is_string());

    let requests = setup.fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, Method::GET);
    // The name under the project, `/` encoded twice.
    assert_eq!(
        requests[0].path,
        "/api/v2.0/projects/library/repositories/team%252Fapp/artifacts?with_tag=true&page=1&page_size=100"
    );
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(basic(ADMIN, ADMIN_PASSWORD).as_str())
    );
}

#[test]
fn pages_through_artifacts() {
    let setup = Setup::new();
    let tags = setup.seeder().seed_tags("library/app", 150);
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "ls", &setup.repo("library/app")])
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
        [1, 2]
            .map(|p| format!(
                "/api/v2.0/projects/library/repositories/app/artifacts?with_tag=true&page={p}&page_size=100"
            ))
    );
}

#[test]
fn a_robot_removes_one_tag_and_the_artifact_keeps_the_others() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    let shared = seeder.push_image("library/app", "a", &Image::new().unique());
    seeder.tag("library/app", "a", "b");
    seeder.tag("library/app", "a", "c");
    let other = seeder.push_image("library/app", "other", &Image::new().unique());
    let out = setup
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["tags", "rm", &setup.repo("library/app"), "a", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(seeder.tags("library/app"), ["b", "c", "other"]);
    assert_eq!(seeder.digest("library/app", "b").unwrap(), shared.digest);
    assert_eq!(seeder.digest("library/app", "c").unwrap(), shared.digest);
    assert_eq!(seeder.digest("library/app", "other").unwrap(), other.digest);

    let deletes: Vec<_> = setup
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(
        deletes[0].path,
        format!(
            "/api/v2.0/projects/library/repositories/app/artifacts/{}/tags/a",
            shared.digest
        )
    );
    assert_eq!(deletes[0].status, 200);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(basic(ROBOT, ROBOT_SECRET).as_str())
    );
    // No OCI request at all: Harbor's API did it.
    assert!(
        setup
            .fake
            .requests()
            .iter()
            .all(|r| r.path.starts_with("/api/"))
    );

    // The artifact stays with b and c; removing both leaves it untagged.
    let out = setup
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["tags", "rm", &setup.repo("library/app"), "b", "c"])
        .run();
    out.success();
    assert_eq!(seeder.tags("library/app"), ["other"]);
    let out = setup
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["tags", "ls", &setup.repo("library/app")])
        .run();
    assert_eq!(out.success().stdout_str(), "other\n");
}

#[test]
fn refusals_say_what_to_do() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    seeder.push_image("library/app", "a", &Image::new().unique());
    seeder.push_image("library/app", "pinned", &Image::new().unique());
    let repo = setup.repo("library/app");

    // No credentials for a private project.
    let out = berth()
        .args(["--provider", "harbor", "tags", "ls", &repo])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(has_hint(&stderr, "docker login"), "{stderr}");
    assert!(has_hint(&stderr, "robot$"), "{stderr}");

    // Wrong password.
    let out = setup
        .berth_as(ADMIN, "not-the-password-42")
        .args(["tags", "ls", &repo])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(has_hint(&stderr, "robot$"), "{stderr}");
    assert!(!stderr.contains("not-the-password-42"), "{stderr}");

    // A public project lists anonymously; a guest may not delete.
    setup.fake.make_public("library");
    let out = berth()
        .args(["--provider", "harbor", "tags", "ls", &repo])
        .run();
    assert_eq!(out.success().stdout_str().lines().count(), 2);
    let out = setup
        .berth_as(GUEST, GUEST_PASSWORD)
        .args(["tags", "rm", &repo, "a"])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_str().contains("forbidden"),
        "{}",
        out.stderr_str()
    );

    // An immutable tag is refused, and says why.
    setup.fake.make_immutable("pinned");
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "rm", &repo, "pinned"])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_str().contains("immutable"),
        "{}",
        out.stderr_str()
    );

    assert_eq!(seeder.tags("library/app"), ["a", "pinned"]);
}

#[test]
fn manifest_put_goes_through_the_token_service() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    let base = seeder.push_image("library/app", "base", &Image::new().unique());
    let repo = setup.repo("library/app");
    let got = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["manifest", "get", &format!("{repo}:base")])
        .run();
    let bytes = got.success().stdout.clone();
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["manifest", "put", &format!("{repo}:copy"), "-"])
        .stdin(bytes)
        .run();
    assert_eq!(out.success().stdout_str().trim(), base.digest);
    assert_eq!(seeder.digest("library/app", "copy").unwrap(), base.digest);
    let requests = setup.fake.requests();
    let token = requests
        .iter()
        .find(|r| r.path.starts_with("/service/token"))
        .expect("a token request");
    assert_eq!(
        token.authorization.as_deref(),
        Some(basic(ADMIN, ADMIN_PASSWORD).as_str())
    );
    assert!(
        token.path.contains("service=harbor-registry"),
        "{}",
        token.path
    );
    // Challenged first, then sent with a token of the service.
    let puts: Vec<_> = requests
        .iter()
        .filter(|r| r.method == Method::PUT && r.path == "/v2/library/app/manifests/copy")
        .map(|r| {
            (
                r.status,
                r.authorization
                    .as_deref()
                    .is_some_and(|a| a.starts_with("Bearer ")),
            )
        })
        .collect();
    assert_eq!(puts, [(401, false), (201, true)]);
}

#[test]
fn cleanup_dry_run_uses_the_push_times() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    // Both images say 2024; Harbor's push times decide.
    let old = seeder.push_image("library/app", "old", &Image::new().unique());
    let new = seeder.push_image("library/app", "new", &Image::new().unique());
    setup
        .fake
        .set_push_time("library/app", &old.digest, days_ago_ms(40));
    setup
        .fake
        .set_push_time("library/app", &new.digest, days_ago_ms(3));
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args([
            "cleanup",
            &setup.repo("library/app"),
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
    let requests = setup.fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == Method::GET && r.path.starts_with("/api/")),
        "{requests:?}"
    );
    assert_eq!(seeder.tags("library/app"), ["new", "old"]);
}

#[test]
fn throttled_api_requests_are_retried() {
    let setup = Setup::new();
    setup
        .seeder()
        .push_image("library/app", "v1", &Image::new().unique());
    setup
        .fake
        .throttle(Method::GET, "/api/v2.0/projects/", 2, 1);
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "ls", &setup.repo("library/app")])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = setup.api_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}
