//! One defect in one spec, and how it is printed.

use std::fmt;

use serde::Serialize;
use spec_core::yaml::Position;

/// A defect found in a spec: where it is, which rule found it, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Id of the rule that found it (see `cargo xtask rules`).
    pub rule: &'static str,
    /// The spec file, as given on the command line or relative to the workspace root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// JSON pointer of the offending node (`""` is the document root).
    pub pointer: String,
    /// A one-line reason.
    pub message: String,
}

impl Diagnostic {
    /// The source position as a [`Position`].
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            col: self.col,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: #{}: {} [{}]",
            self.file, self.line, self.col, self.pointer, self.message, self.rule
        )
    }
}

/// The defects of one or more specs, in file and source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of defects.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds defects and keeps them ordered.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
        self.sort();
    }

    fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.file, a.line, a.col, a.rule, &a.pointer)
                .cmp(&(&b.file, b.line, b.col, b.rule, &b.pointer))
        });
        self.0.dedup();
    }

    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The defects as a slice.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.0
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(list: Vec<Diagnostic>) -> Self {
        let mut diagnostics = Diagnostics(list);
        diagnostics.sort();
        diagnostics
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}
