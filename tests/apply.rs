//! `berth apply` on real distribution and OCI layouts: shards that together
//! remove every planned tag exactly once, tags that moved or went since the
//! plan, a removal cut off on its throwaway manifest, runs killed midway
//! (among tags or attachments) that resume from their journal without
//! sending a removal twice, and attachments and untagged manifests removed
//! as `cleanup` removes them, unless their image stays since the plan.

use crate::support::scenarios::sorted;
use crate::support::{Bed, IMAGE_MANIFEST, Image, Pushed, Repo, Vendor};
use crate::support::{Method, Proxy, Registry, RegistryOptions, Sandbox, Seeder};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A plan as `berth plan` writes it: each repository's `tags` to delete, at
/// the digests they have now. `registry` is the address berth is to use.
pub fn plan(registry: &str, seeder: &Seeder, repos: &[(String, Vec<String>)]) -> Value {
    let repositories: Vec<Value> = repos
        .iter()
        .map(|(repo, tags)| {
            let delete: Vec<Value> = tags
                .iter()
                .map(|t| json!({"tag": t, "digest": seeder.digest(repo, t).expect("seeded")}))
                .collect();
            json!({
                "repo": format!("{registry}/{repo}"),
                "provider": "default",
                "delete": delete,
                "kept": [],
                "attachments": [],
                "untagged": [],
                "bytes_freed": 0,
            })
        })
        .collect();
    json!({"version": 1, "created": "2026-12-07T00:00:00Z", "repositories": repositories, "bytes_freed": 0})
}

pub fn write(dir: &Path, name: &str, plan: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    path
}

/// Every tag of `repos` and its digest.
fn state(seeder: &Seeder, repos: &[&str]) -> BTreeMap<String, String> {
    let mut state = BTreeMap::new();
    for repo in repos {
        for tag in seeder.tags(repo) {
            let digest = seeder.digest(repo, &tag).expect("a listed tag resolves");
            state.insert(format!("{repo}:{tag}"), digest);
        }
    }
    state
}

/// `repos` repositories under `prefix` of `tags` tags each; the plan takes
/// the first `planned` of each.
fn seed(
    seeder: &Seeder,
    prefix: &str,
    repos: usize,
    tags: usize,
    planned: usize,
) -> Vec<(String, Vec<String>)> {
    (0..repos)
        .map(|r| {
            let repo = format!("{prefix}/app{r}");
            let seeded = seeder.seed_tags(&repo, tags);
            (repo, seeded[..planned].to_vec())
        })
        .collect()
}

/// What should be left: everything but the planned tags, at the same digests.
fn expected_after(
    before: &BTreeMap<String, String>,
    planned: &[(String, Vec<String>)],
) -> BTreeMap<String, String> {
    let mut after = before.clone();
    for (repo, tags) in planned {
        for tag in tags {
            after.remove(&format!("{repo}:{tag}"));
        }
    }
    after
}

fn repo_names(planned: &[(String, Vec<String>)]) -> Vec<&str> {
    planned.iter().map(|(r, _)| r.as_str()).collect()
}

/// `repo:tag` of every tag a report says it deleted.
fn deleted(report: &Value, registry: &str) -> Vec<String> {
    report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            let repo = r["repo"].as_str().unwrap();
            let repo = repo.strip_prefix(&format!("{registry}/")).unwrap_or(repo);
            r["deleted"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |t| format!("{repo}:{}", t.as_str().unwrap()))
        })
        .collect()
}

fn all_planned(planned: &[(String, Vec<String>)]) -> Vec<String> {
    let mut all: Vec<String> = planned
        .iter()
        .flat_map(|(repo, tags)| tags.iter().map(move |t| format!("{repo}:{t}")))
        .collect();
    all.sort();
    all
}

/// Successful manifest deletes the registry answered, by path.
fn deletes_answered(proxy: &Proxy) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in proxy.requests() {
        if r.method == Method::DELETE
            && r.path.contains("/manifests/")
            && r.status.is_some_and(|s| (200..300).contains(&s))
        {
            *counts.entry(r.path).or_default() += 1;
        }
    }
    counts
}

