//! The OpenAPI structure every tool reads the same way: operations, the parameters that apply
//! to each (path-item level merged with operation level), path templates and media-type
//! examples.
//!
//! `xtask` (validation, diff), the sandbox and the end-to-end tests all read specs through
//! these functions, so they agree on which operations exist and which parameters apply.

use serde_json::Value;

use crate::pointer;

/// HTTP methods that can hold an operation in a path item, in the order the OpenAPI
/// specification lists them.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of a document.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// The path template, e.g. `/accounts/{accountId}/plans`.
    pub path: &'a str,
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// Pointer of the operation object.
    pub pointer: String,
    /// The operation object.
    pub value: &'a Value,
    /// The enclosing path item.
    pub path_item: &'a Value,
}

impl Operation<'_> {
    /// The operation's id, if any.
    pub fn operation_id(&self) -> Option<&str> {
        self.value.get("operationId").and_then(Value::as_str)
    }
}

/// Every operation, in document order (paths in order, methods in [`METHODS`] order).
/// `x-` keys under `paths` are skipped.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"paths": {
///     "/a": {"post": {"operationId": "B"}, "get": {"operationId": "A"}},
///     "x-note": {"get": {}}
/// }});
/// let ops = spec_core::openapi::operations(&doc);
/// let ids: Vec<_> = ops.iter().map(|op| (op.method, op.operation_id().unwrap())).collect();
/// assert_eq!(ids, [("get", "A"), ("post", "B")]);
/// assert_eq!(ops[0].pointer, "/paths/~1a/get");
/// ```
pub fn operations(root: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    let Some(paths) = root.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                found.push(Operation {
                    path,
                    method,
                    pointer: pointer::from_tokens(["paths", path, method]),
                    value: op,
                    path_item: item,
                });
            }
        }
    }
    found
}

/// A parameter that applies to an operation.
#[derive(Debug, Clone)]
pub struct Parameter<'a> {
    /// Where it is written (after following `$ref`).
    pub pointer: String,
    /// Where it is used from (the operation's or path item's list entry).
    pub use_pointer: String,
    /// The parameter object.
    pub value: &'a Value,
}

impl Parameter<'_> {
    /// `name` (empty when missing).
    pub fn name(&self) -> &str {
        self.value.get("name").and_then(Value::as_str).unwrap_or("")
    }

    /// `in` (empty when missing).
    pub fn location(&self) -> &str {
        self.value.get("in").and_then(Value::as_str).unwrap_or("")
    }

    /// Whether `required: true`.
    pub fn required(&self) -> bool {
        self.value.get("required") == Some(&Value::Bool(true))
    }

    /// Whether `other` names the same parameter: the same `name` and `in`, compared exactly,
    /// which is how OpenAPI defines a parameter's identity.
    pub fn same_as(&self, other: &Parameter<'_>) -> bool {
        self.location() == other.location() && self.name() == other.name()
    }
}

/// The parameters of an operation: path-item ones first, then the operation's, where an
/// operation-level parameter replaces the path-level one it is [the same as](Parameter::same_as).
/// Unresolvable references are skipped (validation reports them as `ref-resolves`).
///
/// progenitor 0.15.1 merges by name alone; the two agree as long as no operation uses one
/// parameter name in two locations, which none of our specs does.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"paths": {"/a/{id}": {
///     "parameters": [{"name": "id", "in": "path", "required": true},
///                    {"name": "X-Token", "in": "header"}],
///     "get": {"parameters": [{"name": "X-Token", "in": "header", "required": true}]}
/// }}});
/// let ops = spec_core::openapi::operations(&doc);
/// let params = spec_core::openapi::parameters(&doc, &ops[0]);
/// let names: Vec<_> = params.iter().map(|p| (p.name(), p.required())).collect();
/// assert_eq!(names, [("id", true), ("X-Token", true)]);
/// ```
pub fn parameters<'a>(root: &'a Value, op: &Operation<'a>) -> Vec<Parameter<'a>> {
    let mut result: Vec<Parameter<'a>> = Vec::new();
    let item_ptr = pointer::from_tokens(["paths", op.path]);
    let sources = [(op.path_item, item_ptr), (op.value, op.pointer.clone())];
    for (holder, holder_ptr) in sources {
        let Some(list) = holder.get("parameters").and_then(Value::as_array) else {
            continue;
        };
        for (i, entry) in list.iter().enumerate() {
            let use_pointer =
                pointer::push(&pointer::push(&holder_ptr, "parameters"), &i.to_string());
            let Some((ptr, value)) = pointer::follow_refs(root, &use_pointer, entry) else {
                continue;
            };
            let param = Parameter {
                pointer: ptr,
                use_pointer,
                value,
            };
            result.retain(|p| !p.same_as(&param));
            result.push(param);
        }
    }
    result
}

