//! Docker config logins, as `docker login` leaves them: most registries hand
//! berth their credentials this way.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{BerthCommand, Sandbox};

/// Writes `dir/config.json` with a login to `registry` as `user`.
pub fn docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    write_config(dir, registry, json!({"auth": basic_auth(user, password)}));
}

/// A docker config directory of its own in `sandbox`, with `entry` for
/// `registry`; commands built earlier keep theirs.
pub fn write_docker_config(sandbox: &Sandbox, registry: &str, entry: Value) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = sandbox
        .home()
        .join(format!("docker-{}", NEXT.fetch_add(1, Ordering::Relaxed)));
    write_config(&dir, registry, entry);
    dir
}

fn write_config(dir: &Path, registry: &str, entry: Value) {
    let config = json!({"auths": {registry: entry}});
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

/// berth in `sandbox`, logged in to `registry` as `user` through
/// `--docker-config` (a config in the sandbox, written anew each time).
pub fn logged_in(sandbox: &Sandbox, registry: &str, user: &str, password: &str) -> BerthCommand {
    let dir = sandbox.home().join("docker");
    docker_config(&dir, registry, user, password);
    sandbox
        .berth()
        .args(["--docker-config", dir.to_str().unwrap()])
}

/// `user:password` in base64, as docker config's `auth` holds it.
pub fn basic_auth(user: &str, password: &str) -> String {
    STANDARD.encode(format!("{user}:{password}"))
}

/// The `Authorization` value of a Basic login, as a registry receives it.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", basic_auth(user, password))
}