#[test]
fn shards_run_at_once_remove_every_planned_tag_exactly_once() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    for n in 1..=5 {
        let planned = seed(&seeder, &format!("n{n}"), 8, 6, 4);
        let repos = repo_names(&planned);
        let before = state(&seeder, &repos);
        let plan = write(
            sandbox.home(),
            &format!("plan-{n}.json"),
            &plan(&proxy.addr(), &seeder, &planned),
        );
        proxy.clear_requests();
        let runs: Vec<_> = (0..n)
            .map(|i| {
                sandbox
                    .berth()
                    .arg("apply")
                    .arg(&plan)
                    .args(["--shard", &format!("{i}/{n}"), "-o", "json"])
                    .spawn()
            })
            .collect();
        let reports: Vec<Value> = runs
            .into_iter()
            .map(|run| run.wait().success().json())
            .collect();
        let mut removed: Vec<String> = reports
            .iter()
            .flat_map(|r| deleted(r, &proxy.addr()))
            .collect();
        removed.sort();
        assert_eq!(removed, all_planned(&planned), "{n} shards");
        for report in &reports {
            let totals = &report["totals"];
            assert_eq!(
                (&totals["missing"], &totals["changed"], &totals["failed"]),
                (&json!(0), &json!(0), &json!(0)),
                "{report}"
            );
        }
        let taken: usize = reports
            .iter()
            .map(|r| r["totals"]["repositories"].as_u64().unwrap() as usize)
            .sum();
        assert_eq!(taken, planned.len(), "each repository in one shard");
        assert_eq!(state(&seeder, &repos), expected_after(&before, &planned));
        let answered = deletes_answered(&proxy);
        assert_eq!(
            answered.values().sum::<usize>(),
            removed.len(),
            "one delete per removal: {answered:?}"
        );
    }
}

#[test]
fn tags_that_moved_or_went_since_the_plan_are_left_alone_and_reported() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let tags = seeder.seed_tags("app", 5);
    let planned = vec![("app".to_string(), tags[..3].to_vec())];
    let plan = write(
        sandbox.home(),
        "plan.json",
        &plan(&registry.addr(), &seeder, &planned),
    );
    // After the plan: tag-0001 re-pointed, tag-0002 removed by someone else.
    let moved_to = seeder.tag("app", &tags[3], &tags[1]).digest;
    let planned_at = plan_digest(&plan, &tags[1]);
    sandbox
        .berth()
        .args(["tags", "rm", &format!("{}/app", registry.addr()), &tags[2]])
        .run()
        .success();
    let before = state(&seeder, &["app"]);

    let out = sandbox
        .berth()
        .arg("apply")
        .arg(&plan)
        .args(["-o", "json"])
        .run();
    let stderr = out.failure();
    let report = out.json();
    let repo = &report["repositories"][0];
    assert_eq!(repo["deleted"], json!([tags[0]]));
    assert_eq!(repo["missing"], json!([tags[2]]));
    assert_eq!(
        repo["changed"],
        json!([{"tag": tags[1], "planned": planned_at, "now": moved_to}])
    );
    assert!(
        stderr.contains(&format!("app:{}: changed since the plan", tags[1])),
        "{stderr}"
    );
    let mut after = before.clone();
    after.remove(&format!("app:{}", tags[0]));
    assert_eq!(state(&seeder, &["app"]), after, "only tag-0000 went");
}

fn plan_digest(plan: &Path, tag: &str) -> String {
    let plan: Value = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    plan["repositories"][0]["delete"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["tag"] == tag)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The manifest berth moves a tag to while removing it, as a removal cut
/// off after that move leaves it.
fn throwaway(seeder: &Seeder, repo: &str, tag: &str, for_tag: &str) -> String {
    const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    assert_eq!(seeder.push_blob(repo, b"{}"), EMPTY);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY, "size": 2},
        "layers": [],
        "annotations": {"io.berth.throwaway": for_tag, "io.berth.nonce": "1-1"},
    });
    let bytes = serde_json::to_vec(&manifest).unwrap();
    seeder
        .push_manifest(
            repo,
            Some(tag),
            "application/vnd.oci.image.manifest.v1+json",
            &bytes,
        )
        .digest
}

