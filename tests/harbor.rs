//! The `harbor` provider against a fake of Harbor's API v2.0 and token
//! service in front of real distribution. The API takes the docker login of
//! the registry as Basic auth; `/v2/` takes tokens from `/service/token`.

use crate::support::fakes::harbor::{
    ADMIN, ADMIN_PASSWORD, GUEST, GUEST_PASSWORD, HarborFake, ROBOT, ROBOT_SECRET,
};
use crate::support::login::basic;
use crate::support::scenarios::{
    after_probe, assert_detected_by_address, assert_just_a_probe, assert_listing, assert_one_get,
    days_ago, detect_by_probe,
};
use crate::support::{Bed, Image, Method, Requests, Vendor};

fn harbor() -> Bed {
    Bed::start(Vendor::Harbor)
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
    let bed = harbor();
    let v = detect_by_probe(&bed.repo.address, "harbor");
    assert_eq!(v["repository"], "library/app");
    assert_just_a_probe(&bed.requests());
}

#[test]
fn lists_tags_from_artifacts_with_digests_and_push_times() {
    let bed = harbor();
    let repo = bed.repo_named("library/team/app");
    let shared = repo.push("a", &Image::new().unique());
    repo.tag("a", "b");
    let c = repo.push("c", &Image::new().unique());
    bed.part::<HarborFake>()
        .set_push_time(&repo.name, &shared.digest, 1_690_959_294_380);
    let out = bed
        .berth()
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
        &after_probe(&bed.requests()),
        "/api/v2.0/projects/library/repositories/team%252Fapp/artifacts?with_tag=true&page=1&page_size=100",
        Some(&basic(ADMIN, ADMIN_PASSWORD)),
    );
}

#[test]
fn pages_through_artifacts() {
    let bed = harbor();
    let tags = bed.repo.seed_tags(150);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().sorted_lines(), tags);
    let pages: Vec<String> = bed
        .requests()
        .under("/api/")
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
    let bed = harbor();
    let repo = &bed.repo;
    let seeded = repo.seed_shared();
    repo.remove_a(bed.berth_as(ROBOT, ROBOT_SECRET), &seeded);

    let deletes = bed.requests().to(Method::DELETE, "/");
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
    // No OCI request but the probe: Harbor's API did it.
    assert!(
        after_probe(&bed.requests())
            .iter()
            .all(|r| r.path.starts_with("/api/"))
    );

    // The artifact stays with b and c; removing both leaves it untagged.
    let out = bed
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["tags", "rm", &repo.address, "b", "c"])
        .run();
    out.success();
    assert_eq!(repo.tags(), ["other"]);
    let out = bed
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["tags", "ls", &repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "other\n");
}

#[test]
fn refusals_say_what_to_do() {
    let bed = harbor();
    let repo = &bed.repo;
    let fake = bed.part::<HarborFake>();
    for tag in ["a", "pinned"] {
        repo.push(tag, &Image::new().unique());
    }

    // No credentials for a private project.
    let out = bed.anonymous().args(["tags", "ls", &repo.address]).run();
    let stderr = out.failure();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(out.has_hint("docker login"), "{stderr}");
    assert!(out.has_hint("robot$"), "{stderr}");

    // Wrong password.
    let out = bed
        .berth_as(ADMIN, "not-the-password-42")
        .args(["tags", "ls", &repo.address])
        .run();
    let stderr = out.failure();
    assert!(out.has_hint("robot$"), "{stderr}");
    assert!(!stderr.contains("not-the-password-42"), "{stderr}");

    // A public project lists anonymously; a guest may not delete.
    fake.make_public("library");
    let out = bed.anonymous().args(["tags", "ls", &repo.address]).run();
    assert_eq!(out.success().stdout_str().lines().count(), 2);
    let out = bed
        .berth_as(GUEST, GUEST_PASSWORD)
        .args(["tags", "rm", &repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("forbidden"), "{stderr}");

    // An immutable tag is refused, and says why.
    fake.make_immutable("pinned");
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "pinned"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("immutable"), "{stderr}");

    assert_eq!(repo.tags(), ["a", "pinned"]);
}

