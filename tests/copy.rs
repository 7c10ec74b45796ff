//! `berth cp`: images, indexes and artifacts with their blobs, between
//! real distribution registries and OCI layouts, verified on the way.

use crate::support::bed::every_vendor;
use crate::support::content::{self, Content};
use crate::support::fakes::chunks_only::ChunksOnly;
use crate::support::{Bed, Method, Proxy, Registry, RegistryOptions, Sandbox, Seeder, Vendor};

/// Layers over the 1 MiB a copy holds in memory, so they stream.
const LAYER: usize = (1 << 20) + 4096;

fn berth(sandbox: &Sandbox, args: &[&str]) -> crate::support::Output {
    sandbox
        .berth()
        .args(["--provider", "default"])
        .args(args)
        .run()
}

fn assert_has(seeder: &Seeder, repo: &str, content: &Content) {
    for digest in content.blob_digests() {
        assert!(seeder.has_blob(repo, &digest), "{repo} lacks blob {digest}");
    }
    for digest in content.manifest_digests() {
        assert_eq!(
            seeder.digest(repo, &digest).as_deref(),
            Some(digest.as_str())
        );
    }
}

/// Requests that wrote blobs: upload sessions, their parts and commits.
fn blob_writes(proxy: &Proxy) -> Vec<String> {
    proxy
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/blobs/uploads/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn an_index_is_copied_with_every_child_and_again_costs_one_head() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("index", LAYER);
    let digest = content.push(&source.seeder(), "app", "v1");
    let proxy = Proxy::start(&destination.url());

    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/mirror/app:v1", proxy.addr());
    let copied = berth(&sandbox, &["cp", &src, &dst, "-o", "json"]);
    let report = copied.success().json();
    assert_eq!(report["digest"], digest);
    assert_eq!(report["source"], src);
    assert_eq!(report["destination"], dst);
    assert_eq!(report["manifests"], 3);
    // Five layers (one shared) and two configs.
    assert_eq!(report["blobs"]["uploaded"], 7);
    assert_eq!(report["blobs"]["mounted"], 0);
    assert_eq!(report["blobs"]["skipped"], 0);
    let total: usize = content.blobs.iter().map(Vec::len).sum();
    assert_eq!(report["bytes_uploaded"], total);
    assert_eq!(report["unchanged"], false);
    let seeder = destination.seeder();
    assert_has(&seeder, "mirror/app", &content);
    assert_eq!(seeder.digest("mirror/app", "v1").unwrap(), digest);
    // The shared layer went up once.
    let shared = &content.blob_digests()[0];
    let commits = blob_writes(&proxy)
        .into_iter()
        .filter(|w| w.starts_with("PUT") && w.contains(&shared.replace(':', "%3A")))
        .count();
    assert_eq!(commits, 1, "{:?}", blob_writes(&proxy));

    proxy.clear_requests();
    let again = berth(&sandbox, &["cp", &src, &dst]);
    let line = again.success().stdout_str();
    assert!(
        line.starts_with(&format!("copied {src} -> {dst} {digest}")),
        "{line}"
    );
    assert!(line.contains("unchanged"), "{line}");
    let seen: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .filter(|r| r != "GET /v2/")
        .collect();
    assert_eq!(seen, ["HEAD /v2/mirror/app/manifests/v1"]);
}

#[test]
fn blobs_the_destination_has_are_not_sent_again() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("present", LAYER);
    content.push(&source.seeder(), "app", "v1");
    // The destination already has every blob, but no manifest.
    for blob in &content.blobs {
        destination.seeder().push_blob("app", blob);
    }
    let proxy = Proxy::start(&destination.url());
    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/app", proxy.addr());
    let report = berth(&sandbox, &["cp", &src, &dst, "-o", "json"]);
    let report = report.success().json();
    assert_eq!(report["destination"], format!("{dst}:v1"));
    assert_eq!(report["blobs"]["skipped"], 7);
    assert_eq!(report["bytes_uploaded"], 0);
    assert_eq!(blob_writes(&proxy), Vec::<String>::new());
    assert_has(&destination.seeder(), "app", &content);
}

