//! The second opinion of `diff --semver`: cargo-semver-checks on the crate's Rust API.
//!
//! The spec diff ([`crate::semver`]) knows what changed on the wire and which generated types
//! that touches; it cannot see a change to a crate's hand-written `lib.rs`. cargo-semver-checks
//! compares the rustdoc JSON of two builds of a crate (its lints: a field added to a struct
//! built with literals, a method removed, an enum variant added, ...), but is blind to what the
//! wire accepts and to the type of a field. Both run; the higher level wins, and when
//! cargo-semver-checks finds more than the spec diff in a crate where only the spec changed, a
//! rule of [`crate::semver::level_of`] is missing, so the check fails with both reasons.
//!
//! Rustdoc JSON is built here rather than by the tool (`cargo doc` with
//! `--output-format json`, allowed on a stable toolchain by `RUSTC_BOOTSTRAP=1`, exactly as
//! cargo-semver-checks itself does), in `<target>/semver-checks`, so the dependencies of every
//! revision are compiled once and the builds of the ordinary workspace are never invalidated.
//! A revision's JSON is kept under its git tree id and the toolchain's version; comparing
//! against the same base again costs only the current side.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::semver::Level;
use crate::spec_diff::{DiffError, git_stdout};

/// The cargo-semver-checks release CI installs (`.ci/run`) and the fixtures were checked with.
pub const VERSION: &str = "0.51.0";

/// Where the rustdoc builds and the tool live, as an absolute path (the builds run in other
/// directories): `$CARGO_TARGET_DIR` (relative to the current directory, as cargo reads it)
/// or `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    let dir = match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target"),
    };
    std::path::absolute(&dir).unwrap_or(dir)
}

/// The cargo-semver-checks binary: `$CARGO_SEMVER_CHECKS`, else the copy CI installs under
/// `<target>/tools/bin`, else the one on `PATH`. `None` when there is none.
pub fn find_tool(root: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CARGO_SEMVER_CHECKS").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let installed = target_dir(root).join("tools/bin/cargo-semver-checks");
    if installed.is_file() {
        return Some(installed);
    }
    let on_path = std::env::var_os("PATH")?;
    std::env::split_paths(&on_path)
        .map(|dir| dir.join("cargo-semver-checks"))
        .find(|path| path.is_file())
}

/// One lint that failed: its name and the first place it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The lint, e.g. `constructible_struct_adds_field`.
    pub lint: String,
    /// Where, e.g. `field License.consumed_by_guests in crates/webex-admin/src/generated.rs:40`.
    pub place: String,
}

/// What cargo-semver-checks says of one crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opinion {
    /// The release its findings need (`None`: no lint failed).
    pub level: Level,
    /// The lints that failed, in the tool's order.
    pub findings: Vec<Finding>,
}

impl Opinion {
    /// `major: lint_a, lint_b` or `none`, for the verdict line.
    pub fn summary(&self) -> String {
        if self.findings.is_empty() {
            return self.level.to_string();
        }
        let mut lints: Vec<&str> = Vec::new();
        for finding in &self.findings {
            if !lints.contains(&finding.lint.as_str()) {
                lints.push(&finding.lint);
            }
        }
        format!("{}: {}", self.level, lints.join(", "))
    }

    /// The first finding as a reason (`lint (place)`), or `None` without findings.
    pub fn reason(&self) -> Option<String> {
        let first = self.findings.first()?;
        Some(format!(
            "cargo-semver-checks: {} ({})",
            first.lint, first.place
        ))
    }
}

fn failure(what: impl Into<String>, message: impl Into<String>) -> DiffError {
    DiffError::Tool {
        what: what.into(),
        message: message.into(),
    }
}

/// Reads the tool's report: `--- failure <lint>: ... ---` blocks, each with a `Failed in:`
/// list, and the `Summary` line that names the release they need.
pub fn parse_report(text: &str) -> Result<Opinion, DiffError> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut summary = None;
    let mut lines = text.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("--- failure ") {
            let lint = rest.split(':').next().unwrap_or(rest).trim().to_owned();
            findings.push(Finding {
                lint,
                place: String::new(),
            });
        } else if line == "Failed in:" {
            // The first place of the block (a block without places keeps an empty one).
            let place = lines.peek().map(|l| (*l).to_owned()).unwrap_or_default();
            if let Some(last) = findings.last_mut().filter(|f| f.place.is_empty()) {
                last.place = place;
            }
        } else if let Some(rest) = line.strip_prefix("Summary ") {
            summary = Some(rest.to_owned());
        }
    }
    let summary = summary.ok_or_else(|| {
        failure(
            "cargo-semver-checks",
            format!("no summary in its output: {}", text.trim()),
        )
    })?;
    let level = if summary.contains("new major version") {
        Level::Major
    } else if summary.contains("new minor version") {
        Level::Minor
    } else if summary.starts_with("no semver update required") {
        Level::None
    } else {
        return Err(failure(
            "cargo-semver-checks",
            format!("unexpected summary: {summary}"),
        ));
    };
    Ok(Opinion { level, findings })
}

