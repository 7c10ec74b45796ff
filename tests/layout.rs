//! The `oci-layout` provider on a temporary directory: nothing outside it is
//! touched, and only the named index entries go.

use crate::support::{Sandbox, berth};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn make_layout(dir: &Path) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/make-layout.sh");
    let status = std::process::Command::new("bash")
        .arg(script)
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every file under `dir` with its modification time and size.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (SystemTime, u64)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files.insert(entry.path(), (meta.modified().unwrap(), meta.len()));
            }
        }
    }
    files
}

fn tags(sandbox: &Sandbox, address: &str) -> Vec<String> {
    let out = sandbox.berth().args(["tags", "ls", address]).run();
    out.success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn remove_one_of_two_tags_on_a_manifest() {
    let sandbox = Sandbox::new();
    let root = sandbox.home().join("area");
    let layout = root.join("layout");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("neighbour.txt"), "untouched").unwrap();
    make_layout(&layout);
    let address = format!("oci:{}", layout.display());
    let before = tags(&sandbox, &address);
    assert!(before.contains(&"latest".to_string()) && before.contains(&"v1.3.0".to_string()));
    let outside = snapshot(&root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(&layout))
        .collect::<Vec<_>>();

    let digest_of = |tag: &str| {
        let out = sandbox
            .berth()
            .args(["manifest", "get", &format!("{address}:{tag}"), "-o", "json"])
            .run();
        out.success().json()["digest"].clone()
    };
    let shared = digest_of("v1.3.0");
    assert_eq!(digest_of("latest"), shared);

    let out = sandbox
        .berth()
        .args(["tags", "rm", &address, "latest", "-o", "json"])
        .run();
    assert_eq!(
        out.success().json()["deleted"],
        serde_json::json!(["latest"])
    );
    let after = tags(&sandbox, &address);
    let expected: Vec<String> = before.into_iter().filter(|t| t != "latest").collect();
    assert_eq!(after, expected);
    assert_eq!(digest_of("v1.3.0"), shared);

    let outside_after = snapshot(&root)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(&layout))
        .collect::<Vec<_>>();
    assert_eq!(outside, outside_after, "nothing outside the layout changed");
}

#[test]
fn cleanup_dry_run_on_the_example_changes_nothing() {
    let sandbox = Sandbox::new();
    let layout = sandbox.home().join("layout");
    make_layout(&layout);
    let before = snapshot(&layout);
    let out = berth()
        .args([
            "cleanup",
            &format!("oci:{}", layout.display()),
            "--keep-last",
            "3",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert!(!report["deleted"].as_array().unwrap().is_empty());
    assert_eq!(report["provider"], "oci-layout");
    assert_eq!(snapshot(&layout), before);
}

#[test]
fn push_into_a_layout_and_read_it_back() {
    let sandbox = Sandbox::new();
    let layout = sandbox.home().join("layout");
    make_layout(&layout);
    let address = format!("oci:{}", layout.display());
    let original = sandbox
        .berth()
        .args(["manifest", "get", &format!("{address}:v1.0.0")])
        .run();
    let bytes = original.success().stdout.clone();
    let out = sandbox
        .berth()
        .args(["manifest", "put", &format!("{address}:copy")])
        .stdin(bytes.clone())
        .run();
    out.success();
    let copy = sandbox
        .berth()
        .args(["manifest", "get", &format!("{address}:copy")])
        .run();
    assert_eq!(copy.success().stdout, bytes);
}

#[test]
fn not_a_layout_is_not_found() {
    let sandbox = Sandbox::new();
    let empty = sandbox.home().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = sandbox
        .berth()
        .args(["tags", "ls", &format!("oci:{}", empty.display())])
        .run();
    assert_eq!(out.code(), 1);
    assert!(
        out.stderr_str().contains("not an OCI image layout"),
        "{}",
        out.stderr_str()
    );
}
