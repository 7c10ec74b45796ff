//! The dockerhub provider: tags, dates and tag removal through a strict fake
//! of the Docker Hub API; manifests over a real distribution registry, which
//! stands where registry-1.docker.io would.

use crate::support::fakes::challenge::Challenger;
use crate::support::fakes::dockerhub::DockerHubFake;
use crate::support::login::logged_in;
use crate::support::scenarios::{Repo, detect_by_address, detect_by_probe};
use crate::support::{BerthCommand, Image, Method, Registry, RegistryOptions, Sandbox, berth};

const USER: &str = "acme";
const PASSWORD: &str = "hunter2-hub";

struct Hub {
    registry: Registry,
    fake: DockerHubFake,
    /// `acme/app`, at the registry's own address.
    repo: Repo,
}

impl Hub {
    fn start() -> Hub {
        let registry = Registry::start(RegistryOptions::default());
        let fake = DockerHubFake::start(&registry);
        fake.user(USER, PASSWORD);
        let repo = Repo::new(&registry.addr(), "acme/app", registry.seeder());
        Hub {
            registry,
            fake,
            repo,
        }
    }

    /// `berth` with the provider and the fake's API, without credentials.
    fn anonymous(&self, berth: BerthCommand) -> BerthCommand {
        berth.args([
            "--provider",
            "dockerhub",
            "--opt",
            &format!("hub-api-url={}", self.fake.url()),
        ])
    }

    /// berth logged in with the user's password.
    fn berth(&self) -> BerthCommand {
        self.anonymous(berth()).args([
            "--opt",
            &format!("username={USER}"),
            "--opt",
            &format!("password={PASSWORD}"),
        ])
    }
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
    let hub = Hub::start();
    let tags = hub.repo.seeder.seed_tags("acme/app", 150);
    hub.fake
        .pushed("acme/app", &tags[0], "2021-01-05T21:06:53.506400Z");
    let out = hub
        .berth()
        .args(["tags", "ls", &hub.repo.address, "-o", "json"])
        .run();
    let listed = out.success().json();
    assert_eq!(listed["provider"], "dockerhub");
    let listed = listed["tags"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 150);
    hub.repo.assert_listed_digests_and_dates(&listed);
    let first = listed.iter().find(|t| t["name"] == tags[0]).unwrap();
    assert_eq!(first["created"], "2021-01-05T21:06:53.506400Z");

    // Two pages of at most 100, each with the bearer token the Hub issued.
    let pages = hub
        .fake
        .requests_to(Method::GET, "/v2/namespaces/acme/repositories/app/tags");
    let paths: Vec<&str> = pages.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v2/namespaces/acme/repositories/app/tags?page_size=100&page=1",
            "/v2/namespaces/acme/repositories/app/tags?page=2&page_size=100",
        ]
    );
    let issued = hub.fake.issued();
    for page in &pages {
        assert_eq!(page.status, 200);
        let token = page
            .authorization
            .as_deref()
            .unwrap()
            .strip_prefix("Bearer ");
        assert!(issued.iter().any(|t| Some(t.as_str()) == token));
    }
    assert!(
        !hub.fake
            .requests_to(Method::POST, "/v2/auth/token")
            .is_empty()
    );
}

#[test]
fn removing_one_tag_keeps_the_others_on_its_image() {
    let hub = Hub::start();
    let seeded = hub.repo.seed_shared();
    hub.repo.remove_a(hub.berth(), &seeded);
    // The image itself stays, as on the Hub.
    assert_eq!(
        hub.repo.seeder.digest("acme/app", &seeded.shared),
        Some(seeded.shared.clone())
    );

    let deletes = hub.fake.requests_to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].path, "/v2/repositories/acme/app/tags/a/");
    assert_eq!(deletes[0].status, 204);
    assert!(
        deletes[0]
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer hub-jwt-"))
    );
}

#[test]
fn manifest_put_goes_to_the_registry() {
    let hub = Hub::start();
    let source = hub.repo.push("source", &Image::new().unique());
    hub.repo
        .copy_manifest(|| hub.berth(), "source", &source.digest);
}

