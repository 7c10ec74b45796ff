//! The `artifactory` provider: found by address (`*.jfrog.io`) or by the
//! headers Artifactory adds to `GET /v2/`, then the OCI API with the safe
//! untag, against a thin Artifactory front on real distribution.

use crate::support::fakes::branded::{ARTIFACTORY, Branded};
use crate::support::fakes::front::Seen;
use crate::support::scenarios::{
    Repo, assert_detected_by_address, assert_just_a_probe, branded_round_trip, detect_by_probe,
};
use crate::support::{BerthCommand, Method, Registry, RegistryOptions, berth};

const REPO: &str = "docker-local/team/app";

fn start() -> (Registry, Branded, Repo) {
    let registry = Registry::start(RegistryOptions::default());
    let fake = Branded::start(&registry, ARTIFACTORY, false);
    let repo = Repo::new(&fake.addr(), REPO, registry.seeder());
    (registry, fake, repo)
}

fn artifactory() -> BerthCommand {
    berth().args(["--provider", "artifactory"])
}

#[test]
fn detects_artifactory_by_address_and_by_its_headers() {
    assert_detected_by_address(&[
        ("acme.jfrog.io/docker-local/app", "artifactory"),
        ("acme-docker.jfrog.io/app", "artifactory"),
        ("jfrog.io.example.com/app", "default"),
    ]);
    let (_registry, fake, repo) = start();
    let v = detect_by_probe(&repo.address, "artifactory");
    // The repository key stays part of the path, as given.
    assert_eq!(v["repository"], REPO);
    assert_just_a_probe(&fake.requests());
}

#[test]
fn lists_removes_one_tag_and_pushes() {
    let (_registry, fake, repo) = start();
    let seeded = branded_round_trip("artifactory", &fake, &repo);
    // The shared manifest itself was never deleted.
    let deletes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .map(|r| r.path)
        .collect();
    assert!(!deletes.is_empty());
    assert!(
        deletes
            .iter()
            .all(|p| !p.ends_with(&seeded.shared)
                && p.starts_with(&format!("/v2/{REPO}/manifests/"))),
        "{deletes:?}"
    );
}

#[test]
fn cleanup_dry_run_uses_image_dates() {
    let (_registry, fake, repo) = start();
    repo.seed_dated();
    repo.cleanup_dry_run(artifactory());
    assert!(fake.requests().iter().all(Seen::is_read));
}
