//! In a dry run the plugin is told so, and every write it attempts is
//! refused: its own PUT, DELETE, POST and PATCH (one by one and through
//! `send-all`) and every write of the host's `oci` client. The registry, behind
//! a proxy, sees reads only, and the report says what was refused.

use super::{hostile, sandbox};
use crate::support::{Proxy, Registry, RegistryOptions};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every write the `write` mode attempts, as the plugin logs it.
const ATTEMPTS: &[&str] = &[
    "http PUT",
    "http DELETE",
    "http POST",
    "http PATCH",
    "send-all #0",
    "send-all #1",
    "send-all #2",
    "send-all #3",
    "oci push-manifest",
    "oci delete-manifest",
    "oci untag",
    "oci push-blob",
    "oci move-to-throwaway",
    "oci put-back",
    "oci mount-blob",
];

fn snapshot(registry: &Registry) -> BTreeMap<String, Option<String>> {
    let seeder = registry.seeder();
    seeder
        .tags("app")
        .into_iter()
        .map(|t| {
            let digest = seeder.digest("app", &t);
            (t, digest)
        })
        .collect()
}

/// What the plugin logged of its attempts: each refused, none allowed.
fn assert_all_refused(command: &str, err: &str) {
    assert!(err.contains("dry-run flag: true"), "{command}: {err}");
    for attempt in ATTEMPTS {
        assert!(
            err.contains(&format!(
                "write attempt {attempt}: refused (dry run: berth refused"
            )),
            "{command}: {attempt}: {err}"
        );
    }
    assert!(!err.contains("ALLOWED"), "{command}: {err}");
    assert!(
        !err.contains("delete-tag called"),
        "{command}: a dry run removes nothing, so never asks the plugin to: {err}"
    );
}

/// The report's `refused`: how many, and each kind of write named.
fn assert_reported(command: &str, report: &Value, repo: &str) {
    assert_eq!(report["dry_run"], true, "{command}");
    let refused = &report["refused"];
    assert!(
        refused["count"].as_u64().unwrap() >= ATTEMPTS.len() as u64,
        "{command}: {refused}"
    );
    let first: Vec<&str> = refused["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    for expected in [
        format!("PUT http://{repo}/manifests/"),
        format!("DELETE http://{repo}/manifests/sha256:"),
        format!("POST http://{repo}/blobs/uploads/"),
        format!("PATCH http://{repo}/blobs/uploads/hostile"),
        "push of manifest ".into(),
        "delete of manifest sha256:".into(),
        "removal of tag ".into(),
        "blob upload".into(),
        "move of tag ".into(),
        "restore of tag ".into(),
        "mount of blob sha256:".into(),
    ] {
        assert!(
            first.iter().any(|w| w.starts_with(&expected)),
            "{command}: {expected} in {first:?}"
        );
    }
}

#[test]
fn a_dry_run_refuses_every_write_the_plugin_attempts() {
    let registry = Registry::start(RegistryOptions::default());
    let tags = registry.seeder().seed_tags("app", 3);
    let before = snapshot(&registry);
    let proxy = Proxy::start(&registry.url());
    let repo = format!("{}/app", proxy.addr());
    let (sandbox, dir) = sandbox(None);
    let run = |args: &[&str]| hostile(sandbox.berth(), &dir, "write").args(args).run();

    // Listing calls the plugin's list-tags; dates, its get-manifest.
    let out = run(&[
        "cleanup",
        &repo,
        "--keep-last",
        "1",
        "--dry-run",
        "-o",
        "json",
    ]);
    let report = out.success().json();
    assert_all_refused("cleanup", &out.stderr_str());
    assert_reported("cleanup", &report, &format!("{}/v2/app", proxy.addr()));
    assert_eq!(report["deleted"].as_array().unwrap().len(), 2, "{report}");

    let out = run(&[
        "tags",
        "rm",
        &repo,
        &tags[0],
        &tags[1],
        "--dry-run",
        "-o",
        "json",
    ]);
    let report = out.success().json();
    assert_all_refused("tags rm", &out.stderr_str());
    assert_reported("tags rm", &report, &format!("{}/v2/app", proxy.addr()));

    // As text, the refusals are warnings after the report.
    let out = run(&["tags", "rm", &repo, &tags[0], "--dry-run"]);
    assert_eq!(
        out.success().stdout_str(),
        format!("would delete {}\n", tags[0])
    );
    let err = out.stderr_str();
    assert!(
        err.contains("berth: warning: dry run: provider hostile attempted "),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "berth: warning: refused: DELETE http://{}/v2/app/manifests/sha256:",
            proxy.addr()
        )),
        "{err}"
    );

    let writes: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|r| !r.is_read())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "the registry saw writes: {writes:?}");
    assert!(!proxy.seen().is_empty(), "the registry was read");
    assert_eq!(snapshot(&registry), before, "nothing changed");
}
