//! The github provider against a strict fake of GitHub's Packages REST API
//! and of ghcr.io (which refuses OCI manifest deletes), over a real
//! distribution registry. The fake serves both on one loopback address.

use crate::support::fakes::challenge::Challenger;
use crate::support::fakes::github::{GhRequest, GithubFake, Throttle};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, Seeder};
use base64::Engine;
use serde_json::json;

const TOKEN: &str = "ghp_alicetokenforpackages";
const ALL_SCOPES: &[&str] = &["read:packages", "write:packages", "delete:packages"];

struct Gh {
    _registry: Registry,
    fake: GithubFake,
    /// Pushes through the fake, so it sees every manifest as GitHub would.
    seeder: Seeder,
}

impl Gh {
    fn start() -> Gh {
        let registry = Registry::start(RegistryOptions::default());
        let fake = GithubFake::start(&registry);
        fake.org("acme");
        fake.user("alice");
        fake.user("bob");
        fake.token(TOKEN, "alice", ALL_SCOPES);
        let seeder = Seeder::new(&fake.url());
        Gh {
            _registry: registry,
            fake,
            seeder,
        }
    }

    fn repo(&self, path: &str) -> String {
        format!("{}/{path}", self.fake.addr())
    }

    /// berth with the provider and the fake's API, without a token.
    fn tokenless(&self, sandbox: &Sandbox) -> BerthCommand {
        sandbox.berth().args([
            "--provider",
            "github",
            "--opt",
            &format!("api-url={}", self.fake.url()),
        ])
    }

    fn berth(&self) -> BerthCommand {
        self.tokenless(&Sandbox::new())
            .args(["--opt", &format!("token={TOKEN}")])
    }

    /// REST requests (everything but `/v2/`).
    fn rest(&self) -> Vec<GhRequest> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| !r.path.starts_with("/v2/"))
            .collect()
    }
}

fn version_of(gh: &Gh, repo: &str, digest: &str) -> Option<(u64, Vec<String>)> {
    gh.fake
        .versions(repo)
        .into_iter()
        .find(|v| v.digest == digest)
        .map(|v| (v.id, v.tags))
}

#[test]
fn github_addresses_select_github_without_network() {
    for address in ["ghcr.io/acme/app", "docker.pkg.github.com/acme/repo/app"] {
        let out = crate::support::berth()
            .args(["detect", "--no-probe", address, "-o", "json"])
            .run();
        let v = out.success().json();
        assert_eq!(v["provider"], "github", "{address}");
        assert_eq!(v["method"], "address", "{address}");
    }
}

#[test]
fn ghcrs_challenge_is_recognised_by_probe() {
    let ghcr = Challenger::start(
        r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull""#,
    );
    let out = crate::support::berth()
        .args(["detect", &format!("{}/acme/app", ghcr.addr()), "-o", "json"])
        .run();
    let v = out.success().json();
    assert_eq!(v["provider"], "github");
    assert_eq!(v["method"], "probe");
}

#[test]
fn tags_list_from_versions_with_digests_and_dates_across_pages() {
    let gh = Gh::start();
    let tags = gh.seeder.seed_tags("acme/app/sub", 130);
    // One version with two tags.
    gh.seeder.tag("acme/app/sub", &tags[0], "latest");
    let first = gh.seeder.digest("acme/app/sub", &tags[0]).unwrap();
    gh.fake
        .created("acme/app/sub", &first, "2022-06-01T10:00:00Z");

    let out = gh
        .berth()
        .args(["tags", "ls", &gh.repo("acme/app/sub"), "-o", "json"])
        .run();
    let listed = out.success().json();
    let listed = listed["tags"].as_array().unwrap();
    assert_eq!(listed.len(), 131);
    for tag in listed {
        let name = tag["name"].as_str().unwrap();
        let digest = gh.seeder.digest("acme/app/sub", name).unwrap();
        assert_eq!(tag["digest"], digest, "{name}");
        assert!(tag["created"].is_string(), "{name}");
    }
    for name in [tags[0].as_str(), "latest"] {
        let tag = listed.iter().find(|t| t["name"] == name).unwrap();
        assert_eq!(tag["created"], "2022-06-01T10:00:00Z");
    }

    // The owner's kind, then the versions page by page along the Link
    // header; the package name's slash is %2F; GitHub's headers each time.
    let rest = gh.rest();
    let paths: Vec<&str> = rest.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/users/acme",
            "/orgs/acme/packages/container/app%2Fsub/versions?per_page=100&page=1",
            "/orgs/acme/packages/container/app%2Fsub/versions?per_page=100&page=2",
        ]
    );
    for request in &rest {
        assert_eq!(request.status, 200, "{request:?}");
        assert_eq!(
            request.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
        assert!(request.user_agent.as_deref().unwrap().starts_with("berth/"));
    }
}

