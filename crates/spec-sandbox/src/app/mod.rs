//! Answering one request: route, faults, credentials, validation, then the documented
//! example (or a token for token operations), with the vendor's headers.
//!
//! One module a stage, each an `impl App` block of its own:
//!
//! | stage | module | what it does |
//! |---|---|---|
//! | 1 | [`route`] | method and path to spec and operation (or a control endpoint) |
//! | 2 | [`request`] (`begin`) | rate limits of the limits mode, queued and header faults, `Prefer` |
//! | 3 | [`auth`] | the credentials the operation's security requirements ask for |
//! | 4 | [`request`] (`read_body`, `check_*`) | the body read within its limits, parameters and body validated |
//! | 5 | [`tokens`], [`reply`] (`answer`) | a token operation's real token, else the chosen example, a fleet account's answer or a fault |
//! | 6 | [`reply`] (`vendor_headers`) | request id and rate-limit headers; the reply as a hyper response |
//!
//! [`control`] serves `/__sandbox/*`. This file holds the app's state, its construction, and
//! the two halves of a request: [`App::start`] does whatever needs no waiting while hyper
//! hands the request over, and [`App::finish`] the rest (reading a body, a delay fault, a
//! control request). Both come back as one boxed future ([`Answer`]): an enum future that
//! skipped the box for requests answered in the first half was measured against it with the
//! throughput bench (`cargo bench -p spec-sandbox --bench throughput -- --no-prism`, 2026-12-07:
//! 0.89x the minimal server with the enum; boxed 0.94x, 0.84x and 1.00x, within the run-to-run
//! noise; BENCHMARKS.md, section 5) and removed. [`CatchPanic`] is the one `Future` impl
//! left: it turns a panic of a handler into a 500 instead of a dropped connection. `Started`,
//! `Waiting` and `Begun` are plain enums saying how far a request got, not futures.

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode, Uri};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use spec_core::schema::Direction;

use crate::SandboxConfig;
use crate::fleet::{Fleet, FleetConfig, PageTokenProblem, PageTokens};
use crate::limits::{Admission, Limit, RateLimiter, RateLimits};
use crate::model::{Check, FleetRole, Location, Model, Op, ParamKind, Role, Segment, SpecModel};
use crate::state::{
    Fault, FaultKind, FaultQueue, InvalidFault, RateWindows, RequestLog, TokenKind, TokenProblem,
    TokenStore, unix_ms,
};
use crate::vendor::{FieldError, Problem, RateLimitHeaders};

mod auth;
mod control;
mod reply;
mod request;
mod route;
mod tokens;

use self::{reply::*, request::*, route::*, tokens::*};
pub use control::CONTROL_ENDPOINTS;

/// The body of every response: whole, or cut short by a `truncate` fault.
pub enum ResponseBody {
    /// The bytes, sent at once (`None`: no body, or all sent).
    Full(Option<Bytes>),
    /// Half, then an error.
    Truncated(TruncatedBody),
}

impl ResponseBody {
    fn full(bytes: Bytes) -> ResponseBody {
        ResponseBody::Full(Some(bytes).filter(|b| !b.is_empty()))
    }
}

impl HttpBody for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            ResponseBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ResponseBody::Truncated(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Full(bytes) => bytes.is_none(),
            ResponseBody::Truncated(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            ResponseBody::Truncated(body) => body.size_hint(),
        }
    }
}

/// What the service answers with: a boxed future, ready at once for a request answered while
/// hyper handed it over, or one that still has to wait (a body to read, a delay fault, a
/// control request).
pub type Answer = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Dropped>> + Send>>;

/// How far [`App::start`] got.
enum Started {
    /// Answered (and logged).
    Done(Result<Reply, Dropped>),
    /// To be finished by [`App::finish`].
    Wait(Waiting),
}