#[test]
fn the_same_registry_mounts_instead_of_uploading() {
    let sandbox = Sandbox::new();
    let registry = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("mount", LAYER);
    content.push(&registry.seeder(), "team/app", "v1");
    let proxy = Proxy::start(&registry.url());
    let src = format!("{}/team/app:v1", proxy.addr());
    let dst = format!("{}/other/app:v1", proxy.addr());
    let report = berth(&sandbox, &["cp", &src, &dst, "-o", "json"]);
    let report = report.success().json();
    assert_eq!(report["blobs"]["mounted"], 7);
    assert_eq!(report["bytes_uploaded"], 0);
    let writes = blob_writes(&proxy);
    assert_eq!(writes.len(), 7, "{writes:?}");
    assert!(
        writes.iter().all(|w| w.starts_with("POST")
            && w.contains("mount=")
            && w.contains("from=team%2Fapp")),
        "{writes:?}"
    );
    assert_has(&registry.seeder(), "other/app", &content);
}

#[test]
fn a_corrupt_source_blob_fails_the_copy_and_leaves_no_tag() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("corrupt", LAYER);
    content.push(&source.seeder(), "app", "v1");
    let bad = content.blob_digests()[2].clone();
    let proxy = Proxy::start(&source.url());
    let path = format!("/v2/app/blobs/{bad}");
    proxy
        .when(move |m, p| *m == Method::GET && p == path)
        .corrupt();

    let src = format!("{}/app:v1", proxy.addr());
    let dst = format!("{}/app:v1", destination.addr());
    let failed = berth(&sandbox, &["cp", &src, &dst]);
    assert_eq!(failed.code(), 1);
    let stderr = failed.stderr_str();
    assert!(stderr.contains(&bad), "{stderr}");
    let seeder = destination.seeder();
    assert_eq!(seeder.digest("app", "v1"), None);
    assert!(!seeder.has_blob("app", &bad));
    // Nothing that references the bad blob was pushed.
    for digest in content.manifest_digests() {
        assert_eq!(seeder.digest("app", &digest), None);
    }
}

#[test]
fn platform_copies_one_child_and_tags_it() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("platform", 1024);
    let index = content.push(&source.seeder(), "app", "v1");
    let arm = content.manifest_digests()[1].clone();
    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/app:arm", destination.addr());

    let copied = berth(&sandbox, &["cp", &src, &dst, "--platform", "linux/arm64"]);
    let line = copied.success().stdout_str();
    assert!(line.contains(&arm), "{line}");
    assert!(line.contains("digest changed"), "{line}");
    assert!(line.contains(&index), "{line}");
    assert_eq!(destination.seeder().digest("app", "arm").unwrap(), arm);
    assert_eq!(destination.seeder().digest("app", &index), None);

    let missed = berth(&sandbox, &["cp", &src, &dst, "--platform", "linux/s390x"]);
    assert_eq!(missed.code(), 1);
    let stderr = missed.stderr_str();
    assert!(stderr.contains("linux/amd64, linux/arm64"), "{stderr}");

    let bad = berth(&sandbox, &["cp", &src, &dst, "--platform", "linux"]);
    assert_eq!(bad.code(), 2);
}

#[test]
fn no_clobber_refuses_to_move_a_tag() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("clobber", 1024);
    content.push(&source.seeder(), "app", "v1");
    let other = content::two_platforms("other", 1024);
    let before = other.push(&destination.seeder(), "app", "v1");
    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/app:v1", destination.addr());
    let refused = berth(&sandbox, &["cp", &src, &dst, "--no-clobber"]);
    assert_eq!(refused.code(), 1);
    assert!(refused.stderr_str().contains("--no-clobber"));
    assert_eq!(destination.seeder().digest("app", "v1").unwrap(), before);
    berth(&sandbox, &["cp", &src, &dst]).success();
    assert_eq!(
        destination.seeder().digest("app", "v1").unwrap(),
        content.digest()
    );
}

