//! `cargo xtask generate [--check]`: specs → typed clients.
//!
//! Per spec: load it (`pipeline`) → run the checks that decide whether code can be generated
//! (validation groups 1 to 3, the same ones `validate` reports) → render it (`pipeline`:
//! progenitor and the appended sections) → prettyplease → rustfmt (in two processes for a
//! large file: `format`).
//!
//! Every spec is rendered in memory first. Files are written only when *all* specs rendered,
//! each through a temporary file and a rename, and only when the content changed (so a no-op
//! regeneration keeps mtimes and triggers no rebuild).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::catalogue::SpecEntry;
use crate::diagnostics::Diagnostics;
use crate::format;
use crate::pipeline::{self, LoadedSpec};
use crate::validate::{self, Group};

/// A generated file, rendered in memory.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The catalogue entry it came from.
    pub entry: &'static SpecEntry,
    /// The output file, relative to the workspace root (the generated module, or the
    /// sandbox's copy of the spec).
    pub output: &'static str,
    /// Absolute path of the output file.
    pub path: PathBuf,
    /// The complete file content.
    pub content: String,
}

/// Why `generate` could not run at all (as opposed to a defect in a spec).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `rustfmt` is missing or failed on generated code.
    #[error("rustfmt: {0}")]
    Rustfmt(String),
    /// A spec given on the command line cannot be read.
    #[error("cannot read {0}")]
    Unreadable(std::io::Error),
    /// An output file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Renders one spec into the content of its generated file.
///
/// Returns the diagnostics that prevent generation, if any.
pub fn render(
    root: &Path,
    entry: &'static SpecEntry,
) -> Result<Result<Rendered, Diagnostics>, RunError> {
    let loaded = match crate::timings::timed(entry.spec, "load (YAML)", || {
        LoadedSpec::read(root, entry.spec)
    }) {
        Ok(loaded) => loaded,
        Err(diagnostics) => return Ok(Err(diagnostics)),
    };
    render_loaded(root, entry, &loaded)
}

/// Renders every spec of the catalogue, in catalogue order, one thread per spec.
///
/// Specs are independent until files are written, and most of a spec's time is spent in
/// progenitor and in its own `rustfmt` process, so they render in parallel. Returns the
/// rendered files of the specs that generate and the diagnostics of those that do not; `Err`
/// is the first spec (in catalogue order) that could not run at all.
pub fn render_all(root: &Path) -> Result<(Vec<Rendered>, Diagnostics), RunError> {
    let results = pipeline::in_parallel(crate::catalogue::SPECS, |entry| render(root, entry));
    let mut rendered = Vec::new();
    let mut failures = Diagnostics::default();
    for result in results {
        match result? {
            Ok(file) => rendered.push(file),
            Err(diagnostics) => failures.extend(diagnostics),
        }
    }
    Ok((rendered, failures))
}

/// The sandbox's copies of the specs: each spec byte for byte at its entry's
/// `sandbox_copy`, so that the `spec-sandbox` package embeds files of its own (a published
/// crate cannot reach `../../spec`). Under the same drift check as the generated code.
pub fn sandbox_copies(root: &Path) -> Result<Vec<Rendered>, RunError> {
    crate::catalogue::SPECS
        .iter()
        .map(|entry| {
            let content =
                std::fs::read_to_string(root.join(entry.spec)).map_err(|source| RunError::Io {
                    path: root.join(entry.spec),
                    source,
                })?;
            Ok(Rendered {
                entry,
                output: entry.sandbox_copy,
                path: root.join(entry.sandbox_copy),
                content,
            })
        })
        .collect()
}

/// Like [`render`] for a spec that is already loaded.
pub fn render_loaded(
    root: &Path,
    entry: &'static SpecEntry,
    loaded: &LoadedSpec,
) -> Result<Result<Rendered, Diagnostics>, RunError> {
    use crate::timings::timed;
    let diagnostics = validate::check(loaded, Group::BLOCKING_GENERATION);
    if !diagnostics.is_empty() {
        return Ok(Err(diagnostics));
    }
    let mut parts = match pipeline::generate_code(entry, loaded) {
        Ok(parts) => parts,
        Err(diagnostic) => return Ok(Err(Diagnostics::from(vec![*diagnostic]))),
    };
    let mut boundaries = format::Boundaries::default();
    for part in &mut parts {
        format::mark_boundaries(part, &mut boundaries);
    }
    let content = timed(entry.spec, "prettyplease", || {
        let mut content = header(entry);
        for part in &parts {
            content.push_str(&prettyplease::unparse(part));
            content.push('\n');
        }
        content
    });
    let content = timed(entry.spec, "rustfmt", || {
        format::rustfmt(entry.spec, &content, &boundaries, &root.join(entry.output))
    })
    .map_err(|err| RunError::Rustfmt(err.0))?;
    Ok(Ok(Rendered {
        entry,
        output: entry.output,
        path: root.join(entry.output),
        content,
    }))
}

fn header(entry: &SpecEntry) -> String {
    let mut header = String::new();
    let _ = writeln!(
        header,
        "// Generated by `cargo xtask generate` from {}; do not edit.",
        entry.spec
    );
    let _ = writeln!(
        header,
        "// Change the spec (or xtask/src/catalogue.rs) and run `cargo xtask generate` instead."
    );
    header.push('\n');
    header
}