/// What is left to do for a request that has to wait.
enum Waiting {
    /// A control request (some read a body).
    Control,
    /// An operation, routed, admitted and past its faults.
    Op {
        /// [`Op::index`].
        index: usize,
        /// The rate-limit mode's verdict (admitted), for its headers.
        admission: Option<Admission>,
        plan: Plan,
    },
}

/// The outcome of an operation's faults.
enum Begun {
    /// A fault answered (or dropped the connection).
    Done(Result<Reply, Dropped>),
    /// Answer normally, with these faults.
    Proceed(Plan),
}

/// The faults that change how an operation is answered.
#[derive(Debug, Default)]
struct Plan {
    /// Wait this many milliseconds first.
    delay: Option<u64>,
    /// Cut the body short.
    truncate: bool,
    /// Replace the body with HTML.
    not_json: bool,
    /// Replace a success body with this JSON.
    body: Option<Bytes>,
}

/// A request the sandbox answers by closing the connection (the `drop` fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a sandbox fault")]
pub struct Dropped;

/// The header that injects a fault for this and following requests of the operation.
pub const FAULT_HEADER: &str = "x-sandbox-fault";

const X_RATELIMIT_CATEGORY: HeaderName = HeaderName::from_static("x-ratelimit-category");
const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_TYPE: HeaderName = HeaderName::from_static("x-ratelimit-type");
const X_APIG_RATELIMIT_API: HeaderName = HeaderName::from_static("x-apig-ratelimit-api");
const X_APIG_RATELIMIT_API_ALLENV: HeaderName =
    HeaderName::from_static("x-apig-ratelimit-api-allenv");
const FAULT_HEADER_NAME: HeaderName = HeaderName::from_static(FAULT_HEADER);
const PREFER: HeaderName = HeaderName::from_static("prefer");

/// Window lengths of the rate-limit counters: Zoom's per-second limits, Huawei's per-second
/// and per-minute ones.
const WINDOWS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(60)];

/// Everything a request handler needs.
#[derive(Debug)]
pub struct App {
    pub(crate) model: Model,
    pub(crate) config: SandboxConfig,
    pub(crate) tokens: TokenStore,
    pub(crate) faults: FaultQueue,
    pub(crate) log: RequestLog,
    /// Requests whose handler panicked (answered with a 500); a bug whenever not zero.
    pub(crate) panics: std::sync::atomic::AtomicU64,
    rates: Vec<RateWindows>,
    /// The opt-in rate-limit mode.
    pub(crate) limiter: RateLimiter,
    /// The opt-in fleet of generated accounts.
    fleet: std::sync::RwLock<Option<Arc<Fleet>>>,
    /// Whether `fleet` is `Some`: lets requests skip its lock while the mode is off.
    fleet_on: std::sync::atomic::AtomicBool,
    /// Signs page tokens of the fleet's lists.
    page_tokens: PageTokens,
    /// Page tokens of older generations are expired.
    page_generation: std::sync::atomic::AtomicU64,
    /// Values the token-grant examples use for accounts and App IDs: the sandbox's test
    /// accounts.
    known_ids: HashSet<String>,
    /// The client credentials of the token requests' examples (see [`client_key`]).
    known_clients: HashSet<String>,
    /// Ids for the vendors' request-id headers.
    request_ids: RequestIds,
    /// The values of the vendors' rate-limit headers, made once.
    header_values: HeaderValues,
}

/// Polls a future and reports a panic during a poll as `Err(())`.
struct CatchPanic<'a, F>(Pin<&'a mut F>);

impl<F: Future> Future for CatchPanic<'_, F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

/// A response under construction.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: ReplyBody,
}

enum ReplyBody {
    Empty,
    Json(Bytes),
    Html(Bytes),
    Truncated(Bytes),
}

