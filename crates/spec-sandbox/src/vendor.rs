//! What differs between vendors, read from each spec's `x-sandbox-vendor` extension: the token
//! namespace, the request-id header, the error body, the rate-limit headers and where tokens
//! sit in token requests and answers. Nothing here names a vendor; a new vendor is a spec.

use std::collections::HashMap;

use hyper::header::HeaderName;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A token namespace: specs of one family accept each other's tokens (a Zoom OAuth token
/// opens the Zoom API). Numbered by [`Families`] in order of first appearance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Family(pub u16);

/// Interns family names into [`Family`] numbers.
#[derive(Debug, Default)]
pub struct Families(Vec<String>);

impl Families {
    /// The number of `name`, given a new one on first sight.
    pub fn intern(&mut self, name: &str) -> Family {
        let index = match self.0.iter().position(|known| known == name) {
            Some(index) => index,
            None => {
                self.0.push(name.to_owned());
                self.0.len() - 1
            }
        };
        Family(u16::try_from(index).unwrap_or(u16::MAX))
    }
}

/// A problem the sandbox reports itself (as opposed to a documented example).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// No operation at this path.
    NotFound,
    /// The path exists, the method does not.
    MethodNotAllowed,
    /// The request does not match the spec.
    Invalid,
    /// Missing or unknown credentials.
    Unauthorized,
    /// Well-formed client credentials that are wrong.
    WrongClient,
    /// A rate-limit fault.
    TooManyRequests,
    /// A server-error fault.
    ServerError,
    /// A service-unavailable fault.
    Unavailable,
    /// The body exceeds the size limit.
    TooLarge,
    /// The body did not arrive in time.
    Timeout,
}

impl Problem {
    /// Every problem, as the extension names them.
    pub const ALL: [(Problem, &'static str); 10] = [
        (Problem::NotFound, "not-found"),
        (Problem::MethodNotAllowed, "method-not-allowed"),
        (Problem::Invalid, "invalid"),
        (Problem::Unauthorized, "unauthorized"),
        (Problem::WrongClient, "wrong-client"),
        (Problem::TooManyRequests, "too-many-requests"),
        (Problem::ServerError, "server-error"),
        (Problem::Unavailable, "unavailable"),
        (Problem::TooLarge, "too-large"),
        (Problem::Timeout, "timeout"),
    ];

    /// The problem's name in `x-sandbox-vendor` (`errors.codes`, `errors.messages`).
    pub fn name(self) -> &'static str {
        Problem::ALL
            .iter()
            .find(|(problem, _)| *problem == self)
            .map_or("", |(_, name)| name)
    }

    /// The message when the spec gives none.
    fn default_message(self) -> &'static str {
        match self {
            Problem::NotFound => "No such API.",
            Problem::MethodNotAllowed => "Method not allowed for this API.",
            Problem::Invalid => "Invalid request.",
            Problem::Unauthorized | Problem::WrongClient => "Invalid credentials.",
            Problem::TooManyRequests => {
                "You have reached the maximum per-second rate limit for this API. Try again later."
            }
            Problem::ServerError => "Internal server error.",
            Problem::Unavailable => "Service temporarily unavailable.",
            Problem::TooLarge => "Request body too large.",
            Problem::Timeout => "The request body did not arrive in time.",
        }
    }
}

/// One invalid request field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted field path (`plan_base.hosts`) or the parameter name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A spec's `x-sandbox-vendor` extension, compiled.
#[derive(Clone, Debug)]
pub struct Vendor {
    /// The token namespace.
    pub family: Family,
    /// The response header carrying the request id.
    pub request_id_header: HeaderName,
    /// Whether a request's own id in that header is answered back (else a fresh one).
    pub echo_request_id: bool,
    /// Which rate-limit headers answers carry.
    pub rate_limit_headers: RateLimitHeaders,
    /// The status of well-formed but wrong client credentials.
    pub wrong_client_status: u16,
    /// The error body.
    pub errors: ErrorFormat,
    /// Token fields, for specs with token operations.
    pub tokens: TokenFields,
}

/// The rate-limit headers a vendor sends with every answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RateLimitHeaders {
    /// None.
    #[default]
    None,
    /// `X-RateLimit-Category`, `-Limit`, `-Remaining` by the operation's label (HEAVY, MEDIUM,
    /// else Light), and `X-RateLimit-Type: QPS` on a 429.
    Categories,
    /// An API gateway's remaining counts: `X-APIG-Ratelimit-Api` per minute and
    /// `X-APIG-Ratelimit-Api-Allenv` per second.
    Gateway,
}

