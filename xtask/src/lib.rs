//! The workspace's developer tasks: `cargo xtask generate | validate | diff | ...`.
//!
//! The library half holds the logic so tests can call it directly; `main.rs` is the clap
//! front end. See ARCHITECTURE.md for how the pieces fit.

pub mod bench;
pub mod catalogue;
pub mod diagnostics;
pub mod format;
pub mod generate;
pub mod pipeline;
pub mod report;
pub mod semver;
pub mod semver_checks;
pub mod spec_diff;
pub mod timings;
pub mod validate;
pub mod walk;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// No workspace encloses the place `xtask` was started from.
#[derive(Debug, thiserror::Error)]
#[error(
    "no Cargo workspace found above {} (no Cargo.toml with a [workspace] table); run inside the workspace or pass --root DIR",
    start.display()
)]
pub struct NoWorkspace {
    /// Where the search started.
    pub start: PathBuf,
}

/// The root of the workspace `xtask` is working on, found at run time.
///
/// A binary built once can be run against several checkouts (a shared `CARGO_TARGET_DIR`, or
/// `target/debug/xtask` started by hand), so the path it was compiled from says nothing about
/// the tree it should read and write. The search starts from `CARGO_MANIFEST_DIR` when cargo
/// set it for this process (`cargo xtask` is `cargo run -p xtask`, so it names the xtask
/// directory of the checkout cargo was run in), and from the current directory otherwise; the
/// root is the nearest directory at or above the start whose `Cargo.toml` declares a
/// `[workspace]`. `--root DIR` bypasses all of this.
pub fn workspace_root() -> Result<PathBuf, NoWorkspace> {
    let cwd = std::env::current_dir().unwrap_or_default();
    find_workspace_root(std::env::var_os("CARGO_MANIFEST_DIR"), &cwd)
}

/// [`workspace_root`] with its inputs passed in: the value of `CARGO_MANIFEST_DIR`, if set,
/// and the current directory (used when the variable is unset or leads to no workspace).
pub fn find_workspace_root(
    manifest_dir: Option<OsString>,
    cwd: &Path,
) -> Result<PathBuf, NoWorkspace> {
    let manifest_dir = manifest_dir
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from);
    manifest_dir
        .iter()
        .map(|dir| cwd.join(dir))
        .chain(std::iter::once(cwd.to_path_buf()))
        .find_map(|start| enclosing_workspace(&start))
        .ok_or_else(|| NoWorkspace {
            start: cwd.to_path_buf(),
        })
}

/// The nearest directory at or above `start` whose `Cargo.toml` declares a workspace.
fn enclosing_workspace(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|manifest| declares_workspace(&manifest))
        })
        .map(Path::to_path_buf)
}

/// Whether a manifest has a `[workspace]` table (or a `[workspace.*]` one, which implies it).
/// A line scan is enough for this: table headers stand alone on their line.
fn declares_workspace(manifest: &str) -> bool {
    manifest.lines().any(|line| {
        let header = line.split('#').next().unwrap_or("").trim();
        header == "[workspace]"
            || header
                .strip_prefix("[workspace.")
                .is_some_and(|rest| rest.ends_with(']'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_tables_are_recognised() {
        assert!(declares_workspace("[workspace]\nmembers = []\n"));
        assert!(declares_workspace(
            "  [workspace.package] # shared\nversion = \"1\"\n"
        ));
        assert!(!declares_workspace("[package]\nname = \"xtask\"\n"));
        assert!(!declares_workspace("# [workspace]\n[package]\n"));
        assert!(!declares_workspace("[workspaces]\n"));
    }

    #[test]
    fn the_manifest_dir_comes_first_then_the_current_directory() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        for dir in [a.path(), b.path()] {
            std::fs::create_dir_all(dir.join("xtask/src")).unwrap();
            std::fs::write(dir.join("Cargo.toml"), "[workspace]\n").unwrap();
            std::fs::write(dir.join("xtask/Cargo.toml"), "[package]\n").unwrap();
        }
        let cwd = a.path().join("xtask/src");
        let found = |manifest_dir: Option<&Path>| {
            find_workspace_root(manifest_dir.map(|d| d.as_os_str().to_owned()), &cwd).unwrap()
        };
        assert_eq!(found(None), a.path());
        assert_eq!(found(Some(&b.path().join("xtask"))), b.path());
        // A variable leading nowhere (not this workspace's cargo) falls back to the directory.
        let elsewhere = tempfile::tempdir().unwrap();
        if !elsewhere
            .path()
            .ancestors()
            .any(|d| d.join("Cargo.toml").exists())
        {
            assert_eq!(found(Some(elsewhere.path())), a.path());
            let err = find_workspace_root(None, elsewhere.path()).unwrap_err();
            assert_eq!(err.start, elsewhere.path());
        }
    }
}
