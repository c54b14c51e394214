//! `cargo xtask`: the workspace's developer tasks.
//!
//! Exit codes: 0 success, 1 the task found defects (a broken spec, stale generated code,
//! breaking changes), 2 the task could not run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::generate::{self, RunError, WriteOutcome};
use xtask::report::{self, Format, Summary};

/// mimalloc instead of the system allocator: progenitor and syn allocate and free token
/// vectors by the million, and glibc's allocator was a third of `validate`'s samples.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Developer tasks for the meeting-usage workspace"
)]
struct Cli {
    /// Workspace to work on (default: the one `cargo xtask` was run in, or else the one
    /// enclosing the current directory).
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
        /// Print the wall time of each spec's phases to stderr (profiling aid).
        #[arg(long)]
        timings: bool,
    },
    /// Check specs: YAML, the official OpenAPI 3.0 schema, semantics, generator rules,
    /// examples, and a generator dry run. Exit 0 clean, 1 defects, 2 could not run.
    Validate {
        /// Spec files to check (default: every spec of the workspace).
        specs: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Print the wall time of each spec's phases (rule groups, dry run) to stderr.
        #[arg(long)]
        timings: bool,
    },
    /// List the validation rules with their ids and what they enforce (a markdown table).
    Rules,
    /// Compare the specs between two git revisions and classify each change as breaking for
    /// clients or compatible. Exit 1 on breaking changes unless `--allow-breaking`.
    Diff {
        /// The old revision (any git revision: a tag, `main`, `HEAD~1`, a commit).
        old: String,
        /// The new revision (default: the working tree).
        new: Option<String>,
        /// Report breaking changes without failing.
        #[arg(long)]
        allow_breaking: bool,
        /// Output format (`human` or `json`).
        #[arg(long, value_enum, default_value_t)]
        format: DiffFormat,
        /// Instead of the changes, one line per publishable crate: the version bump its
        /// changes need (spec, generator, generated and hand-written code, and
        /// cargo-semver-checks on its Rust API); exit 1 when a crate's version at the new
        /// revision is below that, or when cargo-semver-checks finds a break the spec rules
        /// missed.
        #[arg(long, conflicts_with_all = ["allow_breaking", "format"])]
        semver: bool,
        /// With `--semver`: how to use cargo-semver-checks, the second opinion on the Rust API
        /// of every crate that changed (`auto`: when it is installed, under
        /// `<target>/tools/bin` or on `PATH`; `require`: fail without it; `skip`).
        #[arg(long, value_enum, default_value_t, requires = "semver")]
        second_opinion: SecondOpinion,
        /// With `--semver`: the crates have not been released since the old revision (CI
        /// before a release tag exists), so print the bumps they will need and fail only when
        /// the two opinions disagree.
        #[arg(long, requires = "semver")]
        unreleased: bool,
        /// With `--semver`: judge only this crate (repeatable; default: every publishable
        /// crate).
        #[arg(long, short = 'p', value_name = "CRATE", requires = "semver")]
        package: Vec<String>,
        /// Instead of the changes, the changelog entry they need per generated crate (Added,
        /// Changed, Removed; breaking ones marked), to paste into its CHANGELOG.md.
        #[arg(long, conflicts_with_all = ["allow_breaking", "format", "semver"])]
        changelog: bool,
    },
    /// Benchmarks against a baseline in the same run (see xtask/src/bench.rs).
    Bench {
        #[command(subcommand)]
        target: BenchTarget,
    },
}

