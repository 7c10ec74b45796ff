//! Any `plugin-registry.toml` text: no panic, in reading it or in checking
//! its patterns; errors name the file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| berth_fuzz::catalog(data));
