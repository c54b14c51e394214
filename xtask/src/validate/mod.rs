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
pub mod walk;

use std::path::Path;

use serde_json::Value;
use spec_core::yaml::{self, Document, KeyIssueKind};

use crate::diagnostics::{Diagnostic, Diagnostics};

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
        "`info.version` is printable ASCII: progenitor sends it as the `api-version` header and panics on anything else at request time",
    ),
    rule(
        "ref-resolves",
        Group::Semantics,
        false,
        "every `$ref` is a local JSON pointer (`#/...`) to an existing node",
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
        "one-success-schema",
        Group::Generator,
        false,
        "all 2xx responses of an operation share one body schema (or all have none); progenitor panics otherwise",
    ),
    rule(
        "one-error-schema",
        Group::Generator,
        false,
        "all error responses of an operation share one body schema and each has a body; progenitor panics otherwise",
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
        "bodies use media types progenitor handles: application/json, application/x-www-form-urlencoded, text/plain, application/octet-stream (not multipart/* or +json)",
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

/// Looks a rule up by id.
pub fn rule_by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

/// A spec file loaded into memory with source positions.
#[derive(Clone, Debug)]
pub struct LoadedSpec {
    /// The file name used in reports.
    pub file: String,
    /// The parsed document.
    pub doc: Document,
}

impl LoadedSpec {
    /// Reads and parses a spec; a file that is not well-formed YAML yields its diagnostics.
    pub fn read(root: &Path, file: &str) -> Result<LoadedSpec, Diagnostics> {
        let path = root.join(file);
        let source = std::fs::read_to_string(&path).map_err(|err| {
            Diagnostics::from(vec![Diagnostic {
                rule: "yaml-syntax",
                file: file.to_owned(),
                line: 1,
                col: 1,
                pointer: String::new(),
                message: format!("cannot read the file: {err}"),
            }])
        })?;
        Self::parse(file, &source)
    }

    /// Parses spec source text that claims to come from `file`.
    pub fn parse(file: &str, source: &str) -> Result<LoadedSpec, Diagnostics> {
        match yaml::parse(source) {
            Ok(doc) => Ok(LoadedSpec {
                file: file.to_owned(),
                doc,
            }),
            Err(err) => Err(Diagnostics::from(vec![Diagnostic {
                rule: "yaml-syntax",
                file: file.to_owned(),
                line: err.position.line,
                col: err.position.col,
                pointer: String::new(),
                message: err.message,
            }])),
        }
    }

    /// The document root.
    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// A diagnostic for this spec at a JSON pointer.
    pub fn diagnostic(&self, rule: &'static str, pointer: &str, message: String) -> Diagnostic {
        debug_assert!(rule_by_id(rule).is_some(), "unknown rule {rule}");
        let position = self.doc.locate(pointer);
        Diagnostic {
            rule,
            file: self.file.clone(),
            line: position.line,
            col: position.col,
            pointer: pointer.to_owned(),
            message,
        }
    }

    /// Deserializes the document into progenitor's OpenAPI model.
    pub fn openapi(&self) -> Result<openapiv3::OpenAPI, Diagnostic> {
        let deserializer = self.doc.value.clone();
        serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(deserializer).map_err(|err| {
            let pointer = path_to_pointer(err.path());
            let message = format!(
                "does not fit the OpenAPI 3.0 model: {}",
                err.inner().to_string().trim()
            );
            self.diagnostic("openapi-structure", &pointer, message)
        })
    }
}

/// Converts a `serde_path_to_error` path into a JSON pointer.
fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer = spec_core::pointer::push(&pointer, &index.to_string())
            }
            Segment::Map { key } => pointer = spec_core::pointer::push(&pointer, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
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
    let mut found = Vec::new();
    for spec in specs {
        let mut own = Vec::new();
        let structure_ok = if groups.contains(&Group::Structure) {
            own.extend(structure(spec));
            !own.iter()
                .any(|d: &Diagnostic| d.rule == "openapi-structure")
        } else {
            true
        };
        if groups.contains(&Group::Semantics) {
            own.extend(semantics::check(spec));
        }
        if groups.contains(&Group::Generator) {
            own.extend(generator::check(spec));
        }
        if groups.contains(&Group::Examples) {
            own.extend(examples::check(spec));
        }
        // The dry run needs a document the generator's model accepts, and is meaningless (and
        // noisy) when earlier groups already found what will break it.
        if groups.contains(&Group::DryRun) && structure_ok && own.is_empty() {
            own.extend(generator::dry_run(spec));
        }
        found.extend(apply_waivers(spec, own, groups));
    }
    if groups.contains(&Group::Semantics) {
        found.extend(semantics::unique_operation_ids(specs, crates));
    }
    Diagnostics::from(found)
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
    found.extend(meta_schema::check(spec));
    if let Err(diagnostic) = spec.openapi() {
        found.push(diagnostic);
    }
    found
}

/// Drops diagnostics waived with `x-waive` and reports waivers that are malformed or unused.
fn apply_waivers(
    spec: &LoadedSpec,
    diagnostics: Vec<Diagnostic>,
    groups: &[Group],
) -> Vec<Diagnostic> {
    let waivers = walk::waivers(spec.value());
    let mut used = vec![false; waivers.len()];
    let mut kept = Vec::new();
    for diagnostic in diagnostics {
        let holder = walk::nearest_object(spec.value(), &diagnostic.pointer);
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