/// What [`write_all`] did to each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file already had this content and was not touched.
    Unchanged,
    /// The file was created or replaced.
    Written,
}

/// Writes rendered files, skipping files whose content is unchanged (mtime kept).
///
/// Two phases: every changed file is first written in full to a temporary file next to its
/// target; only when all of them are on disk are they renamed into place. A failure while
/// writing (disk full, missing directory, permissions) removes the temporary files and
/// changes nothing. Each rename is atomic, so no file is ever half-written; a rename that
/// fails after others succeeded (the directory turned read-only mid-run) leaves the earlier
/// files replaced and is reported with the path.
pub fn write_all(rendered: &[Rendered]) -> Result<Vec<WriteOutcome>, RunError> {
    let mut staged: Vec<(PathBuf, &Rendered)> = Vec::new();
    let mut outcomes = Vec::with_capacity(rendered.len());
    let cleanup = |staged: &[(PathBuf, &Rendered)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for file in rendered {
        match stage(file) {
            Ok(Some(tmp)) => {
                staged.push((tmp, file));
                outcomes.push(WriteOutcome::Written);
            }
            Ok(None) => outcomes.push(WriteOutcome::Unchanged),
            Err(err) => {
                cleanup(&staged);
                return Err(err);
            }
        }
    }
    for (index, (tmp, file)) in staged.iter().enumerate() {
        if let Err(source) = std::fs::rename(tmp, &file.path) {
            cleanup(&staged[index..]);
            return Err(RunError::Io {
                path: file.path.clone(),
                source,
            });
        }
    }
    Ok(outcomes)
}

/// Writes a changed file's content to a temporary file beside it; `None` when unchanged.
fn stage(file: &Rendered) -> Result<Option<PathBuf>, RunError> {
    let io_err = |source| RunError::Io {
        path: file.path.clone(),
        source,
    };
    match std::fs::read(&file.path) {
        Ok(existing) if existing == file.content.as_bytes() => return Ok(None),
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_err(err)),
    }
    let dir = file.path.parent().ok_or_else(|| {
        io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "an output path needs a parent directory",
        ))
    })?;
    let file_name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!("{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut out = std::fs::File::create(&tmp)?;
        out.write_all(file.content.as_bytes())?;
        out.sync_all()
    })();
    match result {
        Ok(()) => Ok(Some(tmp)),
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            Err(io_err(err))
        }
    }
}

/// A generated file that differs from what its spec produces.
#[derive(Debug, Clone)]
pub struct Drift {
    /// Workspace-relative path of the stale file.
    pub output: &'static str,
    /// A short unified diff (committed → expected), or a note that the file is missing.
    pub diff: String,
}

/// Compares rendered files with the files on disk.
pub fn drift(rendered: &[Rendered], max_diff_lines: usize) -> Result<Vec<Drift>, RunError> {
    let mut drifts = Vec::new();
    for file in rendered {
        let existing = match std::fs::read_to_string(&file.path) {
            Ok(existing) => existing,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                drifts.push(Drift {
                    output: file.output,
                    diff: "(file is missing)\n".into(),
                });
                continue;
            }
            Err(source) => {
                return Err(RunError::Io {
                    path: file.path.clone(),
                    source,
                });
            }
        };
        if existing != file.content {
            drifts.push(Drift {
                output: file.output,
                diff: short_diff(&existing, &file.content, file.output, max_diff_lines),
            });
        }
    }
    Ok(drifts)
}

fn short_diff(old: &str, new: &str, name: &str, max_lines: usize) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let unified = diff
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (committed)"),
            &format!("{name} (from spec)"),
        )
        .to_string();
    let total = unified.lines().count();
    let mut out: String = unified
        .lines()
        .take(max_lines)
        .flat_map(|line| [line, "\n"])
        .collect();
    if total > max_lines {
        let _ = writeln!(out, "... ({} more diff lines)", total - max_lines);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::SPECS;

    /// When one output cannot be written, none is: the others keep content and mtime, and no
    /// temporary file is left behind.
    #[test]
    fn a_failed_write_changes_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("a.rs");
        std::fs::write(&first, "old").unwrap();
        let before = std::fs::metadata(&first).unwrap().modified().unwrap();
        let files = [
            Rendered {
                entry: &SPECS[0],
                output: SPECS[0].output,
                path: first.clone(),
                content: "new".into(),
            },
            Rendered {
                entry: &SPECS[1],
                output: SPECS[1].output,
                path: dir.path().join("missing-dir/b.rs"),
                content: "new".into(),
            },
        ];
        assert!(write_all(&files).is_err());
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "old");
        assert_eq!(
            std::fs::metadata(&first).unwrap().modified().unwrap(),
            before
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only a.rs remains: {left:?}");

        let outcomes = write_all(&files[..1]).unwrap();
        assert!(matches!(outcomes[..], [WriteOutcome::Written]));
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "new");
        assert!(matches!(
            write_all(&files[..1]).unwrap()[..],
            [WriteOutcome::Unchanged]
        ));
    }
}
