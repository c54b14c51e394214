//! Group 3 (generator rules) and group 5 (generator dry run).
//!
//! Group 3 encodes what progenitor 0.15.1 refuses or panics on (see
//! `../shared/reference/progenitor-notes.md` §2), plus two rules that keep generated clients
//! robust against vendors (open response objects, no string enums in responses).

use std::collections::BTreeSet;

use serde_json::Value;
use spec_core::pointer;

use crate::diagnostics::Diagnostic;
use crate::pipeline::LoadedSpec;
use crate::walk::{self, Operation};

pub(super) fn check(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let root = spec.value();
    let mut found = Vec::new();
    if let Some(paths) = root.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if item.get("$ref").is_some() {
                found.push(spec.diagnostic(
                    "no-path-item-ref",
                    &pointer::from_tokens(["paths", path, "$ref"]),
                    format!("path item `{path}` is a reference; write it inline"),
                ));
            }
        }
    }
    let mut response_schemas = Vec::new();
    for op in walk::operations(root) {
        responses(spec, root, &op, &mut found, &mut response_schemas);
        request_body(spec, root, &op, &mut found);
        parameters(spec, root, &op, &mut found);
    }
    open_responses(spec, root, &response_schemas, &mut found);
    found
}

/// What a response body becomes in generated code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum BodyKind {
    /// No content.
    None,
    /// Typed JSON, identified by the schema reached (ref target or inline schema text).
    Json(String),
    /// Any other media type: an untyped byte stream.
    Raw,
}

impl BodyKind {
    fn describe(&self) -> String {
        match self {
            BodyKind::None => "no body".into(),
            BodyKind::Json(sig) if sig.starts_with('#') => format!("`{sig}`"),
            BodyKind::Json(_) => "an inline schema".into(),
            BodyKind::Raw => "a non-JSON body".into(),
        }
    }
}

fn responses(
    spec: &LoadedSpec,
    root: &Value,
    op: &Operation<'_>,
    found: &mut Vec<Diagnostic>,
    response_schemas: &mut Vec<String>,
) {
    let responses_ptr = pointer::push(&op.pointer, "responses");
    let Some(responses) = op.value.get("responses").and_then(Value::as_object) else {
        return;
    };
    let mut success: Vec<(String, BodyKind)> = Vec::new();
    let mut errors: Vec<(String, BodyKind)> = Vec::new();
    let has_default = responses.contains_key("default");
    if has_default && responses.keys().filter(|k| !k.starts_with("x-")).count() > 1 {
        found.push(spec.diagnostic(
            "default-response-alone",
            &pointer::push(&responses_ptr, "default"),
            "`default` next to other responses makes progenitor count it as both a success and an error type; list the statuses instead".into(),
        ));
    }
    for (status, response) in responses {
        if status.starts_with("x-") {
            continue;
        }
        let use_ptr = pointer::push(&responses_ptr, status);
        let Some((ptr, response)) = walk::deref(root, &use_ptr, response) else {
            continue;
        };
        let kind = body_kind(spec, root, &ptr, response, found, response_schemas);
        let class = status.as_bytes().first().copied();
        match class {
            Some(b'2') => success.push((status.clone(), kind)),
            Some(b'4' | b'5') => errors.push((status.clone(), kind)),
            _ => {}
        }
    }
    for (rule, list, what) in [
        ("one-success-schema", &success, "success"),
        ("one-error-schema", &errors, "error"),
    ] {
        let kinds: BTreeSet<&BodyKind> = list.iter().map(|(_, kind)| kind).collect();
        if kinds.len() > 1 {
            let detail = list
                .iter()
                .map(|(status, kind)| format!("{status}: {}", kind.describe()))
                .collect::<Vec<_>>()
                .join(", ");
            let at = pointer::push(&responses_ptr, &list[0].0);
            found.push(spec.diagnostic(
                rule,
                &at,
                format!("{what} responses of `{}` differ ({detail}); progenitor needs one {what} type per operation", op.operation_id().unwrap_or(op.path)),
            ));
        }
    }
}

fn body_kind(
    spec: &LoadedSpec,
    root: &Value,
    response_ptr: &str,
    response: &Value,
    found: &mut Vec<Diagnostic>,
    response_schemas: &mut Vec<String>,
) -> BodyKind {
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return BodyKind::None;
    };
    if content.is_empty() {
        return BodyKind::None;
    }
    let content_ptr = pointer::push(response_ptr, "content");
    let mut kind = BodyKind::Raw;
    for (media_type, media) in content {
        let media_ptr = pointer::push(&content_ptr, media_type);
        if media.get("encoding").is_some() {
            found.push(spec.diagnostic(
                "supported-content-type",
                &pointer::push(&media_ptr, "encoding"),
                "progenitor cannot handle `encoding` on a response media type".into(),
            ));
        }
        if is_json(media_type) {
            match media.get("schema") {
                None => found.push(spec.diagnostic(
                    "json-response-schema",
                    &media_ptr,
                    format!("`{media_type}` response has no `schema`"),
                )),
                Some(schema) => {
                    let schema_ptr = pointer::push(&media_ptr, "schema");
                    let signature = match walk::deref(root, &schema_ptr, schema) {
                        Some((target, _)) if target != schema_ptr => format!("#{target}"),
                        _ => serde_json::to_string(schema).unwrap_or_default(),
                    };
                    response_schemas.push(schema_ptr);
                    kind = BodyKind::Json(signature);
                }
            }
        } else if media_type.contains("+json") {
            found.push(spec.diagnostic(
                "supported-content-type",
                &media_ptr,
                format!("progenitor does not treat `{media_type}` as JSON; the body would be untyped. Use `application/json`"),
            ));
        }
    }
    kind
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.starts_with("application/json;")
}

