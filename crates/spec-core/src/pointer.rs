//! JSON pointer (RFC 6901) helpers.

/// Escapes one reference token (`~` → `~0`, `/` → `~1`).
///
/// ```
/// assert_eq!(spec_core::pointer::escape("/accounts/{accountId}"), "~1accounts~1{accountId}");
/// ```
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape`].
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Appends one unescaped token to a pointer.
///
/// ```
/// assert_eq!(spec_core::pointer::push("/paths", "/x"), "/paths/~1x");
/// ```
pub fn push(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

/// Builds a pointer from unescaped tokens.
///
/// ```
/// assert_eq!(spec_core::pointer::from_tokens(["paths", "/x", "get"]), "/paths/~1x/get");
/// ```
pub fn from_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    tokens
        .into_iter()
        .fold(String::new(), |acc, t| push(&acc, t))
}

/// Splits a pointer into unescaped tokens (`""` → no tokens).
pub fn tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(unescape)
        .collect()
}
