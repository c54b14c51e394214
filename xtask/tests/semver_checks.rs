//! `cargo xtask diff --semver` with its second opinion, cargo-semver-checks, on the fixtures
//! of `tests/fixtures/semver/`: one spec edit per rule, each with the level the spec rules
//! must give, the level cargo-semver-checks must give and the lints it must name.
//!
//! Each fixture is applied to a scratch copy of the workspace (a git repository whose HEAD is
//! the unedited copy), the clients are regenerated there, and the real `xtask diff HEAD
//! --semver --second-opinion require` runs on it, building rustdoc JSON in the real target
//! directory (`<target>/semver-checks`), so dependencies are compiled once. Nothing is bumped,
//! so every fixture that needs a bump must also exit 1 naming the version to set.
//!
//! Needs cargo-semver-checks (`.ci/run` installs it under `target/tools`); without it the
//! tests that run it say so and pass, unless `MEETING_USAGE_REQUIRE_TOOLS=1` (as in CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn workspace_root() -> PathBuf {
    xtask::workspace_root().unwrap()
}

/// The target directory the tests were built in (`<target>/debug/xtask`).
fn target_dir() -> PathBuf {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_xtask"));
    binary.parent().unwrap().parent().unwrap().to_owned()
}

/// cargo-semver-checks, found as `xtask` finds it; `None` (the test passes, saying why) when
/// it is missing and missing tools are allowed.
fn tool() -> Option<PathBuf> {
    let installed = target_dir().join("tools/bin/cargo-semver-checks");
    let found = std::env::var_os("CARGO_SEMVER_CHECKS")
        .map(PathBuf::from)
        .or_else(|| installed.is_file().then_some(installed))
        .or_else(|| xtask::semver_checks::find_tool(&workspace_root()));
    if found.is_none() {
        assert!(
            std::env::var_os("MEETING_USAGE_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "cargo-semver-checks is missing, and MEETING_USAGE_REQUIRE_TOOLS=1 forbids skipping"
        );
        eprintln!(
            "skipped: cargo-semver-checks is not installed (cargo install cargo-semver-checks --version {} --locked --root target/tools)",
            xtask::semver_checks::VERSION
        );
    }
    found
}

fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["-c", "user.name=t", "-c", "user.email=t@example.invalid"];
    all.extend(args);
    run(dir, "git", &all)
}

/// A copy of the workspace's files (tracked and not ignored, as in the working tree), committed
/// as the HEAD of a new repository.
fn scratch_workspace() -> tempfile::TempDir {
    let root = workspace_root();
    let listed = run(
        &root,
        "git",
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let file = std::str::from_utf8(file).unwrap();
        let from = root.join(file);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = dir.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "the workspace"]);
    dir
}

/// Runs the xtask binary on the scratch workspace, with the real target directory.
fn xtask(root: &Path, args: &[&str], tool: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .arg("--root")
        .arg(root)
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("CARGO_SEMVER_CHECKS");
    if let Some(tool) = tool {
        command.env("CARGO_SEMVER_CHECKS", tool);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One fixture file, read with the workspace's YAML parser.
struct Fixture {
    name: String,
    rule: String,
    spec: String,
    crate_name: String,
    edits: Vec<Value>,
    ours: String,
    theirs: String,
    lints: Vec<String>,
}

fn fixtures() -> Vec<Fixture> {
    let dir = workspace_root().join("tests/fixtures/semver");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let doc = spec_core::yaml::parse(&std::fs::read_to_string(&path).unwrap())
                .unwrap()
                .value;
            let field = |key: &str| {
                doc[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{key}"))
                    .to_owned()
            };
            Fixture {
                name: path.file_stem().unwrap().to_string_lossy().into_owned(),
                rule: field("rule"),
                spec: field("spec"),
                crate_name: field("crate"),
                edits: doc["edits"].as_array().unwrap().clone(),
                ours: field("ours"),
                theirs: field("cargo-semver-checks"),
                lints: doc["lints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_owned())
                    .collect(),
            }
        })
        .collect()
}

/// Applies a fixture's edits: `replace`/`with` (the first occurrence, which must exist) or
/// `cut_from`/`cut_to` (from the first line up to, not including, the second).
fn apply(root: &Path, fixture: &Fixture) {
    let path = root.join(&fixture.spec);
    let mut spec = std::fs::read_to_string(&path).unwrap();
    for edit in &fixture.edits {
        if let (Some(from), Some(to)) = (edit["replace"].as_str(), edit["with"].as_str()) {
            assert!(
                spec.contains(from),
                "{}: {from:?} is not in the spec",
                fixture.name
            );
            spec = spec.replacen(from, to, 1);
        } else {
            let (from, to) = (edit["cut_from"].as_str(), edit["cut_to"].as_str());
            let (from, to) = (from.unwrap(), to.unwrap());
            let start = spec.find(from).expect(from);
            let end = start + spec[start..].find(to).expect(to);
            spec.replace_range(start..end, "");
        }
    }
    std::fs::write(&path, spec).unwrap();
}

/// `<level>` and `[cargo-semver-checks: <level>[: lints]]` of a crate's verdict line.
fn verdict_of<'a>(stdout: &'a str, crate_name: &str) -> (&'a str, &'a str) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("{crate_name} ")))
        .unwrap_or_else(|| panic!("no verdict for {crate_name}: {stdout}"));
    let ours = line
        .split("needs ")
        .nth(1)
        .unwrap()
        .split([' ', '('])
        .next()
        .unwrap();
    let theirs = line
        .rsplit_once("[cargo-semver-checks: ")
        .map(|(_, rest)| rest.trim_end_matches(']'))
        .unwrap_or("not run");
    (ours, theirs)
}