fn request_body(spec: &LoadedSpec, root: &Value, op: &Operation<'_>, found: &mut Vec<Diagnostic>) {
    let Some(body) = op.value.get("requestBody") else {
        return;
    };
    let use_ptr = pointer::push(&op.pointer, "requestBody");
    let Some((ptr, body)) = walk::deref(root, &use_ptr, body) else {
        return;
    };
    let Some(content) = body.get("content").and_then(Value::as_object) else {
        return;
    };
    let content_ptr = pointer::push(&ptr, "content");
    if content.len() > 1 {
        found.push(spec.diagnostic(
            "one-request-content-type",
            &content_ptr,
            format!(
                "request body offers {} media types ({}); progenitor panics on more than one",
                content.len(),
                content.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    for (media_type, media) in content {
        let media_ptr = pointer::push(&content_ptr, media_type);
        let base = media_type.split(';').next().unwrap_or("").trim();
        let supported = matches!(
            base,
            "application/json"
                | "application/x-www-form-urlencoded"
                | "application/octet-stream"
                | "text/plain"
                | "text/x-markdown"
        );
        if !supported {
            found.push(spec.diagnostic(
                "supported-content-type",
                &media_ptr,
                format!("progenitor cannot send a `{media_type}` request body"),
            ));
        }
        if media
            .get("encoding")
            .is_some_and(|e| e.as_object().is_some_and(|m| !m.is_empty()))
        {
            found.push(spec.diagnostic(
                "supported-content-type",
                &pointer::push(&media_ptr, "encoding"),
                "progenitor panics on `encoding` in a request body".into(),
            ));
        }
    }
}

fn parameters(spec: &LoadedSpec, root: &Value, op: &Operation<'_>, found: &mut Vec<Diagnostic>) {
    for param in walk::parameters(root, op) {
        if param.location() == "cookie" {
            found.push(spec.diagnostic(
                "no-cookie-params",
                &param.pointer,
                format!(
                    "cookie parameter `{}` is not supported by progenitor",
                    param.name()
                ),
            ));
        }
        if param.value.get("style").and_then(Value::as_str) == Some("deepObject") {
            found.push(spec.diagnostic(
                "no-deep-object",
                &pointer::push(&param.pointer, "style"),
                format!(
                    "parameter `{}` uses `style: deepObject`, which progenitor rejects",
                    param.name()
                ),
            ));
        }
    }
}

/// Walks every schema reachable from a response and reports closed objects and string enums.
fn open_responses(spec: &LoadedSpec, root: &Value, starts: &[String], found: &mut Vec<Diagnostic>) {
    let mut visited = BTreeSet::new();
    let mut stack: Vec<String> = starts.to_vec();
    while let Some(ptr) = stack.pop() {
        let Some(value) = root.pointer(&ptr) else {
            continue;
        };
        let Some((ptr, schema)) = walk::deref(root, &ptr, value) else {
            continue;
        };
        if !visited.insert(ptr.clone()) {
            continue;
        }
        let Some(map) = schema.as_object() else {
            continue;
        };
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            found.push(spec.diagnostic(
                "open-response-objects",
                &pointer::push(&ptr, "additionalProperties"),
                "a response schema says `additionalProperties: false`; any key a vendor adds would fail the whole response".into(),
            ));
        }
        let is_string = map.get("type").is_none_or(|t| t == "string");
        if is_string
            && map
                .get("enum")
                .is_some_and(|e| e.as_array().is_some_and(|a| a.iter().any(Value::is_string)))
        {
            found.push(spec.diagnostic(
                "no-response-string-enum",
                &pointer::push(&ptr, "enum"),
                "a string `enum` in a response becomes a closed Rust enum; a new vendor value would fail the whole response. Keep it a plain string and list the values in the description".into(),
            ));
        }
        for key in ["items", "additionalProperties", "not"] {
            if map.get(key).is_some_and(Value::is_object) {
                stack.push(pointer::push(&ptr, key));
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(list) = map.get(key).and_then(Value::as_array) {
                for i in 0..list.len() {
                    stack.push(pointer::push(&pointer::push(&ptr, key), &i.to_string()));
                }
            }
        }
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for name in props.keys() {
                stack.push(pointer::push(&pointer::push(&ptr, "properties"), name));
            }
        }
    }
}

/// Group 5: generate the client in memory (the same pipeline as `generate`, minus formatting
/// and writing) and parse the result.
pub(super) fn dry_run(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let entry =
        crate::catalogue::by_spec(&spec.file)
            .copied()
            .unwrap_or(crate::catalogue::SpecEntry {
                spec: "",
                output: "",
                sandbox_copy: "",
                crate_name: "",
                vendor: "",
                request_id_header: "",
                replacements: &[],
            });
    match crate::pipeline::generate_code(&entry, spec) {
        Ok(_) => Vec::new(),
        Err(diagnostic) => vec![*diagnostic],
    }
}
