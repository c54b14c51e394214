//! Promises the repository makes to a new user.

use workspace_tests::workspace_root;

fn read(rel: &str) -> String {
    std::fs::read_to_string(workspace_root().join(rel)).unwrap()
}

/// The commands of the README's quick start (the first `sh` block after "## Quick start").
fn quick_start_commands() -> Vec<String> {
    let readme = read("README.md");
    let section = readme
        .split("## Quick start")
        .nth(1)
        .expect("a Quick start section");
    let block = section
        .split("```sh")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a sh block");
    block
        .lines()
        .map(|line| line.split('#').next().unwrap().trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn readme_quick_start_has_exactly_two_commands() {
    assert_eq!(
        quick_start_commands(),
        [
            "cargo run -p meeting-usage-cli -- report --sandbox",
            "cargo test --workspace"
        ]
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    let test_command = quick_start_commands().pop().unwrap();
    let ci = read(".ci/run");
    assert!(
        ci.lines().any(|line| line.trim() == test_command),
        ".ci/run must run `{test_command}` on a line of its own"
    );
    assert!(ci.contains("set -euo pipefail"));
    for check in [
        "cargo fmt --all --check",
        "cargo clippy --workspace --all-targets",
        "-D warnings",
        "cargo xtask generate --check",
    ] {
        assert!(ci.contains(check), ".ci/run must run `{check}`");
    }
}

#[test]
fn xtask_alias_is_configured() {
    let config = read(".cargo/config.toml");
    assert!(
        config.contains("xtask = \"run --quiet --profile xtask --package xtask --\""),
        "{config}"
    );
    // The profile it builds in exists and starts from `dev`.
    let manifest = read("Cargo.toml");
    assert!(
        manifest.contains("[profile.xtask]\ninherits = \"dev\""),
        "Cargo.toml has no [profile.xtask] inheriting dev"
    );
}

/// Every spec file is served by the sandbox and exercised by the cross-client tests.
#[test]
fn every_spec_is_embedded_in_the_sandbox_and_tested() {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let rel = path.strip_prefix(workspace_root()).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut on_disk = Vec::new();
    walk(&workspace_root().join("spec"), &mut on_disk);
    on_disk.sort();
    let mut embedded: Vec<String> = spec_sandbox::specs::EMBEDDED
        .iter()
        .map(|s| s.file.to_owned())
        .collect();
    embedded.sort();
    assert_eq!(
        embedded, on_disk,
        "embed every spec in crates/spec-sandbox/src/specs.rs"
    );
    let mut tested: Vec<String> = workspace_tests::SPECS
        .iter()
        .map(|s| format!("spec/{s}"))
        .collect();
    tested.sort();
    assert_eq!(
        tested, on_disk,
        "add every spec to workspace_tests::SPECS (tests/src/lib.rs)"
    );
    let ci = read(".ci/run");
    for spec in &on_disk {
        assert!(
            ci.contains(spec.as_str()),
            ".ci/run must run schemathesis on {spec}"
        );
    }
}
