//! The `yandex` provider (Yandex Cloud Container Registry) against real
//! distribution with token auth, logged in as Yandex users log in: the user
//! `oauth` with an OAuth token as the password. A proxy in front of the
//! registry records what berth asked. The registry is on loopback, so these
//! runs name the provider; detection by address is tested without network.

use crate::support::login::logged_in;
use crate::support::scenarios::{Repo, detect_by_address};
use crate::support::{BerthCommand, Image, Method, Proxy, Sandbox, TokenRegistry, User};

const OAUTH_TOKEN: &str = "y0_AgAAAAB-oauth-token";

/// A token registry with the user `oauth`, a proxy in front, and `app`
/// reached through the proxy.
struct Setup {
    registry: TokenRegistry,
    proxy: Proxy,
    repo: Repo,
    sandbox: Sandbox,
}

impl Setup {
    fn new() -> Setup {
        let registry = TokenRegistry::start([User::new("oauth", OAUTH_TOKEN)]);
        let proxy = Proxy::start(&registry.registry.url());
        let repo = Repo::new(&proxy.addr(), "app", registry.seeder());
        Setup {
            registry,
            proxy,
            repo,
            sandbox: Sandbox::new(),
        }
    }

    /// berth logged in as `oauth` with `token`, provider named.
    fn berth_with(&self, token: &str) -> BerthCommand {
        logged_in(&self.sandbox, &self.proxy.addr(), "oauth", token).args(["--provider", "yandex"])
    }

    fn berth(&self) -> BerthCommand {
        self.berth_with(OAUTH_TOKEN)
    }
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
    let setup = Setup::new();
    let tags = setup.repo.seeder.seed_tags("app", 3);
    let out = setup
        .berth()
        .args(["tags", "ls", &setup.repo.address])
        .run();
    assert_eq!(out.success().sorted_lines(), tags);
    let tokens = setup.registry.token.requests();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0].user.as_deref(), Some("oauth"));
    assert_eq!(tokens[0].scopes, ["repository:app:pull"]);
    let lists: Vec<_> = setup
        .proxy
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/v2/app/tags/list"))
        .collect();
    assert_eq!(lists.last().unwrap().status, Some(200));
    assert!(lists.last().unwrap().has_auth);
}

#[test]
fn removing_one_tag_never_touches_the_tags_beside_it() {
    let setup = Setup::new();
    let repo = &setup.repo;
    let seeded = repo.seed_shared();
    let out = repo.remove_a(setup.berth(), &seeded);
    assert_eq!(out.json()["provider"], "yandex");
    // The tag moved onto a throwaway, which was deleted; the shared
    // manifest was never deleted.
    let requests = setup.proxy.requests();
    assert!(
        requests.iter().any(|r| r.method == Method::PUT
            && r.path == "/v2/app/manifests/a"
            && r.status == Some(201)),
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
    let out = setup
        .berth()
        .args(["tags", "rm", &repo.address, "b", "c"])
        .run();
    out.success();
    assert_eq!(repo.seeder.tags("app"), ["other"]);
    assert_eq!(repo.seeder.digest("app", "other").unwrap(), seeded.other);
}

#[test]
fn manifest_put_pushes_the_document() {
    let setup = Setup::new();
    let base = setup.repo.push("base", &Image::new().unique());
    setup
        .repo
        .copy_manifest(|| setup.berth(), "base", &base.digest);
}

#[test]
fn cleanup_dry_run_dates_tags_from_their_configs_and_changes_nothing() {
    let setup = Setup::new();
    setup.repo.seed_dated();
    setup.repo.cleanup_dry_run(setup.berth());
    for r in setup.proxy.requests() {
        assert!(
            r.method == Method::GET || r.method == Method::HEAD,
            "dry run sent {} {}",
            r.method,
            r.path
        );
    }
}

#[test]
fn a_refused_login_exits_1_and_names_the_yandex_users() {
    let setup = Setup::new();
    setup.repo.push("v1", &Image::new().unique());
    let out = setup
        .berth_with("y0_expired")
        .args(["tags", "ls", &setup.repo.address])
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
    let setup = Setup::new();
    setup.repo.push("v1", &Image::new().unique());
    let throttle = setup
        .proxy
        .on(Method::GET, "/v2/app/tags/list")
        .fail_times(2, 429)
        .retry_after(1);
    let out = setup
        .berth()
        .args(["tags", "ls", &setup.repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    assert!(throttle.hits() >= 3, "{} requests", throttle.hits());
}
