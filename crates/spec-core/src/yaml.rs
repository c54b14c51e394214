//! YAML → JSON loading that remembers where every node came from.
//!
//! OpenAPI documents are trees of JSON values; our tools report problems by JSON pointer *and*
//! by `line:col` in the YAML file. This loader converts a YAML stream into a
//! [`serde_json::Value`] while recording the source position of every node, so any pointer can
//! be mapped back to a place an editor can jump to.
//!
//! Scalars are resolved with the YAML 1.2 core schema (`yes`/`no`/`on` stay strings). Things a
//! JSON document cannot express are reported instead of silently converted: mapping keys that
//! are not strings (`200:` is an integer key) and duplicate keys are collected as
//! [`KeyIssue`]s; `.inf`/`.nan`, unknown tags and multi-document streams are hard errors.

use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

use crate::pointer;

/// A 1-based line and column in a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters, starting at 1.
    pub col: usize,
}

impl Position {
    fn from_span(span: Span) -> Self {
        Position {
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A mapping key that JSON (and therefore OpenAPI tooling) would see differently from the
/// author's intent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIssue {
    /// What is wrong with the key.
    pub kind: KeyIssueKind,
    /// JSON pointer of the entry the key introduces.
    pub pointer: String,
    /// Where the key is written.
    pub position: Position,
}

/// The kinds of [`KeyIssue`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyIssueKind {
    /// An unquoted key that YAML resolves to a number, boolean or null (e.g. `200:`).
    NonStringKey {
        /// The YAML type the key resolved to (`integer`, `boolean`, …).
        resolved_as: &'static str,
    },
    /// The same key appears twice in one mapping; the first occurrence is kept.
    DuplicateKey {
        /// Where the first occurrence is written.
        first: Position,
    },
}

/// A YAML document converted to JSON, with source positions.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document as a JSON value.
    pub value: Value,
    /// Position of each node's value, by JSON pointer.
    value_positions: HashMap<String, Position>,
    /// Position of the key that introduces each mapping entry, by JSON pointer.
    key_positions: HashMap<String, Position>,
    /// Keys JSON cannot represent faithfully.
    pub key_issues: Vec<KeyIssue>,
}

impl Document {
    /// The best source position for a JSON pointer.
    ///
    /// Scalars report the position of their value; mappings and sequences the position of the
    /// key that introduces them (the line a reader looks for). A pointer that does not exist
    /// (for example a missing property) falls back to its nearest existing ancestor.
    pub fn locate(&self, pointer: &str) -> Position {
        let mut current = pointer;
        loop {
            if let Some(pos) = self.position_of(current) {
                return pos;
            }
            match current.rfind('/') {
                Some(idx) => current = &current[..idx],
                None => return Position { line: 1, col: 1 },
            }
        }
    }

    /// Where the key introducing the entry at `pointer` is written, if it is a mapping entry.
    pub fn key_position(&self, pointer: &str) -> Option<Position> {
        self.key_positions.get(pointer).copied()
    }

    fn position_of(&self, pointer: &str) -> Option<Position> {
        // Only nodes of the value have a position: what sits under a repeated key was dropped,
        // so pointers into it fall back like any other missing pointer.
        let node = self.value.pointer(pointer)?;
        if node.is_object() || node.is_array() {
            self.key_positions
                .get(pointer)
                .or_else(|| self.value_positions.get(pointer))
                .copied()
        } else {
            self.value_positions
                .get(pointer)
                .or_else(|| self.key_positions.get(pointer))
                .copied()
        }
    }
}

/// Why a YAML text could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {message}")]
pub struct YamlError {
    /// Where the problem is.
    pub position: Position,
    /// What the problem is.
    pub message: String,
}

impl From<ScanError> for YamlError {
    fn from(err: ScanError) -> Self {
        let mark = err.marker();
        YamlError {
            position: Position {
                line: mark.line(),
                col: mark.col() + 1,
            },
            message: format!("YAML syntax error: {}", err.info()),
        }
    }
}

