//! Credentials that must not leak into logs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A token, signature or key: shows as `Secret(***)` in `Debug` output.
///
/// The spec's credential schemas (`AccessToken`, the App ID `Authorization` value, the tokens in
/// authentication responses) are generated as this type, so request builders, request bodies
/// and decoded token responses can be debug-printed without exposing them.
///
/// `Display` and [`Secret::expose`] return the real value: the generated client writes header
/// values with `to_string()`, so `Display` has to. Never format a `Secret` with `{}` into a log.
///
/// ```
/// use vendor_types::Secret;
///
/// let token = Secret::from("stbH9kUr7lHzdsf");
/// assert_eq!(format!("{token:?}"), "Secret(***)");
/// assert_eq!(token.expose(), "stbH9kUr7lHzdsf");
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

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
