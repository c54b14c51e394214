//! `meeting-usage`: licence and storage use of Zoom, Huawei Cloud Meeting and Webex accounts, from
//! the command line. See the crate README for the commands, the exit statuses and the JSON
//! contract.
//!
//! Layout: `cli` (clap definitions), `sources` (credentials into the facade's clients, its
//! errors into failure entries), `fleet` (a fleet run of `report`), `render` (one pure
//! function per output format), `output` (the only writer to stdout), `progress` (the spinner
//! and the fleet's progress bar on stderr) and `logging` (stderr).

#![deny(clippy::print_stdout)]
#![allow(
    rustdoc::bare_urls,
    reason = "the argument docs are the `--help` text, where a URL reads best as it is"
)]

mod cli;
mod fleet;
mod logging;
mod output;
mod progress;
mod render;
mod resume;
mod serve;
mod sources;
mod stream;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use meeting_usage::{AddonRequest, ResourceStatus, UsageReport};
use spec_sandbox::SandboxConfig;

use crate::cli::{
    Cli, Command, FleetArgs, GlobalArgs, HuaweiCommand, ListFormat, PlansArgs, ReportArgs,
    ReportFormat, ResourcesArgs, SubscribeAddonArgs, VendorChoice, ZoomCommand,
};
use crate::output::{Printed, error_line, note, warning_line};
use crate::render::{at_or_above, percent};
use crate::sources::{ConfigError, Sources, Target};

/// The exit statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Everything worked and no threshold was crossed.
    Ok = 0,
    /// At least one vendor failed (wins over [`Status::Threshold`]), or the output could not
    /// be made or written (other than to a closed pipe).
    VendorFailed = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// A threshold (`--fail-on-over`, `--warn-at`) was crossed.
    Threshold = 3,
    /// A fleet run stopped by SIGINT (128 + 2).
    Interrupted = 130,
    /// A fleet run stopped by SIGTERM (128 + 15).
    Terminated = 143,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status as u8)
    }
}

/// Why a command stopped early.
enum Stop {
    /// Configuration or usage: one line on stderr, status 2.
    Config(String),
    /// Writing stdout failed for another reason than a closed pipe, or the JSON output could
    /// not be made: one line on stderr, status 1.
    Io(std::io::Error),
    /// A vendor failed before the command could do its work (the line names the vendor and
    /// its error): status 1.
    Vendor(String),
}

impl From<ConfigError> for Stop {
    fn from(err: ConfigError) -> Self {
        Stop::Config(err.0)
    }
}

impl From<std::io::Error> for Stop {
    fn from(err: std::io::Error) -> Self {
        Stop::Io(err)
    }
}

impl From<serde_json::Error> for Stop {
    fn from(err: serde_json::Error) -> Self {
        Stop::Io(std::io::Error::other(err))
    }
}

/// The command line, parsed and checked: what clap cannot check (an environment variable must
/// not conflict with a flag) is checked here, with clap's error format.
fn parse() -> Result<Cli, clap::Error> {
    let matches = Cli::command().try_get_matches()?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    let (name, fleet, vendor) = match &mut cli.command {
        Command::Report(args) => ("report", &mut args.fleet, args.vendor),
        Command::Serve(args) => ("serve", &mut args.fleet, args.vendor),
        _ => return Ok(cli),
    };
    if let Some((_, sub)) = matches.subcommand() {
        fleet.rate_tier_on_command_line =
            sub.value_source("rate_tier") == Some(ValueSource::CommandLine);
    }
    check_fleet_args(name, fleet, vendor)?;
    Ok(cli)
}

