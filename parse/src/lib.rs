//! The rules berth applies to text it does not control, each written once
//! and shared by the host, the plugin SDK and the fuzzer: image references
//! and their tag and digest grammar, `WWW-Authenticate` challenges, `Link`
//! headers and the URLs they link, RFC 3339 times, Docker Hub's names and
//! the loopback check.
//!
//! Every plugin compiles this crate for wasm32-wasip2, so it depends on
//! nothing but std; the catalog parser, which needs serde, toml and regex,
//! is the `catalog` feature, which the host enables and plugins do not.

#[cfg(feature = "catalog")]
pub mod catalog;
pub mod challenge;
pub mod docker_hub;
pub mod link;
pub mod loopback;
pub mod reference;
pub mod time;
pub mod uri;
