//! Spec validation: the rules, how they are grouped, and how a spec opts out of one.
//!
//! Checks run in five groups (see [`Group`]). `generate` runs the first three before calling
//! progenitor, so a spec that would make the generator fail or panic is reported with file,
//! line and JSON pointer instead; `validate` runs all five.
//!
//! A spec may waive one rule at one location with the `x-waive` extension on the object at (or
//! directly enclosing) the reported pointer: `x-waive: {rule-id: "why this is fine here"}`.
//! A waiver without a reason, or one that waives nothing, is itself a defect.

mod examples;
mod generator;
mod meta_schema;
mod semantics;

use std::path::Path;

use spec_core::yaml::KeyIssueKind;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::pipeline::LoadedSpec;
use crate::walk;

/// The check groups, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// 1. YAML well-formed; the document matches the official OpenAPI 3.0 JSON Schema.
    Structure,
    /// 2. References, operation ids, path parameters, versions.
    Semantics,
    /// 3. Constructs progenitor refuses, panics on, or turns into fragile clients.
    Generator,
    /// 4. Every example validates against its schema.
    Examples,
    /// 5. progenitor generates the client and the result parses.
    DryRun,
}

impl Group {
    /// Every group, in order.
    pub const ALL: &'static [Group] = &[
        Group::Structure,
        Group::Semantics,
        Group::Generator,
        Group::Examples,
        Group::DryRun,
    ];

    /// The groups `generate` runs before progenitor: everything that affects generated code.
    pub const BLOCKING_GENERATION: &'static [Group] =
        &[Group::Structure, Group::Semantics, Group::Generator];

    /// Human name of the group.
    pub fn name(self) -> &'static str {
        match self {
            Group::Structure => "structure",
            Group::Semantics => "semantics",
            Group::Generator => "generator rules",
            Group::Examples => "examples",
            Group::DryRun => "generator dry run",
        }
    }
}

/// A validation rule: its id, group and what it enforces.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// Stable id, used in reports and in `x-waive`.
    pub id: &'static str,
    /// The group it runs in.
    pub group: Group,
    /// One-line description.
    pub doc: &'static str,
    /// Whether a spec may waive it with `x-waive`.
    pub waivable: bool,
}

const fn rule(id: &'static str, group: Group, waivable: bool, doc: &'static str) -> Rule {
    Rule {
        id,
        group,
        doc,
        waivable,
    }
}