/// Refuses a fault that cannot do what it says for this operation: truncating or replacing
/// the body of an operation whose success response has none.
fn fault_applies(op: &Op, kind: &FaultKind) -> Result<(), InvalidFault> {
    let action = match kind {
        FaultKind::Truncate => "truncate",
        FaultKind::Body { .. } => "replace",
        _ => return Ok(()),
    };
    if let Some(success) = op.success()
        && success.media_type.is_none()
    {
        return Err(InvalidFault(format!(
            "`{}` answers {} without a body; there is nothing to {action}",
            op.id, success.status
        )));
    }
    Ok(())
}

/// The values of a token request's client-credential fields, as one key.
fn client_key(body: &Value, fields: &[String]) -> String {
    let values: Vec<&str> = fields
        .iter()
        .map(|f| body.get(f).and_then(Value::as_str).unwrap_or(""))
        .collect();
    values.join("\n")
}

impl App {
    /// Builds the app and seeds the tokens that the specs' token examples show.
    pub fn new(model: Model, config: SandboxConfig) -> App {
        let ops = model.op_count();
        let mut seeds = Vec::new();
        let mut known_ids = HashSet::new();
        let mut known_clients = HashSet::new();
        for spec in &model.specs {
            let fields = &spec.vendor.tokens;
            let family = spec.vendor.family;
            for op in spec
                .ops
                .iter()
                .filter(|op| matches!(op.role, Some(Role::TokenGrant | Role::TokenRefresh)))
            {
                // The tokens of answers, and the refresh tokens and client credentials of
                // requests: the examples double as test credentials.
                for example in op.success().into_iter().flat_map(|r| &r.examples) {
                    let text = |field: Option<&str>| {
                        field
                            .and_then(|f| example.value.get(f))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    };
                    if let Some(token) = text(Some(&fields.access)) {
                        seeds.push((token, family, TokenKind::Access));
                    }
                    if let Some(token) = text(fields.refresh.as_deref()) {
                        seeds.push((token, family, TokenKind::Refresh));
                    }
                }
                for body in op.body.iter().flat_map(|b| &b.examples) {
                    let text = |field: Option<&str>| {
                        field.and_then(|f| body.get(f)).and_then(Value::as_str)
                    };
                    if let Some(id) = text(fields.grant_subject.as_deref()) {
                        known_ids.insert(id.to_owned());
                    }
                    if let Some(token) = text(fields.request_refresh.as_deref()) {
                        seeds.push((token.to_owned(), family, TokenKind::Refresh));
                    }
                    if !fields.client.is_empty() {
                        known_clients.insert(client_key(body, &fields.client));
                    }
                }
            }
        }
        let labels: Vec<Option<(crate::vendor::Family, &str)>> = model
            .specs
            .iter()
            .flat_map(|spec| {
                spec.ops
                    .iter()
                    .map(move |op| Some((spec.vendor.family, op.rate_limit.as_deref()?)))
            })
            .collect();
        let limiter = RateLimiter::new(&labels);
        limiter.set(config.rate_limits.clone());
        // A fleet that does not validate is reported by `Sandbox::start` before this point.
        let fleet = config
            .fleet
            .clone()
            .and_then(|f| Fleet::new(f).ok())
            .map(Arc::new);
        let header_values = HeaderValues::new(&config);
        let tokens = TokenStore::with_seeds(seeds);
        App {
            limiter,
            fleet_on: std::sync::atomic::AtomicBool::new(fleet.is_some()),
            fleet: std::sync::RwLock::new(fleet),
            page_tokens: PageTokens::new(),
            page_generation: Default::default(),
            rates: WINDOWS.iter().map(|_| RateWindows::new(ops)).collect(),
            log: RequestLog::with_operations(
                model
                    .specs
                    .iter()
                    .flat_map(|s| &s.ops)
                    .map(|op| op.id.clone())
                    .collect(),
            ),
            faults: FaultQueue::default(),
            panics: Default::default(),
            tokens,
            model,
            config,
            known_ids,
            known_clients,
            request_ids: RequestIds::new(),
            header_values,
        }
    }

