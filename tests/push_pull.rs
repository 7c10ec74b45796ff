//! `berth push` and `berth pull`: files as an OCI artifact and back, with
//! safe file names.

use crate::support::content;
use crate::support::{Proxy, Registry, RegistryOptions, Sandbox};

const CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const CHART_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";

fn berth(sandbox: &Sandbox, args: &[&str]) -> crate::support::Output {
    sandbox
        .berth()
        .args(["--provider", "default"])
        .args(args)
        .run()
}

#[test]
fn a_helm_chart_goes_up_and_comes_back() {
    let sandbox = Sandbox::new();
    let registry = Registry::start(RegistryOptions::default());
    let work = sandbox.home().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let chart = content::bytes("chart", (1 << 20) + 77);
    std::fs::write(work.join("app-1.2.3.tgz"), &chart).unwrap();
    std::fs::write(
        work.join("chart.json"),
        br#"{"name":"app","version":"1.2.3"}"#,
    )
    .unwrap();
    let reference = format!("{}/charts/app:1.2.3", registry.addr());
    let file = format!("{}:{CHART}", work.join("app-1.2.3.tgz").display());
    let config = format!("{}:{CHART_CONFIG}", work.join("chart.json").display());
    let pushed = berth(
        &sandbox,
        &["push", &reference, &file, "--config", &config, "-o", "json"],
    );
    let pushed = pushed.success().json();
    let digest = pushed["digest"].as_str().unwrap().to_string();
    assert_eq!(pushed["tag"], "1.2.3");
    assert_eq!(
        registry.seeder().digest("charts/app", "1.2.3").unwrap(),
        digest
    );

    let got = berth(&sandbox, &["manifest", "get", &reference]);
    let manifest: serde_json::Value = serde_json::from_slice(&got.success().stdout).unwrap();
    assert_eq!(manifest["config"]["mediaType"], CHART_CONFIG);
    assert_eq!(manifest["layers"][0]["mediaType"], CHART);
    assert_eq!(
        manifest["layers"][0]["annotations"]["org.opencontainers.image.title"],
        "app-1.2.3.tgz"
    );

    let out = sandbox.home().join("out");
    let dir = out.to_str().unwrap();
    let pulled = berth(&sandbox, &["pull", &reference, "-d", dir]);
    assert_eq!(
        pulled.success().stdout_str().trim(),
        out.join("app-1.2.3.tgz").display().to_string()
    );
    assert_eq!(std::fs::read(out.join("app-1.2.3.tgz")).unwrap(), chart);

    // An existing file is kept unless --force.
    std::fs::write(out.join("app-1.2.3.tgz"), b"mine").unwrap();
    let refused = berth(&sandbox, &["pull", &reference, "-d", dir]);
    assert_eq!(refused.code(), 1);
    assert_eq!(std::fs::read(out.join("app-1.2.3.tgz")).unwrap(), b"mine");
    berth(&sandbox, &["pull", &reference, "-d", dir, "--force"]).success();
    assert_eq!(std::fs::read(out.join("app-1.2.3.tgz")).unwrap(), chart);
}

#[test]
fn a_missing_file_is_bad_usage_before_any_request() {
    let sandbox = Sandbox::new();
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let reference = format!("{}/app:x", proxy.addr());
    let missing = sandbox.home().join("nowhere.tgz");
    let out = berth(&sandbox, &["push", &reference, missing.to_str().unwrap()]);
    assert_eq!(out.code(), 2);
    assert!(out.stderr_str().contains("nowhere.tgz"));
    assert_eq!(proxy.requests().len(), 0);
}

#[test]
fn titles_that_leave_the_directory_are_refused() {
    let sandbox = Sandbox::new();
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let out = sandbox.home().join("out");
    let dir = out.to_str().unwrap();
    for (i, title) in ["../x", "/etc/x", "a/b", ""].into_iter().enumerate() {
        let bundle = content::bundle(title, b"payload", None);
        let tag = format!("t{i}");
        bundle.push(&seeder, "app", &tag);
        let reference = format!("{}/app:{tag}", registry.addr());
        let refused = berth(&sandbox, &["pull", &reference, "-d", dir]);
        assert_eq!(refused.code(), 1, "{title:?}");
        assert!(
            refused.stderr_str().contains("title"),
            "{}",
            refused.stderr_str()
        );
    }
    let written: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");
    assert!(!sandbox.home().join("x").exists());
}

#[test]
fn a_bundle_attached_to_an_image_is_listed_as_its_referrer() {
    let sandbox = Sandbox::new();
    let registry = Registry::start(RegistryOptions::default());
    let image = content::two_platforms("subject", 1024);
    let digest = image.push(&registry.seeder(), "app", "v1");
    let sbom = sandbox.home().join("sbom.json");
    std::fs::write(&sbom, br#"{"spdxVersion":"SPDX-2.3"}"#).unwrap();
    let reference = format!("{}/app:sbom", registry.addr());
    let file = format!("{}:application/spdx+json", sbom.display());
    let pushed = berth(
        &sandbox,
        &[
            "push",
            &reference,
            &file,
            "--artifact-type",
            "application/spdx+json",
            "--subject",
            &digest,
            "--annotation",
            "org.example.kind=sbom",
        ],
    );
    let sbom_digest = pushed.success().stdout_str().trim().to_string();

    let listed = berth(
        &sandbox,
        &[
            "referrers",
            "ls",
            &format!("{}/app:v1", registry.addr()),
            "-o",
            "json",
        ],
    );
    let listed = listed.success().json();
    assert_eq!(listed["subject"], digest);
    let found = listed["referrers"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["digest"], sbom_digest);
    assert_eq!(found[0]["artifact_type"], "application/spdx+json");
    assert_eq!(found[0]["annotations"]["org.example.kind"], "sbom");
}
