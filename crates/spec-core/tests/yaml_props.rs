//! Property tests for the YAML loader, [`spec_core::yaml::parse`], fed text from outside.
//!
//! Inputs come from four families: any string, any bytes read as lossy UTF-8, a soup of YAML
//! tokens, and trees rendered as YAML-like text (anchors, tags, odd scalars, repeated and
//! integer keys, deep nesting, tabs, BOMs, CR and CRLF line ends). The loader must return
//! `Ok` or `Err` without panicking, and every `line:col` it reports on success must point into
//! the text. A fifth family renders well-formed YAML from a model and checks the value, the key
//! issues and the exact positions against what the renderer wrote.
//!
//! The number of cases per property is proptest's default (256), or `PROPTEST_CASES` when set;
//! see the README for the long run.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use spec_core::pointer;
use spec_core::yaml::{self, Document, KeyIssue, KeyIssueKind, Position};

/// Reads `PROPTEST_CASES` (through proptest's own default), so the long run needs no edit.
fn config() -> ProptestConfig {
    ProptestConfig::default()
}

#[test]
fn config_honours_proptest_cases() {
    let wanted = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    assert_eq!(config().cases, wanted.unwrap_or(256));
}

// --- Checking positions --------------------------------------------------------------------

/// Characters per line, with lines broken at LF, CR or CRLF as the YAML scanner breaks them.
fn line_lengths(source: &str) -> Vec<usize> {
    let mut lengths = vec![0];
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lengths.push(0);
            }
            '\n' => lengths.push(0),
            _ => *lengths.last_mut().expect("never empty") += 1,
        }
    }
    lengths
}

/// Fails unless `pos` names a line of the text and a column on it, or just past its end (where
/// an empty value such as the one after `key:` sits).
fn assert_inside(lengths: &[usize], pos: Position, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        (1..=lengths.len()).contains(&pos.line),
        "{what}: line of {pos} is outside the {} lines",
        lengths.len()
    );
    let width = lengths[pos.line - 1];
    prop_assert!(
        (1..=width + 1).contains(&pos.col),
        "{what}: column of {pos} is outside line {} ({width} characters)",
        pos.line
    );
    Ok(())
}

/// Pointers to the nodes of `value`, root first, at most `limit` of them (aliases can make a
/// document large).
fn node_pointers(value: &Value, limit: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut next = 0;
    while next < out.len() && out.len() < limit {
        let at = out[next].clone();
        next += 1;
        match value.pointer(&at) {
            Some(Value::Object(map)) => out.extend(map.keys().map(|k| pointer::push(&at, k))),
            Some(Value::Array(items)) => {
                out.extend((0..items.len()).map(|i| pointer::push(&at, &i.to_string())))
            }
            _ => {}
        }
    }
    out.truncate(limit);
    out
}

/// Every position a loaded document can report lies inside `source`.
fn check_positions(source: &str, doc: &Document) -> Result<(), TestCaseError> {
    let lengths = line_lengths(source);
    let mut pointers = node_pointers(&doc.value, 2_000);
    if pointers.len() > 64 {
        // `locate` costs time in the depth; check the shallowest and deepest nodes of big
        // documents only.
        pointers.drain(32..pointers.len() - 32);
    }
    for at in pointers {
        assert_inside(&lengths, doc.locate(&at), &format!("locate({at:?})"))?;
        assert_inside(
            &lengths,
            doc.locate(&pointer::push(&at, "no such child")),
            &format!("locate below {at:?}"),
        )?;
        if let Some(pos) = doc.key_position(&at) {
            assert_inside(&lengths, pos, &format!("key_position({at:?})"))?;
        }
    }
    for issue in &doc.key_issues {
        assert_inside(&lengths, issue.position, &format!("{issue:?}"))?;
        if let KeyIssueKind::DuplicateKey { first } = issue.kind {
            assert_inside(&lengths, first, &format!("first of {issue:?}"))?;
            prop_assert!(first < issue.position, "{issue:?}: first is not earlier");
        }
    }
    prop_assert!(serde_json::to_string(&doc.value).is_ok());
    Ok(())
}

