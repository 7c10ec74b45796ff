//! Moving manifests and their blobs between two sides (registries or
//! stores such as layouts) and local files: planning what a manifest
//! references, streaming each blob once with verification, and pushing in
//! an order that never leaves a tag on an incomplete image.

pub mod artifact;
mod blob;
mod copy;
mod endpoint;
mod file;
mod progress;
mod read;
pub mod referrers;
mod walk;
mod write;

pub use blob::upload;
pub use copy::{Copied, Copier, Options};
pub use endpoint::{DESTINATION_NEEDS, Endpoint, SOURCE_NEEDS};
pub use file::{digest as file_digest, save};
pub use progress::Progress;
pub use read::Source;
pub use walk::{Entry, Platform, refs};
