//! `berth manifest get|put`: byte-exact round trips of images, indexes and
//! artifacts; the registry's refusal quoted.

use crate::support::{Bed, Image, Repo, Vendor, berth, sha256};

fn registry() -> Bed {
    Bed::start(Vendor::Default)
}

/// An image manifest over blobs the registry has, formatted unusually so a
/// re-serialisation would show.
fn image_manifest(repo: &Repo, extra: &str) -> Vec<u8> {
    let config = br#"{"architecture":"amd64","os":"linux","created":"2025-01-01T00:00:00Z"}"#;
    let digest = repo.push_blob(config);
    format!(
        "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n  \"config\": {{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"{digest}\", \"size\": {}}},\n  \"layers\": []{extra}\n}}\n",
        config.len()
    )
    .into_bytes()
}

#[test]
fn put_then_get_is_byte_exact() {
    let bed = registry();
    let repo = &bed.repo;
    let bytes = image_manifest(repo, "");
    let file = bed.sandbox().home().join("m.json");
    std::fs::write(&file, &bytes).unwrap();
    let out = bed
        .berth()
        .args([
            "manifest",
            "put",
            &repo.tagged("v1"),
            file.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.success().stdout_str().trim(), sha256(&bytes));
    assert_eq!(repo.digest("v1").unwrap(), sha256(&bytes));

    let got = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("v1")])
        .run();
    assert_eq!(
        got.success().stdout,
        bytes,
        "no byte added or changed, not even a newline"
    );
    let by_digest = bed
        .berth()
        .args(["manifest", "get", &repo.at(&sha256(&bytes))])
        .run();
    assert_eq!(by_digest.success().stdout, bytes);

    let json = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("v1"), "-o", "json"])
        .run();
    let v = json.success().json();
    assert_eq!(v["digest"], sha256(&bytes));
    assert_eq!(
        v["media_type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(v["manifest"]["schemaVersion"], 2);
}

#[test]
fn put_from_stdin_reads_the_media_type_from_the_document() {
    let bed = registry();
    let bytes = image_manifest(&bed.repo, "");
    let out = bed
        .berth()
        .args(["manifest", "put", &bed.repo.tagged("v1"), "-o", "json"])
        .stdin(bytes.clone())
        .run();
    assert_eq!(out.success().json()["digest"], sha256(&bytes));
}

#[test]
fn index_round_trip() {
    let bed = registry();
    let repo = &bed.repo;
    let child = repo.push_untagged(&Image::new().unique());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#,
        child.media_type, child.digest, child.size
    );
    let out = bed
        .berth()
        .args(["manifest", "put", &repo.tagged("multi")])
        .stdin(index.clone())
        .run();
    assert_eq!(out.success().stdout_str().trim(), sha256(index.as_bytes()));
    let got = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("multi")])
        .run();
    assert_eq!(got.success().stdout, index.as_bytes());
}

#[test]
fn artifact_with_subject_round_trip() {
    let bed = registry();
    let repo = &bed.repo;
    let subject = repo.push("v1", &Image::new().unique());
    let empty = repo.push_blob(b"{}");
    let sbom = repo.push_blob(b"{\"sbom\":true}");
    let artifact = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{empty}","size":2}},"layers":[{{"mediaType":"application/spdx+json","digest":"{sbom}","size":13}}],"subject":{{"mediaType":"{}","digest":"{}","size":{}}}}}"#,
        subject.media_type, subject.digest, subject.size
    );
    let out = bed
        .berth()
        .args(["manifest", "put", &repo.tagged("sbom")])
        .stdin(artifact.clone())
        .run();
    assert_eq!(
        out.success().stdout_str().trim(),
        sha256(artifact.as_bytes())
    );
    let got = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("sbom")])
        .run();
    assert_eq!(got.success().stdout, artifact.as_bytes());
}

#[test]
fn missing_blob_quotes_the_registry() {
    let bed = registry();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":3}},"layers":[]}}"#,
        "0".repeat(64)
    );
    let out = bed
        .berth()
        .args(["manifest", "put", &bed.repo.tagged("v1")])
        .stdin(manifest)
        .run();
    assert_eq!(out.code(), 1);
    let err = out.stderr_str();
    assert!(err.contains("MANIFEST_BLOB_UNKNOWN"), "{err}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let out = berth()
        .args(["manifest", "put", "127.0.0.1:9/app:v1"])
        .stdin("not json")
        .run();
    assert_eq!(out.code(), 2);
    let out = berth()
        .args([
            "manifest",
            "put",
            "127.0.0.1:9/app:v1",
            "/nonexistent/m.json",
        ])
        .run();
    assert_eq!(out.code(), 2);
    let out = berth().args(["manifest", "get", "127.0.0.1:9/app"]).run();
    assert_eq!(out.code(), 2, "a manifest reference needs a tag or digest");
}
