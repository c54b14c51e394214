//! `cargo xtask bench ...`: benchmarks that compare our tools with a baseline in the same run.
//!
//! Each benchmark runs the contenders as separate processes, alternating them so that machine
//! noise hits both alike, after one warm-up run each, and reports wall-time statistics and the
//! ratio of medians. Figures quoted in issues and docs come from these commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-time statistics of repeated runs.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Every run, sorted.
    pub runs: Vec<Duration>,
}

impl Stats {
    /// From unsorted samples.
    pub fn new(mut runs: Vec<Duration>) -> Stats {
        runs.sort();
        Stats { runs }
    }

    /// The middle run.
    pub fn median(&self) -> Duration {
        let n = self.runs.len();
        if n == 0 {
            return Duration::ZERO;
        }
        if n % 2 == 1 {
            self.runs[n / 2]
        } else {
            (self.runs[n / 2 - 1] + self.runs[n / 2]) / 2
        }
    }

    /// The fastest run.
    pub fn min(&self) -> Duration {
        self.runs.first().copied().unwrap_or_default()
    }

    /// The slowest run.
    pub fn max(&self) -> Duration {
        self.runs.last().copied().unwrap_or_default()
    }

    /// The arithmetic mean.
    pub fn mean(&self) -> Duration {
        if self.runs.is_empty() {
            return Duration::ZERO;
        }
        self.runs.iter().sum::<Duration>() / self.runs.len() as u32
    }
}

/// Formats a duration in milliseconds with one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A command (or a sequence of commands, run one after the other) to time.
pub struct Contender {
    /// Name in the report.
    pub name: String,
    /// The command line, for the report.
    pub shown: String,
    steps: Vec<Box<dyn Fn() -> Command>>,
}

impl Contender {
    /// A contender running `program args...` in `dir`.
    pub fn new(
        name: &str,
        dir: &Path,
        program: &Path,
        args: &[String],
        env: &[(&str, &str)],
    ) -> Contender {
        let dir = dir.to_path_buf();
        let program = program.to_path_buf();
        let owned_args = args.to_vec();
        let owned_env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Contender {
            name: name.to_owned(),
            shown: format!("{} {}", program.display(), args.join(" ")),
            steps: vec![Box::new(move || {
                let mut command = Command::new(&program);
                command
                    .args(&owned_args)
                    .current_dir(&dir)
                    .envs(owned_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                command
            })],
        }
    }

    /// This contender followed by `next`'s commands, timed as one run.
    pub fn then(mut self, next: Contender) -> Contender {
        self.shown = format!("{} && {}", self.shown, next.shown);
        self.steps.extend(next.steps);
        self
    }

    fn run_once(&self) -> Result<Duration, String> {
        let started = Instant::now();
        for step in &self.steps {
            let mut command = step();
            let status = command
                .status()
                .map_err(|err| format!("{}: {err}", self.shown))?;
            if !status.success() {
                return Err(format!(
                    "`{}` failed ({status}); a benchmark only times successful runs",
                    self.shown
                ));
            }
        }
        Ok(started.elapsed())
    }
}

/// Runs each contender `runs` times, interleaved, after one warm-up run each.
pub fn compare(contenders: &[Contender], runs: usize) -> Result<Vec<Stats>, String> {
    for contender in contenders {
        contender.run_once()?;
    }
    let mut samples = vec![Vec::with_capacity(runs); contenders.len()];
    for _ in 0..runs {
        for (i, contender) in contenders.iter().enumerate() {
            samples[i].push(contender.run_once()?);
        }
    }
    Ok(samples.into_iter().map(Stats::new).collect())
}

/// `bench validate`: `cargo xtask validate` (through cargo, as people type it, and the binary
/// alone) against `redocly lint` on the workspace's specs.
pub fn validate(root: &Path, runs: usize) -> Result<String, String> {
    let specs: Vec<String> = crate::catalogue::SPECS
        .iter()
        .map(|e| e.spec.to_owned())
        .collect();
    let redocly = root.join("node_modules/.bin/redocly");
    if !redocly.exists() {
        return Err(format!(
            "{} is missing; install the pinned Redocly CLI with `npm ci` first",
            redocly.display()
        ));
    }
    let ours = std::env::current_exe().map_err(|err| err.to_string())?;
    let mut ours_args = vec![
        "--root".to_owned(),
        root.display().to_string(),
        "validate".to_owned(),
    ];
    ours_args.extend(specs.iter().cloned());
    let mut redocly_args = vec!["lint".to_owned()];
    redocly_args.extend(specs.iter().cloned());
    let quiet = [
        ("REDOCLY_TELEMETRY", "off"),
        ("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"),
    ];
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let mut cargo_args = vec!["xtask".to_owned(), "validate".to_owned()];
    cargo_args.extend(specs.iter().cloned());
    let contenders = [
        Contender::new("cargo xtask validate", root, &cargo, &cargo_args, &[]),
        Contender::new("redocly lint", root, &redocly, &redocly_args, &quiet),
        Contender::new("xtask validate (binary)", root, &ours, &ours_args, &[]),
    ];
    let stats = compare(&contenders, runs)?;
    Ok(report(
        &format!(
            "validating {} specs, {runs} runs each after a warm-up, interleaved",
            specs.len()
        ),
        &contenders,
        &stats,
        1,
        &profile_note(&ours),
    ))
}

/// Where BENCHMARKS.md installs the baseline of `bench generate`, relative to the root.
pub const PROGENITOR_INSTALL_ROOT: &str = "target/bench-tools/cargo-progenitor-0.15.1";

/// How to install the baseline of `bench generate`.
pub const PROGENITOR_INSTALL: &str = "cargo install cargo-progenitor --version 0.15.1 --locked \
     --root target/bench-tools/cargo-progenitor-0.15.1";

/// Finds `cargo-progenitor`: the given path, else [`PROGENITOR_INSTALL_ROOT`], else `PATH`.
pub fn find_progenitor(root: &Path, given: Option<&Path>) -> Result<PathBuf, String> {
    let name = format!("cargo-progenitor{}", std::env::consts::EXE_SUFFIX);
    let missing = |what: String| {
        format!(
            "{what}; install the baseline (a release build, a few minutes) with\n  {PROGENITOR_INSTALL}\n\
             (from the workspace root) or pass --progenitor PATH"
        )
    };
    if let Some(given) = given {
        return if given.is_file() {
            Ok(given.to_path_buf())
        } else {
            Err(missing(format!("{} does not exist", given.display())))
        };
    }
    let installed = root.join(PROGENITOR_INSTALL_ROOT).join("bin").join(&name);
    if installed.is_file() {
        return Ok(installed);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            missing(format!(
                "cargo-progenitor is neither at {} nor on PATH",
                installed.display()
            ))
        })
}

