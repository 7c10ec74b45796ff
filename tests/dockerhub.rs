//! The dockerhub provider: tags, dates and tag removal through a strict fake
//! of the Docker Hub API; manifests over a real distribution registry, which
//! stands where registry-1.docker.io would.

use crate::support::fakes::challenge::Challenger;
use crate::support::fakes::dockerhub::{DockerHubFake, PASSWORD, USER};
use crate::support::image_checks::{Untagging, attachments_follow_their_image};
use crate::support::scenarios::{days_ago, detect_by_address, detect_by_probe};
use crate::support::{Bed, Image, Method, Requests, Setting, Vendor};

fn hub() -> Bed {
    Bed::start(Vendor::DockerHub)
}

#[test]
fn docker_hub_addresses_select_dockerhub_without_network() {
    for (address, registry) in [
        ("nginx", "docker.io"),
        ("docker.io/library/nginx", "docker.io"),
        ("index.docker.io/acme/app", "docker.io"),
        ("registry-1.docker.io/acme/app", "docker.io"),
        (
            "registry.hub.docker.com/acme/app",
            "registry.hub.docker.com",
        ),
    ] {
        let v = detect_by_address(address);
        assert_eq!(v["provider"], "dockerhub", "{address}");
        assert_eq!(v["method"], "address", "{address}");
        assert_eq!(v["registry"], registry, "{address}");
    }
}

#[test]
fn docker_hubs_challenge_is_recognised_by_probe() {
    let hub = Challenger::start(
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#,
    );
    detect_by_probe(&format!("{}/acme/app", hub.addr()), "dockerhub");
}

#[test]
fn tags_list_with_digests_and_push_times_across_pages() {
    let bed = hub();
    let fake = bed.part::<DockerHubFake>();
    let tags = bed.repo.seed_tags(150);
    fake.pushed("acme/app", &tags[0], "2021-01-05T21:06:53.506400Z");
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    let listed = out.success().json();
    assert_eq!(listed["provider"], "dockerhub");
    let listed = listed["tags"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 150);
    bed.repo.assert_listed_digests_and_dates(&listed);
    let first = listed.iter().find(|t| t["name"] == tags[0]).unwrap();
    assert_eq!(first["created"], "2021-01-05T21:06:53.506400Z");

    // Two pages of at most 100, each with the bearer token the Hub issued.
    let pages = bed
        .requests()
        .to(Method::GET, "/v2/namespaces/acme/repositories/app/tags");
    let paths: Vec<&str> = pages.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v2/namespaces/acme/repositories/app/tags?page_size=100&page=1",
            "/v2/namespaces/acme/repositories/app/tags?page=2&page_size=100",
        ]
    );
    let issued = fake.issued();
    for page in &pages {
        assert_eq!(page.status, 200);
        let token = page
            .authorization
            .as_deref()
            .unwrap()
            .strip_prefix("Bearer ");
        assert!(issued.iter().any(|t| Some(t.as_str()) == token));
    }
    assert!(!bed.requests().to(Method::POST, "/v2/auth/token").is_empty());
}

#[test]
fn removing_one_tag_keeps_the_others_on_its_image() {
    let bed = hub();
    let seeded = bed.repo.seed_shared();
    bed.repo.remove_a(bed.berth(), &seeded);
    // The image itself stays, as on the Hub.
    assert_eq!(bed.repo.digest(&seeded.shared), Some(seeded.shared.clone()));

    // One delete, through the Hub API: none reached the registry.
    let deletes = bed.requests().to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].path, "/v2/repositories/acme/app/tags/a/");
    assert_eq!(deletes[0].status, 204);
    assert!(
        deletes[0]
            .authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|t| bed
                .part::<DockerHubFake>()
                .issued()
                .contains(&t.to_string()))
    );
}

#[test]
fn manifest_put_goes_to_the_registry() {
    let bed = hub();
    let source = bed.repo.push("source", &Image::new().unique());
    bed.repo
        .copy_manifest(|| bed.berth(), "source", &source.digest);
}

#[test]
fn cleanup_dry_run_uses_the_hubs_push_times() {
    let bed = hub();
    // The Hub's push times say the opposite of the images' own dates.
    bed.repo
        .push("old", &Image::new().created_days_ago(1).unique());
    bed.repo
        .push("new", &Image::new().created_days_ago(400).unique());
    bed.part::<DockerHubFake>()
        .pushed("acme/app", "old", "2020-03-01T00:00:00.000000Z");
    bed.repo.cleanup_dry_run(bed.berth());
    assert!(bed.requests().to(Method::DELETE, "/").is_empty());
}

