//! The github provider against a strict fake of GitHub's Packages REST API
//! and of ghcr.io (which refuses OCI manifest deletes), over a real
//! distribution registry. The fake serves both on one loopback address.

use crate::support::fakes::challenge::Challenger;
use crate::support::fakes::github::{GhRequest, GithubFake, Throttle};
use crate::support::login::logged_in;
use crate::support::scenarios::{Repo, assert_detected_by_address, by_name, detect_by_probe};
use crate::support::{
    BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, Seeder, berth,
};
use serde_json::json;

const TOKEN: &str = "ghp_alicetokenforpackages";
const ALL_SCOPES: &[&str] = &["read:packages", "write:packages", "delete:packages"];

struct Gh {
    _registry: Registry,
    fake: GithubFake,
    /// Pushes through the fake, so it sees every manifest as GitHub would.
    seeder: Seeder,
    /// The package `acme/app`.
    app: Repo,
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
        let app = Repo::new(&fake.addr(), "acme/app", seeder.clone());
        Gh {
            _registry: registry,
            fake,
            seeder,
            app,
        }
    }

    /// The package `name` at the fake, pushed to through it.
    fn repo(&self, name: &str) -> Repo {
        Repo::new(&self.fake.addr(), name, self.seeder.clone())
    }

    /// `berth` with the provider and the fake's API, without a token.
    fn tokenless(&self, berth: BerthCommand) -> BerthCommand {
        berth.args([
            "--provider",
            "github",
            "--opt",
            &format!("api-url={}", self.fake.url()),
        ])
    }

    fn berth(&self) -> BerthCommand {
        self.tokenless(berth())
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
    assert_detected_by_address(&[
        ("ghcr.io/acme/app", "github"),
        ("docker.pkg.github.com/acme/repo/app", "github"),
    ]);
}

#[test]
fn ghcrs_challenge_is_recognised_by_probe() {
    let ghcr = Challenger::start(
        r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull""#,
    );
    detect_by_probe(&format!("{}/acme/app", ghcr.addr()), "github");
}

