//! Any input: no panic; whatever parses re-parses from its canonical form to
//! the same address.
#![no_main]

use berth_fuzz::reference::{parse_manifest, parse_repository};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(address) = parse_repository(data) {
        assert_eq!(parse_repository(&address.canonical()).as_ref(), Ok(&address));
    }
    if let Ok(manifest) = parse_manifest(data) {
        assert_eq!(parse_manifest(&manifest.canonical()).as_ref(), Ok(&manifest));
    }
});
