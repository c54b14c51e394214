//! `cargo xtask diff <old-ref> [<new-ref>]`: what changed between two revisions of the specs,
//! and whether it breaks clients.
//!
//! The comparison runs on the parsed documents (references followed, cycles guarded) and takes
//! the client's point of view: a change is *breaking* when code using the old generated client,
//! or the requests it sends, can stop working against the new spec:
//!
//! - an operation removed, or its `operationId` (its method name) changed;
//! - a parameter removed, newly required, or its type changed (path parameters included,
//!   matched by their position in the template); a path parameter renamed;
//! - a request body added as required, removed, or given another media type; a request field
//!   added as required or made required; request constraints tightened; a request enum value
//!   removed; `nullable` dropped from a request field;
//! - a response field removed or made optional; a response body added or removed, or given
//!   another media type; a response enum value added or removed; `nullable` added to a
//!   response field; a response object closed with `additionalProperties: false`;
//! - a body (request or response) gaining or losing its schema, and a value restricted to an
//!   `enum` where there was none: the generated type changes in both cases;
//! - a type or format changed anywhere; a `oneOf`/`anyOf`/`allOf` composition changed;
//! - a success status removed (e.g. 200 became 201), or a documented error status removed
//!   (its typed error becomes an undocumented response);
//! - a top-level server removed, or its URL changed (compared as written and with each
//!   variable replaced by its default), the first server included: the generated
//!   `spec::SERVERS` lists them in order and the first is every client's `DEFAULT_BASE_URL`.
//!
//! Everything else that differs is reported as compatible: additions of operations, optional
//! parameters and fields, response statuses, request enum values, servers added after the
//! existing ones, and loosened constraints.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::path::Path;
use std::process::Command;

use serde::Serialize;
use serde_json::Value;
use spec_core::pointer;

use crate::walk;

/// Whether a change can break clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Code or requests that worked with the old spec can fail with the new one.
    Breaking,
    /// Existing clients keep working.
    Compatible,
}

/// One difference between two revisions of a spec.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// Breaking or compatible.
    pub severity: Severity,
    /// The spec file.
    pub spec: String,
    /// Where, for a reader: `GET /path` and the part of it.
    pub location: String,
    /// What changed.
    pub message: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Breaking => "breaking  ",
            Severity::Compatible => "compatible",
        };
        write!(
            f,
            "{label} {}: {}: {}",
            self.spec, self.location, self.message
        )
    }
}

/// Why a diff could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// `git` failed (unknown revision, not a repository, ...).
    #[error("git {args}: {message}")]
    Git {
        /// The git arguments.
        args: String,
        /// What git said.
        message: String,
    },
    /// A tool `diff --semver` runs (cargo, rustdoc, cargo-semver-checks, tar) failed.
    #[error("{what}: {message}")]
    Tool {
        /// What was run, on what.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// A revision of a spec is not readable YAML.
    #[error("{spec} at {revision}: {message}")]
    Unreadable {
        /// The spec file.
        spec: String,
        /// The revision.
        revision: String,
        /// The parse error.
        message: String,
    },
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output, DiffError> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|err| DiffError::Git {
            args: args.join(" "),
            message: err.to_string(),
        })
}

