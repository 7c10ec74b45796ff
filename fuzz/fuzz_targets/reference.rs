//! Any input: no panic; whatever parses re-parses from its canonical form to
//! the same address.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &str| berth_fuzz::reference(data));
