//! Timeouts and retries of the calls through the generated clients (their errors are converted
//! in `convert.rs`).
//!
//! Every facade call goes through [`run`]: one overall deadline, a timeout per attempt, and
//! retries with exponential backoff and full jitter, but only for operations whose method in
//! the generated `spec::OPERATIONS` is `GET`. Writes (plan and add-on subscriptions, changes,
//! cancellations) are sent once; when their outcome is unknown the error says so
//! (`may_have_applied`).

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

use progenitor_client::{Error as ClientError, ResponseValue};
use serde::de::DeserializeOwned;
use vendor_types::{CallError, VendorError};

use reqwest::header::HeaderValue;

use crate::error::Error;
use crate::model::Vendor;
use crate::pacer::{Limiters, RateLimiter};
use crate::token::{Token, TokenCache};

mod convert;

pub(crate) use convert::convert;
use convert::is_expired_token;

/// How long a call may take.
///
/// ```
/// use std::time::Duration;
/// let timeouts = meeting_usage::Timeouts {
///     overall: Duration::from_secs(20),
///     ..Default::default()
/// };
/// assert_eq!(timeouts.connect, Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS). Default 5 s.
    pub connect: Duration,
    /// One attempt: from sending the request to the end of the answer. Default 15 s.
    pub attempt: Duration,
    /// The whole call, retries and waits included; also bounds the token request that may
    /// precede it. Default 45 s.
    pub overall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(15),
            overall: Duration::from_secs(45),
        }
    }
}

/// When reads are repeated. Writes are never repeated, whatever the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 turns retries off). Default 3.
    pub max_attempts: u32,
    /// The backoff before the second attempt: each later one doubles it, and the wait is a
    /// random duration between zero and that value ("full jitter"). Default 200 ms.
    pub base_delay: Duration,
    /// The longest backoff wait (a vendor's `Retry-After` is honoured beyond it, within the
    /// overall deadline). Default 5 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// One attempt only.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before attempt `attempt + 1` (`attempt` ≥ 1): uniform in
    /// `[0, min(max_delay, base_delay × 2^(attempt−1))]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let ceiling = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(random_u64() % (nanos + 1))
    }
}

/// A random number from the standard library's per-instance hash keys (no extra dependency;
/// jitter needs spread, not cryptographic quality).
fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// What [`run`] needs to know about the operation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operation {
    pub vendor: Vendor,
    /// The spec's `operationId`.
    pub id: &'static str,
    /// Whether repeating it is harmless: its method in the spec is `GET`.
    pub safe: bool,
    /// Its rate-limit label in the spec (`x-rate-limit`), if any.
    pub rate_label: Option<&'static str>,
}

impl Operation {
    /// Facts of `id` from a generated `spec::OPERATIONS` table: `facts` gives its method and
    /// rate-limit label. An id missing from the table is treated as unsafe (never retried).
    pub(crate) fn from_spec(
        vendor: Vendor,
        id: &'static str,
        facts: impl Fn(&str) -> Option<(&'static str, Option<&'static str>)>,
    ) -> Operation {
        let (method, rate_label) = facts(id).unwrap_or(("", None));
        Operation {
            vendor,
            id,
            safe: method == "GET",
            rate_label,
        }
    }
}

/// Runs `attempt` under the deadline and retry policy. With a `pacer` (a fleet run's rate
/// limiter), every attempt first waits for its slot; that wait is queueing on our side, not
/// the vendor being slow, so it extends the deadline instead of using it up.
pub(crate) async fn run<T, F, Fut>(
    op: Operation,
    timeouts: &Timeouts,
    policy: &RetryPolicy,
    mut deadline: Instant,
    pacer: Option<&RateLimiter>,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut(u32, Instant) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut number = 0u32;
    loop {
        number += 1;
        if let Some(pacer) = pacer {
            let queued = Instant::now();
            if let Err(wait) = pacer.acquire().await {
                return Err(closed(op, wait));
            }
            deadline += queued.elapsed();
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let budget = timeouts.attempt.min(remaining);
        let err = if budget.is_zero() {
            timeout(op)
        } else {
            match tokio::time::timeout(budget, attempt(number, deadline)).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(err)) => err,
                Err(_) => timeout(op),
            }
        };
        if !op.safe || !err.is_retryable() || number >= policy.max_attempts.max(1) {
            return Err(err);
        }
        let wait = match &err {
            Error::RateLimited {
                retry_after: Some(wait),
                ..
            } => *wait,
            _ => policy.backoff(number),
        };
        if Instant::now()
            .checked_add(wait)
            .is_none_or(|at| at >= deadline)
        {
            tracing::debug!(
                vendor = %op.vendor,
                operation = op.id,
                wait_ms = wait.as_millis() as u64,
                "not retrying: the wait would pass the deadline"
            );
            return Err(err);
        }
        tracing::debug!(
            vendor = %op.vendor,
            operation = op.id,
            attempt = number,
            wait_ms = wait.as_millis() as u64,
            reason = %err,
            "retrying"
        );
        tokio::time::sleep(wait).await;
    }
}

