//! The github provider against a strict fake of GitHub's Packages REST API
//! and of ghcr.io (which refuses OCI manifest deletes), over a real
//! distribution registry. The fake serves both on one loopback address.

use crate::images::{multi_arch, revisions, without};
use crate::support::fakes::challenge::Challenger;
use crate::support::fakes::github::{GithubFake, TOKEN, Throttle};
use crate::support::image_checks::{Untagging, attachments_follow_their_image};
use crate::support::scenarios::{assert_detected_by_address, by_name, detect_by_probe};
use crate::support::scenarios::{days_ago, sorted};
use crate::support::{Bed, Image, Method, Requests, Seen, Vendor};
use serde_json::json;

fn github() -> Bed {
    Bed::start(Vendor::Github)
}

/// REST requests (everything but `/v2/`).
fn rest(bed: &Bed) -> Vec<Seen> {
    bed.requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/v2/"))
        .collect()
}

fn version_of(bed: &Bed, repo: &str, digest: &str) -> Option<(u64, Vec<String>)> {
    bed.part::<GithubFake>()
        .versions(repo)
        .into_iter()
        .find(|v| v.digest == digest)
        .map(|v| (v.id, v.tags))
}

#[test]
fn github_addresses_select_github_without_network() {
    assert_detected_by_address(&[
        ("ghcr.io/acme/app", "github"),
        ("docker.pkg.github.com/acme/repo/app", "github"),
    ]);
}

#[test]
fn ghcrs_challenge_is_recognised_by_probe() {
    let ghcr = Challenger::start(
        r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull""#,
    );
    detect_by_probe(&format!("{}/acme/app", ghcr.addr()), "github");
}

#[test]
fn tags_list_from_versions_with_digests_and_dates_across_pages() {
    let bed = github();
    let sub = bed.repo_named("acme/app/sub");
    let tags = sub.seed_tags(130);
    // One version with two tags.
    sub.tag(&tags[0], "latest");
    let first = sub.digest(&tags[0]).unwrap();
    bed.part::<GithubFake>()
        .created(&sub.name, &first, "2022-06-01T10:00:00Z");

    let out = bed
        .berth()
        .args(["tags", "ls", &sub.address, "-o", "json"])
        .run();
    let listed = out.success().json();
    let listed = listed["tags"].as_array().unwrap();
    assert_eq!(listed.len(), 131);
    sub.assert_listed_digests_and_dates(listed);
    for name in [tags[0].as_str(), "latest"] {
        let tag = listed.iter().find(|t| t["name"] == name).unwrap();
        assert_eq!(tag["created"], "2022-06-01T10:00:00Z");
    }

    // The owner's kind, then the versions page by page along the Link
    // header; the package name's slash is %2F; GitHub's headers each time.
    let rest = rest(&bed);
    let paths: Vec<&str> = rest.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/users/acme",
            "/orgs/acme/packages/container/app%2Fsub/versions?per_page=100&page=1",
            "/orgs/acme/packages/container/app%2Fsub/versions?per_page=100&page=2",
        ]
    );
    for request in &rest {
        assert_eq!(request.status, 200, "{request:?}");
        assert_eq!(
            request.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
        assert!(request.header("user-agent").unwrap().starts_with("berth/"));
    }
}

