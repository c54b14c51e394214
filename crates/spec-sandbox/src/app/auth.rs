//! Stage 3: the credentials an operation's security requirements ask for (bearer and API-key
//! tokens issued by the token store, Basic client credentials, the App ID signature), and which
//! refusal wins when several requirements fail.

use super::*;

impl App {
    /// The credentials of the operation's security requirements.
    pub(super) fn authorize(
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
    pub(super) fn check(
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
    pub(super) fn verify_app_id_signature(
        &self,
        header: &str,
        body: &Value,
    ) -> Result<(), Refusal> {
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
}

/// Why credentials were refused, from least to most specific: the most specific reason of
/// all security alternatives is reported.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Missing, malformed or unknown.
    Missing,
    /// Present but refused, with the reason to report.
    Because(String),
    /// Well-formed client credentials that are not the sandbox's (OAuth `invalid_client`).
    WrongClient,
}

impl Refusal {
    pub(super) fn rank(&self) -> u8 {
        match self {
            Refusal::Missing => 0,
            Refusal::Because(_) => 1,
            Refusal::WrongClient => 2,
        }
    }
}

pub(super) fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}
