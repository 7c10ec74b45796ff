//! Cleanup of images, not only tags: attachments (cosign-style tags, OCI 1.1
//! referrers and their fallback index) go with their image and only with it;
//! untagged manifests; images in use; verification after the run; the
//! circuit breaker; and faults midway.

use crate::support::bed::every_vendor;
use crate::support::fakes::acr::AcrFake;
use crate::support::scenarios::{kept, sorted};
use crate::support::{Bed, Image, Method, Proxy, Registry, Repo, Seen, Vendor};
use crate::support::{IMAGE_INDEX, IMAGE_MANIFEST, Pushed};
use serde_json::{Value, json};

const SIGNATURE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const SBOM: &str = "application/spdx+json";

/// What hangs off one image.
pub(crate) struct Attached {
    pub sig: String,
    pub att: String,
    /// The fallback index tag, `sha256-<hex>`.
    pub fallback: String,
    /// The OCI 1.1 referrer, untagged.
    pub referrer: String,
}

/// A cosign-style `.sig` and `.att`, and an SBOM referrer with its fallback
/// index, for `subject`; the attachments' configs say they are newer than
/// anything else.
pub(crate) fn attach(repo: &Repo, subject: &Pushed) -> Attached {
    let tag = subject.digest.replacen(':', "-", 1);
    let piece = |kind: &str, media_type: &str, subject: Option<&Pushed>| {
        piece(repo, &tag, kind, media_type, subject)
    };
    let sig = format!("{tag}.sig");
    let att = format!("{tag}.att");
    repo.push_manifest(sig.as_str(), IMAGE_MANIFEST, &piece("sig", SIGNATURE, None));
    repo.push_manifest(
        att.as_str(),
        IMAGE_MANIFEST,
        &piece("att", "application/vnd.dsse.envelope.v1+json", None),
    );
    let sbom = piece("sbom", SBOM, Some(subject));
    let referrer = repo.push_manifest(None, IMAGE_MANIFEST, &sbom);
    let fallback = json!({
        "schemaVersion": 2,
        "mediaType": IMAGE_INDEX,
        "manifests": [{"mediaType": IMAGE_MANIFEST, "digest": referrer.digest,
                       "size": referrer.size, "artifactType": SBOM}],
    });
    repo.push_manifest(
        tag.as_str(),
        IMAGE_INDEX,
        &serde_json::to_vec(&fallback).unwrap(),
    );
    Attached {
        sig,
        att,
        fallback: tag,
        referrer: referrer.digest,
    }
}

/// An attachment's manifest of `kind` for the image `of` names, newer than
/// anything else by its config; an OCI 1.1 referrer when it has a `subject`.
fn piece(repo: &Repo, of: &str, kind: &str, media_type: &str, subject: Option<&Pushed>) -> Vec<u8> {
    let config = json!({"created": "2030-01-01T00:00:00Z", "kind": kind}).to_string();
    let payload = format!("{kind} of {of}");
    let config_digest = repo.push_blob(config.as_bytes());
    let layer = repo.push_blob(payload.as_bytes());
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": IMAGE_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": media_type, "digest": layer, "size": payload.len()}],
    });
    if let Some(s) = subject {
        manifest["artifactType"] = json!(media_type);
        manifest["subject"] =
            json!({"mediaType": s.media_type, "digest": s.digest, "size": s.size});
    }
    serde_json::to_vec(&manifest).unwrap()
}

