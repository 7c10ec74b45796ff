//! The `yandex` provider (Yandex Cloud Container Registry) against real
//! distribution with token auth, logged in as Yandex users log in: the user
//! `oauth` with an OAuth token as the password. A proxy in front of the
//! registry records what berth asked. The registry is on loopback, so these
//! runs name the provider; detection by address is tested without network.

use crate::support::{Image, Method, Proxy, Sandbox, Seeder, TokenRegistry, User, berth};
use base64::Engine;
use serde_json::json;
use std::path::{Path, PathBuf};

const OAUTH_TOKEN: &str = "y0_AgAAAAB-oauth-token";

fn docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = json!({"auths": {registry: {"auth": auth}}});
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

/// Whether stderr has a `hint:` line that says `needle`.
fn has_hint(stderr: &str, needle: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.starts_with("hint: ") && l.contains(needle))
}

/// A token registry with the user `oauth`, a proxy in front, and a sandbox
/// logged in to the proxy's address.
struct Setup {
    registry: TokenRegistry,
    proxy: Proxy,
    sandbox: Sandbox,
    config: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let registry = TokenRegistry::start([User::new("oauth", OAUTH_TOKEN)]);
        let proxy = Proxy::start(&registry.registry.url());
        let sandbox = Sandbox::new();
        let config = sandbox.home().join("docker");
        docker_config(&config, &proxy.addr(), "oauth", OAUTH_TOKEN);
        Setup {
            registry,
            proxy,
            sandbox,
            config,
        }
    }

    fn seeder(&self) -> Seeder {
        self.registry.seeder()
    }

    fn repo(&self) -> String {
        format!("{}/app", self.proxy.addr())
    }

    fn berth(&self) -> crate::support::BerthCommand {
        self.sandbox
            .berth()
            .args(["--docker-config", self.config.to_str().unwrap()])
            .args(["--provider", "yandex"])
    }
}

#[test]
fn detects_cr_yandex_by_address() {
    let out = berth()
        .args([
            "detect",
            "--no-probe",
            "cr.yandex/crp0123456789abcdef/app",
            "-o",
            "json",
        ])
        .run();
    let v = out.success().json();
    assert_eq!(v["provider"], "yandex");
    assert_eq!(v["method"], "address");
    assert_eq!(v["repository"], "crp0123456789abcdef/app");
    let out = berth()
        .args([
            "detect",
            "--no-probe",
            "cr.yandex.example.com/app",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["provider"], "default");
}

#[test]
fn lists_tags_logged_in_with_an_oauth_token() {
    let setup = Setup::new();
    let tags = setup.seeder().seed_tags("app", 3);
    let out = setup.berth().args(["tags", "ls", &setup.repo()]).run();
    let mut listed: Vec<String> = out
        .success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(listed, tags);
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
    let seeder = setup.seeder();
    let shared = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    seeder.tag("app", "a", "c");
    let other = seeder.push_image("app", "other", &Image::new().unique());
    let out = setup
        .berth()
        .args(["tags", "rm", &setup.repo(), "a", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["provider"], "yandex");
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(seeder.tags("app"), ["b", "c", "other"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), shared.digest);
    assert_eq!(seeder.digest("app", "c").unwrap(), shared.digest);
    assert_eq!(seeder.digest("app", "other").unwrap(), other.digest);
    // The tag moved onto a throwaway, which was deleted; the shared
    // manifest was never deleted.
    let requests = setup.proxy.requests();
    assert!(
        requests.iter().any(|r| r.method == Method::PUT
            && r.path == "/v2/app/manifests/a"
            && r.status == Some(201)),
        "{requests:?}"
    );
    let shared_path = format!("/v2/app/manifests/{}", shared.digest);
    assert!(
        !requests
            .iter()
            .any(|r| r.method == Method::DELETE && r.path == shared_path),
        "{requests:?}"
    );

    // Naming every tag of a manifest removes exactly those.
    let out = setup
        .berth()
        .args(["tags", "rm", &setup.repo(), "b", "c"])
        .run();
    out.success();
    assert_eq!(seeder.tags("app"), ["other"]);
    assert_eq!(seeder.digest("app", "other").unwrap(), other.digest);
}

#[test]
fn manifest_put_pushes_the_document() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    let base = seeder.push_image("app", "base", &Image::new().unique());
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
    assert_eq!(seeder.digest("app", "copy").unwrap(), base.digest);
}

#[test]
fn cleanup_dry_run_dates_tags_from_their_configs_and_changes_nothing() {
    let setup = Setup::new();
    let seeder = setup.seeder();
    seeder.push_image("app", "old", &Image::new().created_days_ago(40).unique());
    seeder.push_image("app", "new", &Image::new().created_days_ago(1).unique());
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
    for r in setup.proxy.requests() {
        assert!(
            r.method == Method::GET || r.method == Method::HEAD,
            "dry run sent {} {}",
            r.method,
            r.path
        );
    }
    assert_eq!(seeder.tags("app"), ["new", "old"]);
}

#[test]
fn a_refused_login_exits_1_and_names_the_yandex_users() {
    let setup = Setup::new();
    setup
        .seeder()
        .push_image("app", "v1", &Image::new().unique());
    docker_config(&setup.config, &setup.proxy.addr(), "oauth", "y0_expired");
    let out = setup.berth().args(["tags", "ls", &setup.repo()]).run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    for user in ["`oauth`", "`iam`", "`json_key`"] {
        assert!(has_hint(&stderr, user), "{stderr}");
    }
    assert!(!stderr.contains("y0_expired"), "{stderr}");
}

#[test]
fn throttled_requests_are_retried() {
    let setup = Setup::new();
    setup
        .seeder()
        .push_image("app", "v1", &Image::new().unique());
    let throttle = setup
        .proxy
        .on(Method::GET, "/v2/app/tags/list")
        .fail_times(2, 429)
        .retry_after(1);
    let out = setup.berth().args(["tags", "ls", &setup.repo()]).run();
    assert_eq!(out.success().stdout_str(), "v1\n");
    assert!(throttle.hits() >= 3, "{} requests", throttle.hits());
}
