//! `cargo xtask diff BASE [HEAD] --semver`: the version each publishable crate needs.
//!
//! Generated crates are judged by the rules below; the hand-written ones (`vendor-types`,
//! `spec-core`, `spec-sandbox`, `meeting-usage`, `meeting-usage-cli`) by "any change to what
//! they ship is at least patch" and the second opinion alone (not for `meeting-usage-cli`, a
//! binary with no Rust API: whether its flags or output formats broke is the changelog's to
//! say, and the maintainer's).
//!
//! The decision it follows (ARCHITECTURE.md, "Releases"): the generated types stay **open**
//! (progenitor 0.15.1 has no setting for `#[non_exhaustive]`, and open structs are what users
//! and tests build with literals and match on). So every change that adds a field to a
//! generated struct, or a variant to a generated enum, breaks the Rust API even when the wire
//! is compatible, and needs a major bump (before 1.0: the minor number, as Cargo reads 0.x).
//!
//! Per crate, the level of each source of change, the highest one winning:
//! - the spec diff of its specs ([`crate::spec_diff`]): a breaking change, a new response or
//!   request field, a new enum value, a new response status or a schema that now accepts
//!   unknown keys is **major**; a new operation, a new optional parameter or a parameter made
//!   optional is **minor** (a new builder method); a loosened constraint or anything else the
//!   diff calls compatible and that adds no type is **patch**;
//! - the generator: a change of `xtask/src/catalogue.rs` or of progenitor's version in
//!   `Cargo.lock` is at least **minor**;
//! - the generated code changing with no spec change: at least **patch**;
//! - its hand-written sources (`src/` but the generated files) changing: at least **patch**;
//! - the second opinion, when cargo-semver-checks runs ([`crate::semver_checks`]): the level
//!   its lints find in the crate's rustdoc JSON at both revisions. That is what judges a
//!   change of the hand-written `lib.rs` (or of the generator); on a crate where only the
//!   spec changed, finding more than the rules above is a **disagreement** (a missing rule),
//!   which fails the check with both reasons. Finding less is expected: the tool does not see the
//!   wire (a server URL, a constraint) or a field's type.
//!
//! The version at HEAD must be at least the version at BASE bumped by that level (Cargo's
//! rules: `0.x`: major → `0.(x+1).0`, minor and patch → `0.x.(y+1)`), else the check fails
//! and names the version to set.

use std::fmt;
use std::path::Path;

use crate::semver_checks::{Side, compare};
use crate::spec_diff::{self, Change, DiffError, Severity, read_at};

/// How big a version bump a change needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Nothing changed.
    #[default]
    None,
    /// A fix: no API change.
    Patch,
    /// Additions only.
    Minor,
    /// Something that worked may stop compiling or working.
    Major,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::None => "none",
            Level::Patch => "patch",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

/// The level a spec change needs, and why.
pub fn level_of(change: &Change) -> (Level, &'static str) {
    let message = change.message.as_str();
    if change.severity == Severity::Breaking {
        return (Level::Major, "breaking for clients on the wire");
    }
    if message == "request body added" {
        return (
            Level::Minor,
            "a new optional request body: a new builder method",
        );
    }
    if message == "operation added" || message == "spec added" {
        return (Level::Minor, "a new operation: new builder methods");
    }
    if message.ends_with("response added") {
        return (
            Level::Major,
            "a new documented status changes the operation's generated response types",
        );
    }
    if message.contains("value") && message.contains("added") {
        return (Level::Major, "a new variant of a generated enum");
    }
    if message.starts_with("field ") && message.ends_with(" added") {
        return (
            Level::Major,
            "a new field of a generated struct (open structs: built with literals)",
        );
    }
    if message == "now accepts unknown keys" {
        return (Level::Major, "a generated struct gains a map of extra keys");
    }
    if message.contains("optional") || message.contains("parameter") {
        return (
            Level::Minor,
            "a new or relaxed parameter: builder methods only",
        );
    }
    (Level::Patch, "a compatible change that adds no type")
}

/// The verdict for one crate.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The crate.
    pub crate_name: String,
    /// Its version at BASE and at HEAD (build metadata kept).
    pub base_version: String,
    /// Its version at HEAD.
    pub head_version: String,
    /// What its changes need.
    pub needs: Level,
    /// The first reason of that level.
    pub reason: String,
    /// The smallest version that satisfies `needs`, when HEAD's is below it.
    pub required: Option<String>,
    /// cargo-semver-checks' opinion, when it ran (the crate changed and the tool was given).
    pub second: Option<crate::semver_checks::Opinion>,
    /// Both reasons, when cargo-semver-checks found more than the rules in a crate where only
    /// the spec changed.
    pub disagreement: Option<String>,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: needs {}",
            self.crate_name, self.head_version, self.needs
        )?;
        if self.needs != Level::None {
            write!(f, " ({})", self.reason)?;
        }
        if let Some(second) = &self.second {
            write!(f, " [cargo-semver-checks: {}]", second.summary())?;
        }
        Ok(())
    }
}

