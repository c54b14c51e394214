//! Hand-written types that the specs' lenient and secret schemas are generated as.
//!
//! progenitor generates a Rust type for every schema; for a few, the vendors' behaviour needs
//! more than a schema can say. `xtask/src/catalogue.rs` replaces those schemas with the types
//! here (re-exported by each client crate):
//!
//! | type | replaces | why |
//! |---|---|---|
//! | [`OneOrMany<T>`] | Zoom `*OneOrMany` schemas | plan keys sent as an object or an array |
//! | [`Lenient<T>`] | Huawei `Int32OrString`, `Int64OrString`, `DoubleOrString` | numbers sent as numbers or numeric strings |
//! | [`Secret`] | token and signature schemas of both vendors | credentials must not show in `Debug` output |
//!
//! [`dispatch`] holds the spec-independent types of the `dispatch` module that `cargo xtask
//! generate` appends to each client.

pub mod dispatch;
mod lenient;
mod one_or_many;
mod secret;

pub use lenient::{Lenient, LenientNumber};
pub use one_or_many::OneOrMany;
pub use secret::Secret;
