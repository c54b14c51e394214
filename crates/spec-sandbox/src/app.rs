//! Answering one request: route, faults, credentials, validation, then the documented
//! example (or a token for token operations), with the vendor's headers.

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

/// What the service answers with: a response made while hyper handed the request over, or
/// a future for a request that has to wait (a body to read, a delay fault, a control
/// request).
pub enum Answer {
    /// Ready (`None` once taken).
    Now(Option<Result<Response<ResponseBody>, Dropped>>),
    /// Finishes the request after waiting.
    Later(Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Dropped>> + Send>>),
}

impl Future for Answer {
    type Output = Result<Response<ResponseBody>, Dropped>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            // Polled again after it was ready (hyper does not): close the connection.
            Answer::Now(result) => Poll::Ready(result.take().unwrap_or(Err(Dropped))),
            Answer::Later(future) => future.as_mut().poll(cx),
        }
    }
}

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

/// The values of one rate-limit header: the limit, and the value for every remaining count
/// up to a bound (beyond it, and for larger limits, they are made per response).
struct LimitValues {
    limit: HeaderValue,
    max: u64,
    remaining: Vec<HeaderValue>,
    format: Box<dyn Fn(u64) -> HeaderValue + Send + Sync>,
}

impl std::fmt::Debug for LimitValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LimitValues")
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl LimitValues {
    /// The most values made in advance per limit.
    const TABLE: u64 = 1024;

    /// `format` turns a remaining count into the header's value.
    fn new(max: u64, format: impl Fn(u64) -> HeaderValue + Send + Sync + 'static) -> LimitValues {
        LimitValues {
            limit: HeaderValue::from(max),
            max,
            remaining: (0..=max.min(Self::TABLE)).map(&format).collect(),
            format: Box::new(format),
        }
    }

    /// The value after `used` requests in the window.
    fn remaining(&self, used: u64) -> HeaderValue {
        let left = self.max.saturating_sub(used);
        usize::try_from(left)
            .ok()
            .and_then(|i| self.remaining.get(i))
            .cloned()
            .unwrap_or_else(|| (self.format)(left))
    }
}

/// Zoom's Heavy, Medium and Light limits (`X-RateLimit-Limit` and `-Remaining`); Huawei's
/// per-API limit per minute and all-environment limit per second (`X-APIG-RateLimit-Api`,
/// `-Api-Allenv`: `remain:N,limit:N,time:1 minute`).
#[derive(Debug)]
struct HeaderValues {
    zoom: [LimitValues; 3],
    huawei: [LimitValues; 2],
}

impl HeaderValues {
    fn new(config: &SandboxConfig) -> HeaderValues {
        let huawei = |limit: u64, label: &'static str| {
            LimitValues::new(limit, move |left| {
                let text = format!("remain:{left},limit:{limit},time:{label}");
                HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
            })
        };
        HeaderValues {
            zoom: config
                .zoom_limits
                .map(|limit| LimitValues::new(limit, HeaderValue::from)),
            huawei: [
                huawei(config.huawei_api_limit, "1 minute"),
                huawei(config.huawei_allenv_limit, "1 second"),
            ],
        }
    }
}

/// Why credentials were refused, from least to most specific: the most specific reason of
/// all security alternatives is reported.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// Missing, malformed or unknown.
    Missing,
    /// Present but refused, with the reason to report.
    Because(String),
    /// Well-formed client credentials that are not the sandbox's (OAuth `invalid_client`).
    WrongClient,
}

impl Refusal {
    fn rank(&self) -> u8 {
        match self {
            Refusal::Missing => 0,
            Refusal::Because(_) => 1,
            Refusal::WrongClient => 2,
        }
    }
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
            Ok(Started::Done(result)) => Answer::Now(Some(result.map(into_response))),
            Ok(Started::Wait(waiting)) => {
                // Cheap copies (reference-counted) for the log if the rest panics.
                let (method, uri) = (parts.method.clone(), parts.uri.clone());
                let app = self.clone();
                Answer::Later(Box::pin(async move {
                    match CatchPanic(std::pin::pin!(app.finish(waiting, &parts, body))).await {
                        Ok(result) => result,
                        Err(()) => Ok(app.panicked(&method, &uri)),
                    }
                }))
            }
            Err(_) => Answer::Now(Some(Ok(self.panicked(&parts.method, &parts.uri)))),
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

    fn route<'a, 'p>(&'a self, method: &Method, path: &'p str) -> Routed<'a, 'p> {
        if path == "/__sandbox" || path.starts_with("/__sandbox/") {
            return Routed::Control;
        }
        let mut vendor_spec = None;
        let mut allowed: Vec<&Method> = Vec::new();
        let mut best: Option<RouteMatch<'a, 'p>> = None;
        for spec in &self.model.specs {
            if !under(path, spec.prefix) {
                continue;
            }
            if !under(path, &spec.mount) {
                vendor_spec.get_or_insert(spec);
                continue;
            }
            // 404 and 405 answer in the format of the spec whose base path is the longest
            // prefix of the request path (Zoom OAuth under `/zoom`, not Zoom's REST API).
            if vendor_spec.is_none_or(|v: &SpecModel| {
                !under(path, &v.mount) || v.mount.len() < spec.mount.len()
            }) {
                vendor_spec = Some(spec);
            }
            let rest = &path[spec.mount.len()..];
            // Split once for all operations; on the stack unless the path is very long.
            let mut buffer = [""; MAX_SEGMENTS];
            let mut count = 0;
            let long: Vec<&str>;
            let segments: &[&str] = if path_segments(rest).any(|segment| {
                if count == MAX_SEGMENTS {
                    return true;
                }
                buffer[count] = segment;
                count += 1;
                false
            }) {
                long = path_segments(rest).collect();
                &long
            } else {
                &buffer[..count]
            };
            for op in &spec.ops {
                let Some(literals) = match_segments(&op.segments, segments) else {
                    continue;
                };
                if op.method != method {
                    allowed.push(&op.method);
                    continue;
                }
                if best.as_ref().is_none_or(|b| literals > b.literals) {
                    best = Some(RouteMatch {
                        spec,
                        op,
                        rest,
                        literals,
                    });
                }
            }
        }
        match (best, vendor_spec) {
            (Some(found), _) => Routed::Op(
                found.spec,
                found.op,
                PathParams {
                    template: &found.op.segments,
                    rest: found.rest,
                },
            ),
            (None, Some(spec)) if !allowed.is_empty() => {
                let allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
                Routed::Missing(spec, Problem::MethodNotAllowed, Some(allow.join(", ")))
            }
            (None, Some(spec)) => Routed::Missing(spec, Problem::NotFound, None),
            (None, None) => Routed::Unknown,
        }
    }

