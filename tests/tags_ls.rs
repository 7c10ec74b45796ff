//! `berth tags ls` against real distribution, through a proxy that pages
//! (distribution 2.8 ignores `n`) and injects faults.

use crate::support::{Bed, Image, Method, Proxy, Vendor};
use std::time::{Duration, Instant};

/// A registry whose `app` has `tags` tags, and the tags.
fn registry_with(tags: usize) -> (Bed, Vec<String>) {
    let bed = Bed::start(Vendor::Default);
    let seeded = bed.repo.seed_tags(tags);
    (bed, seeded)
}

#[test]
fn lists_thousands_of_tags_across_pages() {
    let (bed, mut seeded) = registry_with(2500);
    let proxy = bed.part::<Proxy>();
    let pages = proxy.on(Method::GET, "/v2/app/tags/list").paginate(100);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    let mut listed: Vec<String> = out
        .success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    seeded.sort();
    assert_eq!(listed, seeded);
    // berth asks for 1000 a page and follows Link for the rest.
    assert_eq!(pages.asked_n()[0], Some(1000));
    assert_eq!(pages.hits(), 3);
}

#[test]
fn json_lists_every_tag_with_nulls_for_unknowns() {
    let bed = Bed::start(Vendor::Default);
    bed.repo.push("v1", &Image::new());
    let repo = &bed.repo.address;
    let out = bed.berth().args(["tags", "ls", repo, "-o", "json"]).run();
    assert_eq!(
        out.success().json(),
        serde_json::json!({"repo": repo, "provider": "default", "tags": [{"name": "v1", "digest": null, "created": null}]})
    );
}

#[test]
fn looping_link_ends_with_an_error() {
    // More than one page of the 1000 tags berth asks for.
    let (bed, _) = registry_with(1500);
    let proxy = bed.part::<Proxy>();
    proxy
        .on(Method::GET, "/v2/app/tags/list")
        .paginate(10)
        .looping();
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo.address])
        .timeout(Duration::from_secs(20))
        .run();
    assert_eq!(out.code(), 1, "{}", out.stderr_str());
    assert!(
        out.stderr_str().contains("paging loops"),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn missing_repository_is_not_found() {
    let bed = Bed::start(Vendor::Default);
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo_named("nope").address])
        .run();
    assert_eq!(out.code(), 1);
    let err = out.stderr_str();
    assert!(
        err.contains("not found") && err.contains("NAME_UNKNOWN"),
        "{err}"
    );
}

#[test]
fn throttled_request_waits_for_retry_after() {
    let (bed, seeded) = registry_with(3);
    let proxy = bed.part::<Proxy>();
    let rule = proxy
        .on(Method::GET, "/v2/app/tags/list")
        .fail_times(1, 429)
        .retry_after(1);
    let started = Instant::now();
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str().lines().count(), seeded.len());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(rule.hits(), 2);
}

#[test]
fn server_error_succeeds_on_retry() {
    let (bed, seeded) = registry_with(3);
    let proxy = bed.part::<Proxy>();
    let rule = proxy
        .on(Method::GET, "/v2/app/tags/list")
        .fail_times(2, 500);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str().lines().count(), seeded.len());
    assert_eq!(rule.hits(), 3);
}

#[test]
fn persistent_server_error_gives_up_with_the_registry_message() {
    let (bed, _) = registry_with(1);
    let proxy = bed.part::<Proxy>();
    proxy
        .on(Method::GET, "/v2/app/tags/list")
        .fail_times(100, 503)
        .retry_after(0);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.code(), 1);
    assert!(out.stderr_str().contains("503"), "{}", out.stderr_str());
}

#[test]
fn connection_reset_is_retried() {
    let (bed, seeded) = registry_with(2);
    let proxy = bed.part::<Proxy>();
    proxy.on(Method::GET, "/v2/app/tags/list").reset_nth(1);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str().lines().count(), seeded.len());
}

#[test]
fn garbage_json_is_an_error_that_says_so() {
    let (bed, _) = registry_with(1);
    let proxy = bed.part::<Proxy>();
    proxy
        .on(Method::GET, "/v2/app/tags/list")
        .respond(200, "{\"tags\": 12");
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.code(), 1);
    let err = out.stderr_str();
    assert!(err.contains("not a tag list"), "{err}");
}

#[test]
fn trickling_server_hits_the_timeout() {
    let (bed, _) = registry_with(50);
    let proxy = bed.part::<Proxy>();
    proxy
        .on(Method::GET, "/v2/app/tags/list")
        .trickle(Duration::from_millis(500));
    let started = Instant::now();
    let out = bed
        .berth()
        .args(["--timeout", "2s", "tags", "ls", &bed.repo.address])
        .timeout(Duration::from_secs(60))
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_str().contains("no answer within 2 s"),
        "{}",
        out.stderr_str()
    );
    // Retries are bounded: 1 + 4 attempts of 2 s plus backoff.
    assert!(started.elapsed() < Duration::from_secs(30));
}
