//! One file per command.

pub mod detect;
pub mod plugins;
pub mod tags_ls;