#[test]
fn removing_one_tag_of_a_version_keeps_the_others_on_it() {
    let gh = Gh::start();
    let image = gh
        .seeder
        .push_image("acme/app", "a", &Image::new().unique());
    gh.seeder.tag("acme/app", "a", "b");
    gh.seeder.tag("acme/app", "a", "c");
    let other = gh
        .seeder
        .push_image("acme/app", "other", &Image::new().unique());
    let (id, _) = version_of(&gh, "acme/app", &image.digest).unwrap();
    gh.fake.clear_requests();

    let out = gh
        .berth()
        .args(["tags", "rm", &gh.repo("acme/app"), "a", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(gh.seeder.tags("acme/app"), ["b", "c", "other"]);
    for tag in ["b", "c"] {
        assert_eq!(gh.seeder.digest("acme/app", tag).unwrap(), image.digest);
    }
    assert_eq!(gh.seeder.digest("acme/app", "other").unwrap(), other.digest);
    // The original version stays, with its other tags.
    assert_eq!(
        version_of(&gh, "acme/app", &image.digest),
        Some((id, vec!["b".to_string(), "c".to_string()]))
    );

    // The tag moved to a throwaway pushed at it, and that version went.
    let pushes = gh.fake.requests_to(Method::PUT, "/v2/acme/app/manifests/");
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].path, "/v2/acme/app/manifests/a");
    let deletes = gh.fake.requests_to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(
        deletes[0]
            .path
            .starts_with("/orgs/acme/packages/container/app/versions/")
    );
    assert_ne!(
        deletes[0].path,
        format!("/orgs/acme/packages/container/app/versions/{id}")
    );
    assert_eq!(deletes[0].status, 204);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[test]
fn removing_several_tags_of_a_version_at_once_keeps_the_rest() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "a", &Image::new().unique());
    for tag in ["b", "c", "d"] {
        gh.seeder.tag("acme/app", "a", tag);
    }
    let keep = gh
        .seeder
        .push_image("acme/app", "keep", &Image::new().unique());
    let out = gh
        .berth()
        .args(["--concurrency", "4"])
        .args([
            "tags",
            "rm",
            &gh.repo("acme/app"),
            "a",
            "b",
            "c",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a", "b", "c"]));
    assert_eq!(gh.seeder.tags("acme/app"), ["d", "keep"]);
    assert_eq!(gh.seeder.digest("acme/app", "keep").unwrap(), keep.digest);

    let out = gh
        .berth()
        .args(["tags", "rm", &gh.repo("acme/app"), "d"])
        .run();
    out.success();
    assert_eq!(gh.seeder.tags("acme/app"), ["keep"]);
    assert!(gh.fake.requests_to(Method::DELETE, "/v2/").is_empty());
}

#[test]
fn removing_the_only_tag_of_a_version_deletes_the_version() {
    let gh = Gh::start();
    let x = gh
        .seeder
        .push_image("acme/app", "x", &Image::new().unique());
    let y = gh
        .seeder
        .push_image("acme/app", "y", &Image::new().unique());
    let (id, _) = version_of(&gh, "acme/app", &x.digest).unwrap();
    gh.fake.clear_requests();

    gh.berth()
        .args(["tags", "rm", &gh.repo("acme/app"), "x"])
        .run()
        .success();
    assert_eq!(gh.seeder.tags("acme/app"), ["y"]);
    assert_eq!(gh.seeder.digest("acme/app", &x.digest), None);
    assert_eq!(gh.seeder.digest("acme/app", "y").unwrap(), y.digest);
    let deletes = gh.fake.requests_to(Method::DELETE, "/");
    let paths: Vec<&str> = deletes.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [format!("/orgs/acme/packages/container/app/versions/{id}")]
    );
    assert!(gh.fake.requests_to(Method::PUT, "/v2/").is_empty());
}