/// Compares two rustdoc JSON files of one crate. Every lint is asked for (`--release-type
/// patch`), so the opinion is the highest level any finding needs.
pub fn compare(tool: &Path, baseline: &Path, current: &Path) -> Result<Opinion, DiffError> {
    let output = Command::new(tool)
        .arg("semver-checks")
        .arg("--baseline-rustdoc")
        .arg(baseline)
        .arg("--current-rustdoc")
        .arg(current)
        .args(["--release-type", "patch", "--color", "never"])
        .output()
        .map_err(|err| failure(format!("cannot run {}", tool.display()), err.to_string()))?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    parse_report(&text)
}

/// Checks that `tool` is the release the fixtures expect.
pub fn check_version(tool: &Path) -> Result<(), DiffError> {
    let output = Command::new(tool)
        .args(["semver-checks", "--version"])
        .output()
        .map_err(|err| failure(format!("cannot run {}", tool.display()), err.to_string()))?;
    let said = String::from_utf8_lossy(&output.stdout);
    if said.split_whitespace().any(|word| word == VERSION) {
        Ok(())
    } else {
        Err(failure(
            tool.display().to_string(),
            format!(
                "is `{}`, expected {VERSION} (cargo install cargo-semver-checks --version {VERSION} --locked --root target/tools)",
                said.trim()
            ),
        ))
    }
}

/// Builds the rustdoc JSON of `crate_name` in the workspace at `source` (all features, as on
/// docs.rs) and copies it to `keep`.
///
/// Cargo writes every build's JSON to the same `<target>/doc/<crate>.json`, and its own lock
/// ends with the build, so an xtask lock spans the build and the copy: two runs at once (two
/// tests, two checkouts sharing a target directory) cannot take each other's file.
fn build_json(
    source: &Path,
    target: &Path,
    crate_name: &str,
    keep: &Path,
) -> Result<(), DiffError> {
    let lock_path = target.join("xtask.lock");
    let lock = std::fs::create_dir_all(target)
        .and_then(|()| std::fs::File::create(&lock_path))
        .and_then(|file| file.lock().map(|()| file))
        .map_err(|err| failure(format!("lock {}", lock_path.display()), err.to_string()))?;
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "doc",
            "--no-deps",
            "--lib",
            "--all-features",
            "--locked",
            "--quiet",
        ])
        .args(["--package", crate_name])
        .current_dir(source)
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTDOCFLAGS", "-Z unstable-options --output-format json")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| failure("cannot run cargo doc", err.to_string()))?;
    let what = || format!("rustdoc JSON of {crate_name} in {}", source.display());
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(failure(what(), stderr.trim().to_owned()));
    }
    let built = target
        .join("doc")
        .join(format!("{}.json", crate_name.replace('-', "_")));
    // Through a temporary file and a rename: a kept file is always whole when it exists.
    let partial = keep.with_extension(format!("json.tmp-{}", std::process::id()));
    let copied = std::fs::create_dir_all(keep.parent().unwrap_or(target))
        .and_then(|()| std::fs::copy(&built, &partial))
        .and_then(|_| std::fs::rename(&partial, keep))
        .map_err(|err| failure(what(), err.to_string()));
    drop(lock);
    copied
}

/// Rustdoc JSON of the crates of one side of a comparison, built on demand.
pub struct Side<'a> {
    root: &'a Path,
    revision: Option<&'a str>,
    /// This side's own directory: where a revision is unpacked by `git archive` (its JSON
    /// is then kept in the cache), or where the working tree's JSON is put (never shared: it
    /// changes with every edit, and another run may be building its own).
    scratch: Option<tempfile_dir::TempDir>,
}

impl<'a> Side<'a> {
    /// One side: a git revision of the repository at `root`, or its working tree (`None`).
    pub fn new(root: &'a Path, revision: Option<&'a str>) -> Self {
        Side {
            root,
            revision,
            scratch: None,
        }
    }