/// The fleet options' rules: `--max-rps` or `--rate-tier` (a `ZOOM_RATE_TIER` in the
/// environment yields to `--max-rps`), `--rate-tier` only for a fleet, a fleet only of Zoom.
fn check_fleet_args(
    subcommand: &str,
    args: &FleetArgs,
    vendor: VendorChoice,
) -> Result<(), clap::Error> {
    let error = |kind: ErrorKind, message: &str| {
        let mut command = Cli::command();
        command.build();
        match command.find_subcommand_mut(subcommand) {
            Some(sub) => sub.error(kind, message),
            None => command.error(kind, message),
        }
    };
    if args.rate_tier_on_command_line && args.max_rps.is_some() {
        return Err(error(
            ErrorKind::ArgumentConflict,
            "the argument '--max-rps <N>' cannot be used with '--rate-tier <TIER>'",
        ));
    }
    if args.rate_tier_on_command_line && !args.fleet() {
        return Err(error(
            ErrorKind::MissingRequiredArgument,
            "--rate-tier paces fleet runs only: add --all-sub-accounts or --accounts-file <FILE>",
        ));
    }
    if args.fleet() && matches!(vendor, VendorChoice::Huawei | VendorChoice::Webex) {
        return Err(error(
            ErrorKind::ArgumentConflict,
            "--all-sub-accounts and --accounts-file read Zoom sub accounts: they cannot be used \
             with '--vendor huawei' or '--vendor webex'",
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with status 0, mistakes to stderr with status 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    logging::init(cli.global.verbose, output::stderr_colour());
    // The exporter serves scrapes while it renders a collection: two threads. Every other
    // command waits on the network and needs one.
    let mut builder = if matches!(cli.command, Command::Serve(_)) {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            note(&error_line(&format!(
                "cannot start the async runtime: {err}"
            )));
            return Status::Usage.into();
        }
    };
    let result = runtime.block_on(run(cli));
    // Tasks still running (an exporter's collection cut short by a signal) are dropped at
    // their next await; a blocked one is not waited for long.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    let status = match result {
        Ok(status) => status,
        Err(Stop::Config(message)) => {
            note(&error_line(&message));
            Status::Usage
        }
        Err(Stop::Io(err)) => {
            note(&error_line(&format!("cannot write the output: {err}")));
            Status::VendorFailed
        }
        Err(Stop::Vendor(message)) => {
            note(&error_line(&message));
            Status::VendorFailed
        }
    };
    status.into()
}

/// Runs the command.
async fn run(cli: Cli) -> Result<Status, Stop> {
    let global = &cli.global;
    // A dry run and a refused purchase need neither credentials nor the sandbox.
    if let Command::Zoom(ZoomCommand::SubscribeAddon(args)) = &cli.command
        && (args.dry_run || !args.yes)
    {
        return subscribe_addon_offline(args);
    }
    let fleet_run = match &cli.command {
        Command::Report(args) if args.fleet.fleet() => Some(&args.fleet),
        Command::Serve(args) if args.fleet.fleet() => Some(&args.fleet),
        _ => None,
    };
    let sandbox = global
        .sandbox
        .then(|| fleet_run.map_or_else(SandboxConfig::default, fleet::sandbox_config));
    let target = Target::new(sandbox).await?;
    if global.sandbox {
        match fleet_run {
            Some(args) => note(&fleet::sandbox_notice(args)),
            None => note(
                "note: --sandbox: these figures are the vendors' documented examples, served by an embedded mock, not a real account",
            ),
        }
    }
    match &cli.command {
        Command::Report(args) => report(global, &target, args).await,
        Command::Serve(args) => serve::run(global, &target, args).await,
        Command::Zoom(ZoomCommand::Plans(args)) => plans(global, &target, args).await,
        Command::Zoom(ZoomCommand::SubscribeAddon(args)) => {
            subscribe_addon(global, &target, args).await
        }
        Command::Huawei(HuaweiCommand::Resources(args)) => resources(global, &target, args).await,
    }
}

/// Prints `text`; a closed pipe ends the command quietly with `status`.
fn print_then(text: &str, status: Status) -> Result<Status, Stop> {
    match output::print(text)? {
        Printed::Done | Printed::PipeClosed => Ok(status),
    }
}

/// `report`.
async fn report(global: &GlobalArgs, target: &Target, args: &ReportArgs) -> Result<Status, Stop> {
    if args.fleet.fleet() {
        return fleet::report(global, target, args).await;
    }
    if args.format == ReportFormat::Jsonl {
        return Err(Stop::Config(
            "--format jsonl writes a fleet run an account a line: add --all-sub-accounts or \
             --accounts-file FILE (a single report: --format json)"
                .into(),
        ));
    }
    let sources = Sources::chosen(global, target, args.vendor)?;
    let list = sources.list();
    let names: Vec<String> = list.iter().map(|s| s.vendor().to_string()).collect();
    let (reports, failures) = progress::with_spinner(
        output::progress_allowed() && !global.verbose,
        &format!("asking {}…", names.join(" and ")),
        sources::collect(&list),
    )
    .await?;
    let collected = render::Collected { reports, failures };

    let text = match args.format {
        ReportFormat::Table => Ok(render::table::render(
            &collected,
            render::table::Style {
                color: output::stdout_colour(),
                warn_at: args.warn_at,
                raw_keys: args.raw_keys,
            },
        )),
        ReportFormat::Json => render::json::render(&collected),
        ReportFormat::Csv => Ok(render::csv::render(&collected)),
        ReportFormat::Prometheus => Ok(render::prometheus::render(&collected)),
        ReportFormat::Html => Ok(render::html::render(&collected)),
        ReportFormat::Jsonl => unreachable!("refused above"),
    };

    let crossed = threshold_lines(collected.reports.iter(), args, false);
    for line in &crossed {
        note(&warning_line(line));
    }
    for failure in &collected.failures {
        note(&error_line(&failure.message));
    }
    if let Some(line) = render::uncatalogued_note(&collected.reports) {
        note(&line);
    }
    // After the stderr lines, so that a document that cannot be made still shows them.
    let text = text?;
    let status = if !collected.failures.is_empty() {
        Status::VendorFailed
    } else if !crossed.is_empty() {
        Status::Threshold
    } else {
        Status::Ok
    };
    print_then(&text, status)
}

/// One line per seat row crossing `--fail-on-over` or `--warn-at`; with `with_account`, each
/// names its account (a fleet run). Vendor strings are put on one line without control
/// characters.
fn threshold_lines<'a>(
    reports: impl Iterator<Item = &'a UsageReport>,
    args: &ReportArgs,
    with_account: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    for report in reports {
        let owner = if with_account {
            format!(
                "{} account {}",
                report.vendor,
                render::one_line(&report.account)
            )
        } else {
            report.vendor.to_string()
        };
        for seats in &report.seats {
            let product = render::one_line(seats.product());
            let name = match seats.plan() {
                Some(plan) => format!("{owner} {product} ({})", render::one_line(plan)),
                None => format!("{owner} {product}"),
            };
            let figures = format!(
                "{} used of {} bought",
                seats.used().unwrap_or_default(),
                seats.purchased().unwrap_or_default()
            );
            if args.fail_on_over && seats.over_allocated() {
                lines.push(format!("{name} is over-allocated: {figures}"));
            } else if let (Some(threshold), Some(ratio)) = (args.warn_at, seats.utilization())
                && at_or_above(ratio, threshold)
            {
                lines.push(format!(
                    "{name} is at {} (--warn-at {threshold}%): {figures}",
                    percent(ratio)
                ));
            }
        }
    }
    lines
}

