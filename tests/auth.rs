//! Credentials: docker config, credential helpers, Bearer tokens from a real
//! token server that distribution verifies.

use crate::support::{Image, Sandbox, TokenRegistry, User};
use base64::Engine;
use std::path::Path;

fn docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({"auths": {registry: {"auth": auth}}});
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

fn sorted_lines(text: String) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

fn seeded() -> TokenRegistry {
    let registry = TokenRegistry::start([User::new("alice", "wonder")]);
    let seeder = registry.seeder();
    for tag in ["a", "b", "c"] {
        seeder.push_image("app", tag, &Image::new().unique());
    }
    registry
}

#[test]
fn bearer_token_from_docker_config_and_one_token_request() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    let config = sandbox.home().join("docker");
    docker_config(&config, &registry.registry.addr(), "alice", "wonder");
    let out = sandbox
        .berth()
        .args(["--docker-config", config.to_str().unwrap()])
        .args(["tags", "ls", &format!("{}/app", registry.registry.addr())])
        .run();
    assert_eq!(sorted_lines(out.success().stdout_str()), ["a", "b", "c"]);
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
        .args(["tags", "ls", &format!("{}/app", registry.registry.addr())])
        .run();
    out.success();
    assert_eq!(registry.token.requests()[0].user.as_deref(), Some("alice"));
}

#[test]
fn wrong_credentials_exit_1_with_a_hint_and_no_secret() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    let config = sandbox.home().join(".docker");
    docker_config(
        &config,
        &registry.registry.addr(),
        "alice",
        "not-the-password",
    );
    let out = sandbox
        .berth()
        .args([
            "-vv",
            "tags",
            "ls",
            &format!("{}/app", registry.registry.addr()),
        ])
        .run();
    assert_eq!(out.code(), 1);
    let err = out.stderr_str();
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(err.contains("hint: log in with `docker login"), "{err}");
    assert!(!err.contains("not-the-password"), "secret leaked: {err}");
}

#[test]
fn anonymous_pull_is_refused_without_credentials() {
    let registry = seeded();
    let out = Sandbox::new()
        .berth()
        .args(["tags", "ls", &format!("{}/app", registry.registry.addr())])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_str().contains("unauthorized"),
        "{}",
        out.stderr_str()
    );
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
        .args(["tags", "ls", &format!("{}/app", registry.registry.addr())])
        .run();
    assert_eq!(sorted_lines(out.success().stdout_str()), ["a", "b", "c"]);
    assert_eq!(registry.token.requests()[0].user.as_deref(), Some("alice"));
}

#[test]
fn verbose_log_redacts_credentials() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    let config = sandbox.home().join(".docker");
    docker_config(&config, &registry.registry.addr(), "alice", "wonder");
    let out = sandbox
        .berth()
        .args([
            "-vv",
            "tags",
            "ls",
            &format!("{}/app", registry.registry.addr()),
        ])
        .run();
    let err = out.success().stderr_str();
    assert!(err.contains("HTTP GET"), "-vv logs requests: {err}");
    assert!(
        !err.contains("wonder") && !err.contains("Bearer ey"),
        "{err}"
    );
}