/// Parses `source` (which must not panic) and checks the positions of a success.
fn parse_and_check(source: &str) -> Result<(), TestCaseError> {
    match yaml::parse(source) {
        Ok(doc) => check_positions(source, &doc),
        Err(err) => {
            // Errors may point one line past the end (the scanner's end of stream), never
            // before the start.
            prop_assert!(err.position.line >= 1 && err.position.col >= 1, "{err}");
            prop_assert!(err.position.line <= line_lengths(source).len() + 1, "{err}");
            prop_assert!(!err.message.is_empty());
            Ok(())
        }
    }
}

// --- Unstructured input --------------------------------------------------------------------

/// Pieces of YAML syntax, valid or not, for the token soup.
const TOKENS: &[&str] = &[
    "a",
    "b",
    "key",
    "200",
    "0x1F",
    "0o17",
    "-1",
    "+1",
    "1.5",
    "1e3",
    "1e400",
    "18446744073709551616",
    "-9223372036854775809",
    ".inf",
    "-.Inf",
    ".NaN",
    "~",
    "null",
    "true",
    "yes",
    "é",
    "日本",
    ":",
    ": ",
    "-",
    "- ",
    "? ",
    ",",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "*zz",
    "!!str ",
    "!!int ",
    "!!map ",
    "!!seq ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!binary ",
    "!x ",
    "! ",
    "!<tag:yaml.org,2002:str> ",
    "!e!t ",
    "%TAG !e! tag:e,2000:\n",
    "%YAML 1.2\n",
    "'",
    "''",
    "\"",
    "\\",
    "\\u00e9",
    "\\x4",
    "#",
    " # c",
    "|",
    "|-",
    ">",
    ">+",
    "|2",
    "---",
    "...",
    "\n",
    "\r\n",
    "\r",
    " ",
    "  ",
    "\t",
    "\u{feff}",
    "\0",
    "\u{85}",
    "\u{2028}",
    "@",
    "`",
    "%",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|parts| parts.concat())
}

// --- YAML-like trees, valid or not ---------------------------------------------------------