    /// The faults for this request of an operation: the one named in the request header
    /// (any further uses it asks for, `times=N`, are queued for the following requests of the
    /// operation), else the first queued one. A fault that answers by itself is
    /// [`Begun::Done`].
    fn begin(&self, spec: &SpecModel, op: &Op, headers: &HeaderMap, path: &str) -> Begun {
        let from_header = match headers.get(&FAULT_HEADER_NAME) {
            None => None,
            Some(value) => {
                let parsed = value
                    .to_str()
                    .map_err(|e| InvalidFault(e.to_string()))
                    .and_then(|v| Fault::from_header(v, &op.id))
                    .and_then(|fault| fault_applies(op, &fault.kind).map(|()| fault))
                    .and_then(|fault| {
                        if fault.times > 1 {
                            self.faults.push_first(Fault {
                                times: fault.times - 1,
                                ..fault.clone()
                            })?;
                        }
                        Ok(fault.kind)
                    });
                match parsed {
                    Ok(kind) => Some(kind),
                    Err(InvalidFault(message)) => {
                        let fields = [FieldError {
                            field: FAULT_HEADER.into(),
                            message,
                        }];
                        let mut reply =
                            self.problem(spec, Problem::Invalid, Some(op), &fields, path);
                        self.vendor_headers(spec, Some(op), headers, &mut reply);
                        return Begun::Done(Ok(reply));
                    }
                }
            }
        };
        let mut plan = Plan::default();
        match from_header.or_else(|| self.faults.take(&op.id)) {
            Some(FaultKind::Drop) => return Begun::Done(Err(Dropped)),
            Some(FaultKind::Delay { millis }) => plan.delay = Some(millis),
            Some(FaultKind::Truncate) => plan.truncate = true,
            Some(FaultKind::NotJson) => plan.not_json = true,
            Some(FaultKind::Body { body }) => plan.body = Some(Bytes::from(body.to_string())),
            Some(FaultKind::Status {
                status,
                retry_after,
            }) => {
                let mut reply = self.fault_reply(spec, op, status, path);
                if matches!(status, 429 | 503) {
                    let seconds = retry_after.unwrap_or(1).to_string();
                    if let Ok(value) = HeaderValue::from_str(&seconds) {
                        reply.headers.insert(header::RETRY_AFTER, value);
                    }
                    if spec.vendor.rate_limit_headers == RateLimitHeaders::Categories
                        && status == 429
                    {
                        reply
                            .headers
                            .insert(X_RATELIMIT_TYPE, HeaderValue::from_static("QPS"));
                    }
                }
                self.vendor_headers(spec, Some(op), headers, &mut reply);
                return Begun::Done(Ok(reply));
            }
            None => {}
        }
        Begun::Proceed(plan)
    }

    /// The answer of an operation once its body is read (or failed to be), with the faults of
    /// the plan and the vendor's headers.
    fn finish_op(
        &self,
        spec: &SpecModel,
        op: &Op,
        parts: &Parts,
        path_params: PathParams<'_, '_>,
        body: Result<Bytes, Box<Reply>>,
        plan: Plan,
    ) -> Reply {
        let path = parts.uri.path();
        let mut reply = match body {
            Err(reply) => *reply,
            Ok(body) => self.answer(
                spec,
                op,
                &parts.headers,
                parts.uri.query(),
                path_params,
                body,
                path,
            ),
        };
        if let Some(body) = plan.body
            && (200..300).contains(&reply.status)
            && matches!(reply.body, ReplyBody::Json(_))
        {
            reply.body = ReplyBody::Json(body);
        }
        if plan.truncate
            && let ReplyBody::Json(bytes) = reply.body
        {
            reply.body = ReplyBody::Truncated(bytes);
        }
        if plan.not_json {
            reply.body = ReplyBody::Html(Bytes::from_static(
                b"<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>",
            ));
        }
        self.vendor_headers(spec, Some(op), &parts.headers, &mut reply);
        reply
    }

    /// Reads the body within the size limit; the reply on failure.
    async fn read_body(
        &self,
        spec: &SpecModel,
        op: &Op,
        headers: &HeaderMap,
        body: Incoming,
    ) -> Result<Bytes, Box<Reply>> {
        let limit = self.config.max_body_bytes;
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let too_large = |app: &App| {
            let message = format!("is larger than {limit} bytes");
            let fields = [FieldError {
                field: "body".into(),
                message,
            }];
            app.problem(spec, Problem::TooLarge, Some(op), &fields, &op.path)
        };
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(Box::new(too_large(self)));
        }
        if body.is_end_stream() {
            // No body (a GET): nothing to wait for, no timer to set.
            return Ok(Bytes::new());
        }
        let collected = match tokio::time::timeout(
            self.config.read_timeout,
            Limited::new(body, limit).collect(),
        )
        .await
        {
            Ok(collected) => collected,
            Err(_) => {
                let fields = [FieldError {
                    field: "body".into(),
                    message: format!(
                        "did not arrive within {} ms",
                        self.config.read_timeout.as_millis()
                    ),
                }];
                return Err(Box::new(self.problem(
                    spec,
                    Problem::Timeout,
                    Some(op),
                    &fields,
                    &op.path,
                )));
            }
        };
        match collected {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(err)
                if err
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                Err(Box::new(too_large(self)))
            }
            Err(err) => {
                let fields = [FieldError {
                    field: "body".into(),
                    message: format!("could not be read: {err}"),
                }];
                Err(Box::new(self.problem(
                    spec,
                    Problem::Invalid,
                    Some(op),
                    &fields,
                    &op.path,
                )))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        spec: &SpecModel,
        op: &Op,
        headers: &HeaderMap,
        query: Option<&str>,
        path_params: PathParams<'_, '_>,
        raw_body: Bytes,
        path: &str,
    ) -> Reply {
        // Credentials first, as the vendors do (a missing token is a 401, not a 400).
        let body_json = parse_body(op, headers, &raw_body);
        if let Err(reply) = self.authorize(spec, op, headers, body_json.as_ref().ok(), path) {
            return *reply;
        }
        let mut fields = self.check_params(spec, op, headers, query, path_params);
        let body = match (&op.body, body_json) {
            (Some(_), Ok(body)) => {
                fields.extend(self.check_body(spec, op, body.as_ref()));
                body
            }
            (Some(_), Err(error)) => {
                fields.push(error);
                None
            }
            (None, _) => None,
        };
        if !fields.is_empty() {
            return self.problem(spec, Problem::Invalid, Some(op), &fields, path);
        }
        let prefer = Prefer::parse(headers);
        if prefer.is_empty()
            && let Some(role) = op.role
        {
            return self.token_role(spec, op, role, headers, body.as_ref(), path);
        }
        if prefer.is_empty()
            && let Some(role) = &op.fleet
            && let Some(fleet) = self.fleet()
            && let Some(reply) = self.fleet_reply(op, role, &fleet, query, path_params)
        {
            return reply;
        }
        self.example_reply(spec, op, &prefer, path)
    }

