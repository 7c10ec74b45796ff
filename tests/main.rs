//! Integration tests: the `berth` binary against real registries (CNCF
//! distribution from `docker-registry`, a token server of ours) and strict
//! fakes, through a fault-injecting proxy where a test needs one.

mod support;

mod harness;

mod auth;
mod authoring;
mod cleanup;
mod cli;
mod detect;
mod hostile;
mod layout;
mod manifest;
mod plugins;
mod tags_ls;
mod tags_rm;
