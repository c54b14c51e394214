//! `cargo xtask bench ...`: benchmarks that compare our tools with a baseline in the same run.
//!
//! Each benchmark runs the contenders as separate processes, alternating them so that machine
//! noise hits both alike, after one warm-up run each, and reports wall-time statistics and the
//! ratio of medians. Figures quoted in issues and docs come from these commands.

use std::path::Path;
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

/// A command to time.
pub struct Contender {
    /// Name in the report.
    pub name: String,
    /// The command line, for the report.
    pub shown: String,
    command: Box<dyn Fn() -> Command>,
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
            command: Box::new(move || {
                let mut command = Command::new(&program);
                command
                    .args(&owned_args)
                    .current_dir(&dir)
                    .envs(owned_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                command
            }),
        }
    }

    fn run_once(&self) -> Result<Duration, String> {
        let started = Instant::now();
        let status = (self.command)()
            .status()
            .map_err(|err| format!("{}: {err}", self.shown))?;
        let elapsed = started.elapsed();
        if status.success() {
            Ok(elapsed)
        } else {
            Err(format!(
                "`{}` failed ({status}); a benchmark only times successful runs",
                self.shown
            ))
        }
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

/// `bench validate`: `xtask validate` against `redocly lint` on the workspace's specs.
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
    let contenders = [
        Contender::new("cargo xtask validate", root, &ours, &ours_args, &[]),
        Contender::new("redocly lint", root, &redocly, &redocly_args, &quiet),
    ];
    let stats = compare(&contenders, runs)?;
    Ok(report(
        &format!(
            "validating {} specs, {runs} runs each after a warm-up, interleaved",
            specs.len()
        ),
        &contenders,
        &stats,
        &profile_note(&ours),
    ))
}

fn profile_note(binary: &Path) -> String {
    let profile = binary
        .parent()
        .and_then(Path::file_name)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("our binary: {} ({profile} build)", binary.display())
}

/// A table of the contenders' statistics and the ratio of medians to the first one.
pub fn report(title: &str, contenders: &[Contender], stats: &[Stats], note: &str) -> String {
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
    if let Some(base) = stats.first() {
        for (contender, s) in contenders.iter().zip(stats).skip(1) {
            let ratio = s.median().as_secs_f64() / base.median().as_secs_f64().max(f64::EPSILON);
            out.push_str(&format!(
                "\n{} is {ratio:.1}x faster than {} (ratio of medians)\n",
                contenders[0].name, contender.name
            ));
        }
    }
    out
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
    fn a_failing_contender_is_an_error_not_a_time() {
        let c = Contender::new("false", Path::new("."), Path::new("false"), &[], &[]);
        assert!(compare(&[c], 1).unwrap_err().contains("failed"));
    }
}
