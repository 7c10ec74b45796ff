//! What an answer says about the server's rate limit: how long it asks
//! clients to wait, and how many requests it has left until when.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The requests a server says are left, and when its budget refills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub remaining: u64,
    pub reset: Option<Duration>,
}

/// How long the server asked us to wait: `Retry-After` (seconds or an HTTP
/// date), Docker Hub's `X-Retry-After` (a unix time), or the time to reset
/// when the remaining budget is zero.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(value) = get(headers, "retry-after") {
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            return Some(until(date.timestamp()));
        }
    }
    if let Some(unix) = get(headers, "x-retry-after").and_then(|v| v.parse::<i64>().ok()) {
        return Some(until(unix));
    }
    match quota(headers) {
        Some(Quota {
            remaining: 0,
            reset,
        }) => reset,
        _ => None,
    }
}

/// The budget from the IETF draft's `RateLimit-Remaining`/`-Reset` (reset in
/// seconds), or the older `X-RateLimit-Remaining`/`-Reset`, whose reset is a
/// unix time at GitHub and seconds elsewhere: a value too large to be a
/// delay is taken for a time.
pub fn quota(headers: &HeaderMap) -> Option<Quota> {
    let read = |remaining: &str, reset: &str| {
        Some(Quota {
            remaining: leading_number(get(headers, remaining)?)?,
            reset: get(headers, reset)
                .and_then(leading_number)
                .map(|n| match i64::try_from(n) {
                    Ok(unix) if unix >= UNIX_TIME_FLOOR => until(unix),
                    _ => Duration::from_secs(n),
                }),
        })
    };
    read("ratelimit-remaining", "ratelimit-reset")
        .or_else(|| read("x-ratelimit-remaining", "x-ratelimit-reset"))
}

/// 2001-09-09: no server asks for a wait this long in seconds.
const UNIX_TIME_FLOOR: i64 = 1_000_000_000;

fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// `76` of `76;w=21600` (Docker Hub's form) or of `76`.
fn leading_number(value: &str) -> Option<u64> {
    let end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

fn until(unix: i64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Duration::from_secs((unix - now).max(0) as u64)
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

    fn in_five_seconds() -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        (now.as_secs() + 5).to_string()
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
        let soon = in_five_seconds();
        let d = retry_after(&headers(&[("x-retry-after", &soon)])).unwrap();
        assert!(d <= Duration::from_secs(5) && d >= Duration::from_secs(3));
        let gh = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &soon)]);
        assert!(retry_after(&gh).is_some());
        let not_exhausted = headers(&[
            ("x-ratelimit-remaining", "10"),
            ("x-ratelimit-reset", &soon),
        ]);
        assert_eq!(retry_after(&not_exhausted), None);
    }

    #[test]
    fn ietf_draft_and_delay_forms() {
        let draft = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "7")]);
        assert_eq!(retry_after(&draft), Some(Duration::from_secs(7)));
        let delay = headers(&[("x-ratelimit-remaining", "3"), ("x-ratelimit-reset", "12")]);
        assert_eq!(
            quota(&delay),
            Some(Quota {
                remaining: 3,
                reset: Some(Duration::from_secs(12))
            })
        );
        let hub = headers(&[("ratelimit-remaining", "76;w=21600")]);
        assert_eq!(
            quota(&hub),
            Some(Quota {
                remaining: 76,
                reset: None
            })
        );
        assert_eq!(quota(&headers(&[("ratelimit-reset", "3")])), None);
    }
}