pub(crate) fn attachments(report: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report["attachments"]
        .as_array()
        .unwrap_or_else(|| panic!("no attachments in {report}"))
        .iter()
        .map(|a| {
            (
                a["removed"].as_str().unwrap().to_string(),
                a["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

pub(crate) fn all_of(a: &Attached, subject: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = [&a.fallback, &a.att, &a.sig, &a.referrer]
        .into_iter()
        .map(|r| (r.clone(), subject.to_string()))
        .collect();
    all.sort();
    all
}

#[test]
fn attachments_go_with_their_image_and_only_with_it() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let old = repo.push("v1", &Image::new().created_days_ago(30).unique());
    let new = repo.push("v2", &Image::new().created_days_ago(1).unique());
    let a1 = attach(repo, &old);
    let a2 = attach(repo, &new);
    let policy = ["--match", ".*", "--keep-last", "1"];

    bed.clear_requests();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--dry-run", "-o", "json"])
        .args(policy)
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(attachments(&report), all_of(&a1, &old.digest));
    let mut expected_kept = vec![
        (a2.att.clone(), "attachment".to_string()),
        (a2.fallback.clone(), "attachment".to_string()),
        (a2.sig.clone(), "attachment".to_string()),
        ("v2".to_string(), "keep-last".to_string()),
    ];
    expected_kept.sort();
    assert_eq!(kept(&report), expected_kept);
    assert!(bed.requests().iter().all(Seen::is_read));
    assert_eq!(repo.tags().len(), 8, "a dry run changes nothing");

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "-o", "json"])
        .args(policy)
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(attachments(&report), all_of(&a1, &old.digest));
    assert_eq!(report["damaged"], json!([]));
    let mut left = vec![
        a2.att.clone(),
        a2.fallback.clone(),
        a2.sig.clone(),
        "v2".into(),
    ];
    left.sort();
    assert_eq!(repo.tags(), left);
    assert_eq!(
        repo.digest(&a1.referrer),
        None,
        "the removed image's referrer is gone"
    );
    assert!(
        repo.digest(&a2.referrer).is_some(),
        "the kept image's referrer stays"
    );
}

#[test]
fn an_image_that_keeps_a_tag_keeps_its_attachments() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let image = repo.push("v1", &Image::new().unique());
    repo.tag("v1", "latest");
    let a = attach(repo, &image);
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--match", "^v1$", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(report["attachments"], json!([]));
    let mut left = vec![
        a.att.clone(),
        a.fallback.clone(),
        a.sig.clone(),
        "latest".into(),
    ];
    left.sort();
    assert_eq!(repo.tags(), left);
    assert!(repo.digest(&a.referrer).is_some());
}

#[test]
fn keep_attachments_leaves_them() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let image = repo.push("pr-1", &Image::new().unique());
    let a = attach(repo, &image);
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--match",
            "^pr-",
            "--keep-attachments",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(report["attachments"], json!([]));
    let mut left = vec![a.att.clone(), a.fallback.clone(), a.sig.clone()];
    left.sort();
    assert_eq!(repo.tags(), left);
}

/// A multi-arch index `multi` over two untagged platform images, an old
/// index `old` over two more, and a stray untagged image.
pub(crate) fn multi_arch(repo: &Repo) -> (Vec<Pushed>, Vec<Pushed>, Pushed) {
    let children = |tag: &str| -> Vec<Pushed> {
        [("linux", "amd64"), ("linux", "arm64")]
            .iter()
            .map(|(os, arch)| {
                let image = Image::new()
                    .platform(os, arch)
                    .annotation("of", tag)
                    .unique();
                repo.push_untagged(&image)
            })
            .collect()
    };
    let kept = children("multi");
    repo.push_index("multi", &kept);
    let gone = children("old");
    repo.push_index("old", &gone);
    let stray = repo.push_untagged(&Image::new().unique());
    (kept, gone, stray)
}

#[test]
fn untagged_children_stay_with_their_index_and_go_with_it() {
    let bed = Bed::start(Vendor::OciLayout);
    let repo = &bed.repo;
    let (kept_children, gone_children, stray) = multi_arch(repo);

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!([]));
    assert_eq!(report["untagged"], json!([stray.digest]));
    for child in kept_children.iter().chain(&gone_children) {
        assert!(
            repo.digest(&child.digest).is_some(),
            "a tagged index's child stays"
        );
    }

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
    let mut expected: Vec<String> = gone_children.iter().map(|c| c.digest.clone()).collect();
    expected.sort();
    assert_eq!(sorted(&report["untagged"]), expected);
    for child in &gone_children {
        assert_eq!(
            repo.digest(&child.digest),
            None,
            "the removed index's child goes"
        );
    }
    for child in &kept_children {
        assert!(repo.digest(&child.digest).is_some());
    }
    assert_eq!(repo.tags(), ["multi"]);
}

#[test]
fn untagged_fails_before_any_change_where_manifests_cannot_be_listed() {
    let bed = Bed::start(Vendor::Default);
    bed.repo.push("pr-1", &Image::new().unique());
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
    assert!(
        out.has_hint("--untagged works with"),
        "{}",
        out.stderr_str()
    );
    assert!(bed.requests().iter().all(Seen::is_read));
    assert_eq!(bed.repo.tags(), ["pr-1"]);
}

