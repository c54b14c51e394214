//! `cargo xtask diff`: spec pairs under `tests/fixtures/spec-diff/` (each `old.yaml`,
//! `new.yaml` and the changes expected, one per line) and a run against a git repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::spec_diff::{self, Severity};

fn workspace_root() -> PathBuf {
    xtask::workspace_root().unwrap()
}

fn cases() -> Vec<PathBuf> {
    let dir = workspace_root().join("tests/fixtures/spec-diff");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    cases
}

fn load(path: &Path) -> serde_json::Value {
    spec_core::yaml::parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .value
}

/// `breaking|compatible <location>: <message>`, breaking first.
fn render(changes: &[spec_diff::Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            let severity = match c.severity {
                Severity::Breaking => "breaking",
                Severity::Compatible => "compatible",
            };
            format!("{severity} {}: {}", c.location, c.message)
        })
        .collect()
}

#[test]
fn every_spec_pair_classifies_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 10);
    for case in cases {
        let old = load(&case.join("old.yaml"));
        let new = load(&case.join("new.yaml"));
        let mut expected: Vec<String> = std::fs::read_to_string(case.join("expected.txt"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let changes = spec_diff::diff_documents("spec.yaml", &old, &new);
        let mut got = render(&changes);
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{}", case.display());
    }
}

#[test]
fn identical_specs_have_no_changes() {
    for case in cases() {
        let old = load(&case.join("old.yaml"));
        assert!(spec_diff::diff_documents("spec.yaml", &old, &old).is_empty());
    }
}

#[test]
fn the_workspace_specs_compared_with_themselves_have_no_changes() {
    for entry in xtask::catalogue::SPECS {
        let doc = load(&workspace_root().join(entry.spec));
        assert!(
            spec_diff::diff_documents(entry.spec, &doc, &doc).is_empty(),
            "{}",
            entry.spec
        );
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository with the workspace's root manifest, xtask's manifest and specs at one
/// commit, and `edit` applied to the working tree. It looks like a checkout of this workspace
/// to anything that searches for the workspace root.
fn repository(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = ["Cargo.toml", "xtask/Cargo.toml"]
        .into_iter()
        .chain(xtask::catalogue::SPECS.iter().map(|entry| entry.spec));
    for file in files {
        let to = dir.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(workspace_root().join(file), &to).unwrap();
    }
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "specs"]);
    edit(dir.path());
    dir
}

fn xtask_diff(root: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(root)
        .arg("diff")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_breaking_change_in_the_working_tree_fails_unless_allowed() {
    let repo = repository(|root| {
        let path = root.join("spec/zoom/billing-plans.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replacen(
            "        usage:\n          type: integer\n          format: int64\n          description: Licences assigned to users (can exceed `hosts`).\n",
            "",
            1,
        );
        assert_ne!(text, edited);
        std::fs::write(&path, edited).unwrap();
    });
    let out = xtask_diff(repo.path(), &["HEAD"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("breaking   spec/zoom/billing-plans.yaml: GET /accounts/{accountId}/plans/usage: 200 response: field `plan_large_meeting[].usage` removed"),
        "{stdout}"
    );
    // A shared schema's change is reported once, where it is first reached.
    assert!(
        stdout.contains("1 breaking, 0 compatible change(s) between HEAD and the working tree"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-breaking"));
    assert_eq!(
        xtask_diff(repo.path(), &["HEAD", "--allow-breaking"])
            .status
            .code(),
        Some(0)
    );

    let json = xtask_diff(
        repo.path(),
        &["HEAD", "--allow-breaking", "--format", "json"],
    );
    let changes: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        changes
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["severity"] == "breaking")
    );
}

#[test]
fn compatible_changes_between_two_commits_pass() {
    let repo = repository(|root| {
        let path = root.join("spec/huawei/meeting.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replacen(
                "        usedLiveCount:\n",
                "        usedWebinarCount:\n          type: integer\n          description: Webinars today.\n        usedLiveCount:\n",
                1,
            ),
        )
        .unwrap();
        git(root, &["commit", "-q", "-am", "add a field"]);
    });
    let out = xtask_diff(repo.path(), &["HEAD~1", "HEAD"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("compatible spec/huawei/meeting.yaml: GET /v1/mmc/management/orgRes: 200 response: field `usedWebinarCount` added"), "{stdout}");
    assert!(
        stdout.contains("0 breaking, 1 compatible change(s) between HEAD~1 and HEAD"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_revision_cannot_run() {
    let repo = repository(|_| {});
    let out = xtask_diff(repo.path(), &["no-such-tag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown revision"));
}

/// A spec that cannot be read is an error, not a removed spec (which would be reported as a
/// breaking change); a missing one is `None`.
#[test]
fn unreadable_specs_are_errors_not_removals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("spec.yaml")).unwrap();
    assert!(spec_diff::read_at(dir.path(), None, "spec.yaml").is_err());
    assert_eq!(
        spec_diff::read_at(dir.path(), None, "missing.yaml").unwrap(),
        None
    );
}

/// Adds a response field to the Huawei spec in the working tree: one compatible change.
fn add_huawei_field(root: &Path) {
    edit_spec(
        root,
        "spec/huawei/meeting.yaml",
        "        usedLiveCount:\n",
        "        usedWebinarCount:\n          type: integer\n          description: Webinars today.\n        usedLiveCount:\n",
    );
}

/// Replaces the first `from` of a spec with `to` (which must change it).
fn edit_spec(root: &Path, spec: &str, from: &str, to: &str) {
    let path = root.join(spec);
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replacen(from, to, 1);
    assert_ne!(text, edited, "{from:?} is not in {spec}");
    std::fs::write(&path, edited).unwrap();
}

/// Runs the already-built binary the way a second checkout sharing one target directory
/// would: from `cwd`, with `CARGO_MANIFEST_DIR` as given (cargo sets it for `cargo xtask`;
/// a binary started by hand has none) and no `--root`.
fn xtask_in(cwd: &Path, manifest_dir: Option<&Path>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).current_dir(cwd);
    match manifest_dir {
        Some(dir) => command.env("CARGO_MANIFEST_DIR", dir),
        None => command.env_remove("CARGO_MANIFEST_DIR"),
    };
    command.output().unwrap()
}

const FIELD_ADDED: &str = "compatible spec/huawei/meeting.yaml: GET /v1/mmc/management/orgRes: 200 response: field `usedWebinarCount` added";
const NO_CHANGES: &str = "0 breaking, 0 compatible change(s) between HEAD and the working tree";
const ONE_CHANGE: &str = "0 breaking, 1 compatible change(s) between HEAD and the working tree";

/// One binary, two checkouts (as with a shared `CARGO_TARGET_DIR`): the binary finds the
/// workspace it runs in at run time, not the one it was compiled from.
#[test]
fn the_binary_works_on_the_checkout_it_runs_in() {
    let a = repository(|_| {});
    let b = repository(add_huawei_field);
    let stdout = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).into_owned();

    // Started by hand inside each checkout (from a subdirectory): the current directory decides.
    let in_a = xtask_in(&a.path().join("spec/zoom"), None, &["diff", "HEAD"]);
    assert_eq!(in_a.status.code(), Some(0), "{}", stdout(&in_a));
    assert!(stdout(&in_a).contains(NO_CHANGES), "{}", stdout(&in_a));
    let in_b = xtask_in(&b.path().join("spec/huawei"), None, &["diff", "HEAD"]);
    assert_eq!(in_b.status.code(), Some(0), "{}", stdout(&in_b));
    assert!(stdout(&in_b).contains(FIELD_ADDED), "{}", stdout(&in_b));
    assert!(stdout(&in_b).contains(ONE_CHANGE), "{}", stdout(&in_b));

    // Through cargo (`CARGO_MANIFEST_DIR` set to B's xtask): B, wherever cargo was started.
    let via_cargo = xtask_in(a.path(), Some(&b.path().join("xtask")), &["diff", "HEAD"]);
    assert!(
        stdout(&via_cargo).contains(ONE_CHANGE),
        "{}",
        stdout(&via_cargo)
    );

    // `--root` still wins.
    let a_root = a.path().to_str().unwrap();
    let rooted = xtask_in(
        b.path(),
        Some(&b.path().join("xtask")),
        &["--root", a_root, "diff", "HEAD"],
    );
    assert!(stdout(&rooted).contains(NO_CHANGES), "{}", stdout(&rooted));
}

/// Outside any workspace, `xtask` cannot run: exit 2 and one line saying why.
#[test]
fn no_workspace_cannot_run() {
    let outside = tempfile::tempdir().unwrap();
    if outside
        .path()
        .ancestors()
        .any(|dir| dir.join("Cargo.toml").exists())
    {
        return; // Some manifest encloses the temporary directory; nothing to prove here.
    }
    let out = xtask_in(outside.path(), None, &["diff", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: no Cargo workspace"), "{stderr}");
}

/// [`repository`] with the generated crates' manifests and the generator settings too, which
/// `--semver` reads (its spec rules: the crates' sources are not there, so these tests skip
/// the second opinion, which `tests/semver_checks.rs` covers).
fn crates_repository(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    repository(|root| {
        let mut files = vec!["xtask/src/catalogue.rs".to_owned()];
        for entry in xtask::catalogue::SPECS {
            files.push(format!("crates/{}/Cargo.toml", entry.crate_name));
        }
        for file in files {
            let to = root.join(&file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(workspace_root().join(&file), &to).unwrap();
        }
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "crates"]);
        edit(root);
    })
}

fn huawei_version(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("crates/huawei-meeting/Cargo.toml")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("version = "))
        .unwrap()
        .trim_matches('"')
        .to_owned()
}

#[test]
fn semver_asks_a_major_bump_for_a_new_response_field_and_names_the_fix() {
    let repo = crates_repository(|root| {
        add_huawei_field(root);
        git(root, &["commit", "-q", "-am", "a new response field"]);
    });
    let version = huawei_version(repo.path());
    let (_, meta) = version.split_once('+').unwrap();
    let out = xtask_diff(
        repo.path(),
        &["HEAD~1", "HEAD", "--semver", "--second-opinion", "skip"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "huawei-meeting {version}: needs major (a new field of a generated struct"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("zoom-billing") && stdout.contains("needs none"),
        "{stdout}"
    );
    // Cargo's rule for 0.x: a breaking change bumps the minor number.
    assert!(
        stderr.contains(&format!(
            "set `version = \"0.2.0+{meta}\"` in crates/huawei-meeting/Cargo.toml"
        )),
        "{stderr}"
    );

    // With the bump, the check passes.
    let manifest = repo.path().join("crates/huawei-meeting/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace(&version, &format!("0.2.0+{meta}"))).unwrap();
    git(repo.path(), &["commit", "-q", "-am", "bump"]);
    let out = xtask_diff(
        repo.path(),
        &["HEAD~2", "HEAD", "--semver", "--second-opinion", "skip"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("huawei-meeting 0.2.0+{meta}: needs major"))
    );
}

#[test]
fn semver_asks_a_minor_bump_for_a_generator_change() {
    let repo = crates_repository(|root| {
        let path = root.join("xtask/src/catalogue.rs");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}\n// a settings change\n")).unwrap();
    });
    let out = xtask_diff(
        repo.path(),
        &["HEAD", "--semver", "--second-opinion", "skip"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for entry in xtask::catalogue::SPECS {
        assert!(
            stdout.contains(entry.crate_name)
                && stdout.contains(
                    "needs minor (the generator settings (xtask/src/catalogue.rs) changed)"
                ),
            "{stdout}"
        );
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("0.1.1+"));
}

/// The level each fixture pair of `tests/fixtures/spec-diff/` needs under the open-types
/// decision.
#[test]
fn every_spec_pair_gets_the_level_its_rule_says() {
    use xtask::semver::{Level, level_of};
    let expected = [
        ("01-operation-removed-and-added", Level::Major),
        ("02-response-field-removed", Level::Major),
        ("03-type-changed", Level::Major),
        ("04-request-field-became-required", Level::Major),
        ("08-compatible-only", Level::Major),
        ("16-response-enum-changed", Level::Major),
        ("17-default-server-changed-and-server-added", Level::Major),
    ];
    for (case, level) in expected {
        let dir = workspace_root().join("tests/fixtures/spec-diff").join(case);
        let changes = spec_diff::diff_documents(
            "spec.yaml",
            &load(&dir.join("old.yaml")),
            &load(&dir.join("new.yaml")),
        );
        let worst = changes
            .iter()
            .map(|c| level_of(c).0)
            .max()
            .unwrap_or(Level::None);
        assert_eq!(worst, level, "{case}: {changes:?}");
    }
    let change = |message: &str| spec_diff::Change {
        severity: spec_diff::Severity::Compatible,
        spec: "spec.yaml".into(),
        location: "GET /x".into(),
        message: message.into(),
    };
    assert_eq!(
        level_of(&change("optional query parameter `page` added")).0,
        Level::Minor
    );
    assert_eq!(level_of(&change("operation added")).0, Level::Minor);
    assert_eq!(level_of(&change("enum value `pro` added")).0, Level::Major);
    assert_eq!(level_of(&change("field `a.b` added")).0, Level::Major);
    assert_eq!(
        level_of(&change("`maxLength` loosened: 40 to 80")).0,
        Level::Patch
    );
}

#[test]
fn changelog_drafts_the_entry_a_spec_change_needs() {
    let repo = crates_repository(|root| {
        add_huawei_field(root);
        // And a breaking one: a response field removed (renamed).
        edit_spec(
            root,
            "spec/huawei/meeting.yaml",
            "        usedLiveCount:\n",
            "        usedLiveCountGone:\n",
        );
    });
    let out = xtask_diff(repo.path(), &["HEAD", "--changelog"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("# huawei-meeting (crates/huawei-meeting/CHANGELOG.md)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("### Added\n\n- "), "{stdout}");
    assert!(
        stdout.contains(
            "- `GET /v1/mmc/management/orgRes: 200 response`: field `usedWebinarCount` added"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("### Removed\n\n- **Breaking:** "),
        "{stdout}"
    );
    assert!(!stdout.contains("zoom-billing"), "{stdout}");
}