    /// Fleet mode: a page of the generated accounts, or one account's report. `None` keeps
    /// the example (the path parameter's own example value, or no success example).
    fn fleet_reply(
        &self,
        op: &Op,
        role: &FleetRole,
        fleet: &Fleet,
        query: Option<&str>,
        path_params: PathParams<'_, '_>,
    ) -> Option<Reply> {
        let success = op.success()?;
        let template = &success.examples.first()?.value;
        let value = match role {
            FleetRole::List(list) => {
                let pairs = query.map(form_pairs).unwrap_or_default();
                let get = |name: &str| {
                    pairs
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.as_str())
                };
                // Validation has checked the bounds; clamp anyway rather than trust it.
                let size = get(&list.page_size)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(list.default_page_size)
                    .clamp(1, list.max_page_size);
                let generation = self
                    .page_generation
                    .load(std::sync::atomic::Ordering::Relaxed);
                let now = unix_ms();
                let offset = match get(&list.page_token).filter(|t| !t.is_empty()) {
                    Some(token) => match self.page_tokens.check(
                        token,
                        now,
                        generation,
                        fleet.config.page_token_lifetime,
                    ) {
                        Ok(offset) if offset < fleet.ids.len() => offset,
                        Ok(_) | Err(PageTokenProblem::Unknown | PageTokenProblem::Expired) => {
                            let (status, name) = &list.invalid_token;
                            return Some(named_example_reply(op, *status, name));
                        }
                    },
                    None => list
                        .page_number
                        .as_deref()
                        .and_then(get)
                        .and_then(|v| v.parse::<u64>().ok())
                        .map_or(0, |n| {
                            usize::try_from(n.saturating_sub(1).saturating_mul(size))
                                .unwrap_or(usize::MAX)
                        }),
                };
                fleet.page(list, template, offset, size, |next| {
                    self.page_tokens.issue(next, now, generation)
                })
            }
            FleetRole::PerAccount(per) => {
                let id = path_params.get(&per.parameter)?;
                let id = &*id;
                if per.parameter_example.as_deref() == Some(id) {
                    return None;
                }
                if fleet.served(id).is_none() {
                    let (status, name) = &per.not_found;
                    return Some(named_example_reply(op, *status, name));
                }
                fleet.report(per, template, id)
            }
        };
        let mut reply = json_reply(success.status, &value);
        for (name, header) in &success.headers {
            reply.headers.insert(name.clone(), header.clone());
        }
        Some(reply)
    }

    /// The documented example chosen by `Prefer` (default: the first success example).
    fn example_reply(&self, spec: &SpecModel, op: &Op, prefer: &Prefer, path: &str) -> Reply {
        let response = match (prefer.code, prefer.example.as_deref()) {
            (Some(code), _) => op.response(code),
            (None, Some(name)) => op
                .responses
                .iter()
                .find(|r| r.examples.iter().any(|e| e.name == name)),
            (None, None) => op.success(),
        };
        let Some(response) = response else {
            let documented: Vec<String> =
                op.responses.iter().map(|r| r.status.to_string()).collect();
            let wanted = prefer.code.map_or_else(
                || format!("example={}", prefer.example.as_deref().unwrap_or("")),
                |c| format!("code={c}"),
            );
            let message = format!(
                "{wanted} is not documented for {} (responses: {})",
                op.id,
                documented.join(", ")
            );
            return self.bad_prefer(spec, op, message, path);
        };
        let example = match prefer.example.as_deref() {
            Some(name) => match response.examples.iter().find(|e| e.name == name) {
                Some(example) => Some(example),
                None => {
                    let names: Vec<&str> =
                        response.examples.iter().map(|e| e.name.as_str()).collect();
                    let message = format!(
                        "{} {} has no example `{name}` (examples: {})",
                        op.id,
                        response.status,
                        names.join(", ")
                    );
                    return self.bad_prefer(spec, op, message, path);
                }
            },
            None => response.examples.first(),
        };
        let mut reply = Reply {
            status: response.status,
            headers: HeaderMap::new(),
            body: match example {
                Some(example) => ReplyBody::Json(example.bytes.clone()),
                None => ReplyBody::Empty,
            },
        };
        for (name, value) in &response.headers {
            reply.headers.insert(name.clone(), value.clone());
        }
        reply
    }

    /// A `Prefer` header asking for something the operation does not document.
    fn bad_prefer(&self, spec: &SpecModel, op: &Op, message: String, path: &str) -> Reply {
        let fields = [FieldError {
            field: "Prefer".into(),
            message,
        }];
        self.problem(spec, Problem::Invalid, Some(op), &fields, path)
    }

    /// The body of a documented error response for a status, or the vendor's generic one.
    fn fault_reply(&self, spec: &SpecModel, op: &Op, status: u16, path: &str) -> Reply {
        if let Some(example) = op.response(status).and_then(|r| r.examples.first()) {
            return Reply {
                status,
                headers: HeaderMap::new(),
                body: ReplyBody::Json(example.bytes.clone()),
            };
        }
        let problem = match status {
            429 => Problem::TooManyRequests,
            503 => Problem::Unavailable,
            400..=499 => Problem::Invalid,
            _ => Problem::ServerError,
        };
        let mut reply = self.problem(spec, problem, None, &[], path);
        reply.status = status;
        reply
    }

    /// A problem the sandbox reports, in the vendor's format. For a 401 the operation's
    /// documented example is used when there is one.
    fn problem(
        &self,
        spec: &SpecModel,
        problem: Problem,
        op: Option<&Op>,
        fields: &[FieldError],
        path: &str,
    ) -> Reply {
        let status = match problem {
            Problem::NotFound => 404,
            Problem::MethodNotAllowed => 405,
            Problem::Invalid => 400,
            Problem::Unauthorized => 401,
            Problem::WrongClient => spec.vendor.wrong_client_status,
            Problem::TooManyRequests => 429,
            Problem::ServerError => 500,
            Problem::Unavailable => 503,
            Problem::TooLarge => 413,
            Problem::Timeout => 408,
        };
        let documented = (problem == Problem::Unauthorized)
            .then(|| {
                op.and_then(|op| op.response(401))
                    .and_then(|r| r.examples.first())
            })
            .flatten();
        let body = match (documented, fields.first()) {
            (Some(example), None) => example.value.clone(),
            (Some(example), Some(detail)) => {
                let mut value = example.value.clone();
                value[spec.vendor.errors.message.as_str()] = Value::String(detail.message.clone());
                value
            }
            (None, _) => {
                spec.vendor
                    .error_body(problem, spec.vendor.default_message(problem), fields, path)
            }
        };
        json_reply(status, &body)
    }

    /// The credentials of the operation's security requirements.
    fn authorize(
        &self,
        spec: &SpecModel,
        op: &Op,
        headers: &HeaderMap,
        body: Option<&Option<Value>>,
        path: &str,
    ) -> Result<(), Box<Reply>> {
        if op.security.is_empty() {
            return Ok(());
        }
        let mut refusal = Refusal::Missing;
        for alternative in &op.security {
            match alternative
                .iter()
                .try_for_each(|check| self.check(spec, op, check, headers, body))
            {
                Ok(()) => return Ok(()),
                // Keep the most specific kind of refusal; among equals, the first alternative's.
                Err(why) if why.rank() > refusal.rank() => refusal = why,
                Err(_) => {}
            }
        }
        let (problem, fields) = match refusal {
            Refusal::Missing => (Problem::Unauthorized, Vec::new()),
            Refusal::Because(message) => (
                Problem::Unauthorized,
                vec![FieldError {
                    field: "credentials".into(),
                    message,
                }],
            ),
            Refusal::WrongClient => (Problem::WrongClient, Vec::new()),
        };
        Err(Box::new(self.problem(
            spec,
            problem,
            Some(op),
            &fields,
            path,
        )))
    }

    /// One credential check.
    fn check(
        &self,
        spec: &SpecModel,
        op: &Op,
        check: &Check,
        headers: &HeaderMap,
        body: Option<&Option<Value>>,
    ) -> Result<(), Refusal> {
        fn text<K: header::AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        }
        let header = |name: &str| text(headers, name);
        let kind = if op.role == Some(Role::TokenRefresh) {
            TokenKind::Refresh
        } else {
            TokenKind::Access
        };
        let token = |value: Option<&str>| -> Result<(), Refusal> {
            let value = value.filter(|v| !v.is_empty()).ok_or(Refusal::Missing)?;
            match self.tokens.check(value, spec.vendor.family, kind) {
                Ok(()) => Ok(()),
                Err(TokenProblem::Expired) => {
                    Err(Refusal::Because("The token has expired.".into()))
                }
                Err(TokenProblem::Unknown) => Err(Refusal::Missing),
            }
        };
        match check {
            Check::Bearer => {
                token(text(headers, header::AUTHORIZATION).and_then(|v| strip_scheme(v, "bearer")))
            }
            Check::TokenHeader(name) => token(header(name)),
            Check::Basic => {
                let encoded = text(headers, header::AUTHORIZATION)
                    .and_then(|v| strip_scheme(v, "basic"))
                    .ok_or(Refusal::Missing)?;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or(Refusal::Missing)?;
                // Only a well-formed `id:secret` pair can be the wrong client; anything else is
                // malformed, like missing credentials.
                let (id, secret) = decoded.split_once(':').ok_or(Refusal::Missing)?;
                if id.is_empty() || secret.is_empty() {
                    Err(Refusal::Missing)
                } else if id == self.config.zoom_client_id
                    && secret == self.config.zoom_client_secret
                {
                    Ok(())
                } else {
                    Err(Refusal::WrongClient)
                }
            }
            Check::AppIdSignature(name) => {
                let value = header(name).ok_or(Refusal::Missing)?;
                let body = body.and_then(Option::as_ref).ok_or(Refusal::Missing)?;
                self.verify_app_id_signature(value, body)
            }
        }
    }

    /// Checks Huawei's `HMAC-SHA256 signature=<hex>,access=<base64 appId>` against the body.
    fn verify_app_id_signature(&self, header: &str, body: &Value) -> Result<(), Refusal> {
        let because = |message: &str| Refusal::Because(message.to_owned());
        let rest = header.strip_prefix("HMAC-SHA256 ").ok_or(because(
            "The Authorization header is not an HMAC-SHA256 signature.",
        ))?;
        let mut signature = None;
        let mut access = None;
        for part in rest.split(',') {
            match part.trim().split_once('=') {
                Some(("signature", v)) => signature = Some(v.trim()),
                Some(("access", v)) => access = Some(v.trim()),
                _ => {}
            }
        }
        let signature = signature.ok_or(because("The signature is missing."))?;
        let access = access.ok_or(because(
            "`access=<Base64 of the App ID>` is missing after the signature.",
        ))?;
        let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or("");
        let app_id = field("appId");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(access)
            .unwrap_or_default();
        if decoded != app_id.as_bytes() {
            return Err(because("`access` does not name the App ID of the body."));
        }
        if !self.known_ids.contains(app_id) {
            return Err(because("Unknown App ID."));
        }
        let expire = body.get("expireTime").and_then(Value::as_i64).unwrap_or(-1);
        let data = match body.get("corpId").and_then(Value::as_str) {
            Some(corp) => format!(
                "{app_id}:{corp}:{}:{expire}:{}",
                field("userId"),
                field("nonce")
            ),
            None => format!("{app_id}:{}:{expire}:{}", field("userId"), field("nonce")),
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(self.config.huawei_app_key.as_bytes())
            .map_err(|_| Refusal::Missing)?;
        mac.update(data.as_bytes());
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        // Hex case is not significant: Huawei's Python SDK sends upper case, the others lower.
        if !expected.eq_ignore_ascii_case(signature) {
            return Err(because(
                "App ID authentication failed: the signature does not match.",
            ));
        }
        let now = (unix_ms() / 1000) as i64;
        if expire != 0 && expire <= now {
            return Err(because(
                "App ID authentication failed: the signature has expired.",
            ));
        }
        Ok(())
    }

    fn check_params(
        &self,
        spec: &SpecModel,
        op: &Op,
        headers: &HeaderMap,
        query: Option<&str>,
        path_params: PathParams<'_, '_>,
    ) -> Vec<FieldError> {
        let pairs = query.map(form_pairs).unwrap_or_default();
        let mut fields = Vec::new();
        for param in &op.params {
            let raw: Option<Cow<'_, str>> = match param.location {
                Location::Path => path_params.get(&param.name),
                Location::Query => pairs
                    .iter()
                    .find(|(n, _)| *n == param.name)
                    .map(|(_, v)| Cow::Borrowed(v.as_str())),
                Location::Header => headers
                    .get(param.name.as_str())
                    .map(|v| String::from_utf8_lossy(v.as_bytes())),
            };
            let Some(raw) = raw else {
                if param.required {
                    fields.push(FieldError {
                        field: param.name.clone(),
                        message: "required parameter is missing".into(),
                    });
                }
                continue;
            };
            // A plain string within its bounds cannot fail validation.
            if param.plain_string.is_some_and(|bounds| bounds.admit(&raw)) {
                continue;
            }
            let value = coerce(param.kind, &raw);
            for violation in spec.validator.validate(
                &param.schema.1,
                &param.schema.0,
                &value,
                Direction::Request,
            ) {
                fields.push(FieldError {
                    field: param.name.clone(),
                    message: violation.message,
                });
            }
        }
        fields
    }

    fn check_body(&self, spec: &SpecModel, op: &Op, body: Option<&Value>) -> Vec<FieldError> {
        let Some(declared) = &op.body else {
            return Vec::new();
        };
        match body {
            None if declared.required => vec![FieldError {
                field: "body".into(),
                message: "a request body is required".into(),
            }],
            None => Vec::new(),
            Some(value) => spec
                .validator
                .validate(
                    &declared.schema.1,
                    &declared.schema.0,
                    value,
                    Direction::Request,
                )
                .into_iter()
                .map(|v| FieldError {
                    field: v.field(),
                    message: v.message,
                })
                .collect(),
        }
    }

    /// Token operations without `Prefer`: issue, validate or refresh for real.
    fn token_role(
        &self,
        spec: &SpecModel,
        op: &Op,
        role: Role,
        headers: &HeaderMap,
        body: Option<&Value>,
        path: &str,
    ) -> Reply {
        let fields = &spec.vendor.tokens;
        let family = spec.vendor.family;
        let Some(template) = op.success().and_then(|r| r.examples.first()) else {
            return self.example_reply(spec, op, &Prefer::default(), path);
        };
        let status = op.success().map_or(200, |r| r.status);
        let lifetime = self.config.token_lifetime;
        let issue = |kind: TokenKind, lifetime: Duration| {
            let value = random_token();
            self.tokens.insert(&value, family, kind, Some(lifetime));
            value
        };
        let text = |field: Option<&str>| {
            field
                .and_then(|f| body.and_then(|b| b.get(f)))
                .and_then(Value::as_str)
        };
        // Client credentials in the body: only the examples' client is known.
        if !fields.client.is_empty()
            && let Some(body) = body
            && !self
                .known_clients
                .contains(&client_key(body, &fields.client))
        {
            return self.problem(spec, Problem::WrongClient, Some(op), &[], path);
        }
        let access = fields.access.as_str();
        let mut value = template.value.clone();
        match role {
            Role::TokenGrant => {
                if let (Some(subject), Some(account)) =
                    (&fields.grant_subject, text(fields.grant_subject.as_deref()))
                    && !self.known_ids.contains(account)
                {
                    // An account the client has no app for: the grant is refused (the
                    // spec's 400), not the client.
                    let detail = [FieldError {
                        field: subject.clone(),
                        message: "does not belong to this client".into(),
                    }];
                    return self.problem(spec, Problem::Invalid, Some(op), &detail, path);
                }
                value[access] = Value::String(issue(TokenKind::Access, lifetime));
                if let Some(refresh) = &fields.refresh {
                    value[refresh.as_str()] =
                        Value::String(issue(TokenKind::Refresh, lifetime * 30));
                }
            }
            Role::TokenValidation => {
                let presented = text(fields.request_token.as_deref()).unwrap_or("");
                if let Err(problem) = self.tokens.check(presented, family, TokenKind::Access) {
                    let detail: Vec<FieldError> = (problem == TokenProblem::Expired)
                        .then(|| FieldError {
                            field: fields.request_token.as_deref().unwrap_or("token").into(),
                            message: "The token has expired.".into(),
                        })
                        .into_iter()
                        .collect();
                    return self.problem(spec, Problem::Unauthorized, Some(op), &detail, path);
                }
                let renew = fields
                    .renew_flag
                    .as_deref()
                    .and_then(|f| body.and_then(|b| b.get(f)))
                    == Some(&Value::Bool(true));
                value[access] = Value::String(if renew {
                    issue(TokenKind::Access, lifetime)
                } else {
                    presented.to_owned()
                });
            }
            Role::TokenRefresh => {
                // The refresh token presented: a body field, or the header the operation's
                // security scheme names (checked before this point).
                let presented = match &fields.request_refresh {
                    Some(field) => {
                        let presented = text(Some(field)).unwrap_or("");
                        if let Err(problem) =
                            self.tokens.check(presented, family, TokenKind::Refresh)
                        {
                            let message = match problem {
                                TokenProblem::Expired => "has expired",
                                TokenProblem::Unknown => "is unknown or revoked",
                            };
                            let detail = [FieldError {
                                field: field.clone(),
                                message: message.into(),
                            }];
                            return self.problem(spec, Problem::Invalid, Some(op), &detail, path);
                        }
                        Some(presented.to_owned())
                    }
                    None => op.security.iter().flatten().find_map(|check| match check {
                        Check::TokenHeader(name) => headers
                            .get(name.as_str())
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                        _ => None,
                    }),
                };
                value[access] = Value::String(issue(TokenKind::Access, lifetime));
                if let (Some(refresh), Some(presented)) = (&fields.refresh, presented) {
                    // Rotation: a new refresh token, and the one presented stops working.
                    let next = if fields.rotate_refresh {
                        self.tokens.revoke(&presented);
                        issue(TokenKind::Refresh, lifetime * 30)
                    } else {
                        presented
                    };
                    value[refresh.as_str()] = Value::String(next);
                }
            }
        }
        let now_ms = unix_ms();
        if let Some(f) = &fields.lifetime_seconds {
            value[f.as_str()] = json!(lifetime.as_secs());
        }
        if let Some(f) = &fields.expires_unix {
            value[f.as_str()] = json!(now_ms / 1000 + lifetime.as_secs());
        }
        if let Some(f) = &fields.created_unix_ms {
            value[f.as_str()] = json!(now_ms);
        }
        json_reply(status, &value)
    }

    /// Request id and rate-limit headers, as the vendor sends them.
    fn vendor_headers(
        &self,
        spec: &SpecModel,
        op: Option<&Op>,
        request: &HeaderMap,
        reply: &mut Reply,
    ) {
        let name = &spec.vendor.request_id_header;
        // With `echo`, the client's own id, if it is a short visible-ASCII text.
        let id = (spec.vendor.echo_request_id)
            .then(|| request.get(name))
            .flatten()
            .filter(|v| v.to_str().is_ok_and(|v| !v.is_empty() && v.len() <= 128))
            .cloned()
            .unwrap_or_else(|| self.request_ids.next());
        reply.headers.insert(name.clone(), id);
        let Some(op) = op else { return };
        match spec.vendor.rate_limit_headers {
            RateLimitHeaders::Categories => {
                let (category, tier) = match op.rate_limit.as_deref() {
                    Some("HEAVY") => ("Heavy", 0),
                    Some("MEDIUM") => ("Medium", 1),
                    _ => ("Light", 2),
                };
                let used = self.rates[0].hit(op.index, WINDOWS[0]);
                let values = &self.header_values.zoom[tier];
                reply
                    .headers
                    .insert(X_RATELIMIT_CATEGORY, HeaderValue::from_static(category));
                reply
                    .headers
                    .insert(X_RATELIMIT_LIMIT, values.limit.clone());
                reply
                    .headers
                    .insert(X_RATELIMIT_REMAINING, values.remaining(used));
            }
            RateLimitHeaders::Gateway => {
                let [per_api, all_env] = &self.header_values.huawei;
                for (name, window, values) in [
                    (X_APIG_RATELIMIT_API, 1, per_api),
                    (X_APIG_RATELIMIT_API_ALLENV, 0, all_env),
                ] {
                    let used = self.rates[window].hit(op.index, WINDOWS[window]);
                    reply.headers.insert(name, values.remaining(used));
                }
            }
            RateLimitHeaders::None => {}
        }
    }

    /// `/__sandbox/...`: health, faults and the request log over HTTP.
    async fn control(&self, parts: &Parts, body: Incoming) -> Reply {
        let path = parts.uri.path().trim_end_matches('/');
        match (parts.method.clone(), path) {
            (Method::GET, "/__sandbox/health") => {
                let specs: Vec<Value> = self
                    .model
                    .specs
                    .iter()
                    .map(|s| json!({ "spec": s.file, "mount": s.mount, "operations": s.ops.len() }))
                    .collect();
                json_reply(200, &json!({ "status": "ok", "specs": specs }))
            }
            (Method::GET, "/__sandbox/requests") => {
                let counts: Map<String, Value> = self
                    .model
                    .specs
                    .iter()
                    .flat_map(|s| &s.ops)
                    .map(|op| (op.id.clone(), json!(self.log.count(op.index))))
                    .collect();
                json_reply(
                    200,
                    &json!({ "counts": counts, "requests": self.log.entries() }),
                )
            }
            (Method::DELETE, "/__sandbox/requests") => {
                self.log.clear();
                Reply {
                    status: 204,
                    headers: HeaderMap::new(),
                    body: ReplyBody::Empty,
                }
            }
            (Method::POST, "/__sandbox/faults") => {
                let body = tokio::time::timeout(
                    self.config.read_timeout,
                    Limited::new(body, 64 * 1024).collect(),
                )
                .await
                .map_err(|_| InvalidFault("the body did not arrive in time".into()));
                let queued = body
                    .and_then(|b| b.map_err(|e| InvalidFault(e.to_string())))
                    .and_then(|b| {
                        serde_json::from_slice::<Fault>(&b.to_bytes())
                            .map_err(|e| InvalidFault(e.to_string()))
                    })
                    .and_then(|fault| self.queue_fault(fault));
                match queued {
                    Ok(()) => Reply {
                        status: 204,
                        headers: HeaderMap::new(),
                        body: ReplyBody::Empty,
                    },
                    Err(InvalidFault(message)) => json_reply(
                        400,
                        &json!({ "error": "invalid_fault", "message": message }),
                    ),
                }
            }
            (Method::GET, "/__sandbox/rate-limits") => {
                json_reply(200, &rate_limits_json(self.limiter.get().as_ref()))
            }
            (Method::PUT, "/__sandbox/rate-limits") => {
                match self
                    .control_body(body)
                    .await
                    .and_then(|v| rate_limits_from_json(&v))
                {
                    Ok(limits) => {
                        self.limiter.set(Some(limits));
                        no_content()
                    }
                    Err(message) => json_reply(
                        400,
                        &json!({ "error": "invalid_rate_limits", "message": message }),
                    ),
                }
            }
            (Method::DELETE, "/__sandbox/rate-limits") => {
                self.limiter.set(None);
                no_content()
            }
            (Method::GET, "/__sandbox/fleet") => json_reply(
                200,
                &match self.fleet() {
                    None => json!({ "enabled": false }),
                    Some(fleet) => json!({
                        "enabled": true,
                        "accounts": fleet.config.accounts,
                        "seed": fleet.config.seed,
                        "missing": fleet.config.missing,
                        "page_token_lifetime_secs": fleet.config.page_token_lifetime.as_secs(),
                    }),
                },
            ),
            (Method::PUT, "/__sandbox/fleet") => {
                match self
                    .control_body(body)
                    .await
                    .and_then(|v| fleet_from_json(&v))
                    .and_then(|config| self.set_fleet(Some(config)))
                {
                    Ok(()) => no_content(),
                    Err(message) => json_reply(
                        400,
                        &json!({ "error": "invalid_fleet", "message": message }),
                    ),
                }
            }
            (Method::DELETE, "/__sandbox/fleet") => {
                let _ = self.set_fleet(None);
                no_content()
            }
            (Method::POST, "/__sandbox/fleet/expire-page-tokens") => {
                self.expire_page_tokens();
                no_content()
            }
            (Method::DELETE, "/__sandbox/faults") => {
                self.faults.clear();
                Reply {
                    status: 204,
                    headers: HeaderMap::new(),
                    body: ReplyBody::Empty,
                }
            }
            _ => json_reply(
                404,
                &json!({
                    "error": "not_found",
                    "message": CONTROL_ENDPOINTS
                }),
            ),
        }
    }
}