#[test]
fn the_last_version_is_refused_plainly() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "only", &Image::new().unique());
    let out = gh
        .berth()
        .args(["tags", "rm", &gh.repo("acme/app"), "only"])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("You cannot delete the last version of a package"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: GitHub keeps a package's last version"),
        "{stderr}"
    );
    assert_eq!(gh.seeder.tags("acme/app"), ["only"]);
}

#[test]
fn the_last_tagged_version_is_refused_plainly() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "only", &Image::new().unique());
    // An untagged version besides it.
    gh.seeder
        .push_image("acme/app", None, &Image::new().unique());
    let out = gh
        .berth()
        .args(["tags", "rm", &gh.repo("acme/app"), "only"])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("You cannot delete the last tagged version of a package"),
        "{stderr}"
    );
    assert_eq!(gh.seeder.tags("acme/app"), ["only"]);
}

#[test]
fn the_token_users_own_packages_are_under_user_and_others_under_users() {
    let gh = Gh::start();
    let mine = gh
        .seeder
        .push_image("alice/tool", "v1", &Image::new().unique());
    gh.seeder
        .push_image("alice/tool", "v2", &Image::new().unique());
    gh.seeder
        .push_image("bob/tool", "v1", &Image::new().unique());
    gh.seeder
        .push_image("bob/tool", "v2", &Image::new().unique());

    let out = gh
        .berth()
        .args(["tags", "ls", &gh.repo("alice/tool"), "-o", "json"])
        .run();
    let listed = out.success().json();
    let v1 = listed["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "v1")
        .unwrap()
        .clone();
    assert_eq!(v1["digest"], mine.digest);
    gh.berth()
        .args(["tags", "rm", &gh.repo("alice/tool"), "v1"])
        .run()
        .success();
    gh.berth()
        .args(["tags", "rm", &gh.repo("bob/tool"), "v1"])
        .run()
        .success();
    assert_eq!(gh.seeder.tags("alice/tool"), ["v2"]);
    assert_eq!(gh.seeder.tags("bob/tool"), ["v2"]);

    let paths: Vec<String> = gh.rest().into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&"/user".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"/user/packages/container/tool/versions?per_page=100&page=1".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(
            &"/users/bob/packages/container/tool/versions?per_page=100&page=1".to_string()
        ),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/users/alice/packages")),
        "{paths:?}"
    );
    let deletes = gh.fake.requests_to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 2);
    assert!(
        deletes[0]
            .path
            .starts_with("/user/packages/container/tool/versions/")
    );
    assert!(
        deletes[1]
            .path
            .starts_with("/users/bob/packages/container/tool/versions/")
    );
}

#[test]
fn manifest_put_makes_a_version() {
    let gh = Gh::start();
    let source = gh
        .seeder
        .push_image("acme/app", "source", &Image::new().unique());
    let bytes = gh
        .berth()
        .args([
            "manifest",
            "get",
            &format!("{}:source", gh.repo("acme/app")),
        ])
        .run();
    let bytes = bytes.success().stdout.clone();
    let out = gh
        .berth()
        .args([
            "manifest",
            "put",
            &format!("{}:copy", gh.repo("acme/app")),
            "-",
            "-o",
            "json",
        ])
        .stdin(bytes)
        .run();
    assert_eq!(out.success().json()["digest"], source.digest);
    let (_, tags) = version_of(&gh, "acme/app", &source.digest).unwrap();
    assert_eq!(tags, ["copy", "source"]);
    assert_eq!(
        gh.fake
            .requests_to(Method::PUT, "/v2/acme/app/manifests/copy")[0]
            .status,
        201
    );
}