#[test]
fn manifest_put_goes_through_the_token_service() {
    let bed = harbor();
    let base = bed.repo.push("base", &Image::new().unique());
    bed.repo.copy_manifest(|| bed.berth(), "base", &base.digest);
    let requests = bed.requests();
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
    let bed = harbor();
    let repo = &bed.repo;
    // Both images say 2024; Harbor's push times decide.
    for (tag, days) in [("old", 40), ("new", 3)] {
        let pushed = repo.push(tag, &Image::new().unique());
        let ms = days_ago(days).timestamp_millis();
        bed.part::<HarborFake>()
            .set_push_time(&repo.name, &pushed.digest, ms);
    }
    repo.cleanup_dry_run(bed.berth());
    // Harbor's push times decide, so no image config was read; besides the
    // listing only the referrers of the image that goes were asked for.
    let requests = after_probe(&bed.requests());
    assert!(
        requests.iter().all(|r| r.method == Method::GET
            && (r.path.starts_with("/api/")
                || r.route() == "/service/token"
                || r.route().contains("/referrers/sha256:")
                || r.route().contains("/manifests/sha256-"))),
        "{requests:?}"
    );
}

#[test]
fn throttled_api_requests_are_retried() {
    let bed = harbor();
    bed.repo.push("v1", &Image::new().unique());
    bed.part::<HarborFake>()
        .throttle(Method::GET, "/api/v2.0/projects/", 2, 1);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    let statuses: Vec<u16> = bed
        .requests()
        .under("/api/")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn untagged_artifacts_go_by_the_artifact_api_and_a_guest_may_not() {
    let bed = harbor();
    let repo = bed.repo_named("library/team/app");
    repo.push("v1", &Image::new().unique());
    let stray = repo.push_untagged(&Image::new().unique());

    let out = bed
        .berth_as(GUEST, GUEST_PASSWORD)
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("forbidden"), "{stderr}");
    assert!(out.has_hint("project role"), "{stderr}");
    assert!(repo.digest(&stray.digest).is_some());

    bed.clear_requests();
    let out = bed
        .berth_as(ROBOT, ROBOT_SECRET)
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    assert_eq!(
        out.success().json()["untagged"],
        serde_json::json!([stray.digest])
    );
    let deletes = bed.requests().to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(
        deletes[0].path,
        format!(
            "/api/v2.0/projects/library/repositories/team%252Fapp/artifacts/{}",
            stray.digest
        )
    );
    assert_eq!(deletes[0].status, 200);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(&*basic(ROBOT, ROBOT_SECRET))
    );
    assert_eq!(repo.digest(&stray.digest), None);
    assert_eq!(repo.tags(), ["v1"]);
}

#[test]
fn a_plan_with_untagged_is_applied_through_harbors_api() {
    let bed = harbor();
    let repo = &bed.repo;
    let pr = repo.push("pr-1", &Image::new().unique());
    let v1 = repo.push("v1", &Image::new().unique());
    let stray = repo.push_untagged(&Image::new().unique());
    let policy = bed.sandbox().home().join("policy.toml");
    let rule = format!(
        "[[rule]]\nrepos = [\"{}/library/*\"]\nmatch = \"^pr-\"\nuntagged = true\n",
        bed.registry()
    );
    std::fs::write(&policy, rule).unwrap();
    let out = bed
        .berth()
        .args(["plan", "--policy", policy.to_str().unwrap(), &repo.address])
        .run();
    let plan = out.success().json();
    let planned = &plan["repositories"][0];
    assert_eq!(planned["provider"], "harbor");
    assert_eq!(planned["delete"][0]["tag"], "pr-1");
    assert_eq!(planned["untagged"], serde_json::json!([stray.digest]));
    let path = bed.sandbox().home().join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();

    bed.clear_requests();
    let out = bed
        .berth()
        .args(["apply", path.to_str().unwrap(), "-o", "json"])
        .run();
    out.success();
    assert_eq!(repo.tags(), ["v1"]);
    let left = bed
        .part::<crate::support::Registry>()
        .revisions()
        .list(&repo.name);
    assert_eq!(
        left,
        [v1.digest],
        "pr-1's image {} and the stray go",
        pr.digest
    );
    let deletes = bed.requests().to(Method::DELETE, "/");
    assert!(
        deletes.iter().all(|r| r
            .path
            .starts_with("/api/v2.0/projects/library/repositories/app/artifacts/")),
        "{deletes:?}"
    );
}
