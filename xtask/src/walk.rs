//! Walking an OpenAPI document as structure, not as arbitrary JSON.
//!
//! An OpenAPI document mixes structure (objects whose keys are keywords or names) with data
//! (`example`, `default`, `enum`, `Example.value`, `x-` extensions). A `$ref` key inside an
//! example is data, not a reference, so the walkers here skip data positions.

use serde_json::{Map, Value};
use spec_core::pointer;

pub use spec_core::openapi::{Operation, Parameter, operations, parameters, template_params};

/// Keys whose value is a map from *names* (not keywords) to structure.
const NAME_MAPS: &[&str] = &[
    "paths",
    "properties",
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "content",
    "encoding",
    "variables",
];

/// Keyword keys whose value is data, never structure.
const DATA_KEYS: &[&str] = &["example", "default", "enum", "value"];

/// Calls `visit(pointer, object)` for every structural object in the document.
pub fn structural_objects<'a>(
    root: &'a Value,
    mut visit: impl FnMut(&str, &'a Map<String, Value>),
) {
    fn go<'a>(
        value: &'a Value,
        ptr: &str,
        names: bool,
        visit: &mut dyn FnMut(&str, &'a Map<String, Value>),
    ) {
        match value {
            Value::Object(map) => {
                if !names {
                    visit(ptr, map);
                }
                for (key, child) in map {
                    if !names && (key.starts_with("x-") || DATA_KEYS.contains(&key.as_str())) {
                        continue;
                    }
                    // Children of a name map are structure again; children of a keyword object
                    // are name maps when the keyword says so.
                    let child_names = !names && NAME_MAPS.contains(&key.as_str());
                    go(child, &pointer::push(ptr, key), child_names, visit);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    go(item, &pointer::push(ptr, &i.to_string()), false, visit);
                }
            }
            _ => {}
        }
    }
    go(root, "", false, &mut visit);
}

/// Every `$ref` in structural position: `(pointer of the object holding it, target)`.
pub fn refs(root: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    structural_objects(root, |ptr, map| {
        if let Some(Value::String(target)) = map.get("$ref") {
            found.push((ptr.to_owned(), target.clone()));
        }
    });
    found
}

/// Resolves a local reference (`#/components/...`).
pub fn resolve<'a>(root: &'a Value, target: &str) -> Option<&'a Value> {
    let local = target.strip_prefix('#')?;
    if !local.is_empty() && !local.starts_with('/') {
        return None;
    }
    root.pointer(local)
}

/// Follows `$ref` chains and returns the pointer and value reached (see
/// [`spec_core::pointer::follow_refs`]).
pub fn deref<'a>(root: &'a Value, ptr: &str, value: &'a Value) -> Option<(String, &'a Value)> {
    pointer::follow_refs(root, ptr, value)
}

/// Every Schema Object of the document, by pointer: `components/schemas` and every `schema` of
/// a parameter, header or media type, with everything nested in them. `$ref`s are not followed
/// (their targets are visited where they are defined).
pub fn schemas(root: &Value) -> Vec<(String, &Value)> {
    let mut roots = Vec::new();
    if let Some(defined) = root
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in defined {
            roots.push((
                pointer::from_tokens(["components", "schemas", name]),
                schema,
            ));
        }
    }
    structural_objects(root, |ptr, map| {
        if let Some(schema) = map.get("schema") {
            roots.push((pointer::push(ptr, "schema"), schema));
        }
    });
    let mut found = Vec::new();
    let mut stack = roots;
    while let Some((ptr, schema)) = stack.pop() {
        let Some(map) = schema.as_object() else {
            continue;
        };
        if map.contains_key("$ref") {
            continue;
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = map.get(key).filter(|s| s.is_object()) {
                stack.push((pointer::push(&ptr, key), sub));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for (i, sub) in map
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                stack.push((
                    pointer::push(&pointer::push(&ptr, key), &i.to_string()),
                    sub,
                ));
            }
        }
        for (name, sub) in map
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            stack.push((pointer::push(&pointer::push(&ptr, "properties"), name), sub));
        }
        found.push((ptr, schema));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// One `x-waive` entry.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Pointer of the object that holds the `x-waive` map.
    pub holder: String,
    /// The waived rule id.
    pub rule: String,
    /// The reason given (empty when the value is not a string).
    pub reason: String,
}

/// Every `x-waive` entry in the document.
pub fn waivers(root: &Value) -> Vec<Waiver> {
    let mut found = Vec::new();
    structural_objects(root, |ptr, map| {
        if let Some(Value::Object(entries)) = map.get("x-waive") {
            for (rule, reason) in entries {
                found.push(Waiver {
                    holder: ptr.to_owned(),
                    rule: rule.clone(),
                    reason: reason.as_str().unwrap_or("").to_owned(),
                });
            }
        }
    });
    found
}

/// The pointer of the nearest structural object at or above `ptr`: the place a waiver for a
/// diagnostic at `ptr` lives. Objects inside example data never qualify.
pub fn nearest_structural(structural: &std::collections::HashSet<String>, ptr: &str) -> String {
    let mut current = ptr;
    loop {
        if structural.contains(current) || current.is_empty() {
            return current.to_owned();
        }
        current = &current[..current.rfind('/').unwrap_or(0)];
    }
}

/// The pointers of every structural object.
pub fn structural_pointers(root: &Value) -> std::collections::HashSet<String> {
    let mut set = std::collections::HashSet::new();
    structural_objects(root, |ptr, _| {
        set.insert(ptr.to_owned());
    });
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_skip_example_data_but_not_property_names() {
        let doc = json!({
            "components": {"schemas": {"A": {
                "type": "object",
                "properties": {"value": {"$ref": "#/components/schemas/B"},
                               "example": {"$ref": "#/components/schemas/C"}},
                "example": {"$ref": "not a reference"}
            }}},
            "x-data": {"$ref": "also not"}
        });
        let mut targets: Vec<String> = refs(&doc).into_iter().map(|(_, t)| t).collect();
        targets.sort();
        assert_eq!(
            targets,
            ["#/components/schemas/B", "#/components/schemas/C"]
        );
    }
}
