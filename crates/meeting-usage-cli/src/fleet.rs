//! `report --all-sub-accounts` and `report --accounts-file FILE`: the usage of many Zoom
//! accounts through the facade's fleet run, paced at the tier's published limits (or
//! `--max-rps`), with a progress bar on a terminal.
//!
//! With `--sandbox`, the embedded mock serves a generated fleet ([`sandbox_config`]) and
//! enforces the chosen tier's limits, so the pacing shows offline.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::Path;

use meeting_usage::{FleetAccounts, FleetOptions, FleetStats, RateLimits, ZoomAccount};
use spec_sandbox::{FleetConfig, SandboxConfig};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cli::{FleetArgs, GlobalArgs, ReportArgs, ReportFormat};
use crate::output::{self, error_line, note, warning_line};
use crate::render;
use crate::render::fleet::Summary;
use crate::resume;
use crate::sources::{self, ConfigError, Target};
use crate::stream::{Sink, Writer};
use crate::{Status, Stop, failure_status};

/// Sub accounts of the `--sandbox` fleet: at the Pro tier's HEAVY limit (10/s) a run takes
/// about four seconds, enough to watch the pacing.
pub const SANDBOX_ACCOUNTS: usize = 40;
/// Seed of the `--sandbox` fleet's ids and figures (fixed, so every run shows the same fleet).
pub const SANDBOX_SEED: u64 = 13;
/// Position (0-based) of the `--sandbox` fleet's account that answers 404, to show a failure.
pub const SANDBOX_MISSING: usize = 7;

/// The embedded sandbox of a fleet run: the generated fleet, the tier's limits enforced.
pub fn sandbox_config(args: &FleetArgs) -> SandboxConfig {
    SandboxConfig {
        fleet: Some(
            FleetConfig::new(SANDBOX_ACCOUNTS, SANDBOX_SEED).with_missing([SANDBOX_MISSING]),
        ),
        rate_limits: Some(spec_sandbox::RateLimits::tier(args.rate_tier.sandbox())),
        ..SandboxConfig::default()
    }
}

/// The `--sandbox` notice of a fleet run.
pub fn sandbox_notice(args: &FleetArgs) -> String {
    format!(
        "note: --sandbox: a generated fleet of {SANDBOX_ACCOUNTS} sub accounts (seed \
         {SANDBOX_SEED}; one answers 404 on purpose), served by an embedded mock that enforces \
         the {} tier's rate limits, not a real account",
        args.rate_tier.name()
    )
}

/// The account ids of `--accounts-file` (`-`: stdin).
fn read_accounts(path: &Path) -> Result<Vec<String>, ConfigError> {
    let (name, text) = if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| ConfigError(format!("--accounts-file -: cannot read stdin: {err}")))?;
        ("stdin".to_owned(), text)
    } else {
        let text = std::fs::read_to_string(path).map_err(|err| {
            ConfigError(format!(
                "--accounts-file: cannot read {}: {err}",
                path.display()
            ))
        })?;
        (path.display().to_string(), text)
    };
    parse_accounts(&text, &name)
}

/// One account id a line; `#` starts a comment; blank lines are skipped; a repeated id counts
/// once. An id with spaces in it, or no id at all, is a configuration error.
fn parse_accounts(text: &str, name: &str) -> Result<Vec<String>, ConfigError> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let id = line.split('#').next().unwrap_or_default().trim();
        if id.is_empty() {
            continue;
        }
        if id.chars().any(char::is_whitespace) {
            return Err(ConfigError(format!(
                "--accounts-file {name}, line {}: `{}` is not one account id (one id a line)",
                index + 1,
                render::one_line(id)
            )));
        }
        if seen.insert(id.to_owned()) {
            ids.push(id.to_owned());
        }
    }
    if ids.is_empty() {
        return Err(ConfigError(format!(
            "--accounts-file {name} lists no account id (one id a line, `#` for comments)"
        )));
    }
    Ok(ids)
}

/// The client-side limits of the run.
pub fn limits(args: &FleetArgs) -> RateLimits {
    match args.max_rps {
        Some(rate) => RateLimits::PerSecond(rate),
        None => RateLimits::Tier(args.rate_tier.facade()),
    }
}

