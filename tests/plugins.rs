//! Plugin discovery: built-ins, drop-ins that replace them, pins.

use crate::support::{Registry, RegistryOptions, Sandbox, berth};
use sha2::{Digest, Sha256};

/// The built-in default plugin as the build produced it.
fn default_wasm() -> Vec<u8> {
    crate::support::built_plugin("berth_plugin_default.wasm")
}

#[test]
fn ls_shows_builtins_in_json() {
    let out = berth().args(["plugins", "ls", "-o", "json"]).run();
    let list = out.success().json();
    let default = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "default")
        .unwrap();
    assert_eq!(default["source"], "builtin");
    assert_eq!(default["api"], "0.3.0");
    assert_eq!(
        default["sha256"],
        hex::encode(Sha256::digest(default_wasm()))
    );
    for key in ["name", "version", "api", "source", "sha256", "hosts"] {
        assert!(default.get(key).is_some(), "{key}");
    }
}

#[test]
fn info_shows_capabilities_and_grants() {
    let out = berth()
        .args(["plugins", "info", "default", "-o", "json"])
        .run();
    let v = out.success().json();
    assert!(
        v["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "delete-tag")
    );
    assert_eq!(v["granted_hosts"][0], "the target registry");
    let text = berth().args(["plugins", "info", "default"]).run();
    assert!(text.success().stdout_str().contains("capabilities:"));
}

#[test]
fn drop_in_replaces_the_builtin() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("default.wasm"), default_wasm()).unwrap();
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir.to_str().unwrap(),
            "plugins",
            "ls",
            "-o",
            "json",
        ])
        .run();
    let list = out.success().json();
    let defaults: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "default")
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(
        defaults[0]["source"],
        dir.join("default.wasm").to_str().unwrap()
    );

    // And it serves requests.
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 2);
    let out = sandbox
        .berth()
        .env("BERTH_PLUGIN_DIR", &dir)
        .args(["tags", "ls", &format!("{}/app", registry.addr())])
        .run();
    assert_eq!(out.success().stdout_str().lines().count(), 2);
}

#[test]
fn tampered_pinned_plugin_is_refused() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = default_wasm();
    let pin = hex::encode(Sha256::digest(&wasm));
    std::fs::write(
        dir.join("plugin-registry.toml"),
        format!("[[plugin]]\nname = \"default\"\nfile = \"default.wasm\"\napi = \"0.1.0\"\nsha256 = \"{pin}\"\n"),
    )
    .unwrap();
    let mut tampered = wasm.clone();
    tampered.extend_from_slice(b"\0evil");
    std::fs::write(dir.join("default.wasm"), &tampered).unwrap();

    let dir_arg = dir.to_str().unwrap();
    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir_arg, "tags", "ls", "127.0.0.1:9/x"])
        .run();
    assert_eq!(out.code(), 1);
    let err = out.stderr_str();
    assert!(err.contains("refused") && err.contains(&pin), "{err}");
    assert!(err.contains("hint: "), "{err}");

    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir_arg, "plugins", "verify"])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stdout_str().contains("MISMATCH"),
        "{}",
        out.stdout_str()
    );

    // The untampered file passes.
    std::fs::write(dir.join("default.wasm"), &wasm).unwrap();
    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir_arg, "plugins", "verify"])
        .run();
    out.success();
}

#[test]
fn missing_plugin_dir_is_a_usage_error() {
    let out = berth()
        .args(["--plugin-dir", "/nonexistent/berth", "plugins", "ls"])
        .run();
    assert_eq!(out.code(), 2);
    assert!(out.stderr_str().contains("/nonexistent/berth"));
}

#[test]
fn bad_pattern_in_a_drop_in_catalog_is_a_usage_error() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("plugin-registry.toml"),
        "[[plugin]]\nname = \"mine\"\nfile = \"mine.wasm\"\n[plugin.probe]\nserver = '^(Mine'\n",
    )
    .unwrap();
    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir.to_str().unwrap(), "plugins", "ls"])
        .run();
    assert_eq!(out.code(), 2);
    let err = out.stderr_str();
    assert!(
        err.contains("plugin-registry.toml: plugin mine: invalid pattern \"^(Mine\""),
        "{err}"
    );
}
