//! `berth plan --html`: the review page, rendered by headless Chromium,
//! shows the JSON plan's numbers, logs no console error, and fetches
//! nothing; a screenshot is kept under the target directory.

use crate::support::{Registry, RegistryOptions, Sandbox, target_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Chromium's DOM after the page's scripts ran, and its console lines.
struct Rendered {
    dom: String,
    console: Vec<String>,
}

fn chromium(page: &Path, profile: &Path, extra: &[String]) -> std::process::Output {
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()));
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect(
            "chromium runs (Debian packages chromium and chromium-driver; .ci/run installs them)",
        );
    let id = child.id();
    // Killed if it hangs, so a stuck browser fails the test instead of holding it.
    let guard = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(120));
        let _ = Command::new("kill").args(["-9", &id.to_string()]).status();
    });
    let out = child.wait_with_output().expect("wait for chromium");
    drop(guard);
    out
}

fn render(page: &Path, profile: &Path) -> Rendered {
    let out = chromium(page, profile, &["--dump-dom".to_string()]);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console: String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(String::from)
            .collect(),
    }
}

/// `data-value` of the element with `id`.
fn value_of(dom: &str, id: &str) -> u64 {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &dom[at..];
    let value = rest.split("data-value=\"").nth(1).unwrap();
    value[..value.find('"').unwrap()].parse().unwrap()
}

/// Removals and bytes of the row of `repo`.
fn row_of(dom: &str, repo: &str) -> (u64, u64) {
    let at = dom
        .find(&format!("data-repo=\"{repo}\""))
        .unwrap_or_else(|| panic!("no row for {repo}"));
    let row = &dom[at..at + dom[at..].find("</tr>").unwrap()];
    let values: Vec<u64> = row
        .split("data-value=\"")
        .skip(1)
        .map(|v| v[..v.find('"').unwrap()].parse().unwrap())
        .collect();
    (values[0], values[2])
}

fn artifacts() -> PathBuf {
    let dir = target_dir().join("test-artifacts/plan-html");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_review_page_shows_the_plans_numbers_without_console_errors() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    for (repo, count) in [("team/api", 6), ("team/web", 3), ("team/docs", 2)] {
        seeder.seed_tags(repo, count);
    }
    let policy = sandbox.home().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[[rule]]\nrepos = [\"{}/team/*\"]\nmatch = \".*\"\nkeep-last = 1\n",
            registry.addr()
        ),
    )
    .unwrap();
    let page = sandbox.home().join("plan.html");
    let out = sandbox
        .berth()
        .args(["plan", "--policy"])
        .arg(&policy)
        .arg(format!("{}/team", registry.addr()))
        .arg("--html")
        .arg(&page)
        .args(["-o", "json"])
        .run();
    let plan: Value = out.success().json();
    let repos = plan["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 3, "{plan}");

    let profile = tempfile::tempdir().unwrap();
    let rendered = render(&page, profile.path());
    assert!(
        rendered.console.is_empty(),
        "console: {:?}",
        rendered.console
    );
    let count = |key: &str| -> u64 {
        repos
            .iter()
            .map(|r| r[key].as_array().map_or(0, |a| a.len() as u64))
            .sum()
    };
    assert_eq!(value_of(&rendered.dom, "total-repositories"), 3);
    assert_eq!(value_of(&rendered.dom, "total-delete"), count("delete"));
    assert_eq!(value_of(&rendered.dom, "total-kept"), count("kept"));
    assert_eq!(
        value_of(&rendered.dom, "total-bytes"),
        plan["bytes_freed"].as_u64().unwrap()
    );
    assert_eq!(count("delete"), 5 + 2 + 1, "all but the newest of each");
    for r in repos {
        let removals: u64 = ["delete", "attachments", "untagged"]
            .iter()
            .map(|k| r[*k].as_array().map_or(0, |a| a.len() as u64))
            .sum();
        let (shown_removals, shown_bytes) = row_of(&rendered.dom, r["repo"].as_str().unwrap());
        assert_eq!(shown_removals, removals, "{}", r["repo"]);
        assert_eq!(
            shown_bytes,
            r["bytes_freed"].as_u64().unwrap(),
            "{}",
            r["repo"]
        );
        for d in r["delete"].as_array().unwrap() {
            assert!(rendered.dom.contains(d["tag"].as_str().unwrap()));
        }
    }
    // Sorted by bytes freed, most first.
    let positions: Vec<usize> = repos
        .iter()
        .map(|r| {
            rendered
                .dom
                .find(&format!("data-repo=\"{}\"", r["repo"].as_str().unwrap()))
                .unwrap()
        })
        .collect();
    let mut by_bytes: Vec<(u64, usize)> = repos
        .iter()
        .zip(&positions)
        .map(|(r, p)| (r["bytes_freed"].as_u64().unwrap(), *p))
        .collect();
    by_bytes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert!(
        by_bytes
            .windows(2)
            .all(|w| w[0].1 < w[1].1 || w[0].0 == w[1].0)
    );

    let shot = artifacts().join("plan.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(
        &page,
        profile.path(),
        &[
            "--window-size=1280,900".into(),
            format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(out.status.success());
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
}

/// The console check catches a page whose script fails: without this, an
/// empty console could mean the check sees nothing.
#[test]
fn a_script_error_on_the_page_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><title>x</title><script>\"use strict\"; undefinedFunction();</script>",
    )
    .unwrap();
    let rendered = render(&page, &dir.path().join("profile"));
    assert!(
        rendered
            .console
            .iter()
            .any(|l| l.contains("undefinedFunction")),
        "{:?}",
        rendered.console
    );
}