#[test]
fn each_rule_gets_the_verdict_its_fixture_expects_from_both_opinions() {
    let Some(tool) = tool() else { return };
    let fixtures = fixtures();
    assert!(fixtures.len() >= 7);
    let scratch = scratch_workspace();
    let root = scratch.path();
    let mut wrong = Vec::new();
    for fixture in &fixtures {
        apply(root, fixture);
        let generated = xtask(root, &["generate"], None);
        assert!(
            generated.status.success(),
            "{}: {}",
            fixture.name,
            text(&generated.stderr)
        );
        let out = xtask(
            root,
            &[
                "diff",
                "HEAD",
                "--semver",
                "--second-opinion",
                "require",
                "--package",
                &fixture.crate_name,
            ],
            Some(&tool),
        );
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let (ours, theirs) = verdict_of(&stdout, &fixture.crate_name);
        eprintln!(
            "{}: spec rules {ours}, cargo-semver-checks {theirs}",
            fixture.name
        );
        let (theirs_level, theirs_lints) = theirs.split_once(": ").unwrap_or((theirs, ""));
        let missing: Vec<&String> = fixture
            .lints
            .iter()
            .filter(|lint| !theirs_lints.split(", ").any(|l| l == lint.as_str()))
            .collect();
        if ours != fixture.ours || theirs_level != fixture.theirs || !missing.is_empty() {
            wrong.push(format!(
                "{} ({}): expected spec rules {}, cargo-semver-checks {} {:?}; got {ours}, {theirs}\n{stdout}{stderr}",
                fixture.name, fixture.rule, fixture.ours, fixture.theirs, fixture.lints
            ));
        }
        // Nothing was bumped: a change that needs one fails and names the version to set.
        let (_, meta) = version_of(root, &fixture.crate_name);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {stdout}{stderr}",
            fixture.name
        );
        assert!(
            stderr.contains(&format!("in crates/{}/Cargo.toml", fixture.crate_name))
                && stderr.contains(&format!("+{meta}\"`")),
            "{}: {stderr}",
            fixture.name
        );
        assert!(!stderr.contains("disagree"), "{}: {stderr}", fixture.name);
        git(root, &["checkout", "-q", "--", "."]);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

fn version_of(root: &Path, crate_name: &str) -> (String, String) {
    let manifest =
        std::fs::read_to_string(root.join(format!("crates/{crate_name}/Cargo.toml"))).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let meta = version
        .split_once('+')
        .map(|(_, m)| m.to_owned())
        .unwrap_or_default();
    (version, meta)
}

/// A hand-written change the spec rules cannot judge: the second opinion decides (a public
/// function's parameters changed: major), and since the hand-written source changed, that is
/// not a disagreement. An addition to it needs no more than the patch its change asks for.
#[test]
fn a_hand_written_api_change_is_judged_by_the_second_opinion() {
    let Some(tool) = tool() else { return };
    let scratch = scratch_workspace();
    let root = scratch.path();
    let lib = root.join("crates/webex-admin/src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    let from = "pub fn http_client_with_token(token: &str)";
    assert!(source.contains(from));

    std::fs::write(
        &lib,
        source.replacen(
            from,
            "pub fn http_client_with_token(token: &str, _agent: &str)",
            1,
        ),
    )
    .unwrap();
    let out = xtask(
        root,
        &["diff", "HEAD", "--semver", "-p", "webex-admin"],
        Some(&tool),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("webex-admin 0.1.0+spec.1: needs major (cargo-semver-checks: function_parameter_count_changed (webex_admin::http_client_with_token"),
        "{stdout}"
    );
    assert!(!stderr.contains("disagree"), "{stderr}");
    assert!(
        stderr.contains("set `version = \"0.2.0+spec.1\"`"),
        "{stderr}"
    );

    std::fs::write(&lib, format!("{source}\n/// Added.\npub fn added() {{}}\n")).unwrap();
    let out = xtask(
        root,
        &["diff", "HEAD", "--semver", "-p", "webex-admin"],
        Some(&tool),
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("webex-admin 0.1.0+spec.1: needs patch (hand-written crates/webex-admin/src/lib.rs changed) [cargo-semver-checks: none]"),
        "{stdout}"
    );
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the crate asked for: {stdout}"
    );

    let out = xtask(root, &["diff", "HEAD", "--semver", "-p", "webex"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--package webex: not a publishable crate (these are: zoom-billing, huawei-meeting, webex-admin, meeting-usage"),
        "{}",
        text(&out.stderr)
    );
}

/// When cargo-semver-checks finds more than the spec rules in a crate where only the spec
/// changed, a rule is missing: the check fails with both reasons, even with
/// `--unreleased`. The tool here is a stand-in that reports a major finding, so the path is
/// tested whatever the real tool would say of the change (a loosened constraint: patch).
#[test]
fn a_disagreement_fails_with_both_reasons() {
    let scratch = scratch_workspace();
    let root = scratch.path();
    let fake = root.join("fake-cargo-semver-checks");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$2\" = --version ]; then echo 'cargo-semver-checks {}'; exit 0; fi\n\
             printf -- '--- failure struct_missing: pub struct removed or renamed ---\\n\\nFailed in:\\n  struct webex_admin::types::License, previously in file src/generated.rs:1\\n\\n     Summary semver requires new major version: 1 major and 0 minor checks failed\\n' >&2\nexit 1\n",
            xtask::semver_checks::VERSION
        ),
    )
    .unwrap();
    run(root, "chmod", &["+x", "fake-cargo-semver-checks"]);
    let path = root.join("spec/webex/admin.yaml");
    let spec = std::fs::read_to_string(&path).unwrap();
    let loosened = spec.replacen("maximum: 300\n", "maximum: 500\n", 1);
    assert_ne!(spec, loosened);
    std::fs::write(&path, loosened).unwrap();
    assert!(xtask(root, &["generate"], None).status.success());

    let out = xtask(
        root,
        &["diff", "HEAD", "--semver", "--unreleased"],
        Some(&fake),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: webex-admin: the two opinions disagree: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("cargo-semver-checks: struct_missing"),
        "{line}"
    );
    assert!(line.contains("the spec rules only patch"), "{line}");
    assert!(line.contains("loosened"), "{line}");
    // `--unreleased` asks for no bump: the disagreement is the only error.
    assert!(!stderr.contains("set `version"), "{stderr}");
}

/// A change reaches the crates that depend on it: the second opinion compares a dependent
/// whose own files did not change, and a new requirement on a workspace crate
/// (`[workspace.dependencies]`, what the dependent is published with) needs at least patch.
#[test]
fn a_dependency_change_reaches_its_dependents() {
    let Some(tool) = tool() else { return };
    let scratch = scratch_workspace();
    let root = scratch.path();
    let edit = |path: &str, from: &str, to: &str| {
        let path = root.join(path);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{from:?} is not in {}", path.display());
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    // vendor-types 0.1.1, with an addition, and the workspace requiring it.
    edit(
        "crates/vendor-types/Cargo.toml",
        "version.workspace = true",
        "version = \"0.1.1\"",
    );
    edit(
        "Cargo.toml",
        "vendor-types = { path = \"crates/vendor-types\", version = \"0.1.0\" }",
        "vendor-types = { path = \"crates/vendor-types\", version = \"0.1.1\" }",
    );
    edit(
        "Cargo.lock",
        "name = \"vendor-types\"\nversion = \"0.1.0\"",
        "name = \"vendor-types\"\nversion = \"0.1.1\"",
    );
    let lib = root.join("crates/vendor-types/src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{source}\n/// Added.\npub fn added() {{}}\n")).unwrap();

    let out = xtask(
        root,
        &[
            "diff",
            "HEAD",
            "--semver",
            "-p",
            "vendor-types",
            "-p",
            "webex-admin",
        ],
        Some(&tool),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("vendor-types 0.1.1: needs patch (crates/vendor-types/src/lib.rs changed) [cargo-semver-checks: none]"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("webex-admin 0.1.0+spec.1: needs patch (its requirement on vendor-types changed (Cargo.toml, [workspace.dependencies])) [cargo-semver-checks: none]"),
        "{stdout}{stderr}"
    );
    // vendor-types was bumped; webex-admin was not.
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("set `version = \"0.1.1+spec.1\"` in crates/webex-admin/Cargo.toml"),
        "{stderr}"
    );
    assert!(!stderr.contains("vendor-types is at"), "{stderr}");
}
