//! Calendar arithmetic for the usage model, without a date-time dependency.
//!
//! Two needs only: writing instants as RFC 3339 UTC text (`2026-05-04T09:30:00Z`, whole
//! seconds), and reading the two kinds of dates the vendors send in the operations the facade
//! maps:
//!
//! - Huawei's resource list gives `expireDate` as a UTC timestamp in **milliseconds** since the
//!   Unix epoch (spec schema `CorpResourceItem`); [`rfc3339_from_unix_millis`] converts it.
//! - Zoom's recording usage gives `max_exceed_date` as a calendar date `yyyy-mm-dd` without a
//!   time zone (spec schema `RecordingUsage`); [`parse_date`] checks it.
//!
//! Day numbers are converted with the proleptic-Gregorian "days from civil" / "civil from days"
//! algorithms (Howard Hinnant's formulation), which are exact for every representable year, so
//! no table of leap years is needed.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a civil day (UTC has no leap seconds in Unix time).
const SECONDS_PER_DAY: i64 = 86_400;

/// Milliseconds in a civil day.
pub const MILLIS_PER_DAY: i64 = SECONDS_PER_DAY * 1000;

/// A calendar date in the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilDate {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
}

/// Whether `year` has a 29th of February.
pub fn is_leap_year(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Number of days in `month` (1 to 12) of `year`; 0 for a month outside 1 to 12.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The date `days` days after 1970-01-01 (negative: before it).
///
/// Exact for any `days` whose year fits in an `i64`; callers pass day numbers derived from
/// an `i64` count of seconds or milliseconds, which are far inside that range.
pub fn civil_from_days(days: i64) -> CivilDate {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of each year, then
    // split into 400-year eras of exactly 146 097 days.
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // 0 ..= 146 096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // 0 ..= 399
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // 0 ..= 365
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 ..= 11, March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1; // 1 ..= 31
    let month = (shifted_month + 2) % 12 + 1;
    let year = year_of_era
        .saturating_add(era.saturating_mul(400))
        .saturating_add(i64::from(month <= 2));
    CivilDate {
        year,
        // Both values are small and non-negative by construction; the fallbacks are unreachable.
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
    }
}

/// Days from 1970-01-01 to `date` (negative before it). `None` when the date does not exist
/// (month outside 1 to 12, day outside the month) or the year is beyond ±10^12.
pub fn days_from_civil(date: CivilDate) -> Option<i64> {
    let CivilDate { year, month, day } = date;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if year.unsigned_abs() > 1_000_000_000_000 {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400; // 0 ..= 399
    let shifted_month = i64::from((month + 9) % 12); // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// Milliseconds from the Unix epoch to `t` (negative before it), saturating at the ends of
/// the `i64` range.
pub fn unix_millis(t: SystemTime) -> i64 {
    since_epoch(t, 1_000_000)
}

/// Whole units of `unit_nanos` nanoseconds from the Unix epoch to `t`, rounded towards the
/// past (so the instant is never placed after `t`), saturating.
fn since_epoch(t: SystemTime, unit_nanos: u128) -> i64 {
    let (nanos, before) = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => (after.as_nanos(), false),
        Err(before) => (before.duration().as_nanos(), true),
    };
    let whole = i64::try_from(nanos / unit_nanos).unwrap_or(i64::MAX);
    if !before {
        return whole;
    }
    let partial = i64::from(nanos % unit_nanos != 0);
    0i64.saturating_sub(whole).saturating_sub(partial)
}

/// Writes `secs` (Unix seconds) as `YYYY-MM-DDTHH:MM:SSZ`, whatever the year: a year outside
/// 0000 to 9999 gets a sign and as many digits as it needs (ISO 8601's expanded form).
fn format_unix_seconds(secs: i64) -> String {
    let days = secs.div_euclid(SECONDS_PER_DAY);
    let second_of_day = secs.rem_euclid(SECONDS_PER_DAY);
    let date = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        (second_of_day % 3600) / 60,
        second_of_day % 60,
    );
    let year = if (0..=9999).contains(&date.year) {
        format!("{:04}", date.year)
    } else {
        format!("{:+}", date.year)
    };
    let (month, day) = (date.month, date.day);
    format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

/// `t` as RFC 3339 text in UTC with whole seconds, e.g. `2026-05-04T09:30:00Z`.
///
/// Fractions of a second are dropped (rounded towards the past). RFC 3339 only covers years
/// 0000 to 9999; an instant outside them (only reachable with a deliberately odd clock) is
/// written in ISO 8601's expanded form (`+10000-01-01T00:00:00Z`) rather than wrongly or with
/// a panic.
pub fn rfc3339(t: SystemTime) -> String {
    format_unix_seconds(since_epoch(t, 1_000_000_000))
}

/// RFC 3339 text (UTC, whole seconds) for `secs` seconds after the Unix epoch; `None` when the
/// year falls outside 0000 to 9999, which RFC 3339 cannot express.
pub fn rfc3339_from_unix_seconds(secs: i64) -> Option<String> {
    let year = civil_from_days(secs.div_euclid(SECONDS_PER_DAY)).year;
    (0..=9999)
        .contains(&year)
        .then(|| format_unix_seconds(secs))
}

/// RFC 3339 text (UTC, whole seconds, milliseconds dropped towards the past) for a Unix
/// timestamp in milliseconds, such as Huawei's `expireDate`; `None` outside years 0000 to
/// 9999.
pub fn rfc3339_from_unix_millis(millis: i64) -> Option<String> {
    rfc3339_from_unix_seconds(millis.div_euclid(1000))
}

/// Reads a calendar date written exactly `yyyy-mm-dd` (four-digit year, two-digit month and
/// day, ASCII digits), as Zoom writes `max_exceed_date`; `None` for any other text or a date
/// that does not exist (`2023-02-29`).
pub fn parse_date(text: &str) -> Option<CivilDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        part.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let date = CivilDate {
        year: i64::from(number(0..4)?),
        month: number(5..7)?,
        day: number(8..10)?,
    };
    days_from_civil(date).map(|_| date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(1_000_000_000)), "2001-09-09T01:46:40Z");
        assert_eq!(rfc3339(at(1_827_619_200)), "2027-12-01T00:00:00Z");
        assert_eq!(rfc3339(at(1_735_689_600)), "2025-01-01T00:00:00Z");
        // The last second of 1999 and the first of 2000.
        assert_eq!(rfc3339(at(946_684_799)), "1999-12-31T23:59:59Z");
        assert_eq!(rfc3339(at(946_684_800)), "2000-01-01T00:00:00Z");
    }

    #[test]
    fn fractions_are_dropped() {
        let t = at(1_000_000_000) + Duration::from_millis(999);
        assert_eq!(rfc3339(t), "2001-09-09T01:46:40Z");
        assert_eq!(unix_millis(t), 1_000_000_000_999);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2100));
        assert!(!is_leap_year(2023));
        // 2024-02-29 exists, 2023-02-29 and 1900-02-29 do not.
        assert_eq!(rfc3339(at(1_709_164_800)), "2024-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_709_251_200)), "2024-03-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2000-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("1900-02-29").is_none());
        assert!(parse_date("2100-02-29").is_none());
    }

    #[test]
    fn before_the_epoch() {
        let t = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(rfc3339(t), "1969-12-31T23:59:59Z");
        let half = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(rfc3339(half), "1969-12-31T23:59:59Z");
        assert_eq!(unix_millis(half), -500);
        assert_eq!(
            rfc3339_from_unix_millis(-1).as_deref(),
            Some("1969-12-31T23:59:59Z")
        );
        assert_eq!(
            rfc3339_from_unix_seconds(-62_167_219_200).as_deref(),
            Some("0000-01-01T00:00:00Z")
        );
    }

    #[test]
    fn out_of_range_years() {
        assert_eq!(rfc3339_from_unix_seconds(-62_167_219_201), None);
        assert_eq!(
            rfc3339_from_unix_seconds(253_402_300_799).as_deref(),
            Some("9999-12-31T23:59:59Z")
        );
        assert_eq!(rfc3339_from_unix_seconds(253_402_300_800), None);
        assert_eq!(rfc3339_from_unix_millis(i64::MAX), None);
        assert_eq!(rfc3339_from_unix_millis(i64::MIN), None);
        assert_eq!(
            format_unix_seconds(253_402_300_800),
            "+10000-01-01T00:00:00Z"
        );
        // Extreme inputs produce text, never a panic.
        assert!(!format_unix_seconds(i64::MAX).is_empty());
        assert!(!format_unix_seconds(i64::MIN).is_empty());
    }

    #[test]
    fn milliseconds_of_huawei_expiry() {
        assert_eq!(
            rfc3339_from_unix_millis(1_827_619_200_000).as_deref(),
            Some("2027-12-01T00:00:00Z")
        );
        assert_eq!(
            rfc3339_from_unix_millis(1_765_756_800_123).as_deref(),
            Some("2025-12-15T00:00:00Z")
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let date = civil_from_days(days);
            assert_eq!(days_from_civil(date), Some(days), "{date:?}");
        }
        let first = CivilDate {
            year: 1970,
            month: 1,
            day: 1,
        };
        assert_eq!(days_from_civil(first), Some(0));
        assert_eq!(days_from_civil(CivilDate { month: 13, ..first }), None);
        assert_eq!(days_from_civil(CivilDate { day: 0, ..first }), None);
    }

    #[test]
    fn date_text() {
        assert_eq!(
            parse_date("2023-05-04"),
            Some(CivilDate {
                year: 2023,
                month: 5,
                day: 4
            })
        );
        for bad in [
            "",
            "2023-5-4",
            "2023/05/04",
            "2023-13-01",
            "2023-04-31",
            "20230504",
            "2023-05-04T00",
            "２０２３-05-04",
            "2023-0a-04",
            "+023-05-04",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