#[test]
fn removing_one_tag_of_a_version_keeps_the_others_on_it() {
    let bed = github();
    let app = &bed.repo;
    let seeded = app.seed_shared();
    let (id, _) = version_of(&bed, "acme/app", &seeded.shared).unwrap();

    app.remove_a(bed.berth(), &seeded);
    // The original version stays, with its other tags.
    assert_eq!(
        version_of(&bed, "acme/app", &seeded.shared),
        Some((id, vec!["b".to_string(), "c".to_string()]))
    );

    // The tag moved to a throwaway pushed at it, and that version went.
    let pushes = bed.requests().to(Method::PUT, "/v2/acme/app/manifests/");
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].path, "/v2/acme/app/manifests/a");
    let deletes = bed.requests().to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(
        deletes[0]
            .path
            .starts_with("/orgs/acme/packages/container/app/versions/")
    );
    assert_ne!(
        deletes[0].path,
        format!("/orgs/acme/packages/container/app/versions/{id}")
    );
    assert_eq!(deletes[0].status, 204);
    assert_eq!(
        deletes[0].authorization.as_deref(),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[test]
fn removing_several_tags_of_a_version_at_once_keeps_the_rest() {
    let bed = github();
    bed.repo.push("a", &Image::new().unique());
    for tag in ["b", "c", "d"] {
        bed.repo.tag("a", tag);
    }
    let keep = bed.repo.push("keep", &Image::new().unique());
    let out = bed
        .berth()
        .args(["--concurrency", "4"])
        .args(["tags", "rm", &bed.repo.address, "a", "b", "c", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a", "b", "c"]));
    assert_eq!(bed.repo.tags(), ["d", "keep"]);
    assert_eq!(bed.repo.digest("keep").unwrap(), keep.digest);

    let out = bed
        .berth()
        .args(["tags", "rm", &bed.repo.address, "d"])
        .run();
    out.success();
    assert_eq!(bed.repo.tags(), ["keep"]);
    assert!(bed.requests().to(Method::DELETE, "/v2/").is_empty());
}

#[test]
fn removing_the_only_tag_of_a_version_deletes_the_version() {
    let bed = github();
    let x = bed.repo.push("x", &Image::new().unique());
    let y = bed.repo.push("y", &Image::new().unique());
    let (id, _) = version_of(&bed, "acme/app", &x.digest).unwrap();

    bed.berth()
        .args(["tags", "rm", &bed.repo.address, "x"])
        .run()
        .success();
    assert_eq!(bed.repo.tags(), ["y"]);
    assert_eq!(bed.repo.digest(&x.digest), None);
    assert_eq!(bed.repo.digest("y").unwrap(), y.digest);
    let deletes = bed.requests().to(Method::DELETE, "/");
    let paths: Vec<&str> = deletes.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [format!("/orgs/acme/packages/container/app/versions/{id}")]
    );
    assert!(bed.requests().to(Method::PUT, "/v2/").is_empty());
}

/// Removes `acme/app:only`, which GitHub must refuse; checks the run
/// failed and left the tag. Returns stderr.
fn remove_refused(bed: &Bed) -> String {
    let out = bed
        .berth()
        .args(["tags", "rm", &bed.repo.address, "only"])
        .run();
    let stderr = out.failure();
    assert_eq!(bed.repo.tags(), ["only"]);
    stderr
}

#[test]
fn the_last_version_is_refused_plainly() {
    let bed = github();
    bed.repo.push("only", &Image::new().unique());
    let stderr = remove_refused(&bed);
    assert!(
        stderr.contains("You cannot delete the last version of a package"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: GitHub keeps a package's last version"),
        "{stderr}"
    );
}

#[test]
fn the_last_tagged_version_is_refused_plainly() {
    let bed = github();
    bed.repo.push("only", &Image::new().unique());
    // An untagged version besides it.
    bed.repo.push_untagged(&Image::new().unique());
    let stderr = remove_refused(&bed);
    assert!(
        stderr.contains("You cannot delete the last tagged version of a package"),
        "{stderr}"
    );
}

#[test]
fn the_token_users_own_packages_are_under_user_and_others_under_users() {
    let bed = github();
    let (alice, bob) = (bed.repo_named("alice/tool"), bed.repo_named("bob/tool"));
    let mine = alice.push("v1", &Image::new().unique());
    for (repo, tag) in [(&alice, "v2"), (&bob, "v1"), (&bob, "v2")] {
        repo.push(tag, &Image::new().unique());
    }

    let out = bed
        .berth()
        .args(["tags", "ls", &alice.address, "-o", "json"])
        .run();
    assert_eq!(by_name(&out.success().json())["v1"]["digest"], mine.digest);
    for repo in [&alice, &bob] {
        bed.berth()
            .args(["tags", "rm", &repo.address, "v1"])
            .run()
            .success();
        assert_eq!(repo.tags(), ["v2"]);
    }

    let paths: Vec<String> = rest(&bed).into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&"/user".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"/user/packages/container/tool/versions?per_page=100&page=1".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(
            &"/users/bob/packages/container/tool/versions?per_page=100&page=1".to_string()
        ),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/users/alice/packages")),
        "{paths:?}"
    );
    let deletes = bed.requests().to(Method::DELETE, "/");
    assert_eq!(deletes.len(), 2);
    assert!(
        deletes[0]
            .path
            .starts_with("/user/packages/container/tool/versions/")
    );
    assert!(
        deletes[1]
            .path
            .starts_with("/users/bob/packages/container/tool/versions/")
    );
}

#[test]
fn manifest_put_makes_a_version() {
    let bed = github();
    let app = &bed.repo;
    let source = app.push("source", &Image::new().unique());
    app.copy_manifest(|| bed.berth(), "source", &source.digest);
    let (_, tags) = version_of(&bed, "acme/app", &source.digest).unwrap();
    assert_eq!(tags, ["copy", "source"]);
    assert_eq!(
        bed.requests()
            .to(Method::PUT, "/v2/acme/app/manifests/copy")[0]
            .status,
        201
    );
}

#[test]
fn cleanup_dry_run_uses_the_versions_creation_times() {
    let bed = github();
    let app = &bed.repo;
    let old = app.push("old", &Image::new().created_days_ago(1).unique());
    app.push("new", &Image::new().created_days_ago(400).unique());
    bed.part::<GithubFake>()
        .created("acme/app", &old.digest, "2020-03-01T00:00:00Z");
    app.cleanup_dry_run(bed.berth());
    assert!(bed.requests().to(Method::DELETE, "/").is_empty());
    assert!(bed.requests().to(Method::PUT, "/").is_empty());
}

#[test]
fn without_a_token_tags_list_over_the_registry_and_removal_says_what_to_set() {
    let bed = github();
    bed.repo.push("a", &Image::new().unique());
    let out = bed
        .anonymous()
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    assert_eq!(
        out.success().json()["tags"],
        json!([{"name": "a", "digest": null, "created": null}])
    );
    let out = bed
        .anonymous()
        .args(["tags", "rm", &bed.repo.address, "a"])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("needs a token"), "{stderr}");
    assert!(stderr.contains("\nhint: give a GitHub token"), "{stderr}");
    assert!(stderr.contains("--opt token=TOKEN"), "{stderr}");
    assert!(stderr.contains("GITHUB_TOKEN"), "{stderr}");
    assert!(rest(&bed).is_empty(), "{:?}", rest(&bed));
    assert_eq!(bed.repo.tags(), ["a"]);
}

#[test]
fn a_wrong_token_is_refused_with_a_hint() {
    let bed = github();
    bed.repo.push("a", &Image::new().unique());
    let out = bed
        .anonymous()
        .args(["--opt", "token=ghp_wrong"])
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("Bad credentials"), "{stderr}");
    assert!(stderr.contains("\nhint: give a GitHub token"), "{stderr}");
    assert!(!stderr.contains("ghp_wrong"), "{stderr}");
    assert_eq!(rest(&bed)[0].status, 401);
}

