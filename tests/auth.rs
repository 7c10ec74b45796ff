//! Credentials: docker config, credential helpers, Bearer tokens from a real
//! token server that distribution verifies.

use crate::support::login::{docker_config, logged_in};
use crate::support::{Image, Output, Sandbox, TokenRegistry, User};

fn seeded() -> TokenRegistry {
    let registry = TokenRegistry::start([User::new("alice", "wonder")]);
    let seeder = registry.seeder();
    for tag in ["a", "b", "c"] {
        seeder.push_image("app", tag, &Image::new().unique());
    }
    registry
}

fn app(registry: &TokenRegistry) -> String {
    format!("{}/app", registry.registry.addr())
}

/// `berth -vv tags ls` of `app` with a docker login as alice, in the
/// config's default place (`~/.docker`).
fn verbose_list(registry: &TokenRegistry, password: &str) -> Output {
    let sandbox = Sandbox::new();
    let config = sandbox.home().join(".docker");
    docker_config(&config, &registry.registry.addr(), "alice", password);
    sandbox
        .berth()
        .args(["-vv", "tags", "ls", &app(registry)])
        .run()
}

#[test]
fn bearer_token_from_docker_config_and_one_token_request() {
    let registry = seeded();
    let out = logged_in(
        &Sandbox::new(),
        &registry.registry.addr(),
        "alice",
        "wonder",
    )
    .args(["tags", "ls", &app(&registry)])
    .run();
    assert_eq!(out.success().sorted_lines(), ["a", "b", "c"]);
    let requests = registry.token.requests();
    assert_eq!(requests.len(), 1, "tokens are cached: {requests:?}");
    assert_eq!(requests[0].user.as_deref(), Some("alice"));
    assert_eq!(requests[0].scopes, ["repository:app:pull"]);
}

#[test]
fn docker_config_env_is_honoured() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    let config = sandbox.home().join("elsewhere");
    docker_config(&config, &registry.registry.addr(), "alice", "wonder");
    let out = sandbox
        .berth()
        .env("DOCKER_CONFIG", &config)
        .args(["tags", "ls", &app(&registry)])
        .run();
    out.success();
    assert_eq!(registry.token.requests()[0].user.as_deref(), Some("alice"));
}

#[test]
fn wrong_credentials_exit_1_with_a_hint_and_no_secret() {
    let registry = seeded();
    let out = verbose_list(&registry, "not-the-password");
    let err = out.failure();
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(err.contains("hint: log in with `docker login"), "{err}");
    assert!(!err.contains("not-the-password"), "secret leaked: {err}");
}

#[test]
fn anonymous_pull_is_refused_without_credentials() {
    let registry = seeded();
    let out = Sandbox::new()
        .berth()
        .args(["tags", "ls", &app(&registry)])
        .run();
    let err = out.failure();
    assert!(err.contains("unauthorized"), "{err}");
}

#[test]
fn credential_helper_on_path() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    let bin = sandbox.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-test");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\necho \"{\\\"ServerURL\\\":\\\"$server\\\",\\\"Username\\\":\\\"alice\\\",\\\"Secret\\\":\\\"wonder\\\"}\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = sandbox.home().join(".docker");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.json"), r#"{"credsStore":"test"}"#).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = sandbox
        .berth()
        .env("PATH", path)
        .args(["tags", "ls", &app(&registry)])
        .run();
    assert_eq!(out.success().sorted_lines(), ["a", "b", "c"]);
    assert_eq!(registry.token.requests()[0].user.as_deref(), Some("alice"));
}

#[test]
fn verbose_log_redacts_credentials() {
    let registry = seeded();
    let out = verbose_list(&registry, "wonder");
    let err = out.success().stderr_str();
    assert!(err.contains("HTTP GET"), "-vv logs requests: {err}");
    assert!(
        !err.contains("wonder") && !err.contains("Bearer ey"),
        "{err}"
    );
}
