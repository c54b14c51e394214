//! Errors of the generated clients with every byte of the response body left out.
//!
//! progenitor's `Error` keeps what it could not decode: `InvalidResponsePayload` holds the
//! whole body and its `Display` and `Debug` print it, so a token response that fails to decode
//! would put the token into a log line. [`CallError`] is what to report instead: the
//! operation, the status, the vendor's request id and error code, and for a body that does not
//! decode, where (a JSON path) and why (serde's reason with every quoted value removed).
//! [`Redact::redact`] converts a generated call's result.

use std::fmt;

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// The error body of a vendor, as the generated client decodes it: what [`CallError`] needs
/// to name the vendor, its error code and the request id.
///
/// The client crates implement it for their error types.
pub trait VendorError {
    /// The vendor, lower case (`zoom`, `huawei`).
    const VENDOR: &'static str;
    /// The response header that carries the vendor's request id.
    const REQUEST_ID_HEADER: &'static str;
    /// The vendor's error code, as text (`124`, `USG.000000004`).
    fn code(&self) -> Option<String>;
    /// The vendor's error message.
    fn message(&self) -> Option<String>;
    /// A request id inside the error body, for vendors that put one there (used when the
    /// response header is missing).
    fn request_id(&self) -> Option<String> {
        None
    }
}

/// A failed call of a generated client, carrying no response body bytes.
///
/// `Display` is one line that names the vendor and the operation; nothing in it or in
/// `Debug` comes from a response body except the vendor's own error code and message (typed
/// fields of its documented error body) and serde's description of what did not decode, with
/// quoted values removed.
#[non_exhaustive]
pub enum CallError<E> {
    /// The request was not sent: a required parameter was not set, or a value cannot be
    /// written into a header.
    InvalidRequest {
        /// The operation (the spec's `operationId`).
        operation: &'static str,
        /// Why (names the parameter, never its value).
        reason: String,
    },
    /// No answer: the connection failed, timed out or broke before a status arrived.
    Transport {
        /// The operation.
        operation: &'static str,
        /// reqwest's error, with its URL removed.
        source: reqwest::Error,
    },
    /// A documented error status with the vendor's error body.
    Vendor {
        /// The operation.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The vendor's request id, if it sent one.
        request_id: Option<String>,
        /// The `Retry-After` header as sent, if any (429 and 503 answers).
        retry_after: Option<String>,
        /// The decoded error body.
        body: E,
    },
    /// A status the spec does not document for the operation.
    UnexpectedStatus {
        /// The operation.
        operation: &'static str,
        /// HTTP status.
        status: u16,
        /// The vendor's request id, if it sent one.
        request_id: Option<String>,
        /// The `Retry-After` header as sent, if any.
        retry_after: Option<String>,
        /// The start of the body, redacted (see [`redact_excerpt`]); only when the body was
        /// read ([`redact_reading_body`]).
        excerpt: Option<String>,
    },
    /// The body arrived but does not decode into the operation's type.
    Decode {
        /// The operation.
        operation: &'static str,
        /// Where decoding failed, as serde's path (`.` is the whole body).
        path: String,
        /// Why, with quoted values removed.
        reason: String,
    },
    /// The body could not be read to the end (the connection broke while reading).
    Body {
        /// The operation.
        operation: &'static str,
        /// reqwest's error, with its URL removed.
        source: reqwest::Error,
    },
    /// Anything else the generated client reports (a hook's error).
    Other {
        /// The operation.
        operation: &'static str,
        /// What happened.
        reason: String,
    },
}

impl<E: VendorError> fmt::Debug for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("CallError");
        out.field("vendor", &self.vendor())
            .field("operation", &self.operation());
        match self {
            CallError::InvalidRequest { reason, .. } | CallError::Other { reason, .. } => {
                out.field("reason", reason);
            }
            CallError::Transport { source, .. } | CallError::Body { source, .. } => {
                out.field("timeout", &source.is_timeout())
                    .field("connect", &source.is_connect());
            }
            CallError::Vendor {
                status,
                request_id,
                body,
                ..
            } => {
                out.field("status", status)
                    .field("request_id", request_id)
                    .field("code", &body.code())
                    .field("message", &body.message());
            }
            CallError::UnexpectedStatus {
                status,
                request_id,
                excerpt,
                ..
            } => {
                out.field("status", status)
                    .field("request_id", request_id)
                    .field("excerpt", excerpt);
            }
            CallError::Decode { path, reason, .. } => {
                out.field("path", path).field("reason", reason);
            }
        }
        out.finish()
    }
}