#[test]
fn cleanup_dry_run_uses_the_hubs_push_times() {
    let hub = Hub::start();
    // The Hub's push times say the opposite of the images' own dates.
    hub.repo
        .push("old", &Image::new().created_days_ago(1).unique());
    hub.repo
        .push("new", &Image::new().created_days_ago(400).unique());
    hub.fake
        .pushed("acme/app", "old", "2020-03-01T00:00:00.000000Z");
    hub.repo.cleanup_dry_run(hub.berth());
    assert!(hub.fake.requests_to(Method::DELETE, "/").is_empty());
}

#[test]
fn no_credentials_for_a_private_repository_fail_with_a_hint() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    let out = hub
        .anonymous(berth())
        .args(["tags", "rm", &hub.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("anonymous access"), "{stderr}");
    assert!(
        stderr.contains("\nhint: give Docker Hub credentials: --opt username=NAME"),
        "{stderr}"
    );
    assert!(stderr.contains("BERTH_DOCKERHUB_TOKEN"), "{stderr}");
    assert_eq!(hub.repo.seeder.tags("acme/app"), ["a"]);
}

#[test]
fn a_public_repository_lists_anonymously_but_removal_needs_credentials() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    hub.fake.public("acme/app");
    let sandbox = Sandbox::new();
    let out = hub
        .anonymous(sandbox.berth())
        .args(["tags", "ls", &hub.repo.address])
        .run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let listed = hub.fake.requests_to(Method::GET, "/v2/namespaces/");
    assert!(listed.iter().all(|r| r.authorization.is_none()));

    let out = hub
        .anonymous(sandbox.berth())
        .args(["tags", "rm", &hub.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("needs credentials"), "{stderr}");
    assert!(
        stderr.contains("\nhint: give Docker Hub credentials"),
        "{stderr}"
    );
    assert!(hub.fake.requests_to(Method::DELETE, "/").is_empty());
    assert_eq!(hub.repo.seeder.tags("acme/app"), ["a"]);
}

#[test]
fn a_wrong_password_is_refused_with_a_hint() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    let out = hub
        .anonymous(berth())
        .args(["--opt", "username=acme", "--opt", "password=wrong"])
        .args(["tags", "ls", &hub.repo.address])
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
    let login = hub.fake.requests_to(Method::POST, "/v2/auth/token");
    assert_eq!(login[0].status, 401);
}

#[test]
fn docker_config_credentials_log_in_to_the_hub() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    hub.repo.push("b", &Image::new().unique());
    let out = hub
        .anonymous(logged_in(
            &Sandbox::new(),
            &hub.registry.addr(),
            USER,
            PASSWORD,
        ))
        .args(["tags", "rm", &hub.repo.address, "a"])
        .run();
    out.success();
    assert_eq!(hub.repo.seeder.tags("acme/app"), ["b"]);
}

#[test]
fn an_access_token_refused_a_delete_says_what_would_work() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    hub.fake.access_token("acme", "dckr_pat_readwrite", false);
    let out = hub
        .anonymous(berth())
        .args(["--opt", "token=dckr_pat_readwrite"])
        .args(["tags", "rm", &hub.repo.address, "a"])
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
    assert_eq!(hub.repo.seeder.tags("acme/app"), ["a"]);

    // A token with the delete permission may.
    hub.fake.access_token("acme", "dckr_pat_delete", true);
    hub.anonymous(berth())
        .args(["--opt", "token=dckr_pat_delete"])
        .args(["tags", "rm", &hub.repo.address, "a"])
        .run()
        .success();
    assert!(hub.repo.seeder.tags("acme/app").is_empty());
    let logins = hub.fake.requests_to(Method::POST, "/v2/auth/token");
    assert!(logins.iter().all(|r| r.status == 200));
}

#[test]
fn rate_limits_are_waited_out() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    hub.fake.throttle(2, 1);
    let out = hub.berth().args(["tags", "ls", &hub.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let statuses: Vec<u16> = hub.fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..2], [429, 429]);
    assert!(statuses[2..].iter().all(|s| *s == 200), "{statuses:?}");
}

#[test]
fn a_long_rate_limit_is_reported_not_waited_for() {
    let hub = Hub::start();
    hub.repo.push("a", &Image::new().unique());
    hub.fake.throttle(100, 3600);
    let out = hub.berth().args(["tags", "ls", &hub.repo.address]).run();
    let stderr = out.failure();
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(stderr.contains("Rate limit exceeded"), "{stderr}");
    assert!(
        stderr.contains("\nhint: the registry asks to wait"),
        "{stderr}"
    );
    assert_eq!(hub.fake.requests().len(), 1);
}
