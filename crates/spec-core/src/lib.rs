//! The parsed-spec layer shared by `xtask` and `spec-sandbox`.
//!
//! - [`yaml`] loads a YAML OpenAPI document into JSON and remembers the `line:col` of every
//!   node, so every tool can point at the exact place of a problem.
//! - [`mod@pointer`] builds and splits JSON pointers.

pub mod pointer;
pub mod yaml;
