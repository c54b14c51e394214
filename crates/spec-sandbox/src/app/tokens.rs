//! Stage 5 for token operations (`x-sandbox-role`): issue, validate or refresh tokens for real,
//! rotating refresh tokens where the spec's `x-sandbox-vendor` says so.

use super::*;

impl App {
    /// Token operations without `Prefer`: issue, validate or refresh for real.
    pub(super) fn token_role(
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
}

/// 16 bytes from the operating system's generator (the clock if it fails, which is not
/// expected on supported platforms: better than a panic).
pub(super) fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        bytes.copy_from_slice(&(unix_ms() as u128).to_le_bytes());
    }
    bytes
}

/// `bytes` as lower-case hex.
pub(super) fn hex<const N: usize, const M: usize>(bytes: [u8; N]) -> [u8; M] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; M];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    out
}

/// 32 random hex characters from the operating system's generator (issued tokens).
pub(super) fn random_token() -> String {
    let text: [u8; 32] = hex(random_bytes());
    text.iter().map(|&b| char::from(b)).collect()
}
