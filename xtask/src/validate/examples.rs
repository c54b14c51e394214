//! Group 4: every example validates against its schema, with OpenAPI 3.0 semantics, and names
//! only keys its schema declares.
//!
//! Examples live in three places: a Schema Object's `example`; a Media Type's `example` or
//! `examples` (inline or `$ref`ed to `components/examples`); a Parameter's or Header's
//! `example` or `examples`. Each is checked against the schema it sits next to:
//!
//! - `example-valid`, with `spec_core::schema` (so `nullable`, `int32` ranges and `$ref`s
//!   behave as in OpenAPI 3.0);
//! - `example-undeclared-key`: every key of an example object whose schema lists `properties`
//!   must be one of them, even where `additionalProperties` lets other keys through. Response
//!   types keep unknown keys in an `extra` map, so a misspelt property in an example would
//!   otherwise decode, validate and pass every test while the real field stays unexercised.

use std::collections::HashSet;

use serde_json::Value;
use spec_core::pointer;
use spec_core::schema::{Direction, SchemaValidator};

use crate::diagnostics::Diagnostic;
use crate::pipeline::LoadedSpec;
use crate::walk;

/// One example and the schema it must match.
struct Site<'a> {
    /// Where the example value is written (for a `$ref`ed example, its definition).
    example_ptr: String,
    /// How reports name it.
    label: String,
    schema_ptr: String,
    schema: &'a Value,
    value: &'a Value,
    direction: Direction,
}

pub(super) fn check(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let root = spec.value();
    let validator = SchemaValidator::new(root.clone());
    let mut found = Vec::new();
    for site in sites(root) {
        let violations =
            validator.validate(site.schema, &site.schema_ptr, site.value, site.direction);
        // A `$ref` that does not resolve is reported once, by `ref-resolves`.
        for violation in violations
            .into_iter()
            .filter(|v| !v.schema_path.ends_with("/$ref"))
        {
            let at = format!("{}{}", site.example_ptr, violation.instance_path);
            let field = if violation.instance_path.is_empty() {
                String::new()
            } else {
                format!(" at `{}`", violation.field())
            };
            found.push(spec.diagnostic(
                "example-valid",
                &at,
                format!(
                    "{} does not match its schema{field}: {}",
                    site.label, violation.message
                ),
            ));
        }
        let mut undeclared = Vec::new();
        undeclared_keys(
            root,
            &[(site.schema_ptr.clone(), site.schema)],
            site.value,
            &site.example_ptr,
            &mut undeclared,
        );
        for (key_ptr, key, declared) in undeclared {
            let mut diagnostic = spec.diagnostic(
                "example-undeclared-key",
                &key_ptr,
                format!(
                    "{} uses key `{key}`, which its schema does not declare ({declared}); a misspelt field would only land in the `extra` map",
                    site.label
                ),
            );
            // Point at the key itself, not at its value.
            if let Some(position) = spec.doc.key_position(&key_ptr) {
                diagnostic.line = position.line;
                diagnostic.col = position.col;
            }
            found.push(diagnostic);
        }
    }
    found
}

/// Every example of the document with the schema it is checked against.
fn sites(root: &Value) -> Vec<Site<'_>> {
    let mut sites = Vec::new();

    // Schema Objects with an `example` of their own.
    for (schema_ptr, schema) in walk::schemas(root) {
        if let Some(example) = schema.get("example") {
            sites.push(Site {
                example_ptr: pointer::push(&schema_ptr, "example"),
                label: "this schema's `example`".to_owned(),
                direction: direction_of(&schema_ptr),
                schema_ptr,
                schema,
                value: example,
            });
        }
    }

    // Media types, parameters and headers: the objects that carry a `schema` next to examples.
    let mut holders = Vec::new();
    walk::structural_objects(root, |ptr, map| {
        if map.contains_key("schema")
            && (map.contains_key("example") || map.contains_key("examples"))
        {
            holders.push(ptr.to_owned());
        }
    });
    for holder_ptr in holders {
        let holder = root.pointer(&holder_ptr).expect("walked pointer exists");
        let schema = &holder["schema"];
        let schema_ptr = pointer::push(&holder_ptr, "schema");
        let direction = direction_of(&holder_ptr);
        if let Some(example) = holder.get("example") {
            sites.push(Site {
                example_ptr: pointer::push(&holder_ptr, "example"),
                label: "the `example`".to_owned(),
                schema_ptr: schema_ptr.clone(),
                schema,
                value: example,
                direction,
            });
        }
        for (name, entry) in holder
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let use_ptr = pointer::push(&pointer::push(&holder_ptr, "examples"), name);
            // A `$ref`ed example is reported where it is written, naming where it is used.
            let Some((example_ptr, example)) = walk::deref(root, &use_ptr, entry) else {
                continue; // `ref-resolves` reports it.
            };
            let Some(value) = example.get("value") else {
                continue;
            };
            let label = if example_ptr == use_ptr {
                format!("example `{name}`")
            } else {
                format!("example `{name}` (used at #{use_ptr})")
            };
            sites.push(Site {
                example_ptr: pointer::push(&example_ptr, "value"),
                label,
                schema_ptr: schema_ptr.clone(),
                schema,
                value,
                direction,
            });
        }
    }
    sites
}

