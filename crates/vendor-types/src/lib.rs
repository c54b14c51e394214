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
//! Shared by every generated client as well:
//!
//! - [`CallError`] and [`Redact`]: a generated call's error with the response body left out,
//!   which is what to log or show (progenitor's own error prints undecodable bodies whole).
//! - [`hooks`]: what the generated `ClientHooks` implementations do around every request
//!   (headers, `User-Agent`, a `tracing` span per call).
//! - `dispatch` (cargo feature `dispatch`, for the workspace's spec-driven tests): the
//!   spec-independent half of the `dispatch` module that `cargo xtask generate` appends to each
//!   client.

mod call_error;
#[cfg(feature = "dispatch")]
pub mod dispatch;
pub mod hooks;
mod lenient;
mod one_or_many;
mod secret;

pub use call_error::{
    CallError, Redact, VendorError, redact_error_reading_body, redact_excerpt, redact_reading_body,
    scrub as scrub_quoted,
};
pub use lenient::{Lenient, LenientNumber};
pub use one_or_many::OneOrMany;
pub use secret::Secret;
