//! berth manages container registries through WebAssembly provider plugins.
//!
//! The host parses addresses, finds and grants plugins, performs HTTP with
//! the operator's credentials, and turns results into text or JSON. Each
//! registry family is a plugin implementing the WIT package in `wit/`; the
//! host speaks its own types (`model`), and each WIT version is an adapter
//! in `runtime`. The binary is `cli::main`; nothing else is public, so the
//! compiler reports what nothing calls.

mod apply;
mod auth;
mod catalog;
pub mod cli;
mod commands;
mod completion;
mod context;
mod dates;
mod decision;
mod digest;
mod doctor;
mod duration;
mod error;
mod graph;
mod imports;
mod in_use;
mod interrupt;
mod link;
mod log;
mod model;
mod net;
mod output;
mod plan;
mod plan_page;
mod policy;
mod policy_file;
mod provider;
mod registry;
mod removal;
mod repo_glob;
mod runtime;
mod scope;
mod settings;
mod target;
mod text;
mod transfer;
mod verify;

use berth_parse::reference;
