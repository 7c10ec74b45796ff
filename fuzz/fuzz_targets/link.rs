//! Any `Link` header values: no panic, and a next page is an absolute URL.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| berth_fuzz::link(data));
