//! The `gitlab` provider against a fake of GitLab's registry (its `/jwt/auth`
//! token service and each generation's tag delete) and API v4, in front of
//! real distribution.

use crate::support::fakes::gitlab::{
    Generation, GitLabFake, JOB_TOKEN, JOB_USER, PRIVATE_TOKEN, USER,
};
use crate::support::image_checks::{
    Untagging, attachments_follow_their_image, untagged_is_refused_with_the_reason,
};
use crate::support::scenarios::{assert_detected_by_address, assert_just_a_probe, detect_by_probe};
use crate::support::{Bed, Image, Method, Requests, Seen, Setting, Vendor};

const REPO: &str = "group/project/app";

/// A bed whose registry has `generation`'s tag delete.
fn gitlab(generation: Generation) -> Bed {
    let bed = Bed::start(Vendor::Gitlab);
    bed.part::<GitLabFake>().set_generation(generation);
    bed
}

/// `(path, status)` of the DELETE requests the fake saw.
fn deletes(bed: &Bed) -> Vec<(String, u16)> {
    bed.requests()
        .to(Method::DELETE, "/")
        .into_iter()
        .map(|r| (r.path, r.status))
        .collect()
}

fn api_calls(bed: &Bed) -> Vec<Seen> {
    bed.requests().under("/api/v4/")
}

#[test]
fn detects_gitlab_by_address_and_by_its_registry_challenge() {
    assert_detected_by_address(&[
        ("registry.gitlab.com/group/project", "gitlab"),
        ("gitlab.com/group/project", "gitlab"),
        ("registry.gitlab.example.com/group/project", "default"),
    ]);
    let bed = gitlab(Generation::Current);
    detect_by_probe(&bed.repo.address, "gitlab");
    let requests = bed.requests();
    assert_just_a_probe(&requests);
    assert_eq!(requests[0].status, 401);
}

#[test]
fn lists_tags_through_the_registry() {
    let bed = gitlab(Generation::Current);
    let tags = bed.repo.seed_tags(3);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().sorted_lines(), tags);
    let lists: Vec<_> = bed
        .requests()
        .under(&format!("/v2/{REPO}/tags/list"))
        .into_iter()
        .map(|r| {
            (
                r.status,
                r.authorization.is_some_and(|a| a.starts_with("Bearer ")),
            )
        })
        .collect();
    assert_eq!(lists.last(), Some(&(200, true)), "{lists:?}");
    let token = bed
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
    let bed = gitlab(Generation::Current);
    let seeded = bed.repo.seed_shared();
    bed.repo.remove_a(bed.berth(), &seeded);
    let deletes = deletes(&bed);
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
    assert!(api_calls(&bed).is_empty());
}

#[test]
fn a_registry_before_16_4_uses_the_tags_reference_route() {
    let bed = gitlab(Generation::TagsReference);
    let seeded = bed.repo.seed_shared();
    bed.repo.remove_a(bed.berth(), &seeded);
    let deletes: Vec<_> = deletes(&bed)
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
    assert!(api_calls(&bed).is_empty());
}

#[test]
fn an_older_registry_falls_back_to_the_api() {
    let bed = gitlab(Generation::Legacy);
    let seeded = bed.repo.seed_shared();
    let out = bed.repo.remove_a(bed.berth(), &seeded);
    assert!(!out.stderr_str().contains(PRIVATE_TOKEN));

    let registry_deletes: Vec<_> = deletes(&bed)
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
    let calls: Vec<_> = api_calls(&bed)
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
    assert!(api_calls(&bed).iter().all(|c| {
        c.header("private-token") == Some(PRIVATE_TOKEN) && c.header("job-token").is_none()
    }));
}

#[test]
fn a_job_token_refused_by_the_registry_says_what_to_set() {
    let bed = gitlab(Generation::Current);
    bed.repo.seed_shared();
    let out = bed
        .with(bed.command(), &[Setting::docker(JOB_USER, JOB_TOKEN)])
        .env("CI_JOB_TOKEN", JOB_TOKEN)
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(out.has_hint("CI_JOB_TOKEN"), "{stderr}");
    assert!(out.has_hint("`api` scope"), "{stderr}");
    assert!(!stderr.contains(JOB_TOKEN), "{stderr}");
    assert_eq!(bed.repo.tags(), ["a", "b", "c", "other"]);
}

