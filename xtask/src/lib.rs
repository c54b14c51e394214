//! The workspace's developer tasks: `cargo xtask generate | validate | diff | ...`.
//!
//! The library half holds the logic so tests can call it directly; `main.rs` is the clap
//! front end. See ARCHITECTURE.md for how the pieces fit.

pub mod bench;
pub mod catalogue;
pub mod diagnostics;
pub mod dispatch;
pub mod generate;
pub mod report;
pub mod spec_diff;
pub mod spec_facts;
pub mod validate;

use std::path::PathBuf;

/// The workspace root (the parent of the `xtask` directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