/// The control endpoints, for the binary's banner and the control 404.
pub const CONTROL_ENDPOINTS: &str = "control endpoints: GET /__sandbox/health, GET|DELETE /__sandbox/requests, POST|DELETE /__sandbox/faults, GET|PUT|DELETE /__sandbox/rate-limits, GET|PUT|DELETE /__sandbox/fleet, POST /__sandbox/fleet/expire-page-tokens";

impl App {
    /// A control request's JSON body (at most 64 KiB, within the read timeout).
    async fn control_body(&self, body: Incoming) -> Result<Value, String> {
        let collected = tokio::time::timeout(
            self.config.read_timeout,
            Limited::new(body, 64 * 1024).collect(),
        )
        .await
        .map_err(|_| "the body did not arrive in time".to_owned())?
        .map_err(|e| e.to_string())?;
        serde_json::from_slice(&collected.to_bytes()).map_err(|e| e.to_string())
    }
}

fn no_content() -> Reply {
    Reply {
        status: 204,
        headers: HeaderMap::new(),
        body: ReplyBody::Empty,
    }
}

/// The documented example `name` of the operation's `status` response (a vendor-less 500 if
/// the model let a wrong name through, which `model` prevents).
fn named_example_reply(op: &Op, status: u16, name: &str) -> Reply {
    match op
        .response(status)
        .and_then(|r| r.examples.iter().find(|e| e.name == name))
    {
        Some(example) => Reply {
            status,
            headers: HeaderMap::new(),
            body: ReplyBody::Json(example.bytes.clone()),
        },
        None => json_reply(
            500,
            &json!({ "error": "sandbox_spec", "message": format!("{} has no example {name}", op.id) }),
        ),
    }
}

