//! The parsed-spec layer shared by `xtask` and `spec-sandbox`.
//!
//! - [`yaml`] loads a YAML OpenAPI document into JSON and remembers the `line:col` of every
//!   node, so every tool can point at the exact place of a problem.
//! - [`mod@pointer`] builds and splits JSON pointers.
//! - [`openapi`] reads the structure every tool needs the same way: operations, the
//!   parameters that apply to each, path templates, media-type examples.
//! - [`schema`] validates JSON values against OpenAPI 3.0 schemas (examples in `validate`,
//!   requests in the sandbox), with messages that name the offending field.

pub mod openapi;
pub mod pointer;
pub mod schema;
pub mod yaml;
