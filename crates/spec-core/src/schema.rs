//! Validation of JSON values against OpenAPI 3.0 Schema Objects.
//!
//! OpenAPI 3.0 schemas are not JSON Schema: `nullable` replaces `type: [.., null]`,
//! `exclusiveMinimum` is a boolean, formats such as `int32` constrain ranges, and `$ref`s point
//! into the whole document. This validator implements those semantics for examples (`cargo
//! xtask validate`) and for requests (the sandbox), with messages that name the offending
//! field.
//!
//! Supported: `$ref` (local), `type`, `nullable`, `enum`, `format` (`int32`, `int64`,
//! `float`, `double`, `date`, `date-time`, `uuid`, `email`, `byte`), numeric bounds and
//! `multipleOf`, string lengths and `pattern`, array `items`/length/`uniqueItems`, object
//! `properties`/`required`/`additionalProperties`/size, `allOf`, `anyOf`, `oneOf`, `not`,
//! and `readOnly`/`writeOnly` for the `required` list. `discriminator` is ignored (progenitor
//! ignores it too).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use regex::Regex;
use serde_json::{Map, Value};

use crate::pointer;

/// Which way a value travels; decides how `readOnly` and `writeOnly` affect `required`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// A request body or parameter: `readOnly` properties are not required.
    Request,
    /// A response body: `writeOnly` properties are not required.
    Response,
}

/// One way a value fails its schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the validated value; for a missing required property, the pointer of
    /// where it should be.
    pub instance_path: String,
    /// JSON pointer into the document of the schema keyword that failed.
    pub schema_path: String,
    /// What is wrong, in one line.
    pub message: String,
}

impl Violation {
    /// The offending field as a dotted path (`plan_base.hosts`, `items[2].type`), or `body`
    /// when the whole value is at fault.
    pub fn field(&self) -> String {
        let mut out = String::new();
        for token in pointer::tokens(&self.instance_path) {
            if token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty() {
                out.push_str(&format!("[{token}]"));
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&token);
            }
        }
        if out.is_empty() {
            "body".to_owned()
        } else {
            out
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.instance_path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.instance_path, self.message)
        }
    }
}

/// Validates values against the schemas of one OpenAPI document.
///
/// ```
/// use serde_json::json;
/// use spec_core::schema::{Direction, SchemaValidator};
///
/// let doc = json!({"components": {"schemas": {"Seats": {
///     "type": "object", "required": ["hosts"],
///     "properties": {"hosts": {"type": "integer", "format": "int32", "minimum": 1}},
///     "additionalProperties": false
/// }}}});
/// let validator = SchemaValidator::new(doc);
/// let schema = json!({"$ref": "#/components/schemas/Seats"});
/// assert!(validator.validate(&schema, "", &json!({"hosts": 3}), Direction::Request).is_empty());
/// let errors = validator.validate(&schema, "", &json!({"host": 3}), Direction::Request);
/// assert_eq!(errors[0].field(), "hosts");
/// assert_eq!(errors[0].message, "required property `hosts` is missing");
/// ```
pub struct SchemaValidator {
    root: Value,
    patterns: RwLock<HashMap<String, Option<Arc<Regex>>>>,
}

impl fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaValidator").finish_non_exhaustive()
    }
}

/// Where violations go during one validation, and which way the value travels.
struct Sink {
    dir: Direction,
    out: Vec<Violation>,
}

/// How deep `$ref`s and nesting may go before the validator gives up (cyclic schemas with
/// cyclic values).
const MAX_DEPTH: usize = 128;

impl SchemaValidator {
    /// A validator for schemas inside `root` (the whole OpenAPI document, for `$ref`s).
    pub fn new(root: Value) -> Self {
        SchemaValidator {
            root,
            patterns: RwLock::new(HashMap::new()),
        }
    }

    /// The document.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Validates `instance` against `schema`, which lives at `schema_ptr` in the document (used
    /// in [`Violation::schema_path`]; pass `""` for a schema built elsewhere).
    pub fn validate(
        &self,
        schema: &Value,
        schema_ptr: &str,
        instance: &Value,
        direction: Direction,
    ) -> Vec<Violation> {
        let mut sink = Sink {
            dir: direction,
            out: Vec::new(),
        };
        self.check(schema, schema_ptr, instance, "", 0, &mut sink);
        sink.out
    }

