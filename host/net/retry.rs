//! How long a request that failed waits before it is sent again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(0) < backoff(3));
        assert!(backoff(100) <= Duration::from_millis(16000 + 4000));
    }
}
