//! The `gitlab` provider against a fake of GitLab's registry (its `/jwt/auth`
//! token service and each generation's tag delete) and API v4, in front of
//! real distribution.

use crate::support::fakes::front::Seen;
use crate::support::fakes::gitlab::{
    Generation, GitLabFake, JOB_TOKEN, JOB_USER, PRIVATE_TOKEN, USER,
};
use crate::support::login::logged_in;
use crate::support::scenarios::{
    Repo, assert_detected_by_address, assert_just_a_probe, detect_by_probe,
};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox};

const REPO: &str = "group/project/app";

struct Setup {
    fake: GitLabFake,
    repo: Repo,
    _registry: Registry,
}

impl Setup {
    fn new(generation: Generation) -> Setup {
        let registry = Registry::start(RegistryOptions::default());
        let fake = GitLabFake::start(&registry, generation);
        fake.add_project("group/project", 42);
        let repo = Repo::new(&fake.addr(), REPO, registry.seeder());
        Setup {
            fake,
            repo,
            _registry: registry,
        }
    }

    /// berth logged in to the registry as `user`, provider named.
    fn berth_as(&self, user: &str, password: &str) -> BerthCommand {
        logged_in(&Sandbox::new(), &self.fake.addr(), user, password).args(["--provider", "gitlab"])
    }

    fn berth(&self) -> BerthCommand {
        self.berth_as(USER, PRIVATE_TOKEN)
    }

    /// berth with the API at the fake.
    fn with_api(&self) -> BerthCommand {
        self.berth()
            .args(["--opt", &format!("api-url={}", self.fake.api_url())])
    }

    /// `(path, status)` of the DELETE requests the fake saw.
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
    assert_detected_by_address(&[
        ("registry.gitlab.com/group/project", "gitlab"),
        ("gitlab.com/group/project", "gitlab"),
        ("registry.gitlab.example.com/group/project", "default"),
    ]);
    let setup = Setup::new(Generation::Current);
    detect_by_probe(&setup.repo.address, "gitlab");
    let requests = setup.fake.requests();
    assert_just_a_probe(&requests);
    assert_eq!(requests[0].status, 401);
}

#[test]
fn lists_tags_through_the_registry() {
    let setup = Setup::new(Generation::Current);
    let tags = setup.repo.seeder.seed_tags(REPO, 3);
    let out = setup
        .berth()
        .args(["tags", "ls", &setup.repo.address])
        .run();
    assert_eq!(out.success().sorted_lines(), tags);
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
    let seeded = setup.repo.seed_shared();
    setup.repo.remove_a(setup.berth(), &seeded);
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
    let seeded = setup.repo.seed_shared();
    setup.repo.remove_a(setup.berth(), &seeded);
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
    let seeded = setup.repo.seed_shared();
    let berth = setup
        .with_api()
        .args(["--opt", &format!("token={PRIVATE_TOKEN}")]);
    let out = setup.repo.remove_a(berth, &seeded);
    assert!(!out.stderr_str().contains(PRIVATE_TOKEN));

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
    let seeded = setup.repo.seed_shared();
    let run = || {
        setup
            .berth_as(JOB_USER, JOB_TOKEN)
            .env("CI_API_V4_URL", setup.fake.api_url())
            .env("CI_JOB_TOKEN", JOB_TOKEN)
            .args(["tags", "rm", &setup.repo.address, "a"])
            .run()
    };
    let out = run();
    let stderr = out.failure();
    assert!(stderr.contains("403 Forbidden"), "{stderr}");
    assert!(out.has_hint("CI_JOB_TOKEN"), "{stderr}");
    assert!(out.has_hint("`api` scope"), "{stderr}");
    assert!(out.has_hint("--opt token="), "{stderr}");
    assert!(out.has_hint("BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(!stderr.contains(JOB_TOKEN), "{stderr}");
    assert_eq!(setup.repo.seeder.tags(REPO), ["a", "b", "c", "other"]);

    // Where the project lets the job token delete, it is sent as JOB-TOKEN.
    setup.fake.let_job_token_delete(true);
    run().success();
    setup.repo.assert_only_a_went(&seeded);
    let last = setup.fake.api_calls().pop().unwrap();
    assert_eq!((last.method, last.status), (Method::DELETE, 200));
    assert_eq!(last.job_token.as_deref(), Some(JOB_TOKEN));
    assert_eq!(last.private_token, None);
}

#[test]
fn no_token_for_the_api_names_the_option() {
    let setup = Setup::new(Generation::Legacy);
    setup.repo.seed_shared();
    let out = setup
        .with_api()
        .args(["tags", "rm", &setup.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(out.has_hint("--opt token="), "{stderr}");
    assert!(out.has_hint("BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(setup.fake.api_calls().is_empty());
    assert_eq!(setup.repo.seeder.tags(REPO), ["a", "b", "c", "other"]);

    // A wrong token: GitLab's 401, quoted, with the same hint.
    let out = setup
        .with_api()
        .args(["--opt", "token=glpat-wrong"])
        .args(["tags", "rm", &setup.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("401 Unauthorized"), "{stderr}");
    assert!(out.has_hint("BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(!stderr.contains("glpat-wrong"), "{stderr}");
}

#[test]
fn throttled_api_requests_are_retried() {
    let setup = Setup::new(Generation::Legacy);
    let seeded = setup.repo.seed_shared();
    setup
        .fake
        .throttle(Method::DELETE, "/api/v4/projects/", 2, 1);
    let berth = setup
        .with_api()
        .args(["--opt", &format!("token={PRIVATE_TOKEN}")]);
    setup.repo.remove_a(berth, &seeded);
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
    let base = setup.repo.push("base", &Image::new().unique());
    setup
        .repo
        .copy_manifest(|| setup.berth(), "base", &base.digest);
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
    setup.repo.seed_dated();
    setup.repo.cleanup_dry_run(setup.berth());
    let requests = setup.fake.requests();
    assert!(requests.iter().all(Seen::is_read), "{requests:?}");
}