/// Every rule, by group.
pub const RULES: &[Rule] = &[
    rule(
        "yaml-syntax",
        Group::Structure,
        false,
        "the file is one well-formed YAML document whose values JSON can hold",
    ),
    rule(
        "yaml-duplicate-key",
        Group::Structure,
        false,
        "no mapping repeats a key (YAML forbids it; parsers silently keep one)",
    ),
    rule(
        "yaml-non-string-key",
        Group::Structure,
        false,
        "mapping keys are strings: quote status codes ('200') and other numeric or boolean keys",
    ),
    rule(
        "openapi-schema",
        Group::Structure,
        false,
        "the document validates against the official OpenAPI 3.0 JSON Schema (catches typos such as `type: integr` and unknown keywords)",
    ),
    rule(
        "openapi-structure",
        Group::Structure,
        false,
        "the document deserializes into the generator's OpenAPI model (openapiv3)",
    ),
    rule(
        "openapi-version",
        Group::Semantics,
        false,
        "`openapi` is 3.0.x; progenitor rejects 3.1",
    ),
    rule(
        "info-version-ascii",
        Group::Semantics,
        false,
        "`info.version` is printable ASCII: progenitor's output puts it in an `api-version` header value and panics on anything else at request time (our generator drops that header, pipeline/requests.rs; the rule keeps every spec safe for plain progenitor too)",
    ),
    rule(
        "ref-resolves",
        Group::Semantics,
        false,
        "every `$ref` is a local JSON pointer (`#/...`) to an existing node",
    ),
    rule(
        "ref-target-kind",
        Group::Semantics,
        false,
        "a `$ref` points to the kind of object its position needs (a schema position into `#/components/schemas/`, a parameter into `#/components/parameters/`, ...)",
    ),
    rule(
        "component-used",
        Group::Semantics,
        false,
        "every schema, response, parameter, example, request body and header under `components` is referenced by a `$ref` (dead definitions drift from the operations; Redocly's `no-unused-components` agrees)",
    ),
    rule(
        "nullable-needs-type",
        Group::Semantics,
        false,
        "`nullable: true` stands next to a `type` (OpenAPI 3.0.3 as clarified: without one it has no effect, so null stays invalid)",
    ),
    rule(
        "operation-id-present",
        Group::Semantics,
        false,
        "every operation has an `operationId` (progenitor names methods after it)",
    ),
    rule(
        "operation-id-format",
        Group::Semantics,
        true,
        "an `operationId` is an identifier: a letter, then letters, digits or `_`",
    ),
    rule(
        "operation-id-unique",
        Group::Semantics,
        false,
        "operation ids are unique, also across specs generated into the same crate and after conversion to snake_case",
    ),
    rule(
        "path-param-declared",
        Group::Semantics,
        false,
        "every `{name}` in a path template is declared as an `in: path` parameter",
    ),
    rule(
        "path-param-unused",
        Group::Semantics,
        false,
        "every `in: path` parameter appears in its path template",
    ),
    rule(
        "path-param-required",
        Group::Semantics,
        false,
        "path parameters say `required: true` (progenitor panics otherwise)",
    ),
    rule(
        "security-scheme-resolves",
        Group::Semantics,
        false,
        "every name in a `security` requirement is declared under `components.securitySchemes` (an unknown name would leave the operation unprotected in generated docs and the sandbox)",
    ),
    rule(
        "one-success-schema",
        Group::Generator,
        false,
        "all 2xx responses of an operation share one body schema (or all have none); progenitor panics otherwise",
    ),
    rule(
        "one-error-schema",
        Group::Generator,
        false,
        "all error responses of an operation share one body schema, or all have none (a response without a body counts as another schema); progenitor panics otherwise",
    ),
    rule(
        "default-response-alone",
        Group::Generator,
        false,
        "a `default` response is only used when it is the only response (progenitor counts it as both success and error)",
    ),
    rule(
        "json-response-schema",
        Group::Generator,
        false,
        "a JSON response declares a `schema` (progenitor panics without one)",
    ),
    rule(
        "one-request-content-type",
        Group::Generator,
        false,
        "a request body has exactly one media type (progenitor panics on several)",
    ),
    rule(
        "supported-content-type",
        Group::Generator,
        false,
        "bodies use media types progenitor handles: application/json, application/x-www-form-urlencoded, text/plain, text/x-markdown, application/octet-stream (not multipart/* or +json)",
    ),
    rule(
        "no-cookie-params",
        Group::Generator,
        false,
        "no `in: cookie` parameters (progenitor rejects them)",
    ),
    rule(
        "no-deep-object",
        Group::Generator,
        false,
        "no query parameters with `style: deepObject` (progenitor rejects them)",
    ),
    rule(
        "no-path-item-ref",
        Group::Generator,
        false,
        "path items are written inline, not `$ref`ed (progenitor rejects references there)",
    ),
    rule(
        "open-response-objects",
        Group::Generator,
        true,
        "response schemas never say `additionalProperties: false`: a vendor adding a key must not break decoding",
    ),
    rule(
        "no-response-string-enum",
        Group::Generator,
        true,
        "response schemas do not use string `enum` for vendor-controlled values (plan types, statuses): an unknown value would fail the whole response",
    ),
    rule(
        "example-valid",
        Group::Examples,
        true,
        "every example (schema, media type, parameter, header) validates against its schema with OpenAPI 3.0 semantics",
    ),
    rule(
        "example-undeclared-key",
        Group::Examples,
        true,
        "every key of an example object is declared under its schema's `properties` (through `$ref`, `allOf`, and any `oneOf`/`anyOf` branch), even where `additionalProperties` admits others: response types keep unknown keys in an `extra` map, so a misspelt field would pass every test",
    ),
    rule(
        "generator-dry-run",
        Group::DryRun,
        false,
        "progenitor generates the client and the output parses as Rust",
    ),
    rule(
        "waiver-unused",
        Group::Semantics,
        false,
        "every `x-waive` entry names a waivable rule that reports a defect at that location, and gives a reason",
    ),
];

/// The rules as a markdown table (what `cargo xtask rules` prints and RULES.md contains).
pub fn rules_markdown() -> String {
    let mut out = String::from("| id | group | waivable | what it enforces |\n|---|---|---|---|\n");
    for rule in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.id,
            rule.group.name(),
            if rule.waivable { "yes" } else { "no" },
            rule.doc.replace('|', "\\|")
        ));
    }
    out
}

