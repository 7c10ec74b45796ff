//! A command that needs a capability the plugin did not declare is refused
//! before any request, naming the plugin and what it lacks.

use super::{NAMED, hostile, sandbox};
use crate::support::{Proxy, Registry, RegistryOptions};

#[test]
fn undeclared_capabilities_are_refused_before_any_request() {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 2);
    let proxy = Proxy::start(&registry.url());
    let repo = format!("{}/app", proxy.addr());
    let (sandbox, dir) = sandbox(None);
    std::fs::write(
        sandbox.home().join("plugins/berth_plugin_probe_x.wasm"),
        crate::support::built_plugin("berth_plugin_probe_x.wasm"),
    )
    .unwrap();
    let manifest = sandbox.home().join("m.json");
    std::fs::write(&manifest, r#"{"schemaVersion":2,"config":{},"layers":[]}"#).unwrap();

    // The hostile plugin declares list-tags, get-manifest and delete-tag.
    let out = hostile(sandbox.berth(), &dir, "write")
        .args(["manifest", "put", &format!("{repo}:new")])
        .arg(&manifest)
        .run();
    let err = out.failure();
    assert!(
        err.contains(&format!(
            "{NAMED} cannot do this: it does not declare the push-manifest capability"
        )),
        "{err}"
    );
    assert!(out.has_hint("berth plugins info hostile"), "{err}");

    // probe-x declares list-tags alone.
    for command in [
        vec!["tags", "rm", &repo, "tag-0000"],
        vec!["cleanup", &repo, "--match", ".*"],
        vec!["manifest", "get", &format!("{repo}:tag-0000")],
    ] {
        let out = sandbox
            .berth()
            .args(["--plugin-dir", &dir, "--provider", "probe-x"])
            .args(&command)
            .run();
        let err = out.failure();
        let lacks = if command[0] == "manifest" {
            "get-manifest"
        } else {
            "delete-tag"
        };
        assert!(
            err.contains(&format!(
                "plugin probe-x 0.1.0 cannot do this: it does not declare the {lacks} capability"
            )),
            "{command:?}: {err}"
        );
    }
    assert!(
        proxy.requests().is_empty(),
        "no request went out: {:?}",
        proxy.requests()
    );
    assert_eq!(registry.seeder().tags("app").len(), 2);
}
