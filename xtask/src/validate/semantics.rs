//! Group 2: references, operation ids, path parameters and versions.

use std::collections::BTreeMap;

use serde_json::Value;
use spec_core::pointer;

use crate::diagnostics::Diagnostic;
use crate::pipeline::LoadedSpec;
use crate::walk;

pub(super) fn check(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let root = spec.value();
    let mut found = Vec::new();
    versions(spec, root, &mut found);
    references(spec, root, &mut found);
    unused_components(spec, root, &mut found);
    security_requirements(spec, root, "/security", root.get("security"), &mut found);
    for op in walk::operations(root) {
        operation_id(spec, &op, &mut found);
        path_parameters(spec, root, &op, &mut found);
        let at = pointer::push(&op.pointer, "security");
        security_requirements(spec, root, &at, op.value.get("security"), &mut found);
    }
    for (ptr, schema) in walk::schemas(root) {
        if schema.get("nullable") == Some(&Value::Bool(true)) && schema.get("type").is_none() {
            found.push(spec.diagnostic(
                "nullable-needs-type",
                &pointer::push(&ptr, "nullable"),
                "`nullable: true` has no effect without a `type` in the same schema; add the type (e.g. `type: object` next to `allOf`)".into(),
            ));
        }
    }
    found
}

/// Component kinds that are used through `$ref` (security schemes are used by name, in
/// `security` requirements, and checked by `security-scheme-resolves`).
const REFERENCED_COMPONENTS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
];

/// Every component of a `$ref`-able kind is the target of (or contains the target of) at least
/// one structural `$ref`. A reference from another unused component still counts, as in
/// Redocly, so removing one dead component never makes another appear.
fn unused_components(spec: &LoadedSpec, root: &Value, found: &mut Vec<Diagnostic>) {
    let targets: Vec<String> = walk::refs(root)
        .into_iter()
        .filter_map(|(_, target)| target.strip_prefix('#').map(str::to_owned))
        .collect();
    for kind in REFERENCED_COMPONENTS {
        let Some(defined) = root
            .pointer(&pointer::from_tokens(["components", kind]))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for name in defined.keys().filter(|name| !name.starts_with("x-")) {
            let at = pointer::from_tokens(["components", kind, name]);
            let used = targets.iter().any(|target| {
                target == &at
                    || target
                        .strip_prefix(at.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            });
            if !used {
                found.push(spec.diagnostic(
                    "component-used",
                    &at,
                    format!("`{name}` under `components.{kind}` is never referenced; use it with a `$ref` or remove it"),
                ));
            }
        }
    }
}

/// Each name in a security requirement list must be a declared security scheme.
fn security_requirements(
    spec: &LoadedSpec,
    root: &Value,
    at: &str,
    requirements: Option<&Value>,
    found: &mut Vec<Diagnostic>,
) {
    let Some(requirements) = requirements.and_then(Value::as_array) else {
        return;
    };
    for (index, requirement) in requirements.iter().enumerate() {
        for name in requirement.as_object().into_iter().flat_map(|o| o.keys()) {
            let declared = pointer::from_tokens(["components", "securitySchemes", name]);
            if root.pointer(&declared).is_none() {
                let here = pointer::push(&pointer::push(at, &index.to_string()), name);
                found.push(spec.diagnostic(
                    "security-scheme-resolves",
                    &here,
                    format!("security scheme `{name}` is not declared under `components.securitySchemes`"),
                ));
            }
        }
    }
}

fn versions(spec: &LoadedSpec, root: &Value, found: &mut Vec<Diagnostic>) {
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if is_oas_30(v) => {}
        Some(v) => found.push(spec.diagnostic(
            "openapi-version",
            "/openapi",
            format!("`openapi: {v}` is not 3.0.x; write `openapi: 3.0.3`"),
        )),
        None => found.push(spec.diagnostic(
            "openapi-version",
            "/openapi",
            "`openapi` is missing or not a string; write `openapi: 3.0.3`".into(),
        )),
    }
    if let Some(version) = root.pointer("/info/version").and_then(Value::as_str)
        && !version.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        found.push(spec.diagnostic(
            "info-version-ascii",
            "/info/version",
            format!(
                "`{version}` is not printable ASCII; generated clients would panic on every request"
            ),
        ));
    }
}

