//! Any `WWW-Authenticate` header values: no panic, names lower-cased.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| berth_fuzz::www_authenticate(data));