/// The most nodes that aliases (`*name`) may copy into one document in total.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// The most collections that may be open inside one another. The scanner bounds flow nesting
/// (`[[[`) on its own but not block nesting (`- - - x`), and a value nested many thousand
/// levels deep overflows the stack when it is dropped, cloned or serialized.
pub const MAX_NESTING: usize = 256;

/// Nodes in a value: itself and everything inside it.
fn node_count(value: &Value) -> usize {
    match value {
        Value::Array(items) => items.iter().map(node_count).fold(1, usize::saturating_add),
        Value::Object(map) => map.values().map(node_count).fold(1, usize::saturating_add),
        _ => 1,
    }
}

/// Parses a single YAML document into JSON with positions.
///
/// ```
/// let doc = spec_core::yaml::parse("a:\n  b: [1, two]\n").unwrap();
/// assert_eq!(doc.value, serde_json::json!({"a": {"b": [1, "two"]}}));
/// assert_eq!(doc.locate("/a/b/1").to_string(), "2:10");
/// ```
pub fn parse(source: &str) -> Result<Document, YamlError> {
    let mut builder = Builder::default();
    let mut documents = 0usize;
    for event in Parser::new_from_str(source) {
        let (event, span) = event?;
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        position: Position::from_span(span),
                        message: "expected one YAML document, found several".into(),
                    });
                }
            }
            other => builder.event(other, span)?,
        }
    }
    let value = builder.root.take().unwrap_or(Value::Null);
    // Empty nodes at the very end (`---` or `? ` without a line break) get the scanner's
    // end-of-stream mark, which sits on a line after the last one; keep them on the last line.
    let end = end_position(source);
    let issue_positions = builder.key_issues.iter_mut().flat_map(|issue| {
        let first = match &mut issue.kind {
            KeyIssueKind::DuplicateKey { first } => Some(first),
            KeyIssueKind::NonStringKey { .. } => None,
        };
        std::iter::once(&mut issue.position).chain(first)
    });
    for position in builder
        .value_positions
        .values_mut()
        .chain(builder.key_positions.values_mut())
        .chain(issue_positions)
    {
        *position = (*position).min(end);
    }
    Ok(Document {
        value,
        value_positions: builder.value_positions,
        key_positions: builder.key_positions,
        key_issues: builder.key_issues,
    })
}

/// The position just past the last character, counting lines and columns as the scanner does
/// (CR, LF and CRLF end lines; a byte order mark at the start of a line takes no column).
fn end_position(source: &str) -> Position {
    let mut end = Position { line: 1, col: 1 };
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                end = Position {
                    line: end.line + 1,
                    col: 1,
                };
            }
            '\u{feff}' if end.col == 1 => {}
            _ => end.col += 1,
        }
    }
    end
}

