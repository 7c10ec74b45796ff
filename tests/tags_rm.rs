//! `berth tags rm`: exactly the named tags go; every other tag keeps its
//! original manifest, byte for byte.

use crate::support::{
    Image, Method, Proxy, Registry, RegistryOptions, Sandbox, Seeder, TokenRegistry, User, berth,
};
use std::collections::BTreeMap;

/// Every tag and its digest. A tag listed without a manifest (left on a
/// deleted throwaway) fails the test.
fn manifests(seeder: &Seeder, repo: &str) -> BTreeMap<String, String> {
    seeder
        .tags(repo)
        .into_iter()
        .map(|t| {
            let digest = seeder
                .digest(repo, &t)
                .unwrap_or_else(|| panic!("tag {t} is listed but points at no manifest"));
            (t, digest)
        })
        .collect()
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
    seeder: &Seeder,
    count: usize,
    twinned: usize,
) -> (Vec<String>, BTreeMap<String, String>) {
    let tags = seeder.seed_tags("app", count);
    for t in &tags[..twinned] {
        seeder.tag("app", t, &format!("{t}-keep"));
    }
    (tags, manifests(seeder, "app"))
}

#[test]
fn tags_sharing_a_digest_keep_their_original_manifest() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let image = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    seeder.tag("app", "a", "c");
    seeder.push_image("app", "other", &Image::new().unique());
    let repo = format!("{}/app", registry.addr());

    let out = berth().args(["tags", "rm", &repo, "a", "-o", "json"]).run();
    let report = out.success().json();
    assert_eq!(report["deleted"], serde_json::json!(["a"]));
    assert_eq!(report["failed"], serde_json::json!([]));
    assert_eq!(seeder.tags("app"), ["b", "c", "other"]);
    assert_eq!(seeder.digest("app", "b").unwrap(), image.digest);
    assert_eq!(seeder.digest("app", "c").unwrap(), image.digest);

    // The bytes are the original ones, not a re-push.
    let before = berth()
        .args(["manifest", "get", &format!("{}@{}", repo, image.digest)])
        .run();
    let after = berth()
        .args(["manifest", "get", &format!("{repo}:b")])
        .run();
    assert_eq!(before.success().stdout, after.success().stdout);
}

#[test]
fn naming_every_tag_of_a_digest_removes_them_all() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    let keep = seeder.push_image("app", "keep", &Image::new().unique());
    let out = berth()
        .args(["tags", "rm", &format!("{}/app", registry.addr()), "a", "b"])
        .run();
    assert_eq!(out.success().stdout_str(), "deleted a\ndeleted b\n");
    assert_eq!(seeder.tags("app"), ["keep"]);
    assert_eq!(seeder.digest("app", "keep").unwrap(), keep.digest);
}

#[test]
fn index_keeps_its_children_when_their_tags_go() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let amd = seeder.push_image(
        "app",
        "amd64",
        &Image::new().platform("linux", "amd64").unique(),
    );
    let arm = seeder.push_image(
        "app",
        "arm64",
        &Image::new().platform("linux", "arm64").unique(),
    );
    let index = seeder.push_index("app", "multi", &[amd.clone(), arm.clone()]);
    let repo = format!("{}/app", registry.addr());
    let out = berth().args(["tags", "rm", &repo, "amd64", "arm64"]).run();
    out.success();
    assert_eq!(seeder.tags("app"), ["multi"]);
    assert_eq!(seeder.digest("app", "multi").unwrap(), index.digest);
    // Every child is still there, by digest.
    for child in [&amd, &arm] {
        assert_eq!(
            seeder.digest("app", &child.digest).as_deref(),
            Some(child.digest.as_str())
        );
    }
}

#[test]
fn removing_the_index_tag_leaves_the_children_tagged() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let amd = seeder.push_image("app", "amd64", &Image::new().unique());
    let arm = seeder.push_image(
        "app",
        "arm64",
        &Image::new().platform("linux", "arm64").unique(),
    );
    seeder.push_index("app", "multi", &[amd.clone(), arm.clone()]);
    berth()
        .args(["tags", "rm", &format!("{}/app", registry.addr()), "multi"])
        .run()
        .success();
    assert_eq!(seeder.tags("app"), ["amd64", "arm64"]);
    assert_eq!(seeder.digest("app", "amd64").unwrap(), amd.digest);
}

#[test]
fn a_thousand_tags_from_a_file_and_nothing_else() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let tags = seeder.seed_tags("app", 1000);
    let survivors: Vec<String> = (0..10).map(|i| format!("keep-{i}")).collect();
    for s in &survivors {
        seeder.push_image("app", s.as_str(), &Image::new().unique());
    }
    let before = manifests(&seeder, "app");
    let sandbox = Sandbox::new();
    let list = sandbox.home().join("tags.txt");
    std::fs::write(&list, format!("# generated\n{}\n", tags.join("\n"))).unwrap();
    let out = sandbox
        .berth()
        .args([
            "tags",
            "rm",
            &format!("{}/app", registry.addr()),
            "--from-file",
            list.to_str().unwrap(),
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"].as_array().unwrap().len(), 1000);
    let after = manifests(&seeder, "app");
    let expected: BTreeMap<_, _> = before
        .into_iter()
        .filter(|(t, _)| survivors.contains(t))
        .collect();
    assert_eq!(after, expected);
}

#[test]
fn tags_from_stdin() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.seed_tags("app", 3);
    let all = seeder.tags("app");
    let out = berth()
        .args([
            "tags",
            "rm",
            &format!("{}/app", registry.addr()),
            "--from-file",
            "-",
        ])
        .stdin(format!("{}\n{}\n", all[0], all[1]))
        .run();
    out.success();
    assert_eq!(seeder.tags("app"), [all[2].clone()]);
}

