//! Times as the host wants them: RFC 3339. The host refuses a whole page
//! for one malformed date, so vendor timestamps are converted or checked
//! here before they are handed on.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (WASI gives plugins a wall clock).
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, or with `.mmm` when there are milliseconds, for
/// seconds since the epoch; `None` outside the years 1970 to 9999.
pub fn from_unix(epoch_seconds: f64) -> Option<String> {
    if !epoch_seconds.is_finite() || !(0.0..253_402_300_800.0).contains(&epoch_seconds) {
        return None;
    }
    let millis = (epoch_seconds * 1000.0).round() as u64;
    let (secs, millis) = (millis / 1000, millis % 1000);
    let (date, time) = civil(secs);
    Some(if millis == 0 {
        format!("{date}T{time}Z")
    } else {
        format!("{date}T{time}.{millis:03}Z")
    })
}

/// Whether `s` is `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// (`YYYY-MM-DD`, `HH:MM:SS`) in UTC: days since the epoch to a date of the
/// proleptic Gregorian calendar, counted in 400-year eras from 0000-03-01.
pub(crate) fn civil(epoch_seconds: u64) -> (String, String) {
    let days = epoch_seconds / 86_400;
    let rest = epoch_seconds % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let time = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    (format!("{year:04}-{month:02}-{day:02}"), time)
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
        assert_eq!(from_unix(-1.0), None);
        assert_eq!(from_unix(f64::NAN), None);
    }

    #[test]
    fn rfc3339_shapes() {
        assert!(is_rfc3339("2021-01-05T21:06:53.506400Z"));
        assert!(is_rfc3339("2021-01-05T21:06:53+02:00"));
        assert!(!is_rfc3339("2021-01-05 21:06:53"));
        assert!(!is_rfc3339("2021-01-05T21:06:53."));
        assert!(!is_rfc3339(""));
    }
}
