//! Every answer to a by-digest request is checked against that digest,
//! sha256 and sha512 alike; digests of other algorithms are refused.

use super::{NAMED, Server, hostile, sandbox};
use sha2::{Digest, Sha256, Sha512};

/// What the plugin's `forge` and `swap` modes serve for any manifest.
const FORGED: &[u8] = br#"{"schemaVersion":2,"forged":true}"#;
const OTHER: &[u8] = br#"{"schemaVersion":2,"genuine":true}"#;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn sha512(bytes: &[u8]) -> String {
    format!("sha512:{}", hex::encode(Sha512::digest(bytes)))
}

#[test]
fn manifests_asked_by_digest_must_have_that_digest() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let repo = format!("{}/x", target.addr);
    let get = |mode: &str, reference: &str| {
        hostile(sandbox.berth(), &dir, mode)
            .args(["manifest", "get", reference])
            .run()
    };
    for digest in [sha256, sha512] {
        // The bytes that have the digest asked for are printed as they are.
        let out = get("forge", &format!("{repo}@{}", digest(FORGED)));
        assert_eq!(out.success().stdout, FORGED);

        // Other bytes, claimed to have it, are refused and never printed.
        let asked = digest(OTHER);
        let out = get("forge", &format!("{repo}@{asked}"));
        let err = out.failure();
        assert!(
            err.contains(&format!(
                "{NAMED} returned manifest bytes for {asked}: the content's digest is {}, not {asked}",
                digest(FORGED)
            )),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "nothing printed");
    }
    // Honest about other bytes: refused as well.
    let asked = sha256(OTHER);
    let out = get("swap", &format!("{repo}@{asked}"));
    let err = out.failure();
    assert!(
        err.contains(&format!(
            "{NAMED} returned {} when asked for {asked}",
            sha256(FORGED)
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // By tag there is no digest to hold it to, only its own.
    assert_eq!(get("swap", &format!("{repo}:v1")).success().stdout, FORGED);
}

#[test]
fn digests_of_other_algorithms_are_refused() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let repo = format!("{}/x", target.addr);
    let out = hostile(sandbox.berth(), &dir, "md5-tag")
        .args(["tags", "ls", &repo])
        .run();
    let err = out.failure();
    assert!(
        err.contains(&format!(
            "{NAMED} returned an invalid digest \"md5:d41d8cd98f00b204e9800998ecf8427e\""
        )),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "no tag listed on an unverifiable digest"
    );

    let out = hostile(sandbox.berth(), &dir, "forge")
        .args(["manifest", "get"])
        .arg(format!("{repo}@md5:d41d8cd98f00b204e9800998ecf8427e"))
        .run();
    assert_eq!(out.code(), 2, "{}", out.stderr_str());
    assert!(
        out.stderr_str()
            .contains("berth accepts sha256: with 64 or sha512: with 128 lowercase hex digits"),
        "{}",
        out.stderr_str()
    );
    assert!(
        target.seen().is_empty(),
        "nothing was asked of the registry"
    );
}
