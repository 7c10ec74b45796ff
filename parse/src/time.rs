//! RFC 3339 times: the one parser for the creation times plugins hand the
//! host and the host reads from image configs and annotations, and the one
//! writer plugins use to turn a vendor's clock into such a time.
//!
//! Accepted is RFC 3339's `date-time` (section 5.6) with the restrictions
//! of section 5.7: a date of the Gregorian calendar, `T` and `Z` in either
//! case (the note in 5.6 allows lower case), a fraction of at least one
//! digit, and an offset `Z` or `+HH:MM`/`-HH:MM` up to 23:59. The space
//! that 5.6 lets an application put between date and time "for the sake of
//! readability" is refused: it is an option for applications, not part of
//! the grammar, and berth hands these strings on in its JSON output as RFC
//! 3339, whose readers are owed the grammar. A leap second, `:60`, is
//! accepted where one can fall, at 23:59:60 UTC on the last day of a month
//! (both examples in section 5.8), and counted as the last instant of the
//! second before it, since Unix time has no leap seconds.

use std::fmt;

/// An instant from 0000-01-01 to 9999-12-31 UTC, the years an RFC 3339
/// time in UTC can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
}

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
const MIN_SECONDS: i64 = -62_167_219_200;
const MAX_SECONDS: i64 = 253_402_300_799;
const DAY: i64 = 86_400;
const NANOS_PER_SECOND: u32 = 1_000_000_000;

impl Timestamp {
    /// `seconds` since 1970-01-01T00:00:00Z (negative before it) and
    /// `nanos` into that second; None outside the years 0000 to 9999.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Self> {
        ((MIN_SECONDS..=MAX_SECONDS).contains(&seconds) && nanos < NANOS_PER_SECOND)
            .then_some(Timestamp { seconds, nanos })
    }

    /// Seconds since 1970-01-01T00:00:00Z, negative before it.
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds into [`Timestamp::seconds`], below one billion.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }
}

/// Writes `YYYY-MM-DDTHH:MM:SSZ` in UTC, with `.mmm`, `.uuuuuu` or
/// `.nnnnnnnnn`, whichever is the shortest exact one, when the instant is
/// not on a whole second.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(DAY);
        let second_of_day = self.seconds.rem_euclid(DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60
        )?;
        match self.nanos {
            0 => {}
            n if n % 1_000_000 == 0 => write!(f, ".{:03}", n / 1_000_000)?,
            n if n % 1_000 == 0 => write!(f, ".{:06}", n / 1_000)?,
            n => write!(f, ".{n:09}")?,
        }
        f.write_str("Z")
    }
}

/// The instant an RFC 3339 `date-time` names; None for anything else (see
/// the module's documentation for what is accepted). Digits of a fraction
/// past the ninth are read and dropped.
pub fn parse(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let number = |at: usize, len: usize| -> Option<u32> {
        b.get(at..at + len)?.iter().try_fold(0, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let year = number(0, 4)?;
    let month = number(5, 2)?;
    let day = number(8, 2)?;
    let hour = number(11, 2)?;
    let minute = number(14, 2)?;
    let second = number(17, 2)?;
    let separators = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':';
    if !separators
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        nanos = fraction[..digits.min(9)]
            .iter()
            .fold(0, |n, &d| n * 10 + u32::from(d - b'0'))
            * 10u32.pow(9 - digits.min(9) as u32);
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (hours, minutes) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let east = hours * 60 + minutes;
            if *sign == b'-' { -east } else { east }
        }
        _ => return None,
    };
    let local = days_from_civil(i64::from(year), month, day) * DAY
        + i64::from(hour * 3600 + minute * 60 + second.min(59));
    let seconds = local - offset_minutes * 60;
    if second == 60 {
        // Leap seconds are inserted at the end of a UTC month.
        let last_second_of_month = seconds.rem_euclid(DAY) == DAY - 1
            && civil_from_days(seconds.div_euclid(DAY) + 1).2 == 1;
        if !last_second_of_month {
            return None;
        }
        nanos = NANOS_PER_SECOND - 1;
    }
    Timestamp::from_unix(seconds, nanos)
}

