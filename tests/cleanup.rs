//! `berth cleanup`: policies over seeded creation times, the report's
//! reasons, dry runs that only read.

use crate::support::scenarios::{kept, sorted};
use crate::support::{Image, Method, Proxy, Registry, RegistryOptions, Sandbox, berth};
use serde_json::{Value, json};

fn seeded() -> Registry {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    for (tag, days) in [
        ("pr-1", 90),
        ("pr-2", 60),
        ("pr-3", 40),
        ("pr-4", 5),
        ("v1.0", 400),
        ("main", 1),
    ] {
        seeder.push_image("app", tag, &Image::new().created_days_ago(days).unique());
    }
    registry
}

#[test]
fn policy_with_reasons_then_for_real() {
    let registry = seeded();
    let repo = format!("{}/app", registry.addr());
    let proxy = Proxy::start(&registry.url());
    let via_proxy = format!("{}/app", proxy.addr());
    let policy = [
        "--match",
        "^pr-",
        "--keep-last",
        "1",
        "--older-than",
        "30d",
        "--keep",
        "^pr-1$",
    ];

    let out = berth()
        .args(["cleanup", &via_proxy, "--dry-run", "-o", "json"])
        .args(policy)
        .run();
    let report = out.success().json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(sorted(&report["deleted"]), ["pr-2", "pr-3"]);
    assert_eq!(
        kept(&report),
        [
            ("main".into(), "unmatched".into()),
            ("pr-1".into(), "keep".into()),
            ("pr-4".into(), "keep-last".into()),
            ("v1.0".into(), "unmatched".into()),
        ]
    );
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| r.method == Method::GET || r.method == Method::HEAD)
    );
    assert_eq!(
        registry.seeder().tags("app").len(),
        6,
        "a dry run changes nothing"
    );

    let out = berth()
        .args(["cleanup", &repo, "-o", "json"])
        .args(policy)
        .run();
    assert_eq!(sorted(&out.success().json()["deleted"]), ["pr-2", "pr-3"]);
    assert_eq!(
        registry.seeder().tags("app"),
        ["main", "pr-1", "pr-4", "v1.0"]
    );
}

#[test]
fn report_file_and_newer_reason() {
    let registry = seeded();
    let sandbox = Sandbox::new();
    let file = sandbox.home().join("report.json");
    let out = sandbox
        .berth()
        .args([
            "cleanup",
            &format!("{}/app", registry.addr()),
            "--older-than",
            "50d",
            "--keep",
            "^v",
        ])
        .args(["--dry-run", "--report", file.to_str().unwrap()])
        .run();
    out.success();
    assert!(out.stdout_str().contains("would delete pr-1"));
    let report: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(sorted(&report["deleted"]), ["pr-1", "pr-2"]);
    assert_eq!(
        kept(&report),
        [
            ("main".into(), "newer".into()),
            ("pr-3".into(), "newer".into()),
            ("pr-4".into(), "newer".into()),
            ("v1.0".into(), "keep".into()),
        ]
    );
    assert_eq!(report["repo"], format!("{}/app", registry.addr()));
}

#[test]
fn undated_tags_are_never_deleted_by_time() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    seeder.push_image("app", "old", &Image::new().created_days_ago(100).unique());
    // A config without `created`, pushed through berth itself.
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let digest = seeder.push_blob("app", config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": config.len()},
        "layers": []
    });
    let repo = format!("{}/app", registry.addr());
    berth()
        .args(["manifest", "put", &format!("{repo}:undated")])
        .stdin(manifest.to_string())
        .run()
        .success();
    let out = berth()
        .args(["cleanup", &repo, "--older-than", "1d", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["old"]));
    assert_eq!(kept(&report), [("undated".into(), "no-date".into())]);
    assert_eq!(seeder.tags("app"), ["undated"]);
}

#[test]
fn annotation_date_is_used_when_the_config_has_none() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let digest = seeder.push_blob("app", config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": config.len()},
        "layers": [],
        "annotations": {"org.opencontainers.image.created": "2020-01-01T00:00:00Z"}
    });
    let repo = format!("{}/app", registry.addr());
    berth()
        .args(["manifest", "put", &format!("{repo}:annotated")])
        .stdin(manifest.to_string())
        .run()
        .success();
    let out = berth()
        .args([
            "cleanup",
            &repo,
            "--older-than",
            "30d",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["annotated"]));
}

#[test]
fn bad_policies_exit_2_before_any_request() {
    // Nothing listens on port 9: a request would fail with exit 1, not 2.
    for args in [
        vec![],
        vec!["--keep", "^v"],
        vec!["--match", "("],
        vec!["--keep", "[", "--match", ".*"],
        vec!["--older-than", "3y"],
        vec!["--older-than", "-1d"],
        vec!["--keep-last", "-1"],
    ] {
        let out = berth()
            .args(["cleanup", "127.0.0.1:9/app"])
            .args(&args)
            .run();
        assert_eq!(out.code(), 2, "{args:?}: {}", out.stderr_str());
        assert!(
            out.stderr_str().starts_with("berth: error: "),
            "{}",
            out.stderr_str()
        );
    }
    let out = berth().args(["cleanup", "127.0.0.1:9/app"]).run();
    assert!(
        out.stderr_str().contains("--match '.*'"),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn match_all_is_explicit() {
    let registry = seeded();
    let out = berth()
        .args([
            "cleanup",
            &format!("{}/app", registry.addr()),
            "--match",
            ".*",
            "--keep",
            "^main$",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["deleted"].as_array().unwrap().len(), 5);
    assert_eq!(registry.seeder().tags("app"), ["main"]);
}
