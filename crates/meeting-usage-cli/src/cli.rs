//! The command line: every command, flag and environment variable, as clap definitions.
//!
//! Credential flags are global (accepted before or after the subcommand) and each reads the
//! environment variable of the same name. Their values are never shown by `--help`
//! (`hide_env_values`), and the secrets are held in [`SecretArg`], whose `Debug` hides them.

use std::fmt;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Licence and storage use of Zoom, Huawei Cloud Meeting and Webex accounts.
#[derive(Parser)]
#[command(
    name = "meeting-usage",
    version,
    about = "Licence and storage use of Zoom, Huawei Cloud Meeting and Webex accounts",
    long_about = "Licence and storage use of Zoom, Huawei Cloud Meeting and Webex accounts.\n\n\
        Credentials come from environment variables (preferred: flags end up in the shell \
        history and in `ps`) or from the flags of the same names. `--sandbox` needs none: it \
        answers from the vendors' documented examples, offline.",
    after_help = "Exit status: 0 ok, 1 a vendor failed or the output could not be written, \
        2 usage or configuration error, 3 a --fail-on-over or --warn-at threshold was crossed, \
        130 or 143 a fleet run stopped by SIGINT or SIGTERM.",
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command accepts.
#[derive(Args)]
pub struct GlobalArgs {
    /// Answer from an embedded mock of every vendor (their documented examples), offline;
    /// ignores the configured credentials and URLs.
    #[arg(long, global = true, help_heading = "Global options")]
    pub sandbox: bool,
    /// Trace every vendor call on stderr: operation, HTTP status, latency, request id.
    /// `RUST_LOG` (a tracing filter) takes precedence when set.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub verbose: bool,
    /// Zoom credentials and endpoints.
    #[command(flatten)]
    pub zoom: ZoomArgs,
    /// Huawei Cloud Meeting credentials and endpoints.
    #[command(flatten)]
    pub huawei: HuaweiArgs,
    /// Webex credentials and endpoints.
    #[command(flatten)]
    pub webex: WebexArgs,
}

/// Zoom Server-to-Server OAuth credentials and endpoints.
#[derive(Args)]
#[command(next_help_heading = "Zoom")]
pub struct ZoomArgs {
    /// Zoom account id of the Server-to-Server OAuth app.
    #[arg(
        long,
        env = "ZOOM_ACCOUNT_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub zoom_account_id: Option<String>,
    /// Client id of the Server-to-Server OAuth app.
    #[arg(
        long,
        env = "ZOOM_CLIENT_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub zoom_client_id: Option<String>,
    /// Client secret of the Server-to-Server OAuth app (prefer the environment variable).
    #[arg(
        long,
        env = "ZOOM_CLIENT_SECRET",
        hide_env_values = true,
        global = true,
        value_name = "SECRET"
    )]
    pub zoom_client_secret: Option<SecretArg>,
    /// Base URL of the Billing API, `/v2` included [default: https://api.zoom.us/v2].
    #[arg(
        long,
        env = "ZOOM_API_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub zoom_api_url: Option<String>,
    /// Base URL of the OAuth host; the token path is appended [default: https://zoom.us].
    #[arg(
        long,
        env = "ZOOM_OAUTH_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub zoom_oauth_url: Option<String>,
}

/// Huawei Cloud Meeting App ID credentials and endpoints.
#[derive(Args)]
#[command(next_help_heading = "Huawei Cloud Meeting")]
pub struct HuaweiArgs {
    /// App ID of the enterprise's Huawei Cloud Meeting app.
    #[arg(
        long,
        env = "HUAWEI_MEETING_APP_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub huawei_meeting_app_id: Option<String>,
    /// App key of that App ID (prefer the environment variable).
    #[arg(
        long,
        env = "HUAWEI_MEETING_APP_KEY",
        hide_env_values = true,
        global = true,
        value_name = "KEY"
    )]
    pub huawei_meeting_app_key: Option<SecretArg>,
    /// User the App ID acts as (an enterprise administrator), when the app needs one.
    #[arg(
        long,
        env = "HUAWEI_MEETING_USER_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub huawei_meeting_user_id: Option<String>,
    /// Enterprise id, for App IDs that serve several enterprises.
    #[arg(
        long,
        env = "HUAWEI_MEETING_CORP_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub huawei_meeting_corp_id: Option<String>,
    /// Base URL of the API host [default: https://api.meeting.huaweicloud.com; the international
    /// site is https://api-intl.meeting.huaweicloud.com].
    #[arg(
        long,
        env = "HUAWEI_MEETING_API_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub huawei_meeting_api_url: Option<String>,
}

