//! `berth detect`: explicit, by address (no network), by probe, or default.

use crate::support::{Registry, RegistryOptions, berth};
use serde_json::json;

#[test]
fn loopback_registry_is_default() {
    let registry = Registry::start(RegistryOptions::default());
    let repo = format!("{}/x", registry.addr());
    let out = berth().args(["detect", &repo, "-o", "json"]).run();
    assert_eq!(
        out.success().json(),
        json!({"repo": repo, "registry": registry.addr(), "repository": "x", "provider": "default", "method": "default"})
    );
    let text = berth().args(["detect", &repo]).run();
    assert_eq!(text.success().stdout_str(), "default\n");
}

#[test]
fn localhost_5000_is_default_without_network() {
    // Nothing listens there in the test sandbox; --no-probe sends nothing.
    let out = berth()
        .args(["detect", "--no-probe", "localhost:5000/x", "-o", "json"])
        .run();
    let v = out.success().json();
    assert_eq!(v["provider"], "default");
    assert_eq!(v["method"], "default");
    assert_eq!(v["registry"], "localhost:5000");
}

#[test]
fn unreachable_registry_falls_back_to_default() {
    let out = berth()
        .args(["detect", "127.0.0.1:9/x", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["method"], "default");
}

#[test]
fn docker_hub_names_are_normalised() {
    let out = berth()
        .args(["detect", "--no-probe", "nginx", "-o", "json"])
        .run();
    let v = out.success().json();
    assert_eq!(v["repo"], "docker.io/library/nginx");
    assert_eq!(v["registry"], "docker.io");
    assert_eq!(v["repository"], "library/nginx");
    let out = berth()
        .args([
            "detect",
            "--no-probe",
            "index.docker.io/acme/app",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["repo"], "docker.io/acme/app");
}

#[test]
fn explicit_provider() {
    let out = berth()
        .args([
            "detect",
            "--provider",
            "default",
            "ghcr.io/acme/app",
            "-o",
            "json",
        ])
        .run();
    let v = out.success().json();
    assert_eq!(v["provider"], "default");
    assert_eq!(v["method"], "explicit");
    let out = berth()
        .env("BERTH_PROVIDER", "default")
        .args(["detect", "ghcr.io/acme/app", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["method"], "explicit");
}

#[test]
fn a_plain_registry_compiles_only_the_plugin_that_serves_it() {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 1);
    let sandbox = crate::support::Sandbox::new();
    let out = sandbox
        .berth()
        .args(["tags", "ls", &format!("{}/app", registry.addr())])
        .run();
    out.success();
    let compiled: Vec<_> = std::fs::read_dir(sandbox.cache_dir().join("berth/plugins"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert_eq!(
        compiled.len(),
        1,
        "no probe rule matched, so only default was compiled"
    );
}