/// `major.minor.patch` of a version, build metadata and pre-release dropped.
fn numbers(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['+', '-']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// `version` bumped by `level`, by Cargo's rules (a 0.x minor number is the "major").
pub fn bump(version: &str, level: Level) -> Option<String> {
    let (major, minor, patch) = numbers(version)?;
    let (major, minor, patch) = match (level, major) {
        (Level::None, _) => (major, minor, patch),
        (Level::Major, 0) => (0, minor + 1, 0),
        (Level::Major, _) => (major + 1, 0, 0),
        (Level::Minor, 0) | (Level::Patch, _) => (major, minor, patch + 1),
        (Level::Minor, _) => (major, minor + 1, 0),
    };
    Some(format!("{major}.{minor}.{patch}"))
}

/// The package version in a manifest's text (its first `version = "..."` line).
fn manifest_version(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
}

/// progenitor's version in a `Cargo.lock`.
fn progenitor_version(lock: &str) -> Option<&str> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"progenitor\"" {
            return lines.next()?.strip_prefix("version = ");
        }
    }
    None
}

/// Whether `path` differs between the revisions.
fn changed(root: &Path, old: &str, new: Option<&str>, path: &str) -> Result<bool, DiffError> {
    Ok(read_at(root, Some(old), path)? != read_at(root, new, path)?)
}

/// Files under `dir` that differ between the revisions (`git diff --name-only`).
fn changed_under(
    root: &Path,
    old: &str,
    new: Option<&str>,
    dir: &str,
) -> Result<Vec<String>, DiffError> {
    let mut args = vec!["diff", "--name-only", old];
    if let Some(new) = new {
        args.push(new);
    }
    args.extend(["--", dir]);
    git_lines(root, &args)
}