/// A tree rendered as YAML-like text without any promise that it is valid.
#[derive(Clone, Debug)]
enum Loose {
    Scalar(&'static str),
    Alias(&'static str),
    Map {
        props: &'static str,
        flow: bool,
        entries: Vec<(&'static str, Loose)>,
    },
    Seq {
        props: &'static str,
        flow: bool,
        items: Vec<Loose>,
    },
}

const ODD_SCALARS: &[&str] = &[
    "x",
    "hello world",
    "0",
    "-0",
    "+12",
    "007",
    "0x1F",
    "0xZZ",
    "0x",
    "0o17",
    "0o9",
    "1_000",
    "1.5",
    ".5",
    "5.",
    "1e3",
    "1E-3",
    "1e400",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    ".inf",
    "-.INF",
    ".nan",
    "~",
    "null",
    "Null",
    "",
    "true",
    "False",
    "yes",
    "on",
    "2020-01-01",
    "'single'",
    "'it''s'",
    "''",
    "\"double \\u00e9 \\t\"",
    "\"bad \\q escape\"",
    "\"unterminated",
    "!!str 12",
    "!!int 12",
    "!!int x",
    "!!float 1",
    "!!bool yes",
    "!!null ''",
    "!!binary aGk=",
    "!custom x",
    "&s anchored",
    "|\n  literal\n",
    ">-\n  folded\n",
    "a: b",
    "- x",
    "#",
    "é",
    "tab\there",
    "\u{feff}",
];

const ODD_KEYS: &[&str] = &[
    "a", "a", "b", "é", "200", "404", "-1", "0x1F", "1.5", "true", "null", "~", "'200'", "\"a\"",
    "''", "? a", "[k]", "{k: v}", "*a", "&a k", "!!str 7", "!!int 7", ".inf", "a b", "a\tb",
];

const PROPS: &[&str] = &[
    "",
    "",
    "",
    "&a ",
    "&b ",
    "!!map ",
    "!!seq ",
    "&a !!map ",
    "!x ",
];

const ALIASES: &[&str] = &["*a", "*b", "*s", "*nowhere"];

fn loose_tree() -> impl Strategy<Value = Loose> {
    let leaf = prop_oneof![
        4 => prop::sample::select(ODD_SCALARS).prop_map(Loose::Scalar),
        1 => prop::sample::select(ALIASES).prop_map(Loose::Alias),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            (
                prop::sample::select(PROPS),
                any::<bool>(),
                prop::collection::vec((prop::sample::select(ODD_KEYS), inner.clone()), 0..5)
            )
                .prop_map(|(props, flow, entries)| Loose::Map {
                    props,
                    flow,
                    entries
                }),
            (
                prop::sample::select(PROPS),
                any::<bool>(),
                prop::collection::vec(inner, 0..5)
            )
                .prop_map(|(props, flow, items)| Loose::Seq { props, flow, items }),
        ]
    })
}

/// How a tree is laid out as text.
#[derive(Clone, Debug)]
struct Layout {
    bom: bool,
    header: bool,
    footer: bool,
    /// One level of block indentation (spaces, or a tab, which YAML forbids there).
    indent: &'static str,
    newline: &'static str,
    /// What follows `:` and `-` before a value on the same line.
    gap: &'static str,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        // Mostly valid indentation and gaps, sometimes tabs where YAML forbids them.
        prop::sample::select(&["  ", "  ", " ", "    ", "\t", " \t"][..]),
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
        prop::sample::select(&[" ", " ", " ", "  ", " \t", "\t"][..]),
    )
        .prop_map(|(bom, header, footer, indent, newline, gap)| Layout {
            bom,
            header,
            footer,
            indent,
            newline,
            gap,
        })
}

fn render_loose(tree: &Loose, layout: &Layout) -> String {
    let mut out = String::new();
    if layout.bom {
        out.push('\u{feff}');
    }
    if layout.header {
        out.push_str("---");
        out.push_str(layout.newline);
    }
    loose_block(tree, 0, layout, &mut out);
    out.push_str(layout.newline);
    if layout.footer {
        out.push_str("...");
        out.push_str(layout.newline);
    }
    out
}

fn loose_flow(tree: &Loose, out: &mut String) {
    match tree {
        Loose::Scalar(text) | Loose::Alias(text) => out.push_str(text),
        Loose::Map { props, entries, .. } => {
            out.push_str(props);
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                loose_flow(value, out);
            }
            out.push('}');
        }
        Loose::Seq { props, items, .. } => {
            out.push_str(props);
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                loose_flow(item, out);
            }
            out.push(']');
        }
    }
}

/// Whether a node is written on the line of its key or dash.
fn loose_inline(tree: &Loose) -> bool {
    match tree {
        Loose::Scalar(_) | Loose::Alias(_) => true,
        Loose::Map { flow, entries, .. } => *flow || entries.is_empty(),
        Loose::Seq { flow, items, .. } => *flow || items.is_empty(),
    }
}

/// Writes `tree` in block style at `level`, starting at the current column.
fn loose_block(tree: &Loose, level: usize, layout: &Layout, out: &mut String) {
    if loose_inline(tree) {
        loose_flow(tree, out);
        return;
    }
    let indent = layout.indent.repeat(level);
    match tree {
        Loose::Map { props, entries, .. } => {
            out.push_str(props);
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 || !props.is_empty() {
                    out.push_str(layout.newline);
                    out.push_str(&indent);
                }
                out.push_str(key);
                out.push(':');
                write_child(value, level, layout, out);
            }
        }
        Loose::Seq { props, items, .. } => {
            out.push_str(props);
            for (i, item) in items.iter().enumerate() {
                if i > 0 || !props.is_empty() {
                    out.push_str(layout.newline);
                    out.push_str(&indent);
                }
                out.push('-');
                write_child(item, level, layout, out);
            }
        }
        Loose::Scalar(_) | Loose::Alias(_) => unreachable!("scalars are inline"),
    }
}

