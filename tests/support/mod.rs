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
pub mod fakes;
pub mod http;
mod image;
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

use std::sync::OnceLock;

use reqwest::Client;
use tokio::runtime::Runtime;

pub use bed::{Bed, Setting, Vendor};
pub use berth::{BerthCommand, Output, Sandbox, berth};
pub use image::{Image, Pushed, sha256};
pub use proxy::{Method, Proxy, ProxyRequest, Rule};
pub use registry::{Registry, RegistryOptions, TokenAuth};
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
pub fn built_plugin(file: &str) -> Vec<u8> {
    std::fs::read(
        target_dir()
            .join("plugins/wasm32-wasip2/release")
            .join(file),
    )
    .expect("the build compiles the plugins, test fixtures included")
}