/// `bench generate`: a no-op `cargo xtask generate` (every spec: load, validation groups 1
/// to 3, progenitor, our sections, prettyplease, rustfmt, compare with the files) against
/// the published `cargo-progenitor` generating a crate from each of the same specs (progenitor
/// and rustfmt). Then checks that a no-op generation triggers no rebuild.
pub fn generate(root: &Path, runs: usize, progenitor: Option<&Path>) -> Result<String, String> {
    let progenitor = find_progenitor(root, progenitor)?;
    let ours = std::env::current_exe().map_err(|err| err.to_string())?;
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    // The benchmark times a regeneration that changes nothing, and must not write into a
    // working tree (someone may be editing a spec): refuse to start on stale generated code.
    let check = Command::new(&ours)
        .args(["--root", &root.display().to_string(), "generate", "--check"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|err| err.to_string())?;
    if !check.success() {
        return Err(
            "`cargo xtask generate --check` fails: generated code is stale (or a spec is broken); \
             the benchmark times a no-op regeneration, run `cargo xtask generate` first"
                .into(),
        );
    }
    let out = root.join("target/bench-tools/progenitor-out");
    std::fs::create_dir_all(&out).map_err(|err| format!("{}: {err}", out.display()))?;
    let mut baseline: Option<Contender> = None;
    for (index, entry) in crate::catalogue::SPECS.iter().enumerate() {
        let name = format!("bench-{index}");
        let args: Vec<String> = [
            "progenitor",
            "--input",
            entry.spec,
            "--output",
            &out.join(&name).display().to_string(),
            "--name",
            &name,
            "--version",
            "0.1.0",
            "--interface",
            "builder",
            "--tags",
            "merged",
        ]
        .map(str::to_owned)
        .to_vec();
        let step = Contender::new("cargo progenitor", root, &progenitor, &args, &[]);
        baseline = Some(match baseline {
            None => step,
            Some(previous) => previous.then(step),
        });
    }
    let mut baseline = baseline.ok_or("the catalogue lists no spec")?;
    baseline.name = format!("cargo progenitor (x{})", crate::catalogue::SPECS.len());
    let root_arg = root.display().to_string();
    let contenders = [
        baseline,
        Contender::new(
            "cargo xtask generate",
            root,
            &cargo,
            &["xtask".to_owned(), "generate".to_owned()],
            &[],
        ),
        Contender::new(
            "xtask generate (binary)",
            root,
            &ours,
            &["--root".to_owned(), root_arg.clone(), "generate".to_owned()],
            &[],
        ),
    ];
    let before = generated_mtimes(root)?;
    let stats = compare(&contenders, runs)?;
    let after = generated_mtimes(root)?;
    let mut text = report(
        &format!(
            "generating {} specs (nothing to change), {runs} runs each after a warm-up, interleaved",
            crate::catalogue::SPECS.len()
        ),
        &contenders,
        &stats,
        0,
        &format!(
            "{}\nbaseline: {} (one process per spec, output in {})",
            profile_note(&ours),
            progenitor.display(),
            out.display()
        ),
    );
    if before != after {
        return Err(format!(
            "{text}\na no-op regeneration changed the mtime of a generated file"
        ));
    }
    text.push_str(&format!(
        "\nno-op regeneration kept the mtimes of all {} generated files\n",
        before.len()
    ));
    text.push_str(&no_rebuild_check(root, &cargo, &ours)?);
    Ok(text)
}

/// The modification times of the generated files, in catalogue order.
fn generated_mtimes(root: &Path) -> Result<Vec<std::time::SystemTime>, String> {
    crate::catalogue::SPECS
        .iter()
        .map(|entry| {
            let path = root.join(entry.output);
            std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .map_err(|err| format!("{}: {err}", path.display()))
        })
        .collect()
}

/// The packages whose generated files the catalogue lists, as `-p name` arguments.
fn client_packages() -> Vec<String> {
    let mut names: Vec<&str> = crate::catalogue::SPECS
        .iter()
        .map(|e| e.crate_name)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .flat_map(|name| ["-p".to_owned(), name.to_owned()])
        .collect()
}

/// Builds the client crates, runs a no-op generation, builds them again: the second build
/// must compile nothing (cargo prints no `Compiling` line).
pub fn no_rebuild_check(root: &Path, cargo: &Path, ours: &Path) -> Result<String, String> {
    let build = || -> Result<String, String> {
        let output = Command::new(cargo)
            .arg("build")
            .args(client_packages())
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|err| format!("cargo build: {err}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            Ok(stderr)
        } else {
            Err(format!("cargo build failed:\n{stderr}"))
        }
    };
    build()?;
    let status = Command::new(ours)
        .args(["--root", &root.display().to_string(), "generate"])
        .stdout(Stdio::null())
        .status()
        .map_err(|err| err.to_string())?;
    if !status.success() {
        return Err(format!("xtask generate failed ({status})"));
    }
    let second = build()?;
    let shown = format!("cargo build {}", client_packages().join(" "));
    let compiled: Vec<&str> = second
        .lines()
        .filter(|line| line.trim_start().starts_with("Compiling"))
        .collect();
    if compiled.is_empty() {
        Ok(format!(
            "`{shown}` after a no-op `xtask generate` compiled nothing (no `Compiling` line)\n"
        ))
    } else {
        Err(format!(
            "`{shown}` after a no-op `xtask generate` rebuilt:\n{}",
            compiled.join("\n")
        ))
    }
}

fn profile_note(binary: &Path) -> String {
    let profile = binary
        .parent()
        .and_then(Path::file_name)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("our binary: {} ({profile} build)", binary.display())
}

/// A table of the contenders' statistics and each one's ratio of medians to the baseline
/// (`contenders[baseline]`).
pub fn report(
    title: &str,
    contenders: &[Contender],
    stats: &[Stats],
    baseline: usize,
    note: &str,
) -> String {
    let mut out = format!("{title}\n{note}\n\n");
    out.push_str(&format!(
        "{:<24} {:>10} {:>10} {:>10} {:>10}\n",
        "", "median", "mean", "min", "max"
    ));
    for (contender, s) in contenders.iter().zip(stats) {
        out.push_str(&format!(
            "{:<24} {:>10} {:>10} {:>10} {:>10}\n",
            contender.name,
            ms(s.median()),
            ms(s.mean()),
            ms(s.min()),
            ms(s.max())
        ));
    }
    if let (Some(base), Some(base_name)) = (stats.get(baseline), contenders.get(baseline)) {
        out.push('\n');
        for (i, (contender, s)) in contenders.iter().zip(stats).enumerate() {
            if i == baseline {
                continue;
            }
            let ratio = s.median().as_secs_f64() / base.median().as_secs_f64().max(f64::EPSILON);
            let speed = if ratio <= 1.0 {
                format!("{:.1}x faster", 1.0 / ratio.max(f64::EPSILON))
            } else {
                format!("{ratio:.1}x slower")
            };
            out.push_str(&format!(
                "{} / {} = {ratio:.2} (ratio of medians: {speed})\n",
                contender.name, base_name.name
            ));
        }
    }
    out
}

/// `bench build`: the cost of importing the facade: the crates in `meeting-usage`'s normal
/// dependency tree (`cargo tree`, build scripts' dependencies included) and the wall time of
/// `cargo build -p meeting-usage` in a fresh target directory, `runs` times.
pub fn build(root: &Path, runs: usize) -> Result<String, String> {
    let cargo = std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from);
    let tree = Command::new(&cargo)
        .args([
            "tree",
            "-p",
            "meeting-usage",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .current_dir(root)
        .stderr(Stdio::null())
        .output()
        .map_err(|err| format!("cargo tree: {err}"))?;
    if !tree.status.success() {
        return Err("cargo tree -p meeting-usage failed".into());
    }
    let crates = count_crates(&String::from_utf8_lossy(&tree.stdout));
    let mut text = format!(
        "meeting-usage: {crates} crates in its dependency tree, itself and build-script dependencies \
         included (`cargo tree -p meeting-usage -e normal,build`, deduplicated)\n"
    );
    let mut samples = Vec::new();
    for run in 0..runs {
        let dir =
            std::env::temp_dir().join(format!("xtask-bench-build-{}-{run}", std::process::id()));
        let started = Instant::now();
        let output = Command::new(&cargo)
            .args(["build", "-p", "meeting-usage"])
            .env("CARGO_TARGET_DIR", &dir)
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|err| format!("cargo build: {err}"));
        let elapsed = started.elapsed();
        let _ = std::fs::remove_dir_all(&dir);
        let output = output?;
        if !output.status.success() {
            return Err(format!(
                "cargo build -p meeting-usage failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let compiled = String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|l| l.trim_start().starts_with("Compiling"))
            .count();
        text.push_str(&format!(
            "cold `cargo build -p meeting-usage` #{}: {:.1} s, {compiled} crates compiled\n",
            run + 1,
            elapsed.as_secs_f64()
        ));
        samples.push(elapsed);
    }
    let stats = Stats::new(samples);
    text.push_str(&format!(
        "median {:.1} s over {runs} cold build(s) on {} cores\n",
        stats.median().as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    Ok(text)
}

/// The distinct packages (name and version) in `cargo tree --prefix none` output.
pub fn count_crates(tree: &str) -> usize {
    let mut seen: Vec<String> = tree
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            Some(format!("{} {}", words.next()?, words.next()?))
        })
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics() {
        let s = Stats::new([5, 1, 3, 2, 4].map(Duration::from_millis).to_vec());
        assert_eq!(s.median(), Duration::from_millis(3));
        assert_eq!(s.mean(), Duration::from_millis(3));
        assert_eq!(
            (s.min(), s.max()),
            (Duration::from_millis(1), Duration::from_millis(5))
        );
        let even = Stats::new([4, 2].map(Duration::from_millis).to_vec());
        assert_eq!(even.median(), Duration::from_millis(3));
    }

    #[test]
    fn crates_are_counted_once_whatever_cargo_tree_appends() {
        let tree = "a v1.0.0\nb v0.1.0 (proc-macro)\na v1.0.0 (*)\nb v0.1.0 (proc-macro) (*)\nb v0.2.0\n\n";
        assert_eq!(count_crates(tree), 3);
    }

    #[test]
    fn a_sequence_fails_when_any_step_fails() {
        let ok = Contender::new("true", Path::new("."), Path::new("true"), &[], &[]);
        let bad = Contender::new("false", Path::new("."), Path::new("false"), &[], &[]);
        assert!(compare(&[ok.then(bad)], 1).unwrap_err().contains("failed"));
    }

    #[test]
    fn a_failing_contender_is_an_error_not_a_time() {
        let c = Contender::new("false", Path::new("."), Path::new("false"), &[], &[]);
        assert!(compare(&[c], 1).unwrap_err().contains("failed"));
    }
}
