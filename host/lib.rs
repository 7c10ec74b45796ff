//! berth manages container registries through WebAssembly provider plugins.
//!
//! The host parses addresses, finds and grants plugins, performs HTTP with
//! the operator's credentials, and turns results into text or JSON. Each
//! registry family is a plugin implementing the WIT package in `wit/`.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod context;
pub mod dates;
pub mod duration;
pub mod error;
pub mod imports;
pub mod interrupt;
pub mod link;
pub mod log;
pub mod net;
pub mod output;
pub mod policy;
pub mod provider;
pub use berth_parse::reference;
pub mod registry;
pub mod removal;
pub mod runtime;
