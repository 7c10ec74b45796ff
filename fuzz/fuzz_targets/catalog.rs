//! Any `plugin-registry.toml` text: no panic; errors name the file.
#![no_main]

use berth_fuzz::entry::parse;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &str| {
    if let Err(e) = parse(data, Path::new("plugin-registry.toml")) {
        assert!(e.message.starts_with("plugin-registry.toml"));
    }
});