#[test]
fn in_use_from_kubectl_protects_by_image_id_and_by_tag() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let running = repo.push("rel-7", &Image::new().unique());
    repo.push("v2", &Image::new().unique());
    for tag in ["v1", "v3", "v4"] {
        repo.push(tag, &Image::new().unique());
    }
    let pods =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pods.json"))
            .unwrap()
            .replace("{{registry}}", bed.registry())
            .replace("{{digest}}", &running.digest);
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--match",
            ".*",
            "--in-use",
            "-",
            "-o",
            "json",
        ])
        .stdin(pods)
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1", "v3", "v4"]);
    assert_eq!(
        kept(&report),
        [
            ("rel-7".into(), "in-use".into()),
            ("v2".into(), "in-use".into())
        ]
    );
    assert_eq!(repo.tags(), ["rel-7", "v2"]);
}

#[test]
fn verification_catches_a_child_deleted_behind_berths_back() {
    let bed = Bed::start(Vendor::OciLayout);
    let repo = &bed.repo;
    let children: Vec<Pushed> = ["amd64", "arm64"]
        .iter()
        .map(|arch| repo.push_untagged(&Image::new().platform("linux", arch).unique()))
        .collect();
    repo.push_index("multi", &children);
    repo.push("pr-1", &Image::new().unique());
    let dir = bed.registry().trim_start_matches("oci:").to_string() + "/" + &repo.name;
    let hex = children[1].digest.trim_start_matches("sha256:");
    std::fs::remove_file(format!("{dir}/blobs/sha256/{hex}")).unwrap();

    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--match", "^pr-", "-o", "json"])
        .run();
    let stderr = out.failure();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sorted(&report["deleted"]), ["pr-1"]);
    assert_eq!(report["damaged"][0]["tag"], "multi");
    assert!(
        report["damaged"][0]["problem"]
            .as_str()
            .unwrap()
            .contains(&children[1].digest),
        "{report}"
    );
    assert!(stderr.contains("multi: kept but damaged"), "{stderr}");

    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--match",
            "^pr-",
            "--no-verify",
            "-o",
            "json",
        ])
        .run();
    assert!(out.success().json().get("damaged").is_none());
}

#[test]
fn max_delete_refuses_before_any_change() {
    let bed = Bed::start(Vendor::Default);
    for tag in ["pr-1", "pr-2", "pr-3"] {
        bed.repo.push(tag, &Image::new().unique());
    }
    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &bed.repo.address,
            "--match",
            "^pr-",
            "--max-delete",
            "2",
            "-o",
            "json",
        ])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("more than --max-delete 2"), "{stderr}");
    assert_eq!(sorted(&out.json()["deleted"]), ["pr-1", "pr-2", "pr-3"]);
    assert!(bed.requests().iter().all(Seen::is_read));
    assert_eq!(bed.repo.tags().len(), 3);
}

#[test]
fn a_failed_removal_keeps_the_image_and_its_attachments() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let image = repo.push("pr-1", &Image::new().unique());
    let a = attach(repo, &image);
    // Every write to the registry fails: the tag stays, so its image does.
    bed.part::<Proxy>()
        .on(Method::PUT, "/v2/*")
        .respond(500, "{}");
    bed.part::<Proxy>()
        .on(Method::DELETE, "/v2/*")
        .respond(500, "{}");
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--match", "^pr-", "-o", "json"])
        .run();
    out.failure();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failed"][0]["tag"], "pr-1");
    assert_eq!(report["attachments"], json!([]));
    assert_eq!(report["damaged"], json!([]));
    assert!(repo.digest(&a.referrer).is_some());
    assert_eq!(repo.tags().len(), 4);
}

