//! The facade's one error type.

use std::time::Duration;

use crate::model::Vendor;

/// Why a facade call failed.
///
/// `Display` is one line naming the vendor, the operation (the spec's `operationId`), the HTTP
/// status, the vendor's error code and the request id where they exist. No variant holds a
/// response body, a token, a key or a signature: errors of the generated clients are converted
/// through their redacting `CallError`, never formatted as they are.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The facade was configured with something it cannot use (an empty id, a base URL that
    /// is not HTTP(S), a `User-Agent` that is not a header value).
    #[error("configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The vendor refused the credentials (token request refused, or a 401 that persisted
    /// after one renewal).
    #[error("{vendor} {operation}: authentication failed{}", detail(*status, code, message, request_id))]
    Auth {
        /// The vendor.
        vendor: Vendor,
        /// The operation that was refused.
        operation: &'static str,
        /// HTTP status, when one arrived.
        status: Option<u16>,
        /// The vendor's error code.
        code: Option<String>,
        /// The vendor's message.
        message: Option<String>,
        /// The vendor's request id.
        request_id: Option<String>,
    },
    /// The vendor refused every refresh token the facade had (revoked, expired, or replaced
    /// by a newer one that was not kept): only a new authorization of the integration helps.
    #[error("{vendor} {operation}: the refresh token was refused{}; authorize the integration again and configure its new refresh token", detail(Some(*status), code, &None, request_id))]
    RefreshTokenRefused {
        /// The vendor.
        vendor: Vendor,
        /// The token operation.
        operation: &'static str,
        /// HTTP status of the refusal.
        status: u16,
        /// The vendor's error code.
        code: Option<String>,
        /// The vendor's request id.
        request_id: Option<String>,
    },
    /// A documented error status of the vendor's API.
    #[error(
        "{vendor} {operation}: HTTP {status}{}",
        detail(None, code, message, request_id)
    )]
    Api {
        /// The vendor.
        vendor: Vendor,
        /// The operation.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The vendor's error code.
        code: Option<String>,
        /// The vendor's message.
        message: Option<String>,
        /// The vendor's request id.
        request_id: Option<String>,
    },
    /// The vendor's rate limit was hit and waiting as asked would pass the deadline (or the
    /// retries ran out).
    #[error("{vendor} {operation}: rate limited (HTTP {status}{}){}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default(), detail(None, code, &None, request_id))]
    RateLimited {
        /// The vendor.
        vendor: Vendor,
        /// The operation.
        operation: &'static str,
        /// HTTP status: 429, or the status of an answer carrying the vendor's flow-control
        /// code.
        status: u16,
        /// How long the vendor asked to wait, if it said.
        retry_after: Option<Duration>,
        /// The vendor's error code.
        code: Option<String>,
        /// The vendor's request id.
        request_id: Option<String>,
    },
    /// No answer in time (one attempt, or the whole call's deadline).
    #[error("{vendor} {operation}: timed out{}", applied(*may_have_applied))]
    Timeout {
        /// The vendor.
        vendor: Vendor,
        /// The operation.
        operation: &'static str,
        /// A write that may have been carried out although no answer arrived.
        may_have_applied: bool,
    },
    /// The connection failed or broke.
    #[error("{vendor} {operation}: {reason}{}", applied(*may_have_applied))]
    Transport {
        /// The vendor.
        vendor: Vendor,
        /// The operation.
        operation: &'static str,
        /// What failed (no URL, no body).
        reason: String,
        /// A write whose request may have reached the vendor before the connection broke.
        may_have_applied: bool,
    },
    /// A status the spec does not document for the operation (and a body that is not the
    /// vendor's error body).
    #[error("{vendor} {operation}: unexpected HTTP {status}{}", detail(None, &None, excerpt, request_id))]
    UnexpectedResponse {
        /// The vendor.
        vendor: Vendor,
        /// The operation.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The vendor's request id.
        request_id: Option<String>,
        /// The start of the body, on one line, with anything that looks like a token masked.
        excerpt: Option<String>,
    },
    /// The answer does not decode into the spec's type.
    #[error("{vendor} {operation}: the answer does not decode at `{path}`: {reason}")]
    Decode {
        /// The vendor.
        vendor: Vendor,
        /// The operation.
        operation: &'static str,
        /// serde's path to the failing value.
        path: String,
        /// Why, with quoted values removed.
        reason: String,
    },
}

