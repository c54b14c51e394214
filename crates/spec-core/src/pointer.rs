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

/// Follows a chain of local `$ref`s (`{"$ref": "#/components/..."}`) from `value`, which sits
/// at `ptr` in `root`. Returns the pointer and value finally reached; `None` when a reference
/// does not resolve or the chain is longer than 32 (a cycle).
///
/// ```
/// use serde_json::json;
/// let doc = json!({"components": {"schemas": {
///     "A": {"$ref": "#/components/schemas/B"},
///     "B": {"type": "string"}
/// }}});
/// let start = json!({"$ref": "#/components/schemas/A"});
/// let (ptr, value) = spec_core::pointer::follow_refs(&doc, "/x", &start).unwrap();
/// assert_eq!(ptr, "/components/schemas/B");
/// assert_eq!(value, &json!({"type": "string"}));
/// assert!(spec_core::pointer::follow_refs(&doc, "/x", &json!({"$ref": "#/nowhere"})).is_none());
/// ```
pub fn follow_refs<'a>(
    root: &'a serde_json::Value,
    ptr: &str,
    value: &'a serde_json::Value,
) -> Option<(String, &'a serde_json::Value)> {
    let mut current = (ptr.to_owned(), value);
    for _ in 0..32 {
        match current.1.get("$ref").and_then(serde_json::Value::as_str) {
            Some(target) => {
                let local = target.strip_prefix('#')?;
                let next = root.pointer(local)?;
                current = (local.to_owned(), next);
            }
            None => return Some(current),
        }
    }
    None
}