/// Zoom's rate-limit headers for an admitted or refused request; a refusal adds the limit
/// type and `Retry-After` in seconds.
fn rate_limit_headers(admission: &Admission, reply: &mut Reply) {
    let (category, limit, remaining) = match admission {
        Admission::Allowed {
            category,
            limit,
            remaining,
        } => (category, *limit, *remaining),
        Admission::Refused {
            category,
            limit,
            retry_after,
        } => {
            reply
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            reply
                .headers
                .insert(X_RATELIMIT_TYPE, HeaderValue::from_static("QPS"));
            (category, *limit, 0)
        }
    };
    if let Ok(value) = HeaderValue::from_str(category) {
        reply.headers.insert(X_RATELIMIT_CATEGORY, value);
    }
    reply
        .headers
        .insert("x-ratelimit-limit", HeaderValue::from(limit));
    reply
        .headers
        .insert(X_RATELIMIT_REMAINING, HeaderValue::from(remaining));
}

/// `{"enabled": true, "limits": {"HEAVY": {"requests": 10, "window_secs": 1}}}`.
fn rate_limits_json(limits: Option<&RateLimits>) -> Value {
    match limits {
        None => json!({ "enabled": false }),
        Some(limits) => {
            let map: Map<String, Value> = limits
                .iter()
                .map(|(label, limit)| {
                    (
                        label.to_owned(),
                        json!({ "requests": limit.requests, "window_secs": limit.window.as_secs() }),
                    )
                })
                .collect();
            json!({ "enabled": true, "limits": map })
        }
    }
}