/// The run as a whole, as the renderers take it.
pub fn summary(stats: &FleetStats, over_allocated_accounts: usize, args: &FleetArgs) -> Summary {
    Summary {
        accounts: stats.accounts,
        succeeded: stats.accounts - stats.failed,
        failed: stats.failed,
        over_allocated_accounts,
        elapsed_seconds: stats.elapsed.as_secs_f64(),
        rate_limited: stats.rate_limited,
        tier: args.max_rps.is_none().then(|| args.rate_tier.name()),
        max_rps: args.max_rps,
        concurrency: usize::from(args.concurrency),
    }
}

/// The accounts of the run, and a heading naming them: the ids of `--accounts-file`, or the
/// master account's sub accounts.
pub fn accounts(
    args: &FleetArgs,
    zoom: &ZoomAccount,
) -> Result<(FleetAccounts, String), ConfigError> {
    let Some(path) = &args.accounts_file else {
        let heading = format!("sub accounts of {}", zoom.account_id());
        return Ok((FleetAccounts::AllSubAccounts, heading));
    };
    let ids = read_accounts(path)?;
    let heading = format!(
        "{} from {}",
        if ids.len() == 1 {
            "1 account".to_owned()
        } else {
            format!("{} accounts", ids.len())
        },
        if path == Path::new("-") {
            "stdin".to_owned()
        } else {
            path.display().to_string()
        }
    );
    Ok((FleetAccounts::Listed(ids), heading))
}

/// How long the calls in flight may take to finish after a first SIGINT or SIGTERM.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// How a fleet run ended.
enum Ended {
    /// It ran to its end (or failed as a whole).
    Ran(Result<FleetStats, meeting_usage::Error>),
    /// A signal stopped it; the stats when the calls in flight finished within
    /// [`STOP_WAIT`].
    Interrupted(Signal, Option<Result<FleetStats, meeting_usage::Error>>),
}