#[test]
fn a_removal_cut_off_on_its_throwaway_is_finished_not_reported_changed() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let tags = seeder.seed_tags("app", 4);
    let planned = vec![("app".to_string(), tags[..2].to_vec())];
    let plan = write(
        sandbox.home(),
        "plan.json",
        &plan(&registry.addr(), &seeder, &planned),
    );
    // tag-0000 was cut off on its own throwaway; tag-0001 sits on one made
    // for another tag, which is no removal of it: that is a change.
    throwaway(&seeder, "app", &tags[0], &tags[0]);
    let foreign = throwaway(&seeder, "app", &tags[1], &tags[3]);
    let before = state(&seeder, &["app"]);

    let out = sandbox
        .berth()
        .arg("apply")
        .arg(&plan)
        .args(["-o", "json"])
        .run();
    out.failure();
    let repo = &out.json()["repositories"][0];
    assert_eq!(repo["deleted"], json!([tags[0]]));
    assert_eq!(repo["changed"][0]["tag"], json!(tags[1]));
    assert_eq!(repo["changed"][0]["now"], json!(foreign));
    let mut after = before.clone();
    after.remove(&format!("app:{}", tags[0]));
    assert_eq!(state(&seeder, &["app"]), after);
}

#[test]
fn an_apply_killed_midway_resumes_from_its_journal_sending_no_removal_twice() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    // Slow enough that the kill lands midway.
    proxy.on(Method::DELETE, "/v2/*").throttle(10.0, 1.0);
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let planned = seed(&seeder, "killed", 3, 20, 15);
    let repos = repo_names(&planned);
    let before = state(&seeder, &repos);
    let plan = write(
        sandbox.home(),
        "plan.json",
        &plan(&proxy.addr(), &seeder, &planned),
    );
    let journal = sandbox.home().join("apply.journal");

    kill_apply_after(&sandbox, &plan, &journal, 10);
    let finished_before = finished_in(&journal);
    assert!(finished_before < 45, "the kill came before the end");

    let out = sandbox
        .berth()
        .arg("apply")
        .arg(&plan)
        .arg("--journal")
        .arg(&journal)
        .args(["-o", "json"])
        .run();
    let report = out.success().json();
    let mut removed = deleted(&report, &proxy.addr());
    removed.sort();
    assert_eq!(
        removed,
        all_planned(&planned),
        "the rerun reports the whole plan"
    );
    assert_eq!(report["totals"]["missing"], json!(0));
    assert_eq!(state(&seeder, &repos), expected_after(&before, &planned));
    let answered = deletes_answered(&proxy);
    assert!(
        answered.values().all(|n| *n == 1),
        "a manifest deleted twice: {answered:?}"
    );
    assert_eq!(answered.len(), 45, "{answered:?}");
}

/// Runs `apply PLAN --journal JOURNAL` and kills it (`kill -9`) once the
/// journal records `removals` done.
fn kill_apply_after(sandbox: &Sandbox, plan: &Path, journal: &Path, removals: usize) {
    let run = sandbox
        .berth()
        .arg("apply")
        .arg(plan)
        .arg("--journal")
        .arg(journal)
        .spawn();
    let started = Instant::now();
    while finished_in(journal) < removals {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run finished {} of {removals} removals",
            finished_in(journal)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    run.kill();
    assert!(run.wait().status.code().is_none(), "killed by the signal");
}

/// Removals the journal records as done.
fn finished_in(journal: &Path) -> usize {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"state\":\"done\""))
        .count()
}

