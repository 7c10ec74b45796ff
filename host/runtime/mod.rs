//! The WebAssembly runtime: one engine per process, compiled plugins cached on
//! disk, and every call bounded by a deadline and a memory cap.

mod cache;
mod engine;
mod instance;
mod limits;
mod loaded;
pub mod meta_cache;
pub mod v0_1_0;
pub mod v0_2_0;

pub use engine::Runtime;
pub use instance::{CallError, Instance, State};
pub use limits::Limits;
pub use loaded::{ApiVersion, LoadedPlugin, PluginMeta, SUPPORTED_APIS};
