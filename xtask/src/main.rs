//! `cargo xtask`: the workspace's developer tasks.
//!
//! Exit codes: 0 success, 1 the task found defects (a broken spec, stale generated code,
//! breaking changes), 2 the task could not run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::catalogue::SPECS;
use xtask::diagnostics::Diagnostics;
use xtask::generate::{self, RunError, WriteOutcome};
use xtask::report::{self, Format, Summary};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Developer tasks for the meeting-usage workspace"
)]
struct Cli {
    /// Workspace to work on (default: the one this xtask belongs to).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Regenerate the client crates from the specs (crates/*/src/generated*.rs).
    Generate {
        /// Write nothing; fail if any generated file differs from what its spec produces.
        #[arg(long)]
        check: bool,
    },
    /// Check specs: YAML, the official OpenAPI 3.0 schema, semantics, generator rules,
    /// examples, and a generator dry run. Exit 0 clean, 1 defects, 2 could not run.
    Validate {
        /// Spec files to check (default: every spec of the workspace).
        specs: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// List the validation rules with their ids and what they enforce (a markdown table).
    Rules,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(xtask::workspace_root);
    let result = match cli.task {
        Task::Generate { check } => run_generate(&root, check),
        Task::Validate { specs, format } => run_validate(&root, &specs, format),
        Task::Rules => {
            print!("{}", xtask::validate::rules_markdown());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}

fn run_generate(root: &Path, check: bool) -> Result<ExitCode, RunError> {
    let mut rendered = Vec::new();
    let mut failures = Diagnostics::default();
    for entry in SPECS {
        match generate::render(root, entry)? {
            Ok(file) => rendered.push(file),
            Err(diagnostics) => failures.extend(diagnostics),
        }
    }
    if !failures.is_empty() {
        eprint!("{failures}");
        eprintln!(
            "error: {} defect(s) in the specs; nothing under crates/ was changed",
            failures.len()
        );
        return Ok(ExitCode::from(1));
    }
    if check {
        let drifts = generate::drift(&rendered, 40)?;
        if drifts.is_empty() {
            println!("generated code is up to date ({} files)", rendered.len());
            return Ok(ExitCode::SUCCESS);
        }
        for drift in &drifts {
            eprintln!("{} is out of date with its spec:", drift.output);
            eprint!("{}", drift.diff);
        }
        eprintln!(
            "error: {} generated file(s) out of date; run `cargo xtask generate` and commit the result",
            drifts.len()
        );
        return Ok(ExitCode::from(1));
    }
    let outcomes = generate::write_all(&rendered)?;
    for (file, outcome) in rendered.iter().zip(outcomes) {
        let verb = match outcome {
            WriteOutcome::Unchanged => "unchanged",
            WriteOutcome::Written => "written",
        };
        println!("{verb:>9} {} (from {})", file.entry.output, file.entry.spec);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_validate(root: &Path, specs: &[String], format: Format) -> Result<ExitCode, RunError> {
    let started = std::time::Instant::now();
    let (diagnostics, checked) = xtask::validate::run(root, specs).map_err(RunError::Unreadable)?;
    let files: std::collections::BTreeSet<&str> =
        diagnostics.iter().map(|d| d.file.as_str()).collect();
    let summary = Summary {
        specs: checked,
        specs_with_defects: files.len(),
        elapsed: started.elapsed(),
    };
    print!("{}", report::render(&diagnostics, summary, format));
    Ok(if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
