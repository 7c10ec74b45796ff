//! When to try again, and how long to wait.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long the server asked us to wait: `Retry-After` (seconds or an HTTP
/// date), Docker Hub's `X-Retry-After` (a unix time), or GitHub's
/// `x-ratelimit-reset` when the remaining budget is zero.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(value) = get("retry-after") {
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            return Some(until(date.timestamp()));
        }
    }
    if let Some(unix) = get("x-retry-after").and_then(|v| v.parse::<i64>().ok()) {
        return Some(until(unix));
    }
    if get("x-ratelimit-remaining") == Some("0")
        && let Some(unix) = get("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok())
    {
        return Some(until(unix));
    }
    None
}

fn until(unix: i64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Duration::from_secs((unix - now).max(0) as u64)
}

/// Exponential backoff with jitter: 250 ms, 500 ms, 1 s, ... plus up to 25 %.
pub fn backoff(attempt: u32) -> Duration {
    let base = 250u64 << attempt.min(6);
    let jitter = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 % (base / 4 + 1))
        .unwrap_or(0);
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn seconds_and_dates() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        let past = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[])), None);
    }

    #[test]
    fn unix_time_forms() {
        let soon = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 5;
        let d = retry_after(&headers(&[("x-retry-after", &soon.to_string())])).unwrap();
        assert!(d <= Duration::from_secs(5) && d >= Duration::from_secs(3));
        let gh = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &soon.to_string()),
        ]);
        assert!(retry_after(&gh).is_some());
        let not_exhausted = headers(&[
            ("x-ratelimit-remaining", "10"),
            ("x-ratelimit-reset", &soon.to_string()),
        ]);
        assert_eq!(retry_after(&not_exhausted), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(0) < backoff(3));
        assert!(backoff(100) <= Duration::from_millis(16000 + 4000));
    }
}