impl<E: VendorError> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.vendor(), self.operation())?;
        match self {
            CallError::InvalidRequest { reason, .. } => write!(f, "invalid request: {reason}"),
            CallError::Transport { source, .. } => f.write_str(transport_summary(source)),
            CallError::Vendor {
                status,
                request_id,
                body,
                ..
            } => write!(f, "HTTP {status}{}", vendor_detail(body, request_id)),
            CallError::UnexpectedStatus {
                status,
                request_id,
                excerpt,
                ..
            } => {
                write!(f, "undocumented HTTP {status}")?;
                if let Some(excerpt) = excerpt {
                    write!(f, ": {excerpt}")?;
                }
                f.write_str(&request_id_detail(request_id))
            }
            CallError::Decode { path, reason, .. } => {
                write!(f, "the response does not decode at `{path}`: {reason}")
            }
            CallError::Body { .. } => f.write_str("the response body could not be read"),
            CallError::Other { reason, .. } => f.write_str(reason),
        }
    }
}

impl<E: VendorError> std::error::Error for CallError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Transport { source, .. } | CallError::Body { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl<E: VendorError> CallError<E> {
    /// The vendor (`zoom`, `huawei`).
    pub fn vendor(&self) -> &'static str {
        E::VENDOR
    }

    /// The operation that failed (the spec's `operationId`).
    pub fn operation(&self) -> &'static str {
        match self {
            CallError::InvalidRequest { operation, .. }
            | CallError::Transport { operation, .. }
            | CallError::Vendor { operation, .. }
            | CallError::UnexpectedStatus { operation, .. }
            | CallError::Decode { operation, .. }
            | CallError::Body { operation, .. }
            | CallError::Other { operation, .. } => operation,
        }
    }

    /// The HTTP status, when one arrived and is known.
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Vendor { status, .. } | CallError::UnexpectedStatus { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The vendor's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            CallError::Vendor { request_id, .. }
            | CallError::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The vendor's error code, for documented error statuses.
    pub fn vendor_code(&self) -> Option<String> {
        match self {
            CallError::Vendor { body, .. } => body.code(),
            _ => None,
        }
    }

    /// The vendor's error message, for documented error statuses.
    pub fn vendor_message(&self) -> Option<String> {
        match self {
            CallError::Vendor { body, .. } => body.message(),
            _ => None,
        }
    }
}

fn transport_summary(source: &reqwest::Error) -> &'static str {
    if source.is_timeout() {
        "timed out"
    } else if source.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    }
}

fn vendor_detail<E: VendorError>(body: &E, request_id: &Option<String>) -> String {
    let mut detail = String::new();
    if let Some(code) = body.code() {
        detail.push_str(", code ");
        detail.push_str(&one_line(&code));
    }
    if let Some(message) = body.message() {
        detail.push_str(": ");
        detail.push_str(&one_line(&message));
    }
    detail.push_str(&request_id_detail(request_id));
    detail
}

fn request_id_detail(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {})", one_line(id)),
        None => String::new(),
    }
}