/// Webex credentials: an access token, or an integration (client id, secret, refresh token).
#[derive(Args)]
#[command(next_help_heading = "Webex")]
pub struct WebexArgs {
    /// Access token (a personal token lasts 12 hours; an integration suits repeated runs).
    #[arg(
        long,
        env = "WEBEX_ACCESS_TOKEN",
        hide_env_values = true,
        global = true,
        value_name = "TOKEN"
    )]
    pub webex_access_token: Option<SecretArg>,
    /// Client id of the integration.
    #[arg(
        long,
        env = "WEBEX_CLIENT_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub webex_client_id: Option<String>,
    /// Client secret of the integration (prefer the environment variable).
    #[arg(
        long,
        env = "WEBEX_CLIENT_SECRET",
        hide_env_values = true,
        global = true,
        value_name = "SECRET"
    )]
    pub webex_client_secret: Option<SecretArg>,
    /// Refresh token of the integration; once the token file exists, its token is used
    /// first (Webex may replace the refresh token on every refresh).
    #[arg(
        long,
        env = "WEBEX_REFRESH_TOKEN",
        hide_env_values = true,
        global = true,
        value_name = "TOKEN"
    )]
    pub webex_refresh_token: Option<SecretArg>,
    /// Where the newest refresh token is kept [default:
    /// $XDG_STATE_HOME/meeting-usage/webex-token.json].
    #[arg(
        long,
        env = "WEBEX_TOKEN_FILE",
        hide_env_values = true,
        global = true,
        value_name = "FILE"
    )]
    pub webex_token_file: Option<std::path::PathBuf>,
    /// Organisation to report on [default: the token's own].
    #[arg(
        long,
        env = "WEBEX_ORG_ID",
        hide_env_values = true,
        global = true,
        value_name = "ID"
    )]
    pub webex_org_id: Option<String>,
    /// Base URL of the API [default: https://webexapis.com/v1].
    #[arg(
        long,
        env = "WEBEX_API_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub webex_api_url: Option<String>,
}

/// A credential given on the command line or in the environment. `Debug` hides it.
#[derive(Clone)]
pub struct SecretArg(pub String);

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg(***)")
    }
}

impl std::str::FromStr for SecretArg {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(SecretArg(value.to_owned()))
    }
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Seats, storage and activity of every configured vendor, queried concurrently.
    ///
    /// With --all-sub-accounts or --accounts-file, a Zoom fleet instead: one report per account,
    /// paced at the account tier's API rate limit, with totals per product and per kind.
    Report(ReportArgs),
    /// A Prometheus exporter: collects in the background every --interval and serves the
    /// last collection at /metrics (a scrape never calls a vendor).
    ///
    /// Also /healthz (200 while serving) and a status page at /. Stops on SIGTERM or SIGINT
    /// (status 0).
    Serve(ServeArgs),
    /// Zoom's Billing API.
    #[command(subcommand)]
    Zoom(ZoomCommand),
    /// Huawei Cloud Meeting's enterprise resources.
    #[command(subcommand)]
    Huawei(HuaweiCommand),
}

/// Which vendors a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VendorChoice {
    /// Zoom only.
    Zoom,
    /// Huawei Cloud Meeting only.
    Huawei,
    /// Webex only.
    Webex,
    /// Every vendor with credentials (all three with --sandbox).
    All,
}

/// How a report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A section per vendor, for people (a fleet: totals, over-allocated accounts, failures).
    Table,
    /// `{"reports", "by_kind", "errors"}` (a fleet: `{"accounts", "totals", "by_kind",
    /// "summary"}`), a documented contract.
    Json,
    /// One row per seat entry (of every account), with a header row.
    Csv,
    /// Prometheus text exposition format (node_exporter textfile collector, Pushgateway).
    Prometheus,
    /// One self-contained HTML page (inline CSS and SVG bars, no script), for people.
    Html,
    /// A fleet only: one JSON object a line per account (an entry of the JSON `accounts`),
    /// written as each account is answered; what `--resume` reads.
    Jsonl,
}

