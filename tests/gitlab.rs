//! The `gitlab` provider against a fake of GitLab's registry (its `/jwt/auth`
//! token service and each generation's tag delete) and API v4, in front of
//! real distribution.

use crate::support::fakes::gitlab::{
    Generation, GitLabFake, JOB_TOKEN, JOB_USER, PRIVATE_TOKEN, USER,
};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, berth};
use base64::Engine;
use serde_json::json;

const REPO: &str = "group/project/app";

fn has_hint(stderr: &str, needle: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with("hint: ") && l.contains(needle))
}

struct Setup {
    registry: Registry,
    fake: GitLabFake,
}

impl Setup {
    fn new(generation: Generation) -> Setup {
        let registry = Registry::start(RegistryOptions::default());
        let fake = GitLabFake::start(&registry, generation);
        fake.add_project("group/project", 42);
        Setup { registry, fake }
    }

    fn repo(&self) -> String {
        format!("{}/{REPO}", self.fake.addr())
    }

    /// berth logged in to the registry as `user`, provider named.
    fn berth_as(&self, user: &str, password: &str) -> BerthCommand {
        let sandbox = Sandbox::new();
        let config = sandbox.home().join("docker");
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
            .args(["--provider", "gitlab"])
    }

    fn berth(&self) -> BerthCommand {
        self.berth_as(USER, PRIVATE_TOKEN)
    }

    /// Three tags on one manifest and one on another; returns the shared
    /// digest and the other one.
    fn seed_shared(&self) -> (String, String) {
        let seeder = self.registry.seeder();
        let shared = seeder.push_image(REPO, "a", &Image::new().unique());
        seeder.tag(REPO, "a", "b");
        seeder.tag(REPO, "a", "c");
        let other = seeder.push_image(REPO, "other", &Image::new().unique());
        (shared.digest, other.digest)
    }

    fn assert_only_a_went(&self, shared: &str, other: &str) {
        let seeder = self.registry.seeder();
        assert_eq!(seeder.tags(REPO), ["b", "c", "other"]);
        assert_eq!(seeder.digest(REPO, "b").unwrap(), shared);
        assert_eq!(seeder.digest(REPO, "c").unwrap(), shared);
        assert_eq!(seeder.digest(REPO, "other").unwrap(), other);
    }

    /// `(method, path, status)` of the DELETE requests the fake saw.
    fn deletes(&self) -> Vec<(String, u16)> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method == Method::DELETE)
            .map(|r| (r.path, r.status))
            .collect()
    }
}

#[test]
fn detects_gitlab_by_address_and_by_its_registry_challenge() {
    for (address, expected) in [
        ("registry.gitlab.com/group/project", "gitlab"),
        ("gitlab.com/group/project", "gitlab"),
        ("registry.gitlab.example.com/group/project", "default"),
    ] {
        let out = berth()
            .args(["detect", "--no-probe", address, "-o", "json"])
            .run();
        assert_eq!(out.success().json()["provider"], expected, "{address}");
    }
    let setup = Setup::new(Generation::Current);
    let out = berth().args(["detect", &setup.repo(), "-o", "json"]).run();
    let v = out.success().json();
    assert_eq!(v["provider"], "gitlab");
    assert_eq!(v["method"], "probe");
    let seen: Vec<_> = setup
        .fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.status))
        .collect();
    assert_eq!(seen, [(Method::GET, "/v2/".to_string(), 401)]);
}

#[test]
fn lists_tags_through_the_registry() {
    let setup = Setup::new(Generation::Current);
    let tags = setup.registry.seeder().seed_tags(REPO, 3);
    let out = setup.berth().args(["tags", "ls", &setup.repo()]).run();
    let mut listed: Vec<String> = out
        .success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(listed, tags);
    let lists: Vec<_> = setup
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("/v2/{REPO}/tags/list")))
        .map(|r| {
            (
                r.status,
                r.authorization.is_some_and(|a| a.starts_with("Bearer ")),
            )
        })
        .collect();
    assert_eq!(lists.last(), Some(&(200, true)), "{lists:?}");
    let token = setup
        .fake
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/jwt/auth"))
        .expect("a token request");
    assert!(
        token.path.contains("service=container_registry"),
        "{}",
        token.path
    );
}

