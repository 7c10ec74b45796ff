//! The `harbor` provider against a fake of Harbor's API v2.0 and token
//! service in front of real distribution. The API takes the docker login of
//! the registry as Basic auth; `/v2/` takes tokens from `/service/token`.

use crate::support::fakes::harbor::{
    ADMIN, ADMIN_PASSWORD, GUEST, GUEST_PASSWORD, HarborFake, ROBOT, ROBOT_SECRET,
};
use crate::support::login::{basic, logged_in};
use crate::support::scenarios::{
    Repo, assert_detected_by_address, assert_just_a_probe, assert_listing, assert_one_get,
    days_ago, detect_by_probe,
};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, berth};

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

    fn repo(&self, name: &str) -> Repo {
        Repo::new(&self.fake.addr(), name, self.registry.seeder())
    }

    /// berth as `user` (docker config), provider named.
    fn berth_as(&self, user: &str, password: &str) -> BerthCommand {
        logged_in(&Sandbox::new(), &self.fake.addr(), user, password).args(["--provider", "harbor"])
    }
}

#[test]
fn detects_harbor_by_address_and_by_its_token_service() {
    assert_detected_by_address(&[
        ("harbor.example.com/library/app", "harbor"),
        ("harbor.corp.example:8443/library/app", "harbor"),
        ("demo.goharbor.io/library/app", "harbor"),
        ("registry.example.com/library/app", "default"),
        ("myharbor.example.com/library/app", "default"),
    ]);
    // On loopback no pattern matches: the challenge to `GET /v2/` names
    // Harbor's token service.
    let setup = Setup::new();
    let v = detect_by_probe(&setup.repo("library/app").address, "harbor");
    assert_eq!(v["repository"], "library/app");
    assert_just_a_probe(&setup.fake.requests());
}

#[test]
fn lists_tags_from_artifacts_with_digests_and_push_times() {
    let setup = Setup::new();
    let repo = setup.repo("library/team/app");
    let shared = repo.push("a", &Image::new().unique());
    repo.seeder.tag(&repo.name, "a", "b");
    let c = repo.push("c", &Image::new().unique());
    setup
        .fake
        .set_push_time(&repo.name, &shared.digest, 1_690_959_294_380);
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "ls", &repo.address, "-o", "json"])
        .run();
    let tags = assert_listing(
        &out.success().json(),
        "harbor",
        &[
            ("a", &shared.digest),
            ("b", &shared.digest),
            ("c", &c.digest),
        ],
    );
    assert_eq!(tags["a"]["created"], "2023-08-02T06:54:54.380Z");

    // The name under the project, `/` encoded twice.
    assert_one_get(
        &setup.fake.requests(),
        "/api/v2.0/projects/library/repositories/team%252Fapp/artifacts?with_tag=true&page=1&page_size=100",
        Some(&basic(ADMIN, ADMIN_PASSWORD)),
    );
}

#[test]
fn pages_through_artifacts() {
    let setup = Setup::new();
    let repo = setup.repo("library/app");
    let tags = repo.seeder.seed_tags(&repo.name, 150);
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "ls", &repo.address])
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
        [1, 2]
            .map(|p| format!(
                "/api/v2.0/projects/library/repositories/app/artifacts?with_tag=true&page={p}&page_size=100"
            ))
    );
}

#[test]
fn a_robot_removes_one_tag_and_the_artifact_keeps_the_others() {
    let setup = Setup::new();
    let repo = setup.repo("library/app");
    let seeded = repo.seed_shared();
    repo.remove_a(setup.berth_as(ROBOT, ROBOT_SECRET), &seeded);

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
            seeded.shared
        )
    );
    assert_eq!(deletes[0].status, 200);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(&*basic(ROBOT, ROBOT_SECRET))
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
        .args(["tags", "rm", &repo.address, "b", "c"])
        .run();
    out.success();
    assert_eq!(repo.seeder.tags(&repo.name), ["other"]);
    let out = setup
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["tags", "ls", &repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "other\n");
}

#[test]
fn refusals_say_what_to_do() {
    let setup = Setup::new();
    let repo = setup.repo("library/app");
    for tag in ["a", "pinned"] {
        repo.push(tag, &Image::new().unique());
    }

    // No credentials for a private project.
    let out = berth()
        .args(["--provider", "harbor", "tags", "ls", &repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(out.has_hint("docker login"), "{stderr}");
    assert!(out.has_hint("robot$"), "{stderr}");

    // Wrong password.
    let out = setup
        .berth_as(ADMIN, "not-the-password-42")
        .args(["tags", "ls", &repo.address])
        .run();
    let stderr = out.failure();
    assert!(out.has_hint("robot$"), "{stderr}");
    assert!(!stderr.contains("not-the-password-42"), "{stderr}");

    // A public project lists anonymously; a guest may not delete.
    setup.fake.make_public("library");
    let out = berth()
        .args(["--provider", "harbor", "tags", "ls", &repo.address])
        .run();
    assert_eq!(out.success().stdout_str().lines().count(), 2);
    let out = setup
        .berth_as(GUEST, GUEST_PASSWORD)
        .args(["tags", "rm", &repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("forbidden"), "{stderr}");

    // An immutable tag is refused, and says why.
    setup.fake.make_immutable("pinned");
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "rm", &repo.address, "pinned"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("immutable"), "{stderr}");

    assert_eq!(repo.seeder.tags(&repo.name), ["a", "pinned"]);
}

#[test]
fn manifest_put_goes_through_the_token_service() {
    let setup = Setup::new();
    let repo = setup.repo("library/app");
    let base = repo.push("base", &Image::new().unique());
    repo.copy_manifest(
        || setup.berth_as(ADMIN, ADMIN_PASSWORD),
        "base",
        &base.digest,
    );
    let requests = setup.fake.requests();
    let token = requests
        .iter()
        .find(|r| r.path.starts_with("/service/token"))
        .expect("a token request");
    assert_eq!(
        token.authorization.as_deref(),
        Some(&*basic(ADMIN, ADMIN_PASSWORD))
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
    let repo = setup.repo("library/app");
    // Both images say 2024; Harbor's push times decide.
    for (tag, days) in [("old", 40), ("new", 3)] {
        let pushed = repo.push(tag, &Image::new().unique());
        let ms = days_ago(days).timestamp_millis();
        setup.fake.set_push_time(&repo.name, &pushed.digest, ms);
    }
    repo.cleanup_dry_run(setup.berth_as(ADMIN, ADMIN_PASSWORD));
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
    let repo = setup.repo("library/app");
    repo.push("v1", &Image::new().unique());
    setup
        .fake
        .throttle(Method::GET, "/api/v2.0/projects/", 2, 1);
    let out = setup
        .berth_as(ADMIN, ADMIN_PASSWORD)
        .args(["tags", "ls", &repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = setup.fake.api_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}
