//! `report --all-sub-accounts` and `report --accounts-file FILE`: the usage of many Zoom
//! accounts through the facade's fleet run, paced at the tier's published limits (or
//! `--max-rps`), with a progress bar on a terminal.
//!
//! With `--sandbox`, the embedded mock serves a generated fleet ([`sandbox_config`]) and
//! enforces the chosen tier's limits, so the pacing shows offline.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::Path;

use meeting_usage::{
    FleetAccounts, FleetOptions, FleetReport, FleetStats, RateLimits, Vendor, ZoomAccount,
};
use spec_sandbox::{FleetConfig, SandboxConfig};

use crate::cli::{FleetArgs, GlobalArgs, ReportArgs, ReportFormat};
use crate::output::{self, error_line, note, warning_line};
use crate::render::fleet::{AccountEntry, FleetRun, Summary};
use crate::render::{self, table};
use crate::sources::{self, ConfigError, Target};
use crate::{Status, Stop, failure_status, print_then, threshold_lines};

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

/// The facade's fleet report as the renderers take it.
pub fn fleet_run(report: FleetReport, args: &FleetArgs) -> FleetRun {
    let over_allocated_accounts = report.over_allocated().count();
    let accounts: Vec<AccountEntry> = report
        .accounts
        .into_iter()
        .map(|outcome| match outcome.result {
            Ok(usage) => AccountEntry {
                account_id: outcome.account_id,
                account_name: outcome.account_name,
                report: Some(usage),
                error: None,
            },
            Err(err) => AccountEntry {
                error: Some(sources::failure(Vendor::Zoom, &outcome.account_id, &err)),
                account_id: outcome.account_id,
                account_name: outcome.account_name,
                report: None,
            },
        })
        .collect();
    let stats = FleetStats {
        accounts: accounts.len(),
        failed: accounts.iter().filter(|a| a.error.is_some()).count(),
        elapsed: report.elapsed,
        rate_limited: report.rate_limited,
    };
    FleetRun {
        summary: summary(&stats, over_allocated_accounts, args),
        accounts,
        totals: report.totals,
        by_kind: report.by_kind,
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

/// The fleet run of `report`.
pub async fn report(
    global: &GlobalArgs,
    target: &Target,
    args: &ReportArgs,
) -> Result<Status, Stop> {
    let zoom = sources::zoom(global, target)?;
    let (accounts, heading) = accounts(&args.fleet, &zoom)?;
    let shared = crate::progress::Shared::default();
    let bar = output::progress_allowed() && !global.verbose;
    let options = FleetOptions {
        limits: limits(&args.fleet),
        concurrency: usize::from(args.fleet.concurrency),
        progress: bar.then(|| shared.callback()),
    };
    let waiting = match accounts {
        FleetAccounts::AllSubAccounts => "listing the sub accounts…",
        FleetAccounts::Listed(_) => "asking zoom…",
    };
    let answer =
        crate::progress::with_progress(bar, &shared, waiting, zoom.fleet_usage(accounts, &options))
            .await;
    let report = match answer {
        Ok(report) => report,
        Err(err) => {
            note(&error_line(&format!(
                "the fleet run could not start: {}",
                render::one_line(&err.to_string())
            )));
            return Ok(failure_status(&err));
        }
    };
    let run = fleet_run(report, &args.fleet);

    let text = match args.format {
        ReportFormat::Table => Ok(render::fleet::table(
            &run,
            &heading,
            table::Style {
                color: output::stdout_colour(),
                warn_at: args.warn_at,
                raw_keys: args.raw_keys,
            },
        )),
        ReportFormat::Json => render::fleet::json(&run),
        ReportFormat::Csv => Ok(render::fleet::csv(&run)),
        ReportFormat::Prometheus => Ok(render::fleet::prometheus(&run, true)),
        ReportFormat::Html => Ok(render::html::fleet(&run)),
    };

    let crossed = threshold_lines(run.reports(), args, true);
    for line in &crossed {
        note(&warning_line(line));
    }
    for failure in run.failures() {
        note(&error_line(&format!(
            "account {}: {}",
            render::one_line(&failure.account),
            failure.message
        )));
    }
    if let Some(line) = render::uncatalogued_note(run.reports()) {
        note(&line);
    }
    if run.summary.rate_limited > 0 {
        note(&warning_line(&format!(
            "zoom answered HTTP 429 {} time{} (other apps share the account's limit, or \
             --max-rps is above it); the client slowed down",
            run.summary.rate_limited,
            if run.summary.rate_limited == 1 {
                ""
            } else {
                "s"
            }
        )));
    }
    // After the stderr lines, so that a document that cannot be made still shows them.
    let text = text?;
    let status = if run.summary.failed > 0 {
        Status::VendorFailed
    } else if !crossed.is_empty() {
        Status::Threshold
    } else {
        Status::Ok
    };
    print_then(&text, status)
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
