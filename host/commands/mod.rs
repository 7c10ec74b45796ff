//! One file per command.

pub mod cleanup;
pub mod detect;
pub mod manifest;
pub mod plugins;
pub mod plugins_new;
pub mod tags_ls;
pub mod tags_rm;
