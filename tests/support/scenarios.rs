//! What every provider's tests check: detection, listings, removing one of
//! several tags on a manifest without touching the others, copying a
//! manifest, and a cleanup dry run over the provider's dates. Which
//! credentials a run has and what the vendor's servers saw differ per test,
//! so tests pass the command in and check the requests themselves.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Bed, BerthCommand, Image, Method, Output, Repo, Seen, berth};

/// What `berth detect --no-probe` makes of `address`: its name alone decides.
pub fn detect_by_address(address: &str) -> Value {
    berth()
        .args(["detect", "--no-probe", address, "-o", "json"])
        .run()
        .success()
        .json()
}

/// Checks the provider `berth detect --no-probe` chooses for each address:
/// a provider's pattern matched (`address`), or none did (`default`).
pub fn assert_detected_by_address(cases: &[(&str, &str)]) {
    for (address, provider) in cases {
        let v = detect_by_address(address);
        assert_eq!(v["provider"], *provider, "{address}");
        let method = if *provider == "default" {
            "default"
        } else {
            "address"
        };
        assert_eq!(v["method"], method, "{address}");
    }
}

/// What `berth detect` makes of `address`; checks that a probe chose
/// `provider`.
pub fn detect_by_probe(address: &str, provider: &str) -> Value {
    let v = berth()
        .args(["detect", address, "-o", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["provider"], provider, "{address}");
    assert_eq!(v["method"], "probe", "{address}");
    v
}

/// Checks that `requests`, all a fake saw, are a probe: one `GET /v2/`.
pub fn assert_just_a_probe(requests: &[Seen]) {
    assert!(after_probe(requests).is_empty(), "{requests:?}");
}

/// Checks that the first of `requests` is the probe that chose the
/// provider, `GET /v2/`; returns the others.
pub fn after_probe(requests: &[Seen]) -> Vec<Seen> {
    let first = requests.first().map(|r| (&r.method, r.path.as_str()));
    assert_eq!(first, Some((&Method::GET, "/v2/")), "{requests:?}");
    requests[1..].to_vec()
}

/// Checks that `requests`, all a fake saw, are one GET of `path` with
/// `authorization`: a listing that took a single call.
pub fn assert_one_get(requests: &[Seen], path: &str, authorization: Option<&str>) {
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, Method::GET);
    assert_eq!(requests[0].path, path);
    assert_eq!(requests[0].authorization.as_deref(), authorization);
}

/// A JSON list of strings, sorted: reports list tags in no set order.
pub fn sorted(list: &Value) -> Vec<String> {
    let mut list: Vec<String> = serde_json::from_value(list.clone()).expect("a list of strings");
    list.sort();
    list
}