#[test]
fn cleanup_dry_run_uses_the_versions_creation_times() {
    let gh = Gh::start();
    let old = gh.seeder.push_image(
        "acme/app",
        "old",
        &Image::new().created_days_ago(1).unique(),
    );
    gh.seeder.push_image(
        "acme/app",
        "new",
        &Image::new().created_days_ago(400).unique(),
    );
    gh.fake
        .created("acme/app", &old.digest, "2020-03-01T00:00:00Z");
    gh.fake.clear_requests();
    let out = gh
        .berth()
        .args([
            "cleanup",
            &gh.repo("acme/app"),
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
    assert!(gh.fake.requests_to(Method::DELETE, "/").is_empty());
    assert!(gh.fake.requests_to(Method::PUT, "/").is_empty());
}

#[test]
fn without_a_token_tags_list_over_the_registry_and_removal_says_what_to_set() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "a", &Image::new().unique());
    let sandbox = Sandbox::new();
    let out = gh
        .tokenless(&sandbox)
        .args(["tags", "ls", &gh.repo("acme/app"), "-o", "json"])
        .run();
    assert_eq!(
        out.success().json()["tags"],
        json!([{"name": "a", "digest": null, "created": null}])
    );
    let out = gh
        .tokenless(&sandbox)
        .args(["tags", "rm", &gh.repo("acme/app"), "a"])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("needs a token"), "{stderr}");
    assert!(stderr.contains("\nhint: give a GitHub token"), "{stderr}");
    assert!(stderr.contains("--opt token=TOKEN"), "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN"), "{stderr}");
    assert!(gh.rest().is_empty(), "{:?}", gh.rest());
    assert_eq!(gh.seeder.tags("acme/app"), ["a"]);
}

#[test]
fn a_wrong_token_is_refused_with_a_hint() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "a", &Image::new().unique());
    let out = gh
        .tokenless(&Sandbox::new())
        .args(["--opt", "token=ghp_wrong"])
        .args(["tags", "ls", &gh.repo("acme/app")])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("Bad credentials"), "{stderr}");
    assert!(stderr.contains("\nhint: give a GitHub token"), "{stderr}");
    assert!(!stderr.contains("ghp_wrong"), "{stderr}");
    assert_eq!(gh.rest()[0].status, 401);
}

#[test]
fn github_token_from_the_environment_or_docker_config() {
    let gh = Gh::start();
    let a = gh
        .seeder
        .push_image("acme/app", "a", &Image::new().unique());
    // The API address from GITHUB_API_URL (granted with it), too.
    let out = Sandbox::new()
        .berth()
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", gh.fake.url())
        .args(["--provider", "github"])
        .args(["tags", "ls", &gh.repo("acme/app"), "-o", "json"])
        .run();
    assert_eq!(out.success().json()["tags"][0]["digest"], a.digest);

    let sandbox = Sandbox::new();
    let config = sandbox.home().join("docker");
    std::fs::create_dir_all(&config).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("alice:{TOKEN}"));
    let entry = json!({"auths": {gh.fake.addr(): {"auth": auth}}});
    std::fs::write(config.join("config.json"), entry.to_string()).unwrap();
    let out = gh
        .tokenless(&sandbox)
        .args(["--docker-config", config.to_str().unwrap()])
        .args(["tags", "ls", &gh.repo("acme/app"), "-o", "json"])
        .run();
    assert_eq!(out.success().json()["tags"][0]["digest"], a.digest);
    assert!(
        gh.rest()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}")))
    );
}

#[test]
fn rate_limits_are_waited_out() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "a", &Image::new().unique());
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string();
    gh.fake.throttle([
        // A secondary rate limit answered 403 (the plugin waits).
        Throttle {
            status: 403,
            headers: vec![("retry-after".into(), "1".into())],
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.".into(),
        },
        // One answered 429 (the host waits).
        Throttle {
            status: 429,
            headers: vec![("retry-after".into(), "1".into())],
            message: "You have exceeded a secondary rate limit.".into(),
        },
        // The primary limit: no requests left until the reset.
        Throttle {
            status: 403,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), reset),
            ],
            message: "API rate limit exceeded for user ID 1.".into(),
        },
    ]);
    let out = gh.berth().args(["tags", "ls", &gh.repo("acme/app")]).run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let statuses: Vec<u16> = gh.rest().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 429, 403, 200, 200], "{:?}", gh.rest());
}

#[test]
fn a_long_rate_limit_is_reported_not_waited_for() {
    let gh = Gh::start();
    gh.seeder
        .push_image("acme/app", "a", &Image::new().unique());
    gh.fake.throttle([Throttle {
        status: 403,
        headers: vec![("retry-after".into(), "3600".into())],
        message: "You have exceeded a secondary rate limit.".into(),
    }]);
    let out = gh.berth().args(["tags", "ls", &gh.repo("acme/app")]).run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(stderr.contains("secondary rate limit"), "{stderr}");
    assert!(
        stderr.contains("\nhint: the registry asks to wait 3600 s"),
        "{stderr}"
    );
    assert_eq!(gh.rest().len(), 1);
}