fn write_child(child: &Loose, level: usize, layout: &Layout, out: &mut String) {
    if loose_inline(child) {
        out.push_str(layout.gap);
        loose_flow(child, out);
    } else {
        out.push_str(layout.newline);
        out.push_str(&layout.indent.repeat(level + 1));
        loose_block(child, level + 1, layout, out);
    }
}

/// Very deep nesting, in flow or block style, balanced or not, around the loader's limit
/// ([`yaml::MAX_NESTING`]) and far beyond it.
fn deep_nesting() -> impl Strategy<Value = String> {
    let depth = prop_oneof![1usize..300, 1usize..5_000];
    (0usize..5, depth, any::<bool>()).prop_map(|(style, depth, balanced)| {
        let closing = if balanced { depth } else { depth / 2 };
        match style {
            0 => format!("{}x{}", "[".repeat(depth), "]".repeat(closing)),
            1 => format!("{}x{}", "{a: ".repeat(depth), "}".repeat(closing)),
            // Indentation grows with the depth, so keep this one shallower.
            2 => (0..depth.min(400))
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect(),
            3 => format!("{}x\n", "- ".repeat(depth)),
            _ => format!("{}x\n", "- [".repeat(depth)),
        }
    })
}

// --- Well-formed YAML from a model ---------------------------------------------------------

/// A scalar as written and the JSON value it stands for.
#[derive(Clone, Debug)]
struct Scalar {
    text: String,
    value: Value,
}

/// A mapping key as written, the JSON key it becomes, and what it resolves to if not a string.
#[derive(Clone, Debug)]
struct Key {
    text: &'static str,
    name: &'static str,
    resolved_as: Option<&'static str>,
}

/// A well-formed tree. `Alias` becomes an alias of the latest anchored scalar before it.
#[derive(Clone, Debug)]
enum Model {
    Scalar {
        scalar: Scalar,
        anchored: bool,
    },
    Alias,
    Map {
        flow: bool,
        entries: Vec<(Key, Model)>,
    },
    Seq {
        flow: bool,
        items: Vec<Model>,
    },
}

const KEYS: &[Key] = &[
    Key {
        text: "a",
        name: "a",
        resolved_as: None,
    },
    Key {
        text: "b",
        name: "b",
        resolved_as: None,
    },
    Key {
        text: "id",
        name: "id",
        resolved_as: None,
    },
    Key {
        text: "'a'",
        name: "a",
        resolved_as: None,
    },
    Key {
        text: "\"b\"",
        name: "b",
        resolved_as: None,
    },
    Key {
        text: "200",
        name: "200",
        resolved_as: Some("integer"),
    },
    Key {
        text: "'200'",
        name: "200",
        resolved_as: None,
    },
    Key {
        text: "0x1F",
        name: "0x1F",
        resolved_as: Some("integer"),
    },
    Key {
        text: "1.5",
        name: "1.5",
        resolved_as: Some("number"),
    },
    Key {
        text: "true",
        name: "true",
        resolved_as: Some("boolean"),
    },
    Key {
        text: "~",
        name: "~",
        resolved_as: Some("null"),
    },
    Key {
        text: "é/~k",
        name: "é/~k",
        resolved_as: None,
    },
];

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        any::<i64>().prop_map(|n| Scalar {
            text: n.to_string(),
            value: Value::from(n),
        }),
        any::<u64>().prop_map(|n| Scalar {
            text: n.to_string(),
            value: Value::from(n),
        }),
        any::<f64>().prop_filter_map("finite", |f| {
            Number::from_f64(f).map(|n| Scalar {
                text: format!("{f:?}"),
                value: Value::Number(n),
            })
        }),
        any::<bool>().prop_map(|b| Scalar {
            text: b.to_string(),
            value: Value::Bool(b),
        }),
        prop::sample::select(&["~", "null", "Null"][..]).prop_map(|t| Scalar {
            text: t.to_owned(),
            value: Value::Null,
        }),
        "[a-z][a-z0-9_.-]{0,8}".prop_map(|s| {
            // A leading `w` keeps words such as `true` or `null` from resolving.
            let word = format!("w{s}");
            Scalar {
                text: word.clone(),
                value: Value::String(word),
            }
        }),
        "[a-zA-Z0-9 ,:#'\\[\\]{}é-]{0,10}".prop_map(|s| Scalar {
            text: format!("'{}'", s.replace('\'', "''")),
            value: Value::String(s),
        }),
        "[a-z é日\"\\\\\t/]{0,8}".prop_map(|s| Scalar {
            text: serde_json::to_string(&s).expect("a string encodes"),
            value: Value::String(s),
        }),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    let leaf = prop_oneof![
        6 => (scalar(), prop::bool::weighted(0.2))
            .prop_map(|(scalar, anchored)| Model::Scalar { scalar, anchored }),
        1 => Just(Model::Alias),
    ];
    leaf.prop_recursive(5, 40, 5, |inner| {
        prop_oneof![
            (
                any::<bool>(),
                prop::collection::vec((prop::sample::select(KEYS), inner.clone()), 0..5)
            )
                .prop_map(|(flow, entries)| Model::Map { flow, entries }),
            (any::<bool>(), prop::collection::vec(inner, 0..5))
                .prop_map(|(flow, items)| Model::Seq { flow, items }),
        ]
    })
}