/// Converts a generated call's result into one whose error is a [`CallError`].
///
/// ```
/// use vendor_types::{CallError, Redact, VendorError};
///
/// #[derive(serde::Deserialize)]
/// struct Body;
/// #[derive(serde::Deserialize)]
/// struct Problem { code: Option<i64> }
/// impl VendorError for Problem {
///     const VENDOR: &'static str = "zoom";
///     const REQUEST_ID_HEADER: &'static str = "x-zm-trackingid";
///     fn code(&self) -> Option<String> { self.code.map(|c| c.to_string()) }
///     fn message(&self) -> Option<String> { None }
/// }
///
/// // A token answer whose number arrived quoted does not decode into this type...
/// #[derive(Debug, serde::Deserialize)]
/// struct Token { access_token: String, expires_in: i64 }
/// let body = br#"{"access_token": "eyJ-secret", "expires_in": "3600"}"#;
/// let json_error = serde_json::from_slice::<Token>(body).unwrap_err();
/// let result: Result<progenitor_client::ResponseValue<Token>, progenitor_client::Error<Problem>> =
///     Err(progenitor_client::Error::InvalidResponsePayload(body.to_vec().into(), json_error));
///
/// // ...and the redacted error names where and why, never the body.
/// let err = result.redact("RequestAccessToken").unwrap_err();
/// let shown = format!("{err} {err:?}");
/// assert!(shown.contains("expires_in"), "{shown}");
/// assert!(!shown.contains("eyJ-secret") && !shown.contains("3600"), "{shown}");
/// ```
pub trait Redact<T, E> {
    /// The same result, with the error converted; `operation` is the spec's `operationId`.
    fn redact(self, operation: &'static str) -> Result<ResponseValue<T>, CallError<E>>;
}

impl<T: DeserializeOwned, E: VendorError + DeserializeOwned> Redact<T, E>
    for Result<ResponseValue<T>, Error<E>>
{
    fn redact(self, operation: &'static str) -> Result<ResponseValue<T>, CallError<E>> {
        self.map_err(|err| CallError::from_client::<T>(err, operation))
    }
}

impl<E: VendorError + DeserializeOwned> CallError<E> {
    /// Converts a generated client's error. `T` is the operation's success type: a body that
    /// does not decode is decoded again into it (and, if that works, into `E`) to find the
    /// path where it fails; the body is then dropped.
    pub fn from_client<T: DeserializeOwned>(err: Error<E>, operation: &'static str) -> Self {
        match err {
            Error::InvalidRequest(reason) => CallError::InvalidRequest {
                operation,
                reason: scrub(&reason),
            },
            Error::CommunicationError(source) => CallError::Transport {
                operation,
                source: source.without_url(),
            },
            Error::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let request_id = request_id::<E>(response.headers());
                let retry_after = header(response.headers(), "retry-after");
                let body = response.into_inner();
                let request_id = request_id.or_else(|| body.request_id());
                CallError::Vendor {
                    operation,
                    status,
                    request_id,
                    retry_after,
                    body,
                }
            }
            Error::UnexpectedResponse(response) => CallError::UnexpectedStatus {
                operation,
                status: response.status().as_u16(),
                request_id: request_id::<E>(response.headers()),
                retry_after: header(response.headers(), "retry-after"),
                excerpt: None,
            },
            Error::InvalidResponsePayload(bytes, error) => {
                let (path, reason) = locate::<T>(&bytes)
                    .or_else(|| locate::<E>(&bytes))
                    .unwrap_or_else(|| (".".to_owned(), scrub(&error.to_string())));
                CallError::Decode {
                    operation,
                    path,
                    reason,
                }
            }
            Error::ResponseBodyError(source) => CallError::Body {
                operation,
                source: source.without_url(),
            },
            Error::InvalidUpgrade(source) => CallError::Other {
                operation,
                reason: format!("protocol upgrade failed: {}", source.without_url()),
            },
            Error::Custom(reason) => CallError::Other {
                operation,
                reason: scrub(&reason),
            },
        }
    }
}

/// How much of an undocumented answer's body [`redact_reading_body`] reads.
const EXCERPT_READ_LIMIT: usize = 16 * 1024;

/// Like [`Redact::redact`], and for a status the spec does not document, reads the start of
/// the body: when it is the vendor's error body (it decodes into `E` and has a code), the
/// error becomes [`CallError::Vendor`] with that code; otherwise it keeps a short redacted
/// excerpt. Gateways and proxies answer outages with statuses nobody documented, and the
/// vendor's code or a proxy's one-line reason is what an operator needs.
pub async fn redact_reading_body<T, E>(
    result: Result<ResponseValue<T>, Error<E>>,
    operation: &'static str,
) -> Result<ResponseValue<T>, CallError<E>>
where
    T: DeserializeOwned,
    E: VendorError + DeserializeOwned,
{
    match result {
        Ok(value) => Ok(value),
        Err(error) => Err(redact_error_reading_body::<T, E>(error, operation).await),
    }
}

/// The error half of [`redact_reading_body`]: `error` of a call whose answer type is `T`,
/// redacted, reading the start of the body for a status the spec does not document. Its future
/// does not hold a `T`, so a caller that has already taken a (large) answer out of its result
/// keeps its own future small.
pub async fn redact_error_reading_body<T, E>(
    error: Error<E>,
    operation: &'static str,
) -> CallError<E>
where
    T: DeserializeOwned,
    E: VendorError + DeserializeOwned,
{
    match error {
        Error::UnexpectedResponse(mut response) => {
            let status = response.status().as_u16();
            let request_id = request_id::<E>(response.headers());
            let retry_after = header(response.headers(), "retry-after");
            let mut body = Vec::new();
            while body.len() < EXCERPT_READ_LIMIT {
                match response.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) | Err(_) => break,
                }
            }
            if let Ok(decoded) = serde_json::from_slice::<E>(&body)
                && decoded.code().is_some()
            {
                let request_id = request_id.or_else(|| decoded.request_id());
                return CallError::Vendor {
                    operation,
                    status,
                    request_id,
                    retry_after,
                    body: decoded,
                };
            }
            CallError::UnexpectedStatus {
                operation,
                status,
                request_id,
                retry_after,
                excerpt: Some(redact_excerpt(&body)).filter(|e| !e.is_empty()),
            }
        }
        other => CallError::from_client::<T>(other, operation),
    }
}