/// The vendor's rate limit is closed for longer than a pause (a daily limit): the call is not
/// sent.
fn closed(op: Operation, wait: Duration) -> Error {
    Error::RateLimited {
        vendor: op.vendor,
        operation: op.id,
        status: 429,
        retry_after: Some(wait),
        code: None,
        request_id: None,
    }
}

fn timeout(op: Operation) -> Error {
    Error::Timeout {
        vendor: op.vendor,
        operation: op.id,
        may_have_applied: !op.safe,
    }
}

/// A generated call's result without its envelope (status and headers) and with its error
/// redacted; for a status the spec does not document, the body is read so the vendor's code
/// (or a short redacted excerpt) is kept (see `vendor_types::redact_reading_body`).
pub(crate) trait ReadBody<T, E> {
    /// The decoded answer, or the redacted error.
    fn answer(self, operation: &'static str) -> impl Future<Output = Result<T, CallError<E>>>;

    /// Like [`answer`](ReadBody::answer), with the answer boxed: a large decoded answer (Zoom's
    /// plan usage is about 4 KB) is then moved once, instead of being copied by every layer of
    /// futures it is returned through.
    fn boxed_answer(
        self,
        operation: &'static str,
    ) -> impl Future<Output = Result<Box<T>, CallError<E>>>;
}

impl<T: DeserializeOwned, E: VendorError + DeserializeOwned> ReadBody<T, E>
    for Result<ResponseValue<T>, ClientError<E>>
{
    fn answer(self, operation: &'static str) -> impl Future<Output = Result<T, CallError<E>>> {
        redacted::<T, _, E>(self.map(ResponseValue::into_inner), operation)
    }

    fn boxed_answer(
        self,
        operation: &'static str,
    ) -> impl Future<Output = Result<Box<T>, CallError<E>>> {
        // Taken out of the result before the future is made, so that the future holds a box.
        redacted::<T, _, E>(self.map(|answer| Box::new(answer.into_inner())), operation)
    }
}

/// `result` with its error redacted (the body read as an error of an operation answering `T`).
async fn redacted<T, U, E>(
    result: Result<U, ClientError<E>>,
    operation: &'static str,
) -> Result<U, CallError<E>>
where
    T: DeserializeOwned,
    E: VendorError + DeserializeOwned,
{
    match result {
        Ok(value) => Ok(value),
        Err(error) => Err(vendor_types::redact_error_reading_body::<T, E>(error, operation).await),
    }
}

/// Sends a token request once, within `deadline`; an error status in `refused` means the
/// vendor refused the credentials ([`Error::Auth`]).
pub(crate) async fn token_request<T, E>(
    op: Operation,
    user_agent: &HeaderValue,
    deadline: Instant,
    refused: &[u16],
    request: impl Future<Output = Result<ResponseValue<T>, ClientError<E>>>,
) -> Result<T, Error>
where
    T: DeserializeOwned,
    E: VendorError + DeserializeOwned,
{
    let budget = deadline.saturating_duration_since(Instant::now());
    let request = vendor_types::hooks::with_user_agent(user_agent.clone(), request);
    let Ok(answer) = tokio::time::timeout(budget, request).await else {
        return Err(Error::Timeout {
            vendor: op.vendor,
            operation: op.id,
            may_have_applied: false,
        });
    };
    answer
        .answer(op.id)
        .await
        .map_err(|err| match convert(op, err) {
            Error::Api {
                status,
                code,
                message,
                request_id,
                ..
            } if refused.contains(&status) => Error::Auth {
                vendor: op.vendor,
                operation: op.id,
                status: Some(status),
                code,
                message,
                request_id,
            },
            other => other,
        })
}

/// The settings every call of a vendor account uses, checked when its source is built.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    pub user_agent: HeaderValue,
}

/// The settings every source builder offers (its field `options`, set by the methods
/// [`option_setters`] writes).
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    pub user_agent: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            user_agent: crate::DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

