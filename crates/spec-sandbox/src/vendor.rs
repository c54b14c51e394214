//! What differs between vendors: error bodies, request-id headers, and where tokens sit in
//! token responses. Everything per-operation comes from the specs; this is per-vendor.

use serde_json::{Value, json};

/// The vendor (and API) a spec describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// Zoom's REST API (`{code, message, errors}` errors, `x-zm-trackingid`).
    Zoom,
    /// Zoom's OAuth service (`{reason, error}` errors).
    ZoomOAuth,
    /// Huawei Cloud Meeting (`{error_code, error_msg}` errors, `X-Request-Id`).
    Huawei,
}

/// Vendors whose tokens are interchangeable: a Zoom OAuth token opens the Zoom API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Zoom's API and OAuth service.
    Zoom,
    /// Huawei Cloud Meeting.
    Huawei,
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
    /// Well-formed client credentials that are wrong (Zoom OAuth answers 400 `invalid_client`).
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

/// One invalid request field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted field path (`plan_base.hosts`) or the parameter name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Vendor {
    /// The token namespace this vendor shares.
    pub fn family(self) -> Family {
        match self {
            Vendor::Zoom | Vendor::ZoomOAuth => Family::Zoom,
            Vendor::Huawei => Family::Huawei,
        }
    }

    /// The response header carrying the request id.
    pub fn request_id_header(self) -> &'static str {
        match self {
            Vendor::Zoom | Vendor::ZoomOAuth => "x-zm-trackingid",
            Vendor::Huawei => "x-request-id",
        }
    }

    /// The field of the error body that holds the human-readable message.
    pub fn message_field(self) -> &'static str {
        match self {
            Vendor::Zoom => "message",
            Vendor::ZoomOAuth => "reason",
            Vendor::Huawei => "error_msg",
        }
    }

    /// An error body in the vendor's format. `path` picks Huawei's error area (`MMC`/`USG`).
    pub fn error_body(
        self,
        problem: Problem,
        message: &str,
        fields: &[FieldError],
        path: &str,
    ) -> Value {
        match self {
            Vendor::Zoom => {
                let code = match problem {
                    // Zoom's code for request validation, with field details.
                    Problem::Invalid => 300,
                    // Zoom's code for an invalid access token.
                    Problem::Unauthorized | Problem::WrongClient => 124,
                    Problem::NotFound => 404,
                    Problem::MethodNotAllowed => 405,
                    Problem::TooManyRequests => 429,
                    Problem::ServerError => 500,
                    Problem::Unavailable => 503,
                    Problem::TooLarge => 413,
                    Problem::Timeout => 408,
                };
                let mut body = json!({ "code": code, "message": message });
                if !fields.is_empty() {
                    body["errors"] = fields
                        .iter()
                        .map(|f| json!({ "field": f.field, "message": f.message }))
                        .collect();
                }
                body
            }
            Vendor::ZoomOAuth => {
                let error = match problem {
                    Problem::WrongClient => "invalid_client",
                    Problem::ServerError => "server_error",
                    Problem::Unavailable | Problem::TooManyRequests => "temporarily_unavailable",
                    _ => "invalid_request",
                };
                let reason = match fields.first() {
                    Some(f) => format!("{message} ({}: {})", f.field, f.message),
                    None => message.to_owned(),
                };
                json!({ "reason": reason, "error": error })
            }
            Vendor::Huawei => {
                let usg = path.contains("/usg/");
                let code = match problem {
                    // The API gateway's own codes.
                    Problem::NotFound | Problem::MethodNotAllowed => "APIG.0101",
                    Problem::TooLarge => "APIG.0201",
                    Problem::TooManyRequests => "APIG.0308",
                    Problem::ServerError | Problem::Unavailable | Problem::Timeout => "APIG.9999",
                    Problem::Invalid if usg => "USG.000000001",
                    Problem::Invalid => "MMC.111070001",
                    Problem::Unauthorized | Problem::WrongClient if usg => "USG.000000004",
                    Problem::Unauthorized | Problem::WrongClient => "MMC.118000001",
                };
                let msg = match fields.first() {
                    Some(f) => format!("{message} {}: {}", f.field, f.message),
                    None => message.to_owned(),
                };
                json!({ "error_code": code, "error_msg": msg })
            }
        }
    }

    /// The default message of a problem.
    pub fn default_message(self, problem: Problem) -> &'static str {
        match (self, problem) {
            (Vendor::Huawei, Problem::NotFound | Problem::MethodNotAllowed) => {
                "The API does not exist or has not been published in the environment"
            }
            (Vendor::Huawei, Problem::TooManyRequests) => {
                "The throttling threshold has been reached"
            }
            (Vendor::Huawei, Problem::ServerError | Problem::Unavailable) => "System error",
            (Vendor::Huawei, Problem::TooLarge) => "Request body too large",
            (Vendor::Huawei, Problem::Invalid) => "Invalid parameter:",
            (Vendor::Zoom, Problem::Invalid) => "Validation Failed.",
            (Vendor::Zoom, Problem::Unauthorized) => "Invalid access token.",
            (Vendor::ZoomOAuth, Problem::WrongClient) => "Invalid client_id or client_secret",
            (_, Problem::NotFound) => "No such API.",
            (_, Problem::MethodNotAllowed) => "Method not allowed for this API.",
            (_, Problem::Invalid) => "Invalid request.",
            (_, Problem::Unauthorized | Problem::WrongClient) => "Invalid credentials.",
            (_, Problem::TooManyRequests) => {
                "You have reached the maximum per-second rate limit for this API. Try again later."
            }
            (_, Problem::ServerError) => "Internal server error.",
            (_, Problem::Unavailable) => "Service temporarily unavailable.",
            (_, Problem::TooLarge) => "Request body too large.",
            (_, Problem::Timeout) => "The request body did not arrive in time.",
        }
    }

    /// Where tokens and their times sit in this vendor's token responses.
    pub fn token_fields(self) -> TokenFields {
        match self {
            Vendor::ZoomOAuth | Vendor::Zoom => TokenFields {
                access: "access_token",
                refresh: None,
                lifetime_seconds: Some("expires_in"),
                expires_unix: None,
                created_unix_ms: None,
                request_token: None,
                grant_subject: "account_id",
                renew_flag: None,
            },
            Vendor::Huawei => TokenFields {
                access: "accessToken",
                refresh: Some("refreshToken"),
                lifetime_seconds: Some("validPeriod"),
                expires_unix: Some("expireTime"),
                created_unix_ms: Some("createTime"),
                request_token: Some("token"),
                grant_subject: "appId",
                renew_flag: Some("needGenNewToken"),
            },
        }
    }
}

