//! berth's parsers, compiled from the host's own sources.

#[path = "../../host/reference.rs"]
pub mod reference;

#[path = "../../host/error.rs"]
pub mod error;

#[path = "../../host/link.rs"]
pub mod link;

#[path = "../../host/auth/challenge.rs"]
pub mod challenge;

#[path = "../../host/catalog/entry.rs"]
pub mod entry;

#[path = "../../host/catalog/pattern.rs"]
mod pattern;
pub use pattern::Pattern;
