//! The clock as SigV4 writes it: `x-amz-date`.

/// `YYYYMMDD'T'HHMMSS'Z'` for now.
pub fn amz_date_now() -> String {
    amz_date(berth_sdk::time::now())
}

/// RFC 3339 without its separators is exactly SigV4's basic format.
pub fn amz_date(epoch_seconds: u64) -> String {
    berth_sdk::time::from_unix(epoch_seconds as f64)
        .unwrap_or_default()
        .replace(['-', ':'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigv4_dates() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(0), "19700101T000000Z");
    }
}