#[test]
fn removes_one_tag_with_the_oci_tag_delete() {
    let setup = Setup::new(Generation::Current);
    let (shared, other) = setup.seed_shared();
    let out = setup
        .berth()
        .args(["tags", "rm", &setup.repo(), "a", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a"]));
    setup.assert_only_a_went(&shared, &other);
    let deletes = setup.deletes();
    assert_eq!(
        deletes.last(),
        Some(&(format!("/v2/{REPO}/manifests/a"), 202)),
        "{deletes:?}"
    );
    assert!(
        deletes
            .iter()
            .all(|(p, _)| p == &format!("/v2/{REPO}/manifests/a")),
        "{deletes:?}"
    );
    assert!(setup.fake.api_calls().is_empty());
}

#[test]
fn a_registry_before_16_4_uses_the_tags_reference_route() {
    let setup = Setup::new(Generation::TagsReference);
    let (shared, other) = setup.seed_shared();
    let out = setup.berth().args(["tags", "rm", &setup.repo(), "a"]).run();
    out.success();
    setup.assert_only_a_went(&shared, &other);
    let deletes: Vec<_> = setup
        .deletes()
        .into_iter()
        .filter(|(_, status)| *status != 401)
        .collect();
    assert_eq!(
        deletes,
        [
            (format!("/v2/{REPO}/manifests/a"), 400),
            (format!("/v2/{REPO}/tags/reference/a"), 202)
        ]
    );
    assert!(setup.fake.api_calls().is_empty());
}

#[test]
fn an_older_registry_falls_back_to_the_api() {
    let setup = Setup::new(Generation::Legacy);
    let (shared, other) = setup.seed_shared();
    let out = setup
        .berth()
        .args(["--opt", &format!("api-url={}", setup.fake.api_url())])
        .args(["--opt", &format!("token={PRIVATE_TOKEN}")])
        .args(["tags", "rm", &setup.repo(), "a", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a"]));
    assert!(!out.stderr_str().contains(PRIVATE_TOKEN));
    setup.assert_only_a_went(&shared, &other);

    let registry_deletes: Vec<_> = setup
        .deletes()
        .into_iter()
        .filter(|(p, s)| p.starts_with("/v2/") && *s != 401)
        .collect();
    assert_eq!(
        registry_deletes,
        [
            (format!("/v2/{REPO}/manifests/a"), 400),
            (format!("/v2/{REPO}/tags/reference/a"), 404)
        ]
    );
    // The repository is not a project; its project holds it.
    let calls: Vec<_> = setup
        .fake
        .api_calls()
        .into_iter()
        .map(|c| (c.method, c.path, c.status))
        .collect();
    // The fake numbers repositories from 101.
    let id = 101;
    assert_eq!(
        calls,
        [
            (
                Method::GET,
                "/api/v4/projects/group%2Fproject%2Fapp/registry/repositories?per_page=100&page=1"
                    .to_string(),
                404
            ),
            (
                Method::GET,
                "/api/v4/projects/group%2Fproject/registry/repositories?per_page=100&page=1"
                    .to_string(),
                200
            ),
            (
                Method::DELETE,
                format!("/api/v4/projects/group%2Fproject/registry/repositories/{id}/tags/a"),
                200
            ),
        ]
    );
    assert!(
        setup
            .fake
            .api_calls()
            .iter()
            .all(|c| c.private_token.as_deref() == Some(PRIVATE_TOKEN) && c.job_token.is_none())
    );
}

#[test]
fn a_job_token_that_may_not_delete_says_what_to_set() {
    let setup = Setup::new(Generation::Legacy);
    let (shared, other) = setup.seed_shared();
    let run = || {
        setup
            .berth_as(JOB_USER, JOB_TOKEN)
            .env("CI_API_V4_URL", setup.fake.api_url())
            .env("CI_JOB_TOKEN", JOB_TOKEN)
            .args(["tags", "rm", &setup.repo(), "a"])
            .run()
    };
    let out = run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("403 Forbidden"), "{stderr}");
    assert!(has_hint(&stderr, "CI_JOB_TOKEN"), "{stderr}");
    assert!(has_hint(&stderr, "`api` scope"), "{stderr}");
    assert!(has_hint(&stderr, "--opt token="), "{stderr}");
    assert!(has_hint(&stderr, "BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(!stderr.contains(JOB_TOKEN), "{stderr}");
    assert_eq!(setup.registry.seeder().tags(REPO), ["a", "b", "c", "other"]);

    // Where the project lets the job token delete, it is sent as JOB-TOKEN.
    setup.fake.let_job_token_delete(true);
    run().success();
    setup.assert_only_a_went(&shared, &other);
    let last = setup.fake.api_calls().pop().unwrap();
    assert_eq!((last.method, last.status), (Method::DELETE, 200));
    assert_eq!(last.job_token.as_deref(), Some(JOB_TOKEN));
    assert_eq!(last.private_token, None);
}

#[test]
fn no_token_for_the_api_names_the_option() {
    let setup = Setup::new(Generation::Legacy);
    setup.seed_shared();
    let out = setup
        .berth()
        .args(["--opt", &format!("api-url={}", setup.fake.api_url())])
        .args(["tags", "rm", &setup.repo(), "a"])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(has_hint(&stderr, "--opt token="), "{stderr}");
    assert!(has_hint(&stderr, "BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(setup.fake.api_calls().is_empty());
    assert_eq!(setup.registry.seeder().tags(REPO), ["a", "b", "c", "other"]);

    // A wrong token: GitLab's 401, quoted, with the same hint.
    let out = setup
        .berth()
        .args(["--opt", &format!("api-url={}", setup.fake.api_url())])
        .args(["--opt", "token=glpat-wrong"])
        .args(["tags", "rm", &setup.repo(), "a"])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("401 Unauthorized"), "{stderr}");
    assert!(has_hint(&stderr, "BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(!stderr.contains("glpat-wrong"), "{stderr}");
}

#[test]
fn throttled_api_requests_are_retried() {
    let setup = Setup::new(Generation::Legacy);
    let (shared, other) = setup.seed_shared();
    setup
        .fake
        .throttle(Method::DELETE, "/api/v4/projects/", 2, 1);
    setup
        .berth()
        .args(["--opt", &format!("api-url={}", setup.fake.api_url())])
        .args(["--opt", &format!("token={PRIVATE_TOKEN}")])
        .args(["tags", "rm", &setup.repo(), "a"])
        .run()
        .success();
    setup.assert_only_a_went(&shared, &other);
    let statuses: Vec<u16> = setup
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE && r.path.starts_with("/api/v4/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn manifest_put_goes_through_the_jwt_token_service() {
    let setup = Setup::new(Generation::Current);
    let seeder = setup.registry.seeder();
    let base = seeder.push_image(REPO, "base", &Image::new().unique());
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
    assert_eq!(seeder.digest(REPO, "copy").unwrap(), base.digest);
    let puts: Vec<_> = setup
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::PUT && r.path == format!("/v2/{REPO}/manifests/copy"))
        .map(|r| r.status)
        .collect();
    assert_eq!(puts, [401, 201]);
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let setup = Setup::new(Generation::Current);
    let seeder = setup.registry.seeder();
    seeder.push_image(REPO, "old", &Image::new().unique().created_days_ago(40));
    seeder.push_image(REPO, "new", &Image::new().unique().created_days_ago(2));
    let out = setup
        .berth()
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
    let requests = setup.fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.method == Method::GET || r.method == Method::HEAD),
        "{requests:?}"
    );
    assert_eq!(seeder.tags(REPO), ["new", "old"]);
}
