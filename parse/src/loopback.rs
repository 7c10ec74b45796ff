//! Whether a host is this machine, the one place berth speaks plain HTTP
//! to a registry, or sends a credential over it, without being told to.

use std::net::{Ipv4Addr, Ipv6Addr};

/// `localhost`, 127.0.0.0/8 or `::1` (also as `::ffff:127.x.y.z`). `host`
/// has no port; an IPv6 address may be in brackets, as a URL writes it.
pub fn is_loopback(host: &str) -> bool {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        })
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.10.20.30",
            "::1",
            "[::1]",
            "0:0:0:0:0:0:0:1",
            "::ffff:127.0.0.1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "",
            "128.0.0.1",
            "0.0.0.0",
            "::2",
            "[::2]",
            "::ffff:128.0.0.1",
            "localhost.example.com",
            "localhost:5000",
            "[::1]:5000",
            "[::1",
            "127.1",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