#[test]
fn layouts_on_either_side_keep_the_digest() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("layout", LAYER);
    let digest = content.push(&source.seeder(), "app", "v1");
    let dir = sandbox.home().join("made/here");
    let layout = format!("oci:{}", dir.display());

    let src = format!("{}/app:v1", source.addr());
    let out = berth(
        &sandbox,
        &["cp", &src, &format!("{layout}:v1"), "-o", "json"],
    );
    assert_eq!(out.success().json()["digest"], digest);
    for blob in content.blob_digests() {
        let path = dir.join("blobs/sha256").join(&blob[7..]);
        assert!(path.is_file(), "{} missing", path.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let dst = format!("{}/back/app:v2", destination.addr());
    let back = berth(
        &sandbox,
        &["cp", &format!("{layout}:v1"), &dst, "-o", "json"],
    );
    assert_eq!(back.success().json()["digest"], digest);
    assert_has(&destination.seeder(), "back/app", &content);
    assert_eq!(
        destination.seeder().digest("back/app", "v2").unwrap(),
        digest
    );
}

#[test]
fn throttled_uploads_are_retried_after_retry_after() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("throttled", LAYER);
    let digest = content.push(&source.seeder(), "app", "v1");
    let proxy = Proxy::start(&destination.url());
    let patches = proxy
        .when(|m, p| *m == Method::PATCH && p.contains("/blobs/uploads/"))
        .fail_times(2, 429)
        .retry_after(1);
    let commits = proxy
        .when(|m, p| *m == Method::PUT && p.contains("/blobs/uploads/"))
        .fail_times(1, 429)
        .retry_after(1);
    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/app:v1", proxy.addr());
    berth(&sandbox, &["cp", &src, &dst]).success();
    assert!(patches.hits() > 2 && commits.hits() > 1);
    assert_eq!(destination.seeder().digest("app", "v1").unwrap(), digest);
    assert_has(&destination.seeder(), "app", &content);
}

#[test]
fn all_tags_share_their_blobs() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("tags", 1024);
    let tags = ["a", "b", "c", "d"];
    for tag in tags {
        content.push(&source.seeder(), "app", tag);
    }
    let single = content::bundle("notes.txt", b"hello", None);
    single.push(&source.seeder(), "app", "e");
    let proxy = Proxy::start(&destination.url());
    let src = format!("{}/app", source.addr());
    let dst = format!("{}/app", proxy.addr());
    let out = berth(&sandbox, &["cp", &src, &dst, "--all-tags", "-o", "json"]);
    let report = out.success().json();
    let copied = report.as_array().unwrap();
    assert_eq!(copied.len(), 5);
    let uploaded: u64 = copied
        .iter()
        .map(|c| c["blobs"]["uploaded"].as_u64().unwrap())
        .sum();
    assert_eq!(uploaded, 7 + 2);
    let mut names = destination.seeder().tags("app");
    names.sort();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let commits = blob_writes(&proxy)
        .into_iter()
        .filter(|w| w.starts_with("PUT"))
        .count();
    assert_eq!(commits, 9);
}

#[test]
fn referrers_come_along_through_the_fallback_tag() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("signed", 1024);
    let digest = content.push(&source.seeder(), "app", "v1");
    let index = &content.manifests.last().unwrap().1;
    let subject = (
        "application/vnd.oci.image.index.v1+json",
        digest.as_str(),
        index.len(),
    );
    let signature = content::bundle("sig", b"signed", Some(subject));
    let sig = signature.push(&source.seeder(), "app", "scratch");
    // The fallback tag, as clients keep it where there is no referrers API.
    let fallback = format!("sha256-{}", &digest[7..]);
    let entry = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": sig, "size": signature.manifests[0].1.len(),
        "artifactType": "application/vnd.example.bundle.v1",
    });
    let list = serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [entry]});
    source.seeder().push_manifest(
        "app",
        Some(fallback.as_str()),
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&list).unwrap(),
    );

    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/app:v1", destination.addr());
    let out = berth(&sandbox, &["cp", &src, &dst, "--referrers", "-o", "json"]);
    let report = out.success().json();
    assert_eq!(report["referrers"], 1);
    let seeder = destination.seeder();
    assert_eq!(seeder.digest("app", &sig).as_deref(), Some(sig.as_str()));
    assert!(seeder.digest("app", &fallback).is_some());
    let listed = berth(
        &sandbox,
        &[
            "manifest",
            "get",
            &format!("{}/app:{fallback}", destination.addr()),
        ],
    );
    assert!(listed.success().stdout_str().contains(&sig));
}

