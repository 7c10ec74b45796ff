//! Image-aware cleanup as each vendor's provider must do it, for the
//! vendors' own test files: attachments follow their image, and `--untagged`
//! is refused, with the provider's reason, where the registry cannot list
//! manifests.

use serde_json::json;

use super::scenarios::{assert_just_a_probe, kept, sorted};
use super::{Bed, Image, Pushed, Registry, Seen};
use crate::images::{all_of, attach, attachments};

/// An old `v1` and a new `v2`, each with a cosign-style `.sig` and `.att`,
/// an SBOM referrer and its fallback index, all newer than both images.
/// `date` tells the vendor's listing a tag's age in days where it does not
/// read it from the image. `--match '.*' --keep-last 1` removes `v1` and
/// exactly its attachments, in a dry run (reads and token requests only,
/// nothing changed) and for real; `v2`'s stay. The referrer goes by digest; the manifests of the
/// removed tags go with them, or stay untagged for the registry's own
/// garbage collector where its tag delete `leaves` them.
pub fn attachments_follow_their_image(
    bed: &Bed,
    leaves: Untagging,
    date: impl Fn(&str, &Pushed, i64),
) {
    let repo = &bed.repo;
    let old = repo.push("v1", &Image::new().created_days_ago(30).unique());
    date("v1", &old, 30);
    let new = repo.push("v2", &Image::new().created_days_ago(1).unique());
    date("v2", &new, 1);
    let a1 = attach(repo, &old);
    let a2 = attach(repo, &new);
    let policy = ["--match", ".*", "--keep-last", "1"];
    let revisions = || bed.part::<Registry>().revisions().list(&repo.name);
    let before = revisions();
    let tagged_old = [&a1.sig, &a1.att, &a1.fallback]
        .into_iter()
        .map(|t| repo.digest(t).expect("attachment tag"))
        .chain([old.digest.clone()]);
    let mut gone: Vec<String> = match leaves {
        Untagging::DeletesManifest => tagged_old.collect(),
        Untagging::LeavesManifest | Untagging::TagsOnly => Vec::new(),
    };
    let mut following = all_of(&a1, &old.digest);
    match leaves {
        Untagging::TagsOnly => following.retain(|(removed, _)| *removed != a1.referrer),
        _ => gone.push(a1.referrer.clone()),
    }
    gone.sort();

    bed.clear_requests();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--dry-run", "-o", "json"])
        .args(policy)
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(attachments(&report), following);
    let mut expected_kept = vec![
        (a2.att.clone(), "attachment".to_string()),
        (a2.fallback.clone(), "attachment".to_string()),
        (a2.sig.clone(), "attachment".to_string()),
        ("v2".to_string(), "keep-last".to_string()),
    ];
    expected_kept.sort();
    assert_eq!(kept(&report), expected_kept);
    let requests = bed.requests();
    assert!(requests.iter().all(Seen::changes_nothing), "{requests:?}");
    assert_eq!(revisions(), before, "a dry run changes nothing");

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "-o", "json"])
        .args(policy)
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(attachments(&report), following);
    assert_eq!(report["damaged"], json!([]));
    let mut left = vec![a2.att, a2.fallback, a2.sig, "v2".to_string()];
    left.sort();
    assert_eq!(repo.tags(), left);
    let expected: Vec<String> = before
        .into_iter()
        .filter(|d| gone.binary_search(d).is_err())
        .collect();
    assert_eq!(revisions(), expected);
    assert!(expected.contains(&a2.referrer));
}

/// What a registry's tag delete does to the manifest the tag left.
pub enum Untagging {
    /// Deletes it with the tag (a GitHub package version of one tag).
    DeletesManifest,
    /// Leaves it untagged, for the registry's garbage collector.
    LeavesManifest,
    /// Leaves it, and the provider deletes no manifest by digest, so a
    /// removed image's untagged referrer stays too (and is not reported).
    TagsOnly,
}

/// `--untagged` on a provider that cannot list manifests: exit 2 before any
/// request but the probe that chose the provider, the provider's reason (a
/// hint containing `reason`), and nothing changed.
pub fn untagged_is_refused_with_the_reason(bed: &Bed, reason: &str) {
    let image = bed.repo.push("pr-1", &Image::new().unique());
    bed.repo.push_untagged(&Image::new().unique());
    let before = bed.part::<Registry>().revisions().list(&bed.repo.name);
    assert_eq!(before.len(), 2);
    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &bed.repo.address,
            "--untagged",
            "--match",
            "^pr-",
        ])
        .run();
    assert_eq!(out.code(), 2, "{}", out.stderr_str());
    assert!(out.has_hint(reason), "{}", out.stderr_str());
    assert!(
        out.has_hint("--untagged works with"),
        "{}",
        out.stderr_str()
    );
    assert_just_a_probe(&bed.requests());
    assert_eq!(bed.repo.tags(), ["pr-1"]);
    assert_eq!(bed.repo.digest("pr-1"), Some(image.digest));
    assert_eq!(
        bed.part::<Registry>().revisions().list(&bed.repo.name),
        before
    );
}