#[test]
fn a_bad_plan_or_shard_is_refused_before_any_request() {
    let sandbox = Sandbox::new();
    let cases: [(&str, &[&str], &str); 4] = [
        (
            "{\"version\": 2, \"created\": \"x\", \"repositories\": [], \"bytes_freed\": 0}",
            &[],
            "version 2",
        ),
        ("not json", &[], "is not a berth plan"),
        (
            "{\"version\": 1, \"created\": \"x\", \"bytes_freed\": 0, \"repositories\": [{\"repo\": \"127.0.0.1:1/app\", \"provider\": \"default\", \"delete\": [{\"tag\": \"bad tag\", \"digest\": \"sha256:00\"}], \"kept\": []}]}",
            &[],
            "invalid tag",
        ),
        (
            "{\"version\": 1, \"created\": \"x\", \"repositories\": [], \"bytes_freed\": 0}",
            &["--shard", "4/4"],
            "I/N",
        ),
    ];
    for (i, (plan, extra, said)) in cases.iter().enumerate() {
        let path = sandbox.home().join(format!("plan-{i}.json"));
        std::fs::write(&path, plan).unwrap();
        let out = sandbox.berth().arg("apply").arg(&path).args(*extra).run();
        assert_eq!(out.code(), 2, "{plan}: {}", out.stderr_str());
        assert!(
            out.stderr_str().contains(said),
            "{said}: {}",
            out.stderr_str()
        );
    }
}

/// A cosign-style signature of `subject`: it belongs to it by its tag
/// `sha256-<hex>.sig`, not by a `subject` field. Its blobs are stored with
/// `push_blob`.
fn signature(subject: &str, push_blob: impl Fn(&[u8]) -> String) -> Vec<u8> {
    let payload = format!("signature of {subject}");
    let config = push_blob(b"{}");
    let layer = push_blob(payload.as_bytes());
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": IMAGE_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": layer, "size": payload.len()}],
    }))
    .unwrap()
}

fn sig_tag(subject: &str) -> String {
    format!("{}.sig", subject.replacen(':', "-", 1))
}

fn sbom_tag(subject: &str) -> String {
    format!("{}.sbom", subject.replacen(':', "-", 1))
}

/// What one repository is seeded with, by label: every manifest's digest.
struct Seeded {
    digests: BTreeMap<String, String>,
}

/// Images `old` and `keep`, each with a cosign `.sig` tag, an SBOM pushed
/// with `berth push --subject` (an OCI 1.1 referrer, under the attachment
/// tag `sha256-<hex>.sbom`) and an untagged referrer; with `untagged`, also
/// a stray untagged image and an index `old-multi` over two untagged
/// children.
fn seed_images(bed: &Bed, repo: &Repo, untagged: bool) -> Seeded {
    let mut digests = BTreeMap::new();
    let sbom = bed.sandbox().home().join("sbom.json");
    std::fs::write(&sbom, br#"{"spdxVersion":"SPDX-2.3"}"#).unwrap();
    for name in ["old", "keep"] {
        let image = repo.push(name, &Image::new().annotation("of", name));
        let sig = signature(&image.digest, |b| repo.push_blob(b));
        let sig = repo.push_manifest(sig_tag(&image.digest).as_str(), IMAGE_MANIFEST, &sig);
        let pushed = bed
            .berth()
            .args(["push", &repo.tagged(&sbom_tag(&image.digest))])
            .arg(format!("{}:application/spdx+json", sbom.display()))
            .args(["--artifact-type", "application/spdx+json"])
            .args(["--subject", &image.digest])
            .run();
        let sbom_digest = pushed.success().stdout_str().trim().to_string();
        let referrer = json!({
            "schemaVersion": 2,
            "mediaType": IMAGE_MANIFEST,
            "artifactType": "application/example",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                       "digest": repo.push_blob(b"{}"), "size": 2},
            "layers": [],
            "subject": {"mediaType": IMAGE_MANIFEST, "digest": image.digest, "size": image.size},
        });
        let referrer = repo.push_manifest(
            None,
            IMAGE_MANIFEST,
            &serde_json::to_vec(&referrer).unwrap(),
        );
        digests.insert(name.to_string(), image.digest);
        digests.insert(format!("{name}.sig"), sig.digest);
        digests.insert(format!("{name}.sbom"), sbom_digest);
        digests.insert(format!("{name}.referrer"), referrer.digest);
    }
    if untagged {
        let stray = repo.push_untagged(&Image::new().annotation("of", "stray"));
        digests.insert("stray".into(), stray.digest);
        let children: Vec<Pushed> = ["amd64", "arm64"]
            .iter()
            .map(|arch| repo.push_untagged(&Image::new().platform("linux", arch)))
            .collect();
        for (child, arch) in children.iter().zip(["amd64", "arm64"]) {
            digests.insert(format!("old-multi.{arch}"), child.digest.clone());
        }
        let index = repo.push_index("old-multi", &children);
        digests.insert("old-multi".into(), index.digest);
    }
    Seeded { digests }
}