fn is_leap_year(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar,
/// counted in 400-year eras that start on a 1 March, so that the leap day
/// ends a year.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// (year, month, day) of a count of days since 1970-01-01: the inverse of
/// [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn instant(s: &str) -> (i64, u32) {
        let t = parse(s).unwrap_or_else(|| panic!("{s} refused"));
        (t.seconds(), t.nanos())
    }

    #[test]
    fn instants() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2023-11-14T22:13:20Z", 1_700_000_000, 0),
            ("2023-11-14t22:13:20z", 1_700_000_000, 0),
            ("2023-11-15T00:13:20+02:00", 1_700_000_000, 0),
            ("2023-11-14T14:43:20-07:30", 1_700_000_000, 0),
            ("2023-11-14T22:13:20-00:00", 1_700_000_000, 0),
            ("2023-11-14T22:13:20.5Z", 1_700_000_000, 500_000_000),
            ("2018-09-06T06:17:21.0856539Z", 1_536_214_641, 85_653_900),
            ("2023-11-14T22:13:20.123456789Z", 1_700_000_000, 123_456_789),
            (
                "2023-11-14T22:13:20.1234567891234Z",
                1_700_000_000,
                123_456_789,
            ),
            ("2024-02-29T12:00:00Z", 1_709_208_000, 0),
            ("2000-02-29T23:59:59Z", 951_868_799, 0),
            ("1969-12-31T23:59:59.25Z", -1, 250_000_000),
            ("0001-01-01T00:00:00Z", -62_135_596_800, 0),
            ("0000-01-01T00:00:00Z", MIN_SECONDS, 0),
            ("9999-12-31T23:59:59.999999999Z", MAX_SECONDS, 999_999_999),
            // Both leap seconds of RFC 3339's examples, the same instant.
            ("1990-12-31T23:59:60Z", 662_687_999, 999_999_999),
            ("1990-12-31T15:59:60-08:00", 662_687_999, 999_999_999),
            ("2016-12-31T23:59:60.5Z", 1_483_228_799, 999_999_999),
        ];
        for (s, seconds, nanos) in cases {
            assert_eq!(instant(s), (seconds, nanos), "{s}");
        }
    }

    #[test]
    fn refusals() {
        for s in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00Z",
            "2026-01-01T00:00:00+0200",
            "2026-01-01T00:00:00+02",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00,5Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-32T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:61Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00+02:60",
            "2026-01-01T00:00:00Zjunk",
            " 2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z ",
            "+2026-01-01T00:00:00Z",
            "20260-01-01T00:00:00Z",
            "２026-01-01T00:00:00Z",
            "2026-01-01T00:00:00\u{2212}02:00",
            "2026-01-01T00:00:00ZZ",
            "yesterday at noon, roughly",
            // Outside the years 0000 to 9999 once in UTC.
            "0000-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    /// Where the parsers this one replaces disagreed, what is decided now.
    #[test]
    fn decided_where_the_old_parsers_differed() {
        // The host's parser took a space for the `T`; the plugins did not.
        assert_eq!(parse("2026-01-01 00:00:00Z"), None);
        // The host's parser took U+2212 MINUS SIGN in an offset.
        assert_eq!(parse("2026-01-01T00:00:00\u{2212}02:00"), None);
        // The SDK checked only the shape (which the host then refused, with
        // the whole page); ACR took the 31st of any month.
        for s in [
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:61:00Z",
            "2026-01-01T00:00:99Z",
            "2026-01-01T00:00:00+99:99",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
        // The OCI layout and ACR plugins refused every leap second, and the
        // host took `:60` in any minute; now it is taken where one can be.
        assert!(parse("2016-12-31T23:59:60Z").is_some());
        assert!(parse("2015-06-30T23:59:60Z").is_some());
        assert_eq!(parse("2016-12-30T23:59:60Z"), None);
        assert_eq!(parse("2016-12-31T22:59:60Z"), None);
        assert_eq!(parse("2016-12-31T23:58:60Z"), None);
        assert_eq!(parse("2016-12-31T23:59:60+01:00"), None);
    }

    #[test]
    fn writes_utc_with_the_shortest_exact_fraction() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00Z"),
            (1_700_000_000, 0, "2023-11-14T22:13:20Z"),
            (1_709_164_800, 250_000_000, "2024-02-29T00:00:00.250Z"),
            (1_709_164_800, 250_500_000, "2024-02-29T00:00:00.250500Z"),
            (1_709_164_800, 1, "2024-02-29T00:00:00.000000001Z"),
            (-1, 0, "1969-12-31T23:59:59Z"),
            (MIN_SECONDS, 0, "0000-01-01T00:00:00Z"),
            (MAX_SECONDS, 0, "9999-12-31T23:59:59Z"),
        ];
        for (seconds, nanos, text) in cases {
            let t = Timestamp::from_unix(seconds, nanos).unwrap();
            assert_eq!(t.to_string(), text);
            assert_eq!(parse(text), Some(t));
        }
        assert_eq!(Timestamp::from_unix(MAX_SECONDS + 1, 0), None);
        assert_eq!(Timestamp::from_unix(MIN_SECONDS - 1, 0), None);
        assert_eq!(Timestamp::from_unix(0, NANOS_PER_SECOND), None);
    }

    #[test]
    fn calendar_round_trips_over_every_day() {
        let first = days_from_civil(0, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        assert_eq!((first, last), (MIN_SECONDS / DAY, MAX_SECONDS / DAY));
        let (mut year, mut month, mut day) = (0, 1, 1);
        for days in first..=last {
            assert_eq!(civil_from_days(days), (year, month, day));
            assert_eq!(days_from_civil(year, month, day), days);
            day += 1;
            if day > days_in_month(year as u32, month) {
                (month, day) = (month % 12 + 1, 1);
                year += i64::from(month == 1);
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(s in any::<String>()) {
            parse(&s);
        }

        #[test]
        fn time_like_input_never_panics(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?([Zz]|[+-][0-9]{2}:[0-9]{2})?") {
            if let Some(t) = parse(&s) {
                prop_assert_eq!(parse(&t.to_string()), Some(t));
            }
        }

        #[test]
        fn written_times_round_trip(seconds in MIN_SECONDS..=MAX_SECONDS, nanos in 0..NANOS_PER_SECOND) {
            let t = Timestamp::from_unix(seconds, nanos).unwrap();
            prop_assert_eq!(parse(&t.to_string()), Some(t));
        }

        #[test]
        fn offsets_name_the_same_instant(
            seconds in MIN_SECONDS + DAY..=MAX_SECONDS - DAY,
            east in -(23 * 60 + 59)..=(23 * 60 + 59i64),
        ) {
            let utc = Timestamp::from_unix(seconds, 0).unwrap();
            let local = Timestamp::from_unix(seconds + east * 60, 0).unwrap().to_string();
            let sign = if east < 0 { '-' } else { '+' };
            let offset = format!("{sign}{:02}:{:02}", east.abs() / 60, east.abs() % 60);
            let written = format!("{}{offset}", local.trim_end_matches('Z'));
            prop_assert_eq!(parse(&written), Some(utc));
        }
    }
}