    /// Validates against the schema at a JSON pointer of the document.
    pub fn validate_at(
        &self,
        schema_ptr: &str,
        instance: &Value,
        direction: Direction,
    ) -> Vec<Violation> {
        match self.root.pointer(schema_ptr) {
            Some(schema) => self.validate(schema, schema_ptr, instance, direction),
            None => vec![Violation {
                instance_path: String::new(),
                schema_path: schema_ptr.to_owned(),
                message: format!("no schema at `{schema_ptr}`"),
            }],
        }
    }

    fn check(
        &self,
        schema: &Value,
        sptr: &str,
        value: &Value,
        iptr: &str,
        depth: usize,
        sink: &mut Sink,
    ) {
        if depth > MAX_DEPTH {
            sink.out.push(Violation {
                instance_path: iptr.to_owned(),
                schema_path: sptr.to_owned(),
                message: "schema nesting is too deep (cyclic schema?)".into(),
            });
            return;
        }
        let Some(s) = schema.as_object() else {
            // `true`/`false` schemas do not exist in OpenAPI 3.0; `{}` is the "anything" schema.
            return;
        };
        if let Some(target) = s.get("$ref").and_then(Value::as_str) {
            // Siblings of `$ref` are ignored in OpenAPI 3.0.
            match target.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                Some(resolved) => {
                    let target_ptr = target.trim_start_matches('#').to_owned();
                    self.check(resolved, &target_ptr, value, iptr, depth + 1, sink);
                }
                None => sink.out.push(Violation {
                    instance_path: iptr.to_owned(),
                    schema_path: pointer::push(sptr, "$ref"),
                    message: format!("`{target}` does not resolve"),
                }),
            }
            return;
        }
        // OpenAPI 3.0.3 (as clarified by the OpenAPI Initiative): `nullable` adds null to the
        // values of the `type` beside it, and has no effect without one. It does not reach into
        // `allOf`/`anyOf`/`oneOf`: those still apply to a null (as in JSON Schema's
        // `type: [T, "null"]`), so a "nullable `$ref`" cannot be written as `allOf: [$ref]`.
        let null_allowed = value.is_null()
            && s.get("nullable") == Some(&Value::Bool(true))
            && s.contains_key("type");
        // Keyword failures on this value itself: (keyword, message).
        let mut local: Vec<(&'static str, String)> = Vec::new();
        if null_allowed {
            // Null passes `type` and the bounds, but the clarification keeps `enum` in force:
            // a nullable enum admits null only when it lists null.
            if let Some(options) = s.get("enum").and_then(Value::as_array)
                && !options.iter().any(Value::is_null)
            {
                local.push((
                    "enum",
                    "null is not one of the `enum` values (a nullable enum must list null)".into(),
                ));
            }
        } else if let Some(ty) = s.get("type").and_then(Value::as_str)
            && !has_type(value, ty)
        {
            local.push((
                "type",
                format!("expected {}, found {}", article(ty), describe(value)),
            ));
        } else {
            if let Some(options) = s.get("enum").and_then(Value::as_array)
                && !options.iter().any(|o| json_eq(o, value))
            {
                let listed: Vec<String> = options.iter().map(Value::to_string).collect();
                local.push((
                    "enum",
                    format!("{} is not one of [{}]", short(value), listed.join(", ")),
                ));
            }
            match value {
                Value::Number(_) => self.number(s, value, &mut local),
                Value::String(text) => self.string(s, text, &mut local),
                Value::Array(items) => array_bounds(s, items, &mut local),
                _ => {}
            }
        }
        let type_failed = local.first().is_some_and(|(k, _)| *k == "type");
        sink.out
            .extend(local.into_iter().map(|(keyword, message)| Violation {
                instance_path: iptr.to_owned(),
                schema_path: pointer::push(sptr, keyword),
                message,
            }));
        if type_failed {
            return;
        }
        match value {
            Value::Array(items) => {
                if let Some(item_schema) = s.get("items") {
                    let item_ptr = pointer::push(sptr, "items");
                    for (i, item) in items.iter().enumerate() {
                        let at = pointer::push(iptr, &i.to_string());
                        self.check(item_schema, &item_ptr, item, &at, depth + 1, sink);
                    }
                }
            }
            Value::Object(map) => self.object(s, sptr, map, iptr, depth, sink),
            _ => {}
        }
        self.combinators(s, sptr, value, iptr, depth, sink);
    }

