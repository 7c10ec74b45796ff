//! `berth apply` against a registry that throttles deletes as GitHub does
//! (a token bucket: 180 a minute there, 20 a second here, holding one
//! second's worth; beyond it 429 with `Retry-After`): it completes, few
//! deletes are refused, and the registry's own clock shows them passing at
//! 90 % of its rate or more. (With a smaller burst each 429's whole-second
//! wait costs more than the burst refills: the limiter's unit tests say
//! how much.)

use crate::apply::{plan, write};
use crate::support::{Method, Proxy, Registry, RegistryOptions, Sandbox};
use std::time::Duration;

const RATE: f64 = 20.0;
const BURST: f64 = 20.0;
const DELETES: usize = 400;

#[test]
fn apply_keeps_to_the_rate_a_throttling_registry_allows() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let throttle = proxy.on(Method::DELETE, "/v2/*").throttle(RATE, BURST);
    let seeder = registry.seeder();
    let sandbox = Sandbox::with_compiled_plugins();
    let tags = seeder.seed_tags("bulk", DELETES + 50);
    let planned = vec![("bulk".to_string(), tags[..DELETES].to_vec())];
    let plan = write(
        sandbox.home(),
        "plan.json",
        &plan(&proxy.addr(), &seeder, &planned),
    );

    let out = sandbox
        .berth()
        .arg("apply")
        .arg(&plan)
        .args(["-o", "json"])
        .timeout(Duration::from_secs(180))
        .run();
    let report = out.success().json();
    assert_eq!(report["totals"]["deleted"], DELETES);
    assert_eq!(seeder.tags("bulk"), tags[DELETES..].to_vec());

    let passed = throttle.passed_at();
    let refused = throttle.hits() - passed.len();
    let span = *passed.last().unwrap() - passed[0];
    let throughput = (passed.len() - 1) as f64 / span.as_secs_f64();
    eprintln!(
        "{} deletes passed in {:.2} s: {throughput:.1}/s of {RATE}/s allowed, {refused} answered 429",
        passed.len(),
        span.as_secs_f64()
    );
    assert_eq!(passed.len(), DELETES, "one delete per removal");
    assert!(refused <= 12, "{refused} deletes answered 429");
    assert!(
        throughput >= 0.9 * RATE,
        "{throughput:.1} deletes a second of {RATE} allowed"
    );
}
