//! Any `Link` header values: no panic, and a next page is always an
//! absolute URL.
#![no_main]

use berth_fuzz::link::next_link;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let base = url::Url::parse("https://registry.example/v2/app/tags/list?n=1000").unwrap();
    let values: Vec<&str> = data.split('\n').collect();
    if let Some(next) = next_link(&values, &base) {
        assert!(!next.cannot_be_a_base());
    }
});