fn is_oas_30(version: &str) -> bool {
    version
        .strip_prefix("3.0.")
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

fn references(spec: &LoadedSpec, root: &Value, found: &mut Vec<Diagnostic>) {
    for (holder, target) in walk::refs(root) {
        let at = pointer::push(&holder, "$ref");
        if !target.starts_with('#') {
            found.push(spec.diagnostic(
                "ref-resolves",
                &at,
                format!("`{target}` is an external reference; the generator only follows references inside the document (`#/...`)"),
            ));
        } else if walk::resolve(root, &target).is_none() {
            found.push(spec.diagnostic(
                "ref-resolves",
                &at,
                format!("`{target}` does not resolve to anything in this document"),
            ));
        } else {
            let (kind, prefix) = expected_target(&holder);
            if !target.starts_with(prefix) {
                found.push(spec.diagnostic(
                    "ref-target-kind",
                    &at,
                    format!("a {kind} is expected here, but `{target}` is not under `{prefix}`"),
                ));
            }
        }
    }
}

/// What a `$ref` at `holder` must point to: (what, prefix of the target).
fn expected_target(holder: &str) -> (&'static str, &'static str) {
    const SCHEMA_CONTEXT: &[&str] = &[
        "schema",
        "schemas",
        "properties",
        "items",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "additionalProperties",
    ];
    let tokens = pointer::tokens(holder);
    if tokens.iter().any(|t| SCHEMA_CONTEXT.contains(&t.as_str())) {
        return ("schema", "#/components/schemas/");
    }
    let last = tokens.last().map(String::as_str).unwrap_or("");
    let parent = tokens
        .len()
        .checked_sub(2)
        .map_or("", |i| tokens[i].as_str());
    match (parent, last) {
        ("paths", _) => ("path item", "#/paths/"),
        ("responses", _) => ("response", "#/components/responses/"),
        ("parameters", _) => ("parameter", "#/components/parameters/"),
        (_, "requestBody") | ("requestBodies", _) => {
            ("request body", "#/components/requestBodies/")
        }
        ("examples", _) => ("example", "#/components/examples/"),
        ("headers", _) => ("header", "#/components/headers/"),
        ("securitySchemes", _) => ("security scheme", "#/components/securitySchemes/"),
        ("links", _) => ("link", "#/components/links/"),
        ("callbacks", _) => ("callback", "#/components/callbacks/"),
        _ => ("schema", "#/components/schemas/"),
    }
}

fn operation_id(spec: &LoadedSpec, op: &walk::Operation<'_>, found: &mut Vec<Diagnostic>) {
    match op.value.get("operationId") {
        None => found.push(spec.diagnostic(
            "operation-id-present",
            &op.pointer,
            format!(
                "{} {} has no operationId; the generator needs one to name the method",
                op.method.to_uppercase(),
                op.path
            ),
        )),
        Some(Value::String(id)) => {
            let mut chars = id.chars();
            let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                found.push(spec.diagnostic(
                    "operation-id-format",
                    &pointer::push(&op.pointer, "operationId"),
                    format!(
                        "`{id}` is not an identifier (letters, digits, `_`, starting with a letter)"
                    ),
                ));
            }
        }
        // A non-string id is a JSON Schema violation, reported by the structure group.
        Some(_) => {}
    }
}