impl Options {
    /// The settings, with the `User-Agent` checked.
    pub(crate) fn settings(self) -> Result<Settings, Error> {
        Ok(Settings {
            timeouts: self.timeouts,
            retry: self.retry,
            user_agent: crate::user_agent(&self.user_agent)?,
        })
    }
}

/// The setters of [`Options`] that every source builder has.
macro_rules! option_setters {
    () => {
        /// Timeouts (connect, per attempt, whole call).
        pub fn timeouts(mut self, timeouts: crate::Timeouts) -> Self {
            self.options.timeouts = timeouts;
            self
        }

        /// When reads are repeated.
        pub fn retry(mut self, retry: crate::RetryPolicy) -> Self {
            self.options.retry = retry;
            self
        }

        /// The `User-Agent` of every request (default `meeting-usage/<version>`).
        pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
            self.options.user_agent = user_agent.into();
            self
        }
    };
}
pub(crate) use option_setters;

/// Runs one operation that needs the account's credential `C` (a token, or a client carrying
/// it): the credential from `credential` (cached in `tokens`), the deadline and retries of
/// [`run`], the caller's `User-Agent`, and one renewal when the vendor refuses the credential
/// as expired or revoked, after which the call is repeated once. With `limiters` (a fleet
/// run), the operation's rate label paces every send, and a 429 slows that label down.
pub(crate) async fn authorized<C, T, E, G, GFut, S, SFut>(
    op: Operation,
    settings: &Settings,
    limiters: Option<&Limiters>,
    tokens: &TokenCache<C>,
    credential: G,
    send: S,
) -> Result<T, Error>
where
    C: Clone,
    E: VendorError,
    G: Fn(Instant) -> GFut,
    GFut: Future<Output = Result<Token<C>, Error>>,
    S: Fn(C) -> SFut,
    SFut: Future<Output = Result<T, CallError<E>>>,
{
    let limiter = limiters.and_then(|l| l.get(op.rate_label));
    let deadline = Instant::now() + settings.timeouts.overall;
    // `run` passes the deadline as extended by pacing waits, so a token renewal after a long
    // queue still gets its share of time.
    let (credential, send, pace) = (&credential, &send, &limiter);
    let attempt = |_, deadline| async move {
        let mut renewed = false;
        loop {
            let token = credential(deadline).await?;
            // The first send waited for its slot in `run`; the repeat after a renewal waits
            // for one here.
            if let (true, Some(limiter)) = (renewed, pace) {
                limiter.acquire().await.map_err(|wait| closed(op, wait))?;
            }
            let result = vendor_types::hooks::with_user_agent(
                settings.user_agent.clone(),
                send(token.value.clone()),
            )
            .await;
            match result {
                Ok(answer) => return Ok(answer),
                Err(err) if !renewed && is_expired_token(&err) => {
                    tracing::debug!(operation = op.id, "credential refused; renewing it once");
                    tokens.invalidate(token.generation).await;
                    renewed = true;
                }
                Err(err) => {
                    let err = convert(op, err);
                    if let (Some(limiters), Error::RateLimited { retry_after, .. }) =
                        (limiters, &err)
                    {
                        limiters.throttled_by_vendor(op.rate_label, *retry_after);
                    }
                    return Err(err);
                }
            }
        }
    };
    run(
        op,
        &settings.timeouts,
        &settings.retry,
        deadline,
        limiter.as_deref(),
        attempt,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
        };
        for attempt in 1..40 {
            let ceiling =
                Duration::from_millis(100 * (1 << (attempt - 1).min(20))).min(policy.max_delay);
            assert!(policy.backoff(attempt) <= ceiling);
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 10, "full jitter spreads the waits");
    }

    #[tokio::test]
    async fn writes_are_sent_once_and_reads_retried() {
        let op = |safe| Operation {
            vendor: Vendor::Zoom,
            id: "X",
            safe,
            rate_label: None,
        };
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        for (safe, expected) in [(true, 3), (false, 1)] {
            let mut calls = 0;
            let result: Result<(), Error> = run(
                op(safe),
                &Timeouts::default(),
                &policy,
                deadline,
                None,
                |_, _| {
                    calls += 1;
                    async {
                        Err(Error::UnexpectedResponse {
                            vendor: Vendor::Zoom,
                            operation: "X",
                            status: 503,
                            request_id: None,
                            excerpt: None,
                        })
                    }
                },
            )
            .await;
            assert!(result.is_err());
            assert_eq!(calls, expected, "safe = {safe}");
        }
    }
}