/// Layout choices for well-formed output.
#[derive(Clone, Debug)]
struct Style {
    bom: bool,
    comment: bool,
    header: bool,
    footer: bool,
    indent: usize,
    newline: &'static str,
    gap: &'static str,
    trailing_newline: bool,
}

fn style() -> impl Strategy<Value = Style> {
    (
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        1usize..5,
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
        prop::sample::select(&[" ", "  ", " \t"][..]),
        any::<bool>(),
    )
        .prop_map(
            |((bom, comment, header, footer), indent, newline, gap, trailing_newline)| Style {
                bom,
                comment,
                header,
                footer,
                indent,
                newline,
                gap,
                trailing_newline,
            },
        )
}

/// What the loader should report for a rendered model.
#[derive(Default)]
struct Expected {
    /// Exact `locate` answers: scalars and aliases at their first character, containers under
    /// a key at that key.
    located: Vec<(String, Position)>,
    /// Exact `key_position` answers.
    keys: HashMap<String, Position>,
    issues: Vec<KeyIssue>,
}

/// Writes text while tracking the 1-based line and column of the next character.
struct Writer<'a> {
    out: String,
    line: usize,
    col: usize,
    style: &'a Style,
    /// Latest anchored scalar: its anchor name and value.
    anchor: Option<(String, Value)>,
    anchors: usize,
    expected: Expected,
}

