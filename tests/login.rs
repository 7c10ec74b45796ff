//! `berth login` / `logout` against distribution with our token server: the
//! credential is checked first, then kept through the docker config's
//! helper or in its `auths`, and the rest of the file is left alone.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::login::basic_auth;
use crate::support::{Sandbox, TokenRegistry, User};

/// A credential helper that records what it is asked and keeps what it is
/// given in a file beside it.
const RECORDING_HELPER: &str = r#"#!/bin/sh
dir="${0%/*}"
echo "$1" >> "$dir/actions"
case "$1" in
  store) cat > "$dir/stored.json" ;;
  get) read -r url
       if [ -f "$dir/stored.json" ]; then cat "$dir/stored.json"
       else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) read -r url; echo "$url" > "$dir/erased"; rm -f "$dir/stored.json" ;;
esac
"#;

struct Bed {
    registry: TokenRegistry,
    sandbox: Sandbox,
    /// The docker config directory.
    docker: PathBuf,
    /// Where the recording helper lives.
    helpers: PathBuf,
}

impl Bed {
    fn start(config: Value) -> Bed {
        let registry = TokenRegistry::start([User::new("alice", "wonder")]);
        registry.seeder().seed_tags("app", 2);
        let sandbox = Sandbox::new();
        let docker = sandbox.home().join("docker");
        fs::create_dir_all(&docker).unwrap();
        fs::write(docker.join("config.json"), config.to_string()).unwrap();
        let helpers = sandbox.home().join("helpers");
        fs::create_dir_all(&helpers).unwrap();
        let helper = helpers.join("docker-credential-rec");
        fs::write(&helper, RECORDING_HELPER).unwrap();
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
        Bed {
            registry,
            sandbox,
            docker,
            helpers,
        }
    }

    fn addr(&self) -> String {
        self.registry.registry.addr()
    }

    fn berth(&self) -> crate::support::BerthCommand {
        let path = format!(
            "{}:{}",
            self.helpers.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        self.sandbox
            .berth()
            .env("PATH", path)
            .arg("--docker-config")
            .arg(&self.docker)
    }

    fn login(&self, password: &str) -> crate::support::Output {
        self.berth()
            .args(["login", &self.addr(), "-u", "alice", "--password-stdin"])
            .stdin(format!("{password}\n"))
            .run()
    }

    fn config(&self) -> Vec<u8> {
        fs::read(self.docker.join("config.json")).unwrap()
    }

    fn actions(&self) -> Vec<String> {
        read_lines(&self.helpers.join("actions"))
    }

    fn tags(&self) -> crate::support::Output {
        self.berth()
            .args(["tags", "ls", &format!("{}/app", self.addr())])
            .run()
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn through_a_helper_the_secret_never_reaches_the_file() {
    let bed = Bed::start(json!({"credsStore": "rec", "currentContext": "default"}));
    let before = bed.config();
    let out = bed.login("wonder");
    out.success();
    assert!(
        out.stdout_str().contains("docker-credential-rec"),
        "{}",
        out.stdout_str()
    );
    assert_eq!(bed.actions(), ["store"]);
    let stored: Value =
        serde_json::from_slice(&fs::read(bed.helpers.join("stored.json")).unwrap()).unwrap();
    assert_eq!(
        stored,
        json!({"ServerURL": bed.addr(), "Username": "alice", "Secret": "wonder"})
    );
    assert_eq!(bed.config(), before, "config.json is untouched");

    // The helper now answers for the registry.
    assert_eq!(bed.tags().success().sorted_lines().len(), 2);

    bed.berth().args(["logout", &bed.addr()]).run().success();
    assert_eq!(bed.actions().last().map(String::as_str), Some("erase"));
    assert_eq!(read_lines(&bed.helpers.join("erased")), [bed.addr()]);
    assert!(!bed.helpers.join("stored.json").exists());
    assert_eq!(bed.config(), before);
}

#[test]
fn without_a_helper_auths_gets_it_and_every_other_key_survives() {
    let others = json!({
        "auths": {"other.example": {"auth": basic_auth("bob", "secret")}},
        "credHelpers": {"gcr.io": "gcloud"},
        "psFormat": "table {{.ID}}",
        "proxies": {"default": {"httpProxy": "http://proxy.example:3128"}},
    });
    let bed = Bed::start(others.clone());
    let file = bed.docker.join("config.json");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    bed.login("wonder").success();

    let after: Value = serde_json::from_slice(&bed.config()).unwrap();
    assert_eq!(
        after["auths"][bed.addr()],
        json!({"auth": basic_auth("alice", "wonder")})
    );
    for key in ["credHelpers", "psFormat", "proxies"] {
        assert_eq!(after[key], others[key], "{key}");
    }
    assert_eq!(
        after["auths"]["other.example"],
        others["auths"]["other.example"]
    );
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(bed.actions().is_empty(), "no helper was asked");
    assert_eq!(bed.tags().success().sorted_lines().len(), 2);

    bed.berth().args(["logout", &bed.addr()]).run().success();
    let after: Value = serde_json::from_slice(&bed.config()).unwrap();
    assert!(after["auths"].get(bed.addr()).is_none());
    assert_eq!(
        after["auths"]["other.example"],
        others["auths"]["other.example"]
    );
    assert_eq!(after["psFormat"], others["psFormat"]);
}

#[test]
fn a_wrong_password_stores_nothing() {
    for config in [json!({"credsStore": "rec"}), json!({"auths": {}})] {
        let bed = Bed::start(config);
        let before = bed.config();
        let out = bed.login("not-wonder");
        let err = out.failure();
        assert!(err.contains("refused the credential of alice"), "{err}");
        assert!(out.has_hint("nothing was stored"), "{err}");
        assert!(!err.contains("not-wonder"), "{err}");
        assert_eq!(bed.config(), before);
        assert!(bed.actions().is_empty(), "{:?}", bed.actions());
    }
}

#[test]
fn a_password_on_the_command_line_is_refused() {
    let bed = Bed::start(json!({}));
    let before = bed.config();
    let out = bed
        .berth()
        .args(["login", &bed.addr(), "-u", "alice", "-p", "wonder"])
        .run();
    assert_eq!(out.code(), 2);
    assert!(out.has_hint("--password-stdin"), "{}", out.stderr_str());
    assert!(!out.stderr_str().contains("wonder"));
    assert_eq!(bed.config(), before);
}