    fn number(
        &self,
        s: &Map<String, Value>,
        value: &Value,
        found: &mut Vec<(&'static str, String)>,
    ) {
        let n = value.as_f64().unwrap_or_default();
        if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
            let exclusive = s.get("exclusiveMinimum") == Some(&Value::Bool(true));
            if n < min || (exclusive && n == min) {
                let bound = if exclusive { "above" } else { "at least" };
                found.push((
                    "minimum",
                    format!("{value} is too small: must be {bound} {min}"),
                ));
            }
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
            let exclusive = s.get("exclusiveMaximum") == Some(&Value::Bool(true));
            if n > max || (exclusive && n == max) {
                let bound = if exclusive { "below" } else { "at most" };
                found.push((
                    "maximum",
                    format!("{value} is too large: must be {bound} {max}"),
                ));
            }
        }
        if let Some(step) = s.get("multipleOf").and_then(Value::as_f64)
            && step > 0.0
        {
            let ratio = n / step;
            if (ratio - ratio.round()).abs() > 1e-9 {
                found.push(("multipleOf", format!("{value} is not a multiple of {step}")));
            }
        }
        let range = match s.get("format").and_then(Value::as_str) {
            Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX), "32-bit")),
            Some("int64") => Some((i64::MIN, i64::MAX, "64-bit")),
            _ => None,
        };
        if let Some((lo, hi, name)) = range
            && value.as_i64().is_none_or(|i| i < lo || i > hi)
        {
            found.push(("format", format!("{value} does not fit a {name} integer")));
        }
    }

    fn string(&self, s: &Map<String, Value>, text: &str, found: &mut Vec<(&'static str, String)>) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64)
            && len < min
        {
            found.push((
                "minLength",
                format!("{} is shorter than {min} characters", short_str(text)),
            ));
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
            && len > max
        {
            found.push((
                "maxLength",
                format!("{} is longer than {max} characters", short_str(text)),
            ));
        }
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            match self.regex(pattern) {
                Some(re) if !re.is_match(text) => {
                    found.push((
                        "pattern",
                        format!("{} does not match `{pattern}`", short_str(text)),
                    ));
                }
                Some(_) => {}
                None => found.push((
                    "pattern",
                    format!("`{pattern}` is not a valid regular expression"),
                )),
            }
        }
        if let Some(format) = s.get("format").and_then(Value::as_str)
            && let Some(false) = string_format(format, text)
        {
            found.push((
                "format",
                format!("{} is not a valid `{format}`", short_str(text)),
            ));
        }
    }

    fn object(
        &self,
        s: &Map<String, Value>,
        sptr: &str,
        map: &Map<String, Value>,
        iptr: &str,
        depth: usize,
        sink: &mut Sink,
    ) {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if map.contains_key(name) {
                    continue;
                }
                let prop = props.and_then(|p| p.get(name)).map(|p| self.resolve(p));
                let exempt = match sink.dir {
                    Direction::Request => flag(prop, "readOnly"),
                    Direction::Response => flag(prop, "writeOnly"),
                };
                if !exempt {
                    sink.out.push(Violation {
                        instance_path: pointer::push(iptr, name),
                        schema_path: pointer::push(sptr, "required"),
                        message: format!("required property `{name}` is missing"),
                    });
                }
            }
        }
        let count = map.len() as u64;
        if let Some(min) = s.get("minProperties").and_then(Value::as_u64)
            && count < min
        {
            sink.out.push(Violation {
                instance_path: iptr.to_owned(),
                schema_path: pointer::push(sptr, "minProperties"),
                message: format!("has {count} properties, fewer than {min}"),
            });
        }
        if let Some(max) = s.get("maxProperties").and_then(Value::as_u64)
            && count > max
        {
            sink.out.push(Violation {
                instance_path: iptr.to_owned(),
                schema_path: pointer::push(sptr, "maxProperties"),
                message: format!("has {count} properties, more than {max}"),
            });
        }
        let props_ptr = pointer::push(sptr, "properties");
        let extra_ptr = pointer::push(sptr, "additionalProperties");
        for (name, item) in map {
            let item_ptr = pointer::push(iptr, name);
            match props.and_then(|p| p.get(name)) {
                Some(prop) => {
                    self.check(
                        prop,
                        &pointer::push(&props_ptr, name),
                        item,
                        &item_ptr,
                        depth + 1,
                        sink,
                    );
                }
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => sink.out.push(Violation {
                        instance_path: item_ptr,
                        schema_path: extra_ptr.clone(),
                        message: format!("property `{name}` is not allowed here"),
                    }),
                    Some(extra @ Value::Object(_)) => {
                        self.check(extra, &extra_ptr, item, &item_ptr, depth + 1, sink);
                    }
                    _ => {}
                },
            }
        }
    }

    fn combinators(
        &self,
        s: &Map<String, Value>,
        sptr: &str,
        value: &Value,
        iptr: &str,
        depth: usize,
        sink: &mut Sink,
    ) {
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for (i, sub) in all.iter().enumerate() {
                let sub_ptr = pointer::push(&pointer::push(sptr, "allOf"), &i.to_string());
                self.check(sub, &sub_ptr, value, iptr, depth + 1, sink);
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            let Some(branches) = s.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let results: Vec<(String, Vec<Violation>)> = branches
                .iter()
                .enumerate()
                .map(|(i, sub)| {
                    let sub_ptr = pointer::push(&pointer::push(sptr, keyword), &i.to_string());
                    let mut scratch = Sink {
                        dir: sink.dir,
                        out: Vec::new(),
                    };
                    self.check(sub, &sub_ptr, value, iptr, depth + 1, &mut scratch);
                    (branch_name(sub, i), scratch.out)
                })
                .collect();
            let matching: Vec<&String> = results
                .iter()
                .filter(|(_, errors)| errors.is_empty())
                .map(|(name, _)| name)
                .collect();
            let keyword_ptr = pointer::push(sptr, keyword);
            if matching.is_empty() {
                // Report the branch that came closest, so the message names a field.
                let total = branches.len();
                match results.into_iter().min_by_key(|(_, errors)| errors.len()) {
                    Some((name, closest)) => {
                        sink.out.extend(closest.into_iter().map(|v| Violation {
                            message: format!(
                                "matches none of the {total} shapes; closest is {name}: {}",
                                v.message
                            ),
                            ..v
                        }))
                    }
                    // An empty `oneOf`/`anyOf` accepts nothing.
                    None => sink.out.push(Violation {
                        instance_path: iptr.to_owned(),
                        schema_path: keyword_ptr,
                        message: format!("`{keyword}` has no branches"),
                    }),
                }
            } else if keyword == "oneOf" && matching.len() > 1 {
                let names: Vec<&str> = matching.iter().map(|n| n.as_str()).collect();
                sink.out.push(Violation {
                    instance_path: iptr.to_owned(),
                    schema_path: keyword_ptr,
                    message: format!(
                        "matches {} shapes of a `oneOf` ({}), must match exactly one",
                        names.len(),
                        names.join(", ")
                    ),
                });
            }
        }
        if let Some(not) = s.get("not") {
            let mut scratch = Sink {
                dir: sink.dir,
                out: Vec::new(),
            };
            self.check(
                not,
                &pointer::push(sptr, "not"),
                value,
                iptr,
                depth + 1,
                &mut scratch,
            );
            if scratch.out.is_empty() {
                sink.out.push(Violation {
                    instance_path: iptr.to_owned(),
                    schema_path: pointer::push(sptr, "not"),
                    message: "matches a schema it must not match (`not`)".into(),
                });
            }
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        pointer::follow_refs(&self.root, "", schema).map_or(schema, |(_, value)| value)
    }

    fn regex(&self, pattern: &str) -> Option<Arc<Regex>> {
        if let Some(cached) = self
            .patterns
            .read()
            .ok()
            .and_then(|m| m.get(pattern).cloned())
        {
            return cached;
        }
        let compiled = Regex::new(pattern).ok().map(Arc::new);
        if let Ok(mut map) = self.patterns.write() {
            map.insert(pattern.to_owned(), compiled.clone());
        }
        compiled
    }
}