/// Options of `report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Which vendors to query.
    #[arg(long, value_enum, default_value_t = VendorChoice::All)]
    pub vendor: VendorChoice,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Exit with status 3 when any product has more licences assigned than bought.
    #[arg(long)]
    pub fail_on_over: bool,
    /// Exit with status 3 when any product's utilisation is at or above PERCENT.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub warn_at: Option<f64>,
    /// In the table, name products by the vendor's raw key (`plan_base`, `SOFT`) instead of
    /// their label (`Meetings`, `Soft-client accounts`).
    #[arg(long)]
    pub raw_keys: bool,
    /// Go on with an interrupted `--format jsonl` run: the accounts answered in FILE are
    /// skipped, its failed ones and a cut-off last line are dropped and asked again, and the
    /// new lines are appended to FILE (nothing goes to stdout).
    #[arg(
        long,
        value_name = "FILE",
        requires = "fleet",
        help_heading = "Fleet (Zoom sub accounts)"
    )]
    pub resume: Option<std::path::PathBuf>,
    /// Which accounts and how fast, for a Zoom fleet.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Options of a Zoom fleet run (`report` and `serve`).
#[derive(Args, Clone)]
pub struct FleetArgs {
    /// Zoom fleet: every sub account of the master account (the app's account), listed
    /// page by page, one report each.
    #[arg(long, group = "fleet", help_heading = "Fleet (Zoom sub accounts)")]
    pub all_sub_accounts: bool,
    /// Zoom fleet: the accounts listed in FILE, one id a line (`#` starts a comment, blank
    /// lines are skipped, `-` reads stdin).
    #[arg(
        long,
        group = "fleet",
        value_name = "FILE",
        help_heading = "Fleet (Zoom sub accounts)"
    )]
    pub accounts_file: Option<std::path::PathBuf>,
    /// The master account's plan tier: the client paces its calls at Zoom's published
    /// per-account limits of that tier.
    #[arg(
        long,
        value_enum,
        env = "ZOOM_RATE_TIER",
        hide_env_values = true,
        default_value_t = TierArg::Pro,
        value_name = "TIER",
        help_heading = "Fleet (Zoom sub accounts)"
    )]
    pub rate_tier: TierArg,
    /// At most N calls per second of any rate label, instead of the tier's limits (other apps
    /// on the account share its budget: leave them some).
    #[arg(
        long,
        value_name = "N",
        value_parser = parse_rate,
        requires = "fleet",
        help_heading = "Fleet (Zoom sub accounts)"
    )]
    pub max_rps: Option<f64>,
    /// At most N calls in flight.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 16,
        value_parser = clap::value_parser!(u16).range(1..=1024),
        requires = "fleet",
        help_heading = "Fleet (Zoom sub accounts)"
    )]
    pub concurrency: u16,
    /// Prometheus output: also every account's seat, storage and activity gauges (by default
    /// the fleet's totals and each account's `up`: 20 products times 100,000 accounts is a
    /// cardinality few monitoring stacks want).
    #[arg(long, requires = "fleet", help_heading = "Fleet (Zoom sub accounts)")]
    pub per_account_metrics: bool,
    /// Whether `--rate-tier` was given on the command line (not from `ZOOM_RATE_TIER` or the
    /// default): set by `main` from the parse's value sources.
    #[arg(skip)]
    pub rate_tier_on_command_line: bool,
}

impl FleetArgs {
    /// Whether this is a fleet run (`--all-sub-accounts` or `--accounts-file`).
    pub fn fleet(&self) -> bool {
        self.all_sub_accounts || self.accounts_file.is_some()
    }
}

/// The default address of `serve`: loopback only, on a port above Prometheus's exporter
/// range (see the crate README, "serve").
pub const DEFAULT_LISTEN: &str = "127.0.0.1:10091";

/// Options of `serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; another interface than loopback only when given (port 0 picks a
    /// free port; the address bound is printed on stderr).
    #[arg(
        long,
        env = "MEETING_USAGE_LISTEN",
        default_value = DEFAULT_LISTEN,
        value_name = "ADDR"
    )]
    pub listen: std::net::SocketAddr,
    /// Which vendors to collect.
    #[arg(long, value_enum, default_value_t = VendorChoice::All)]
    pub vendor: VendorChoice,
    /// Time between the starts of two collections: `90s`, `5m`, `1h` or seconds (at least 1
    /// second). The first starts at once.
    #[arg(
        long,
        env = "MEETING_USAGE_INTERVAL",
        default_value = "5m",
        value_parser = parse_interval,
        value_name = "DURATION"
    )]
    pub interval: std::time::Duration,
    /// Which accounts and how fast, for a Zoom fleet.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// An interval: a whole number followed by `s`, `m` or `h` (none: seconds), 1 second to 7
/// days.
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("`{text}` is not a duration: use 90s, 5m or 1h")),
    };
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a duration: use 90s, 5m or 1h"))?;
    if (1..=7 * 86_400).contains(&seconds) {
        Ok(std::time::Duration::from_secs(seconds))
    } else {
        Err(format!("`{text}` is out of range: 1 second to 7 days"))
    }
}

