//! A provider written outside berth's tree: `berth plugins new`, plain
//! cargo, a drop-in directory, and no rebuild of berth.

use crate::support::{Image, Registry, RegistryOptions, Sandbox, target_dir};
use std::process::Command;

#[test]
fn a_plugin_from_the_template_builds_and_serves() {
    let sandbox = Sandbox::new();
    let work = sandbox.home().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let out = sandbox
        .berth()
        .args(["plugins", "new", "acme", "--dir", work.to_str().unwrap()])
        .run();
    assert!(out.success().stdout_str().contains("created"));

    // Plain cargo, sharing the compiled dependencies of berth's own plugins.
    let crate_dir = work.join("acme");
    let plugins_target = target_dir().join("plugins");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &plugins_target)
        .status()
        .unwrap();
    assert!(status.success(), "the template builds");
    let wasm = plugins_target.join("wasm32-wasip2/release/berth_plugin_acme.wasm");
    let drop_in = sandbox.home().join("plugins");
    std::fs::create_dir_all(&drop_in).unwrap();
    std::fs::copy(&wasm, drop_in.join("acme.wasm")).unwrap();
    let dir = drop_in.to_str().unwrap();

    let info = sandbox
        .berth()
        .args(["--plugin-dir", dir, "plugins", "info", "acme", "-o", "json"])
        .run();
    let info = info.success().json();
    assert_eq!(info["name"], "acme");
    assert_eq!(info["api"], "0.3.0");
    assert_eq!(info["options"][0]["name"], "token");
    assert_eq!(info["options"][0]["env"], "BERTH_ACME_TOKEN");

    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "v1", &Image::new().unique());
    seeder.tag("app", "v1", "v2");
    let repo = format!("{}/app", registry.addr());
    let listed = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir,
            "--provider",
            "acme",
            "tags",
            "ls",
            &repo,
            "-o",
            "json",
        ])
        .run();
    assert_eq!(listed.success().json()["provider"], "acme");
    let removed = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir,
            "--provider",
            "acme",
            "tags",
            "rm",
            &repo,
            "v1",
        ])
        .run();
    removed.success();
    assert_eq!(seeder.tags("app"), ["v2"]);
}

#[test]
fn template_refuses_bad_names_and_existing_dirs() {
    let sandbox = Sandbox::new();
    let out = sandbox.berth().args(["plugins", "new", "Bad_Name"]).run();
    assert_eq!(out.code(), 2);
    std::fs::create_dir_all(sandbox.home().join("taken")).unwrap();
    let out = sandbox.berth().args(["plugins", "new", "taken"]).run();
    assert_eq!(out.code(), 2);
    assert!(out.stderr_str().contains("already exists"));
}