fn detail(
    status: Option<u16>,
    code: &Option<String>,
    message: &Option<String>,
    request_id: &Option<String>,
) -> String {
    let mut out = String::new();
    if let Some(status) = status {
        out.push_str(&format!(" (HTTP {status})"));
    }
    if let Some(code) = code {
        out.push_str(&format!(", code {code}"));
    }
    if let Some(message) = message {
        out.push_str(&format!(": {}", one_line(message)));
    }
    if let Some(id) = request_id {
        out.push_str(&format!(" [request id {}]", one_line(id)));
    }
    out
}

fn applied(may_have_applied: bool) -> &'static str {
    if may_have_applied {
        " (the request may have been applied: check before repeating it)"
    } else {
        ""
    }
}

/// Vendor text on one line, at most 200 characters.
fn one_line(text: &str) -> String {
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if text.chars().count() > 200 {
        line.push('…');
    }
    line
}

impl Error {
    /// The vendor involved, if the error came from a call.
    pub fn vendor(&self) -> Option<Vendor> {
        match self {
            Error::Config { .. } => None,
            Error::Auth { vendor, .. }
            | Error::RefreshTokenRefused { vendor, .. }
            | Error::Api { vendor, .. }
            | Error::RateLimited { vendor, .. }
            | Error::Timeout { vendor, .. }
            | Error::Transport { vendor, .. }
            | Error::UnexpectedResponse { vendor, .. }
            | Error::Decode { vendor, .. } => Some(*vendor),
        }
    }

    /// The operation (spec `operationId`) that failed, if the error came from a call.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Config { .. } => None,
            Error::Auth { operation, .. }
            | Error::RefreshTokenRefused { operation, .. }
            | Error::Api { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::UnexpectedResponse { operation, .. }
            | Error::Decode { operation, .. } => Some(operation),
        }
    }

    /// The HTTP status, when an answer arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Auth { status, .. } => *status,
            Error::Api { status, .. }
            | Error::RefreshTokenRefused { status, .. }
            | Error::UnexpectedResponse { status, .. }
            | Error::RateLimited { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The vendor's error code, when its error body had one.
    pub fn vendor_code(&self) -> Option<&str> {
        match self {
            Error::Auth { code, .. }
            | Error::RefreshTokenRefused { code, .. }
            | Error::Api { code, .. }
            | Error::RateLimited { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The vendor's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Auth { request_id, .. }
            | Error::RefreshTokenRefused { request_id, .. }
            | Error::Api { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::UnexpectedResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the same read could succeed if repeated later: timeouts, connection failures,
    /// rate limits, 502/503/504 and the vendors' flow-control answers. Writes are never
    /// repeated by the facade whatever this says.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Transport { .. } | Error::RateLimited { .. } => true,
            Error::Api { status, .. } => matches!(status, 502..=504),
            Error::UnexpectedResponse { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// Whether a write that failed may still have been carried out by the vendor.
    pub fn may_have_applied(&self) -> bool {
        match self {
            Error::Timeout {
                may_have_applied, ..
            }
            | Error::Transport {
                may_have_applied, ..
            } => *may_have_applied,
            _ => false,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
        }
    }

    /// An answer of `operation` that decodes but cannot be used: `path` names the value.
    pub(crate) fn decode(
        vendor: Vendor,
        operation: &'static str,
        path: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Decode {
            vendor,
            operation,
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Vendor codes that mean "slow down" whatever the HTTP status: Huawei's meeting services
/// answer server flow control with error number 100000429 (`MMC.100000429`; the reference
/// sheet lists it among the meeting error codes), Zoom with code 429.
pub(crate) fn is_flow_control(code: &str) -> bool {
    code == "429" || code.ends_with("100000429")
}