/// What `git args` prints, when it succeeds; a failing git is an error with what it said.
pub fn git_stdout(root: &Path, args: &[&str]) -> Result<String, DiffError> {
    let output = git(root, args)?;
    if !output.status.success() {
        return Err(DiffError::Git {
            args: args.join(" "),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Checks that `revision` names a commit, so "no such revision" (an error) is told apart from
/// "no such file at it" (an added spec).
pub fn verify_revision(root: &Path, revision: &str) -> Result<(), DiffError> {
    let commit = format!("{revision}^{{commit}}");
    let verify = git(root, &["rev-parse", "--verify", "--quiet", &commit])?;
    if verify.status.success() {
        Ok(())
    } else {
        Err(DiffError::Git {
            args: format!("rev-parse {revision}"),
            message: "unknown revision".into(),
        })
    }
}

/// Reads `path` at a git revision (`None`: the working tree). `Ok(None)` if it does not exist.
///
/// Call [`verify_revision`] first: here a revision that does not exist reads as a missing file.
pub fn read_at(
    root: &Path,
    revision: Option<&str>,
    path: &str,
) -> Result<Option<String>, DiffError> {
    let Some(revision) = revision else {
        // Only a missing file is "no spec"; any other read error must not pose as a removal.
        return match std::fs::read_to_string(root.join(path)) {
            Ok(text) => Ok(Some(text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(DiffError::Unreadable {
                spec: path.to_owned(),
                revision: "the working tree".into(),
                message: err.to_string(),
            }),
        };
    };
    let output = git(root, &["show", &format!("{revision}:{path}")])?;
    if output.status.success() {
        return Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()));
    }
    // Told apart without parsing git's (translatable) messages: `ls-tree` lists nothing for a
    // path the revision does not have, and fails for real errors.
    let listed = git(root, &["ls-tree", "--name-only", revision, "--", path])?;
    if listed.status.success() && listed.stdout.is_empty() {
        Ok(None)
    } else {
        Err(DiffError::Git {
            args: format!("show {revision}:{path}"),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        })
    }
}

/// Compares every spec of the catalogue between two revisions.
pub fn diff_revisions(root: &Path, old: &str, new: Option<&str>) -> Result<Vec<Change>, DiffError> {
    for revision in std::iter::once(old).chain(new) {
        verify_revision(root, revision)?;
    }
    let mut changes = Vec::new();
    for entry in crate::catalogue::SPECS {
        let parse = |text: Option<String>, revision: &str| -> Result<Option<Value>, DiffError> {
            text.map(|text| {
                spec_core::yaml::parse(&text)
                    .map(|doc| doc.value)
                    .map_err(|err| DiffError::Unreadable {
                        spec: entry.spec.to_owned(),
                        revision: revision.to_owned(),
                        message: err.to_string(),
                    })
            })
            .transpose()
        };
        let old_doc = parse(read_at(root, Some(old), entry.spec)?, old)?;
        let new_doc = parse(
            read_at(root, new, entry.spec)?,
            new.unwrap_or("the working tree"),
        )?;
        changes.extend(match (old_doc, new_doc) {
            (Some(a), Some(b)) => diff_documents(entry.spec, &a, &b),
            (None, Some(_)) => vec![change(
                Severity::Compatible,
                entry.spec,
                "spec",
                "spec added".into(),
            )],
            (Some(_), None) => vec![change(
                Severity::Breaking,
                entry.spec,
                "spec",
                "spec removed".into(),
            )],
            (None, None) => Vec::new(),
        });
    }
    Ok(changes)
}

fn change(severity: Severity, spec: &str, location: &str, message: String) -> Change {
    Change {
        severity,
        spec: spec.to_owned(),
        location: location.to_owned(),
        message,
    }
}

/// Compares two revisions of one spec document.
pub fn diff_documents(spec: &str, old: &Value, new: &Value) -> Vec<Change> {
    let mut diff = Differ {
        spec,
        old,
        new,
        out: Vec::new(),
    };
    diff.servers();
    diff.operations();
    diff.out.sort();
    diff.out.dedup();
    diff.out
}

/// Which way a schema's values travel: it decides which changes break.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

struct Differ<'a> {
    spec: &'a str,
    old: &'a Value,
    new: &'a Value,
    out: Vec<Change>,
}

/// An operation's identity across revisions: method and path with parameter names blanked.
fn op_key(op: &walk::Operation<'_>) -> String {
    let mut shape = String::new();
    let mut depth = 0;
    for c in op.path.chars() {
        match c {
            '{' => {
                depth += 1;
                shape.push('{');
            }
            '}' => {
                depth -= 1;
                shape.push('}');
            }
            _ if depth > 0 => {}
            _ => shape.push(c),
        }
    }
    format!("{} {shape}", op.method.to_uppercase())
}

impl Differ<'_> {
    fn push(&mut self, severity: Severity, location: &str, message: String) {
        self.out
            .push(change(severity, self.spec, location, message));
    }

    /// The top-level `servers`, by position: the generated `spec::SERVERS` lists them in
    /// order, the first is the clients' `DEFAULT_BASE_URL`, and code may pick another by
    /// index. (progenitor ignores path- and operation-level `servers`, so they are not
    /// compared.)
    fn servers(&mut self) {
        let (old, new) = (servers(self.old), servers(self.new));
        for (i, (a, b)) in old.iter().zip(&new).enumerate() {
            if a != b {
                let which = if i == 0 {
                    "default server `servers[0]` (the clients' `DEFAULT_BASE_URL`)".to_owned()
                } else {
                    format!("server `servers[{i}]`")
                };
                let message = format!("{which} URL changed from {a} to {b}");
                self.push(Severity::Breaking, "servers", message);
            }
        }
        for (i, removed) in old.iter().enumerate().skip(new.len()) {
            let message = format!("server {removed} removed (`servers[{i}]`)");
            self.push(Severity::Breaking, "servers", message);
        }
        for (i, added) in new.iter().enumerate().skip(old.len()) {
            let message = format!("server {added} added (`servers[{i}]`)");
            self.push(Severity::Compatible, "servers", message);
        }
    }

    fn operations(&mut self) {
        let old_ops: BTreeMap<String, walk::Operation<'_>> = walk::operations(self.old)
            .into_iter()
            .map(|op| (op_key(&op), op))
            .collect();
        let new_ops: BTreeMap<String, walk::Operation<'_>> = walk::operations(self.new)
            .into_iter()
            .map(|op| (op_key(&op), op))
            .collect();
        for (key, old_op) in &old_ops {
            let at = format!("{} {}", old_op.method.to_uppercase(), old_op.path);
            match new_ops.get(key) {
                None => self.push(Severity::Breaking, &at, "operation removed".into()),
                Some(new_op) => self.operation(&at, old_op, new_op),
            }
        }
        for (key, new_op) in &new_ops {
            if !old_ops.contains_key(key) {
                let at = format!("{} {}", new_op.method.to_uppercase(), new_op.path);
                self.push(Severity::Compatible, &at, "operation added".into());
            }
        }
    }

    fn operation(&mut self, at: &str, old: &walk::Operation<'_>, new: &walk::Operation<'_>) {
        if old.operation_id() != new.operation_id() {
            self.push(
                Severity::Breaking,
                at,
                format!(
                    "operationId changed from `{}` to `{}` (the generated method is renamed)",
                    old.operation_id().unwrap_or("-"),
                    new.operation_id().unwrap_or("-")
                ),
            );
        }
        let old_template = walk::template_params(old.path);
        let new_template = walk::template_params(new.path);
        for (a, b) in old_template.iter().zip(&new_template) {
            if a != b {
                self.push(
                    Severity::Breaking,
                    at,
                    format!("path parameter `{a}` renamed to `{b}`"),
                );
            }
        }
        self.parameters(at, old, new);
        self.request_body(at, old, new);
        self.responses(at, old, new);
    }

    fn parameters(&mut self, at: &str, old: &walk::Operation<'_>, new: &walk::Operation<'_>) {
        let index = |root: &Value,
                     op: &walk::Operation<'_>|
         -> BTreeMap<(String, String), (String, Value)> {
            walk::parameters(root, op)
                .into_iter()
                .filter(|p| p.location() != "path")
                .map(|p| {
                    (
                        (p.location().to_owned(), p.name().to_owned()),
                        (p.pointer.clone(), p.value.clone()),
                    )
                })
                .collect()
        };
        // Path parameters are matched by their position in the template (a rename is
        // reported with the path); their schemas are compared like any other parameter's.
        let path_params =
            |root: &Value, op: &walk::Operation<'_>| -> Vec<(String, String, Value)> {
                let declared = walk::parameters(root, op);
                walk::template_params(op.path)
                    .into_iter()
                    .filter_map(|name| {
                        declared
                            .iter()
                            .find(|p| p.location() == "path" && p.name() == name)
                            .map(|p| (name.to_owned(), p.pointer.clone(), p.value.clone()))
                    })
                    .collect()
            };
        let (old_path, new_path) = (path_params(self.old, old), path_params(self.new, new));
        for ((_, old_ptr, old_param), (name, new_ptr, new_param)) in old_path.iter().zip(&new_path)
        {
            if let (Some(a), Some(b)) = (old_param.get("schema"), new_param.get("schema")) {
                let context = format!("{at}: path parameter `{name}`");
                self.schema(
                    &context,
                    "",
                    (&pointer::push(old_ptr, "schema"), a),
                    (&pointer::push(new_ptr, "schema"), b),
                    Dir::Request,
                    &mut HashSet::new(),
                );
            }
        }
        let old_params = index(self.old, old);
        let new_params = index(self.new, new);
        for ((location, name), (old_ptr, old_param)) in &old_params {
            let label = format!("{location} parameter `{name}`");
            match new_params.get(&(location.clone(), name.clone())) {
                None => self.push(Severity::Breaking, at, format!("{label} removed")),
                Some((new_ptr, new_param)) => {
                    let was = old_param.get("required") == Some(&Value::Bool(true));
                    let is = new_param.get("required") == Some(&Value::Bool(true));
                    if !was && is {
                        self.push(Severity::Breaking, at, format!("{label} became required"));
                    } else if was && !is {
                        self.push(Severity::Compatible, at, format!("{label} became optional"));
                    }
                    if let (Some(a), Some(b)) = (old_param.get("schema"), new_param.get("schema")) {
                        let context = format!("{at}: {label}");
                        self.schema(
                            &context,
                            "",
                            (&pointer::push(old_ptr, "schema"), a),
                            (&pointer::push(new_ptr, "schema"), b),
                            Dir::Request,
                            &mut HashSet::new(),
                        );
                    }
                }
            }
        }
        for ((location, name), (_, param)) in &new_params {
            if !old_params.contains_key(&(location.clone(), name.clone())) {
                let required = param.get("required") == Some(&Value::Bool(true));
                let (severity, what) = if required {
                    (Severity::Breaking, "required")
                } else {
                    (Severity::Compatible, "optional")
                };
                self.push(
                    severity,
                    at,
                    format!("{what} {location} parameter `{name}` added"),
                );
            }
        }
    }

    /// The single media type and schema of a request body or response, `$ref`s followed.
    fn content(
        root: &Value,
        holder_ptr: &str,
        holder: Option<&Value>,
    ) -> Option<(String, Option<(String, Value)>)> {
        let (ptr, holder) = walk::deref(root, holder_ptr, holder?)?;
        let (media_type, media) = holder.get("content")?.as_object()?.iter().next()?;
        let schema_ptr = pointer::push(
            &pointer::push(&pointer::push(&ptr, "content"), media_type),
            "schema",
        );
        Some((
            media_type.clone(),
            media.get("schema").map(|s| (schema_ptr, s.clone())),
        ))
    }

    fn request_body(&mut self, at: &str, old: &walk::Operation<'_>, new: &walk::Operation<'_>) {
        let old_ptr = pointer::push(&old.pointer, "requestBody");
        let new_ptr = pointer::push(&new.pointer, "requestBody");
        let required = |root: &Value, ptr: &str, body: Option<&Value>| {
            body.and_then(|b| walk::deref(root, ptr, b))
                .is_some_and(|(_, b)| b.get("required") == Some(&Value::Bool(true)))
        };
        let old_body = Self::content(self.old, &old_ptr, old.value.get("requestBody"));
        let new_body = Self::content(self.new, &new_ptr, new.value.get("requestBody"));
        let was_required = required(self.old, &old_ptr, old.value.get("requestBody"));
        let is_required = required(self.new, &new_ptr, new.value.get("requestBody"));
        match (old_body, new_body) {
            (None, None) => {}
            (None, Some(_)) => {
                let severity = if is_required {
                    Severity::Breaking
                } else {
                    Severity::Compatible
                };
                self.push(severity, at, "request body added".into());
            }
            (Some(_), None) => self.push(Severity::Breaking, at, "request body removed".into()),
            (Some(old_content), Some(new_content)) => {
                if !was_required && is_required {
                    self.push(
                        Severity::Breaking,
                        at,
                        "request body became required".into(),
                    );
                }
                self.body(at, "request body", old_content, new_content, Dir::Request);
            }
        }
    }

    /// Compares the media type and schema of two bodies that both exist.
    fn body(
        &mut self,
        at: &str,
        what: &str,
        (old_type, old_schema): (String, Option<(String, Value)>),
        (new_type, new_schema): (String, Option<(String, Value)>),
        dir: Dir,
    ) {
        if old_type != new_type {
            self.push(
                Severity::Breaking,
                at,
                format!("{what} media type changed from `{old_type}` to `{new_type}`"),
            );
        }
        match (old_schema, new_schema) {
            (None, None) => {}
            // The generated code switches between a typed value and raw bytes.
            (None, Some(_)) => self.push(
                Severity::Breaking,
                at,
                format!("{what} gained a schema (the generated type changes from raw bytes)"),
            ),
            (Some(_), None) => self.push(
                Severity::Breaking,
                at,
                format!("{what} lost its schema (the generated type becomes raw bytes)"),
            ),
            (Some((a_ptr, a)), Some((b_ptr, b))) => {
                let context = format!("{at}: {what}");
                self.schema(
                    &context,
                    "",
                    (&a_ptr, &a),
                    (&b_ptr, &b),
                    dir,
                    &mut HashSet::new(),
                );
            }
        }
    }

    fn responses(&mut self, at: &str, old: &walk::Operation<'_>, new: &walk::Operation<'_>) {
        let statuses = |op: &walk::Operation<'_>| -> BTreeSet<String> {
            op.value
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .filter(|k| !k.starts_with("x-"))
                .collect()
        };
        let old_statuses = statuses(old);
        let new_statuses = statuses(new);
        let success = |s: &String| s.starts_with('2');
        let old_success: Vec<&String> = old_statuses.iter().filter(|s| success(s)).collect();
        let new_success: Vec<&String> = new_statuses.iter().filter(|s| success(s)).collect();
        for status in &old_statuses {
            if !new_statuses.contains(status) {
                let message = if success(status) {
                    format!(
                        "success status changed: {} became {}",
                        join(&old_success),
                        join(&new_success)
                    )
                } else {
                    format!(
                        "documented {status} response removed (it becomes an undocumented response)"
                    )
                };
                self.push(Severity::Breaking, at, message);
            }
        }
        for status in &new_statuses {
            if !old_statuses.contains(status) {
                self.push(Severity::Compatible, at, format!("{status} response added"));
            }
        }
        for status in old_statuses.intersection(&new_statuses) {
            let old_ptr =
                pointer::from_tokens(["paths", old.path, old.method, "responses", status]);
            let new_ptr =
                pointer::from_tokens(["paths", new.path, new.method, "responses", status]);
            let old_body = Self::content(self.old, &old_ptr, old.value["responses"].get(status));
            let new_body = Self::content(self.new, &new_ptr, new.value["responses"].get(status));
            match (old_body, new_body) {
                (None, None) => {}
                (None, Some(_)) => self.push(
                    Severity::Breaking,
                    at,
                    format!("{status} response gained a body"),
                ),
                (Some(_), None) => self.push(
                    Severity::Breaking,
                    at,
                    format!("{status} response lost its body"),
                ),
                (Some(old_content), Some(new_content)) => {
                    let what = format!("{status} response");
                    self.body(at, &what, old_content, new_content, Dir::Response);
                }
            }
        }
    }

    /// Compares two schemas (each with its pointer, for `$ref` resolution and cycle guards).
    fn schema(
        &mut self,
        context: &str,
        field: &str,
        old: (&str, &Value),
        new: (&str, &Value),
        dir: Dir,
        seen: &mut HashSet<(String, String)>,
    ) {
        let Some(old_eff) = effective(self.old, old.0, old.1) else {
            return;
        };
        let Some(new_eff) = effective(self.new, new.0, new.1) else {
            return;
        };
        let (old_ptr, a) = (old_eff.ptr.clone(), old_eff.schema);
        let (new_ptr, b) = (new_eff.ptr.clone(), new_eff.schema);
        if !seen.insert((old_ptr.clone(), new_ptr.clone())) {
            return;
        }
        let at = if field.is_empty() {
            context.to_owned()
        } else {
            format!("{context}: field `{field}`")
        };
        let breaking_for = |request: bool| {
            if request == (dir == Dir::Request) {
                Severity::Breaking
            } else {
                Severity::Compatible
            }
        };
        // The generated type is named after the component the schema comes from.
        if old_eff.component != new_eff.component {
            let name = |c: &Option<String>| {
                c.as_ref()
                    .map_or("an inline type".to_owned(), |c| format!("`{c}`"))
            };
            self.push(
                Severity::Breaking,
                &at,
                format!(
                    "schema {} became {} (the generated type is renamed)",
                    name(&old_eff.component),
                    name(&new_eff.component)
                ),
            );
        }
        let (kind_a, kind_b) = (kind(a), kind(b));
        if kind_a != kind_b {
            self.push(
                Severity::Breaking,
                &at,
                format!("type changed from {kind_a} to {kind_b}"),
            );
            return;
        }
        // Nullability (a wrapper's `nullable` counts).
        if old_eff.nullable && !new_eff.nullable {
            self.push(breaking_for(true), &at, "no longer nullable".into());
        } else if !old_eff.nullable && new_eff.nullable {
            self.push(breaking_for(false), &at, "became nullable".into());
        }
        // Enumerations.
        let values = |s: &Value| -> BTreeSet<String> {
            s.get("enum")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(Value::to_string)
                .collect()
        };
        let (old_values, new_values) = (values(a), values(b));
        if !old_values.is_empty() || !new_values.is_empty() {
            for removed in old_values.difference(&new_values) {
                self.push(
                    Severity::Breaking,
                    &at,
                    format!("enum value {removed} removed"),
                );
            }
            if old_values.is_empty() {
                // Refused values for requests; for both, the generated type changes from a
                // plain value to an enum.
                self.push(
                    Severity::Breaking,
                    &at,
                    "values restricted to an enum (the generated type becomes an enum)".into(),
                );
            } else {
                for added in new_values.difference(&old_values) {
                    self.push(
                        breaking_for(false),
                        &at,
                        format!("enum value {added} added"),
                    );
                }
            }
        }
        self.constraints(&at, a, b, dir);
        // Objects.
        let props = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let required = |s: &Value| -> BTreeSet<String> {
            s.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (old_props, new_props) = (props(a), props(b));
        let (old_req, new_req) = (required(a), required(b));
        for (name, old_prop) in &old_props {
            let path = if field.is_empty() {
                name.clone()
            } else {
                format!("{field}.{name}")
            };
            match new_props.get(name) {
                None => self.push(
                    Severity::Breaking,
                    context,
                    format!("field `{path}` removed"),
                ),
                Some(new_prop) => {
                    let was = old_req.contains(name);
                    let is = new_req.contains(name);
                    if dir == Dir::Request && !was && is {
                        let message = format!("request field `{path}` became required");
                        self.push(Severity::Breaking, context, message);
                    } else if dir == Dir::Response && was && !is {
                        let message = format!("response field `{path}` became optional");
                        self.push(Severity::Breaking, context, message);
                    } else if was != is {
                        let what = if is { "required" } else { "optional" };
                        let message = format!("field `{path}` became {what}");
                        self.push(Severity::Compatible, context, message);
                    }
                    let old_child = pointer::push(&pointer::push(&old_ptr, "properties"), name);
                    let new_child = pointer::push(&pointer::push(&new_ptr, "properties"), name);
                    self.schema(
                        context,
                        &path,
                        (&old_child, old_prop),
                        (&new_child, new_prop),
                        dir,
                        seen,
                    );
                }
            }
        }
        for name in new_props.keys().filter(|n| !old_props.contains_key(*n)) {
            let path = if field.is_empty() {
                name.clone()
            } else {
                format!("{field}.{name}")
            };
            if dir == Dir::Request && new_req.contains(name) {
                let message = format!("required request field `{path}` added");
                self.push(Severity::Breaking, context, message);
            } else {
                self.push(
                    Severity::Compatible,
                    context,
                    format!("field `{path}` added"),
                );
            }
        }
        let closed = |s: &Value| s.get("additionalProperties") == Some(&Value::Bool(false));
        if !closed(a) && closed(b) && kind_b == "object" {
            let message = "now rejects unknown keys (`additionalProperties: false`)".to_owned();
            self.push(Severity::Breaking, &at, message);
        } else if closed(a) && !closed(b) {
            self.push(Severity::Compatible, &at, "now accepts unknown keys".into());
        }
        // Arrays.
        if let (Some(x), Some(y)) = (a.get("items"), b.get("items")) {
            let item = format!("{}[]", if field.is_empty() { "items" } else { field });
            let old_items = pointer::push(&old_ptr, "items");
            let new_items = pointer::push(&new_ptr, "items");
            self.schema(context, &item, (&old_items, x), (&new_items, y), dir, seen);
        }
        // Compositions.
        for keyword in ["allOf", "anyOf", "oneOf"] {
            let branches = |s: &Value| {
                s.get(keyword)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (x, y) = (branches(a), branches(b));
            if x.is_empty() && y.is_empty() {
                continue;
            }
            let refs = |list: &[Value]| -> Vec<Option<String>> {
                list.iter()
                    .map(|s| s.get("$ref").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            };
            if x.len() != y.len() || refs(&x) != refs(&y) {
                self.push(
                    Severity::Breaking,
                    &at,
                    format!("`{keyword}` composition changed"),
                );
                continue;
            }
            for (i, (p, q)) in x.iter().zip(&y).enumerate() {
                let old_branch = pointer::push(&pointer::push(&old_ptr, keyword), &i.to_string());
                let new_branch = pointer::push(&pointer::push(&new_ptr, keyword), &i.to_string());
                self.schema(
                    context,
                    field,
                    (&old_branch, p),
                    (&new_branch, q),
                    dir,
                    seen,
                );
            }
        }
    }

    /// Bounds that requests must meet: tightening breaks requests, loosening is compatible.
    fn constraints(&mut self, at: &str, a: &Value, b: &Value, dir: Dir) {
        // (keyword, true if a larger value is tighter)
        const BOUNDS: &[(&str, bool)] = &[
            ("minimum", true),
            ("maximum", false),
            ("minLength", true),
            ("maxLength", false),
            ("minItems", true),
            ("maxItems", false),
        ];
        for &(keyword, larger_is_tighter) in BOUNDS {
            let (x, y) = (
                a.get(keyword).and_then(Value::as_f64),
                b.get(keyword).and_then(Value::as_f64),
            );
            let tighter = match (x, y) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(x), Some(y)) if x != y => (y > x) == larger_is_tighter,
                _ => continue,
            };
            let severity = if tighter && dir == Dir::Request {
                Severity::Breaking
            } else {
                Severity::Compatible
            };
            let describe = |v: Option<f64>| v.map_or("none".to_owned(), |v| v.to_string());
            let how = if tighter { "tightened" } else { "loosened" };
            self.push(
                severity,
                at,
                format!("`{keyword}` {how}: {} to {}", describe(x), describe(y)),
            );
        }
        let pattern = |s: &Value| s.get("pattern").and_then(Value::as_str).map(str::to_owned);
        if pattern(a) != pattern(b) {
            let severity = if dir == Dir::Request && pattern(b).is_some() {
                Severity::Breaking
            } else {
                Severity::Compatible
            };
            self.push(
                severity,
                at,
                format!(
                    "`pattern` changed from {:?} to {:?}",
                    pattern(a),
                    pattern(b)
                ),
            );
        }
    }
}

/// A schema as it matters for comparison: `$ref`s followed, and a wrapper that only adds a
/// description or `nullable` around one `allOf` branch looked through.
struct Effective<'a> {
    ptr: String,
    schema: &'a Value,
    /// The component the schema came from (its generated type's name), if any.
    component: Option<String>,
    /// `nullable` on the schema or on a wrapper around it.
    nullable: bool,
}

