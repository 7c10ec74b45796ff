//! The commands: one file each, or one per group whose subcommands share
//! their parts (`manifest get|put`, `plugins ls|info|verify`). A command
//! never calls another; what two share lives below them (`removal`,
//! `provider`).

pub mod apply;
pub mod cleanup;
pub mod completions;
pub mod detect;
pub mod doctor;
pub mod login;
pub mod manifest;
pub mod plan;
pub mod plugins;
pub mod plugins_new;
pub mod repos_ls;
pub mod tags_ls;
pub mod tags_rm;