#[test]
fn a_referrer_waits_for_the_fallback_index_that_lists_it() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let image = repo.push("pr-1", &Image::new().unique());
    let a = attach(repo, &image);
    let children: Vec<Pushed> = ["amd64", "arm64"]
        .iter()
        .map(|arch| repo.push_untagged(&Image::new().platform("linux", arch).unique()))
        .collect();
    repo.push_index("main", &children);
    // Moving the fallback tag off its index fails: the tag stays, so the
    // referrer it lists must stay too.
    bed.part::<Proxy>()
        .on(
            Method::PUT,
            &format!("/v2/{}/manifests/{}", repo.name, a.fallback),
        )
        .respond(500, "{}");
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--match", "^pr-", "-o", "json"])
        .run();
    out.failure();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["damaged"], json!([]));
    let failed: Vec<&str> = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["tag"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&a.fallback.as_str()), "{report}");
    assert!(failed.contains(&a.referrer.as_str()), "{report}");
    assert!(
        repo.digest(&a.referrer).is_some(),
        "listed by a tag that stays"
    );
    let mut left = vec![a.fallback.clone(), "main".to_string()];
    left.sort();
    assert_eq!(repo.tags(), left);
    for child in &children {
        assert!(repo.digest(&child.digest).is_some());
    }
}

/// Every manifest the registry behind the bed holds for its repository,
/// tagged or not.
pub(crate) fn revisions(bed: &Bed) -> Vec<String> {
    bed.part::<Registry>().revisions().list(&bed.repo.name)
}

pub(crate) fn without(all: &[String], gone: &[&str]) -> Vec<String> {
    all.iter()
        .filter(|d| !gone.contains(&d.as_str()))
        .cloned()
        .collect()
}

/// The writes a vendor documents for cleanup, by what they remove: a tag
/// (`Some(tag)`) or a manifest (`None`) of `digest`; `None` for any other
/// request that changes something.
fn documented_write(vendor: Vendor, repo: &str, seen: &Seen) -> Option<(String, Option<String>)> {
    if seen.method != Method::DELETE {
        return None;
    }
    let path = seen.route();
    match vendor {
        Vendor::Harbor => {
            let (project, name) = repo.split_once('/').unwrap();
            let name = name.replace('/', "%252F");
            let rest = path.strip_prefix(&format!(
                "/api/v2.0/projects/{project}/repositories/{name}/artifacts/"
            ))?;
            match rest.split_once("/tags/") {
                Some((digest, tag)) => Some((digest.to_string(), Some(tag.to_string()))),
                None => Some((rest.to_string(), None)),
            }
        }
        Vendor::Acr => {
            if let Some(digest) = path.strip_prefix(&format!("/v2/{repo}/manifests/")) {
                return digest
                    .starts_with("sha256:")
                    .then(|| (digest.to_string(), None));
            }
            let tag = path.strip_prefix(&format!("/acr/v1/{repo}/_tags/"))?;
            Some((String::new(), Some(tag.to_string())))
        }
        Vendor::Gcr => {
            // The OCI delete: by tag it untags, by digest it deletes a
            // manifest no tag points at.
            let reference = path.strip_prefix(&format!("/v2/{repo}/manifests/"))?;
            Some(match reference.starts_with("sha256:") {
                true => (reference.to_string(), None),
                false => (String::new(), Some(reference.to_string())),
            })
        }
        _ => unreachable!("no documented writes for {vendor:?}"),
    }
}

/// The writes `bed` saw since it was last cleared, each documented.
fn writes(bed: &Bed) -> Vec<(String, Option<String>)> {
    bed.requests()
        .iter()
        .filter(|r| !r.changes_nothing())
        .map(|r| {
            documented_write(bed.vendor, &bed.repo.name, r)
                .unwrap_or_else(|| panic!("undocumented write {} {}", r.method, r.path))
        })
        .collect()
}

/// `--untagged` on a vendor's fake: the children of a kept index stay, a
/// stray untagged image goes, and an index that goes takes its children.
fn untagged_on(vendor: Vendor) {
    let bed = Bed::start(vendor);
    let repo = &bed.repo;
    let (kept_children, gone_children, stray) = multi_arch(repo);
    let old = repo.digest("old").unwrap();
    let before = revisions(&bed);
    assert_eq!(before.len(), 7, "two indexes, four children, the stray");

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
    let requests = bed.requests();
    assert!(requests.iter().all(Seen::changes_nothing), "{requests:?}");
    assert_eq!(revisions(&bed), before, "a dry run changes nothing");

    bed.clear_requests();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!([]));
    assert_eq!(report["untagged"], json!([stray.digest]));
    assert_eq!(report["damaged"], json!([]));
    assert_eq!(writes(&bed), [(stray.digest.clone(), None)]);
    assert_eq!(revisions(&bed), without(&before, &[&stray.digest]));
    assert_eq!(repo.tags(), ["multi", "old"]);

    bed.clear_requests();
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
    assert_eq!(report["damaged"], json!([]));
    let written = writes(&bed);
    assert!(
        written.iter().any(|(_, tag)| tag.as_deref() == Some("old")),
        "{written:?}"
    );
    let manifests: Vec<&str> = written
        .iter()
        .filter(|(_, tag)| tag.is_none())
        .map(|(d, _)| d.as_str())
        .collect();
    for digest in &manifests {
        assert!(
            *digest == old || gone.iter().any(|g| g == digest),
            "deleted {digest}, which the index that stays reaches"
        );
    }
    let mut expected_gone: Vec<&str> = vec![&stray.digest, &old];
    expected_gone.extend(gone.iter().map(String::as_str));
    assert_eq!(revisions(&bed), without(&before, &expected_gone));
    for child in &kept_children {
        assert!(revisions(&bed).contains(&child.digest));
    }
    assert_eq!(repo.tags(), ["multi"]);
}

