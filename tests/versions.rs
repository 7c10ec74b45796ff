//! Plugin API versions: plugins built for 0.1.0 and 0.2.0
//! (plugins/fixtures/v0_1 and v0_2, straight from their WIT) serve beside
//! the 0.3.0 built-ins, and a plugin built for an API this berth does not
//! know is refused before it runs.

use crate::support::{Image, Proxy, Registry, RegistryOptions, Sandbox};

fn plugin_wasm(file: &str) -> Vec<u8> {
    crate::support::built_plugin(file)
}

/// A sandbox whose plugin directory holds `name.wasm`.
fn with_drop_in(name: &str, wasm: &[u8]) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.wasm")), wasm).unwrap();
    (sandbox, dir.to_str().unwrap().to_string())
}

fn fixture() -> (Sandbox, String) {
    with_drop_in("fixture-v02", &plugin_wasm("berth_plugin_fixture_v02.wasm"))
}

#[test]
fn a_0_2_0_plugin_lists_and_removes_tags() {
    let (sandbox, dir) = fixture();
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let image = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    let repo = format!("{}/app", registry.addr());
    let run = |args: &[&str]| {
        sandbox
            .berth()
            .args(["--plugin-dir", &dir, "--provider", "fixture-v02"])
            .args(args)
            .run()
    };

    let listed = run(&["tags", "ls", &repo, "-o", "json"]);
    let listed = listed.success().json();
    assert_eq!(listed["provider"], "fixture-v02");
    let mut names: Vec<&str> = listed["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a", "b"]);

    let removed = run(&["-v", "tags", "rm", &repo, "a", "-o", "json"]);
    let report = removed.success().json();
    assert_eq!(report["deleted"], serde_json::json!(["a"]));
    assert_eq!(report["failed"], serde_json::json!([]));
    // The removal went through the 0.2.0 export, and its log import.
    assert!(
        removed
            .stderr_str()
            .contains("plugin fixture-v02 0.1.0: delete-tags with 1 entries"),
        "{}",
        removed.stderr_str()
    );
    assert_eq!(seeder.tags("app"), ["b"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), image.digest);

    let plugins = sandbox
        .berth()
        .args(["--plugin-dir", &dir, "plugins", "ls", "-o", "json"])
        .run();
    let plugins = plugins.success().json();
    let api = |name: &str| {
        plugins
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))["api"]
            .clone()
    };
    assert_eq!(api("fixture-v02"), "0.2.0");
    assert_eq!(api("default"), "0.3.0");
}

#[test]
fn a_0_1_0_plugin_lists_and_removes_tags() {
    let (sandbox, dir) = with_drop_in("fixture-v01", &plugin_wasm("berth_plugin_fixture_v01.wasm"));
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let image = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    let proxy = Proxy::start(&registry.url());
    let repo = format!("{}/app", proxy.addr());
    let run = |args: &[&str]| {
        sandbox
            .berth()
            .args(["--plugin-dir", &dir, "--provider", "fixture-v01"])
            .args(args)
            .run()
    };

    let listed = run(&["tags", "ls", &repo]);
    assert_eq!(listed.success().sorted_lines(), ["a", "b"]);
    let removed = run(&["tags", "rm", &repo, "a", "-o", "json"]);
    let report = removed.success().json();
    assert_eq!(report["deleted"], serde_json::json!(["a"]));
    assert_eq!(seeder.tags("app"), ["b"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), image.digest);

    let info = run(&["plugins", "info", "fixture-v01", "-o", "json"]);
    assert_eq!(info.success().json()["api"], "0.1.0");
    // A 0.1.0 plugin cannot declare what later APIs added: such a command
    // is refused before any request, naming the plugin and what it lacks.
    proxy.clear_requests();
    let refused = run(&["cp", &format!("{repo}:b"), &format!("{repo}:c")]);
    let stderr = refused.failure();
    assert!(stderr.contains("plugin fixture-v01"), "{stderr}");
    assert!(stderr.contains("pull-blobs"), "{stderr}");
    assert_eq!(proxy.requests().len(), 0);
}

#[test]
fn a_0_2_0_plugin_removes_many_tags_in_one_call() {
    let (sandbox, dir) = fixture();
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "x", &Image::new().unique());
    seeder.push_image("app", "y", &Image::new().unique());
    seeder.push_image("app", "z1", &Image::new().unique());
    seeder.tag("app", "z1", "z2");
    let keep = seeder.push_image("app", "keep", &Image::new().unique());
    let repo = format!("{}/app", registry.addr());

    let removed = sandbox
        .berth()
        .args(["--plugin-dir", &dir, "--provider", "fixture-v02", "-v"])
        .args(["tags", "rm", &repo, "x", "y", "z1", "z2", "-o", "json"])
        .run();
    let report = removed.success().json();
    let mut deleted: Vec<&str> = report["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    deleted.sort();
    assert_eq!(deleted, ["x", "y", "z1", "z2"]);
    assert_eq!(report["failed"], serde_json::json!([]));
    let stderr = removed.stderr_str();
    assert_eq!(stderr.matches("delete-tags with").count(), 1, "{stderr}");
    assert!(stderr.contains("delete-tags with 4 entries"), "{stderr}");
    assert_eq!(seeder.tags("app"), ["keep"]);
    assert_eq!(seeder.digest("app", "keep").unwrap(), keep.digest);
}

#[test]
fn an_unknown_api_version_is_refused_before_it_runs() {
    const EXPORT: &[u8] = b"berth:provider/provider@0.3.0";
    const CLAIMED: &[u8] = b"berth:provider/provider@9.9.9";
    let mut wasm = plugin_wasm("berth_plugin_default.wasm");
    let mut patched = 0;
    let mut at = 0;
    while let Some(found) = wasm[at..].windows(EXPORT.len()).position(|w| w == EXPORT) {
        let start = at + found;
        wasm[start..start + EXPORT.len()].copy_from_slice(CLAIMED);
        patched += 1;
        at = start + EXPORT.len();
    }
    assert!(patched > 0, "the default plugin names its export");
    let (sandbox, dir) = with_drop_in("future", &wasm);
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 1);

    let out = sandbox
        .berth()
        .args(["--plugin-dir", &dir, "--provider", "future"])
        .args(["tags", "ls", &format!("{}/app", registry.addr())])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    // The component parsed: the refusal is about the version, not the bytes.
    assert!(
        stderr.contains(
            "plugin future refused: it was built for berth plugin API 9.9.9; \
             this berth supports 0.1.0 to 0.3.0"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("not a valid WebAssembly component"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(stderr.contains("supported API"), "{stderr}");

    // Built-ins, all 0.3.0, are unaffected.
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            &dir,
            "plugins",
            "info",
            "default",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["api"], "0.3.0");
}