#[test]
fn github_token_from_the_environment_or_docker_config() {
    let bed = github();
    let a = bed.repo.push("a", &Image::new().unique());
    // The API address from GITHUB_API_URL (granted with it), too.
    let out = bed
        .command()
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", bed.part::<GithubFake>().url())
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    assert_eq!(out.success().json()["tags"][0]["digest"], a.digest);

    let out = bed
        .berth_as("alice", TOKEN)
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    assert_eq!(out.success().json()["tags"][0]["digest"], a.digest);
    assert!(
        rest(&bed)
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}")))
    );
}

#[test]
fn rate_limits_are_waited_out() {
    let bed = github();
    bed.repo.push("a", &Image::new().unique());
    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1)
    .to_string();
    bed.part::<GithubFake>().throttle([
        // A secondary rate limit answered 403 (the plugin waits).
        Throttle {
            status: 403,
            headers: vec![("retry-after".into(), "1".into())],
            message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.".into(),
        },
        // One answered 429 (the host waits).
        Throttle {
            status: 429,
            headers: vec![("retry-after".into(), "1".into())],
            message: "You have exceeded a secondary rate limit.".into(),
        },
        // The primary limit: no requests left until the reset.
        Throttle {
            status: 403,
            headers: vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), reset),
            ],
            message: "API rate limit exceeded for user ID 1.".into(),
        },
    ]);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    assert_eq!(out.success().stdout_str(), "a\n");
    let statuses: Vec<u16> = rest(&bed).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [403, 429, 403, 200, 200], "{:?}", rest(&bed));
}

