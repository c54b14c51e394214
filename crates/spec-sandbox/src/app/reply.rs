//! Stage 5 and 6: the answer (the chosen or named example, a fleet account's generated answer, a
//! fault's status, or the vendor's error body) and the vendor's headers on it (request id,
//! rate-limit headers), turned into a hyper response.

use super::*;

impl App {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn answer(
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
    pub(super) fn fleet_reply(
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
    pub(super) fn example_reply(
        &self,
        spec: &SpecModel,
        op: &Op,
        prefer: &Prefer,
        path: &str,
    ) -> Reply {
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
    pub(super) fn bad_prefer(
        &self,
        spec: &SpecModel,
        op: &Op,
        message: String,
        path: &str,
    ) -> Reply {
        let fields = [FieldError {
            field: "Prefer".into(),
            message,
        }];
        self.problem(spec, Problem::Invalid, Some(op), &fields, path)
    }

    /// The body of a documented error response for a status, or the vendor's generic one.
    pub(super) fn fault_reply(&self, spec: &SpecModel, op: &Op, status: u16, path: &str) -> Reply {
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
    pub(super) fn problem(
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

    /// Request id and rate-limit headers, as the vendor sends them.
    pub(super) fn vendor_headers(
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
}

/// The values of one rate-limit header: the limit, and the value for every remaining count
/// up to a bound (beyond it, and for larger limits, they are made per response).
pub(super) struct LimitValues {
    pub(super) limit: HeaderValue,
    pub(super) max: u64,
    pub(super) remaining: Vec<HeaderValue>,
    pub(super) format: Box<dyn Fn(u64) -> HeaderValue + Send + Sync>,
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
    pub(super) fn new(
        max: u64,
        format: impl Fn(u64) -> HeaderValue + Send + Sync + 'static,
    ) -> LimitValues {
        LimitValues {
            limit: HeaderValue::from(max),
            max,
            remaining: (0..=max.min(Self::TABLE)).map(&format).collect(),
            format: Box::new(format),
        }
    }

    /// The value after `used` requests in the window.
    pub(super) fn remaining(&self, used: u64) -> HeaderValue {
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
pub(super) struct HeaderValues {
    pub(super) zoom: [LimitValues; 3],
    pub(super) huawei: [LimitValues; 2],
}

impl HeaderValues {
    pub(super) fn new(config: &SandboxConfig) -> HeaderValues {
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

pub(super) fn no_content() -> Reply {
    Reply {
        status: 204,
        headers: HeaderMap::new(),
        body: ReplyBody::Empty,
    }
}

/// The documented example `name` of the operation's `status` response (a vendor-less 500 if
/// the model let a wrong name through, which `model` prevents).
pub(super) fn named_example_reply(op: &Op, status: u16, name: &str) -> Reply {
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
pub(super) fn rate_limit_headers(admission: &Admission, reply: &mut Reply) {
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

/// Request ids: 32 hex characters, different for every response of the process, without a
/// system call per id. The first half is a bijective mix (splitmix64's finaliser) of a
/// counter stepped by an odd constant from a random start, so it never repeats within 2^64
/// ids; the second half mixes it with a random salt.
#[derive(Debug)]
pub(super) struct RequestIds {
    pub(super) next: AtomicU64,
    pub(super) salt: u64,
}

impl RequestIds {
    /// Splitmix64's increment (odd: the counter visits every value before repeating).
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    pub(super) fn new() -> RequestIds {
        let seed = random_bytes();
        let (start, salt) = seed.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        RequestIds {
            next: AtomicU64::new(word(start)),
            salt: word(salt),
        }
    }

    pub(super) fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next id as a header value.
    pub(super) fn next(&self) -> HeaderValue {
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

pub(super) fn json_reply(status: u16, body: &Value) -> Reply {
    Reply {
        status,
        headers: HeaderMap::new(),
        body: ReplyBody::Json(Bytes::from(body.to_string())),
    }
}

pub(super) fn into_response(reply: Reply) -> Response<ResponseBody> {
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
    pub(super) full_length: u64,
    pub(super) half: Option<Bytes>,
    /// Started when the half is handed to hyper, not before: a pause that began earlier could
    /// be over by then and let the error overtake the flush.
    pub(super) pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TruncatedBody {
    pub(super) fn new(bytes: Bytes) -> TruncatedBody {
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
}