/// The fleet run of `report`: each account written as it is answered (see `stream.rs`).
pub async fn report(
    global: &GlobalArgs,
    target: &Target,
    args: &ReportArgs,
) -> Result<Status, Stop> {
    let zoom = sources::zoom(global, target)?;
    let (accounts, heading) = accounts(&args.fleet, &zoom)?;
    let resumed = match &args.resume {
        Some(path) if args.format != ReportFormat::Jsonl => {
            return Err(Stop::Config(format!(
                "--resume {} reads a `--format jsonl` run: add --format jsonl",
                path.display()
            )));
        }
        Some(path) => Some(resume::prepare(path)?),
        None => None,
    };
    let shared = crate::progress::Shared::default();
    let bar = output::progress_allowed() && !global.verbose;
    let stop = Arc::new(AtomicBool::new(false));
    let mut options = FleetOptions {
        limits: limits(&args.fleet),
        concurrency: usize::from(args.fleet.concurrency),
        progress: bar.then(|| shared.callback()),
        stop: stop.clone(),
        ..FleetOptions::default()
    };
    let writer = match resumed {
        Some(resumed) => {
            note(&format!(
                "resuming: {} answered accounts in {} are skipped; {} failed {} asked again{}",
                resumed.done.len(),
                args.resume.as_deref().unwrap_or(Path::new("")).display(),
                resumed.failed,
                if resumed.failed == 1 {
                    "one is"
                } else {
                    "ones are"
                },
                if resumed.truncated {
                    ", and the cut-off last line was dropped"
                } else {
                    ""
                }
            ));
            options.skip = Arc::new(resumed.done);
            Writer::File(resumed.file)
        }
        None => Writer::Stdout,
    };
    let waiting = match accounts {
        FleetAccounts::AllSubAccounts => "listing the sub accounts…",
        FleetAccounts::Listed(_) => "asking zoom…",
    };
    let mut sink = Sink::new(args, writer);
    let ended = {
        let sink = &mut sink;
        let stop_on_broken = stop.clone();
        let run = zoom.fleet_each(accounts, &options, |_, outcome| {
            sink.account(outcome);
            if sink.broken() {
                // Nobody reads the rest: ask no more accounts.
                stop_on_broken.store(true, Ordering::Relaxed);
            }
        });
        crate::progress::with_progress(bar, &shared, waiting, async {
            tokio::pin!(run);
            let mut signals = Signals::new();
            tokio::select! {
                result = &mut run => Ended::Ran(result),
                signal = signals.next() => {
                    stop.store(true, Ordering::Relaxed);
                    note(&format!(
                        "{}: stopping; waiting up to {} s for the calls in flight (again to \
                         stop at once)",
                        signal.name(),
                        STOP_WAIT.as_secs()
                    ));
                    tokio::select! {
                        result = &mut run => Ended::Interrupted(signal, Some(result)),
                        () = tokio::time::sleep(STOP_WAIT) => Ended::Interrupted(signal, None),
                        again = signals.next() => std::process::exit(again.status() as i32),
                    }
                }
            }
        })
        .await
    };
    let (result, interrupted) = match ended {
        Ended::Ran(result) => (Some(result), None),
        Ended::Interrupted(signal, result) => (result, Some(signal)),
    };
    let stats = match result {
        Some(Ok(stats)) => Some(stats),
        Some(Err(err)) if !sink.begun() => {
            note(&error_line(&format!(
                "the fleet run could not start: {}",
                render::one_line(&err.to_string())
            )));
            return Ok(failure_status(&err));
        }
        Some(Err(err)) => {
            note(&error_line(&format!(
                "the fleet run stopped early: {}",
                render::one_line(&err.to_string())
            )));
            None
        }
        None => None,
    };
    let summary_line = sink.finish(stats.as_ref(), &heading);

    for line in &sink.crossed {
        note(&warning_line(line));
    }
    for failure in &sink.failures {
        note(&error_line(&format!(
            "account {}: {}",
            render::one_line(&failure.account),
            failure.message
        )));
    }
    if let Some(line) = sink.uncatalogued.note() {
        note(&line);
    }
    if let Some(stats) = &stats
        && stats.rate_limited > 0
    {
        note(&warning_line(&format!(
            "zoom answered HTTP 429 {} time{} (other apps share the account's limit, or \
             --max-rps is above it); the client slowed down",
            stats.rate_limited,
            if stats.rate_limited == 1 { "" } else { "s" }
        )));
    }
    if let Some(err) = sink.error.take() {
        return Err(Stop::Io(err));
    }
    if let Some(signal) = interrupted {
        let done = stats.map_or(sink.written(), |s| s.accounts);
        let how = match (&args.resume, args.format) {
            (Some(path), _) => format!(
                "run the same command again to go on (--resume {})",
                path.display()
            ),
            (None, ReportFormat::Jsonl) => {
                "go on with the same command and --resume <the file the lines went to>".to_owned()
            }
            (None, _) => "only a `--format jsonl` run can be resumed (--resume FILE)".to_owned(),
        };
        note(&format!("so far: {summary_line}"));
        note(&format!(
            "interrupted by {}: {done} accounts written{}; {how}",
            signal.name(),
            stats.map_or_else(String::new, |s| format!(" ({} failed)", s.failed)),
        ));
        return Ok(signal.status());
    }
    let failed = stats.is_none_or(|s| s.failed > 0);
    let status = if failed {
        Status::VendorFailed
    } else if !sink.crossed.is_empty() {
        Status::Threshold
    } else {
        Status::Ok
    };
    Ok(status)
}

/// A signal that stops a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C.
    Interrupt,
    /// `kill`, a service manager.
    Terminate,
}

impl Signal {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit status of a run it stopped: 128 plus its number.
    pub fn status(self) -> Status {
        match self {
            Signal::Interrupt => Status::Interrupted,
            Signal::Terminate => Status::Terminated,
        }
    }
}

/// SIGINT and SIGTERM, as they arrive (a fleet run and `serve` stop on them).
pub struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Listens from now on (SIGTERM at once; SIGINT from the first wait).
    pub fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    /// The next signal.
    pub async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        if let Some(terminate) = &mut self.terminate {
            return tokio::select! {
                _ = terminate.recv() => Signal::Terminate,
                _ = tokio::signal::ctrl_c() => Signal::Interrupt,
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_files() {
        let ids = parse_accounts(
            "# sub accounts of the EMEA region\n\nabc123\n  def456  # Berlin\nabc123\n\t\n",
            "f",
        );
        assert_eq!(
            ids.map(|ids| ids.join(",")).ok().as_deref(),
            Some("abc123,def456")
        );
        let two = parse_accounts("abc 123\n", "f").err().map(|e| e.0);
        assert_eq!(
            two.as_deref(),
            Some("--accounts-file f, line 1: `abc 123` is not one account id (one id a line)")
        );
        assert!(parse_accounts("# nothing\n\n", "f").is_err());
    }
}