/// A container under construction.
enum Frame {
    Map {
        map: Map<String, Value>,
        pointer: String,
        anchor: usize,
        /// The key read and waiting for its value, with its position.
        pending_key: Option<(String, Position)>,
        key_seen: HashMap<String, Position>,
    },
    Seq {
        items: Vec<Value>,
        pointer: String,
        anchor: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    /// Anchored values with their node counts.
    anchors: HashMap<usize, (Value, usize)>,
    /// Nodes copied by aliases so far (bounded by [`MAX_ALIAS_NODES`]).
    alias_nodes: usize,
    value_positions: HashMap<String, Position>,
    key_positions: HashMap<String, Position>,
    key_issues: Vec<KeyIssue>,
}

impl Builder {
    /// The JSON pointer the next value will be stored at.
    fn next_pointer(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map {
                pointer,
                pending_key: Some((key, _)),
                ..
            }) => pointer::push(pointer, key),
            // A value in key position: pointer is irrelevant (keys are checked separately).
            Some(Frame::Map { pointer, .. }) => pointer.clone(),
            Some(Frame::Seq { items, pointer, .. }) => {
                pointer::push(pointer, &items.len().to_string())
            }
        }
    }

    fn in_key_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        let position = Position::from_span(span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if self.in_key_position() {
                    return self.key(&text, style, tag.as_deref(), position);
                }
                let value = resolve_scalar(&text, style, tag.as_deref(), position)?;
                if anchor != 0 {
                    self.anchors.insert(anchor, (value.clone(), 1));
                }
                let pointer = self.next_pointer();
                self.record_value(pointer, position);
                self.finish_value(value);
            }
            Event::Alias(anchor) => {
                if self.in_key_position() {
                    return Err(YamlError {
                        position,
                        message: "aliases cannot be used as mapping keys here".into(),
                    });
                }
                let (value, nodes) = self.anchors.get(&anchor).ok_or(YamlError {
                    position,
                    message: "alias refers to an unknown anchor".into(),
                })?;
                // Aliases of aliases grow exponentially ("billion laughs"): refuse to copy
                // more than a bounded number of nodes in total.
                self.alias_nodes = self.alias_nodes.saturating_add(*nodes);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        position,
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes; write the values out or use `$ref`"
                        ),
                    });
                }
                let value = value.clone();
                let pointer = self.next_pointer();
                self.record_value(pointer, position);
                self.finish_value(value);
            }
            Event::SequenceStart(anchor, tag) => {
                let pointer = self.start_collection(tag.as_deref(), "seq", position)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    pointer,
                    anchor,
                });
            }
            Event::MappingStart(anchor, tag) => {
                let pointer = self.start_collection(tag.as_deref(), "map", position)?;
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    pointer,
                    anchor,
                    pending_key: None,
                    key_seen: HashMap::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, anchor, .. }) => (Value::Array(items), anchor),
                    Some(Frame::Map { map, anchor, .. }) => (Value::Object(map), anchor),
                    None => {
                        return Err(YamlError {
                            position,
                            message: "unbalanced collection end".into(),
                        });
                    }
                };
                if anchor != 0 {
                    self.anchors
                        .insert(anchor, (value.clone(), node_count(&value)));
                }
                self.finish_value(value);
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
        Ok(())
    }
}

impl Builder {
    /// Checks that a collection may start here and returns the pointer it will live at.
    fn start_collection(
        &mut self,
        tag: Option<&Tag>,
        core_suffix: &str,
        position: Position,
    ) -> Result<String, YamlError> {
        if self.in_key_position() {
            return Err(YamlError {
                position,
                message: "mapping keys must be scalars, not collections".into(),
            });
        }
        if self.stack.len() >= MAX_NESTING {
            return Err(YamlError {
                position,
                message: format!("collections are nested more than {MAX_NESTING} levels deep"),
            });
        }
        if let Some(tag) = tag
            && !(tag.is_yaml_core_schema() && tag.suffix == core_suffix)
        {
            return Err(unsupported_tag(tag, position));
        }
        let pointer = self.next_pointer();
        self.record_value(pointer.clone(), position);
        Ok(pointer)
    }

    /// Notes where the value at `pointer` starts. The value under a repeated key reuses the
    /// pointers of the first one, which is the value kept, so the first position stays.
    fn record_value(&mut self, pointer: String, position: Position) {
        self.value_positions.entry(pointer).or_insert(position);
    }

    /// Records a mapping key, noting keys that are not plain strings or are repeated.
    fn key(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        position: Position,
    ) -> Result<(), YamlError> {
        let resolved = resolve_scalar(text, style, tag, position)?;
        let Some(Frame::Map {
            pointer,
            pending_key,
            key_seen,
            ..
        }) = self.stack.last_mut()
        else {
            unreachable!("key() is only called in key position");
        };
        let key = match &resolved {
            Value::String(s) => s.clone(),
            _ => text.to_owned(),
        };
        let entry_pointer = pointer::push(pointer, &key);
        let resolved_as = match resolved {
            Value::String(_) => None,
            Value::Number(n) if n.is_f64() => Some("number"),
            Value::Number(_) => Some("integer"),
            Value::Bool(_) => Some("boolean"),
            Value::Null => Some("null"),
            Value::Array(_) | Value::Object(_) => unreachable!("scalars resolve to scalars"),
        };
        if let Some(resolved_as) = resolved_as {
            self.key_issues.push(KeyIssue {
                kind: KeyIssueKind::NonStringKey { resolved_as },
                pointer: entry_pointer.clone(),
                position,
            });
        }
        if let Some(first) = key_seen.get(&key) {
            self.key_issues.push(KeyIssue {
                kind: KeyIssueKind::DuplicateKey { first: *first },
                pointer: entry_pointer.clone(),
                position,
            });
        } else {
            key_seen.insert(key.clone(), position);
        }
        *pending_key = Some((key, position));
        self.key_positions.entry(entry_pointer).or_insert(position);
        Ok(())
    }