/// Attachments on a vendor's fake: an image that stays keeps every one of
/// them, even when they are newer than it and `--keep-last 1` selects
/// everything; an image that goes takes them all.
fn attachments_on(vendor: Vendor) {
    let bed = Bed::start(vendor);
    let repo = &bed.repo;
    let image = repo.push("v1", &Image::new().created_days_ago(30).unique());
    let a = attach(repo, &image);
    let before = revisions(&bed);
    assert_eq!(
        before.len(),
        5,
        "the image, .sig, .att, the referrer, the fallback index"
    );
    let tags = repo.tags();

    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--untagged",
            "--match",
            ".*",
            "--keep-last",
            "1",
        ])
        .args(["-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!([]));
    assert_eq!(report["attachments"], json!([]));
    assert_eq!(report["untagged"], json!([]));
    let mut expected_kept = vec![
        (a.att.clone(), "attachment".to_string()),
        (a.fallback.clone(), "attachment".to_string()),
        (a.sig.clone(), "attachment".to_string()),
        ("v1".to_string(), "keep-last".to_string()),
    ];
    expected_kept.sort();
    assert_eq!(kept(&report), expected_kept);
    assert_eq!(writes(&bed), []);
    assert_eq!(revisions(&bed), before);
    assert_eq!(repo.tags(), tags);

    bed.clear_requests();
    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--match",
            "^v1$",
            "--dry-run",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(attachments(&report), all_of(&a, &image.digest));
    let requests = bed.requests();
    assert!(requests.iter().all(Seen::changes_nothing), "{requests:?}");
    assert_eq!(revisions(&bed), before);

    // A tag delete leaves the manifest on these registries, untagged: all
    // but the fallback index, which goes whole before the referrer it lists
    // (Harbor refuses to delete what an index lists; elsewhere the index
    // would be left listing a manifest that is gone). On Google's registries
    // the provider also deletes the manifest an attachment's tag delete left
    // untagged, which the host hands over as held by nothing else.
    let fallback = repo.digest(&a.fallback).unwrap();
    let sig = repo.digest(&a.sig).unwrap();
    let att = repo.digest(&a.att).unwrap();
    bed.clear_requests();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--match", "^v1$", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(attachments(&report), all_of(&a, &image.digest));
    assert_eq!(report["damaged"], json!([]));
    let written = writes(&bed);
    let manifests: Vec<&str> = written
        .iter()
        .filter(|(_, tag)| tag.is_none())
        .map(|(d, _)| d.as_str())
        .collect();
    let mut left = vec![image.digest.clone(), sig.clone(), att.clone()];
    if vendor == Vendor::Gcr {
        let position = |d: &str| manifests.iter().position(|m| *m == d);
        assert!(
            position(&fallback) < position(&a.referrer),
            "the fallback index goes before the referrer it lists: {written:?}"
        );
        let mut all = manifests.clone();
        all.sort();
        let mut expected = [sig.as_str(), &att, &fallback, &a.referrer];
        expected.sort();
        assert_eq!(all, expected, "{written:?}");
        left = vec![image.digest.clone()];
    } else {
        assert_eq!(manifests, [fallback.as_str(), &a.referrer]);
    }
    left.sort();
    assert_eq!(revisions(&bed), left, "{written:?}");
    assert_eq!(repo.tags(), Vec::<String>::new());

    // `--untagged` takes what is left.
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["untagged"]), left);
    assert_eq!(revisions(&bed), Vec::<String>::new());
}