/// A Zoom account tier, as Zoom's rate-limit table groups plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// Free (Basic): Light 4/s, Medium 2/s, Heavy 1/s.
    Free,
    /// Pro: Light 30/s, Medium 20/s, Heavy 10/s.
    Pro,
    /// Business, Education, Enterprise, Partner: Light 80/s, Medium 60/s, Heavy 40/s.
    BusinessPlus,
}

impl TierArg {
    /// The facade's tier.
    pub fn facade(self) -> meeting_usage::RateTier {
        match self {
            TierArg::Free => meeting_usage::RateTier::Free,
            TierArg::Pro => meeting_usage::RateTier::Pro,
            TierArg::BusinessPlus => meeting_usage::RateTier::BusinessPlus,
        }
    }

    /// The sandbox's tier (what `--sandbox` enforces).
    pub fn sandbox(self) -> spec_sandbox::RateTier {
        match self {
            TierArg::Free => spec_sandbox::RateTier::Free,
            TierArg::Pro => spec_sandbox::RateTier::Pro,
            TierArg::BusinessPlus => spec_sandbox::RateTier::BusinessPlus,
        }
    }

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TierArg::Free => "free",
            TierArg::Pro => "pro",
            TierArg::BusinessPlus => "business-plus",
        }
    }
}

/// A rate: a finite number of calls per second above zero.
fn parse_rate(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(format!("`{text}` is not a rate (calls per second above 0)"))
    }
}

/// A percentage: a finite number from 0 up.
fn parse_percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("`{text}` is not a percentage (0 or more)"))
    }
}

/// `zoom` subcommands.
#[derive(Subcommand)]
pub enum ZoomCommand {
    /// The account's plan information (base plan, add-ons, storage), as JSON.
    Plans(PlansArgs),
    /// Buy an add-on plan. Costs money: sends nothing without --yes.
    SubscribeAddon(SubscribeAddonArgs),
}

/// Options of `zoom plans`.
#[derive(Args)]
pub struct PlansArgs {
    /// The account to read (default: --zoom-account-id).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
}

/// Options of `zoom subscribe-addon`.
#[derive(Args)]
pub struct SubscribeAddonArgs {
    /// The account that buys the add-on (required, so a purchase never goes to a default).
    #[arg(long, value_name = "ID")]
    pub account: String,
    /// The add-on plan type, e.g. `webinar500_monthly`.
    #[arg(long = "type", value_name = "TYPE")]
    pub addon_type: String,
    /// Number of hosts (licences) to buy.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub hosts: u32,
    /// When the add-on takes effect (`yyyy-mm-dd`).
    #[arg(long, value_name = "DATE")]
    pub service_effective_date: Option<String>,
    /// When the paid period starts (`yyyy-mm-dd`).
    #[arg(long, value_name = "DATE")]
    pub paid_period_start_date: Option<String>,
    /// Print the exact request body and send nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Really buy: send the request (once; a purchase is never retried).
    #[arg(long)]
    pub yes: bool,
}

/// `huawei` subcommands.
#[derive(Subcommand)]
pub enum HuaweiCommand {
    /// Every purchased resource, all pages.
    Resources(ResourcesArgs),
}

/// How a list is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns, for people.
    Table,
    /// A JSON array.
    Json,
}

/// Options of `huawei resources`.
#[derive(Args)]
pub struct ResourcesArgs {
    /// Only resources of this type (`VMR`, `SOFT`, `HARD_1080P`, `RECORD`, ...).
    #[arg(long = "type", value_name = "T")]
    pub resource_type: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn percent() {
        assert_eq!(parse_percent("90"), Ok(90.0));
        assert_eq!(parse_percent("87.5%"), Ok(87.5));
        assert!(parse_percent("-1").is_err());
        assert!(parse_percent("NaN").is_err());
        assert!(parse_percent("ninety").is_err());
    }

    #[test]
    fn intervals() {
        use std::time::Duration;
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("8d").is_err());
        assert!(parse_interval("1.5m").is_err());
        assert!(parse_interval("m").is_err());
        assert!(parse_interval("99999999999999999999h").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("12.5"), Ok(12.5));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-3").is_err());
        assert!(parse_rate("inf").is_err());
    }

    #[test]
    fn secrets_do_not_debug_print() {
        assert_eq!(format!("{:?}", SecretArg("x".into())), "SecretArg(***)");
    }
}
