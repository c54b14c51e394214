//! Stages 2 and 4: the operation's request is started (faults, rate limits, `Prefer`), its body
//! read within the limits and decoded (JSON or form), and its parameters and body validated
//! against the spec's schemas.

use super::*;

impl App {
    /// The faults for this request of an operation: the one named in the request header
    /// (any further uses it asks for, `times=N`, are queued for the following requests of the
    /// operation), else the first queued one. A fault that answers by itself is
    /// [`Begun::Done`].
    pub(super) fn begin(
        &self,
        spec: &SpecModel,
        op: &Op,
        headers: &HeaderMap,
        path: &str,
    ) -> Begun {
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
    pub(super) fn finish_op(
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
    pub(super) async fn read_body(
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

    pub(super) fn check_params(
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

    pub(super) fn check_body(
        &self,
        spec: &SpecModel,
        op: &Op,
        body: Option<&Value>,
    ) -> Vec<FieldError> {
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
}

/// `Prefer: code=404, example=name` (also `;`-separated), as Prism's users write it.
#[derive(Debug, Default)]
pub(super) struct Prefer {
    pub(super) code: Option<u16>,
    pub(super) example: Option<String>,
}

impl Prefer {
    pub(super) fn parse(headers: &HeaderMap) -> Prefer {
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

    pub(super) fn is_empty(&self) -> bool {
        self.code.is_none() && self.example.is_none()
    }
}

/// Decodes the body by its media type; `Ok(None)` for an empty body.
pub(super) fn parse_body(
    op: &Op,
    headers: &HeaderMap,
    raw: &Bytes,
) -> Result<Option<Value>, FieldError> {
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
pub(super) fn coerce(kind: ParamKind, raw: &str) -> Value {
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
pub(super) fn form_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// `%XX` decoded; invalid UTF-8 becomes U+FFFD (a path segment that cannot match anyway).
pub(super) fn percent_decode(text: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

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