/// Looks a rule up by id.
pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// Validates spec files with every group; the files are paths as given (relative to the
/// current directory) or, when `files` is empty, every spec of the catalogue.
///
/// Returns `Err` only when a file cannot be read (the run is incomplete).
pub fn run(root: &Path, files: &[String]) -> Result<(Diagnostics, usize), std::io::Error> {
    let entries: Vec<(String, std::path::PathBuf, Option<&'static str>)> = if files.is_empty() {
        crate::catalogue::SPECS
            .iter()
            .map(|e| (e.spec.to_owned(), root.join(e.spec), Some(e.crate_name)))
            .collect()
    } else {
        files
            .iter()
            .map(|file| {
                let path = std::path::PathBuf::from(file);
                let crate_name = catalogue_entry(root, &path).map(|e| e.crate_name);
                (file.clone(), path, crate_name)
            })
            .collect()
    };
    let count = entries.len();
    let mut specs = Vec::new();
    let mut crates = Vec::new();
    let mut found = Diagnostics::default();
    for (name, path, crate_name) in entries {
        let source = std::fs::read_to_string(&path)
            .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        // Report catalogue specs under their catalogue name, so the dry run uses their settings.
        let display = catalogue_entry(root, &path).map_or(name, |e| e.spec.to_owned());
        match crate::timings::timed(&display, "load (YAML)", || {
            LoadedSpec::parse(&display, &source)
        }) {
            Ok(spec) => {
                specs.push(spec);
                crates.push(crate_name);
            }
            Err(diagnostics) => found.extend(diagnostics),
        }
    }
    found.extend(check_set(&specs, &crates, Group::ALL));
    Ok((found, count))
}

/// The catalogue entry a path refers to, if any.
fn catalogue_entry(root: &Path, path: &Path) -> Option<&'static crate::catalogue::SpecEntry> {
    let canonical = path.canonicalize().ok()?;
    crate::catalogue::SPECS
        .iter()
        .find(|e| root.join(e.spec).canonicalize().ok().as_ref() == Some(&canonical))
}

/// Runs the given groups of checks on one spec.
pub fn check(spec: &LoadedSpec, groups: &[Group]) -> Diagnostics {
    check_set(std::slice::from_ref(spec), &[], groups)
}

/// Runs the given groups on several specs.
///
/// `crates[i]` names the crate spec `i` is generated into, for checks that span specs sharing
/// a crate (operation ids); specs without an entry are checked alone.
pub fn check_set(specs: &[LoadedSpec], crates: &[Option<&str>], groups: &[Group]) -> Diagnostics {
    let unique = if groups.contains(&Group::Semantics) {
        semantics::unique_operation_ids(specs, crates)
    } else {
        Vec::new()
    };
    // Specs are independent from here on; check them in parallel (the dry run dominates).
    let per_spec = crate::pipeline::in_parallel(specs, |spec| check_one(spec, &unique, groups));
    let found: Vec<Diagnostic> = per_spec.into_iter().flatten().collect();
    // `LoadedSpec::diagnostic` (in `pipeline`, which does not know the rules) takes any id.
    for diagnostic in &found {
        debug_assert!(
            rule_by_id(diagnostic.rule).is_some(),
            "unknown rule {}",
            diagnostic.rule
        );
    }
    Diagnostics::from(found)
}

/// Every group but cross-spec uniqueness (already in `unique`) for one spec.
fn check_one(spec: &LoadedSpec, unique: &[Diagnostic], groups: &[Group]) -> Vec<Diagnostic> {
    let mut own: Vec<Diagnostic> = unique
        .iter()
        .filter(|d| d.file == spec.file)
        .cloned()
        .collect();
    let timed = |group: Group, f: &dyn Fn(&LoadedSpec) -> Vec<Diagnostic>| {
        if groups.contains(&group) {
            crate::timings::timed(&spec.file, group.name(), || f(spec))
        } else {
            Vec::new()
        }
    };
    own.extend(timed(Group::Structure, &structure));
    own.extend(timed(Group::Semantics, &semantics::check));
    own.extend(timed(Group::Generator, &generator::check));
    own.extend(timed(Group::Examples, &examples::check));
    let mut kept = crate::timings::timed(&spec.file, "waivers", || {
        apply_waivers(spec, drop_schema_duplicates(own), groups)
    });
    // The dry run needs a document the generator's model accepts, and is meaningless (and
    // noisy) when groups 1 to 3 already found what will break it. Example defects never stop
    // the generator, so they do not hold the dry run back: a spec with a bad example and a
    // construct the generator fails on reports both. Waived findings do not count either: a
    // waiver must not hide the generator's verdict.
    let blocks_generation =
        |d: &Diagnostic| rule_by_id(d.rule).is_none_or(|rule| rule.group != Group::Examples);
    if groups.contains(&Group::DryRun)
        && spec.openapi().is_ok()
        && !kept.iter().any(blocks_generation)
    {
        kept.extend(crate::timings::timed(
            &spec.file,
            Group::DryRun.name(),
            || generator::dry_run(spec),
        ));
    }
    kept
}