/// A cleanup report's kept tags and their reasons, sorted.
pub fn kept(report: &Value) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = report["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["tag"].as_str().unwrap().into(),
                k["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    kept.sort();
    kept
}

/// The tags of a `tags ls -o json` listing by name.
pub fn by_name(listing: &Value) -> BTreeMap<String, Value> {
    listing["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
        .collect()
}

/// The tag names of a `tags ls -o json` listing, sorted.
fn names(listing: &Value) -> Vec<String> {
    let mut names: Vec<String> = listing["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Checks a `tags ls -o json` listing came from `provider` and holds just
/// `expected` (tag, digest), each with a date. Returns the tags by name.
pub fn assert_listing(
    listing: &Value,
    provider: &str,
    expected: &[(&str, &str)],
) -> BTreeMap<String, Value> {
    assert_eq!(listing["provider"], provider);
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());
    let tags = by_name(listing);
    for (name, digest) in expected {
        assert_eq!(tags[*name]["digest"], *digest, "{name}");
        assert!(tags[*name]["created"].is_string(), "{name} has a date");
    }
    tags
}

/// `days` before now, for dates a fake reports.
pub fn days_ago(days: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::days(days)
}

/// The digests behind [`Repo::seed_shared`]'s tags.
pub struct SharedTags {
    /// Of `a`, `b` and `c`.
    pub shared: String,
    /// Of `other`.
    pub other: String,
}

impl Repo {
    /// Checks that each tag of a listing has the digest the store has for
    /// it, and a date.
    pub fn assert_listed_digests_and_dates(&self, tags: &[Value]) {
        for tag in tags {
            let name = tag["name"].as_str().unwrap();
            let digest = self.digest(name).unwrap();
            assert_eq!(tag["digest"], digest, "{name}");
            assert!(tag["created"].is_string(), "{name} has a date");
        }
    }

    /// Tags `a`, `b` and `c` on one image and `other` on another: where
    /// removing `a` must leave every other tag as it was.
    pub fn seed_shared(&self) -> SharedTags {
        let shared = self.push("a", &Image::new().unique());
        self.tag("a", "b");
        self.tag("a", "c");
        let other = self.push("other", &Image::new().unique());
        SharedTags {
            shared: shared.digest,
            other: other.digest,
        }
    }

    /// Checks that of the seeded tags `a` alone went: `b`, `c` and `other`
    /// keep their original digests (the worst bug is touching them).
    pub fn assert_only_a_went(&self, seeded: &SharedTags) {
        assert_eq!(self.tags(), ["b", "c", "other"]);
        for (tag, digest) in [("b", &seeded.shared), ("c", &seeded.shared)] {
            assert_eq!(self.digest(tag).as_ref(), Some(digest));
        }
        assert_eq!(self.digest("other").as_ref(), Some(&seeded.other));
    }

    /// Runs `tags rm ADDRESS a -o json` with `berth`; checks the report says
    /// `a` alone was deleted and that `a` alone went. Returns the run.
    pub fn remove_a(&self, berth: BerthCommand, seeded: &SharedTags) -> Output {
        let out = berth
            .args(["tags", "rm", &self.address, "a", "-o", "json"])
            .run();
        let report = out.success().json();
        assert_eq!(report["deleted"], json!(["a"]));
        assert_eq!(report["failed"], json!([]));
        self.assert_only_a_went(seeded);
        out
    }

    /// Copies tag `from` (of `digest`) to `copy` with `manifest get` and
    /// `manifest put -`, each run with a command from `berth`; checks put
    /// printed `digest` and the registry now has it as `copy`.
    pub fn copy_manifest(&self, berth: impl Fn() -> BerthCommand, from: &str, digest: &str) {
        let got = berth().args(["manifest", "get", &self.tagged(from)]).run();
        let out = berth()
            .args(["manifest", "put", &self.tagged("copy"), "-"])
            .stdin(got.success().stdout.clone())
            .run();
        assert_eq!(out.success().stdout_str().trim(), digest);
        assert_eq!(self.digest("copy").as_deref(), Some(digest));
    }

    /// Tags `old` on an image created 40 days ago and `new` on one created
    /// 2 days ago, for a cleanup by the images' own dates.
    pub fn seed_dated(&self) {
        for (tag, days) in [("old", 40), ("new", 2)] {
            self.push(tag, &Image::new().unique().created_days_ago(days));
        }
    }

    /// Runs `cleanup ADDRESS --older-than 30d --dry-run -o json` with
    /// `berth` where the provider dates tag `old` beyond 30 days and `new`
    /// within; checks `old` would go, `new` is kept as newer, and both stay.
    pub fn cleanup_dry_run(&self, berth: BerthCommand) {
        let report = berth
            .args(["cleanup", &self.address, "--older-than", "30d"])
            .args(["--dry-run", "-o", "json"])
            .run()
            .success()
            .json();
        assert_eq!(report["dry_run"], true);
        assert_eq!(report["deleted"], json!(["old"]));
        assert_eq!(report["kept"], json!([{"tag": "new", "reason": "newer"}]));
        assert_eq!(self.tags(), ["new", "old"]);
    }
}

/// The round trip of a product that speaks plain OCI behind its branded
/// front (Artifactory, Nexus), over [`Repo::seed_shared`]'s tags: listed,
/// the bed's vendor is found by probe and lists through the OCI tag list;
/// then it removes `a` alone and copies `other` with `manifest put`.
/// Returns the seeded digests; the bed's log then starts at the removal,
/// for the provider's own checks of its deletes.
pub fn branded_round_trip(bed: &Bed) -> SharedTags {
    let repo = &bed.repo;
    let seeded = repo.seed_shared();
    let out = bed
        .berth()
        .args(["tags", "ls", &repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], bed.vendor.provider());
    assert_eq!(names(&listing), ["a", "b", "c", "other"]);
    let list = format!("/v2/{}/tags/list?n=1000", repo.name);
    assert!(
        bed.requests()
            .iter()
            .any(|r| r.path == list && r.status == 200)
    );

    bed.clear_requests();
    repo.remove_a(bed.berth(), &seeded);
    repo.copy_manifest(|| bed.berth(), "other", &seeded.other);
    seeded
}
