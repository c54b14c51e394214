//! What every generated client does around each request, shared.
//!
//! `cargo xtask generate` gives every generated `Client` an implementation of progenitor's
//! `ClientHooks` (configured in `xtask/src/catalogue.rs`) that calls the two functions here:
//! [`prepare`] before a request leaves and [`execute`] to send it.
//!
//! - progenitor adds an `api-version` header to every request; neither vendor documents it,
//!   so [`prepare`] removes it. Requests carry only the headers the spec declares, plus
//!   `Accept`, `Content-Type`, `User-Agent` and the credentials.
//! - Credential headers (`Authorization`, and the spec's API-key headers such as Huawei's
//!   `X-Access-Token`) are marked sensitive, so `Debug` output of a request hides them.
//! - `User-Agent` is `<crate>/<version>` of the client crate, unless the call runs inside
//!   [`with_user_agent`] (how an application built on the clients names itself).
//! - [`execute`] runs each call in a `tracing` span `vendor_call` with the vendor, the spec's
//!   operation id and the HTTP method, and records the status, the latency in milliseconds and
//!   the vendor's request id. Header values and bodies are never recorded.

use std::future::Future;
use std::time::Instant;

use progenitor_client::ResponseValue;
use reqwest::header::{HeaderName, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use tracing::Instrument as _;
use tracing::field::Empty;

tokio::task_local! {
    static CALLER_USER_AGENT: HeaderValue;
}

/// Runs `future` with every generated-client request inside it sending `user_agent` as its
/// `User-Agent` instead of the client crate's own.
///
/// ```
/// # async fn demo() {
/// use reqwest::header::HeaderValue;
/// let answer = vendor_types::hooks::with_user_agent(
///     HeaderValue::from_static("meeting-usage/0.1.0"),
///     async { /* calls of a generated client */ 42 },
/// )
/// .await;
/// assert_eq!(answer, 42);
/// # }
/// ```
pub fn with_user_agent<F: Future>(
    user_agent: HeaderValue,
    future: F,
) -> impl Future<Output = F::Output> {
    // Not an `async fn`: that would hold `future` in a state of its own and move it once more
    // into the scope, and a generated call's future is large.
    CALLER_USER_AGENT.scope(user_agent, future)
}

/// Readies a request built by a generated client: removes `api-version`, marks the
/// `sensitive` headers (and `Authorization`) sensitive, and sets `User-Agent` (the caller's,
/// see [`with_user_agent`], or `default_user_agent`).
///
/// ```
/// let mut request = reqwest::Request::new(reqwest::Method::GET, "https://example.com/".parse().unwrap());
/// request.headers_mut().insert("api-version", "1.0.0".parse().unwrap());
/// request.headers_mut().insert("x-access-token", "secret".parse().unwrap());
/// vendor_types::hooks::prepare(&mut request, "huawei-meeting/0.1.0", &["X-Access-Token"]);
/// assert!(request.headers().get("api-version").is_none());
/// assert!(request.headers()["x-access-token"].is_sensitive());
/// assert_eq!(request.headers()["user-agent"], "huawei-meeting/0.1.0");
/// ```
pub fn prepare(
    request: &mut reqwest::Request,
    default_user_agent: &'static str,
    sensitive: &[&str],
) {
    let headers = request.headers_mut();
    headers.remove("api-version");
    for name in sensitive.iter().copied().chain(["authorization"]) {
        // Looking a name up as text neither allocates nor builds a `HeaderName`; most requests
        // carry none of these (a client's default `Authorization` is added after this hook,
        // already marked sensitive).
        if !headers.contains_key(name) {
            continue;
        }
        let Ok(name) = HeaderName::try_from(name) else {
            continue;
        };
        if let reqwest::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
    let user_agent = CALLER_USER_AGENT
        .try_with(HeaderValue::clone)
        .unwrap_or_else(|_| HeaderValue::from_static(default_user_agent));
    headers.insert(USER_AGENT, user_agent);
}

/// Decodes an answer as progenitor's `ResponseValue::from_response` does (the status, the
/// headers, the body as JSON; the same errors), with the headers moved out of the response
/// instead of copied. `cargo xtask generate` has generated code call this in place of
/// `from_response`.
pub async fn decode_response<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response
        .bytes()
        .await
        .map_err(progenitor_client::Error::ResponseBodyError)?;
    let inner = serde_json::from_slice(&full)
        .map_err(|error| progenitor_client::Error::InvalidResponsePayload(full, error))?;
    Ok(ResponseValue::new(inner, status, headers))
}

/// Which call a request is, for the `vendor_call` span.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// The vendor, lower case.
    pub vendor: &'static str,
    /// The spec's `operationId`.
    pub operation: &'static str,
    /// The response header carrying the vendor's request id.
    pub request_id_header: &'static str,
}

/// Sends `request` with `client` inside a `vendor_call` span, recording status, latency and
/// the vendor's request id, and logging one `debug` event when the answer (or the failure)
/// arrives.
pub async fn execute(
    client: &reqwest::Client,
    request: reqwest::Request,
    call: Call,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::debug_span!(
        "vendor_call",
        vendor = call.vendor,
        operation = call.operation,
        method = %request.method(),
        status = Empty,
        latency_ms = Empty,
        request_id = Empty,
    );
    let started = Instant::now();
    let result = client.execute(request).instrument(span.clone()).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("latency_ms", latency_ms);
    let _entered = span.enter();
    match &result {
        Ok(response) => {
            let status = response.status().as_u16();
            let request_id = response
                .headers()
                .get(call.request_id_header)
                .and_then(|v| v.to_str().ok());
            span.record("status", status);
            if let Some(id) = request_id {
                span.record("request_id", id);
            }
            tracing::debug!(status, latency_ms, request_id, "vendor answered");
        }
        Err(err) => {
            let failure = if err.is_timeout() {
                "timeout"
            } else if err.is_connect() {
                "connect"
            } else {
                "transport"
            };
            tracing::debug!(failure, latency_ms, "vendor call failed");
        }
    }
    result
}
