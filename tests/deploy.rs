//! The manifests in `deploy/`: `deploy/check` finds them valid (Kubernetes
//! schemas, Argo's structure), and every berth command line they run is
//! one berth accepts and that does what the manifest means. Each `apply`
//! line runs, as the Job or Workflow would run it (every shard index at
//! once, paths inside the pod mapped to a scratch directory), against a
//! plan of a real registry, made by the manifest's own `plan` line where it
//! has one: together its shards remove the plan exactly.

use crate::apply::{plan, write};
use crate::support::{Registry, RegistryOptions, Sandbox};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `deploy/check` with the repository's `.venv` (where `.ci/run` installs
/// kubernetes-validate) ahead on PATH.
fn check(args: &[&str]) -> std::process::Output {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![root().join(".venv/bin")];
    paths.extend(std::env::split_paths(&path));
    Command::new(root().join("deploy/check"))
        .args(args)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .output()
        .expect("run deploy/check")
}

#[test]
fn the_manifests_are_valid() {
    let out = check(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "deploy/check failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("manifests valid"), "{stdout}");
}

/// Every berth command line of the manifests: `(file, container, args)`.
fn command_lines() -> Vec<(String, String, Vec<String>)> {
    let out = check(&["--commands"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let args = c["args"].as_array().unwrap();
            (
                c["file"].as_str().unwrap().to_string(),
                c["container"].as_str().unwrap().to_string(),
                args.iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// `$(JOB_COMPLETION_INDEX)` and a step's shard input, as the engine
/// fills them in for shard `index`.
fn fill(arg: &str, index: usize) -> String {
    arg.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
        .replace("{{inputs.parameters.shard}}", &index.to_string())
}

/// A path inside the pod, under `scratch` here.
fn local(scratch: &Path, pod_path: &str) -> PathBuf {
    let path = scratch.join(pod_path.trim_start_matches('/'));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

/// N of `--shard I/N`, or 1.
fn shards(args: &[String]) -> usize {
    args.iter()
        .position(|a| a == "--shard")
        .map(|i| args[i + 1].rsplit('/').next().unwrap().parse().unwrap())
        .unwrap_or(1)
}

/// Runs a manifest's `plan` line in a pod of its own, against the
/// repositories under `deploy{n}`, with a policy that deletes `tag-0000`
/// and `tag-0001`; returns the plan it wrote.
fn run_plan(sandbox: &Sandbox, registry: &str, n: usize, args: &[String]) -> Value {
    let scratch = sandbox.home().join(format!("planner-{n}"));
    let policy = args[args.iter().position(|a| a == "--policy").unwrap() + 1].clone();
    std::fs::write(
        local(&scratch, &policy),
        format!("[[rule]]\nrepos = [\"{registry}/deploy{n}/*\"]\nmatch = \"^tag-000[01]$\"\n"),
    )
    .unwrap();
    let out_at = args.iter().position(|a| a == "--out").unwrap() + 1;
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace(
                "registry.example.com/team",
                &format!("{registry}/deploy{n}"),
            )
        })
        .map(|a| match a.starts_with('/') {
            true => local(&scratch, &a).display().to_string(),
            false => a,
        })
        .collect();
    let out = sandbox.berth().args(&args).run();
    assert_eq!(out.code(), 0, "plan: {}", out.stderr_str());
    serde_json::from_slice(&std::fs::read(&args[out_at]).unwrap()).unwrap()
}

#[test]
fn every_apply_line_runs_and_its_shards_cover_the_plan_exactly_once() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let lines = command_lines();
    let applies: Vec<_> = lines
        .iter()
        .filter(|(_, _, args)| args[0] == "apply")
        .collect();
    assert!(
        applies.len() >= 3,
        "the Job, the CronJob and the Workflow apply"
    );
    assert!(
        lines.iter().filter(|(_, _, a)| a[0] == "plan").count() >= 2,
        "the CronJob and the Workflow plan"
    );
    for (n, (file, container, args)) in applies.iter().enumerate() {
        let planned: Vec<(String, Vec<String>)> = (0..6)
            .map(|r| {
                let repo = format!("deploy{n}/app{r}");
                let tags = seeder.seed_tags(&repo, 4);
                (repo, tags[..2].to_vec())
            })
            .collect();
        // Where the manifest plans first, its own plan line makes the plan.
        let plan_doc = match lines.iter().find(|(f, _, a)| f == file && a[0] == "plan") {
            Some((_, _, plan_args)) => run_plan(&sandbox, &registry.addr(), n, plan_args),
            None => plan(&registry.addr(), &seeder, &planned),
        };
        let planned_tags: usize = plan_doc["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["delete"].as_array().unwrap().len())
            .sum();
        assert_eq!(planned_tags, 12, "{file}: {plan_doc}");
        let count = shards(args);
        // One file system per pod, the plan where the manifest reads it.
        let runs: Vec<_> = (0..count)
            .map(|index| {
                let scratch = sandbox.home().join(format!("pod-{n}-{index}"));
                let plan_path = local(&scratch, &args[1]);
                let (dir, name) = (plan_path.parent().unwrap(), plan_path.file_name().unwrap());
                write(dir, name.to_str().unwrap(), &plan_doc);
                let args: Vec<String> = args
                    .iter()
                    .map(|a| fill(a, index))
                    .map(|a| match a.starts_with('/') {
                        true => local(&scratch, &a).display().to_string(),
                        false => a,
                    })
                    .collect();
                sandbox.berth().args(&args).args(["-o", "json"]).spawn()
            })
            .collect();
        let mut removed = Vec::new();
        for run in runs {
            let out = run.wait();
            assert_eq!(out.code(), 0, "{file} {container}: {}", out.stderr_str());
            let report = out.json();
            for repo in report["repositories"].as_array().unwrap() {
                for tag in repo["deleted"].as_array().unwrap() {
                    removed.push(format!(
                        "{}:{}",
                        repo["repo"].as_str().unwrap(),
                        tag.as_str().unwrap()
                    ));
                }
            }
        }
        removed.sort();
        let addr = registry.addr();
        let addr = &addr;
        let mut expected: Vec<String> = planned
            .iter()
            .flat_map(|(repo, tags)| tags.iter().map(move |t| format!("{addr}/{repo}:{t}")))
            .collect();
        expected.sort();
        assert_eq!(removed, expected, "{file} {container}: {count} shards");
        for (repo, tags) in &planned {
            let left = seeder.tags(repo);
            assert_eq!(left.len(), 2, "{file}: {repo}");
            assert!(tags.iter().all(|t| !left.contains(t)));
        }
    }
}