/// `{"tier": "pro"}`, `{"limits": {"HEAVY": 200}}` (per second), or both (the numbers
/// override the tier's).
fn rate_limits_from_json(body: &Value) -> Result<RateLimits, String> {
    let object = body
        .as_object()
        .ok_or("the body must be an object with `tier` and/or `limits`")?;
    if let Some(key) = object.keys().find(|k| *k != "tier" && *k != "limits") {
        return Err(format!("unknown field `{key}`; use `tier` and/or `limits`"));
    }
    let mut limits = match object.get("tier") {
        None => RateLimits::new(),
        Some(Value::String(tier)) => RateLimits::tier(tier.parse()?),
        Some(_) => return Err("`tier` must be free, pro or business-plus".into()),
    };
    match object.get("limits") {
        None => {}
        Some(Value::Object(numbers)) => {
            for (label, n) in numbers {
                let n = n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| format!("`limits.{label}` must be a whole number"))?;
                limits = limits.with(label, Limit::per_second(n));
            }
        }
        Some(_) => return Err("`limits` must map labels to requests per second".into()),
    }
    if limits.iter().next().is_none() {
        return Err("no limits given; send `tier` and/or `limits`".into());
    }
    Ok(limits)
}

/// `{"accounts": 120, "seed": 7, "missing": [3], "page_token_lifetime_secs": 900}`.
fn fleet_from_json(body: &Value) -> Result<FleetConfig, String> {
    let object = body.as_object().ok_or("the body must be an object")?;
    const FIELDS: [&str; 4] = ["accounts", "seed", "missing", "page_token_lifetime_secs"];
    if let Some(key) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("unknown field `{key}`; use {}", FIELDS.join(", ")));
    }
    let number = |key: &str| -> Result<Option<u64>, String> {
        match object.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("`{key}` must be a whole number")),
        }
    };
    let accounts = number("accounts")?.ok_or("`accounts` is required")?;
    let mut config = FleetConfig::new(
        usize::try_from(accounts).unwrap_or(usize::MAX),
        number("seed")?.unwrap_or(0),
    );
    if let Some(missing) = object.get("missing") {
        config.missing = missing
            .as_array()
            .ok_or("`missing` must be a list of positions")?
            .iter()
            .map(|p| {
                p.as_u64()
                    .and_then(|p| usize::try_from(p).ok())
                    .ok_or_else(|| "`missing` must be a list of positions".to_owned())
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(secs) = number("page_token_lifetime_secs")? {
        config.page_token_lifetime = Duration::from_secs(secs);
    }
    config.validate()?;
    Ok(config)
}

/// The path parameters of a routed path, decoded when looked up (most operations look at
/// one or none).
#[derive(Clone, Copy, Debug)]
struct PathParams<'a, 'p> {
    /// The operation's template.
    template: &'a [Segment],
    /// The path below the spec's mount.
    rest: &'p str,
}

impl<'p> PathParams<'_, 'p> {
    /// The percent-decoded value of the named parameter.
    fn get(&self, name: &str) -> Option<Cow<'p, str>> {
        self.template
            .iter()
            .zip(path_segments(self.rest))
            .find_map(|(segment, actual)| match segment {
                Segment::Param(param) if param == name => Some(percent_decode(actual)),
                _ => None,
            })
    }
}

