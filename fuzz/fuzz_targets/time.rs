//! Any text as an RFC 3339 time: no panic, and what parses is written back
//! as a time of the same instant.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| berth_fuzz::time(data));