#[test]
fn no_credentials_for_a_private_repository_fail_with_a_hint() {
    let bed = hub();
    bed.repo.push("a", &Image::new().unique());
    let out = bed
        .anonymous()
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("anonymous access"), "{stderr}");
    assert!(
        stderr.contains("\nhint: give Docker Hub credentials: --opt username=NAME"),
        "{stderr}"
    );
    assert!(stderr.contains("BERTH_DOCKERHUB_TOKEN"), "{stderr}");
    assert_eq!(bed.repo.tags(), ["a"]);
}

#[test]
fn a_public_repository_lists_anonymously_but_removal_needs_credentials() {
    let bed = hub();
    bed.repo.push("a", &Image::new().unique());
    bed.part::<DockerHubFake>().public("acme/app");
    let out = bed
        .anonymous()
        .args(["tags", "ls", &bed.repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let listed = bed.requests().to(Method::GET, "/v2/namespaces/");
    assert!(listed.iter().all(|r| r.authorization.is_none()));

    let out = bed
        .anonymous()
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("needs credentials"), "{stderr}");
    assert!(
        stderr.contains("\nhint: give Docker Hub credentials"),
        "{stderr}"
    );
    assert!(bed.requests().to(Method::DELETE, "/").is_empty());
    assert_eq!(bed.repo.tags(), ["a"]);
}

#[test]
fn a_wrong_password_is_refused_with_a_hint() {
    let bed = hub();
    bed.repo.push("a", &Image::new().unique());
    let out = bed
        .berth_as(USER, "wrong")
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(
        stderr.contains("Incorrect authentication credentials"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: give Docker Hub credentials"),
        "{stderr}"
    );
    let login = bed.requests().to(Method::POST, "/v2/auth/token");
    assert_eq!(login[0].status, 401);
}

#[test]
fn docker_config_credentials_log_in_to_the_hub() {
    let bed = hub();
    bed.repo.push("a", &Image::new().unique());
    bed.repo.push("b", &Image::new().unique());
    let out = bed
        .with(bed.anonymous(), &[Setting::docker(USER, PASSWORD)])
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    out.success();
    assert_eq!(bed.repo.tags(), ["b"]);
}

#[test]
fn an_access_token_refused_a_delete_says_what_would_work() {
    let bed = hub();
    let fake = bed.part::<DockerHubFake>();
    bed.repo.push("a", &Image::new().unique());
    fake.access_token("acme", "dckr_pat_readwrite", false);
    let out = bed
        .anonymous()
        .args(["--opt", "token=dckr_pat_readwrite"])
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("forbidden"), "{stderr}");
    assert!(
        stderr.contains("forbidden with personal access token"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "\nhint: a personal access token deletes tags only with the \"Read, Write, Delete\""
        ),
        "{stderr}"
    );
    assert!(stderr.contains("--opt password"), "{stderr}");
    assert_eq!(bed.repo.tags(), ["a"]);

    // A token with the delete permission may.
    fake.access_token("acme", "dckr_pat_delete", true);
    bed.anonymous()
        .args(["--opt", "token=dckr_pat_delete"])
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run()
        .success();
    assert!(bed.repo.tags().is_empty());
    let logins = bed.requests().to(Method::POST, "/v2/auth/token");
    assert!(logins.iter().all(|r| r.status == 200));
}

#[test]
fn rate_limits_are_waited_out() {
    let bed = hub();
    let fake = bed.part::<DockerHubFake>();
    bed.repo.push("a", &Image::new().unique());
    fake.throttle(2, 1);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..2], [429, 429]);
    assert!(statuses[2..].iter().all(|s| *s == 200), "{statuses:?}");
}

#[test]
fn a_long_rate_limit_is_reported_not_waited_for() {
    let bed = hub();
    let fake = bed.part::<DockerHubFake>();
    bed.repo.push("a", &Image::new().unique());
    fake.throttle(100, 3600);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    let stderr = out.failure();
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(stderr.contains("Rate limit exceeded"), "{stderr}");
    assert!(
        stderr.contains("\nhint: the registry asks to wait"),
        "{stderr}"
    );
    assert_eq!(fake.requests().len(), 1);
}

/// A removed image's attachments go with it: its tags through the Hub API,
/// its referrer by digest over the registry API; a kept image's stay.
#[test]
fn attachments_go_with_their_image_and_only_with_it() {
    let bed = hub();
    attachments_follow_their_image(&bed, Untagging::LeavesManifest, |tag, _, days| {
        let at = days_ago(days).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        bed.part::<DockerHubFake>().pushed("acme/app", tag, &at);
    });
}