#[test]
fn tags_list_from_versions_with_digests_and_dates_across_pages() {
    let gh = Gh::start();
    let sub = gh.repo("acme/app/sub");
    let tags = sub.seeder.seed_tags(&sub.name, 130);
    // One version with two tags.
    sub.seeder.tag(&sub.name, &tags[0], "latest");
    let first = sub.seeder.digest(&sub.name, &tags[0]).unwrap();
    gh.fake.created(&sub.name, &first, "2022-06-01T10:00:00Z");

    let out = gh
        .berth()
        .args(["tags", "ls", &sub.address, "-o", "json"])
        .run();
    let listed = out.success().json();
    let listed = listed["tags"].as_array().unwrap();
    assert_eq!(listed.len(), 131);
    sub.assert_listed_digests_and_dates(listed);
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
    let app = &gh.app;
    let seeded = app.seed_shared();
    let (id, _) = version_of(&gh, "acme/app", &seeded.shared).unwrap();
    gh.fake.clear_requests();

    app.remove_a(gh.berth(), &seeded);
    // The original version stays, with its other tags.
    assert_eq!(
        version_of(&gh, "acme/app", &seeded.shared),
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
    gh.app.push("a", &Image::new().unique());
    for tag in ["b", "c", "d"] {
        gh.seeder.tag("acme/app", "a", tag);
    }
    let keep = gh.app.push("keep", &Image::new().unique());
    let out = gh
        .berth()
        .args(["--concurrency", "4"])
        .args(["tags", "rm", &gh.app.address, "a", "b", "c", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a", "b", "c"]));
    assert_eq!(gh.seeder.tags("acme/app"), ["d", "keep"]);
    assert_eq!(gh.seeder.digest("acme/app", "keep").unwrap(), keep.digest);

    let out = gh.berth().args(["tags", "rm", &gh.app.address, "d"]).run();
    out.success();
    assert_eq!(gh.seeder.tags("acme/app"), ["keep"]);
    assert!(gh.fake.requests_to(Method::DELETE, "/v2/").is_empty());
}

#[test]
fn removing_the_only_tag_of_a_version_deletes_the_version() {
    let gh = Gh::start();
    let x = gh.app.push("x", &Image::new().unique());
    let y = gh.app.push("y", &Image::new().unique());
    let (id, _) = version_of(&gh, "acme/app", &x.digest).unwrap();
    gh.fake.clear_requests();

    gh.berth()
        .args(["tags", "rm", &gh.app.address, "x"])
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

/// Removes `acme/app:only`, which GitHub must refuse; checks the run
/// failed and left the tag. Returns stderr.
fn remove_refused(gh: &Gh) -> String {
    let out = gh
        .berth()
        .args(["tags", "rm", &gh.app.address, "only"])
        .run();
    let stderr = out.failure();
    assert_eq!(gh.seeder.tags("acme/app"), ["only"]);
    stderr
}

#[test]
fn the_last_version_is_refused_plainly() {
    let gh = Gh::start();
    gh.app.push("only", &Image::new().unique());
    let stderr = remove_refused(&gh);
    assert!(
        stderr.contains("You cannot delete the last version of a package"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: GitHub keeps a package's last version"),
        "{stderr}"
    );
}

#[test]
fn the_last_tagged_version_is_refused_plainly() {
    let gh = Gh::start();
    gh.app.push("only", &Image::new().unique());
    // An untagged version besides it.
    gh.seeder
        .push_image("acme/app", None, &Image::new().unique());
    let stderr = remove_refused(&gh);
    assert!(
        stderr.contains("You cannot delete the last tagged version of a package"),
        "{stderr}"
    );
}

#[test]
fn the_token_users_own_packages_are_under_user_and_others_under_users() {
    let gh = Gh::start();
    let (alice, bob) = (gh.repo("alice/tool"), gh.repo("bob/tool"));
    let mine = alice.push("v1", &Image::new().unique());
    for (repo, tag) in [(&alice, "v2"), (&bob, "v1"), (&bob, "v2")] {
        repo.push(tag, &Image::new().unique());
    }

    let out = gh
        .berth()
        .args(["tags", "ls", &alice.address, "-o", "json"])
        .run();
    assert_eq!(by_name(&out.success().json())["v1"]["digest"], mine.digest);
    for repo in [&alice, &bob] {
        gh.berth()
            .args(["tags", "rm", &repo.address, "v1"])
            .run()
            .success();
        assert_eq!(repo.seeder.tags(&repo.name), ["v2"]);
    }

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
    let app = &gh.app;
    let source = app.push("source", &Image::new().unique());
    app.copy_manifest(|| gh.berth(), "source", &source.digest);
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
    let app = &gh.app;
    let old = app.push("old", &Image::new().created_days_ago(1).unique());
    app.push("new", &Image::new().created_days_ago(400).unique());
    gh.fake
        .created("acme/app", &old.digest, "2020-03-01T00:00:00Z");
    gh.fake.clear_requests();
    app.cleanup_dry_run(gh.berth());
    assert!(gh.fake.requests_to(Method::DELETE, "/").is_empty());
    assert!(gh.fake.requests_to(Method::PUT, "/").is_empty());
}

#[test]
fn without_a_token_tags_list_over_the_registry_and_removal_says_what_to_set() {
    let gh = Gh::start();
    gh.app.push("a", &Image::new().unique());
    let sandbox = Sandbox::new();
    let out = gh
        .tokenless(sandbox.berth())
        .args(["tags", "ls", &gh.app.address, "-o", "json"])
        .run();
    assert_eq!(
        out.success().json()["tags"],
        json!([{"name": "a", "digest": null, "created": null}])
    );
    let out = gh
        .tokenless(sandbox.berth())
        .args(["tags", "rm", &gh.app.address, "a"])
        .run();
    let stderr = out.failure();
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
    gh.app.push("a", &Image::new().unique());
    let out = gh
        .tokenless(berth())
        .args(["--opt", "token=ghp_wrong"])
        .args(["tags", "ls", &gh.app.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("Bad credentials"), "{stderr}");
    assert!(stderr.contains("\nhint: give a GitHub token"), "{stderr}");
    assert!(!stderr.contains("ghp_wrong"), "{stderr}");
    assert_eq!(gh.rest()[0].status, 401);
}

#[test]
fn github_token_from_the_environment_or_docker_config() {
    let gh = Gh::start();
    let a = gh.app.push("a", &Image::new().unique());
    // The API address from GITHUB_API_URL (granted with it), too.
    let out = Sandbox::new()
        .berth()
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", gh.fake.url())
        .args(["--provider", "github"])
        .args(["tags", "ls", &gh.app.address, "-o", "json"])
        .run();
    assert_eq!(out.success().json()["tags"][0]["digest"], a.digest);

    let login = logged_in(&Sandbox::new(), &gh.fake.addr(), "alice", TOKEN);
    let out = gh
        .tokenless(login)
        .args(["tags", "ls", &gh.app.address, "-o", "json"])
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
    gh.app.push("a", &Image::new().unique());
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
    let out = gh.berth().args(["tags", "ls", &gh.app.address]).run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let statuses: Vec<u16> = gh.rest().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 429, 403, 200, 200], "{:?}", gh.rest());
}

#[test]
fn a_long_rate_limit_is_reported_not_waited_for() {
    let gh = Gh::start();
    gh.app.push("a", &Image::new().unique());
    gh.fake.throttle([Throttle {
        status: 403,
        headers: vec![("retry-after".into(), "3600".into())],
        message: "You have exceeded a secondary rate limit.".into(),
    }]);
    let out = gh.berth().args(["tags", "ls", &gh.app.address]).run();
    let stderr = out.failure();
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(stderr.contains("secondary rate limit"), "{stderr}");
    assert!(
        stderr.contains("\nhint: the registry asks to wait 3600 s"),
        "{stderr}"
    );
    assert_eq!(gh.rest().len(), 1);
}
