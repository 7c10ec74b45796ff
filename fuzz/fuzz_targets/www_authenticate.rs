//! Any `WWW-Authenticate` header values: no panic, schemes lower-cased.
#![no_main]

use berth_fuzz::challenge::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let values: Vec<&str> = data.split('\n').collect();
    for challenge in parse(&values) {
        assert_eq!(challenge.scheme, challenge.scheme.to_ascii_lowercase());
    }
});