fn effective<'a>(root: &'a Value, ptr: &str, schema: &'a Value) -> Option<Effective<'a>> {
    let mut current = (ptr.to_owned(), schema);
    let mut component = None;
    let mut nullable = false;
    for _ in 0..16 {
        let value = current.1;
        if let Some(target) = value.get("$ref").and_then(Value::as_str) {
            component = target
                .strip_prefix("#/components/schemas/")
                .map(pointer::unescape);
            current = walk::deref(root, &current.0, value)?;
            continue;
        }
        nullable |= value.get("nullable") == Some(&Value::Bool(true));
        let is_wrapper = value.get("properties").is_none()
            && value.get("items").is_none()
            && value.get("type").is_none_or(|t| t == "object")
            && matches!(
                value.get("allOf").and_then(Value::as_array).map(Vec::len),
                Some(1)
            );
        if !is_wrapper {
            break;
        }
        let branch = &value["allOf"][0];
        if branch.get("$ref").is_none() {
            component = None;
        }
        current = (
            pointer::push(&pointer::push(&current.0, "allOf"), "0"),
            branch,
        );
    }
    Some(Effective {
        ptr: current.0,
        schema: current.1,
        component,
        nullable,
    })
}

/// A server's URL as written and as a client would call it.
#[derive(PartialEq, Eq)]
struct ServerUrl {
    /// The `url` as written (what the generated `spec::SERVERS` carries).
    template: String,
    /// The `url` with each `{variable}` replaced by the variable's `default`.
    resolved: String,
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.template == self.resolved {
            write!(f, "`{}`", self.template)
        } else {
            write!(f, "`{}` (`{}`)", self.template, self.resolved)
        }
    }
}