/// How the vendor's error body is built.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ErrorFormat {
    /// The field holding the human-readable message.
    pub message: String,
    /// The field holding the problem's code, if the vendor has codes.
    #[serde(default)]
    pub code: Option<String>,
    /// The code of each problem (by name, or `default`).
    #[serde(default)]
    pub codes: HashMap<String, Value>,
    /// Codes that differ under a path: the first entry whose `contains` is part of the path
    /// wins, then `codes`.
    #[serde(default)]
    pub codes_by_path: Vec<PathCodes>,
    /// Invalid fields as a list: `{name: errors, item: {field: "{field}"}}`.
    #[serde(default)]
    pub field_list: Option<FieldList>,
    /// Else the first invalid field appended to the message, e.g. `" ({field}: {message})"`.
    #[serde(default)]
    pub field_suffix: Option<String>,
    /// Messages that differ from the sandbox's defaults, by problem name.
    #[serde(default)]
    pub messages: HashMap<String, String>,
}

/// Codes under a path (see [`ErrorFormat::codes_by_path`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathCodes {
    /// Part of the request path.
    pub contains: String,
    /// The codes there, by problem name.
    pub codes: HashMap<String, Value>,
}

/// A list of invalid fields in the error body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldList {
    /// The list's field.
    pub name: String,
    /// Each item's fields: text templates with `{field}` and `{message}`, in this order.
    pub item: Map<String, Value>,
}

/// Field names of a vendor's token requests and answers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TokenFields {
    /// The access token in answers (required by specs with token operations).
    #[serde(default)]
    pub access: String,
    /// The refresh token in answers, if the vendor issues one.
    #[serde(default)]
    pub refresh: Option<String>,
    /// Lifetime in seconds.
    #[serde(default)]
    pub lifetime_seconds: Option<String>,
    /// Expiry in Unix seconds.
    #[serde(default)]
    pub expires_unix: Option<String>,
    /// Creation time in Unix milliseconds.
    #[serde(default)]
    pub created_unix_ms: Option<String>,
    /// The token field of a token-validation request body.
    #[serde(default)]
    pub request_token: Option<String>,
    /// The refresh-token field of a refresh request body (else the refresh token is the
    /// operation's credential).
    #[serde(default)]
    pub request_refresh: Option<String>,
    /// Whether a refresh answers a new refresh token and revokes the one presented.
    #[serde(default)]
    pub rotate_refresh: bool,
    /// Client-credential fields of a token request body (id and secret): only the values of
    /// the operation's request examples are accepted.
    #[serde(default)]
    pub client: Vec<String>,
    /// The field of a token-grant request body naming whose token it is (the account or the
    /// app); only ids that appear in the spec's grant examples get tokens.
    #[serde(default)]
    pub grant_subject: Option<String>,
    /// The boolean field of a token-validation request asking for a new token.
    #[serde(default)]
    pub renew_flag: Option<String>,
}

