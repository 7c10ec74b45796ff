//! Write a [berth](https://crates.io/crates/berth) registry provider in Rust.
//!
//! A provider implements [`Provider`]; every method but [`Provider::info`] has a
//! default that forwards to the host's native OCI distribution client
//! ([`oci`]), so a provider overrides only what its registry does differently.
//! [`provider!`] exports the type as the plugin's component interface.
//!
//! ```ignore
//! use berth_sdk::{Capability, Info, Provider, Target, Probe};
//!
//! struct Example;
//!
//! impl Provider for Example {
//!     fn info() -> Info {
//!         berth_sdk::info("example", env!("CARGO_PKG_VERSION"), "Example registry")
//!             .capabilities(&[Capability::ListTags, Capability::GetManifest])
//!             .build()
//!     }
//!
//!     // Asked only when its catalog entry says `probe = true`; with
//!     // header rules in the catalog instead, berth decides without it.
//!     fn detect(_target: Target, probe: Option<Probe>) -> u8 {
//!         berth_sdk::probe_header(&probe, "x-example-registry").map_or(0, |_| 90)
//!     }
//! }
//!
//! berth_sdk::provider!(Example);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2` and drop the
//! `.wasm` into a plugin directory.

#![warn(missing_docs)]

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/0.3.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
    });
}

pub mod challenge;
mod error;
pub mod http;
mod info;
mod provider;
pub mod time;

#[doc(hidden)]
pub use bindings::__export_plugin;
#[doc(hidden)]
pub use bindings::exports::berth::provider::provider::Guest as __Guest;

pub use bindings::berth::provider::config;
pub use bindings::berth::provider::log;
pub use bindings::berth::provider::oci;
pub use bindings::berth::provider::types::{
    Access, Capability, Descriptor, Error, Manifest, ManifestEntry, ManifestPage, OptionSpec,
    Permissions, PluginInfo as Info, Probe, RateLimit, Referrer, Removal, RepositoryPage, Tag,
    TagPage, Target,
};
pub use error::{Result, distribution_errors, from_status, quote, status_error};
pub use info::{InfoBuilder, info};
pub use provider::{Provider, default_delete_tag, probe_header, put_back, refuses_tag_delete};

/// Whether `s` is a digest the host accepts: `sha256:` and 64, or `sha512:`
/// and 128, lower-case hex digits.
pub fn is_digest(s: &str) -> bool {
    berth_parse::reference::is_valid_digest(s)
}

/// Whether `tag` is an image's referrers fallback index, `sha256-<hex>`: the
/// index that lists the image's referrers where a registry lacks the
/// referrers API.
pub fn is_fallback_index(tag: &str) -> bool {
    tag.strip_prefix("sha256-")
        .is_some_and(|hex| is_digest(&format!("sha256:{hex}")))
}

/// Whether the repository path `repository` is `prefix` or below it, in
/// whole path segments (what `list-repositories` returns for a prefix).
pub fn is_under(repository: &str, prefix: &str) -> bool {
    berth_parse::reference::is_under(repository, prefix)
}

/// The API version of the WIT package this SDK is built against.
pub const API_VERSION: &str = "0.3.0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_index_tags() {
        let hex = "0a".repeat(32);
        assert!(is_fallback_index(&format!("sha256-{hex}")));
        assert!(!is_fallback_index(&format!("sha256-{hex}.sig")));
        assert!(!is_fallback_index(&format!("sha256-{}", "0A".repeat(32))));
        assert!(!is_fallback_index("sha256-abc"));
        assert!(!is_fallback_index("v1"));
    }
}
