//! Real servers and an isolated CLI runner for the integration tests.
//! Provider tests start a [`Bed`]: any vendor's servers, berth pointed at
//! them, the repository's store and the requests the servers saw.
//!
//! Tests stay synchronous: every server runs on one shared background tokio
//! runtime, and blocking helpers drive async code with `block_on`.

// Each command module uses a different part of this library.
#![allow(dead_code, unused_imports)]

pub mod bed;
mod berth;
pub mod content;
pub mod fakes;
pub mod http;
mod image;
pub mod image_checks;
mod layout;
pub mod login;
pub mod moto;
mod proxy;
mod registry;
mod repo;
pub mod scenarios;
mod seed;
mod seen;
mod server;
mod store;
pub mod tls;
mod token;
mod tunnel;

use std::sync::OnceLock;

use reqwest::Client;
use tokio::runtime::Runtime;

pub use bed::{Bed, Setting, Vendor};
pub use berth::{BerthCommand, Output, Sandbox, berth};
pub use image::{IMAGE_INDEX, IMAGE_MANIFEST, Image, Pushed, sha256};
pub use proxy::{Method, Proxy, ProxyRequest, Rule};
pub use registry::{Registry, RegistryOptions, Revisions, TokenAuth};
pub use repo::Repo;
pub use seed::Seeder;
pub use seen::{Requests, Seen};
pub use token::{TokenRegistry, TokenRequest, TokenServer, User};

/// The runtime every server and the seeder run on. It lives for the whole test
/// process, so servers owned by one test never depend on another test's thread.
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("test-support")
            .enable_all()
            .build()
            .expect("build the test support runtime")
    })
}

/// An HTTP client for loopback servers: no proxies, no redirects.
fn client() -> Client {
    // reqwest is built with `rustls-no-provider`, so even a plain-http client
    // needs a provider installed. Losing the race to another test is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build an HTTP client")
}

/// Cargo's target directory for this checkout.
pub fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// A plugin as the build compiled it, e.g. `berth_plugin_default.wasm`.
/// A built-in plugin as berth's build compiled it; a test fixture
/// (`plugins/fixtures`, which release builds leave out) is built here first.
pub fn built_plugin(file: &str) -> Vec<u8> {
    let plugins = target_dir().join("plugins");
    if is_fixture(file) {
        build_fixture(file, &plugins);
    }
    let path = plugins.join("wasm32-wasip2/release").join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("plugin {}: {e}", path.display()))
}

/// Whether no catalog entry embeds `file`.
fn is_fixture(file: &str) -> bool {
    let catalog = include_str!("../../plugin-registry.toml");
    !catalog.contains(&format!("file = \"{file}\""))
}

/// Builds a fixture once per test process (cargo has nothing to do when it
/// is up to date); tests asking at once wait for one build.
fn build_fixture(file: &str, target: &std::path::Path) {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap();
    if built.iter().any(|b| b == file) {
        return;
    }
    let package = file.trim_end_matches(".wasm").replace('_', "-");
    let status = std::process::Command::new(env!("CARGO"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/plugins"))
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            &package,
        ])
        .arg("--target-dir")
        .arg(target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the test fixture {package} failed"
    );
    built.push(file.to_string());
}
