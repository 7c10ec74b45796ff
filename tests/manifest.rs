//! `berth manifest get|put`: byte-exact round trips of images, indexes and
//! artifacts; the registry's refusal quoted.

use crate::support::{Image, Registry, RegistryOptions, Sandbox, berth};
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An image manifest over blobs the registry has, formatted unusually so a
/// re-serialisation would show.
fn image_manifest(registry: &Registry, repo: &str, extra: &str) -> Vec<u8> {
    let seeder = registry.seeder();
    let config = br#"{"architecture":"amd64","os":"linux","created":"2025-01-01T00:00:00Z"}"#;
    let digest = seeder.push_blob(repo, config);
    format!(
        "{{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n  \"config\": {{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"{digest}\", \"size\": {}}},\n  \"layers\": []{extra}\n}}\n",
        config.len()
    )
    .into_bytes()
}

#[test]
fn put_then_get_is_byte_exact() {
    let registry = Registry::start(RegistryOptions::default());
    let bytes = image_manifest(&registry, "app", "");
    let sandbox = Sandbox::new();
    let file = sandbox.home().join("m.json");
    std::fs::write(&file, &bytes).unwrap();
    let repo = format!("{}/app", registry.addr());
    let out = sandbox
        .berth()
        .args([
            "manifest",
            "put",
            &format!("{repo}:v1"),
            file.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.success().stdout_str().trim(), sha(&bytes));
    assert_eq!(registry.seeder().digest("app", "v1").unwrap(), sha(&bytes));

    let got = sandbox
        .berth()
        .args(["manifest", "get", &format!("{repo}:v1")])
        .run();
    assert_eq!(
        got.success().stdout,
        bytes,
        "no byte added or changed, not even a newline"
    );
    let by_digest = sandbox
        .berth()
        .args(["manifest", "get", &format!("{repo}@{}", sha(&bytes))])
        .run();
    assert_eq!(by_digest.success().stdout, bytes);

    let json = sandbox
        .berth()
        .args(["manifest", "get", &format!("{repo}:v1"), "-o", "json"])
        .run();
    let v = json.success().json();
    assert_eq!(v["digest"], sha(&bytes));
    assert_eq!(
        v["media_type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(v["manifest"]["schemaVersion"], 2);
}

#[test]
fn put_from_stdin_reads_the_media_type_from_the_document() {
    let registry = Registry::start(RegistryOptions::default());
    let bytes = image_manifest(&registry, "app", "");
    let out = berth()
        .args([
            "manifest",
            "put",
            &format!("{}/app:v1", registry.addr()),
            "-o",
            "json",
        ])
        .stdin(bytes.clone())
        .run();
    assert_eq!(out.success().json()["digest"], sha(&bytes));
}

#[test]
fn index_round_trip() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let child = seeder.push_image("app", None, &Image::new().unique());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#,
        child.media_type, child.digest, child.size
    );
    let repo = format!("{}/app", registry.addr());
    let out = berth()
        .args(["manifest", "put", &format!("{repo}:multi")])
        .stdin(index.clone())
        .run();
    assert_eq!(out.success().stdout_str().trim(), sha(index.as_bytes()));
    let got = berth()
        .args(["manifest", "get", &format!("{repo}:multi")])
        .run();
    assert_eq!(got.success().stdout, index.as_bytes());
}

#[test]
fn artifact_with_subject_round_trip() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let subject = seeder.push_image("app", "v1", &Image::new().unique());
    let empty = seeder.push_blob("app", b"{}");
    let sbom = seeder.push_blob("app", b"{\"sbom\":true}");
    let artifact = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{empty}","size":2}},"layers":[{{"mediaType":"application/spdx+json","digest":"{sbom}","size":13}}],"subject":{{"mediaType":"{}","digest":"{}","size":{}}}}}"#,
        subject.media_type, subject.digest, subject.size
    );
    let repo = format!("{}/app", registry.addr());
    let out = berth()
        .args(["manifest", "put", &format!("{repo}:sbom")])
        .stdin(artifact.clone())
        .run();
    assert_eq!(out.success().stdout_str().trim(), sha(artifact.as_bytes()));
    let got = berth()
        .args(["manifest", "get", &format!("{repo}:sbom")])
        .run();
    assert_eq!(got.success().stdout, artifact.as_bytes());
}

#[test]
fn missing_blob_quotes_the_registry() {
    let registry = Registry::start(RegistryOptions::default());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":3}},"layers":[]}}"#,
        "0".repeat(64)
    );
    let out = berth()
        .args(["manifest", "put", &format!("{}/app:v1", registry.addr())])
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
