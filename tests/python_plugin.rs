//! A provider written in Python (examples/python-plugin, built with
//! componentize-py) dropped into a plugin directory and run against a real
//! registry: the contract is language-neutral.

use crate::support::{Image, Registry, RegistryOptions, Sandbox};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The first run compiles an 18 MB component (CPython inside) to native code.
const COLD_TIMEOUT: Duration = Duration::from_secs(600);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where built plugins are kept between runs, by the hash of their inputs.
fn work_dir() -> PathBuf {
    crate::support::target_dir().join("python-plugin")
}

fn inputs_hash() -> String {
    let mut hasher = Sha256::new();
    for file in [
        "examples/python-plugin/app.py",
        "examples/python-plugin/build.sh",
        "wit/0.1.0/provider.wit",
    ] {
        hasher.update(file.as_bytes());
        hasher.update(std::fs::read(root().join(file)).expect("read a build input"));
    }
    hex::encode(&hasher.finalize()[..12])
}

/// pip's words when it could not reach the package registry.
fn registry_unreachable(pip_output: &str) -> bool {
    [
        "NewConnectionError",
        "Max retries exceeded",
        "Temporary failure in name resolution",
        "Network is unreachable",
        "ConnectTimeoutError",
    ]
    .iter()
    .any(|s| pip_output.contains(s))
}

/// `pyoci.wasm`, built by the example's build.sh unless a build of the same
/// inputs is kept. `None` (the test skips) only outside CI, when
/// componentize-py could not be installed for want of the package registry.
fn pyoci_wasm() -> Option<PathBuf> {
    let work = work_dir();
    let wasm = work.join(inputs_hash()).join("pyoci.wasm");
    if wasm.exists() {
        return Some(wasm);
    }
    std::fs::create_dir_all(&work).unwrap();
    let out = tempfile::tempdir_in(&work).unwrap();
    let mut build = Command::new("bash");
    build
        .arg(root().join("examples/python-plugin/build.sh"))
        .arg(out.path());
    // CI installs componentize-py and names it; else build.sh keeps a venv here.
    let given = std::env::var_os("BERTH_COMPONENTIZE_PY");
    match &given {
        Some(tool) => build.env("COMPONENTIZE_PY", tool),
        None => build.env("VENV", work.join("venv")),
    };
    let started = Instant::now();
    let result = build.output().expect("run examples/python-plugin/build.sh");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    if result.status.code() == Some(3)
        && given.is_none()
        && std::env::var_os("CI").is_none()
        && registry_unreachable(&log)
    {
        eprintln!(
            "SKIPPED python_plugin: componentize-py cannot be installed, the package registry is unreachable:\n{log}"
        );
        return None;
    }
    assert!(result.status.success(), "build.sh failed:\n{log}");
    eprintln!("built pyoci.wasm in {:.1?}:\n{log}", started.elapsed());
    std::fs::create_dir_all(wasm.parent().unwrap()).unwrap();
    std::fs::rename(out.path().join("pyoci.wasm"), &wasm).unwrap();
    Some(wasm)
}

/// A sandbox whose plugin directory holds only `pyoci.wasm`.
fn sandbox_with(wasm: &Path) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(wasm, dir.join("pyoci.wasm")).unwrap();
    let dir = dir.to_str().unwrap().to_string();
    (sandbox, dir)
}

#[test]
fn python_provider_serves_a_real_registry() {
    let Some(wasm) = pyoci_wasm() else { return };
    let (sandbox, dir) = sandbox_with(&wasm);
    let berth = |args: &[&str]| {
        sandbox
            .berth()
            .args(["--plugin-dir", &dir, "--provider", "pyoci"])
            .args(args)
    };

    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let shared = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    let own = seeder.push_image("app", "c", &Image::new().unique());
    let repo = format!("{}/app", registry.addr());

    // Cold: berth compiles the component and keeps it in its cache.
    let started = Instant::now();
    let out = berth(&["-vv", "tags", "ls", &repo])
        .timeout(COLD_TIMEOUT)
        .run();
    let cold = started.elapsed();
    let mut tags: Vec<String> = out
        .success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect();
    tags.sort();
    assert_eq!(tags, ["a", "b", "c"]);
    assert!(
        out.stderr_str().contains("pyoci: 3 tags of app"),
        "the Python code ran and logged through the host:\n{}",
        out.stderr_str()
    );
    let started = Instant::now();
    berth(&["tags", "ls", &repo]).run().success();
    eprintln!(
        "berth tags ls with pyoci: cold {cold:.1?}, warm {:.1?}",
        started.elapsed()
    );

    // Bytes as stored, and a registry error carried back as an error.
    let got = berth(&["manifest", "get", &format!("{repo}:c")]).run();
    assert_eq!(
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(&got.success().stdout))
        ),
        own.digest
    );
    let missing = berth(&["manifest", "get", &format!("{repo}:nope")]).run();
    assert_eq!(missing.code(), 1, "{}", missing.stderr_str());
    assert!(
        missing.stderr_str().contains("MANIFEST_UNKNOWN"),
        "{}",
        missing.stderr_str()
    );

    // Push through the plugin: the same manifest under a new tag.
    let put = berth(&["manifest", "put", &format!("{repo}:d")])
        .stdin(got.stdout.clone())
        .run();
    assert_eq!(put.success().stdout_str().trim(), own.digest);
    assert_eq!(seeder.digest("app", "d").unwrap(), own.digest);

    // One of two tags on a manifest: untagged, the other keeps its digest.
    let rm = berth(&["-vv", "tags", "rm", &repo, "a"]).run();
    assert_eq!(rm.success().stdout_str(), "deleted a\n");
    assert!(rm.stderr_str().contains("pyoci: untagging a"));
    assert_eq!(seeder.tags("app"), ["b", "c", "d"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), shared.digest);

    // Every tag of a manifest: deleted by digest, others untouched.
    let rm = berth(&["-vv", "tags", "rm", &repo, "c", "d"]).run();
    assert_eq!(rm.success().stdout_str(), "deleted c\ndeleted d\n");
    let log = rm.stderr_str();
    assert!(!log.contains("pyoci: untagging"), "{log}");
    assert!(
        log.contains(&format!(
            "DELETE {}/v2/app/manifests/{}",
            registry.url(),
            own.digest
        )),
        "{log}"
    );
    assert_eq!(seeder.tags("app"), ["b"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), shared.digest);

    let info = sandbox
        .berth()
        .args([
            "--plugin-dir",
            &dir,
            "plugins",
            "info",
            "pyoci",
            "-o",
            "json",
        ])
        .run();
    let info = info.success().json();
    assert_eq!(info["name"], "pyoci");
    assert_eq!(info["version"], "0.1.0");
    assert_eq!(
        info["capabilities"],
        serde_json::json!(["list-tags", "delete-tag", "get-manifest", "push-manifest"])
    );
    assert_eq!(
        info["sha256"],
        hex::encode(Sha256::digest(std::fs::read(&wasm).unwrap()))
    );
}