/// Path segments split on the stack when routing (longer paths are split into a `Vec`).
const MAX_SEGMENTS: usize = 16;

/// An operation whose template matches the path.
struct RouteMatch<'a, 'p> {
    spec: &'a SpecModel,
    op: &'a Op,
    /// The path below the spec's mount.
    rest: &'p str,
    /// Literal segments matched (more = more specific).
    literals: usize,
}

enum Routed<'a, 'p> {
    Control,
    Op(&'a SpecModel, &'a Op, PathParams<'a, 'p>),
    Missing(&'a SpecModel, Problem, Option<String>),
    Unknown,
}

/// Whether `path` is `prefix` or below it (at a segment boundary).
fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The non-empty segments of a path.
fn path_segments(path: &str) -> Segments<'_> {
    Segments(path)
}

/// An iterator over the non-empty `/`-separated segments of a path.
struct Segments<'p>(&'p str);

impl<'p> Iterator for Segments<'p> {
    type Item = &'p str;

    fn next(&mut self) -> Option<&'p str> {
        // `/` is ASCII: byte positions of it are character boundaries.
        let bytes = self.0.as_bytes();
        let start = bytes.iter().position(|&b| b != b'/')?;
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |i| start + i);
        let segment = &self.0[start..end];
        self.0 = &self.0[end..];
        Some(segment)
    }
}

/// Matches path segments (below the mount) against a template, without allocating: how many
/// literal segments matched (more literals = more specific).
fn match_segments(template: &[Segment], path: &[&str]) -> Option<usize> {
    if template.len() != path.len() {
        return None;
    }
    let mut literals = 0;
    for (segment, actual) in template.iter().zip(path) {
        match segment {
            Segment::Literal(text) if text == actual => literals += 1,
            Segment::Literal(_) => return None,
            Segment::Param(_) => {}
        }
    }
    Some(literals)
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// `Prefer: code=404, example=name` (also `;`-separated), as Prism's users write it.
#[derive(Debug, Default)]
struct Prefer {
    code: Option<u16>,
    example: Option<String>,
}

impl Prefer {
    fn parse(headers: &HeaderMap) -> Prefer {
        let mut prefer = Prefer::default();
        for value in headers
            .get_all(&PREFER)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            for part in value.split([',', ';']).map(str::trim) {
                match part.split_once('=') {
                    Some(("code", v)) => prefer.code = v.trim_matches('"').parse().ok(),
                    Some(("example", v)) => prefer.example = Some(v.trim_matches('"').to_owned()),
                    _ => {}
                }
            }
        }
        prefer
    }

    fn is_empty(&self) -> bool {
        self.code.is_none() && self.example.is_none()
    }
}

/// Decodes the body by its media type; `Ok(None)` for an empty body.
fn parse_body(op: &Op, headers: &HeaderMap, raw: &Bytes) -> Result<Option<Value>, FieldError> {
    let Some(declared) = &op.body else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let expected = declared
        .media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if content_type != expected {
        return Err(FieldError {
            field: "body".into(),
            message: format!("content type must be `{expected}`, not `{content_type}`"),
        });
    }
    if expected == "application/x-www-form-urlencoded" {
        let text = String::from_utf8_lossy(raw);
        let map: Map<String, Value> = form_pairs(&text)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        return Ok(Some(Value::Object(map)));
    }
    serde_json::from_slice(raw)
        .map(Some)
        .map_err(|err| FieldError {
            field: "body".into(),
            message: format!("is not valid JSON: {err}"),
        })
}

/// Turns a parameter's text into the JSON value its schema expects.
fn coerce(kind: ParamKind, raw: &str) -> Value {
    match kind {
        ParamKind::Integer => raw
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
        ParamKind::Number => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(raw.to_owned()), Value::Number),
        ParamKind::Boolean => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(raw.to_owned()),
        },
        ParamKind::Text => Value::String(raw.to_owned()),
    }
}

/// `a=1&b=x+y` → pairs, `+` and `%XX` decoded.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// `%XX` decoded; invalid UTF-8 becomes U+FFFD (a path segment that cannot match anyway).
fn percent_decode(text: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy()
}

/// 16 bytes from the operating system's generator (the clock if it fails, which is not
/// expected on supported platforms: better than a panic).
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        bytes.copy_from_slice(&(unix_ms() as u128).to_le_bytes());
    }
    bytes
}