    /// Stores a finished value in its parent (or as the document root).
    fn finish_value(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, pending_key, ..
            }) => {
                if let Some((key, _)) = pending_key.take() {
                    // On a duplicate key the first value wins; the duplicate is reported.
                    map.entry(key).or_insert(value);
                }
            }
        }
    }
}

fn unsupported_tag(tag: &Tag, position: Position) -> YamlError {
    YamlError {
        position,
        message: format!(
            "unsupported YAML tag `{}{}`: OpenAPI documents are plain JSON data",
            tag.handle, tag.suffix
        ),
    }
}

/// Resolves a scalar with the YAML 1.2 core schema.
fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    position: Position,
) -> Result<Value, YamlError> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(unsupported_tag(tag, position));
        }
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text.to_owned())),
            "null" | "bool" | "int" | "float" => {
                let value = resolve_plain(text, position)?;
                let matches = match tag.suffix.as_str() {
                    "null" => value.is_null(),
                    "bool" => value.is_boolean(),
                    "int" => value.is_i64() || value.is_u64(),
                    _ => value.is_number(),
                };
                if matches {
                    Ok(value)
                } else {
                    Err(YamlError {
                        position,
                        message: format!("`{text}` is not a valid !!{}", tag.suffix),
                    })
                }
            }
            _ => Err(unsupported_tag(tag, position)),
        };
    }
    match style {
        ScalarStyle::Plain => resolve_plain(text, position),
        _ => Ok(Value::String(text.to_owned())),
    }
}

fn resolve_plain(text: &str, position: Position) -> Result<Value, YamlError> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(YamlError {
                position,
                message: format!("`{text}` has no JSON representation"),
            });
        }
        _ => {}
    }
    if let Some(value) = resolve_int(text) {
        return Ok(value);
    }
    if is_core_float(text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Ok(Value::Number(n));
    }
    Ok(Value::String(text.to_owned()))
}

