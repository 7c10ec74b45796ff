//! Times: ECR's timestamps (seconds since the epoch, possibly fractional) to
//! RFC 3339, and the clock's `x-amz-date`.

use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDTHH:MM:SSZ` (or `.mmmZ` with milliseconds) for epoch seconds;
/// `None` for values outside years 1970..=9999 or not finite.
pub fn rfc3339(epoch_seconds: f64) -> Option<String> {
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

/// `YYYYMMDD'T'HHMMSS'Z'` for now.
pub fn amz_date_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    amz_date(secs)
}

pub fn amz_date(epoch_seconds: u64) -> String {
    let (date, time) = civil(epoch_seconds);
    format!("{}T{}Z", date.replace('-', ""), time.replace(':', ""))
}

/// (`YYYY-MM-DD`, `HH:MM:SS`) in UTC, from days since the epoch by the
/// proleptic Gregorian calendar (400-year eras).
fn civil(epoch_seconds: u64) -> (String, String) {
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
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_to_rfc3339() {
        assert_eq!(rfc3339(0.0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(1_700_000_000.0).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            rfc3339(1_709_164_800.25).as_deref(),
            Some("2024-02-29T00:00:00.250Z")
        );
        assert_eq!(
            rfc3339(951_868_799.0).as_deref(),
            Some("2000-02-29T23:59:59Z")
        );
        assert_eq!(
            rfc3339(4_107_542_400.0).as_deref(),
            Some("2100-03-01T00:00:00Z")
        );
        assert_eq!(rfc3339(-1.0), None);
        assert_eq!(rfc3339(f64::NAN), None);
        assert_eq!(rfc3339(1e20), None);
    }

    #[test]
    fn amz_dates() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date_now().len(), 16);
    }
}