#[test]
fn a_long_rate_limit_is_reported_not_waited_for() {
    let bed = github();
    bed.repo.push("a", &Image::new().unique());
    bed.part::<GithubFake>().throttle([Throttle {
        status: 403,
        headers: vec![("retry-after".into(), "3600".into())],
        message: "You have exceeded a secondary rate limit.".into(),
    }]);
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    let stderr = out.failure();
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(stderr.contains("secondary rate limit"), "{stderr}");
    assert!(
        stderr.contains("\nhint: the registry asks to wait 3600 s"),
        "{stderr}"
    );
    assert_eq!(rest(&bed).len(), 1);
}

#[test]
fn untagged_versions_go_while_their_index_stays_and_with_it_when_it_goes() {
    let bed = github();
    let repo = &bed.repo;
    let (kept_children, gone_children, stray) = multi_arch(repo);
    let before = revisions(&bed);
    assert_eq!(before.len(), 7, "two indexes, four children, a stray");

    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--untagged",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["untagged"], json!([stray.digest]));
    assert!(bed.requests().iter().all(Seen::is_read));
    assert_eq!(revisions(&bed), before);

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!([]));
    assert_eq!(report["untagged"], json!([stray.digest]));
    assert_eq!(report["damaged"], json!([]));
    assert_eq!(repo.tags(), ["multi", "old"]);
    let after_stray = without(&before, &[&stray.digest]);
    assert_eq!(revisions(&bed), after_stray);
    // The stray's version was deleted through the REST API.
    assert_eq!(bed.part::<GithubFake>().versions(&repo.name).len(), 6);
    let deleted: Vec<Seen> = rest(&bed)
        .into_iter()
        .filter(|r| r.method == Method::DELETE)
        .collect();
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert!(
        deleted[0]
            .path
            .starts_with("/orgs/acme/packages/container/app/versions/")
    );

    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--untagged",
            "--match",
            "^old$",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["old"]);
    let mut gone: Vec<String> = gone_children.iter().map(|c| c.digest.clone()).collect();
    gone.sort();
    assert_eq!(sorted(&report["untagged"]), gone);
    assert_eq!(repo.tags(), ["multi"]);
    let multi = repo.digest("multi").unwrap();
    let mut left: Vec<String> = kept_children.iter().map(|c| c.digest.clone()).collect();
    left.push(multi);
    left.sort();
    assert_eq!(revisions(&bed), left);
}

#[test]
fn attachments_go_with_their_image_version_and_only_with_it() {
    let bed = github();
    // The versions' creation times give the ages; the attachments' are now.
    attachments_follow_their_image(&bed, Untagging::DeletesManifest, |_, pushed, days| {
        let at = days_ago(days).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        bed.part::<GithubFake>()
            .created(&bed.repo.name, &pushed.digest, &at);
    });
}

#[test]
fn untagged_graph_pages_versions_and_reads_each_manifest_once() {
    let bed = github();
    let repo = &bed.repo;
    repo.seed_tags(150);
    let stray = repo.push_untagged(&Image::new().unique());
    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--untagged",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["untagged"], json!([stray.digest]));
    // The listing says no media types or subjects: each manifest is read
    // once, and nothing else is asked of a version.
    let requests = bed.requests();
    let mut reads: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.path.strip_prefix("/v2/acme/app/manifests/"))
        .collect();
    reads.sort();
    let mut every = revisions(&bed);
    every.sort();
    assert_eq!(reads, every);
    let mut pages: Vec<&str> = requests
        .iter()
        .filter(|r| r.path.contains("/versions"))
        .map(|r| r.path.as_str())
        .collect();
    pages.sort();
    pages.dedup();
    assert_eq!(
        pages,
        [
            "/orgs/acme/packages/container/app/versions?per_page=100&page=1",
            "/orgs/acme/packages/container/app/versions?per_page=100&page=2",
        ]
    );
    assert!(requests.iter().all(Seen::is_read), "{requests:?}");
}

#[test]
fn the_last_version_of_a_package_stays_though_untagged_and_says_why() {
    let bed = github();
    let repo = &bed.repo;
    let only = repo.push_untagged(&Image::new().unique());
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let stderr = out.failure();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["untagged"], json!([]));
    assert_eq!(report["failed"][0]["tag"], json!(only.digest));
    assert!(
        stderr.contains("You cannot delete the last version of a package"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: GitHub keeps a package's last version"),
        "{stderr}"
    );
    assert_eq!(revisions(&bed), [only.digest]);
}