fn resolve_int(text: &str) -> Option<Value> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = text.strip_prefix("0x") {
        (16, hex)
    } else if let Some(oct) = text.strip_prefix("0o") {
        (8, oct)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    if radix != 10 && text.starts_with(['-', '+']) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok();
    match (negative, magnitude) {
        (false, Some(m)) => Some(Value::Number(m.into())),
        (true, Some(m)) if m <= i64::MAX as u64 + 1 => {
            Some(Value::Number((0i64.wrapping_sub_unsigned(m)).into()))
        }
        // Out of 64-bit range: YAML still calls it an integer; JSON keeps it as a float.
        _ => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number),
    }
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_core_schema_scalars() {
        let doc = parse(
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: ~\nf: yes\ng: '3'\nh: 0x1F\ni: 1e3\nj: .5\nk: 2020-01-01\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": null, "f": "yes", "g": "3",
                   "h": 31, "i": 1000.0, "j": 0.5, "k": "2020-01-01"})
        );
    }

    #[test]
    fn records_positions_of_values_and_keys() {
        let src = "paths:\n  /x:\n    get:\n      responses:\n        '200':\n          description: ok\n";
        let doc = parse(src).unwrap();
        // A scalar reports its value.
        assert_eq!(
            doc.locate("/paths/~1x/get/responses/200/description"),
            Position { line: 6, col: 24 }
        );
        // A mapping reports its key.
        assert_eq!(doc.locate("/paths/~1x/get"), Position { line: 3, col: 5 });
        // A missing child falls back to the nearest ancestor.
        assert_eq!(
            doc.locate("/paths/~1x/get/operationId"),
            Position { line: 3, col: 5 }
        );
    }

    #[test]
    fn reports_integer_and_duplicate_keys() {
        let doc = parse("responses:\n  200:\n    a: 1\n    a: 2\n").unwrap();
        assert_eq!(doc.value, json!({"responses": {"200": {"a": 1}}}));
        assert_eq!(
            doc.key_issues,
            vec![
                KeyIssue {
                    kind: KeyIssueKind::NonStringKey {
                        resolved_as: "integer"
                    },
                    pointer: "/responses/200".into(),
                    position: Position { line: 2, col: 3 },
                },
                KeyIssue {
                    kind: KeyIssueKind::DuplicateKey {
                        first: Position { line: 3, col: 5 }
                    },
                    pointer: "/responses/200/a".into(),
                    position: Position { line: 4, col: 5 },
                },
            ]
        );
    }

    #[test]
    fn repeated_keys_keep_the_positions_of_the_kept_value() {
        let doc = parse("a: 1\nb: {c: 2}\na: 3\nb: {c: 4, d: 5}\n").unwrap();
        assert_eq!(doc.value, json!({"a": 1, "b": {"c": 2}}));
        assert_eq!(doc.locate("/a"), Position { line: 1, col: 4 });
        assert_eq!(doc.locate("/b/c"), Position { line: 2, col: 8 });
        // `d` only exists in the dropped value: it falls back to its kept parent.
        assert_eq!(doc.locate("/b/d"), Position { line: 2, col: 1 });
    }

    #[test]
    fn empty_values_at_the_end_stay_inside_the_text() {
        assert_eq!(
            parse("---").unwrap().locate(""),
            Position { line: 1, col: 4 }
        );
        assert_eq!(
            parse("a: 1\r\nb:").unwrap().locate("/b"),
            Position { line: 2, col: 2 }
        );
        assert_eq!(
            parse("\u{feff}--- ").unwrap().locate(""),
            Position { line: 1, col: 5 }
        );
        // An empty explicit key at the very end is a null key on the last line.
        let doc = parse("? #").unwrap();
        assert_eq!(doc.key_issues[0].position, Position { line: 1, col: 4 });
    }

    #[test]
    fn bounds_block_nesting() {
        let deep = format!("{}x\n", "- ".repeat(20_000));
        // Run where the stack is small, so an unbounded value would overflow it when dropped.
        let outcome = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || parse(&deep).map(|_| ()))
            .unwrap()
            .join()
            .unwrap();
        assert!(outcome.unwrap_err().message.contains("nested more than"));
        let fine = format!("{}x\n", "- ".repeat(MAX_NESTING));
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn expands_aliases() {
        let doc = parse("a: &x {k: [1]}\nb: *x\n").unwrap();
        assert_eq!(doc.value, json!({"a": {"k": [1]}, "b": {"k": [1]}}));
    }

    #[test]
    fn bounds_alias_expansion() {
        // Nine levels of ten aliases each would copy 10^9 nodes.
        let mut source = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*l{}", level - 1);
            let items = [previous.as_str(); 10].join(", ");
            source.push_str(&format!("l{level}: &l{level} [{items}]\n"));
        }
        let err = parse(&source).unwrap_err();
        assert!(err.message.contains("aliases expand to more than"), "{err}");
        // Modest reuse stays fine.
        assert!(parse("a: &a [1, 2]\nb: [*a, *a, *a]\n").is_ok());
    }

    #[test]
    fn rejects_what_json_cannot_hold() {
        assert!(parse("a: .inf\n").unwrap_err().message.contains("no JSON"));
        assert!(parse("a: !custom x\n").unwrap_err().message.contains("tag"));
        assert!(
            parse("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("one YAML document")
        );
        let err = parse("a: [1\n").unwrap_err();
        assert!(err.message.starts_with("YAML syntax error"), "{err}");
    }
}