/// The top-level servers in order. Without any, OpenAPI 3.0 means one server at `/`.
fn servers(doc: &Value) -> Vec<ServerUrl> {
    let listed: Vec<ServerUrl> = doc
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|server| {
            let template = server
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let resolved = resolve_server_url(&template, server.get("variables"));
            ServerUrl { template, resolved }
        })
        .collect();
    if listed.is_empty() {
        vec![ServerUrl {
            template: "/".into(),
            resolved: "/".into(),
        }]
    } else {
        listed
    }
}

/// Substitutes each `{name}` of a server URL with `variables.name.default`; a name without a
/// default stays as written.
fn resolve_server_url(template: &str, variables: Option<&Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|i| open + i) else {
            break;
        };
        let name = &rest[open + 1..close];
        out.push_str(&rest[..open]);
        match variables
            .and_then(|v| v.get(name))
            .and_then(|v| v.get("default"))
            .and_then(Value::as_str)
        {
            Some(default) => out.push_str(default),
            None => out.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `type (format)` of a schema (`any` without a type).
fn kind(schema: &Value) -> String {
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{ty} ({format})"),
        None => ty.to_owned(),
    }
}

fn join(statuses: &[&String]) -> String {
    if statuses.is_empty() {
        "none".to_owned()
    } else {
        statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
