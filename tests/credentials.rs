//! Where credentials go and what the logs show of them: tokens from a token
//! server on another port than the registry, a foreign host's challenge left
//! unanswered, and secrets in URLs redacted at `-vv`.

use crate::support::fakes::challenge::Challenger;
use crate::support::login::docker_config;
use crate::support::{Image, Registry, RegistryOptions, Sandbox, TokenRegistry, User};

const PASSWORD: &str = "wonder-land-1865";

fn seeded() -> TokenRegistry {
    let registry = TokenRegistry::start([User::new("alice", PASSWORD)]);
    registry
        .seeder()
        .push_image("app", "a", &Image::new().unique());
    registry
}

/// A sandbox whose plugin directory holds the hostile fixture plugin,
/// granted `hosts` in its catalog entry, and whose docker config logs in
/// as alice to each of `logins`.
fn hostile_sandbox(hosts: &[&str], logins: &[&str]) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hostile.wasm"),
        crate::support::built_plugin("berth_plugin_hostile.wasm"),
    )
    .unwrap();
    let hosts: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    std::fs::write(
        dir.join("plugin-registry.toml"),
        format!(
            "[[plugin]]\nname = \"hostile\"\nfile = \"hostile.wasm\"\nhosts = [{}]\n",
            hosts.join(", ")
        ),
    )
    .unwrap();
    let config = sandbox.home().join(".docker");
    let auths: serde_json::Map<String, serde_json::Value> = logins
        .iter()
        .map(|host| {
            let auth = serde_json::json!({"username": "alice", "password": PASSWORD});
            (host.to_string(), auth)
        })
        .collect();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        serde_json::json!({ "auths": auths }).to_string(),
    )
    .unwrap();
    (sandbox, dir.to_str().unwrap().to_string())
}

/// `berth -vv` running the hostile plugin's `peer` mode: one GET of
/// `{peer}/v2/` on behalf of `repo`.
fn peer_request(sandbox: &Sandbox, dir: &str, peer: &str, repo: &str) -> crate::support::Output {
    sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir,
            "--provider",
            "hostile",
            "--timeout",
            "5s",
        ])
        .args(["--opt", "mode=peer", "--opt", &format!("peer={peer}")])
        .args(["-vv", "tags", "ls", repo])
        .run()
}

#[test]
fn a_token_server_on_another_port_serves_the_registry_and_is_logged() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    docker_config(
        &sandbox.home().join(".docker"),
        &registry.registry.addr(),
        "alice",
        PASSWORD,
    );
    let out = sandbox
        .berth()
        .args([
            "-v",
            "tags",
            "ls",
            &format!("{}/app", registry.registry.addr()),
        ])
        .run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let err = out.stderr_str();
    let logged = format!(
        "berth: info: token for {} from {} (scope repository:app:pull)",
        registry.registry.addr(),
        registry.token.realm()
    );
    assert!(err.contains(&logged), "{err}");
    assert!(!err.contains(PASSWORD), "{err}");
    let requests = registry.token.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].user.as_deref(), Some("alice"));
}

/// A plugin reaches a granted API that is not the registry and answers
/// 401 with a Bearer challenge naming a realm: nobody asks that realm for a
/// token, with the registry's credentials or any other.
#[test]
fn a_bearer_challenge_from_a_non_registry_host_gets_no_credentials() {
    let registry = seeded();
    let foreign = Challenger::start(&format!(
        r#"Bearer realm="{}",service="berth-test-registry""#,
        registry.token.realm()
    ));
    let target = registry.registry.addr();
    let (sandbox, dir) = hostile_sandbox(&[&foreign.addr()], &[&target, &foreign.addr()]);
    let out = peer_request(
        &sandbox,
        &dir,
        &format!("http://{}", foreign.addr()),
        &format!("{target}/app"),
    );
    let err = out.failure();
    assert!(
        err.contains(&format!("HTTP GET http://{}/v2/ -> 401", foreign.addr())),
        "the plugin's request went out: {err}"
    );
    let asked = registry.token.requests();
    assert!(asked.is_empty(), "the realm was asked: {asked:?}");
    assert!(!err.contains(PASSWORD), "{err}");
}

/// `?access_token=` in a request URL shows as `<redacted>` in the `-vv`
/// log and in an error message naming the URL.
#[test]
fn secrets_in_request_urls_are_redacted_in_logs_and_errors() {
    let registry = Registry::start(RegistryOptions::default());
    let addr = registry.addr();
    let (sandbox, dir) = hostile_sandbox(&["127.0.0.1:1"], &[]);
    // The plugin appends `/v2/` to the peer, which `x=` absorbs.
    let peer = format!("http://{addr}/v2/?access_token=s3cret&x=");
    let out = peer_request(&sandbox, &dir, &peer, &format!("{addr}/app"));
    let err = out.success().stderr_str();
    let logged = format!("HTTP GET http://{addr}/v2/?access_token=<redacted>&x=/v2/ -> 200");
    assert!(err.contains(&logged), "{err}");
    assert!(!err.contains("s3cret"), "{err}");

    let unreachable = "http://127.0.0.1:1/v2/?access_token=s3cret&x=";
    let out = peer_request(&sandbox, &dir, unreachable, &format!("{addr}/app"));
    let err = out.failure();
    assert!(
        err.contains("berth: error: ")
            && err.contains("http://127.0.0.1:1/v2/?access_token=<redacted>&x=/v2/"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}