/// `bytes` as lower-case hex.
fn hex<const N: usize, const M: usize>(bytes: [u8; N]) -> [u8; M] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; M];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    out
}

/// 32 random hex characters from the operating system's generator (issued tokens).
fn random_token() -> String {
    let text: [u8; 32] = hex(random_bytes());
    text.iter().map(|&b| char::from(b)).collect()
}

/// Request ids: 32 hex characters, different for every response of the process, without a
/// system call per id. The first half is a bijective mix (splitmix64's finaliser) of a
/// counter stepped by an odd constant from a random start, so it never repeats within 2^64
/// ids; the second half mixes it with a random salt.
#[derive(Debug)]
struct RequestIds {
    next: AtomicU64,
    salt: u64,
}

impl RequestIds {
    /// Splitmix64's increment (odd: the counter visits every value before repeating).
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    fn new() -> RequestIds {
        let seed = random_bytes();
        let (start, salt) = seed.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        RequestIds {
            next: AtomicU64::new(word(start)),
            salt: word(salt),
        }
    }

    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next id as a header value.
    fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(Self::GAMMA, Ordering::Relaxed);
        let high = Self::mix(n);
        let low = Self::mix(high ^ self.salt);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        let text: [u8; 32] = hex(bytes);
        HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply {
        status,
        headers: HeaderMap::new(),
        body: ReplyBody::Json(Bytes::from(body.to_string())),
    }
}

fn into_response(reply: Reply) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (content_type, body): (Option<&'static str>, ResponseBody) = match reply.body {
        ReplyBody::Empty => (None, ResponseBody::Full(None)),
        ReplyBody::Json(bytes) => (Some("application/json"), ResponseBody::full(bytes)),
        ReplyBody::Html(bytes) => (Some("text/html"), ResponseBody::full(bytes)),
        ReplyBody::Truncated(bytes) => (
            Some("application/json"),
            ResponseBody::Truncated(TruncatedBody::new(bytes)),
        ),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = reply.headers;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A body that announces its full length, sends the first half, then fails (the connection
/// closes mid-body). It waits a moment between the two, so the status line, the headers and
/// the half are flushed to the socket before the connection is cut; failing at once would let
/// hyper drop its unflushed buffer, and the client would see a dropped connection instead.
pub struct TruncatedBody {
    full_length: u64,
    half: Option<Bytes>,
    /// Started when the half is handed to hyper, not before: a pause that began earlier could
    /// be over by then and let the error overtake the flush.
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TruncatedBody {
    fn new(bytes: Bytes) -> TruncatedBody {
        let half = bytes.slice(..bytes.len() / 2);
        TruncatedBody {
            full_length: bytes.len() as u64,
            half: Some(half),
            pause: None,
        }
    }
}

impl HttpBody for TruncatedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(half) = self.half.take() {
            self.pause = Some(Box::pin(tokio::time::sleep(Duration::from_millis(20))));
            return Poll::Ready(Some(Ok(Frame::data(half))));
        }
        let pause = self
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::ZERO)));
        match pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "truncated by a sandbox fault",
            )))),
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.full_length)
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

    #[test]
    fn routes_prefer_literal_segments() {
        let template = crate::model::segments("/a/{id}/b");
        let split = |path| path_segments(path).collect::<Vec<_>>();
        assert_eq!(match_segments(&template, &split("/a/x%20y/b")), Some(2));
        assert_eq!(match_segments(&template, &split("a//x%20y/b/")), Some(2));
        let params = PathParams {
            template: &template,
            rest: "/a/x%20y/b",
        };
        assert_eq!(params.get("id").as_deref(), Some("x y"));
        assert_eq!(params.get("b"), None);
        assert_eq!(split("//a/é//b"), ["a", "é", "b"]);
        assert!(split("///").is_empty() && split("").is_empty());
        assert_eq!(match_segments(&template, &split("/a/x")), None);
        assert_eq!(match_segments(&template, &split("/a/x/b/c")), None);
        assert_eq!(match_segments(&template, &split("/c/x/b")), None);
        assert!(under("/zoom/v2/accounts", "/zoom/v2"));
        assert!(!under("/zoomx/v2", "/zoom"));
        assert!(under("/zoom", "/zoom"));
    }

    #[test]
    fn routes_split_long_paths_too() {
        let model = Model::compile(crate::specs::EMBEDDED).unwrap();
        let app = App::new(model, SandboxConfig::default());
        let Routed::Op(_, op, params) =
            app.route(&Method::GET, "/zoom/v2/accounts/a%2Fb/plans/usage")
        else {
            panic!("not routed");
        };
        assert_eq!(op.id, "GetPlanUsage");
        assert_eq!(params.get("accountId").as_deref(), Some("a/b"));
        let long = format!("/zoom/v2{}", "/accounts".repeat(MAX_SEGMENTS + 3));
        assert!(matches!(
            app.route(&Method::GET, &long),
            Routed::Missing(_, Problem::NotFound, None)
        ));
        assert!(matches!(
            app.route(&Method::DELETE, "/zoom/v2/accounts/me/plans/usage"),
            Routed::Missing(_, Problem::MethodNotAllowed, Some(_))
        ));
    }

    #[test]
    fn request_ids_are_well_formed_and_unique() {
        let ids = RequestIds::new();
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = ids.next();
            let text = id.to_str().unwrap();
            assert_eq!(text.len(), 32, "{text}");
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{text}"
            );
            assert!(seen.insert(text.to_owned()), "{text} repeated");
        }
        let token = random_token();
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
        assert_ne!(token, random_token());
    }

    #[test]
    fn rate_limit_header_values_are_made_once_or_on_demand() {
        let config = SandboxConfig {
            zoom_limits: [10, 5000, 0],
            huawei_api_limit: 100,
            ..SandboxConfig::default()
        };
        let values = HeaderValues::new(&config);
        let [heavy, many, none] = &values.zoom;
        assert_eq!(heavy.limit, "10");
        assert_eq!(heavy.remaining(3), "7");
        assert_eq!(heavy.remaining(30), "0");
        assert_eq!(many.remaining(1), "4999", "beyond the table");
        assert_eq!(many.remaining(4000), "1000");
        assert_eq!(none.remaining(0), "0");
        assert_eq!(
            values.huawei[0].remaining(1),
            "remain:99,limit:100,time:1 minute"
        );
        assert_eq!(
            values.huawei[1].remaining(500),
            "remain:0,limit:200,time:1 second"
        );
    }

    #[test]
    fn prefer_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "prefer",
            HeaderValue::from_static("code=404, example=user-not-found"),
        );
        let prefer = Prefer::parse(&headers);
        assert_eq!(
            (prefer.code, prefer.example.as_deref()),
            (Some(404), Some("user-not-found"))
        );
        assert!(Prefer::parse(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn forms_and_percent_encoding() {
        assert_eq!(
            form_pairs("grant_type=account_credentials&account_id=a%2Bb+c"),
            [
                ("grant_type".to_owned(), "account_credentials".to_owned()),
                ("account_id".to_owned(), "a+b c".to_owned())
            ]
        );
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
