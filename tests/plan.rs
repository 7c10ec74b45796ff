//! `berth plan`: a whole registry decided by a policy file, reading only;
//! the plan is the union of what `cleanup --dry-run` decides per
//! repository, sorted and stable.

use crate::support::scenarios::{kept, sorted};
use crate::support::{Bed, Image, Seen, Vendor};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Two rules: old tags of every repository go unless kept; `keep` of
/// the `b-` repositories protects `tag-0001` from the first rule.
const POLICY: &str = r#"# berth policy
[[rule]]
repos = ["HOST/svc/**"]
match = "^tag-000[0-2]$"

[[rule]]
repos = ["HOST/svc/b-*"]
match = "^tag-0004$"
keep = ["^tag-0001$"]
"#;

fn policy(bed: &Bed, text: &str) -> PathBuf {
    let path = bed.sandbox().home().join("policy.toml");
    std::fs::write(&path, text.replace("HOST", bed.registry())).unwrap();
    path
}

fn plan(bed: &Bed, policy: &Path, targets: &[&str]) -> Value {
    let out = bed
        .berth()
        .args(["plan", "--policy", policy.to_str().unwrap()])
        .args(targets)
        .run();
    out.success().json()
}

#[test]
fn plan_of_200_repositories_is_the_union_of_their_dry_runs() {
    let bed = Bed::start(Vendor::Default);
    let mut repos = Vec::new();
    for i in 0..200 {
        let kind = if i % 2 == 0 { "a" } else { "b" };
        let repo = bed.repo_named(&format!("svc/{kind}-{i:03}"));
        repo.seed_tags(5);
        repos.push(repo);
    }
    let file = policy(&bed, POLICY);
    let before = bed.requests().len();
    let plan = plan(&bed, &file, &[bed.registry()]);
    let requests = bed.requests();
    assert!(
        requests[before..].iter().all(Seen::is_read),
        "plan only reads"
    );

    assert_eq!(plan["version"], 1);
    let planned = plan["repositories"].as_array().unwrap();
    // Only the repositories a rule covers: not the bed's own `app`.
    assert_eq!(planned.len(), 200);
    let addresses: Vec<&str> = planned
        .iter()
        .map(|r| r["repo"].as_str().unwrap())
        .collect();
    let mut sorted_addresses = addresses.clone();
    sorted_addresses.sort();
    assert_eq!(addresses, sorted_addresses, "sorted by address");

    let entry_of = |address: &str| {
        planned
            .iter()
            .find(|r| r["repo"] == address)
            .unwrap_or_else(|| panic!("{address} not planned"))
    };
    for repo in &repos {
        let entry = entry_of(&repo.address);
        let report = bed
            .berth()
            .args(["cleanup", &repo.address, "--dry-run", "-o", "json"])
            .args(["--policy", file.to_str().unwrap()])
            .run()
            .success()
            .json();
        let deleted: Vec<String> = entry["delete"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["tag"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(deleted, sorted(&report["deleted"]), "{}", repo.address);
        assert_eq!(kept(entry), kept(&report), "{}", repo.address);
        for d in entry["delete"].as_array().unwrap() {
            let tag = d["tag"].as_str().unwrap();
            assert_eq!(d["digest"].as_str(), repo.digest(tag).as_deref());
        }
    }
    let b = entry_of(&repos[1].address);
    assert_eq!(
        kept(b)
            .iter()
            .find(|(t, _)| t == "tag-0001")
            .map(|(_, r)| r.as_str()),
        Some("keep")
    );
    assert_eq!(b["delete"].as_array().unwrap().len(), 3);
    assert_eq!(
        entry_of(&repos[0].address)["delete"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(repos[0].tags().len(), 5, "planning changes nothing");
}

#[test]
fn two_plans_of_the_same_registry_are_the_same_bytes_but_for_the_time() {
    let bed = Bed::start(Vendor::Default);
    for name in ["svc/b-1", "svc/a-1", "svc/b-0"] {
        bed.repo_named(name).seed_tags(5);
    }
    let file = policy(&bed, POLICY);
    let out_file = bed.sandbox().home().join("plan.json");
    let run = || {
        bed.berth()
            .args(["plan", "--policy", file.to_str().unwrap(), bed.registry()])
            .args(["--out", out_file.to_str().unwrap()])
            .run()
            .success()
            .stdout_str();
        let text = std::fs::read_to_string(&out_file).unwrap();
        text.lines()
            .filter(|l| !l.contains("\"created\""))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run());
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let total: u64 = plan["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bytes_freed"].as_u64().unwrap())
        .sum();
    assert_eq!(plan["bytes_freed"].as_u64(), Some(total));
}

#[test]
fn a_repository_target_plans_that_repository() {
    let bed = Bed::start(Vendor::Default);
    bed.repo_named("svc/a-1").seed_tags(5);
    bed.repo_named("svc/a-2").seed_tags(5);
    let file = policy(
        &bed,
        "[[rule]]\nrepos = [\"HOST/svc/*\"]\nmatch = \"^tag-0000$\"\n",
    );
    let target = format!("{}/svc/a-2", bed.registry());
    let plan = plan(&bed, &file, &[&target]);
    let planned = plan["repositories"].as_array().unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0]["repo"], target.as_str());
    assert_eq!(planned[0]["delete"][0]["tag"], "tag-0000");
}

#[test]
fn bad_policy_files_are_refused_before_any_request() {
    let bed = Bed::start(Vendor::Default);
    for (text, needle) in [
        (
            "[[rule]]\nrepos = [\"HOST/**\"]\nmatch = \"x\"\nkepp = [\"v\"]\n",
            ":4:",
        ),
        ("[[rule]]\nrepos = [\"HOST/**\"]\nmatch = \"(\"\n", ":3:"),
        ("[[rule]]\nrepos = [\"HOST/**\"]\nkeep = [\"v\"]\n", ":1:"),
        (
            "\n[[rule]]\nrepos = [\"HOST/**\"]\nolder-than = \"soon\"\n",
            ":4:",
        ),
    ] {
        let file = policy(&bed, text);
        let out = bed
            .berth()
            .args(["plan", "--policy", file.to_str().unwrap(), bed.registry()])
            .run();
        let stderr = out.stderr_str();
        assert_eq!(out.code(), 2, "{text}\n{stderr}");
        let named = format!("{}{needle}", file.display());
        assert!(stderr.contains(&named), "{named} not in {stderr}");
    }
    assert!(bed.requests().is_empty(), "nothing was sent");
}

#[test]
fn a_glob_that_matches_no_repository_is_refused_after_reading_only() {
    let bed = Bed::start(Vendor::Default);
    bed.repo_named("svc/a-1").seed_tags(1);
    let file = policy(
        &bed,
        "[[rule]]\nrepos = [\"HOST/svc/*\", \"HOST/scv/*\"]\nmatch = \"x\"\n",
    );
    let out = bed
        .berth()
        .args(["plan", "--policy", file.to_str().unwrap(), bed.registry()])
        .run();
    assert_eq!(out.code(), 2);
    let stderr = out.stderr_str();
    assert!(
        stderr.contains(":2:") && stderr.contains("scv/*"),
        "{stderr}"
    );
    assert!(bed.requests().iter().all(Seen::is_read));
}

/// Where tag lists carry no digests, a plan reads each tag's manifest once:
/// one GET tells the digest, which images stay and the sizes of their
/// blobs. No tag is resolved twice; the only other manifest request is the
/// fallback referrers tag of the first image that goes, which tells that
/// the registry lacks the referrers API.
#[test]
fn a_plan_reads_each_tag_once() {
    let bed = Bed::start(Vendor::Default);
    bed.repo_named("svc/a-1").seed_tags(6);
    let file = policy(
        &bed,
        "[[rule]]\nrepos = [\"HOST/svc/*\"]\nmatch = \"^tag-000[0-1]$\"\n",
    );
    bed.clear_requests();
    let plan = plan(&bed, &file, &[bed.registry()]);
    assert_eq!(
        plan["repositories"][0]["delete"].as_array().unwrap().len(),
        2
    );
    let requests = bed.requests();
    let (tags, others): (Vec<&Seen>, Vec<&Seen>) = requests
        .iter()
        .filter(|r| r.route().starts_with("/v2/svc/a-1/manifests/"))
        .partition(|r| r.route().contains("/manifests/tag-"));
    let mut read: Vec<&str> = tags.iter().map(|r| r.route()).collect();
    read.sort();
    let expected: Vec<String> = (0..6)
        .map(|i| format!("/v2/svc/a-1/manifests/tag-{i:04}"))
        .collect();
    assert_eq!(read, expected, "each tag's manifest, once");
    assert!(tags.iter().all(|r| r.method == "GET"), "{tags:?}");
    assert!(others.len() <= 1, "{others:?}");
}

/// `--in-use` holds for every rule and repository: an image in use stays
/// whatever the rules select, named by tag or by digest.
#[test]
fn in_use_keeps_images_across_the_plan() {
    let bed = Bed::start(Vendor::Default);
    let a = bed.repo_named("svc/a-1");
    let b = bed.repo_named("svc/b-1");
    for repo in [&a, &b] {
        for i in 0..3 {
            repo.push(&format!("tag-{i:04}"), &Image::new().unique());
        }
    }
    let running = b.digest("tag-0001").unwrap();
    let list = bed.sandbox().home().join("in-use.txt");
    std::fs::write(&list, format!("{}\n{running}\n", a.tagged("tag-0000"))).unwrap();
    let file = policy(
        &bed,
        "[[rule]]\nrepos = [\"HOST/svc/*\"]\nmatch = \"^tag-000[0-1]$\"\n",
    );
    let out = bed
        .berth()
        .args(["plan", "--policy", file.to_str().unwrap(), bed.registry()])
        .args(["--in-use", list.to_str().unwrap()])
        .run();
    let plan = out.success().json();
    let repos = plan["repositories"].as_array().unwrap();
    let deleted = |i: usize| -> Vec<&str> {
        repos[i]["delete"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["tag"].as_str().unwrap())
            .collect()
    };
    assert_eq!(deleted(0), ["tag-0001"]);
    assert_eq!(deleted(1), ["tag-0000"]);
    assert!(kept(&repos[0]).contains(&("tag-0000".into(), "in-use".into())));
    assert!(kept(&repos[1]).contains(&("tag-0001".into(), "in-use".into())));
}
