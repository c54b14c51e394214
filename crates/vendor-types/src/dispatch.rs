//! The vendor-independent half of each generated client's `dispatch` module.
//!
//! `cargo xtask generate` appends a `pub mod dispatch` to every generated client: a `call`
//! function that runs an operation by its spec `operationId` with JSON arguments (for
//! spec-driven tools and tests). Its argument, answer and error types do not depend on the
//! spec, so they live here once and each generated module re-exports them.
//!
//! Arguments and answers carry tokens, so `Debug` output and error messages name fields and
//! shapes, never values.

use std::fmt;

use serde_json::Value;

/// The arguments of one call. `Debug` names the arguments and the body's shape but never
/// prints a value: parameters and bodies carry tokens.
///
/// ```
/// let args = vendor_types::dispatch::Args {
///     params: serde_json::from_str(r#"{"X-Access-Token": "secret-token"}"#).unwrap(),
///     body: Some(serde_json::json!({"appId": "app", "expireTime": 0})),
/// };
/// let shown = format!("{args:?}");
/// assert!(shown.contains("X-Access-Token") && shown.contains("<number>"));
/// assert!(!shown.contains("secret-token") && !shown.contains("\"app\""));
/// ```
#[derive(Clone, Default)]
pub struct Args {
    /// Path, query and header parameters, by their name in the spec.
    pub params: serde_json::Map<String, Value>,
    /// The request body, if the operation has one.
    pub body: Option<Value>,
}

impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Args")
            .field("params", &self.params.keys().collect::<Vec<_>>())
            .field("body", &self.body.as_ref().map(Shape))
            .finish()
    }
}

/// What a call returned. `Debug` shows the status and the body's shape, never its values
/// (token responses carry tokens).
#[derive(Clone, PartialEq)]
pub enum Outcome {
    /// A documented success status, with the decoded body re-encoded (`null` when the
    /// operation returns no body).
    Success {
        /// HTTP status.
        status: u16,
        /// The body.
        body: Value,
    },
    /// A documented error status, with the vendor's error body decoded and re-encoded.
    VendorError {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: Value,
    },
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, status, body) = match self {
            Outcome::Success { status, body } => ("Success", status, body),
            Outcome::VendorError { status, body } => ("VendorError", status, body),
        };
        f.debug_struct(name)
            .field("status", status)
            .field("body", &Shape(body))
            .finish()
    }
}

/// A JSON value's keys and nesting, with every scalar replaced by its kind.
struct Shape<'a>(&'a Value);

impl fmt::Debug for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("null"),
            Value::Bool(_) => f.write_str("<bool>"),
            Value::Number(_) => f.write_str("<number>"),
            Value::String(_) => f.write_str("<string>"),
            Value::Array(items) => f.debug_list().entries(items.iter().map(Shape)).finish(),
            Value::Object(map) => f
                .debug_map()
                .entries(map.iter().map(|(k, v)| (k, Shape(v))))
                .finish(),
        }
    }
}

/// Why a call produced no [`Outcome`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DispatchError {
    /// No operation has this id.
    #[error("no operation `{0}`")]
    UnknownOperation(String),
    /// An argument does not decode into the type the builder takes.
    #[error("argument `{name}`: {message}")]
    InvalidArgument {
        /// The parameter name (or `body`).
        name: String,
        /// Why it does not decode.
        message: String,
    },
    /// The client failed: transport error, undocumented status, or a body that does not
    /// decode. The message never quotes a body or argument value.
    #[error("{0}")]
    Client(String),
}

/// Decodes the argument `name` into the type a generated setter takes. The error names the
/// argument and the JSON kind it had, never the value (serde would quote it, and arguments
/// carry tokens), except for messages that only name fields.
///
/// ```
/// use vendor_types::dispatch::{DispatchError, decode};
/// let err = decode::<u32>("limit", &serde_json::json!("secret-token")).unwrap_err();
/// assert_eq!(
///     err,
///     DispatchError::InvalidArgument {
///         name: "limit".into(),
///         message: "a JSON string that does not decode into `u32`".into(),
///     }
/// );
/// ```
pub fn decode<T: serde::de::DeserializeOwned>(
    name: &str,
    value: &Value,
) -> Result<T, DispatchError> {
    T::deserialize(value).map_err(|err| {
        let text = err.to_string();
        let message = if text.starts_with("missing field") || text.starts_with("unknown field") {
            text
        } else {
            let kind = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            let target = std::any::type_name::<T>();
            let short = target.rsplit("::").next().unwrap_or(target);
            format!("a JSON {kind} that does not decode into `{short}`")
        };
        DispatchError::InvalidArgument {
            name: name.to_owned(),
            message,
        }
    })
}

/// Turns a generated builder's result into an [`Outcome`]: the typed answer re-encoded as JSON,
/// with the status. Documented errors are outcomes too; anything else is a
/// [`DispatchError::Client`] carrying the [`CallError`](crate::CallError) message, which says
/// where decoding failed, never what was there (the payload may hold a token).
pub fn finish<T, E>(
    operation: &'static str,
    result: Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
) -> Result<Outcome, DispatchError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    E: serde::Serialize + serde::de::DeserializeOwned + crate::VendorError,
{
    use crate::{CallError, Redact as _};
    let encode = |value: Result<Value, serde_json::Error>| {
        value.map_err(|err| DispatchError::Client(crate::scrub_quoted(&err.to_string())))
    };
    match result.redact(operation) {
        Ok(response) => Ok(Outcome::Success {
            status: response.status().as_u16(),
            body: encode(serde_json::to_value(response.into_inner()))?,
        }),
        Err(CallError::Vendor { status, body, .. }) => Ok(Outcome::VendorError {
            status,
            body: encode(serde_json::to_value(body))?,
        }),
        Err(other) => Err(DispatchError::Client(other.to_string())),
    }
}
