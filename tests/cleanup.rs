//! `berth cleanup`: policies over seeded creation times, the report's
//! reasons, dry runs that only read.

use crate::support::scenarios::{kept, sorted};
use crate::support::{Bed, Image, Seen, Vendor, berth};
use serde_json::{Value, json};

/// `app` with `pr-1` … `pr-4`, `v1.0` and `main`, of various ages.
fn seeded() -> Bed {
    let bed = Bed::start(Vendor::Default);
    for (tag, days) in [
        ("pr-1", 90),
        ("pr-2", 60),
        ("pr-3", 40),
        ("pr-4", 5),
        ("v1.0", 400),
        ("main", 1),
    ] {
        bed.repo
            .push(tag, &Image::new().created_days_ago(days).unique());
    }
    bed
}

#[test]
fn policy_with_reasons_then_for_real() {
    let bed = seeded();
    let repo = &bed.repo;
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

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--dry-run", "-o", "json"])
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
    assert!(bed.requests().iter().all(Seen::is_read));
    assert_eq!(repo.tags().len(), 6, "a dry run changes nothing");

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "-o", "json"])
        .args(policy)
        .run();
    assert_eq!(sorted(&out.success().json()["deleted"]), ["pr-2", "pr-3"]);
    assert_eq!(repo.tags(), ["main", "pr-1", "pr-4", "v1.0"]);
}

#[test]
fn report_file_and_newer_reason() {
    let bed = seeded();
    let file = bed.sandbox().home().join("report.json");
    let out = bed
        .berth()
        .args([
            "cleanup",
            &bed.repo.address,
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
    assert_eq!(report["repo"], bed.repo.address);
}

#[test]
fn undated_tags_are_never_deleted_by_time() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    repo.push("old", &Image::new().created_days_ago(100).unique());
    // A config without `created`, pushed through berth itself.
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let digest = repo.push_blob(config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": config.len()},
        "layers": []
    });
    bed.berth()
        .args(["manifest", "put", &repo.tagged("undated")])
        .stdin(manifest.to_string())
        .run()
        .success();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--older-than", "1d", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["old"]));
    assert_eq!(kept(&report), [("undated".into(), "no-date".into())]);
    assert_eq!(repo.tags(), ["undated"]);
}

#[test]
fn annotation_date_is_used_when_the_config_has_none() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let digest = repo.push_blob(config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": config.len()},
        "layers": [],
        "annotations": {"org.opencontainers.image.created": "2020-01-01T00:00:00Z"}
    });
    bed.berth()
        .args(["manifest", "put", &repo.tagged("annotated")])
        .stdin(manifest.to_string())
        .run()
        .success();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
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
    let bed = seeded();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &bed.repo.address,
            "--match",
            ".*",
            "--keep",
            "^main$",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.success().json()["deleted"].as_array().unwrap().len(), 5);
    assert_eq!(bed.repo.tags(), ["main"]);
}
