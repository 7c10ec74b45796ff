//! `berth tags rm`: exactly the named tags go; every other tag keeps its
//! original manifest, byte for byte.

use crate::support::bed::{TOKEN_PASSWORD, TOKEN_USER};
use crate::support::{Bed, Image, Method, Proxy, Repo, Sandbox, TokenRegistry, Vendor};
use serde_json::json;
use std::collections::BTreeMap;

fn registry() -> Bed {
    Bed::start(Vendor::Default)
}

/// Checks that each tag of `before` still has its digest, or went and is in
/// `deleted`: an interrupted run may stop anywhere but that.
fn assert_kept_or_reported(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    deleted: &[String],
) {
    for (tag, digest) in before {
        match after.get(tag) {
            Some(now) => assert_eq!(now, digest, "{tag} changed"),
            None => assert!(
                deleted.contains(tag),
                "{tag} vanished without being reported"
            ),
        }
    }
}

/// Seeds `count` tags and gives the first `twinned` a `<tag>-keep` on the
/// same manifest, so removing them goes through the throwaway untag (PUT,
/// then DELETE). Returns the seeded tags and every digest before the run.
fn seed_twinned(
    repo: &Repo,
    count: usize,
    twinned: usize,
) -> (Vec<String>, BTreeMap<String, String>) {
    let tags = repo.seed_tags(count);
    for t in &tags[..twinned] {
        repo.tag(t, &format!("{t}-keep"));
    }
    (tags, repo.digests())
}

#[test]
fn tags_sharing_a_digest_keep_their_original_manifest() {
    let bed = registry();
    let repo = &bed.repo;
    let image = repo.push("a", &Image::new().unique());
    repo.tag("a", "b");
    repo.tag("a", "c");
    repo.push("other", &Image::new().unique());

    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "a", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["a"]));
    assert_eq!(report["failed"], json!([]));
    assert_eq!(repo.tags(), ["b", "c", "other"]);
    assert_eq!(repo.digest("b").unwrap(), image.digest);
    assert_eq!(repo.digest("c").unwrap(), image.digest);

    // The bytes are the original ones, not a re-push.
    let before = bed
        .berth()
        .args(["manifest", "get", &repo.at(&image.digest)])
        .run();
    let after = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("b")])
        .run();
    assert_eq!(before.success().stdout, after.success().stdout);
}

#[test]
fn naming_every_tag_of_a_digest_removes_them_all() {
    let bed = registry();
    let repo = &bed.repo;
    repo.push("a", &Image::new().unique());
    repo.tag("a", "b");
    let keep = repo.push("keep", &Image::new().unique());
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "a", "b"])
        .run();
    assert_eq!(out.success().stdout_str(), "deleted a\ndeleted b\n");
    assert_eq!(repo.tags(), ["keep"]);
    assert_eq!(repo.digest("keep").unwrap(), keep.digest);
}

#[test]
fn index_keeps_its_children_when_their_tags_go() {
    let bed = registry();
    let repo = &bed.repo;
    let amd = repo.push("amd64", &Image::new().platform("linux", "amd64").unique());
    let arm = repo.push("arm64", &Image::new().platform("linux", "arm64").unique());
    let index = repo.push_index("multi", &[amd.clone(), arm.clone()]);
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "amd64", "arm64"])
        .run();
    out.success();
    assert_eq!(repo.tags(), ["multi"]);
    assert_eq!(repo.digest("multi").unwrap(), index.digest);
    // Every child is still there, by digest.
    for child in [&amd, &arm] {
        assert_eq!(
            repo.digest(&child.digest).as_deref(),
            Some(child.digest.as_str())
        );
    }
}