/// The extension as written (the family as a name).
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Written {
    family: String,
    request_id: WrittenRequestId,
    #[serde(default)]
    rate_limit_headers: RateLimitHeaders,
    #[serde(default = "bad_request")]
    wrong_client_status: u16,
    errors: ErrorFormat,
    #[serde(default)]
    tokens: TokenFields,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrittenRequestId {
    header: String,
    #[serde(default)]
    echo: bool,
}

fn bad_request() -> u16 {
    400
}

impl Vendor {
    /// Compiles a spec's `x-sandbox-vendor` value; the error names the member at fault.
    pub fn compile(value: &Value, families: &mut Families) -> Result<Vendor, String> {
        let written: Written = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let errors = written.errors;
        let known = |key: &String| key == "default" || Problem::ALL.iter().any(|(_, n)| n == key);
        let keys = errors
            .codes
            .keys()
            .chain(errors.messages.keys())
            .chain(errors.codes_by_path.iter().flat_map(|p| p.codes.keys()));
        for key in keys {
            if !known(key) {
                return Err(format!("errors: unknown problem `{key}`"));
            }
        }
        Ok(Vendor {
            family: families.intern(&written.family),
            request_id_header: HeaderName::try_from(written.request_id.header.as_str())
                .map_err(|_| format!("bad request-id header `{}`", written.request_id.header))?,
            echo_request_id: written.request_id.echo,
            rate_limit_headers: written.rate_limit_headers,
            wrong_client_status: written.wrong_client_status,
            errors,
            tokens: written.tokens,
        })
    }

    /// The message of a problem: the spec's, else the sandbox's default.
    pub fn default_message(&self, problem: Problem) -> &str {
        self.errors
            .messages
            .get(problem.name())
            .map_or(problem.default_message(), String::as_str)
    }

    /// An error body in the vendor's format (`path` picks path-specific codes).
    pub fn error_body(
        &self,
        problem: Problem,
        message: &str,
        fields: &[FieldError],
        path: &str,
    ) -> Value {
        let format = &self.errors;
        let name = problem.name();
        let code = format
            .codes_by_path
            .iter()
            .find(|p| path.contains(&p.contains))
            .and_then(|p| p.codes.get(name))
            .or_else(|| format.codes.get(name))
            .or_else(|| format.codes.get("default"));
        let fill = |template: &str, f: &FieldError| {
            template
                .replace("{field}", &f.field)
                .replace("{message}", &f.message)
        };
        let mut text = message.to_owned();
        if let (Some(suffix), Some(first)) = (&format.field_suffix, fields.first()) {
            text.push_str(&fill(suffix, first));
        }
        let mut body = Map::new();
        if let (Some(field), Some(code)) = (&format.code, code) {
            body.insert(field.clone(), code.clone());
        }
        body.insert(format.message.clone(), Value::String(text));
        if let Some(list) = format.field_list.as_ref().filter(|_| !fields.is_empty()) {
            let items = fields
                .iter()
                .map(|f| {
                    let item: Map<String, Value> = list
                        .item
                        .iter()
                        .map(|(key, template)| {
                            let template = template.as_str().unwrap_or_default();
                            (key.clone(), Value::String(fill(template, f)))
                        })
                        .collect();
                    Value::Object(item)
                })
                .collect();
            body.insert(list.name.clone(), Value::Array(items));
        }
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vendor(value: Value) -> Vendor {
        Vendor::compile(&value, &mut Families::default()).unwrap()
    }

    #[test]
    fn error_bodies_follow_the_extension() {
        let field = [FieldError {
            field: "hosts".into(),
            message: "required property `hosts` is missing".into(),
        }];
        let listed = vendor(json!({
            "family": "a", "request-id": {"header": "X-Id"},
            "errors": {"message": "message", "code": "code", "codes": {"invalid": 300},
                       "field-list": {"name": "errors",
                                      "item": {"field": "{field}", "message": "{message}"}}},
        }));
        let body = listed.error_body(Problem::Invalid, "Validation Failed.", &field, "/v2/x");
        assert_eq!(
            body,
            json!({"code": 300, "message": "Validation Failed.",
                   "errors": [{"field": "hosts", "message": field[0].message}]})
        );
        assert_eq!(listed.request_id_header.as_str(), "x-id");
        assert_eq!(listed.default_message(Problem::NotFound), "No such API.");

        let suffixed = vendor(json!({
            "family": "b", "request-id": {"header": "x", "echo": true},
            "errors": {"message": "msg", "code": "c", "field-suffix": " {field}: {message}",
                       "codes": {"invalid": "A.1", "default": "A.0"},
                       "codes-by-path": [{"contains": "/usg/", "codes": {"invalid": "U.1"}}],
                       "messages": {"invalid": "Invalid parameter:"}},
        }));
        let body = suffixed.error_body(Problem::Invalid, "Bad", &field, "/v2/usg/auth");
        assert_eq!(body["c"], "U.1");
        assert_eq!(body["msg"], format!("Bad hosts: {}", field[0].message));
        assert_eq!(
            suffixed.error_body(Problem::Invalid, "m", &[], "/v1/x")["c"],
            "A.1"
        );
        assert_eq!(
            suffixed.error_body(Problem::Timeout, "m", &[], "/v1/x")["c"],
            "A.0"
        );
        assert_eq!(
            suffixed.default_message(Problem::Invalid),
            "Invalid parameter:"
        );
    }

    #[test]
    fn families_are_shared_by_name_and_mistakes_are_named() {
        let mut families = Families::default();
        let spec = |family: &str| {
            json!({"family": family, "request-id": {"header": "x"},
                                        "errors": {"message": "m"}})
        };
        let a = Vendor::compile(&spec("zoom"), &mut families).unwrap();
        let b = Vendor::compile(&spec("other"), &mut families).unwrap();
        let c = Vendor::compile(&spec("zoom"), &mut families).unwrap();
        assert_eq!(a.family, c.family);
        assert_ne!(a.family, b.family);
        let typo = json!({"family": "x", "request-id": {"header": "x"},
                          "errors": {"message": "m", "codes": {"invalidd": 1}}});
        let err = Vendor::compile(&typo, &mut families).unwrap_err();
        assert!(err.contains("invalidd"), "{err}");
        let unknown = json!({"family": "x", "request-id": {"header": "x"}, "colour": 1,
                             "errors": {"message": "m"}});
        let err = Vendor::compile(&unknown, &mut families).unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }
}
