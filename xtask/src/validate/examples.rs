//! Group 4: every example validates against its schema, with OpenAPI 3.0 semantics.
//!
//! Examples live in three places: a Schema Object's `example`; a Media Type's `example` or
//! `examples` (inline or `$ref`ed to `components/examples`); a Parameter's or Header's
//! `example` or `examples`. Each is checked against the schema it sits next to, with
//! `spec_core::schema` (so `nullable`, `int32` ranges and `$ref`s behave as in OpenAPI 3.0).

use serde_json::Value;
use spec_core::pointer;
use spec_core::schema::{Direction, SchemaValidator};

use super::LoadedSpec;
use super::walk;
use crate::diagnostics::Diagnostic;

pub(super) fn check(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let root = spec.value();
    let validator = SchemaValidator::new(root.clone());
    let mut found = Vec::new();
    let mut report =
        |example_ptr: &str, label: &str, violations: Vec<spec_core::schema::Violation>| {
            // A `$ref` that does not resolve is reported once, by `ref-resolves`.
            for violation in violations
                .into_iter()
                .filter(|v| !v.schema_path.ends_with("/$ref"))
            {
                let at = format!("{example_ptr}{}", violation.instance_path);
                let field = if violation.instance_path.is_empty() {
                    String::new()
                } else {
                    format!(" at `{}`", violation.field())
                };
                found.push(spec.diagnostic(
                    "example-valid",
                    &at,
                    format!(
                        "{label} does not match its schema{field}: {}",
                        violation.message
                    ),
                ));
            }
        };

    // Schema Objects with an `example` of their own.
    for (schema_ptr, schema) in walk::schemas(root) {
        if let Some(example) = schema.get("example") {
            let violations =
                validator.validate(schema, &schema_ptr, example, direction_of(&schema_ptr));
            report(
                &pointer::push(&schema_ptr, "example"),
                "this schema's `example`",
                violations,
            );
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
            let violations = validator.validate(schema, &schema_ptr, example, direction);
            report(
                &pointer::push(&holder_ptr, "example"),
                "the `example`",
                violations,
            );
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
            let violations = validator.validate(schema, &schema_ptr, value, direction);
            report(&pointer::push(&example_ptr, "value"), &label, violations);
        }
    }
    found
}

/// Requests are what the client sends: request bodies and parameters.
fn direction_of(ptr: &str) -> Direction {
    if ptr.contains("/requestBody") || ptr.contains("/parameters/") {
        Direction::Request
    } else {
        Direction::Response
    }
}