// Where the provider lists manifests: untagged children stay with their
// index and go with it; attachments go with their image and only with it.
every_vendor!(untagged_on: harbor Harbor, acr Acr, gcr Gcr);
every_vendor!(attachments_on: harbor Harbor, acr Acr, gcr Gcr);

#[test]
fn harbor_lists_accessories_with_their_subject() {
    let bed = Bed::start(Vendor::Harbor);
    let repo = &bed.repo;
    let image = repo.push("v1", &Image::new().unique());
    // A referrer without a fallback tag, as a client that uses Harbor's
    // referrers API pushes it: only the image's accessories name it.
    let sbom = piece(repo, &image.digest, "sbom", SBOM, Some(&image));
    let referrer = repo.push_manifest(None, IMAGE_MANIFEST, &sbom);
    let stray = repo.push_untagged(&Image::new().unique());
    let before = revisions(&bed);

    bed.clear_requests();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(
        report["untagged"],
        json!([stray.digest]),
        "the referrer of a kept image stays"
    );
    assert_eq!(writes(&bed), [(stray.digest.clone(), None)]);
    assert_eq!(revisions(&bed), without(&before, &[&stray.digest]));
    let listings: Vec<String> = bed
        .requests()
        .iter()
        .filter(|r| r.route().ends_with("/artifacts"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        listings.contains(
            &"/api/v2.0/projects/library/repositories/app/artifacts?with_tag=true&with_accessory=true&page=1&page_size=100"
                .to_string()
        ),
        "{listings:?}"
    );

    let out = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--match",
            "^v1$",
            "--untagged",
            "-o",
            "json",
        ])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["deleted"]), ["v1"]);
    assert_eq!(
        attachments(&report),
        [(referrer.digest.clone(), image.digest.clone())]
    );
    assert_eq!(revisions(&bed), Vec::<String>::new());
}

#[test]
fn acr_lists_manifests_page_by_page() {
    let bed = Bed::start(Vendor::Acr);
    let repo = &bed.repo;
    repo.push("v1", &Image::new().unique());
    let mut strays: Vec<String> = (0..5)
        .map(|_| repo.push_untagged(&Image::new().unique()).digest)
        .collect();
    strays.sort();
    bed.part::<AcrFake>().max_page(2);
    bed.clear_requests();
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--untagged", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(sorted(&report["untagged"]), strays);
    let pages: Vec<String> = bed
        .requests()
        .iter()
        .filter(|r| r.route() == "/acr/v1/app/_manifests")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(pages.len(), 3, "six manifests, two a page: {pages:?}");
    assert_eq!(pages[0], "/acr/v1/app/_manifests?n=100");
    assert_eq!(repo.tags(), ["v1"]);
    assert_eq!(revisions(&bed).len(), 1);
}

/// Requests of a `--untagged` dry run over `tagged` tagged and `untagged`
/// untagged images on a vendor's fake: the listing's pages, and each
/// manifest read once (the listings say no subject, so berth reads it).
fn untagged_requests_on(vendor: Vendor, tagged: usize, untagged: usize) -> (usize, usize) {
    let bed = Bed::start(vendor);
    let repo = &bed.repo;
    repo.seed_tags(tagged);
    for _ in 0..untagged {
        repo.push_untagged(&Image::new().unique());
    }
    let manifests = revisions(&bed);
    assert_eq!(manifests.len(), tagged + untagged);
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
    assert_eq!(
        out.success().json()["untagged"].as_array().unwrap().len(),
        untagged
    );
    let requests = bed.requests();
    let listing = requests
        .iter()
        .filter(|r| r.status != 401)
        .filter(|r| {
            r.path.contains("with_accessory=true")
                || r.route().ends_with("/_manifests")
                || (vendor == Vendor::Gcr && r.route().ends_with("/tags/list"))
        })
        .count();
    // Reads the registry answered (the first few meet its Bearer challenge
    // and are sent again with a token).
    let reads: Vec<&str> = requests
        .iter()
        .filter(|r| r.method == Method::GET && r.route().contains("/manifests/sha256:"))
        .filter(|r| r.status != 401)
        .map(Seen::route)
        .collect();
    let distinct: std::collections::BTreeSet<&str> = reads.iter().copied().collect();
    assert_eq!(
        reads.len(),
        distinct.len(),
        "{vendor:?}: a manifest read twice"
    );
    assert_eq!(distinct.len(), manifests.len(), "every manifest read once");
    (listing, reads.len())
}

