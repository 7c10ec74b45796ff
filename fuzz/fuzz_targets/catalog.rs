//! Any `plugin-registry.toml` text: no panic, in reading it or in checking
//! its patterns; errors name the file.
#![no_main]

use berth_fuzz::entry::{check_patterns, parse};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &str| {
    let path = Path::new("plugin-registry.toml");
    let checked = parse(data, path).and_then(|entries| check_patterns(&entries, path));
    if let Err(e) = checked {
        assert!(e.message.starts_with("plugin-registry.toml"));
    }
});
