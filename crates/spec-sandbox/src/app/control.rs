//! The `/__sandbox/*` control endpoints: health, faults, the request log, rate limits and the
//! fleet, over HTTP.

use super::*;

impl App {
    /// `/__sandbox/...`: health, faults and the request log over HTTP.
    pub(super) async fn control(&self, parts: &Parts, body: Incoming) -> Reply {
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
    pub(super) async fn control_body(&self, body: Incoming) -> Result<Value, String> {
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

/// `{"enabled": true, "limits": {"HEAVY": {"requests": 10, "window_secs": 1}}}`.
pub(super) fn rate_limits_json(limits: Option<&RateLimits>) -> Value {
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
pub(super) fn rate_limits_from_json(body: &Value) -> Result<RateLimits, String> {
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
pub(super) fn fleet_from_json(body: &Value) -> Result<FleetConfig, String> {
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