/// What `bench` measures.
#[derive(Subcommand)]
enum BenchTarget {
    /// `cargo xtask validate` on every spec against `redocly lint` on the same files (needs
    /// `npm ci`).
    Validate {
        /// Timed runs of each contender (after one warm-up run each).
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// A no-op `cargo xtask generate` on every spec against the published `cargo-progenitor`
    /// generating the same specs, then checks that building the client crates afterwards
    /// compiles nothing. Needs `cargo-progenitor` 0.15.1 (the error says how to install it).
    Generate {
        /// Timed runs of each contender (after one warm-up run each).
        #[arg(long, default_value_t = 15)]
        runs: usize,
        /// The `cargo-progenitor` binary (default: the install path in BENCHMARKS.md, then
        /// `PATH`).
        #[arg(long, value_name = "PATH")]
        progenitor: Option<PathBuf>,
    },
    /// The cost of importing the facade: crates in `meeting-usage`'s tree and a cold
    /// `cargo build -p meeting-usage` in a fresh target directory (minutes).
    Build {
        /// Cold builds to time.
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
}

/// Whether `diff --semver` asks cargo-semver-checks.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
enum SecondOpinion {
    /// When it is installed.
    #[default]
    Auto,
    /// Always; not installed is an error.
    Require,
    /// Never: the spec rules only.
    Skip,
}

/// Output format of `diff`.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
enum DiffFormat {
    /// One line per change and a summary.
    #[default]
    Human,
    /// A JSON array of changes.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic anywhere in a task is a bug in xtask, not a defect of the specs. Rust's panic
    // message (with its location, and a backtrace under RUST_BACKTRACE) is printed as usual
    // for the bug report; then one summary line, and exit 2 ("could not run"), not 101.
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("error: xtask failed unexpectedly (the panic above); this is a bug in xtask");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    let root = match cli.root.map_or_else(xtask::workspace_root, Ok) {
        Ok(root) => root,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.task {
        Task::Generate { check, timings } => with_timings(timings, || run_generate(&root, check)),
        Task::Validate {
            specs,
            format,
            timings,
        } => with_timings(timings, || run_validate(&root, &specs, format)),
        Task::Rules => {
            print!("{}", xtask::validate::rules_markdown());
            Ok(ExitCode::SUCCESS)
        }
        Task::Diff {
            old,
            new,
            semver,
            second_opinion,
            unreleased,
            package,
            ..
        } if semver => run_semver(
            &root,
            &old,
            new.as_deref(),
            (second_opinion, unreleased),
            &package,
        ),
        Task::Diff {
            old,
            new,
            changelog,
            ..
        } if changelog => match xtask::semver::changelog(&root, &old, new.as_deref()) {
            Ok(text) => {
                print!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            Err(err) => {
                eprintln!("error: {err}");
                Ok(ExitCode::from(2))
            }
        },
        Task::Diff {
            old,
            new,
            allow_breaking,
            format,
            ..
        } => run_diff(&root, &old, new.as_deref(), allow_breaking, format),
        Task::Bench { target } => {
            let result = match target {
                BenchTarget::Validate { runs } => xtask::bench::validate(&root, runs),
                BenchTarget::Generate { runs, progenitor } => {
                    xtask::bench::generate(&root, runs, progenitor.as_deref())
                }
                BenchTarget::Build { runs } => xtask::bench::build(&root, runs),
            };
            match result {
                Ok(report) => {
                    print!("{report}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    Ok(ExitCode::from(2))
                }
            }
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

/// Runs a task, then prints its phase timings to stderr if asked to.
fn with_timings<T>(on: bool, task: impl FnOnce() -> T) -> T {
    if on {
        xtask::timings::enable();
    }
    let started = std::time::Instant::now();
    let result = task();
    if on {
        eprint!("\n{}", xtask::timings::render(&xtask::timings::take()));
        eprintln!(
            "{:<32} {:<28} {:>10}",
            "(run)",
            "wall",
            xtask::bench::ms(started.elapsed())
        );
    }
    result
}

fn run_generate(root: &Path, check: bool) -> Result<ExitCode, RunError> {
    let (mut rendered, failures) = generate::render_all(root)?;
    if !failures.is_empty() {
        eprint!("{failures}");
        eprintln!(
            "error: {} defect(s) in the specs; nothing under crates/ was changed",
            failures.len()
        );
        return Ok(ExitCode::from(1));
    }
    rendered.extend(generate::sandbox_copies(root)?);
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
        println!("{verb:>9} {} (from {})", file.output, file.entry.spec);
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

fn run_semver(
    root: &Path,
    old: &str,
    new: Option<&str>,
    (second_opinion, unreleased): (SecondOpinion, bool),
    only: &[String],
) -> Result<ExitCode, RunError> {
    use xtask::semver_checks::{check_version, find_tool};
    // The rustdoc builds run in other directories (a base revision is unpacked elsewhere).
    let root = &std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
    let tool = match second_opinion {
        SecondOpinion::Skip => None,
        SecondOpinion::Auto | SecondOpinion::Require => find_tool(root),
    };
    if tool.is_none() && matches!(second_opinion, SecondOpinion::Require) {
        eprintln!(
            "error: cargo-semver-checks is not installed (cargo install cargo-semver-checks \
             --version {} --locked --root target/tools)",
            xtask::semver_checks::VERSION
        );
        return Ok(ExitCode::from(2));
    }
    if tool.is_none() && matches!(second_opinion, SecondOpinion::Auto) {
        eprintln!("note: cargo-semver-checks is not installed: the spec rules only");
    }
    let checked = tool.as_deref().map(check_version).transpose();
    let verdicts = match checked
        .and_then(|_| xtask::semver::verdicts(root, old, new, tool.as_deref(), only))
    {
        Ok(verdicts) => verdicts,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut short = 0;
    for verdict in &verdicts {
        println!("{verdict}");
        if let Some(both) = &verdict.disagreement {
            short += 1;
            eprintln!(
                "error: {}: the two opinions disagree: {both}",
                verdict.crate_name
            );
        }
        if unreleased {
            continue;
        }
        if let Some(required) = &verdict.required {
            short += 1;
            let meta = verdict
                .head_version
                .split_once('+')
                .map(|(_, meta)| format!("+{meta}"))
                .unwrap_or_default();
            eprintln!(
                "error: {} is at {} (was {} at {old}) but its changes need a {} bump: set \
                 `version = \"{required}{meta}\"` in crates/{}/Cargo.toml",
                verdict.crate_name,
                verdict.head_version,
                verdict.base_version,
                verdict.needs,
                verdict.crate_name
            );
        }
    }
    Ok(if short == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_diff(
    root: &Path,
    old: &str,
    new: Option<&str>,
    allow_breaking: bool,
    format: DiffFormat,
) -> Result<ExitCode, RunError> {
    use xtask::spec_diff::{self, Severity};
    let changes = match spec_diff::diff_revisions(root, old, new) {
        Ok(changes) => changes,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    let new_name = new.unwrap_or("the working tree");
    match format {
        DiffFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&changes).expect("changes serialize")
        ),
        DiffFormat::Human => {
            for change in &changes {
                println!("{change}");
            }
            println!(
                "{breaking} breaking, {} compatible change(s) between {old} and {new_name}",
                changes.len() - breaking
            );
        }
    }
    if breaking > 0 && !allow_breaking {
        eprintln!(
            "error: {breaking} breaking change(s) for clients; bump the major version, or pass --allow-breaking"
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