#[test]
fn removing_the_index_tag_leaves_the_children_tagged() {
    let bed = registry();
    let repo = &bed.repo;
    let amd = repo.push("amd64", &Image::new().unique());
    let arm = repo.push("arm64", &Image::new().platform("linux", "arm64").unique());
    repo.push_index("multi", &[amd.clone(), arm.clone()]);
    bed.berth()
        .args(["tags", "rm", &repo.address, "multi"])
        .run()
        .success();
    assert_eq!(repo.tags(), ["amd64", "arm64"]);
    assert_eq!(repo.digest("amd64").unwrap(), amd.digest);
}

#[test]
fn a_thousand_tags_from_a_file_and_nothing_else() {
    let bed = registry();
    let repo = &bed.repo;
    let tags = repo.seed_tags(1000);
    let survivors: Vec<String> = (0..10).map(|i| format!("keep-{i}")).collect();
    for s in &survivors {
        repo.push(s.as_str(), &Image::new().unique());
    }
    let before = repo.digests();
    let list = bed.sandbox().home().join("tags.txt");
    std::fs::write(&list, format!("# generated\n{}\n", tags.join("\n"))).unwrap();
    let out = bed
        .berth()
        .args([
            "tags",
            "rm",
            &repo.address,
            "--from-file",
            list.to_str().unwrap(),
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"].as_array().unwrap().len(), 1000);
    let after = repo.digests();
    let expected: BTreeMap<_, _> = before
        .into_iter()
        .filter(|(t, _)| survivors.contains(t))
        .collect();
    assert_eq!(after, expected);
}

#[test]
fn tags_from_stdin() {
    let bed = registry();
    let repo = &bed.repo;
    repo.seed_tags(3);
    let all = repo.tags();
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "--from-file", "-"])
        .stdin(format!("{}\n{}\n", all[0], all[1]))
        .run();
    out.success();
    assert_eq!(repo.tags(), [all[2].clone()]);
}

#[test]
fn missing_tags_are_listed_and_the_rest_still_removed() {
    let bed = registry();
    let repo = &bed.repo;
    repo.push("a", &Image::new().unique());
    repo.push("b", &Image::new().unique());
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "nope", "a", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(report["missing"], json!(["nope"]));
    assert_eq!(report["deleted"], json!(["a"]));
    assert!(out.stderr_str().contains("tag nope not found"));
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "nope", "b", "--ignore-missing"])
        .run();
    out.success();
    assert!(repo.tags().is_empty());
}

#[test]
fn dry_run_sends_only_reads_and_changes_nothing() {
    let bed = registry();
    let repo = &bed.repo;
    repo.seed_tags(20);
    repo.tag(&repo.tags()[0], "shared");
    let before = repo.digests();
    let named: Vec<String> = before.keys().take(15).cloned().collect();
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "--dry-run", "-o", "json"])
        .args(&named)
        .run();
    let report = out.success().json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["deleted"].as_array().unwrap().len(), 15);
    for request in bed.requests() {
        assert!(
            request.is_read(),
            "dry run sent {} {}",
            request.method,
            request.path
        );
    }
    assert_eq!(repo.digests(), before);
}

#[test]
fn resets_mid_run_leave_every_tag_as_it_was_or_removed() {
    let bed = registry();
    let repo = &bed.repo;
    // Every named tag shares its manifest with a survivor.
    let (tags, before) = seed_twinned(repo, 40, 20);
    let proxy = bed.part::<Proxy>();
    proxy.when(|m, _| *m == Method::DELETE).reset_nth(3);
    proxy
        .when(|m, p| *m == Method::PUT && p.contains("/manifests/"))
        .reset_nth(5);
    proxy.when(|m, _| *m == Method::DELETE).fail_times(2, 500);
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "-o", "json"])
        .args(&tags[..20])
        .run();
    let report = out.json();
    let deleted: Vec<String> = serde_json::from_value(report["deleted"].clone()).unwrap();
    let after = repo.digests();
    assert_kept_or_reported(&before, &after, &deleted);
    for t in &tags[..20] {
        assert!(after.contains_key(&format!("{t}-keep")));
    }
    // Retries make the run succeed despite the faults.
    assert_eq!(out.code(), 0, "{}", out.stderr_str());
    assert_eq!(deleted.len(), 20);
}

