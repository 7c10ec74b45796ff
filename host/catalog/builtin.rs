//! The plugins compiled into this binary, and their catalog.

pub struct Builtin {
    pub file: &'static str,
    pub sha256: &'static str,
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

pub const CATALOG: &str = include_str!("../../plugin-registry.toml");