#[test]
fn a_job_token_that_may_not_delete_says_what_to_set() {
    let bed = gitlab(Generation::Legacy);
    let seeded = bed.repo.seed_shared();
    // As in a CI job: the job's login, the API and the token from variables.
    let run = || {
        bed.with(bed.command(), &[Setting::docker(JOB_USER, JOB_TOKEN)])
            .env("CI_API_V4_URL", bed.part::<GitLabFake>().api_url())
            .env("CI_JOB_TOKEN", JOB_TOKEN)
            .args(["tags", "rm", &bed.repo.address, "a"])
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
    assert_eq!(bed.repo.tags(), ["a", "b", "c", "other"]);

    // Where the project lets the job token delete, it is sent as JOB-TOKEN.
    bed.part::<GitLabFake>().let_job_token_delete(true);
    run().success();
    bed.repo.assert_only_a_went(&seeded);
    let last = api_calls(&bed).pop().unwrap();
    assert_eq!((&last.method, last.status), (&Method::DELETE, 200));
    assert_eq!(last.header("job-token"), Some(JOB_TOKEN));
    assert_eq!(last.header("private-token"), None);
}

#[test]
fn no_token_for_the_api_names_the_option() {
    let bed = gitlab(Generation::Legacy);
    bed.repo.seed_shared();
    // Logged in to the registry, with the API known, but no API token.
    let out = bed
        .berth_as(USER, PRIVATE_TOKEN)
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    assert!(out.has_hint("--opt token="), "{stderr}");
    assert!(out.has_hint("BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(api_calls(&bed).is_empty());
    assert_eq!(bed.repo.tags(), ["a", "b", "c", "other"]);

    // A wrong token: GitLab's 401, quoted, with the same hint.
    let out = bed
        .berth_as(USER, PRIVATE_TOKEN)
        .args(["--opt", "token=glpat-wrong"])
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("401 Unauthorized"), "{stderr}");
    assert!(out.has_hint("BERTH_GITLAB_TOKEN"), "{stderr}");
    assert!(!stderr.contains("glpat-wrong"), "{stderr}");
}

#[test]
fn throttled_api_requests_are_retried() {
    let bed = gitlab(Generation::Legacy);
    let seeded = bed.repo.seed_shared();
    bed.part::<GitLabFake>()
        .throttle(Method::DELETE, "/api/v4/projects/", 2, 1);
    bed.repo.remove_a(bed.berth(), &seeded);
    let statuses: Vec<u16> = bed
        .requests()
        .to(Method::DELETE, "/api/v4/")
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn manifest_put_goes_through_the_jwt_token_service() {
    let bed = gitlab(Generation::Current);
    let base = bed.repo.push("base", &Image::new().unique());
    bed.repo.copy_manifest(|| bed.berth(), "base", &base.digest);
    let puts: Vec<_> = bed
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::PUT && r.path == format!("/v2/{REPO}/manifests/copy"))
        .map(|r| r.status)
        .collect();
    assert_eq!(puts, [401, 201]);
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let bed = gitlab(Generation::Current);
    bed.repo.seed_dated();
    bed.repo.cleanup_dry_run(bed.berth());
    let requests = bed.requests();
    assert!(requests.iter().all(Seen::is_read), "{requests:?}");
}

#[test]
fn attachments_go_with_their_image_and_only_with_it() {
    // The images' own creation times give the ages.
    attachments_follow_their_image(
        &gitlab(Generation::Current),
        Untagging::LeavesManifest,
        |_, _, _| {},
    );
}

#[test]
fn untagged_is_refused_as_gitlab_collects_untagged_manifests_itself() {
    untagged_is_refused_with_the_reason(
        &gitlab(Generation::Current),
        "gitlab: GitLab's APIs list tags, never a manifest no tag reaches",
    );
}