/// The lines git prints for `args`; a failing git is an error.
fn git_lines(root: &Path, args: &[&str]) -> Result<Vec<String>, DiffError> {
    Ok(spec_diff::git_stdout(root, args)?
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Each generated crate with its catalogue entries (one per spec), in catalogue order.
fn generated_crates() -> Vec<(&'static str, Vec<&'static crate::catalogue::SpecEntry>)> {
    let mut crates: Vec<(&str, Vec<_>)> = Vec::new();
    for entry in crate::catalogue::SPECS {
        match crates
            .iter_mut()
            .find(|(name, _)| *name == entry.crate_name)
        {
            Some((_, entries)) => entries.push(entry),
            None => crates.push((entry.crate_name, vec![entry])),
        }
    }
    crates
}

/// The publishable crates under `crates/` at the new revision that are not generated (their
/// manifest says `publish = true`), by name, each with whether it has a library (a Rust API
/// for the second opinion to judge).
fn hand_written_crates(root: &Path, new: Option<&str>) -> Result<Vec<(String, bool)>, DiffError> {
    let generated: Vec<&str> = generated_crates().iter().map(|(name, _)| *name).collect();
    let names: Vec<String> = match new {
        None => std::fs::read_dir(root.join("crates"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect(),
        Some(revision) => git_lines(root, &["ls-tree", "--name-only", revision, "crates/"])?
            .iter()
            .map(|path| path.trim_start_matches("crates/").to_owned())
            .collect(),
    };
    let mut crates = Vec::new();
    for name in names {
        if generated.contains(&name.as_str()) {
            continue;
        }
        let manifest = read_at(root, new, &format!("crates/{name}/Cargo.toml"))?;
        let publishable = manifest
            .as_deref()
            .is_some_and(|m| m.lines().any(|l| l.trim() == "publish = true"));
        if publishable {
            let library = read_at(root, new, &format!("crates/{name}/src/lib.rs"))?.is_some();
            crates.push((name, library));
        }
    }
    crates.sort();
    Ok(crates)
}

/// The workspace crates among `known` that a manifest names under `[dependencies]`.
fn workspace_dependencies(manifest: &str, known: &[String]) -> Vec<String> {
    let mut section = "";
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if section != "[dependencies]" {
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
        if let Some(name) = known.iter().find(|k| k.as_str() == name) {
            found.push(name.clone());
        }
    }
    found
}

/// A crate's own changes, before the second opinion and its dependencies are considered.
struct Own {
    crate_name: String,
    needs: Needs,
    /// See [`beyond_the_rules`].
    beyond: bool,
    library: bool,
}

/// One verdict per generated crate, in catalogue order, then one per hand-written publishable
/// crate (whose only rules are "a change is at least patch" and the second opinion).
/// With `tool` (a cargo-semver-checks binary), every crate that changed, or whose workspace
/// dependencies changed (its API may show theirs), also gets its second opinion; a crate
/// whose requirement on a workspace crate changed needs at least patch. `only`, when not
/// empty, names the crates to judge (the others are left out).
pub fn verdicts(
    root: &Path,
    old: &str,
    new: Option<&str>,
    tool: Option<&Path>,
    only: &[String],
) -> Result<Vec<Verdict>, DiffError> {
    let mut own = own_changes(root, old, new)?;
    let known: Vec<String> = own.iter().map(|o| o.crate_name.clone()).collect();
    if let Some(unknown) = only.iter().find(|name| !known.contains(name)) {
        return Err(DiffError::Tool {
            what: format!("--package {unknown}"),
            message: format!("not a publishable crate (these are: {})", known.join(", ")),
        });
    }
    // Each crate's workspace dependencies, and whether the root manifest's requirement on it
    // (`[workspace.dependencies]`, what its dependents are published with) changed.
    let manifests = (
        read_at(root, Some(old), "Cargo.toml")?.unwrap_or_default(),
        read_at(root, new, "Cargo.toml")?.unwrap_or_default(),
    );
    let requirement = |text: &str, name: &str| {
        let prefix = format!("{name} = ");
        text.lines()
            .find(|l| l.starts_with(&prefix))
            .map(str::to_owned)
    };
    let mut dependencies = Vec::new();
    for crate_own in &own {
        let manifest = format!("crates/{}/Cargo.toml", crate_own.crate_name);
        let text = read_at(root, new, &manifest)?.unwrap_or_default();
        dependencies.push(workspace_dependencies(&text, &known));
    }
    // Whether a workspace dependency changed, directly or through its own dependencies (to a
    // fixed point: chains of dependencies are short).
    let changed_itself: Vec<bool> = own.iter().map(|o| o.needs.level > Level::None).collect();
    let mut through = vec![false; own.len()];
    loop {
        let before = through.clone();
        for (i, deps) in dependencies.iter().enumerate() {
            through[i] = deps.iter().any(|d| {
                let j = known.iter().position(|k| k == d);
                j.is_some_and(|j| changed_itself[j] || through[j])
            });
        }
        if through == before {
            break;
        }
    }
    for (crate_own, deps) in own.iter_mut().zip(&dependencies) {
        for dep in deps {
            if requirement(&manifests.0, dep) != requirement(&manifests.1, dep) {
                crate_own.needs.raise(
                    Level::Patch,
                    format!(
                        "its requirement on {dep} changed (Cargo.toml, [workspace.dependencies])"
                    ),
                );
                crate_own.beyond = true;
            }
        }
    }
    let mut judge = Judge {
        root,
        old,
        new,
        tool,
        sides: (Side::new(root, Some(old)), Side::new(root, new)),
    };
    let mut verdicts = Vec::new();
    for ((crate_own, itself), through) in own.into_iter().zip(changed_itself).zip(through) {
        if !only.is_empty() && !only.contains(&crate_own.crate_name) {
            continue;
        }
        // What reaches a crate through its dependencies is no spec rule's to judge.
        verdicts.push(judge.verdict(
            &crate_own.crate_name,
            crate_own.needs,
            crate_own.beyond || through,
            crate_own.library && (itself || through),
        )?);
    }
    Ok(verdicts)
}

/// Every publishable crate's own changes: generated crates in catalogue order (their specs,
/// the generator, their generated and hand-written files), then the hand-written ones (any
/// change to what they ship).
fn own_changes(root: &Path, old: &str, new: Option<&str>) -> Result<Vec<Own>, DiffError> {
    let changes = spec_diff::diff_revisions(root, old, new)?;
    let generator = if changed(root, old, new, "xtask/src/catalogue.rs")? {
        Some("the generator settings (xtask/src/catalogue.rs) changed")
    } else {
        let lock = |revision| read_at(root, revision, "Cargo.lock");
        let (a, b) = (lock(Some(old))?, lock(new)?);
        let version = |text: &Option<String>| {
            text.as_deref()
                .and_then(progenitor_version)
                .map(str::to_owned)
        };
        (version(&a) != version(&b)).then_some("progenitor's version changed")
    };
    let mut own = Vec::new();
    for (crate_name, entries) in generated_crates() {
        let mut needs = Needs::default();
        let mut spec_changed = false;
        for change in changes
            .iter()
            .filter(|c| entries.iter().any(|e| e.spec == c.spec))
        {
            spec_changed = true;
            let (level, why) = level_of(change);
            needs.raise(
                level,
                format!("{why}: {}: {}", change.location, change.message),
            );
        }
        if let Some(why) = generator {
            needs.raise(Level::Minor, why.to_owned());
        }
        let files = changed_under(root, old, new, &format!("crates/{crate_name}/src"))?;
        let generated = |f: &String| entries.iter().any(|e| e.output == f);
        if let Some(file) = files.iter().find(|f| generated(f)) {
            needs.raise(
                Level::Patch,
                format!("{file} changed (no spec change asks for more)"),
            );
        }
        if let Some(file) = files.iter().find(|f| !generated(f)) {
            needs.raise(Level::Patch, format!("hand-written {file} changed"));
        }
        let beyond = beyond_the_rules(
            spec_changed,
            generator.is_some(),
            files.iter().any(generated),
            files.iter().any(|f| !generated(f)),
        );
        own.push(Own {
            crate_name: crate_name.to_owned(),
            needs,
            beyond,
            library: true,
        });
    }
    for (crate_name, library) in hand_written_crates(root, new)? {
        let mut needs = Needs::default();
        let dir = format!("crates/{crate_name}");
        // What a user gets: its tests, benchmarks and examples change nothing they build.
        let files: Vec<String> = changed_under(root, old, new, &dir)?
            .into_iter()
            .filter(|f| {
                !["tests/", "benches/", "examples/"]
                    .iter()
                    .any(|d| f.starts_with(&format!("{dir}/{d}")))
            })
            .collect();
        let source = files.iter().find(|f| f.starts_with(&format!("{dir}/src/")));
        if let Some(file) = source.or(files.first()) {
            needs.raise(Level::Patch, format!("{file} changed"));
        }
        own.push(Own {
            crate_name,
            needs,
            beyond: true,
            library,
        });
    }
    Ok(own)
}

/// Whether a generated crate changed in a way the spec rules cannot judge: the spec rules see
/// the spec alone, so hand-written code, the generator, or generated code that no spec change
/// explains are the second opinion's to judge (its higher level is then no disagreement).
fn beyond_the_rules(spec: bool, generator: bool, generated: bool, hand_written: bool) -> bool {
    hand_written || generator || (generated && !spec)
}

/// The level a crate needs so far, and the first reason of that level.
#[derive(Default)]
struct Needs {
    level: Level,
    reason: String,
}

impl Needs {
    fn raise(&mut self, level: Level, reason: String) {
        if level > self.level {
            *self = Needs { level, reason };
        }
    }
}

/// What turns a crate's [`Needs`] into its [`Verdict`]: the second opinion and the versions.
struct Judge<'a> {
    root: &'a Path,
    old: &'a str,
    new: Option<&'a str>,
    tool: Option<&'a Path>,
    sides: (Side<'a>, Side<'a>),
}

impl Judge<'_> {
    /// `beyond_the_rules`: whether something the spec rules cannot judge changed (then a higher
    /// level from cargo-semver-checks is its verdict on it, not a disagreement); `compare_api`:
    /// whether cargo-semver-checks should compare its Rust API (it has a library, and it or a
    /// workspace dependency changed).
    fn verdict(
        &mut self,
        crate_name: &str,
        mut needs: Needs,
        beyond_the_rules: bool,
        compare_api: bool,
    ) -> Result<Verdict, DiffError> {
        let (mut second, mut disagreement) = (None, None);
        let manifest = format!("crates/{crate_name}/Cargo.toml");
        // A crate new since BASE has no earlier API to compare with.
        let existed = read_at(self.root, Some(self.old), &manifest)?.is_some();
        let compared = compare_api && existed;
        if let Some(tool) = self.tool.filter(|_| compared) {
            let (base, head) = &mut self.sides;
            let opinion = compare(tool, &base.rustdoc(crate_name)?, &head.rustdoc(crate_name)?)?;
            if opinion.level > needs.level {
                let theirs = opinion.reason().unwrap_or_default();
                if !beyond_the_rules {
                    disagreement = Some(format!(
                        "{theirs} needs {}, the spec rules only {} ({}): xtask/src/semver.rs \
                         misses a rule",
                        opinion.level, needs.level, needs.reason
                    ));
                }
                needs = Needs {
                    level: opinion.level,
                    reason: theirs,
                };
            }
            second = Some(opinion);
        }
        let root = self.root;
        // `version.workspace = true` reads the root manifest's `[workspace.package]` version.
        let version_at = |revision| -> Result<String, DiffError> {
            let text = read_at(root, revision, &manifest)?.unwrap_or_default();
            let own = manifest_version(&text);
            let inherited = || -> Result<Option<String>, DiffError> {
                Ok(read_at(root, revision, "Cargo.toml")?
                    .as_deref()
                    .and_then(manifest_version))
            };
            let version = match own {
                Some(version) => Some(version),
                None if text.contains("version.workspace = true") => inherited()?,
                None => None,
            };
            Ok(version.unwrap_or_else(|| "0.0.0".to_owned()))
        };
        let (base_version, head_version) = (version_at(Some(self.old))?, version_at(self.new)?);
        let required = bump(&base_version, needs.level)
            .filter(|required| numbers(&head_version) < numbers(required));
        Ok(Verdict {
            crate_name: crate_name.to_owned(),
            base_version,
            head_version,
            needs: needs.level,
            reason: needs.reason,
            required,
            second,
            disagreement,
        })
    }
}

/// The changelog entry the spec changes between two revisions need, per generated crate: its
/// `Added`, `Changed` and `Removed` sections (Keep a Changelog), one line per change, the
/// breaking ones marked, ready to paste under `## [Unreleased]` of the crate's
/// `CHANGELOG.md`. Crates without spec changes are left out.
pub fn changelog(root: &Path, old: &str, new: Option<&str>) -> Result<String, DiffError> {
    use std::fmt::Write as _;
    let changes = spec_diff::diff_revisions(root, old, new)?;
    let mut out = String::new();
    for (crate_name, entries) in generated_crates() {
        let specs: Vec<&str> = entries.iter().map(|e| e.spec).collect();
        let mine: Vec<&Change> = changes
            .iter()
            .filter(|c| specs.contains(&c.spec.as_str()))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "# {} (crates/{}/CHANGELOG.md)\n",
            crate_name, crate_name
        );
        for (section, wanted) in [("Added", "added"), ("Changed", ""), ("Removed", "removed")] {
            let lines: Vec<String> = mine
                .iter()
                .filter(|c| {
                    let kind = if c.message.ends_with(" added") || c.message == "operation added" {
                        "added"
                    } else if c.message.ends_with(" removed") {
                        "removed"
                    } else {
                        ""
                    };
                    kind == wanted
                })
                .map(|c| {
                    let mark = if c.severity == Severity::Breaking {
                        "**Breaking:** "
                    } else {
                        ""
                    };
                    format!("- {mark}`{}`: {}", c.location, c.message)
                })
                .collect();
            if !lines.is_empty() {
                let _ = writeln!(out, "### {section}\n\n{}\n", lines.join("\n"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_follow_cargos_rules() {
        assert_eq!(bump("0.1.0+spec.2", Level::Major).as_deref(), Some("0.2.0"));
        assert_eq!(bump("0.1.3", Level::Minor).as_deref(), Some("0.1.4"));
        assert_eq!(bump("0.1.3", Level::Patch).as_deref(), Some("0.1.4"));
        assert_eq!(bump("1.4.2", Level::Major).as_deref(), Some("2.0.0"));
        assert_eq!(bump("1.4.2", Level::Minor).as_deref(), Some("1.5.0"));
        assert_eq!(bump("1.4.2", Level::None).as_deref(), Some("1.4.2"));
        assert!(numbers("0.2.0") > numbers("0.1.9+spec.2"));
    }

    #[test]
    fn only_a_change_of_the_spec_alone_is_the_spec_rules_to_judge() {
        // (spec, generator, generated code, hand-written code)
        assert!(!beyond_the_rules(true, false, true, false));
        assert!(!beyond_the_rules(false, false, false, false));
        assert!(beyond_the_rules(true, false, true, true));
        assert!(beyond_the_rules(true, true, true, false));
        assert!(beyond_the_rules(false, true, false, false));
        assert!(beyond_the_rules(false, false, true, false));
    }

    #[test]
    fn progenitor_is_found_in_a_lock_file() {
        let lock = "[[package]]\nname = \"progenitor\"\nversion = \"0.15.1\"\n";
        assert_eq!(progenitor_version(lock), Some("\"0.15.1\""));
    }
}