fn path_parameters(
    spec: &LoadedSpec,
    root: &Value,
    op: &walk::Operation<'_>,
    found: &mut Vec<Diagnostic>,
) {
    let params = walk::parameters(root, op);
    let in_path: Vec<_> = params.iter().filter(|p| p.location() == "path").collect();
    let template = walk::template_params(op.path);
    for name in &template {
        if !in_path.iter().any(|p| p.name() == *name) {
            found.push(spec.diagnostic(
                "path-param-declared",
                &op.pointer,
                format!(
                    "{} {} uses `{{{name}}}` but declares no `in: path` parameter `{name}`",
                    op.method.to_uppercase(),
                    op.path
                ),
            ));
        }
    }
    for param in in_path {
        if !template.contains(&param.name()) {
            found.push(spec.diagnostic(
                "path-param-unused",
                &param.use_pointer,
                format!(
                    "path parameter `{}` does not appear in the template `{}`",
                    param.name(),
                    op.path
                ),
            ));
        }
        if param.value.get("required") != Some(&Value::Bool(true)) {
            found.push(spec.diagnostic(
                "path-param-required",
                &param.pointer,
                format!(
                    "path parameter `{}` must say `required: true`",
                    param.name()
                ),
            ));
        }
    }
}

/// Operation ids must be unique within a spec and across specs generated into one crate, also
/// after the generator turns them into snake_case method names.
pub(super) fn unique_operation_ids(
    specs: &[LoadedSpec],
    crates: &[Option<&str>],
) -> Vec<Diagnostic> {
    // Key: (crate or spec file, snake-case id) → first (spec index, pointer, raw id).
    let mut seen: BTreeMap<(String, String), (usize, String, String)> = BTreeMap::new();
    let mut found = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let scope = crates
            .get(index)
            .copied()
            .flatten()
            .map_or_else(|| format!("file {}", spec.file), |c| format!("crate {c}"));
        for op in walk::operations(spec.value()) {
            let Some(id) = op.operation_id() else {
                continue;
            };
            let at = pointer::push(&op.pointer, "operationId");
            let key = (scope.clone(), snake_case(id));
            match seen.get(&key) {
                Some((first_index, first_ptr, first_id)) => {
                    let first = &specs[*first_index];
                    let line = first.doc.locate(first_ptr).line;
                    let same = if first_id == id {
                        format!("`{id}` is already used")
                    } else {
                        format!("`{id}` becomes the same method name as `{first_id}`")
                    };
                    found.push(spec.diagnostic(
                        "operation-id-unique",
                        &at,
                        format!("{same} at {}:{line} ({scope})", first.file),
                    ));
                }
                None => {
                    seen.insert(key, (index, at, id.to_owned()));
                }
            }
        }
    }
    found
}

/// The method name progenitor derives from an operation id (close enough to detect clashes).
fn snake_case(id: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else {
            if !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snake_case_collisions() {
        assert_eq!(super::snake_case("GetPlanUsage"), "get_plan_usage");
        assert_eq!(super::snake_case("getPlanUsage"), "get_plan_usage");
        assert_eq!(super::snake_case("get_plan_usage"), "get_plan_usage");
    }

    #[test]
    fn ref_targets_by_position() {
        assert_eq!(
            super::expected_target("/paths/~1x/get/parameters/0").0,
            "parameter"
        );
        assert_eq!(
            super::expected_target("/paths/~1x/get/responses/200").0,
            "response"
        );
        assert_eq!(
            super::expected_target("/paths/~1x/get/responses/200/content/a~1json/schema").0,
            "schema"
        );
        assert_eq!(
            super::expected_target("/components/schemas/A/properties/parameters/items").0,
            "schema"
        );
        assert_eq!(
            super::expected_target("/paths/~1x/get/requestBody").0,
            "request body"
        );
        assert_eq!(
            super::expected_target("/paths/~1x/get/responses/200/content/a~1json/examples/e").0,
            "example"
        );
    }

    #[test]
    fn oas_versions() {
        assert!(super::is_oas_30("3.0.3"));
        assert!(!super::is_oas_30("3.1.0"));
        assert!(!super::is_oas_30("3.0"));
    }
}