/// What is left of a seeded repository: its tags, and which seeded
/// manifests are still there.
fn end_state(repo: &Repo, seeded: &Seeded) -> (Vec<String>, BTreeMap<String, bool>) {
    let present = seeded
        .digests
        .iter()
        .map(|(label, digest)| (label.clone(), repo.digest(digest).is_some()))
        .collect();
    (repo.tags(), present)
}

fn policy_file(bed: &Bed, name: &str, repo: &Repo, untagged: bool) -> PathBuf {
    let path = bed.sandbox().home().join(name);
    let text = format!(
        "[[rule]]\nrepos = [{:?}]\nmatch = \"^old\"\nuntagged = {untagged}\n",
        repo.address
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn berth_plan(bed: &Bed, policy: &Path, repo: &Repo) -> PathBuf {
    let out = bed
        .sandbox()
        .home()
        .join(format!("plan-{}.json", repo.name));
    bed.berth()
        .arg("plan")
        .arg("--policy")
        .arg(policy)
        .arg(&repo.address)
        .arg("--out")
        .arg(&out)
        .run()
        .success();
    out
}

/// The plan of `repo` that `cleanup REPO FLAGS --dry-run` decides.
fn plan_of_dry_run(bed: &Bed, repo: &Repo, flags: &[&str]) -> PathBuf {
    let out = bed
        .berth()
        .args(["cleanup", &repo.address, "--dry-run", "-o", "json"])
        .args(flags)
        .run();
    let report = out.success().json();
    let delete: Vec<Value> = report["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!({"tag": t, "digest": repo.digest(t.as_str().unwrap()).unwrap()}))
        .collect();
    let plan = json!({
        "version": 1,
        "created": "2026-12-07T00:00:00Z",
        "repositories": [{
            "repo": repo.address,
            "provider": report["provider"],
            "delete": delete,
            "kept": report["kept"],
            "attachments": report["attachments"],
            "untagged": report["untagged"],
            "bytes_freed": 0,
        }],
        "bytes_freed": 0,
    });
    write(bed.sandbox().home(), "dry-run-plan.json", &plan)
}

#[test]
fn apply_removes_attachments_and_untagged_manifests_as_cleanup_does() {
    for (vendor, untagged) in [(Vendor::Default, false), (Vendor::OciLayout, true)] {
        let bed = Bed::start(vendor);
        let cleaned = bed.repo_named("cleaned");
        let applied = bed.repo_named("applied");
        let seeded = seed_images(&bed, &cleaned, untagged);
        let seeded_too = seed_images(&bed, &applied, untagged);
        assert_eq!(
            seeded.digests, seeded_too.digests,
            "{vendor:?}: the same images"
        );

        let flags: &[&str] = match untagged {
            true => &["--match", "^old", "--untagged"],
            false => &["--match", "^old"],
        };
        bed.berth()
            .args(["cleanup", &cleaned.address])
            .args(flags)
            .run()
            .success();
        // Policy files name registries' repositories, not layouts: a
        // layout's plan is its dry run, as `plan` would write it.
        let plan = match untagged {
            false => berth_plan(
                &bed,
                &policy_file(&bed, "p.toml", &applied, false),
                &applied,
            ),
            true => plan_of_dry_run(&bed, &applied, flags),
        };
        let planned: Value = serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
        let planned = &planned["repositories"][0];
        let out = bed
            .berth()
            .arg("apply")
            .arg(&plan)
            .args(["-o", "json"])
            .run();
        let report = out.success().json();
        let repo = &report["repositories"][0];

        let (tags, present) = end_state(&applied, &seeded);
        assert_eq!(
            (tags.clone(), present.clone()),
            end_state(&cleaned, &seeded),
            "{vendor:?} {report}"
        );
        // Not an empty agreement: the old image's attachment tags went, the
        // kept image's stayed.
        let attachment_tags = |image: &str| {
            let digest = &seeded.digests[image];
            [sig_tag(digest), sbom_tag(digest)]
        };
        for tag in attachment_tags("old") {
            assert!(!tags.contains(&tag), "{vendor:?}: {tag} went: {tags:?}");
        }
        for tag in attachment_tags("keep") {
            assert!(tags.contains(&tag), "{vendor:?}: {tag} stays: {tags:?}");
        }
        assert!(!tags.contains(&"old".to_string()));
        for label in ["keep", "keep.sig", "keep.sbom", "keep.referrer"] {
            assert!(present[label], "{vendor:?}: {label} stays");
        }
        if untagged {
            // An OCI layout lists every manifest: the untagged referrer is
            // found and goes too.
            for label in ["old.sig", "old.sbom", "old.referrer"] {
                assert!(!present[label], "{vendor:?}: {label} went: {present:?}");
            }
        }
        let mut attachments: Vec<&Value> = repo["attachments"].as_array().unwrap().iter().collect();
        attachments.sort_by_key(|a| a["removed"].as_str().unwrap().to_string());
        let mut expected: Vec<&Value> = planned["attachments"].as_array().unwrap().iter().collect();
        expected.sort_by_key(|a| a["removed"].as_str().unwrap().to_string());
        assert_eq!(
            attachments, expected,
            "{vendor:?}: every planned attachment"
        );
        assert!(expected.len() >= 3, "{vendor:?}: {planned}");
        if untagged {
            for label in ["stray", "old-multi", "old-multi.amd64", "old-multi.arm64"] {
                assert!(!present[label], "{vendor:?}: {label} went");
            }
            assert_eq!(sorted(&repo["untagged"]), sorted(&planned["untagged"]));
            assert_eq!(
                planned["untagged"].as_array().unwrap().len(),
                3,
                "{planned}"
            );
        }
        assert_eq!(repo["changed"], json!([]));
        assert_eq!(repo["failed"], json!([]));
    }
}

#[test]
fn attachments_of_an_image_tagged_again_since_the_plan_stay_and_are_reported() {
    let bed = Bed::start(Vendor::Default);
    let repo = &bed.repo;
    let seeded = seed_images(&bed, repo, false);
    let policy = policy_file(&bed, "policy.toml", repo, false);
    let plan = berth_plan(&bed, &policy, repo);
    let old = seeded.digests["old"].clone();
    // After the plan, the old image gets a tag the policy keeps.
    repo.tag("old", "pinned");

    let out = bed
        .berth()
        .arg("apply")
        .arg(&plan)
        .args(["-o", "json"])
        .run();
    let stderr = out.failure();
    let report = out.json();
    let done = &report["repositories"][0];
    assert_eq!(done["deleted"], json!(["old"]));
    assert_eq!(done["attachments"], json!([]));
    let pairs = |list: &Value, key: &str| {
        let mut pairs: Vec<(String, String)> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[key].as_str().unwrap().to_string(),
                    c["subject"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        pairs.sort();
        pairs
    };
    let planned: Value = serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
    let expected = pairs(&planned["repositories"][0]["attachments"], "removed");
    assert_eq!(pairs(&done["changed"], "attachment"), expected);
    for tag in [sig_tag(&old), sbom_tag(&old)] {
        assert!(
            expected.contains(&(tag.clone(), old.clone())),
            "{tag} planned"
        );
    }
    assert!(stderr.contains("which stays since the plan"), "{stderr}");
    let (_, present) = end_state(repo, &seeded);
    assert!(
        present.values().all(|p| *p),
        "nothing but the tag went: {present:?}"
    );
    assert!(repo.tags().contains(&"pinned".to_string()));
}

#[test]
fn an_apply_killed_among_attachments_resumes_sending_no_removal_twice() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    proxy.on(Method::DELETE, "/v2/*").throttle(10.0, 1.0);
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let mut planned = Vec::new();
    let mut signatures = Vec::new();
    for r in 0..2 {
        let repo = format!("signed/app{r}");
        let tags = seeder.seed_tags(&repo, 12);
        for tag in &tags[..10] {
            let subject = seeder.digest(&repo, tag).unwrap();
            let sig = signature(&subject, |b| seeder.push_blob(&repo, b));
            seeder.push_manifest(&repo, sig_tag(&subject).as_str(), IMAGE_MANIFEST, &sig);
            signatures.push(format!("{repo}:{}", sig_tag(&subject)));
        }
        planned.push((repo, tags[..10].to_vec()));
    }
    let repos = repo_names(&planned);
    let before = state(&seeder, &repos);
    let policy = sandbox.home().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[rule]]\nrepos = [\"{}/signed/*\"]\nmatch = \"^tag-000[0-9]$\"\n",
            proxy.addr()
        ),
    )
    .unwrap();
    let plan = sandbox.home().join("plan.json");
    sandbox
        .berth()
        .args(["plan", "--policy"])
        .arg(&policy)
        .arg(format!("{}/signed", proxy.addr()))
        .arg("--out")
        .arg(&plan)
        .run()
        .success();
    let journal = sandbox.home().join("apply.journal");

    proxy.clear_requests();
    // Past the 20 tags, among the attachments.
    kill_apply_after(&sandbox, &plan, &journal, 26);
    assert!(finished_in(&journal) < 40, "the kill came before the end");

    let out = sandbox
        .berth()
        .arg("apply")
        .arg(&plan)
        .arg("--journal")
        .arg(&journal)
        .args(["-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["totals"]["deleted"], json!(20));
    assert_eq!(report["totals"]["attachments"], json!(20), "{report}");
    assert_eq!(report["totals"]["missing"], json!(0));
    let mut after = expected_after(&before, &planned);
    for sig in &signatures {
        after.remove(sig);
    }
    assert_eq!(state(&seeder, &repos), after);
    let answered = deletes_answered(&proxy);
    assert!(
        answered.values().all(|n| *n == 1),
        "a manifest deleted twice: {answered:?}"
    );
    assert_eq!(
        answered.len(),
        40,
        "{answered:?} {report} {}",
        std::fs::read_to_string(&journal).unwrap()
    );
}

#[test]
fn attachments_of_an_image_whose_tag_failed_to_go_stay_and_are_reported_failed() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let tags = seeder.seed_tags("app", 2);
    let subject = seeder.digest("app", &tags[0]).unwrap();
    let sig = signature(&subject, |b| seeder.push_blob("app", b));
    seeder.push_manifest("app", sig_tag(&subject).as_str(), IMAGE_MANIFEST, &sig);
    let policy = sandbox.home().join("policy.toml");
    let rule = format!(
        "[[rule]]\nrepos = [\"{}/app\"]\nmatch = \"^{}$\"\n",
        proxy.addr(),
        tags[0]
    );
    std::fs::write(&policy, rule).unwrap();
    let plan = sandbox.home().join("plan.json");
    sandbox
        .berth()
        .args(["plan", "--policy"])
        .arg(&policy)
        .arg(format!("{}/app", proxy.addr()))
        .arg("--out")
        .arg(&plan)
        .run()
        .success();
    let before = state(&seeder, &["app"]);
    // The registry refuses every removal.
    proxy.on(Method::DELETE, "/v2/*").respond(403, "{}");

    let out = sandbox
        .berth()
        .arg("apply")
        .arg(&plan)
        .args(["-o", "json"])
        .run();
    out.failure();
    let report = out.json();
    let repo = &report["repositories"][0];
    let failed: Vec<(&str, &str)> = repo["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["tag"].as_str().unwrap(), f["error"].as_str().unwrap()))
        .collect();
    assert_eq!(failed.len(), 2, "{repo}");
    assert_eq!(failed[0].0, tags[0]);
    assert_eq!(
        failed[1],
        (
            sig_tag(&subject).as_str(),
            "not removed: the removal of its image's tag failed"
        )
    );
    assert_eq!(repo["changed"], json!([]));
    assert_eq!(state(&seeder, &["app"]), before, "nothing went");
}