impl Writer<'_> {
    fn text(&mut self, s: &str) {
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            self.out.push(c);
            if c == '\r' && chars.peek() == Some(&'\n') {
                self.out.push(chars.next().expect("peeked"));
            }
            if c == '\r' || c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
    }

    fn newline(&mut self) {
        let newline = self.style.newline;
        self.text(newline);
    }

    fn position(&self) -> Position {
        Position {
            line: self.line,
            col: self.col,
        }
    }

    /// Writes a scalar or an alias; returns its value. `kept` says whether it ends up in the
    /// loaded value (it does not under a repeated key).
    fn leaf(&mut self, node: &Model, at: &str, kept: bool) -> Value {
        let position = self.position();
        let value = match node {
            Model::Scalar { scalar, anchored } => {
                if *anchored {
                    self.anchors += 1;
                    let name = format!("s{}", self.anchors);
                    self.text(&format!("&{name} "));
                    self.anchor = Some((name, scalar.value.clone()));
                }
                self.text(&scalar.text);
                scalar.value.clone()
            }
            Model::Alias => match self.anchor.clone() {
                Some((name, value)) => {
                    self.text(&format!("*{name}"));
                    value
                }
                None => {
                    self.text("~");
                    Value::Null
                }
            },
            Model::Map { .. } | Model::Seq { .. } => unreachable!("not a leaf"),
        };
        if kept {
            self.expected.located.push((at.to_owned(), position));
        }
        value
    }

    /// Writes a mapping key and returns the entry pointer and whether this occurrence is kept.
    fn key(
        &mut self,
        key: &Key,
        at: &str,
        seen: &mut HashMap<&'static str, Position>,
        kept: bool,
    ) -> (String, bool) {
        let position = self.position();
        let entry = pointer::push(at, key.name);
        self.text(key.text);
        if let Some(resolved_as) = key.resolved_as {
            self.expected.issues.push(KeyIssue {
                kind: KeyIssueKind::NonStringKey { resolved_as },
                pointer: entry.clone(),
                position,
            });
        }
        let first = match seen.get(key.name) {
            Some(first) => {
                self.expected.issues.push(KeyIssue {
                    kind: KeyIssueKind::DuplicateKey { first: *first },
                    pointer: entry.clone(),
                    position,
                });
                false
            }
            None => {
                seen.insert(key.name, position);
                if kept {
                    self.expected.keys.insert(entry.clone(), position);
                }
                true
            }
        };
        (entry, kept && first)
    }

    fn flow(&mut self, node: &Model, at: &str, kept: bool) -> Value {
        match node {
            Model::Map { entries, .. } => {
                self.text("{");
                let mut map = Map::new();
                let mut seen = HashMap::new();
                for (i, (key, child)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.text(", ");
                    }
                    let (entry, child_kept) = self.key(key, at, &mut seen, kept);
                    self.text(": ");
                    let value = self.flow(child, &entry, child_kept);
                    map.entry(key.name).or_insert(value);
                }
                self.text("}");
                Value::Object(map)
            }
            Model::Seq { items, .. } => {
                self.text("[");
                let mut list = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.text(", ");
                    }
                    let entry = pointer::push(at, &i.to_string());
                    list.push(self.flow(item, &entry, kept));
                }
                self.text("]");
                Value::Array(list)
            }
            leaf => self.leaf(leaf, at, kept),
        }
    }

    fn inline(node: &Model) -> bool {
        match node {
            Model::Scalar { .. } | Model::Alias => true,
            Model::Map { flow, entries } => *flow || entries.is_empty(),
            Model::Seq { flow, items } => *flow || items.is_empty(),
        }
    }

    /// Writes `node` in block style at `level`, starting at the current column (which is the
    /// indentation of `level` for collections).
    fn block(&mut self, node: &Model, at: &str, level: usize, kept: bool) -> Value {
        if Self::inline(node) {
            return self.flow(node, at, kept);
        }
        let indent = " ".repeat(self.style.indent * level);
        match node {
            Model::Map { entries, .. } => {
                let mut map = Map::new();
                let mut seen = HashMap::new();
                for (i, (key, child)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.newline();
                        self.text(&indent);
                    }
                    let (entry, child_kept) = self.key(key, at, &mut seen, kept);
                    self.text(":");
                    let value = self.block_child(child, &entry, level, child_kept);
                    map.entry(key.name).or_insert(value);
                }
                Value::Object(map)
            }
            Model::Seq { items, .. } => {
                let mut list = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.newline();
                        self.text(&indent);
                    }
                    self.text("-");
                    let entry = pointer::push(at, &i.to_string());
                    list.push(self.block_child(item, &entry, level, kept));
                }
                Value::Array(list)
            }
            Model::Scalar { .. } | Model::Alias => unreachable!("inline"),
        }
    }

    fn block_child(&mut self, node: &Model, at: &str, level: usize, kept: bool) -> Value {
        if Self::inline(node) {
            let gap = self.style.gap;
            self.text(gap);
            self.flow(node, at, kept)
        } else {
            self.newline();
            let indent = " ".repeat(self.style.indent * (level + 1));
            self.text(&indent);
            self.block(node, at, level + 1, kept)
        }
    }
}

