//! Credentials that must not leak into logs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A token, signature or key: shows as `Secret(***)` in `Debug` output.
///
/// The spec's credential schemas (`AccessToken`, the App ID `Authorization` value, the tokens in
/// authentication responses) are generated as this type, so request builders, request bodies
/// and decoded token responses can be debug-printed without exposing them.
///
/// There is deliberately no `Display`: `format!("{}", secret)`, `tracing::info!(%secret)` and
/// `println!("{secret}")` do not compile, so a secret cannot slip into a message by accident.
/// The value is reachable only on purpose, through [`Secret::expose`], and through
/// `to_string()`, which the generated clients call to write a header value (so `ToString` is
/// implemented directly instead of through `Display`).
///
/// ```
/// use vendor_types::Secret;
///
/// let token = Secret::from("stbH9kUr7lHzdsf");
/// assert_eq!(format!("{token:?}"), "Secret(***)");
/// assert_eq!(token.expose(), "stbH9kUr7lHzdsf");
/// ```
///
/// ```compile_fail
/// let token = vendor_types::Secret::from("stbH9kUr7lHzdsf");
/// let _ = format!("{token}"); // no Display: a secret is never formatted by accident
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[allow(
    clippy::to_string_trait_impl,
    reason = "`Display` is left out on purpose (see the type docs); the generated clients need `to_string()` for header values"
)]
impl ToString for Secret {
    fn to_string(&self) -> String {
        self.0.clone()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&String> for Secret {
    fn from(value: &String) -> Self {
        Secret(value.clone())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}