#[test]
fn untagged_reads_each_manifest_once_on_harbor_and_acr() {
    for vendor in [Vendor::Harbor, Vendor::Acr] {
        let (pages, reads) = untagged_requests_on(vendor, 150, 60);
        assert_eq!(
            (pages, reads),
            (3, 210),
            "{vendor:?}: 210 manifests, 100 a page"
        );
    }
}

#[test]
fn untagged_reads_each_manifest_once_on_gcr() {
    // One unpaged tag list for the tags, one for the manifest map.
    assert_eq!(untagged_requests_on(Vendor::Gcr, 150, 60), (2, 210));
}

/// Every tag left resolves, and everything it reaches is there: children,
/// configs and layers, as the registry itself answers.
fn assert_whole(bed: &Bed) {
    let registry = bed.part::<Registry>();
    let seeder = registry.seeder();
    let name = &bed.repo.name;
    for tag in bed.repo.tags() {
        let url = format!("{}/v2/{name}/manifests/{tag}", registry.url());
        let answer = crate::support::http::request(reqwest::Method::GET, &url)
            .header("Accept", &format!("{IMAGE_MANIFEST}, {IMAGE_INDEX}"))
            .send()
            .unwrap();
        let manifest = answer.json();
        for child in manifest["manifests"].as_array().into_iter().flatten() {
            let digest = child["digest"].as_str().unwrap();
            assert!(
                bed.repo.digest(digest).is_some(),
                "{tag}: child {digest} is gone"
            );
        }
        let layers = manifest["layers"].as_array().into_iter().flatten();
        for blob in layers.chain(manifest.get("config")) {
            let digest = blob["digest"].as_str().unwrap();
            assert!(
                seeder.has_blob(name, digest),
                "{tag}: blob {digest} is gone"
            );
        }
    }
}

#[test]
fn ctrl_c_in_the_middle_leaves_every_kept_image_whole() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let keep = repo.push("keep", &Image::new().unique());
    let kept_attachments = attach(repo, &keep);
    let children: Vec<Pushed> = ["amd64", "arm64", "s390x"]
        .iter()
        .map(|arch| repo.push_untagged(&Image::new().platform("linux", arch).unique()))
        .collect();
    repo.push_index("keep-multi", &children[..2]);
    repo.push_index("pr-multi", &children);
    let mut going = Vec::new();
    for i in 0..6 {
        let image = repo.push(&format!("pr-{i}"), &Image::new().unique());
        going.push((image.clone(), attach(repo, &image)));
    }
    // Deletes pass two a second, so the run is still removing when
    // interrupted.
    let proxy = bed.part::<Proxy>();
    proxy.when(|m, _| *m == Method::DELETE).throttle(2.0, 1.0);
    let run = bed
        .berth()
        .args([
            "cleanup",
            &repo.address,
            "--match",
            "^pr-",
            "--concurrency",
            "1",
        ])
        .args(["-o", "json"])
        .spawn();
    let started = std::time::Instant::now();
    while !proxy.requests().iter().any(|r| r.method == Method::DELETE) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no removal started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run.interrupt();
    let out = run.wait();
    out.failure();

    assert_whole(&bed);
    let tags = repo.tags();
    assert!(
        tags.iter().any(|t| t.starts_with("pr-")),
        "interrupted before the end: {tags:?}"
    );
    for name in ["keep", "keep-multi"] {
        assert!(tags.contains(&name.to_string()), "{tags:?}");
    }
    for attachment in [
        &kept_attachments.sig,
        &kept_attachments.att,
        &kept_attachments.fallback,
    ] {
        assert!(tags.contains(attachment), "{attachment} of a kept image");
    }
    assert!(repo.digest(&kept_attachments.referrer).is_some());
    // An image whose tag is still there keeps its attachments.
    for (i, (_, a)) in going.iter().enumerate() {
        if tags.contains(&format!("pr-{i}")) {
            for attachment in [&a.sig, &a.att, &a.fallback] {
                assert!(tags.contains(attachment), "{attachment} of pr-{i}");
            }
            assert!(repo.digest(&a.referrer).is_some(), "referrer of pr-{i}");
        }
    }
}