/// Group 1: YAML keys, the official JSON Schema, and the generator's model.
fn structure(spec: &LoadedSpec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for issue in &spec.doc.key_issues {
        let (rule, message) = match &issue.kind {
            KeyIssueKind::NonStringKey { resolved_as } => (
                "yaml-non-string-key",
                format!("this key is read as a YAML {resolved_as}, not a string; quote it"),
            ),
            KeyIssueKind::DuplicateKey { first } => (
                "yaml-duplicate-key",
                format!("duplicate key; first written at line {}", first.line),
            ),
        };
        let mut diagnostic = spec.diagnostic(rule, &issue.pointer, message);
        diagnostic.line = issue.position.line;
        diagnostic.col = issue.position.col;
        found.push(diagnostic);
    }
    let schema_defects = crate::timings::timed(&spec.file, "structure: meta-schema", || {
        meta_schema::check(spec)
    });
    // The generator's model rejects what the official schema rejects; report the defect once,
    // from the official schema, whose location is precise.
    if let Err(diagnostic) = spec.openapi()
        && schema_defects.is_empty()
    {
        found.push(diagnostic);
    }
    found.extend(schema_defects);
    found
}

/// Drops `openapi-schema` findings that a more specific rule reports too: the same node, or a
/// direct child of it (`path-param-required` at a parameter and the schema's complaint about
/// its `required` field are one defect).
fn drop_schema_duplicates(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let specific: Vec<String> = diagnostics
        .iter()
        .filter(|d| rule_by_id(d.rule).is_some_and(|r| r.group == Group::Semantics))
        .map(|d| d.pointer.clone())
        .collect();
    diagnostics
        .into_iter()
        .filter(|d| {
            d.rule != "openapi-schema"
                || !specific.iter().any(|p| {
                    d.pointer == *p
                        || d.pointer
                            .strip_prefix(p.as_str())
                            .is_some_and(|rest| rest.starts_with('/') && !rest[1..].contains('/'))
                })
        })
        .collect()
}

/// Drops diagnostics waived with `x-waive` and reports waivers that are malformed or unused.
fn apply_waivers(
    spec: &LoadedSpec,
    diagnostics: Vec<Diagnostic>,
    groups: &[Group],
) -> Vec<Diagnostic> {
    let waivers = walk::waivers(spec.value());
    let structural = walk::structural_pointers(spec.value());
    let mut used = vec![false; waivers.len()];
    let mut kept = Vec::new();
    for diagnostic in diagnostics {
        let holder = walk::nearest_structural(&structural, &diagnostic.pointer);
        let waived = waivers.iter().position(|waiver| {
            waiver.holder == holder
                && waiver.rule == diagnostic.rule
                && rule_by_id(waiver.rule.as_str()).is_some_and(|r| r.waivable)
                && !waiver.reason.trim().is_empty()
        });
        match waived {
            Some(index) => used[index] = true,
            None => kept.push(diagnostic),
        }
    }
    for (waiver, used) in waivers.iter().zip(used) {
        let pointer = spec_core::pointer::push(
            &spec_core::pointer::push(&waiver.holder, "x-waive"),
            &waiver.rule,
        );
        let problem = match rule_by_id(&waiver.rule) {
            None => Some(format!(
                "`{}` is not a rule id (see `cargo xtask rules`)",
                waiver.rule
            )),
            Some(rule) if !rule.waivable => Some(format!("rule `{}` cannot be waived", rule.id)),
            Some(_) if waiver.reason.trim().is_empty() => {
                Some("a waiver must give its reason as a non-empty string".to_owned())
            }
            Some(rule) if !used && groups.contains(&rule.group) => Some(format!(
                "waives `{}`, but that rule reports nothing here; remove the waiver",
                rule.id
            )),
            Some(_) => None,
        };
        if let Some(message) = problem
            && groups.contains(&Group::Semantics)
        {
            kept.push(spec.diagnostic("waiver-unused", &pointer, message));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waivers_need_a_reason_and_a_waivable_rule() {
        let source = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A:\n      type: object\n      x-waive:\n        ref-resolves: because\n        open-response-objects: ''\n        no-such-rule: why\n";
        let spec = LoadedSpec::parse("t.yaml", source).unwrap();
        let found: Vec<String> = check(&spec, Group::ALL)
            .iter()
            .filter(|d| d.rule == "waiver-unused")
            .map(|d| d.message.clone())
            .collect();
        assert_eq!(
            found,
            [
                "rule `ref-resolves` cannot be waived",
                "a waiver must give its reason as a non-empty string",
                "`no-such-rule` is not a rule id (see `cargo xtask rules`)",
            ]
        );
    }
}
