//! `plugin-registry.toml`, the catalog in which the operator lists plugins
//! and what each may reach: read here, used by the host.

mod entry;
mod pattern;

pub use entry::{Entry, Probe, check_patterns, parse};
pub use pattern::Pattern;

/// What is wrong with a catalog; the message names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub message: String,
}

impl CatalogError {
    fn new(message: String) -> Self {
        CatalogError { message }
    }
}

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogError {}
