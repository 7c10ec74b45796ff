//! The `nexus` provider: found by the `Server: Nexus/...` header on
//! `GET /v2/`, then the OCI API; a tag goes only by the throwaway untag
//! (never a manifest delete by tag, never the shared manifest), against a
//! thin Nexus front on real distribution that refuses a delete by tag.

use crate::support::fakes::branded::{Branded, NEXUS};
use crate::support::fakes::front::Seen;
use crate::support::scenarios::{
    Repo, assert_detected_by_address, assert_just_a_probe, branded_round_trip, detect_by_probe,
};
use crate::support::{BerthCommand, Method, Registry, RegistryOptions, berth};

const REPO: &str = "team/app";

fn start() -> (Registry, Branded, Repo) {
    let registry = Registry::start(RegistryOptions::default());
    let fake = Branded::start(&registry, NEXUS, true);
    let repo = Repo::new(&fake.addr(), REPO, registry.seeder());
    (registry, fake, repo)
}

fn nexus() -> BerthCommand {
    berth().args(["--provider", "nexus"])
}

#[test]
fn detects_nexus_by_its_server_header() {
    assert_detected_by_address(&[
        ("nexus.example.com/team/app", "default"),
        ("nexus.example.com:8443/team/app", "default"),
    ]);
    let (_registry, fake, repo) = start();
    let v = detect_by_probe(&repo.address, "nexus");
    assert_eq!(v["repository"], REPO);
    assert_just_a_probe(&fake.requests());
}

#[test]
fn lists_removes_one_tag_and_pushes() {
    let (_registry, fake, repo) = start();
    let seeded = branded_round_trip("nexus", &fake, &repo);
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
    assert_ne!(digest, seeded.shared);
    assert_ne!(digest, seeded.other);
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let (_registry, fake, repo) = start();
    repo.seed_dated();
    repo.cleanup_dry_run(nexus());
    assert!(fake.requests().iter().all(Seen::is_read));
}
