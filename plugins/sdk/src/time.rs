//! Times as the host wants them: RFC 3339, read and written by the parser
//! the host itself uses ([`berth_parse::time`]), so that a time a plugin
//! hands on is never one the host refuses. The host refuses a whole page
//! for one malformed time, so vendor times are converted or checked here.

use std::time::{SystemTime, UNIX_EPOCH};

pub use berth_parse::time::{Timestamp, parse};

/// Seconds since the Unix epoch (WASI gives plugins a wall clock).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, or with `.mmm` when there are milliseconds, for
/// seconds since the epoch rounded to the millisecond; `None` outside the
/// years 1970 to 9999.
pub fn from_unix(epoch_seconds: f64) -> Option<String> {
    if !epoch_seconds.is_finite() || !(0.0..253_402_300_800.0).contains(&epoch_seconds) {
        return None;
    }
    let millis = (epoch_seconds * 1000.0).round() as i64;
    let nanos = (millis % 1000) as u32 * 1_000_000;
    Timestamp::from_unix(millis / 1000, nanos).map(|t| t.to_string())
}

/// Whether `s` is an RFC 3339 time the host accepts.
pub fn is_rfc3339(s: &str) -> bool {
    parse(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_to_rfc3339() {
        assert_eq!(from_unix(0.0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            from_unix(1_700_000_000.0).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            from_unix(1_709_164_800.25).as_deref(),
            Some("2024-02-29T00:00:00.250Z")
        );
        assert_eq!(
            from_unix(951_868_799.0).as_deref(),
            Some("2000-02-29T23:59:59Z")
        );
        assert_eq!(
            from_unix(253_402_300_799.999_4).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        assert_eq!(from_unix(253_402_300_800.0), None);
        assert_eq!(from_unix(-1.0), None);
        assert_eq!(from_unix(f64::NAN), None);
    }

    #[test]
    fn rfc3339_as_the_host_reads_it() {
        assert!(is_rfc3339("2021-01-05T21:06:53.506400Z"));
        assert!(is_rfc3339("2021-01-05T21:06:53+02:00"));
        assert!(!is_rfc3339("2021-01-05 21:06:53Z"));
        assert!(!is_rfc3339("2021-01-05T21:06:53."));
        assert!(!is_rfc3339(""));
        // Once accepted for its shape alone, and then refused by the host.
        assert!(!is_rfc3339("2021-02-30T21:06:53Z"));
        assert!(!is_rfc3339("2021-01-05T25:06:53Z"));
    }
}