#[test]
fn missing_tags_are_listed_and_the_rest_still_removed() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "a", &Image::new().unique());
    seeder.push_image("app", "b", &Image::new().unique());
    let repo = format!("{}/app", registry.addr());
    let out = berth()
        .args(["tags", "rm", &repo, "nope", "a", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(report["missing"], serde_json::json!(["nope"]));
    assert_eq!(report["deleted"], serde_json::json!(["a"]));
    assert!(out.stderr_str().contains("tag nope not found"));
    let out = berth()
        .args(["tags", "rm", &repo, "nope", "b", "--ignore-missing"])
        .run();
    out.success();
    assert!(seeder.tags("app").is_empty());
}

#[test]
fn dry_run_sends_only_reads_and_changes_nothing() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.seed_tags("app", 20);
    seeder.tag("app", &seeder.tags("app")[0], "shared");
    let before = manifests(&seeder, "app");
    let proxy = Proxy::start(&registry.url());
    let named: Vec<String> = before.keys().take(15).cloned().collect();
    let out = berth()
        .args([
            "tags",
            "rm",
            &format!("{}/app", proxy.addr()),
            "--dry-run",
            "-o",
            "json",
        ])
        .args(&named)
        .run();
    let report = out.success().json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["deleted"].as_array().unwrap().len(), 15);
    for request in proxy.requests() {
        assert!(
            request.method == Method::GET || request.method == Method::HEAD,
            "dry run sent {} {}",
            request.method,
            request.path
        );
    }
    assert_eq!(manifests(&seeder, "app"), before);
}

#[test]
fn resets_mid_run_leave_every_tag_as_it_was_or_removed() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    // Every named tag shares its manifest with a survivor.
    let (tags, before) = seed_twinned(&seeder, 40, 20);
    let proxy = Proxy::start(&registry.url());
    proxy.when(|m, _| *m == Method::DELETE).reset_nth(3);
    proxy
        .when(|m, p| *m == Method::PUT && p.contains("/manifests/"))
        .reset_nth(5);
    proxy.when(|m, _| *m == Method::DELETE).fail_times(2, 500);
    let out = berth()
        .args(["tags", "rm", &format!("{}/app", proxy.addr()), "-o", "json"])
        .args(&tags[..20])
        .run();
    let report = out.json();
    let deleted: Vec<String> = serde_json::from_value(report["deleted"].clone()).unwrap();
    let after = manifests(&seeder, "app");
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
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let image = seeder.push_image("app", "a", &Image::new().unique());
    seeder.tag("app", "a", "b");
    let proxy = Proxy::start(&registry.url());
    // Tag deletes are unsupported on 2.8; digest deletes fail for good.
    proxy
        .when(|m, p| *m == Method::DELETE && p.contains("sha256:"))
        .fail_times(1000, 500);
    let out = berth()
        .args([
            "tags",
            "rm",
            &format!("{}/app", proxy.addr()),
            "a",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.code(), 1);
    assert_eq!(out.json()["failed"][0]["tag"], "a");
    assert_eq!(
        seeder.digest("app", "a").unwrap(),
        image.digest,
        "a was restored"
    );
    assert_eq!(seeder.digest("app", "b").unwrap(), image.digest);
}

#[test]
fn token_registry_delete_uses_the_delete_scope() {
    let registry = TokenRegistry::start([User::new("alice", "wonder")]);
    let seeder = registry.seeder();
    seeder.push_image("app", "a", &Image::new().unique());
    seeder.push_image("app", "b", &Image::new().unique());
    let sandbox = Sandbox::new();
    let config = sandbox.home().join(".docker");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        serde_json::json!({"auths": {registry.registry.addr(): {"username": "alice", "password": "wonder"}}}).to_string(),
    )
    .unwrap();
    let out = sandbox
        .berth()
        .args([
            "tags",
            "rm",
            &format!("{}/app", registry.registry.addr()),
            "a",
            "b",
        ])
        .run();
    out.success();
    assert!(seeder.tags("app").is_empty());
    let scopes: Vec<String> = registry
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
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let (tags, before) = seed_twinned(&seeder, 12, 12);
    // Each removal reads its manifest slowly, so the run takes seconds.
    let proxy = Proxy::start(&registry.url());
    proxy
        .when(|m, p| *m == Method::GET && p.contains("/manifests/"))
        .trickle(std::time::Duration::from_millis(3));
    let sandbox = Sandbox::new();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .env_clear()
        .env("HOME", sandbox.home())
        .env("XDG_CACHE_HOME", sandbox.cache_dir())
        .args([
            "tags",
            "rm",
            &format!("{}/app", proxy.addr()),
            "--concurrency",
            "1",
            "-o",
            "json",
        ])
        .args(&tags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
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
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the report is printed");
    let failed = report["failed"].as_array().unwrap();
    assert!(
        failed
            .iter()
            .any(|f| f["error"] == "interrupted before removal"),
        "{report}"
    );
    let deleted: Vec<String> = serde_json::from_value(report["deleted"].clone()).unwrap();
    assert_eq!(deleted.len() + failed.len(), tags.len());
    let after = manifests(&seeder, "app");
    assert_kept_or_reported(&before, &after, &deleted);
}