#[test]
fn a_killed_copy_leaves_no_tag_and_a_rerun_completes() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let content = content::two_platforms("killed", 4 << 20);
    let digest = content.push(&source.seeder(), "app", "v1");
    // The source trickles one layer, so the copy is mid-upload when killed.
    let slow = content.blob_digests()[3].clone();
    let proxy = Proxy::start(&source.url());
    let path = format!("/v2/app/blobs/{slow}");
    proxy
        .when(move |m, p| *m == Method::GET && p == path)
        .trickle(std::time::Duration::from_micros(50));
    let src = format!("{}/app:v1", proxy.addr());
    let dst = format!("{}/app:v1", destination.addr());
    let running = sandbox
        .berth()
        .args(["--provider", "default", "cp", &src, &dst])
        .spawn();
    std::thread::sleep(std::time::Duration::from_secs(3));
    running.kill();
    running.wait();
    assert_eq!(destination.seeder().digest("app", "v1"), None);

    let direct = format!("{}/app:v1", source.addr());
    berth(&sandbox, &["cp", &direct, &dst]).success();
    assert_eq!(destination.seeder().digest("app", "v1").unwrap(), digest);
    assert_has(&destination.seeder(), "app", &content);
}

/// A registry that refuses a streamed `PATCH` gets each large blob in
/// chunks: in order, each with its `Content-Range` and as many bytes, none
/// but the last under the registry's `OCI-Chunk-Min-Length`, then the
/// closing `PUT`. Distribution behind checks each chunk's offset against
/// the session state in the `Location` it gave for it.
#[test]
fn a_registry_that_takes_only_chunks_gets_them_in_order() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let min: u64 = 5 << 20;
    let big = content::bytes("chunked", (11 << 20) + 123);
    let bundle = content::bundle("big.bin", &big, None);
    let image = content::two_platforms("chunked", LAYER);
    let fake = ChunksOnly::start(&destination, min);
    for (tag, content) in [("big", &bundle), ("image", &image)] {
        let digest = content.push(&source.seeder(), "app", tag);
        let src = format!("{}/app:{tag}", source.addr());
        let dst = format!("{}/app:{tag}", fake.addr());
        let report = berth(&sandbox, &["cp", &src, &dst, "-o", "json"]);
        assert_eq!(report.success().json()["digest"], digest);
        assert_eq!(destination.seeder().digest("app", tag).unwrap(), digest);
        assert_has(&destination.seeder(), "app", content);
    }

    let requests = fake.requests();
    let session = |path: &str| {
        path.split("/uploads/")
            .nth(1)?
            .split('?')
            .next()
            .map(String::from)
    };
    let big_digest = &bundle.blob_digests()[1];
    let commit = requests
        .iter()
        .find(|r| r.method == Method::PUT && r.path.contains(&big_digest.replace(':', "%3A")))
        .expect("the big blob was committed");
    let id = session(&commit.path);
    let chunks: Vec<_> = requests
        .iter()
        .filter(|r| r.method == Method::PATCH && session(&r.path) == id)
        .collect();
    assert_eq!(chunks.len(), 3, "11 MiB in chunks of at least 5 MiB");
    let mut offset = 0u64;
    for (n, chunk) in chunks.iter().enumerate() {
        let range = chunk.header("content-range").expect("a Content-Range");
        let (start, end) = range.split_once('-').unwrap();
        let (start, end): (u64, u64) = (start.parse().unwrap(), end.parse().unwrap());
        assert_eq!(start, offset, "chunk {n} starts where the last ended");
        assert_eq!(end + 1 - start, chunk.body.len() as u64, "{range}");
        assert_eq!(
            chunk
                .header("content-length")
                .map(|l| l.parse::<u64>().unwrap()),
            Some(end + 1 - start)
        );
        if n + 1 < chunks.len() {
            assert!(
                end + 1 - start >= min,
                "chunk {n} of {range} is under the minimum"
            );
        }
        assert_eq!(chunk.status, 202);
        offset = end + 1;
    }
    assert_eq!(offset, big.len() as u64);
    assert!(commit.order() > chunks.last().unwrap().order());
    // The streamed form was refused once in that run, then never tried.
    let streamed = |r: &&crate::support::Seen| {
        r.method == Method::PATCH && r.header("content-range").is_none()
    };
    let first_run_end = commit.order();
    let refused: Vec<_> = requests
        .iter()
        .filter(streamed)
        .filter(|r| r.order() < first_run_end)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].status, 416);
}

