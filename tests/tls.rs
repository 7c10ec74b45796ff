//! HTTPS registries: certificates are checked against the system's roots
//! plus `--ca-file` / `BERTH_CA_FILE`, host name included, or not at all
//! with `--insecure`. The registry is a real distribution serving TLS,
//! seeded through a plain twin on the same storage.

use crate::support::tls::{Certificates, machine_address};
use crate::support::{Registry, RegistryOptions, berth};

struct Https {
    plain: Registry,
    _twin: Registry,
    certs: Certificates,
    /// `HOST:PORT/app` on the HTTPS twin.
    address: String,
    tags: Vec<String>,
}

/// An HTTPS registry holding three tags, with a certificate for
/// `cert_host`, by default the host it is reached by.
fn start(cert_host: Option<&str>) -> Https {
    let host = machine_address();
    let certs = Certificates::for_host(cert_host.unwrap_or(&host));
    let plain = Registry::start(RegistryOptions::default());
    let tags = plain.seeder().seed_tags("app", 3);
    let twin = plain.tls_twin(&certs);
    let address = format!("{host}:{}/app", twin.port());
    Https {
        plain,
        _twin: twin,
        certs,
        address,
        tags,
    }
}

#[test]
fn unknown_issuer_is_refused_with_a_hint() {
    let https = start(None);
    let out = berth().args(["-vv", "tags", "ls", &https.address]).run();
    let err = out.failure();
    assert!(err.contains("invalid peer certificate"), "{err}");
    assert!(out.has_hint("--ca-file"), "{err}");
    // Asking again cannot change the certificate: one attempt per request.
    let attempts = err
        .lines()
        .filter(|l| l.contains("HTTP GET") && l.contains("/tags/list") && l.contains("failed"))
        .count();
    assert_eq!(attempts, 1, "{err}");
}

#[test]
fn ca_file_trusts_the_registry_for_reads_and_removals() {
    let https = start(None);
    let ca = https.certs.ca();
    let listed = berth()
        .args(["--ca-file".as_ref(), ca.as_os_str()])
        .args(["tags", "ls", &https.address])
        .run();
    assert_eq!(listed.success().sorted_lines(), https.tags);
    let by_env = berth()
        .env("BERTH_CA_FILE", &ca)
        .args(["tags", "rm", &https.address, &https.tags[0]])
        .run();
    by_env.success();
    assert_eq!(https.plain.seeder().tags("app"), https.tags[1..]);
}

#[test]
fn a_certificate_for_another_name_is_refused_even_from_a_trusted_ca() {
    let https = start(Some("elsewhere.example"));
    let ca = https.certs.ca();
    let out = berth()
        .args(["--ca-file".as_ref(), ca.as_os_str()])
        .args(["tags", "ls", &https.address])
        .run();
    let err = out.failure();
    assert!(err.contains("certificate"), "{err}");
}

#[test]
fn insecure_skips_verification() {
    let https = start(Some("elsewhere.example"));
    let out = berth()
        .args(["--insecure", "tags", "ls", &https.address])
        .run();
    assert_eq!(out.success().sorted_lines(), https.tags);
}