    /// The rustdoc JSON of `crate_name` on this side.
    pub fn rustdoc(&mut self, crate_name: &str) -> Result<PathBuf, DiffError> {
        let target = target_dir(self.root).join("semver-checks");
        let Some(revision) = self.revision else {
            let scratch = match &self.scratch {
                Some(dir) => dir,
                None => self.scratch.insert(temporary()?),
            };
            let keep = scratch.path().join(format!("{crate_name}.json"));
            build_json(self.root, &target, crate_name, &keep)?;
            return Ok(keep);
        };
        let tree = git_stdout(self.root, &["rev-parse", &format!("{revision}^{{tree}}")])?;
        let tree = tree.trim();
        let keep = target
            .join("rustdoc")
            .join(toolchain()?)
            .join(format!("{crate_name}@{tree}.json"));
        if keep.is_file() {
            return Ok(keep);
        }
        let scratch = match &self.scratch {
            Some(dir) => dir,
            None => self.scratch.insert(unpack(self.root, revision)?),
        };
        build_json(scratch.path(), &target, crate_name, &keep)?;
        Ok(keep)
    }
}

/// `rustc --version`, reduced to a directory name: rustdoc JSON differs between toolchains.
fn toolchain() -> Result<String, DiffError> {
    let output = Command::new("rustc")
        .arg("--version")
        .output()
        .map_err(|err| failure("cannot run rustc", err.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(failure("rustc --version", stderr.trim().to_owned()));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join("-"))
}

/// The files of `revision`, unpacked into a temporary directory (`git archive | tar -x`).
fn unpack(root: &Path, revision: &str) -> Result<tempfile_dir::TempDir, DiffError> {
    let dir = temporary()?;
    let what = || format!("git archive {revision} | tar -x");
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", revision])
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| failure(what(), err.to_string()))?;
    let stdout = archive
        .stdout
        .take()
        .map(Stdio::from)
        .unwrap_or(Stdio::null());
    let tar = Command::new("tar")
        .args(["-x", "-f", "-"])
        .current_dir(dir.path())
        .stdin(stdout)
        .output()
        .map_err(|err| failure(what(), err.to_string()))?;
    let archived = archive
        .wait_with_output()
        .map_err(|err| failure(what(), err.to_string()))?;
    if !archived.status.success() || !tar.status.success() {
        let message = format!(
            "{}{}",
            String::from_utf8_lossy(&archived.stderr).trim(),
            String::from_utf8_lossy(&tar.stderr).trim()
        );
        return Err(failure(what(), message));
    }
    Ok(dir)
}

fn temporary() -> Result<tempfile_dir::TempDir, DiffError> {
    tempfile_dir::TempDir::new("xtask-semver")
        .map_err(|err| failure("a temporary directory", err.to_string()))
}

/// A directory removed when dropped (xtask has no `tempfile` outside its tests).
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    /// A fresh directory under the system's temporary directory.
    pub struct TempDir(PathBuf);

    impl TempDir {
        /// Creates `<tmp>/<prefix>-<pid>-<n>`, empty (a directory of that name left by a
        /// run that crashed with the same process id is removed first).
        pub fn new(prefix: &str) -> std::io::Result<Self> {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
            match std::fs::remove_dir_all(&path) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
            std::fs::create_dir_all(&path)?;
            Ok(TempDir(path))
        }

        /// Its path.
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAJOR: &str = "\n--- failure constructible_struct_adds_field: struct exhaustively constructible through public API adds field ---\n\nDescription:\nA pub struct ...\n\nFailed in:\n  field OrgResourceUsage.used_webinar_count in crates/huawei-meeting/src/generated.rs:534\n\n     Summary semver requires new major version: 1 major and 0 minor checks failed\n";

    #[test]
    fn a_report_names_its_lints_and_level() {
        let opinion = parse_report(MAJOR).unwrap();
        assert_eq!(opinion.level, Level::Major);
        assert_eq!(
            opinion.findings,
            [Finding {
                lint: "constructible_struct_adds_field".into(),
                place: "field OrgResourceUsage.used_webinar_count in crates/huawei-meeting/src/generated.rs:534".into(),
            }]
        );
        assert_eq!(opinion.summary(), "major: constructible_struct_adds_field");
        let clean = parse_report("     Summary no semver update required\n").unwrap();
        assert_eq!(clean.level, Level::None);
        assert_eq!(clean.summary(), "none");
        assert!(parse_report("error: no such file").is_err());
        // A block without places keeps its lint, and the summary after it is still read.
        let bare = "--- failure trait_missing: gone ---\n\n     Summary semver requires new major version: 1 major and 0 minor checks failed\n";
        let opinion = parse_report(bare).unwrap();
        assert_eq!(opinion.level, Level::Major);
        assert_eq!(opinion.findings[0].lint, "trait_missing");
        assert_eq!(opinion.findings[0].place, "");
    }
}