/// `zoom plans`.
async fn plans(global: &GlobalArgs, target: &Target, args: &PlansArgs) -> Result<Status, Stop> {
    let zoom = sources::zoom(global, target)?;
    let account = args.account.as_deref().unwrap_or("me");
    let answer = progress::with_spinner(
        output::progress_allowed() && !global.verbose,
        "asking zoom…",
        zoom.plans(account),
    )
    .await;
    match answer {
        Ok(plans) => {
            let text = render::json::render_value(&plans)?;
            print_then(&text, Status::Ok)
        }
        Err(err) => {
            note(&error_line(&render::one_line(&err.to_string())));
            Ok(failure_status(&err))
        }
    }
}

/// A facade error's status: a configuration problem is 2, anything else a vendor failure.
fn failure_status(err: &meeting_usage::Error) -> Status {
    if matches!(err, meeting_usage::Error::Config { .. }) {
        Status::Usage
    } else {
        Status::VendorFailed
    }
}

/// The add-on request of the command line.
fn addon_request(args: &SubscribeAddonArgs) -> AddonRequest {
    AddonRequest {
        addon_type: args.addon_type.clone(),
        hosts: u64::from(args.hosts),
        service_effective_date: args.service_effective_date.clone(),
        paid_period_start_date: args.paid_period_start_date.clone(),
    }
}

/// `zoom subscribe-addon` with `--dry-run` or without `--yes`: nothing is sent.
fn subscribe_addon_offline(args: &SubscribeAddonArgs) -> Result<Status, Stop> {
    let body = addon_request(args)
        .body_json()
        .map_err(|err| Stop::Config(render::one_line(&err.to_string())))?;
    if args.dry_run {
        note(&format!(
            "dry run: nothing was sent; the purchase would be POST /accounts/{}/plans/addons \
             with this body",
            args.account
        ));
        let text = render::json::render_value(&body)?;
        return print_then(&text, Status::Ok);
    }
    Err(Stop::Config(
        "nothing was sent: an add-on costs money, so the purchase needs --yes (or --dry-run \
         to see the request body first)"
            .into(),
    ))
}

