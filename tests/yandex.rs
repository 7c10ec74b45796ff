//! The `yandex` provider (Yandex Cloud Container Registry) against real
//! distribution with token auth, logged in as Yandex users log in: the user
//! `oauth` with an OAuth token as the password. A proxy in front of the
//! registry records what berth asked. The registry is on loopback, so these
//! runs name the provider; detection by address is tested without network.

use crate::support::bed::YANDEX_USER;
use crate::support::scenarios::detect_by_address;
use crate::support::{Bed, Image, Method, Proxy, TokenRegistry, Vendor};

fn yandex() -> Bed {
    Bed::start(Vendor::Yandex)
}

#[test]
fn detects_cr_yandex_by_address() {
    let v = detect_by_address("cr.yandex/crp0123456789abcdef/app");
    assert_eq!(v["provider"], "yandex");
    assert_eq!(v["method"], "address");
    assert_eq!(v["repository"], "crp0123456789abcdef/app");
    let v = detect_by_address("cr.yandex.example.com/app");
    assert_eq!(v["provider"], "default");
}

#[test]
fn lists_tags_logged_in_with_an_oauth_token() {
    let bed = yandex();
    let tags = bed.repo.seed_tags(3);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().sorted_lines(), tags);
    let tokens = bed.part::<TokenRegistry>().token.requests();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0].user.as_deref(), Some(YANDEX_USER));
    assert_eq!(tokens[0].scopes, ["repository:app:pull"]);
    let lists: Vec<_> = bed
        .part::<Proxy>()
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v2/app/tags/list"))
        .collect();
    assert_eq!(lists.last().unwrap().status, Some(200));
    assert!(lists.last().unwrap().has_auth);
}

#[test]
fn removing_one_tag_never_touches_the_tags_beside_it() {
    let bed = yandex();
    let repo = &bed.repo;
    let seeded = repo.seed_shared();
    let out = repo.remove_a(bed.berth(), &seeded);
    assert_eq!(out.json()["provider"], "yandex");
    // The tag moved onto a throwaway, which was deleted; the shared
    // manifest was never deleted.
    let requests = bed.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.method == Method::PUT && r.path == "/v2/app/manifests/a" && r.status == 201),
        "{requests:?}"
    );
    let shared_path = format!("/v2/app/manifests/{}", seeded.shared);
    assert!(
        !requests
            .iter()
            .any(|r| r.method == Method::DELETE && r.path == shared_path),
        "{requests:?}"
    );

    // Naming every tag of a manifest removes exactly those.
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "b", "c"])
        .run();
    out.success();
    assert_eq!(repo.tags(), ["other"]);
    assert_eq!(repo.digest("other").unwrap(), seeded.other);
}

#[test]
fn manifest_put_pushes_the_document() {
    let bed = yandex();
    let base = bed.repo.push("base", &Image::new().unique());
    bed.repo.copy_manifest(|| bed.berth(), "base", &base.digest);
}

#[test]
fn cleanup_dry_run_dates_tags_from_their_configs_and_changes_nothing() {
    let bed = yandex();
    bed.repo.seed_dated();
    bed.repo.cleanup_dry_run(bed.berth());
    for r in bed.requests() {
        assert!(r.is_read(), "dry run sent {} {}", r.method, r.path);
    }
}

#[test]
fn a_refused_login_exits_1_and_names_the_yandex_users() {
    let bed = yandex();
    bed.repo.push("v1", &Image::new().unique());
    let out = bed
        .berth_as(YANDEX_USER, "y0_expired")
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    for user in ["`oauth`", "`iam`", "`json_key`"] {
        assert!(out.has_hint(user), "{stderr}");
    }
    assert!(!stderr.contains("y0_expired"), "{stderr}");
}

#[test]
fn throttled_requests_are_retried() {
    let bed = yandex();
    bed.repo.push("v1", &Image::new().unique());
    let throttle = bed
        .part::<Proxy>()
        .on(Method::GET, "/v2/app/tags/list")
        .fail_times(2, 429)
        .retry_after(1);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    assert!(throttle.hits() >= 3, "{} requests", throttle.hits());
}
