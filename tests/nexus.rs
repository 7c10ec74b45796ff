//! The `nexus` provider: found by the `Server: Nexus/...` header on
//! `GET /v2/`, then the OCI API; a tag goes only by the throwaway untag
//! (never a manifest delete by tag, never the shared manifest), against a
//! thin Nexus front on real distribution that refuses a delete by tag.

use crate::support::fakes::branded::{Branded, NEXUS};
use crate::support::{Image, Method, Registry, RegistryOptions, berth};
use serde_json::json;

const REPO: &str = "team/app";

fn start() -> (Registry, Branded) {
    let registry = Registry::start(RegistryOptions::default());
    let fake = Branded::start(&registry, NEXUS, true);
    (registry, fake)
}

#[test]
fn detects_nexus_by_its_server_header() {
    for (address, expected) in [
        ("nexus.example.com/team/app", "default"),
        ("nexus.example.com:8443/team/app", "default"),
    ] {
        let out = berth()
            .args(["detect", "--no-probe", address, "-o", "json"])
            .run();
        assert_eq!(out.success().json()["provider"], expected, "{address}");
    }
    let (_registry, fake) = start();
    let out = berth()
        .args(["detect", &format!("{}/{REPO}", fake.addr()), "-o", "json"])
        .run();
    let v = out.success().json();
    assert_eq!(v["provider"], "nexus");
    assert_eq!(v["method"], "probe");
    assert_eq!(v["repository"], REPO);
    let seen: Vec<_> = fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(seen, [(Method::GET, "/v2/".to_string())]);
}

#[test]
fn lists_removes_one_tag_and_pushes() {
    let (registry, fake) = start();
    let seeder = registry.seeder();
    let shared = seeder.push_image(REPO, "a", &Image::new().unique());
    seeder.tag(REPO, "a", "b");
    seeder.tag(REPO, "a", "c");
    let other = seeder.push_image(REPO, "other", &Image::new().unique());
    let repo = format!("{}/{REPO}", fake.addr());

    // Detected by probe, no --provider.
    let out = berth().args(["tags", "ls", &repo, "-o", "json"]).run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], "nexus");
    let mut names: Vec<&str> = listing["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c", "other"]);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path == format!("/v2/{REPO}/tags/list?n=1000") && r.status == 200)
    );

    fake.clear_requests();
    let out = berth()
        .args([
            "--provider",
            "nexus",
            "tags",
            "rm",
            &repo,
            "a",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a"]));
    assert_eq!(seeder.tags(REPO), ["b", "c", "other"]);
    assert_eq!(seeder.digest(REPO, "b").unwrap(), shared.digest);
    assert_eq!(seeder.digest(REPO, "c").unwrap(), shared.digest);
    assert_eq!(seeder.digest(REPO, "other").unwrap(), other.digest);
    // One delete, by the digest of a throwaway: never by tag, never the
    // shared manifest.
    let deletes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .map(|r| (r.path, r.status))
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    let (path, status) = &deletes[0];
    assert_eq!(*status, 202);
    let digest = path
        .strip_prefix(&format!("/v2/{REPO}/manifests/"))
        .unwrap();
    assert!(digest.starts_with("sha256:"), "{path}");
    assert_ne!(digest, shared.digest);
    assert_ne!(digest, other.digest);

    // manifest put
    let got = berth()
        .args([
            "--provider",
            "nexus",
            "manifest",
            "get",
            &format!("{repo}:other"),
        ])
        .run();
    let bytes = got.success().stdout.clone();
    let out = berth()
        .args([
            "--provider",
            "nexus",
            "manifest",
            "put",
            &format!("{repo}:copy"),
            "-",
        ])
        .stdin(bytes)
        .run();
    assert_eq!(out.success().stdout_str().trim(), other.digest);
    assert_eq!(seeder.digest(REPO, "copy").unwrap(), other.digest);
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let (registry, fake) = start();
    let seeder = registry.seeder();
    seeder.push_image(REPO, "old", &Image::new().unique().created_days_ago(40));
    seeder.push_image(REPO, "new", &Image::new().unique().created_days_ago(2));
    let out = berth()
        .args([
            "--provider",
            "nexus",
            "cleanup",
            &format!("{}/{REPO}", fake.addr()),
            "--older-than",
            "30d",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["old"]));
    assert_eq!(report["kept"], json!([{"tag": "new", "reason": "newer"}]));
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.method == Method::GET || r.method == Method::HEAD)
    );
    assert_eq!(seeder.tags(REPO), ["new", "old"]);
}