/// `zoom subscribe-addon --yes`: one request, never repeated.
async fn subscribe_addon(
    global: &GlobalArgs,
    target: &Target,
    args: &SubscribeAddonArgs,
) -> Result<Status, Stop> {
    let request = addon_request(args);
    let zoom = sources::zoom(global, target)?;
    let answer = progress::with_spinner(
        output::progress_allowed() && !global.verbose,
        "subscribing…",
        zoom.subscribe_addon(&args.account, &request),
    )
    .await;
    match answer {
        Ok(receipt) => {
            let text = render::json::render_value(&receipt)?;
            print_then(&text, Status::Ok)
        }
        Err(err) => {
            note(&error_line(&render::one_line(&err.to_string())));
            if err.may_have_applied() {
                note(&format!(
                    "the purchase may have been applied: check with `meeting-usage zoom plans \
                     --account {}` before trying again",
                    args.account
                ));
            }
            Ok(failure_status(&err))
        }
    }
}

/// `huawei resources`.
async fn resources(
    global: &GlobalArgs,
    target: &Target,
    args: &ResourcesArgs,
) -> Result<Status, Stop> {
    let huawei = sources::huawei(global, target)?;
    let answer = progress::with_spinner(
        output::progress_allowed() && !global.verbose,
        "asking huawei…",
        huawei.resources(args.resource_type.as_deref()),
    )
    .await;
    let list = match answer {
        Ok(list) => list,
        Err(err) => {
            note(&error_line(&render::one_line(&err.to_string())));
            return Ok(failure_status(&err));
        }
    };
    let text = match args.format {
        ListFormat::Json => render::json::render_value(&list)?,
        ListFormat::Table => resources_table(&list),
    };
    print_then(&text, Status::Ok)
}

/// The resource list as aligned columns; vendor strings pass through
/// [`render::table::fit`], so that no control character reaches the terminal.
fn resources_table(list: &[meeting_usage::Resource]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<16}  {:<16}  {:<14}  {:>7}  {:<10}  {:<8}  ORDER",
        "TYPE", "TYPE ID", "ID", "COUNT", "EXPIRES", "STATUS"
    );
    let cell = |value: Option<&str>, width: usize| render::table::fit(value.unwrap_or("-"), width);
    for resource in list {
        let status = match resource.status {
            Some(code) => match ResourceStatus::from_code(code) {
                Some(ResourceStatus::Normal) => "normal".to_owned(),
                Some(ResourceStatus::Expired) => "expired".to_owned(),
                Some(ResourceStatus::Disabled) => "disabled".to_owned(),
                _ => code.to_string(),
            },
            None => "-".to_owned(),
        };
        let line = format!(
            "{:<16}  {:<16}  {:<14}  {:>7}  {:<10}  {:<8}  {}",
            cell(resource.type_.as_deref(), 16),
            cell(resource.type_id.as_deref(), 16),
            cell(resource.id.as_deref(), 14),
            resource
                .count
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            resource
                .expire_date
                .and_then(date_of_ms)
                .unwrap_or_else(|| "-".into()),
            status,
            cell(resource.order_id.as_deref(), 18),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// The UTC date (`yyyy-mm-dd`) of a Unix time in milliseconds, for years 0 to 9999.
///
/// Local because the facade's conversion (`rfc3339_from_unix_millis`) is private and the
/// resource list is the vendor's raw `CorpResourceItem`, whose `expireDate` is milliseconds
/// (only the report's `ExpiringResource` carries an RFC 3339 `expires_at`).
fn date_of_ms(ms: i64) -> Option<String> {
    let days = ms.div_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (0..=9999)
        .contains(&year)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_of_ms(0).as_deref(), Some("1970-01-01"));
        assert_eq!(date_of_ms(1_765_756_800_000).as_deref(), Some("2025-12-15"));
        assert_eq!(date_of_ms(1_827_619_200_000).as_deref(), Some("2027-12-01"));
        assert_eq!(date_of_ms(951_782_400_000).as_deref(), Some("2000-02-29"));
        assert_eq!(date_of_ms(-86_400_000).as_deref(), Some("1969-12-31"));
        assert_eq!(date_of_ms(i64::MAX), None);
    }
}