/// Field names of a vendor's token response (and token-validation request).
#[derive(Clone, Copy, Debug)]
pub struct TokenFields {
    /// The access token.
    pub access: &'static str,
    /// The refresh token, if the vendor issues one.
    pub refresh: Option<&'static str>,
    /// Lifetime in seconds.
    pub lifetime_seconds: Option<&'static str>,
    /// Expiry in Unix seconds.
    pub expires_unix: Option<&'static str>,
    /// Creation time in Unix milliseconds.
    pub created_unix_ms: Option<&'static str>,
    /// The token field of a token-validation request body.
    pub request_token: Option<&'static str>,
    /// The field of a token-grant request body naming whose token it is (the account or the
    /// app); only ids that appear in the spec's grant examples get tokens.
    pub grant_subject: &'static str,
    /// The boolean field of a token-validation request asking for a new token.
    pub renew_flag: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_formats() {
        let field = [FieldError {
            field: "hosts".into(),
            message: "required property `hosts` is missing".into(),
        }];
        let zoom = Vendor::Zoom.error_body(Problem::Invalid, "Validation Failed.", &field, "/v2/x");
        assert_eq!(zoom["code"], 300);
        assert_eq!(zoom["errors"][0]["field"], "hosts");
        let huawei = Vendor::Huawei.error_body(
            Problem::Invalid,
            "Invalid parameter:",
            &field,
            "/v2/usg/acs/auth/appauth",
        );
        assert_eq!(huawei["error_code"], "USG.000000001");
        assert!(huawei["error_msg"].as_str().unwrap().contains("hosts"));
        let mmc =
            Vendor::Huawei.error_body(Problem::Unauthorized, "x", &[], "/v1/mmc/management/orgRes");
        assert_eq!(mmc["error_code"], "MMC.118000001");
        let oauth = Vendor::ZoomOAuth.error_body(Problem::WrongClient, "bad", &[], "/oauth/token");
        assert_eq!(oauth["error"], "invalid_client");
        let oauth = Vendor::ZoomOAuth.error_body(Problem::Unauthorized, "bad", &[], "/oauth/token");
        assert_eq!(oauth["error"], "invalid_request");
    }
}
