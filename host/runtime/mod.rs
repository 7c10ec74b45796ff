//! The WebAssembly runtime: one engine per process, compiled plugins cached
//! on disk, every call bounded by a deadline and a memory cap, and one
//! adapter folder per WIT API version (`v0_1_0`, `v0_2_0`, `v0_3_0`) that
//! `api` dispatches between. Outside this module the host speaks only its
//! own types (`crate::model`).

mod api;
mod cache;
mod engine;
mod guard;
mod instance;
mod limits;
mod plugin;
mod state;
mod v0_1_0;
mod v0_2_0;
mod v0_3_0;

pub use api::ApiVersion;
pub use engine::Runtime;
pub use instance::{Call, Instance};
pub use limits::Limits;
pub use plugin::LoadedPlugin;
