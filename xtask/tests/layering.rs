//! The module layering ARCHITECTURE.md promises: `generate` and `validate` both use
//! `pipeline`, `validate` never reaches back into `generate`, and `pipeline` uses neither.

use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }
    out
}

fn assert_no_use(dir: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let files = sources(&root);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    for (path, text) in files {
        for module in forbidden {
            let needle = format!("crate::{module}");
            assert!(
                !text.contains(&needle),
                "{path} uses `{needle}`: the layering is generate → pipeline ← validate"
            );
        }
    }
}

#[test]
fn validate_never_uses_generate() {
    assert_no_use("validate", &["generate"]);
}

#[test]
fn pipeline_uses_neither_command() {
    assert_no_use("pipeline", &["generate", "validate"]);
}