/// Requests are what the client sends: request bodies and parameters.
fn direction_of(ptr: &str) -> Direction {
    if ptr.contains("/requestBody") || ptr.contains("/parameters/") {
        Direction::Request
    } else {
        Direction::Response
    }
}

/// Collects `(pointer, key, declared keys)` for every key of `value` (and of the objects
/// nested in it) that the schemas describing it do not declare.
///
/// A value is described by a set of candidate schemas rather than one: `$ref`s are followed,
/// and the branches of `allOf`, `oneOf` and `anyOf` all join the set. A key counts as declared
/// when any candidate lists it under `properties`, so a `oneOf` key is fine if any branch
/// declares it, whichever branch the validator would pick. The schemas of a declared key (from
/// every candidate declaring it) describe its value; items of arrays and values of free-form
/// maps (`additionalProperties` with a schema) are followed the same way.
///
/// Objects whose candidates declare no properties at all are free-form and not checked. A key
/// that every declaring candidate closes with `additionalProperties: false` is left to
/// `example-valid`, which already rejects it.
fn undeclared_keys(
    root: &Value,
    schemas: &[(String, &Value)],
    value: &Value,
    value_ptr: &str,
    out: &mut Vec<(String, String, String)>,
) {
    let candidates = expand(root, schemas);
    match value {
        Value::Object(members) => {
            let declaring: Vec<&(String, &Value)> = candidates
                .iter()
                .filter(|(_, s)| properties(s).is_some_and(|p| !p.is_empty()))
                .collect();
            for (key, member) in members {
                let member_ptr = pointer::push(value_ptr, key);
                let mut member_schemas: Vec<(String, &Value)> = Vec::new();
                for (ptr, schema) in &declaring {
                    if let Some(sub) = properties(schema).and_then(|p| p.get(key)) {
                        let at = pointer::push(&pointer::push(ptr, "properties"), key);
                        member_schemas.push((at, sub));
                    }
                }
                if member_schemas.is_empty() && !declaring.is_empty() {
                    let closed = declaring
                        .iter()
                        .all(|(_, s)| s.get("additionalProperties") == Some(&Value::Bool(false)));
                    if !closed {
                        out.push((member_ptr, key.clone(), declared_list(key, &declaring)));
                    }
                    continue;
                }
                if declaring.is_empty() {
                    // A free-form map: its values follow `additionalProperties` schemas.
                    for (ptr, schema) in &candidates {
                        if let Some(sub) =
                            schema.get("additionalProperties").filter(|s| s.is_object())
                        {
                            member_schemas.push((pointer::push(ptr, "additionalProperties"), sub));
                        }
                    }
                }
                if !member_schemas.is_empty() {
                    undeclared_keys(root, &member_schemas, member, &member_ptr, out);
                }
            }
        }
        Value::Array(items) => {
            let item_schemas: Vec<(String, &Value)> = candidates
                .iter()
                .filter_map(|(ptr, s)| {
                    s.get("items")
                        .filter(|i| i.is_object())
                        .map(|i| (pointer::push(ptr, "items"), i))
                })
                .collect();
            if item_schemas.is_empty() {
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let item_ptr = pointer::push(value_ptr, &i.to_string());
                undeclared_keys(root, &item_schemas, item, &item_ptr, out);
            }
        }
        _ => {}
    }
}