#[test]
fn failed_throwaway_delete_puts_the_tag_back() {
    let bed = registry();
    let repo = &bed.repo;
    let image = repo.push("a", &Image::new().unique());
    repo.tag("a", "b");
    let proxy = bed.part::<Proxy>();
    // Tag deletes are unsupported on 2.8; digest deletes fail for good.
    proxy
        .when(|m, p| *m == Method::DELETE && p.contains("sha256:"))
        .fail_times(1000, 500);
    let out = bed
        .berth()
        .args(["tags", "rm", &repo.address, "a", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    assert_eq!(out.json()["failed"][0]["tag"], "a");
    assert_eq!(repo.digest("a").unwrap(), image.digest, "a was restored");
    assert_eq!(repo.digest("b").unwrap(), image.digest);
}

#[test]
fn token_registry_delete_uses_the_delete_scope() {
    let bed = Bed::start(Vendor::DefaultToken);
    let repo = &bed.repo;
    repo.push("a", &Image::new().unique());
    repo.push("b", &Image::new().unique());
    // The login in the default place, with the fields spelled out.
    let config = bed.sandbox().home().join(".docker");
    std::fs::create_dir_all(&config).unwrap();
    let login = json!({"username": TOKEN_USER, "password": TOKEN_PASSWORD});
    std::fs::write(
        config.join("config.json"),
        json!({"auths": {bed.registry(): login}}).to_string(),
    )
    .unwrap();
    let out = bed
        .command()
        .args(["tags", "rm", &repo.address, "a", "b"])
        .run();
    out.success();
    assert!(repo.tags().is_empty());
    let scopes: Vec<String> = bed
        .part::<TokenRegistry>()
        .token
        .requests()
        .into_iter()
        .flat_map(|r| r.scopes)
        .collect();
    assert!(scopes.iter().any(|s| s.ends_with(":delete")), "{scopes:?}");
}

#[test]
fn invalid_tag_names_are_usage_errors() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .berth()
        .args(["tags", "rm", "127.0.0.1:9/app", "bad tag"])
        .run();
    assert_eq!(out.code(), 2);
    let list = sandbox.home().join("tags.txt");
    std::fs::write(&list, "ok\nnot ok\n").unwrap();
    let out = sandbox
        .berth()
        .args([
            "tags",
            "rm",
            "127.0.0.1:9/app",
            "--from-file",
            list.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr_str().contains("tags.txt:2"),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn ctrl_c_stops_new_removals_and_still_reports() {
    let bed = registry();
    let repo = &bed.repo;
    let (tags, before) = seed_twinned(repo, 12, 12);
    // Each removal reads its manifest slowly, so the run takes seconds.
    let proxy = bed.part::<Proxy>();
    proxy
        .when(|m, p| *m == Method::GET && p.contains("/manifests/"))
        .trickle(std::time::Duration::from_millis(3));
    let run = bed
        .berth()
        .args(["tags", "rm", &repo.address, "--concurrency", "1"])
        .args(["-o", "json"])
        .args(&tags)
        .spawn();
    // Interrupt once the removals have begun (the first write reached the
    // registry), however long start-up and listing took.
    let started = std::time::Instant::now();
    while !proxy
        .requests()
        .iter()
        .any(|r| r.method == Method::DELETE || r.method == Method::PUT)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no removal started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run.interrupt();
    let out = run.wait();
    out.failure();
    let report = out.json();
    let failed = report["failed"].as_array().unwrap();
    assert!(
        failed
            .iter()
            .any(|f| f["error"] == "interrupted before removal"),
        "{report}"
    );
    let deleted: Vec<String> = serde_json::from_value(report["deleted"].clone()).unwrap();
    assert_eq!(deleted.len() + failed.len(), tags.len());
    let after = repo.digests();
    assert_kept_or_reported(&before, &after, &deleted);
}