/// At most 120 characters of a body, on one line (control characters and line breaks become
/// spaces), with whatever could be a credential replaced by `***`: a run of token characters
/// (letters, digits and `-._~+/=`) that is 20 or more long, or 8 or more long and mixes
/// letters and digits, or that follows `=` or `:` (a `key=value` or `"key": "value"` pair).
///
/// ```
/// use vendor_types::redact_excerpt;
/// assert_eq!(
///     redact_excerpt(b"<html>\n<h1>502 Bad Gateway</h1> token eyJhbGciOiJIUzI1NiJ9abcdef"),
///     "<html> <h1>502 Bad Gateway</h1> token ***"
/// );
/// assert_eq!(redact_excerpt(b"upstream: key=hunter2 k9f3x2q1"), "upstream: key=*** ***");
/// assert_eq!(redact_excerpt(br#"{"password": "pw"}"#), r#"{"password": "***"}"#);
/// ```
pub fn redact_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let is_token_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '=');
    let mut out = String::new();
    let mut run = String::new();
    // Whether the run being read follows `=` or `:` (spaces and quotes in between allowed).
    let mut after_separator = false;
    let mut separator_pending = false;
    let flush = |run: &mut String, out: &mut String, after_separator: bool| {
        let length = run.chars().count();
        let mixed =
            run.chars().any(|c| c.is_ascii_digit()) && run.chars().any(|c| c.is_ascii_alphabetic());
        if length >= 20 || (length >= 8 && mixed) || (after_separator && length > 0) {
            out.push_str("***");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c == '=' && !run.is_empty() {
            // `key=value`: keep the key, mask the value.
            flush(&mut run, &mut out, false);
            out.push('=');
            separator_pending = true;
            continue;
        }
        if is_token_char(c) {
            if run.is_empty() {
                after_separator = separator_pending;
                separator_pending = false;
            }
            run.push(c);
            continue;
        }
        flush(&mut run, &mut out, after_separator);
        after_separator = false;
        match c {
            ':' => separator_pending = true,
            '"' | '\'' | ' ' => {}
            _ => separator_pending = false,
        }
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if !(c == ' ' && (out.is_empty() || out.ends_with(' '))) {
            out.push(c);
        }
    }
    flush(&mut run, &mut out, after_separator);
    let trimmed = out.trim_end();
    let mut excerpt: String = trimmed.chars().take(120).collect();
    if trimmed.chars().count() > 120 {
        excerpt.push('…');
    }
    excerpt
}

/// Vendor text on one line: control characters and line breaks become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn request_id<E: VendorError>(headers: &reqwest::header::HeaderMap) -> Option<String> {
    header(headers, E::REQUEST_ID_HEADER)
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Decodes `bytes` into `T` to find where it fails: serde's path and a scrubbed reason.
fn locate<T: DeserializeOwned>(bytes: &[u8]) -> Option<(String, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => None,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let reason = scrub(&inner.to_string());
            Some((path, reason))
        }
    }
}

/// Removes quoted values from an error message: `"…"` (JSON strings) entirely, and `` `…` ``
/// unless the message names a field (`missing field `x``), whose name comes from the schema.
///
/// ```
/// # use vendor_types::scrub_quoted as scrub;
/// assert_eq!(
///     scrub("invalid type: string \"1700000000\", expected i64 at line 1 column 20"),
///     "invalid type: string, expected i64 at line 1 column 20"
/// );
/// assert_eq!(scrub("missing field `accessToken`"), "missing field `accessToken`");
/// assert_eq!(scrub("invalid value: integer `-1`, expected u64"), "invalid value: integer, expected u64");
/// ```
pub fn scrub(message: &str) -> String {
    let keeps_backticks = ["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|prefix| message.starts_with(prefix));
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        let closing = match c {
            '"' => Some('"'),
            '`' if !keeps_backticks => Some('`'),
            _ => None,
        };
        match closing {
            Some(close) => {
                let mut escaped = false;
                for inner in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if inner == '\\' && close == '"' {
                        escaped = true;
                    } else if inner == close {
                        break;
                    }
                }
                if out.ends_with(' ') {
                    out.pop();
                }
            }
            None => out.push(c),
        }
    }
    out
}
