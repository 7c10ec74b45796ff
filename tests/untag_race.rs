//! Concurrent removals that each move a tag to a throwaway manifest, on a
//! registry another client is pushing to: the throwaway's config blob is
//! uploaded once per repository (concurrent uploads of one blob make
//! distribution answer `MANIFEST_BLOB_UNKNOWN` for a manifest naming it),
//! every named tag goes, and every other tag keeps its digest.

use crate::support::{Image, Method, Proxy, Registry, RegistryOptions, Seeder, berth};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The OCI empty config, `{}`, that every throwaway manifest names.
const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const IMAGES: usize = 20;
const ROUNDS: usize = 3;

/// `m00-keep` on each of 20 images, and `m00-a`, `m00-b` beside it: removing
/// `a` and `b` must leave `keep`, so each removal needs a throwaway.
fn seed(seeder: &Seeder, repo: &str) -> BTreeMap<String, String> {
    let mut digests = BTreeMap::new();
    for i in 0..IMAGES {
        let keep = format!("m{i:02}-keep");
        let pushed = seeder.push_image(repo, keep.as_str(), &Image::new().unique());
        for side in ["a", "b"] {
            seeder.tag(repo, &keep, &format!("m{i:02}-{side}"));
        }
        digests.insert(keep, pushed.digest);
    }
    digests
}

/// A parallel build: images with configs of their own, pushed to the same
/// repository until told to stop. Returns each tag and its digest.
fn build(
    seeder: Seeder,
    repo: String,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<BTreeMap<String, String>> {
    std::thread::spawn(move || {
        let mut pushed = BTreeMap::new();
        for n in 1.. {
            let image = Image::new().created_days_ago(n).unique();
            let tag = format!("build-{n}");
            let digest = seeder.push_image(&repo, tag.as_str(), &image).digest;
            pushed.insert(tag, digest);
            if stop.load(Ordering::Relaxed) {
                break;
            }
        }
        pushed
    })
}

fn current(seeder: &Seeder, repo: &str) -> BTreeMap<String, String> {
    seeder
        .tags(repo)
        .into_iter()
        .map(|t| {
            let digest = seeder.digest(repo, &t).expect("a listed tag resolves");
            (t, digest)
        })
        .collect()
}

#[test]
fn concurrent_throwaway_removals_during_a_parallel_build() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let seeder = registry.seeder();
    for round in 0..ROUNDS {
        let repo = format!("race{round}");
        let mut expected = seed(&seeder, &repo);
        let stop = Arc::new(AtomicBool::new(false));
        let builder = build(seeder.clone(), repo.clone(), stop.clone());

        let out = berth()
            .args(["--concurrency", "16", "cleanup"])
            .arg(format!("{}/{repo}", proxy.addr()))
            .args(["--match", "^m[0-9]+-(a|b)$", "-o", "json"])
            .run();
        stop.store(true, Ordering::Relaxed);
        let built = builder.join().expect("the build thread");
        let report = out.success().json();

        assert_eq!(
            report["deleted"].as_array().unwrap().len(),
            2 * IMAGES,
            "round {round}: {report}"
        );
        assert!(
            !built.is_empty(),
            "round {round}: the build pushed while berth ran"
        );
        expected.extend(built);
        assert_eq!(
            current(&seeder, &repo),
            expected,
            "round {round}: the named tags went, every other one kept its digest"
        );
        let empty_blob_checks = proxy
            .requests()
            .iter()
            .filter(|r| r.method == Method::HEAD && r.path == format!("/v2/{repo}/blobs/{EMPTY}"))
            .count();
        assert_eq!(
            empty_blob_checks, 1,
            "round {round}: the throwaway's config blob is pushed once per repository"
        );
    }
}
