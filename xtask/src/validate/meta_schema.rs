//! Group 1: validation against the official OpenAPI 3.0 JSON Schema.
//!
//! The schema (`xtask/schemas/openapi-3.0.schema.json`, provenance in the README next to it)
//! is draft-04 and describes most objects as "`oneOf` a Schema or a Reference", so a typo deep
//! in a schema first surfaces as "not valid under any of the given schemas". To say where the
//! typo is, a failed `oneOf`/`anyOf` is replaced by the errors of its most plausible branch:
//! the Reference branch if the object has a `$ref`, otherwise the branch whose errors reach
//! deepest into the document.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::diagnostics::Diagnostic;
use crate::pipeline::LoadedSpec;

const OPENAPI_30_SCHEMA: &str = include_str!("../../schemas/openapi-3.0.schema.json");

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        crate::timings::timed("-", "compile meta-schema", || {
            let schema: Value =
                serde_json::from_str(OPENAPI_30_SCHEMA).expect("the vendored schema is JSON");
            jsonschema::draft4::options()
                .should_validate_formats(true)
                .build(&schema)
                .expect("the vendored schema compiles")
        })
    })
}

pub(super) fn check(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let instance = spec.value();
    let mut found = Vec::new();
    for error in validator().iter_errors(instance) {
        for (pointer, message, at_key) in refine(instance, &error) {
            let mut diagnostic = spec.diagnostic("openapi-schema", &pointer, message);
            // A key that is not allowed is reported where the key is written.
            if at_key && let Some(position) = spec.doc.key_position(&pointer) {
                diagnostic.line = position.line;
                diagnostic.col = position.col;
            }
            found.push(diagnostic);
        }
    }
    found.sort_by(|a, b| (a.line, a.col, &a.message).cmp(&(b.line, b.col, &b.message)));
    found.dedup_by(|a, b| a.pointer == b.pointer && a.message == b.message);
    found
}

/// Turns one error into `(pointer, message, at the key?)` triples that point at the defect.
fn refine(instance: &Value, error: &ValidationError<'_>) -> Vec<(String, String, bool)> {
    let at = error.instance_path().as_str().to_owned();
    match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context }
            if !context.is_empty() =>
        {
            let node = instance.pointer(&at);
            let has_ref = node.and_then(|n| n.get("$ref")).is_some();
            let branch = context
                .iter()
                .filter(|errors| !errors.is_empty())
                .max_by_key(|errors| {
                    let mentions_ref = errors
                        .iter()
                        .any(|e| matches!(e.kind(), ValidationErrorKind::Required { property } if property == "$ref"));
                    // With a `$ref` the Reference branch is the one the author meant; without
                    // one, the branch that demands a `$ref` is the wrong one.
                    let agrees = has_ref == mentions_ref;
                    let depth = errors.iter().map(|e| e.instance_path().as_str().len()).max().unwrap_or(0);
                    (agrees, depth, usize::MAX - errors.len())
                });
            match branch {
                Some(errors) => errors.iter().flat_map(|e| refine(instance, e)).collect(),
                None => vec![(at, clean(&error.to_string()), false)],
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| {
                (
                    spec_core::pointer::push(&at, key),
                    format!(
                        "`{key}` is not allowed here (misspelt keyword? extensions start with `x-`)"
                    ),
                    true,
                )
            })
            .collect(),
        _ => vec![(at, clean(&error.to_string()), false)],
    }
}

/// One line, without the instance dump the library appends to some messages.
fn clean(message: &str) -> String {
    spec_core::schema::ellipsize(message.lines().next().unwrap_or(message), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(source: &str) -> Vec<(String, String)> {
        let spec = LoadedSpec::parse("t.yaml", source).unwrap();
        check(&spec)
            .into_iter()
            .map(|d| (d.pointer, d.message))
            .collect()
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n";

    #[test]
    fn a_clean_document_passes() {
        assert_eq!(messages(&format!("{HEAD}paths: {{}}\n")), vec![]);
    }

    #[test]
    fn a_type_typo_is_pinned_to_its_keyword() {
        let src =
            format!("{HEAD}paths: {{}}\ncomponents:\n  schemas:\n    A:\n      type: integr\n");
        let found = messages(&src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/components/schemas/A/type");
        assert!(found[0].1.contains("integr"), "{}", found[0].1);
    }

    #[test]
    fn an_unknown_keyword_is_pinned_to_itself() {
        let src = format!(
            "{HEAD}paths: {{}}\ncomponents:\n  schemas:\n    A:\n      type: object\n      requird: [a]\n"
        );
        let found = messages(&src);
        assert_eq!(
            found,
            vec![(
                "/components/schemas/A/requird".to_owned(),
                "`requird` is not allowed here (misspelt keyword? extensions start with `x-`)"
                    .to_owned()
            )]
        );
    }
}
