//! The generated clients' errors, converted into the facade's [`Error`]: the status, the
//! vendor's code and request id kept, an expired token told apart, and `Retry-After` read in
//! each form the vendors send.

use std::time::{Duration, SystemTime};

use vendor_types::{CallError, VendorError};

use super::Operation;
use crate::error::Error;
use crate::time;

/// Whether a documented error means "the token is no longer good": 401 with Zoom's code 124,
/// Huawei's `USG.000000004` or `MMC.118000001`, or a 401 without a code.
pub(crate) fn is_expired_token<E: VendorError>(err: &CallError<E>) -> bool {
    err.status() == Some(401)
        && err
            .vendor_code()
            .is_none_or(|code| matches!(code.as_str(), "124" | "USG.000000004" | "MMC.118000001"))
}

/// Converts a generated client's (already redacted) error.
pub(crate) fn convert<E: VendorError>(op: Operation, err: CallError<E>) -> Error {
    let (vendor, operation) = (op.vendor, op.id);
    let write = !op.safe;
    match err {
        CallError::Vendor {
            status,
            request_id,
            retry_after,
            body,
            ..
        } => {
            let code = body.code();
            if status == 429 || code.as_deref().is_some_and(crate::error::is_flow_control) {
                rate_limited(op, status, retry_after, code, request_id)
            } else if status == 401 {
                Error::Auth {
                    vendor,
                    operation,
                    status: Some(status),
                    code,
                    message: body.message(),
                    request_id,
                }
            } else {
                Error::Api {
                    vendor,
                    operation,
                    status,
                    code,
                    message: body.message(),
                    request_id,
                }
            }
        }
        CallError::UnexpectedStatus {
            status: 429,
            request_id,
            retry_after,
            ..
        } => rate_limited(op, 429, retry_after, None, request_id),
        CallError::UnexpectedStatus {
            status,
            request_id,
            excerpt,
            ..
        } => Error::UnexpectedResponse {
            vendor,
            operation,
            status,
            request_id,
            excerpt,
        },
        CallError::Transport { source, .. } if source.is_timeout() => Error::Timeout {
            vendor,
            operation,
            may_have_applied: write,
        },
        CallError::Transport { source, .. } => Error::Transport {
            vendor,
            operation,
            reason: if source.is_connect() {
                "could not connect".to_owned()
            } else {
                "the connection failed".to_owned()
            },
            // A refused connection never carried the request.
            may_have_applied: write && !source.is_connect(),
        },
        CallError::Body { .. } => Error::Transport {
            vendor,
            operation,
            reason: "the answer broke off before its end".to_owned(),
            may_have_applied: write,
        },
        CallError::Decode { path, reason, .. } => Error::Decode {
            vendor,
            operation,
            path,
            reason,
        },
        CallError::InvalidRequest { reason, .. } => {
            Error::config(format!("{vendor} {operation}: {reason}"))
        }
        other => Error::Transport {
            vendor,
            operation,
            reason: other.to_string(),
            may_have_applied: write,
        },
    }
}

fn rate_limited(
    op: Operation,
    status: u16,
    retry_after: Option<String>,
    code: Option<String>,
    request_id: Option<String>,
) -> Error {
    Error::RateLimited {
        vendor: op.vendor,
        operation: op.id,
        status,
        retry_after: retry_after.and_then(|v| parse_retry_after(&v, SystemTime::now())),
        code,
        request_id,
    }
}

/// `Retry-After` as delta-seconds (`"2"`), an HTTP date (`"Wed, 21 Oct 2026 07:28:00 GMT"`) or
/// Zoom's ISO 8601 date-time on daily limits (`"2026-12-03T00:00:00Z"`); a time in the past
/// means "now".
/// Waits longer than [`LONGEST_WAIT`] are read as that long.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let seconds = match value.parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => {
            let at = parse_iso_8601(value).or_else(|| parse_http_date(value))?;
            let now =
                i64::try_from(now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs()).ok()?;
            u64::try_from(at.saturating_sub(now)).unwrap_or(0)
        }
    };
    Some(Duration::from_secs(seconds).min(LONGEST_WAIT))
}

/// The longest `Retry-After` taken at its word: two days (Zoom's daily limits reset within
/// one); a vendor's absurd value must not overflow the clock arithmetic.
const LONGEST_WAIT: Duration = Duration::from_secs(2 * 86_400);

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC only) → Unix seconds.
fn parse_iso_8601(value: &str) -> Option<i64> {
    let (date, rest) = value.split_once(['T', 't'])?;
    let date = time::parse_date(date)?;
    let clock = rest.strip_suffix(['Z', 'z'])?;
    let clock = clock.split_once('.').map_or(clock, |(whole, _)| whole);
    unix(date, clock)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// IMF-fixdate, `Wed, 21 Oct 2026 07:28:00 GMT` → Unix seconds.
fn parse_http_date(value: &str) -> Option<i64> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: u32 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = MONTHS.iter().position(|&m| m == name)? as u32 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() || !(0..=9999).contains(&year) {
        return None;
    }
    // `unix` refuses a day the month does not have.
    unix(time::CivilDate { year, month, day }, clock)
}

fn unix(date: time::CivilDate, clock: &str) -> Option<i64> {
    let mut fields = clock.split(':').map(|f| f.parse::<i64>().ok());
    let (h, m, s) = (fields.next()??, fields.next()??, fields.next()??);
    let valid = (0..24).contains(&h) && (0..60).contains(&m) && (0..=60).contains(&s);
    if fields.next().is_some() || !valid {
        return None;
    }
    time::days_from_civil(date)?
        .checked_mul(86_400)?
        .checked_add(h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_000_000; // 2025-11-24T16:00:00Z

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[test]
    fn retry_after_in_every_form() {
        assert_eq!(parse_retry_after("2", now()), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("2025-11-24T16:00:30Z", now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("2025-11-25T00:00:00.000Z", now()),
            Some(Duration::from_secs(8 * 3600))
        );
        assert_eq!(
            parse_retry_after("Mon, 24 Nov 2025 16:01:00 GMT", now()),
            Some(Duration::from_secs(60))
        );
        // In the past: retry now.
        assert_eq!(
            parse_retry_after("Mon, 24 Nov 2025 15:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        for bad in [
            "soon",
            "",
            "-3",
            "2025-13-01T00:00:00Z",
            "Mon, 31 Feb 2025 00:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now()), None, "{bad}");
        }
    }
}
