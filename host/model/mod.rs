//! berth's own vocabulary: what the host and its plugins talk about, owned
//! by the host and independent of any WIT version. Each WIT version's adapter
//! (`runtime/v*`) converts to and from these types; nothing else in the host
//! sees a binding.

mod capability;
mod error;
mod http;
mod manifest;
mod page;
mod permissions;
mod plugin;
mod refused;
mod tag;
mod target;

pub use capability::Capability;
pub use error::RegistryError;
pub use http::{HttpRequest, HttpResponse, Method};
pub use manifest::{Descriptor, Manifest, ManifestEntry, Referrer};
pub use page::Page;
pub use permissions::{Access, Permissions};
pub use plugin::{OptionSpec, PluginInfo};
pub use refused::Refused;
pub use tag::{Removal, Tag};
pub use target::{CallTarget, Probe};