/// A registry whose chunks must be larger than a copy may hold in memory
/// is refused, naming the blob, and gets no tag.
#[test]
fn chunks_larger_than_berth_holds_are_refused() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    let bundle = content::bundle("big.bin", &content::bytes("huge-chunks", LAYER), None);
    bundle.push(&source.seeder(), "app", "v1");
    let fake = ChunksOnly::start(&destination, 100 << 20);
    let src = format!("{}/app:v1", source.addr());
    let dst = format!("{}/app:v1", fake.addr());
    let refused = berth(&sandbox, &["cp", &src, &dst]);
    assert_eq!(refused.code(), 1);
    let stderr = refused.stderr_str();
    assert!(stderr.contains(&bundle.blob_digests()[1]), "{stderr}");
    assert!(
        stderr.contains("chunks of at least 104857600 bytes"),
        "{stderr}"
    );
    assert_eq!(destination.seeder().digest("app", "v1"), None);
}

/// Into and out of every provider, through the same fakes its own tests
/// use (they front a real distribution, so uploads land): a two-platform
/// index (three layers each, one shared) and a bundle go in from a layout
/// and come out to another, digests kept; copying in again sends nothing.
fn into_and_out_of(vendor: Vendor) {
    let bed = Bed::start(vendor);
    let sandbox = bed.sandbox();
    let origin = Registry::start(RegistryOptions::default());
    let image = content::two_platforms(&format!("every-{vendor:?}"), 64 << 10);
    let chart = content::bundle("chart.tgz", &content::bytes("chart", 4096), None);
    let contents = [("v1", &image), ("chart", &chart)];
    let start = format!("oci:{}", sandbox.home().join("start").display());
    for (tag, content) in contents {
        content.push(&origin.seeder(), "app", tag);
        let from = format!("{}/app:{tag}", origin.addr());
        sandbox
            .berth()
            .args(["cp", &from, &format!("{start}:{tag}")])
            .run()
            .success();
    }

    let copy_in = |tag: &str| {
        bed.berth()
            .args(["cp", &format!("{start}:{tag}"), &bed.repo.tagged(tag)])
            .args(["-o", "json"])
            .run()
    };
    for (tag, content) in contents {
        let report = copy_in(tag).success().json();
        assert_eq!(report["digest"], content.digest(), "{vendor:?} {tag}");
        assert_eq!(report["blobs"]["uploaded"], content.blobs.len());
        assert_eq!(bed.repo.digest(tag).unwrap(), content.digest());
    }

    bed.clear_requests();
    for (tag, _) in contents {
        assert_eq!(copy_in(tag).success().json()["unchanged"], true);
    }
    let uploads: Vec<String> = bed
        .requests()
        .iter()
        .filter(|s| s.path.contains("/blobs/"))
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert!(
        uploads.is_empty(),
        "{vendor:?} sent blobs again: {uploads:?}"
    );

    let end_dir = sandbox.home().join("end");
    let end = format!("oci:{}", end_dir.display());
    for (tag, content) in contents {
        let out = bed
            .berth()
            .args([
                "cp",
                &bed.repo.tagged(tag),
                &format!("{end}:{tag}"),
                "-o",
                "json",
            ])
            .run();
        assert_eq!(
            out.success().json()["digest"],
            content.digest(),
            "{vendor:?}"
        );
        for digest in content
            .blob_digests()
            .iter()
            .chain(&content.manifest_digests())
        {
            let path = end_dir.join("blobs/sha256").join(&digest[7..]);
            assert!(path.is_file(), "{vendor:?}: {digest} did not come out");
        }
    }
}

every_vendor!(into_and_out_of);

/// On a terminal a bar counts the bytes; piped, nothing but the result.
#[test]
fn a_terminal_shows_the_bytes_copied() {
    let sandbox = Sandbox::new();
    let source = Registry::start(RegistryOptions::default());
    let destination = Registry::start(RegistryOptions::default());
    content::two_platforms("bar", LAYER).push(&source.seeder(), "app", "v1");
    let src = format!("{}/app:v1", source.addr());
    let command = format!(
        "{} --provider default cp {src} {}/app:v1",
        env!("CARGO_BIN_EXE_berth"),
        destination.addr()
    );
    let out = sandbox
        .command("script")
        .env("TERM", "xterm")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .run();
    let screen = out.success().stdout_str();
    assert!(screen.contains("MiB copied"), "{screen}");

    let piped = berth(
        &sandbox,
        &["cp", &src, &format!("{}/app:v2", destination.addr())],
    );
    assert!(!piped.success().stderr_str().contains("MiB copied"));
}