/// Renders a model as YAML; returns the text, the value it denotes and what the loader should
/// report.
fn render_model(model: &Model, style: &Style) -> (String, Value, Expected) {
    let mut w = Writer {
        out: String::new(),
        line: 1,
        col: 1,
        style,
        anchor: None,
        anchors: 0,
        expected: Expected::default(),
    };
    if style.bom {
        // The scanner does not count a leading byte order mark as a column.
        w.out.push('\u{feff}');
    }
    if style.comment {
        w.text("# a comment");
        w.newline();
    }
    if style.header {
        w.text("---");
        w.newline();
    }
    let value = w.block(model, "", 0, true);
    if style.footer {
        w.newline();
        w.text("...");
    }
    if style.trailing_newline {
        w.newline();
    }
    (w.out, value, w.expected)
}

// --- JSON is YAML --------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Characters a YAML 1.2 stream may hold as they are (`c-printable`), so JSON text made of them
/// is YAML text.
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

fn all_strings(value: &Value, check: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => check(s),
        Value::Array(items) => items.iter().all(|v| all_strings(v, check)),
        Value::Object(map) => map.iter().all(|(k, v)| check(k) && all_strings(v, check)),
        _ => true,
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_string_loads_or_fails_cleanly(source in any::<String>()) {
        parse_and_check(&source)?;
    }

    #[test]
    fn any_bytes_load_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_and_check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn token_soup_loads_or_fails_cleanly(source in token_soup()) {
        parse_and_check(&source)?;
    }

    #[test]
    fn yaml_like_trees_load_or_fail_cleanly(tree in loose_tree(), layout in layout()) {
        parse_and_check(&render_loose(&tree, &layout))?;
    }

    #[test]
    fn deep_nesting_loads_or_fails_cleanly(source in deep_nesting()) {
        parse_and_check(&source)?;
    }

    /// Well-formed YAML loads to the value it denotes, with the key issues and positions of
    /// what was written.
    #[test]
    fn well_formed_yaml_loads_exactly(model in model(), style in style()) {
        let (source, value, expected) = render_model(&model, &style);
        let doc = match yaml::parse(&source) {
            Ok(doc) => doc,
            Err(err) => return Err(TestCaseError::fail(format!("{err} in {source:?}"))),
        };
        prop_assert_eq!(&doc.value, &value, "{:?}", source);
        prop_assert_eq!(&doc.key_issues, &expected.issues, "{:?}", source);
        for (at, position) in &expected.located {
            prop_assert_eq!(doc.locate(at), *position, "locate({:?}) in {:?}", at, source);
        }
        for (at, position) in &expected.keys {
            prop_assert_eq!(doc.key_position(at), Some(*position), "key {:?} in {:?}", at, source);
            if doc.value.pointer(at).is_some_and(|v| v.is_object() || v.is_array()) {
                prop_assert_eq!(doc.locate(at), *position, "container {:?} in {:?}", at, source);
            }
        }
        check_positions(&source, &doc)?;
    }

    /// JSON text (compact or pretty) is YAML and loads to the same value.
    #[test]
    fn json_text_loads_as_the_same_value(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value)
        } else {
            serde_json::to_string(&value)
        }
        .expect("a JSON value encodes");
        match yaml::parse(&text) {
            Ok(doc) => {
                prop_assert_eq!(&doc.value, &value, "{:?}", text);
                prop_assert!(doc.key_issues.is_empty(), "{:?}", doc.key_issues);
                check_positions(&text, &doc)?;
            }
            Err(err) => {
                // Only text YAML itself forbids (non-printable characters) may fail.
                prop_assert!(
                    !all_strings(&value, &|s: &str| s.chars().all(yaml_printable)),
                    "{} in {:?}",
                    err,
                    text
                );
            }
        }
    }
}
