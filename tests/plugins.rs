//! Plugin discovery: built-ins, drop-ins that replace them, pins.

use crate::support::{Proxy, Registry, RegistryOptions, Sandbox, berth};
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

/// The `probe-x` fixture: it declares that name, and lists tags with the
/// token `BERTH_PROBE_X_TOKEN` gives it.
fn probe_x_wasm() -> Vec<u8> {
    crate::support::built_plugin("berth_plugin_probe_x.wasm")
}

#[test]
fn a_drop_in_is_named_by_what_it_declares() {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 2);
    let proxy = Proxy::start(&registry.url());
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = probe_x_wasm();
    let file = dir.join("berth_plugin_probe_x.wasm");
    std::fs::write(&file, &wasm).unwrap();
    let dir_arg = dir.to_str().unwrap();

    let out = sandbox
        .berth()
        .env("BERTH_PROBE_X_TOKEN", "probe-token-123")
        .args(["--plugin-dir", dir_arg, "--provider", "probe-x"])
        .args(["tags", "ls", &format!("{}/app", proxy.addr())])
        .run();
    assert_eq!(out.success().sorted_lines(), ["tag-0000", "tag-0001"]);
    let listed = proxy.seen();
    assert!(
        listed.iter().any(|r| r.route() == "/v2/app/tags/list"
            && r.authorization.as_deref() == Some("Bearer probe-token-123")),
        "the plugin's own token was sent: {listed:?}"
    );

    // Columns: name, version, API, source, sha256 (12), address patterns.
    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir_arg, "plugins", "ls"])
        .run();
    let text = out.success().stdout_str();
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("probe-x "))
        .unwrap_or_else(|| panic!("no probe-x row: {text}"))
        .split_whitespace()
        .collect();
    let sha = hex::encode(Sha256::digest(&wasm));
    assert_eq!(
        row,
        [
            "probe-x",
            "0.1.0",
            "api",
            "0.3.0",
            file.to_str().unwrap(),
            &sha[..12]
        ]
    );
    assert!(
        !text.lines().any(|l| l.starts_with("berth_plugin_probe_x")),
        "not named by its file: {text}"
    );

    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir_arg, "plugins", "info", "probe-x"])
        .run();
    let text = out.success().stdout_str();
    let catalog = dir.join("plugin-registry.toml");
    assert!(
        text.contains(&format!(
            "catalog:       none (an entry in {} would list it)",
            catalog.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "token          bearer token for the registry (secret) [env: BERTH_PROBE_X_TOKEN]"
        ),
        "{text}"
    );
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir_arg,
            "plugins",
            "info",
            "probe-x",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["catalog"], serde_json::Value::Null);
}

#[test]
fn two_drop_ins_that_claim_one_name_are_both_refused() {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = probe_x_wasm();
    let (one, two) = (dir.join("one.wasm"), dir.join("two.wasm"));
    std::fs::write(&one, &wasm).unwrap();
    std::fs::write(&two, &wasm).unwrap();
    let dir_arg = dir.to_str().unwrap();
    let both = format!(
        "{} and {} both claim the name probe-x",
        one.display(),
        two.display()
    );

    let out = sandbox
        .berth()
        .env("BERTH_PROBE_X_TOKEN", "probe-token-123")
        .args(["--plugin-dir", dir_arg, "--provider", "probe-x"])
        .args(["tags", "ls", "127.0.0.1:9/app"])
        .run();
    let err = out.failure();
    assert!(
        err.contains(&format!("berth: error: plugin probe-x refused: {both}")),
        "{err}"
    );

    // Both are listed, neither usable.
    let out = sandbox
        .berth()
        .args(["--plugin-dir", dir_arg, "plugins", "ls"])
        .run();
    let err = out.failure();
    assert_eq!(err.matches(&both).count(), 2, "{err}");
    let rows: Vec<String> = out
        .stdout_str()
        .lines()
        .filter(|l| l.starts_with("probe-x "))
        .map(String::from)
        .collect();
    assert_eq!(rows.len(), 2, "{}", out.stdout_str());
    for (row, file) in rows.iter().zip([&one, &two]) {
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            columns[..5],
            ["probe-x", "?", "api", "?", file.to_str().unwrap()]
        );
    }
}