/// The `{name}` placeholders of a path template, in order.
///
/// ```
/// assert_eq!(spec_core::openapi::template_params("/a/{x}/b/{y}"), ["x", "y"]);
/// assert!(spec_core::openapi::template_params("/a").is_empty());
/// ```
pub fn template_params(path: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        names.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    names
}

/// One example of a media type object.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaExample<'a> {
    /// Its key under `examples`, or `example` for a lone `example`.
    pub name: &'a str,
    /// The payload (`value` of the Example Object, `$ref`s followed).
    pub value: &'a Value,
}

/// The examples of a media type object: its `example` (named `example`), then every entry of
/// `examples` with a `value`, following `$ref`s to `components/examples`. Entries whose
/// reference does not resolve or that only have an `externalValue` are skipped.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"components": {"examples": {"Shared": {"value": {"code": 1001}}}}});
/// let media = json!({"examples": {
///     "inline": {"value": {"code": 300}},
///     "shared": {"$ref": "#/components/examples/Shared"}
/// }});
/// let found = spec_core::openapi::media_examples(&doc, &media);
/// assert_eq!(found[0].name, "inline");
/// assert_eq!(found[1].value, &json!({"code": 1001}));
/// ```
pub fn media_examples<'a>(root: &'a Value, media: &'a Value) -> Vec<MediaExample<'a>> {
    let mut found = Vec::new();
    if let Some(value) = media.get("example") {
        found.push(MediaExample {
            name: "example",
            value,
        });
    }
    for (name, entry) in media
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(value) =
            pointer::follow_refs(root, "", entry).and_then(|(_, example)| example.get("value"))
        {
            found.push(MediaExample { name, value });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_operation_parameter_replaces_only_the_exact_same_name_and_location() {
        let doc = json!({"paths": {"/a": {
            "parameters": [{"name": "page", "in": "query"}, {"name": "X-A", "in": "header"},
                           {"name": "page", "in": "header"}],
            "get": {"parameters": [{"name": "page", "in": "query", "required": true},
                                   {"name": "x-a", "in": "header"}]}
        }}});
        let ops = operations(&doc);
        let params = parameters(&doc, &ops[0]);
        let found: Vec<_> = params.iter().map(|p| (p.location(), p.name())).collect();
        assert_eq!(
            found,
            [
                ("header", "X-A"),
                ("header", "page"),
                ("query", "page"),
                ("header", "x-a")
            ]
        );
        assert!(params[2].required());
        assert_eq!(params[2].use_pointer, "/paths/~1a/get/parameters/0");
    }

    #[test]
    fn parameter_refs_are_followed_and_broken_ones_skipped() {
        let doc = json!({
            "components": {"parameters": {"Id": {"name": "id", "in": "path"}}},
            "paths": {"/a/{id}": {"get": {"parameters": [
                {"$ref": "#/components/parameters/Id"},
                {"$ref": "#/components/parameters/Missing"}
            ]}}}
        });
        let ops = operations(&doc);
        let params = parameters(&doc, &ops[0]);
        assert_eq!(params.len(), 1);
        assert_eq!(params[0].pointer, "/components/parameters/Id");
        assert_eq!(params[0].use_pointer, "/paths/~1a~1{id}/get/parameters/0");
    }

    #[test]
    fn unclosed_template_brace_ends_the_list() {
        assert_eq!(template_params("/a/{x}/{broken"), ["x"]);
    }

    #[test]
    fn media_examples_skip_external_and_broken_entries() {
        let doc = json!({});
        let media = json!({
            "example": 1,
            "examples": {"ext": {"externalValue": "https://x"}, "bad": {"$ref": "#/nope"}}
        });
        let found = media_examples(&doc, &media);
        assert_eq!(
            found,
            [MediaExample {
                name: "example",
                value: &json!(1)
            }]
        );
    }
}
