//! `berth repos ls`: every repository of a registry, or under a path
//! prefix, across pages, each printed as a usable `REPO`.

use crate::support::bed::every_vendor;
use crate::support::fakes::gitlab::GitLabFake;
use crate::support::{Bed, Image, Registry, Vendor};

/// Where the bed's repository sits: its registry, under its first path
/// segment when it has more than one (an organisation, group, namespace).
fn scope_of(bed: &Bed) -> String {
    if bed.vendor == Vendor::OciLayout {
        return bed.repo.address.clone();
    }
    match bed.repo.name.split_once('/') {
        Some((first, _)) => format!("{}/{first}", bed.registry()),
        None => bed.registry().to_string(),
    }
}

fn lists_repositories(vendor: Vendor) {
    let bed = Bed::start(vendor);
    bed.repo.push("v1", &Image::new().unique());
    let mut expected = vec![bed.repo.address.clone()];
    if vendor != Vendor::OciLayout {
        let sibling = match bed.repo.name.rsplit_once('/') {
            Some((parent, _)) => format!("{parent}/other"),
            None => "other".to_string(),
        };
        let other = bed.repo_named(&sibling);
        other.push("v1", &Image::new().unique());
        expected.push(other.address.clone());
    }
    expected.sort();
    let scope = scope_of(&bed);
    let before = bed.requests().len();
    let out = bed.berth().args(["repos", "ls", &scope]).run();
    let text = out.success().stdout_str();
    let listed: Vec<&str> = text.lines().collect();
    for repo in &expected {
        assert!(listed.contains(&repo.as_str()), "{repo} not in {listed:?}");
    }
    // Each line is a REPO berth takes.
    let out = bed.berth().args(["tags", "ls", listed[0]]).run();
    out.success();
    let json = bed
        .berth()
        .args(["repos", "ls", &scope, "-o", "json"])
        .run()
        .success()
        .json();
    let from_json: Vec<&str> = json
        .as_array()
        .expect("a JSON list")
        .iter()
        .map(|r| r.as_str().expect("strings"))
        .collect();
    assert_eq!(from_json, listed);
    let sent = bed.requests();
    let writes: Vec<_> = sent[before..]
        .iter()
        .filter(|s| !s.changes_nothing())
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

every_vendor!(lists_repositories:
    default Default, default_token DefaultToken, oci_layout OciLayout, ecr Ecr, acr Acr,
    dockerhub DockerHub,
    gcr Gcr, yandex Yandex, github Github, gitlab Gitlab, harbor Harbor, quay Quay,
    artifactory Artifactory, nexus Nexus
);

/// The lines of `berth repos ls SCOPE`.
fn listed(bed: &Bed, scope: &str) -> Vec<String> {
    let out = bed.berth().args(["repos", "ls", scope]).run();
    out.success()
        .stdout_str()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn gitlab_lists_a_group_across_pages_and_nothing_outside_it() {
    let bed = Bed::start(Vendor::Gitlab);
    let fake = bed.part::<GitLabFake>();
    fake.add_project("group/tools", 43);
    fake.add_project("groupie/project", 44);
    let mut inside: Vec<String> = (0..130)
        .map(|i| format!("group/project/svc-{i:03}"))
        .chain(["group/tools".to_string()])
        .collect();
    let outside = ["groupie/project/app", "other/project/app"].map(String::from);
    let all: Vec<String> = inside.iter().chain(&outside).cloned().collect();
    bed.part::<Registry>().make_empty_repositories(&all);
    inside.sort();
    let under = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .map(|n| format!("{}/{n}", bed.registry()))
            .collect()
    };

    bed.clear_requests();
    assert_eq!(
        listed(&bed, &format!("{}/group", bed.registry())),
        under(&inside)
    );
    let pages = bed
        .requests()
        .iter()
        .filter(|s| s.route().starts_with("/api/v4/groups/group/"))
        .count();
    assert!(pages >= 2, "{pages} pages of the group's repositories");
    // A project is listed through the project's own route.
    assert_eq!(
        listed(&bed, &format!("{}/group/tools", bed.registry())),
        under(&["group/tools".to_string()])
    );
}

#[test]
fn a_registry_of_many_pages_is_listed_whole_and_a_prefix_only_below_it() {
    let bed = Bed::start(Vendor::Default);
    let names: Vec<String> = (0..1100)
        .map(|i| format!("team-{}/svc-{i:04}", i % 2))
        .chain(["team-1x/svc".to_string()])
        .collect();
    bed.part::<Registry>().make_empty_repositories(&names);
    let out = bed.berth().args(["repos", "ls", bed.registry()]).run();
    let text = out.success().stdout_str();
    let listed: Vec<&str> = text.lines().collect();
    let mut expected: Vec<String> = names
        .iter()
        .map(|n| format!("{}/{n}", bed.registry()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    let catalog_pages = bed
        .requests()
        .iter()
        .filter(|s| s.route() == "/v2/_catalog")
        .count();
    assert!(catalog_pages >= 2, "{catalog_pages} catalog pages");

    let prefix = format!("{}/team-1", bed.registry());
    let out = bed.berth().args(["repos", "ls", &prefix]).run();
    let text = out.success().stdout_str();
    let listed: Vec<&str> = text.lines().collect();
    assert_eq!(listed.len(), 550, "team-1's 550, not team-1x");
    assert!(listed.iter().all(|r| r.starts_with(&format!("{prefix}/"))));
}

#[test]
fn a_scope_that_is_not_a_registry_is_bad_usage() {
    let bed = Bed::start(Vendor::Default);
    let out = bed.berth().args(["repos", "ls", "acme"]).run();
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr_str().contains("registry host"),
        "{}",
        out.stderr_str()
    );
    assert!(bed.requests().is_empty());
}

#[test]
fn docker_hub_lists_a_namespace_across_pages_and_nothing_outside_it() {
    let bed = Bed::start(Vendor::DockerHub);
    let mut inside: Vec<String> = (0..130).map(|i| format!("acme/svc-{i:03}")).collect();
    let outside = ["acmex/app", "other/app"].map(String::from);
    let all: Vec<String> = inside.iter().chain(&outside).cloned().collect();
    bed.part::<Registry>().make_empty_repositories(&all);
    inside.sort();
    let under: Vec<String> = inside
        .iter()
        .map(|n| format!("{}/{n}", bed.registry()))
        .collect();

    bed.clear_requests();
    assert_eq!(listed(&bed, &format!("{}/acme", bed.registry())), under);
    let pages = bed
        .requests()
        .iter()
        .filter(|s| s.route() == "/v2/namespaces/acme/repositories")
        .count();
    assert!(pages >= 2, "{pages} pages of the namespace's repositories");
    assert!(
        !bed.requests().iter().any(|s| s.route() == "/v2/_catalog"),
        "the Hub's own API, not the catalog"
    );
}