fn array_bounds(s: &Map<String, Value>, items: &[Value], found: &mut Vec<(&'static str, String)>) {
    let len = items.len() as u64;
    if let Some(min) = s.get("minItems").and_then(Value::as_u64)
        && len < min
    {
        found.push(("minItems", format!("has {len} items, fewer than {min}")));
    }
    if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
        && len > max
    {
        found.push(("maxItems", format!("has {len} items, more than {max}")));
    }
    if s.get("uniqueItems") == Some(&Value::Bool(true)) {
        for (i, a) in items.iter().enumerate() {
            if items[..i].iter().any(|b| json_eq(a, b)) {
                found.push(("uniqueItems", format!("item {i} repeats an earlier item")));
                break;
            }
        }
    }
}

fn flag(schema: Option<&Value>, key: &str) -> bool {
    schema.and_then(|s| s.get(key)) == Some(&Value::Bool(true))
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// Numbers compare by value (`1` equals `1.0`); everything else structurally.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// `Some(valid)` for formats we check, `None` for formats we do not know.
fn string_format(format: &str, text: &str) -> Option<bool> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let date = |s: &str| {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 3
            && parts[0].len() == 4
            && parts[1].len() == 2
            && parts[2].len() == 2
            && parts.iter().all(|p| digits(p))
            && (1..=12).contains(&parts[1].parse::<u32>().unwrap_or(0))
            && (1..=31).contains(&parts[2].parse::<u32>().unwrap_or(0))
    };
    Some(match format {
        "date" => date(text),
        "date-time" => {
            let (d, t) = text.split_once(['T', 't']).unwrap_or(("", ""));
            let time_ok = t.len() >= 9
                && t.as_bytes()[2] == b':'
                && t.as_bytes()[5] == b':'
                && (t.ends_with(['Z', 'z']) || t.get(8..).is_some_and(|z| z.contains(['+', '-'])));
            date(d) && time_ok
        }
        "uuid" => {
            let groups: Vec<&str> = text.split('-').collect();
            groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
                && groups
                    .iter()
                    .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        "email" => {
            let (local, domain) = text.rsplit_once('@').unwrap_or(("", ""));
            !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace)
        }
        "byte" => {
            text.len().is_multiple_of(4)
                && text
                    .trim_end_matches('=')
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        }
        _ => return None,
    })
}

fn article(ty: &str) -> String {
    match ty {
        "integer" | "array" | "object" => format!("an {ty}"),
        _ => format!("a {ty}"),
    }
}

fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => return "an array".into(),
        Value::Object(_) => return "an object".into(),
    };
    format!("{kind} {}", short(value))
}

