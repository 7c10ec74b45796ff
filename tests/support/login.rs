//! Docker config logins, as `docker login` leaves them: most registries hand
//! berth their credentials this way.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{BerthCommand, Sandbox};

/// Writes `dir/config.json` with a login to `registry` as `user`.
pub fn docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    let auth = STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({"auths": {registry: {"auth": auth}}});
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

/// The `Authorization` value of a Basic login, as a registry receives it.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}
