//! A real misbehaving component (`plugins/fixtures/hostile`, driven by
//! `--opt mode=...`) and misbehaving servers: each must end in a clear
//! error naming the plugin, within its limits, leak nothing, and leave
//! berth working. Each test would fail without the protection it names.

mod capabilities;
mod confinement;
mod dry_run;
mod integrity;
mod memory;
mod secrets;
mod server;
mod terminal;

use crate::support::{BerthCommand, Output, Registry, RegistryOptions, Sandbox};
use std::time::{Duration, Instant};

pub use server::Server;

/// How berth names the plugin in messages: its version carries an escape
/// sequence, shown escaped.
pub const NAMED: &str = "plugin hostile 0.1.0+\\u{1b}[8m";

pub fn hostile_wasm() -> Vec<u8> {
    crate::support::built_plugin("berth_plugin_hostile.wasm")
}

/// A sandbox whose plugin directory holds the hostile plugin, optionally
/// with a catalog entry for it.
pub fn sandbox(catalog: Option<&str>) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let dir = sandbox.home().join("plugins");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hostile.wasm"), hostile_wasm()).unwrap();
    if let Some(catalog) = catalog {
        std::fs::write(dir.join("plugin-registry.toml"), catalog).unwrap();
    }
    (sandbox, dir.to_str().unwrap().to_string())
}

/// Writes a docker config holding `password` for `registry`.
pub fn log_in(sandbox: &Sandbox, registry: &str, password: &str) {
    let config = sandbox.home().join(".docker");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        serde_json::json!({"auths": {registry: {"username": "me", "password": password}}})
            .to_string(),
    )
    .unwrap();
}

/// `berth --provider hostile --opt mode=MODE`; the command and its
/// arguments follow.
pub fn hostile(command: BerthCommand, dir: &str, mode: &str) -> BerthCommand {
    command
        .args(["--plugin-dir", dir, "--provider", "hostile"])
        .args(["--opt", &format!("mode={mode}")])
}

/// Runs the hostile plugin in `mode` on `tags ls repo`; returns the exit
/// code, stderr and the time taken, having checked that the host said
/// `berth: error:` and did not panic.
pub fn misbehave(
    sandbox: &Sandbox,
    dir: &str,
    repo: &str,
    mode: &str,
    extra: &[&str],
) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = hostile(sandbox.berth(), dir, mode)
        .args(["--plugin-timeout", "3s", "--timeout", "2s"])
        .args(extra)
        .args(["tags", "ls", repo])
        .timeout(Duration::from_secs(60))
        .run();
    let elapsed = started.elapsed();
    let stderr = out.stderr_str();
    assert!(stderr.contains("berth: error: "), "{mode}: {stderr}");
    assert!(
        !stderr.contains("panicked at"),
        "{mode}: the host panicked: {stderr}"
    );
    (out.code(), stderr, elapsed)
}

/// After a hostile run, berth still lists a real registry.
pub fn healthy(sandbox: &Sandbox, dir: &str) {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("ok", 2);
    let out = sandbox
        .berth()
        .args([
            "--plugin-dir",
            dir,
            "tags",
            "ls",
            &format!("{}/ok", registry.addr()),
        ])
        .run();
    assert_eq!(out.success().stdout_str().lines().count(), 2);
}

/// A run of berth under `/usr/bin/time`, and its peak resident set.
pub struct Measured {
    pub out: Output,
    pub peak_mib: u64,
}

/// Runs berth with `args` in `sandbox`, measuring its peak RSS. berth is
/// killed after `timeout` (by `timeout`, since killing `time` would leave it
/// running).
pub fn measured(sandbox: &Sandbox, args: &[&str], timeout: Duration) -> Measured {
    const MARK: &str = "peak-rss-kib ";
    let out = sandbox
        .command("/usr/bin/time")
        .args(["-f", &format!("{MARK}%M"), "timeout", "--signal=KILL"])
        .arg(format!("{}s", timeout.as_secs()))
        .arg(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .timeout(timeout + Duration::from_secs(30))
        .run();
    let stderr = out.stderr_str();
    let line = stderr
        .lines()
        .rfind(|l| l.starts_with(MARK))
        .unwrap_or_else(|| panic!("no peak RSS reported: {stderr}"));
    let kib: u64 = line[MARK.len()..].trim().parse().unwrap();
    Measured {
        out,
        peak_mib: kib >> 10,
    }
}

/// A byte that starts a terminal control sequence or rings the bell.
pub fn control_byte(bytes: &[u8]) -> Option<(usize, u8)> {
    bytes
        .iter()
        .position(|b| matches!(b, 0x1b | 0x07 | 0x9b))
        .map(|i| (i, bytes[i]))
}