    /// Queues a fault after checking that the operation it names is served.
    pub fn queue_fault(&self, fault: Fault) -> Result<(), InvalidFault> {
        if let Some(name) = &fault.operation {
            let op = self
                .model
                .specs
                .iter()
                .flat_map(|s| &s.ops)
                .find(|op| &op.id == name)
                .ok_or_else(|| InvalidFault(format!("no operation is named `{name}`")))?;
            fault_applies(op, &fault.kind)?;
        }
        self.faults.push(fault)
    }

    /// Replaces the fleet (`None`: fleet mode off); page tokens issued before expire.
    pub fn set_fleet(&self, config: Option<FleetConfig>) -> Result<(), String> {
        let fleet = config.map(Fleet::new).transpose()?.map(Arc::new);
        let mut slot = self
            .fleet
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.fleet_on.store(fleet.is_some(), Ordering::Release);
        *slot = fleet;
        drop(slot);
        self.expire_page_tokens();
        Ok(())
    }

    /// The fleet being served, if any.
    pub fn fleet(&self) -> Option<Arc<Fleet>> {
        if !self.fleet_on.load(Ordering::Acquire) {
            return None;
        }
        self.fleet
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Expires every page token issued so far.
    pub fn expire_page_tokens(&self) {
        self.page_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Answers one request. Most requests are answered here, while hyper hands the request
    /// over, and the request is dropped before this returns: hyper can then reuse its read
    /// buffer for the next request instead of allocating a new one (the request's URI and
    /// headers share that buffer). A request with a body to read, a delay fault or a control
    /// request continues in a future. A panic of the handler becomes a 500 and a count in
    /// [`panics`](Self::panics) instead of a silently closed connection; `Err` closes the
    /// connection without an answer.
    pub fn respond(self: &Arc<Self>, request: Request<Incoming>) -> Answer {
        let (parts, body) = request.into_parts();
        let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.start(&parts, body.is_end_stream())
        }));
        match started {
            Ok(Started::Done(result)) => Box::pin(std::future::ready(result.map(into_response))),
            Ok(Started::Wait(waiting)) => {
                // Cheap copies (reference-counted) for the log if the rest panics.
                let (method, uri) = (parts.method.clone(), parts.uri.clone());
                let app = self.clone();
                Box::pin(async move {
                    match CatchPanic(std::pin::pin!(app.finish(waiting, &parts, body))).await {
                        Ok(result) => result,
                        Err(()) => Ok(app.panicked(&method, &uri)),
                    }
                })
            }
            Err(_) => Box::pin(std::future::ready(Ok(
                self.panicked(&parts.method, &parts.uri)
            ))),
        }
    }

    /// Counts and logs a request whose handler panicked; its 500.
    fn panicked(&self, method: &Method, uri: &Uri) -> Response<ResponseBody> {
        self.panics
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        tracing::error!("the request handler panicked on {method} {path}; answering 500");
        self.log.record_request(None, method, path, 500, unix_ms());
        into_response(json_reply(
            500,
            &json!({ "error": "sandbox_panic", "message": "the sandbox failed on this request; please report it" }),
        ))
    }

    /// How many requests made the handler panic since start.
    pub fn panics(&self) -> u64 {
        self.panics.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Everything that can be done without waiting: the whole answer, logged, or what is
    /// left to do after reading a body, sleeping for a delay fault, or for a control request.
    fn start(&self, parts: &Parts, no_body: bool) -> Started {
        let (method, path) = (&parts.method, parts.uri.path());
        let (status, op_index, result) = match self.route(method, path) {
            Routed::Control => return Started::Wait(Waiting::Control),
            Routed::Missing(spec, problem, allow) => {
                let mut reply = self.problem(spec, problem, None, &[], path);
                if let Some(allow) = allow
                    && let Ok(value) = HeaderValue::from_str(&allow)
                {
                    reply.headers.insert(header::ALLOW, value);
                }
                self.vendor_headers(spec, None, &parts.headers, &mut reply);
                (reply.status, None, Ok(reply))
            }
            Routed::Unknown => {
                let mounts: Vec<&str> = self.model.specs.iter().map(|s| s.mount.as_str()).collect();
                let body = json!({ "error": "not_found", "message": "no API is served here", "mounts": mounts });
                (404, None, Ok(json_reply(404, &body)))
            }
            Routed::Op(spec, op, params) => {
                // Limits come first, as at the vendor's gateway: a refused request is not
                // looked at further.
                let admission = self.limiter.admit(op.index);
                let mut result = match &admission {
                    Some(Admission::Refused { .. }) => {
                        let mut reply = self.fault_reply(spec, op, 429, path);
                        self.vendor_headers(spec, Some(op), &parts.headers, &mut reply);
                        Ok(reply)
                    }
                    _ => match self.begin(spec, op, &parts.headers, path) {
                        Begun::Done(result) => result,
                        Begun::Proceed(plan) if plan.delay.is_none() && no_body => {
                            Ok(self.finish_op(spec, op, parts, params, Ok(Bytes::new()), plan))
                        }
                        Begun::Proceed(plan) => {
                            return Started::Wait(Waiting::Op {
                                index: op.index,
                                admission,
                                plan,
                            });
                        }
                    },
                };
                if let (Some(admission), Ok(reply)) = (&admission, &mut result) {
                    rate_limit_headers(admission, reply);
                }
                let status = result.as_ref().map_or(0, |r| r.status);
                (status, Some(op.index), result)
            }
        };
        self.log_request(parts, op_index, status);
        Started::Done(result)
    }

    /// The rest of [`start`](Self::start) for a request that has to wait.
    async fn finish(
        &self,
        waiting: Waiting,
        parts: &Parts,
        body: Incoming,
    ) -> Result<Response<ResponseBody>, Dropped> {
        let path = parts.uri.path();
        let (status, op_index, result) = match waiting {
            Waiting::Control => {
                let reply = self.control(parts, body).await;
                (reply.status, None, Ok(reply))
            }
            Waiting::Op {
                index,
                admission,
                plan,
            } => {
                // The model does not change, so the operation routed to is still there.
                let found = self.model.specs.iter().find_map(|spec| {
                    let op = spec.ops.iter().find(|op| op.index == index)?;
                    Some((spec, op))
                });
                let Some((spec, op)) = found else {
                    let body = json!({ "error": "sandbox_bug", "message": "the operation routed to is gone" });
                    let reply = json_reply(500, &body);
                    self.log_request(parts, None, reply.status);
                    return Ok(into_response(reply));
                };
                if let Some(millis) = plan.delay {
                    tokio::time::sleep(Duration::from_millis(millis)).await;
                }
                let params = PathParams {
                    template: &op.segments,
                    rest: path.get(spec.mount.len()..).unwrap_or(""),
                };
                let body = self.read_body(spec, op, &parts.headers, body).await;
                let mut reply = self.finish_op(spec, op, parts, params, body, plan);
                if let Some(admission) = &admission {
                    rate_limit_headers(admission, &mut reply);
                }
                (reply.status, Some(op.index), Ok(reply))
            }
        };
        self.log_request(parts, op_index, status);
        result.map(into_response)
    }

    /// Records a request in the log.
    fn log_request(&self, parts: &Parts, op_index: Option<usize>, status: u16) {
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        self.log
            .record_request(op_index, &parts.method, path_and_query, status, unix_ms());
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[tokio::test]
    async fn a_panic_in_a_poll_becomes_an_error() {
        let panicking = std::pin::pin!(async {
            tokio::task::yield_now().await;
            if std::hint::black_box(true) {
                panic!("boom");
            }
            1
        });
        assert_eq!(CatchPanic(panicking).await, Err(()));
        assert_eq!(CatchPanic(std::pin::pin!(async { 7 })).await, Ok(7));
    }
}