fn short(value: &Value) -> String {
    match value {
        Value::String(s) => short_str(s),
        other => ellipsize(&other.to_string(), 60),
    }
}

fn short_str(text: &str) -> String {
    format!("\"{}\"", ellipsize(text, 60))
}

/// `text` cut to at most `max_chars` characters (not bytes, so never inside a character),
/// ending in `...` when cut.
pub fn ellipsize(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(3)).collect();
    format!("{kept}...")
}

/// A readable name for a `oneOf`/`anyOf` branch: the `$ref`'s schema name, or its position.
fn branch_name(schema: &Value, index: usize) -> String {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => format!("`{}`", target.rsplit('/').next().unwrap_or(target)),
        None => format!("shape {}", index + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(schema: Value, value: Value) -> Vec<String> {
        let validator = SchemaValidator::new(json!({}));
        validator
            .validate(&schema, "", &value, Direction::Response)
            .into_iter()
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn types_and_nullable() {
        assert!(errors(json!({"type": "integer"}), json!(3)).is_empty());
        assert_eq!(
            errors(json!({"type": "integer"}), json!(3.5)),
            ["expected an integer, found number 3.5"]
        );
        assert_eq!(
            errors(json!({"type": "string"}), json!(null)),
            ["expected a string, found null"]
        );
        assert!(errors(json!({"type": "string", "nullable": true}), json!(null)).is_empty());
        // Without a `type` beside it, `nullable` has no effect.
        let untyped = json!({"nullable": true, "allOf": [{"type": "object"}]});
        assert_eq!(
            errors(untyped, json!(null)),
            ["expected an object, found null"]
        );
        // Nullable does not reach into `allOf`: the referenced shape must allow null itself.
        let wrapped = json!({"type": "object", "nullable": true, "allOf": [{"type": "object"}]});
        assert_eq!(
            errors(wrapped, json!(null)),
            ["expected an object, found null"]
        );
        let inline =
            json!({"type": "object", "nullable": true, "properties": {"a": {"type": "string"}}});
        assert!(errors(inline, json!(null)).is_empty());
        assert!(errors(json!({"type": "number"}), json!(3)).is_empty());
    }

    #[test]
    fn formats_bound_integers_and_strings() {
        assert_eq!(
            errors(
                json!({"type": "integer", "format": "int32"}),
                json!(4_294_967_296_i64)
            ),
            ["4294967296 does not fit a 32-bit integer"]
        );
        assert!(
            errors(
                json!({"type": "string", "format": "date"}),
                json!("2026-11-23")
            )
            .is_empty()
        );
        assert_eq!(
            errors(
                json!({"type": "string", "format": "date"}),
                json!("2026-13-01")
            )
            .len(),
            1
        );
        assert!(
            errors(
                json!({"type": "string", "format": "date-time"}),
                json!("2020-05-31T00:00:00Z")
            )
            .is_empty()
        );
        assert!(errors(json!({"type": "string", "format": "made-up"}), json!("x")).is_empty());
        // Multi-byte text where byte offsets would fall inside a character.
        assert_eq!(
            errors(
                json!({"type": "string", "format": "date-time"}),
                json!("2020-05-31T00:00:0éé")
            )
            .len(),
            1
        );
        let long = "é".repeat(100);
        let reported = errors(json!({"type": "string", "maxLength": 3}), json!(long));
        assert_eq!(reported.len(), 1);
        assert!(
            reported[0].contains(&format!("\"{}...\"", "é".repeat(57))),
            "{reported:?}"
        );
        assert_eq!(
            errors(json!({"type": "integer"}), json!(["é".repeat(80)]))[0],
            format!("expected an integer, found an array")
        );
    }

    #[test]
    fn text_is_cut_by_characters() {
        assert_eq!(ellipsize("abc", 3), "abc");
        assert_eq!(ellipsize("abcd", 3), "...");
        assert_eq!(ellipsize(&"日".repeat(10), 5), "日日...");
    }

    #[test]
    fn empty_one_of_and_nullable_enums() {
        assert_eq!(
            errors(json!({"oneOf": []}), json!(1)),
            ["`oneOf` has no branches"]
        );
        assert_eq!(
            errors(json!({"anyOf": []}), json!("x")),
            ["`anyOf` has no branches"]
        );
        let nullable_enum = json!({"type": "string", "nullable": true, "enum": ["a", "b"]});
        assert_eq!(errors(nullable_enum.clone(), json!(null)).len(), 1);
        assert!(errors(nullable_enum, json!("a")).is_empty());
        let listing_null = json!({"type": "string", "nullable": true, "enum": ["a", null]});
        assert!(errors(listing_null, json!(null)).is_empty());
        assert!(errors(json!({"type": "string", "nullable": true}), json!(null)).is_empty());
    }

    #[test]
    fn bounds_lengths_patterns_enums() {
        let bounded =
            json!({"type": "integer", "minimum": 1, "maximum": 6, "exclusiveMaximum": true});
        assert!(errors(bounded.clone(), json!(5)).is_empty());
        assert_eq!(
            errors(bounded.clone(), json!(6)),
            ["6 is too large: must be below 6"]
        );
        assert_eq!(
            errors(bounded, json!(0)),
            ["0 is too small: must be at least 1"]
        );
        assert_eq!(
            errors(json!({"type": "string", "minLength": 32}), json!("short")),
            ["\"short\" is shorter than 32 characters"]
        );
        assert_eq!(
            errors(
                json!({"type": "string", "pattern": "^-?[0-9]+$"}),
                json!("4x")
            ),
            ["\"4x\" does not match `^-?[0-9]+$`"]
        );
        assert_eq!(
            errors(json!({"enum": [1, 12, 24]}), json!(13)),
            ["13 is not one of [1, 12, 24]"]
        );
        assert!(errors(json!({"enum": [1, 12]}), json!(12.0)).is_empty());
    }

    #[test]
    fn objects_name_the_field() {
        let schema = json!({
            "type": "object", "required": ["type", "hosts"],
            "properties": {"type": {"type": "string"}, "hosts": {"type": "integer", "minimum": 1},
                           "id": {"type": "string", "readOnly": true}},
            "additionalProperties": false
        });
        let validator = SchemaValidator::new(json!({}));
        let found = validator.validate(
            &schema,
            "/s",
            &json!({"type": "x", "hosts": 0, "extra": 1}),
            Direction::Request,
        );
        let fields: Vec<String> = found.iter().map(Violation::field).collect();
        assert_eq!(fields, ["hosts", "extra"]);
        assert_eq!(found[0].schema_path, "/s/properties/hosts/minimum");
        let missing = validator.validate(&schema, "", &json!({"type": "x"}), Direction::Request);
        assert_eq!(missing[0].field(), "hosts");
        assert_eq!(missing[0].message, "required property `hosts` is missing");
    }

    #[test]
    fn refs_and_one_of_report_the_closest_branch() {
        let doc = json!({"components": {"schemas": {
            "Generic": {"type": "object", "required": ["type", "hosts"], "additionalProperties": false,
                        "properties": {"type": {"type": "string"}, "hosts": {"type": "integer"}}},
            "Phone": {"type": "object", "required": ["type", "plan_details"], "additionalProperties": false,
                      "properties": {"type": {"type": "string"}, "plan_details": {"type": "object"}}},
            "Either": {"oneOf": [{"$ref": "#/components/schemas/Generic"}, {"$ref": "#/components/schemas/Phone"}]}
        }}});
        let validator = SchemaValidator::new(doc);
        assert!(
            validator
                .validate_at(
                    "/components/schemas/Either",
                    &json!({"type": "a", "hosts": 2}),
                    Direction::Request
                )
                .is_empty()
        );
        let found = validator.validate_at(
            "/components/schemas/Either",
            &json!({"type": "a"}),
            Direction::Request,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field(), "hosts");
        assert!(
            found[0].message.contains("closest is `Generic`"),
            "{}",
            found[0].message
        );
        let loose = json!({"oneOf": [{"type": "number"}, {"type": "integer"}]});
        assert!(errors(loose, json!(3))[0].contains("must match exactly one"));
    }

    #[test]
    fn arrays_and_dotted_fields() {
        let schema = json!({"type": "array", "maxItems": 3, "uniqueItems": true,
                            "items": {"type": "object", "properties": {"hosts": {"type": "integer"}}}});
        let validator = SchemaValidator::new(json!({}));
        let found = validator.validate(
            &schema,
            "",
            &json!([{"hosts": 1}, {"hosts": "2"}]),
            Direction::Response,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field(), "[1].hosts");
        assert_eq!(
            errors(
                schema,
                json!([{"hosts": 1}, {"hosts": 1}, {}, {"hosts": 3}])
            )
            .len(),
            2
        );
    }

    #[test]
    fn cyclic_schemas_terminate() {
        let doc = json!({"components": {"schemas": {"Node": {"type": "object",
            "properties": {"next": {"$ref": "#/components/schemas/Node"}}}}}});
        let validator = SchemaValidator::new(doc);
        let deep = (0..40).fold(json!({}), |acc, _| json!({"next": acc}));
        assert!(
            validator
                .validate_at("/components/schemas/Node", &deep, Direction::Response)
                .is_empty()
        );
    }
}