/// The schemas themselves plus every schema reachable through `$ref`, `allOf`, `oneOf` and
/// `anyOf`, each once (so cyclic schemas end), with its pointer.
fn expand<'a>(root: &'a Value, schemas: &[(String, &'a Value)]) -> Vec<(String, &'a Value)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<(String, &'a Value)> = schemas.iter().rev().cloned().collect();
    while let Some((ptr, schema)) = stack.pop() {
        // An unresolvable `$ref` is `ref-resolves`'s to report.
        let Some((ptr, schema)) = walk::deref(root, &ptr, schema) else {
            continue;
        };
        if !seen.insert(ptr.clone()) {
            continue;
        }
        for keyword in ["anyOf", "oneOf", "allOf"] {
            let branches = schema.get(keyword).and_then(Value::as_array);
            let branches = branches.map(Vec::as_slice).unwrap_or_default();
            for (i, branch) in branches.iter().enumerate().rev() {
                let at = pointer::push(&pointer::push(&ptr, keyword), &i.to_string());
                stack.push((at, branch));
            }
        }
        out.push((ptr, schema));
    }
    out
}

fn properties(schema: &Value) -> Option<&serde_json::Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

/// The declared keys, for the message: the closest one when `key` looks like a misspelling
/// of it, else the list (the first few and a count).
fn declared_list(key: &str, declaring: &[&(String, &Value)]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for (_, schema) in declaring {
        for declared in properties(schema).into_iter().flat_map(|p| p.keys()) {
            if !keys.contains(&declared.as_str()) {
                keys.push(declared);
            }
        }
    }
    let closest = keys
        .iter()
        .map(|declared| (edit_distance(key, declared), *declared))
        .min();
    if let Some((distance, declared)) = closest
        && distance <= 2.max(key.chars().count() / 4)
    {
        return format!("did you mean `{declared}`?");
    }
    const SHOWN: usize = 8;
    let mut list: Vec<String> = keys.iter().take(SHOWN).map(|k| format!("`{k}`")).collect();
    if keys.len() > SHOWN {
        list.push(format!("and {} more", keys.len() - SHOWN));
    }
    format!("declared: {}", list.join(", "))
}

/// Levenshtein distance over characters, with adjacent transpositions counting as one edit
/// (`usgae` is one edit from `usage`).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // rows[i][j]: distance between a[..i] and b[..j]
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_reported(source: &str) -> Vec<(&'static str, String)> {
        let spec = LoadedSpec::parse("t.yaml", source).unwrap();
        check(&spec)
            .into_iter()
            .map(|d| (d.rule, d.pointer))
            .collect()
    }

    const CLOSED: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A:\n      type: object\n      properties:\n        name: {type: string}\n      additionalProperties: false\n      example: {name: a, nmae: b}\n";

    /// A closed object already fails `example-valid` for an unknown key; it is reported once.
    #[test]
    fn a_closed_schema_leaves_unknown_keys_to_example_valid() {
        let found = rules_reported(CLOSED);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "example-valid");
    }

    #[test]
    fn an_open_schema_reports_the_key_and_free_form_maps_are_not_checked() {
        let open = CLOSED.replace("additionalProperties: false", "additionalProperties: {}");
        assert_eq!(
            rules_reported(&open),
            [(
                "example-undeclared-key",
                "/components/schemas/A/example/nmae".to_owned()
            )]
        );
        let map = CLOSED
            .replace("      properties:\n        name: {type: string}\n", "")
            .replace(
                "additionalProperties: false",
                "additionalProperties: {type: string}",
            );
        assert_eq!(rules_reported(&map), []);
    }

    #[test]
    fn edit_distance_counts_a_transposition_once() {
        assert_eq!(edit_distance("usgae", "usage"), 1);
        assert_eq!(edit_distance("plan_zmhybird", "plan_zmhybrid"), 1);
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("colour", "color"), 1);
        assert_eq!(edit_distance("total", "hosts"), 4);
    }
}
